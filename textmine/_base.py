"""Shared result types and the estimator base class."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from ._types import Keyword
from .errors import NotFittedError

__all__ = ["Keyword", "TextmineEstimator"]


class TextmineEstimator(BaseEstimator):
    """Base class of textmine estimators (scikit-learn's contract).

    Sub-classes store their ``__init__`` parameters verbatim, put learned state
    in attributes ending with ``_`` and return ``self`` from ``fit``, so
    ``get_params``, ``set_params``, ``sklearn.base.clone`` and ``Pipeline`` work.
    """

    #: whether ``transform`` needs ``fit`` first (keyword extractors work unfitted)
    _requires_fit = True

    def __sklearn_tags__(self) -> Any:
        """Tags for scikit-learn >= 1.6: the input is a list of texts, not a 2-D array."""
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True  # a list / 1-D array of str
        tags.input_tags.string = True
        tags.requires_fit = self._requires_fit
        if hasattr(self, "transform"):
            tags.transformer_tags = TransformerTags(preserves_dtype=[])  # outputs keyword lists / topic ids
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"X_types": ["string"], "requires_fit": self._requires_fit}

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit() before using it."
            )
