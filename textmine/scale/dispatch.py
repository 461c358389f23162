"""The hook of the estimators' ``transform`` into the dask path (imports no dask until a collection comes)."""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from .collections import is_dask_collection

__all__ = ["keyword_collections"]


def keyword_collections(transform: Any) -> Any:
    """Decorator of a keyword extractor's ``transform(docs)``: a dask collection gives a lazy dask Series of
    keyword lists (:func:`textmine.scale.keywords.keywords_collection`); anything else goes to ``transform``."""
    import functools

    @functools.wraps(transform)
    def wrapper(self: Any, docs: Any, *args: Any, **kwargs: Any) -> Any:
        if is_dask_collection(docs):
            if args or kwargs:
                raise InputError(f"{type(self).__name__}.transform takes no other argument with a dask collection: "
                                 "set candidates / seed keywords on the extractor instead")
            from .keywords import keywords_collection

            return keywords_collection(self, docs)
        return transform(self, docs, *args, **kwargs)

    return wrapper
