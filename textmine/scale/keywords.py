"""Keyword extractors on a dask collection: a lazy dask Series of keyword lists, one per document.

The extractor travels to the workers once, as pickled bytes in one graph key, and each worker keeps
the extractor it unpickled (keyed by the bytes' hash), so its models -- the embedding model, the LLM of
:class:`~textmine.keywords.LLMKeywordExtractor` and :class:`~textmine.keywords.HybridKeywordExtractor`
-- are loaded once per worker, not per partition. Each partition is the extractor's own ``transform``
on its texts; every extractor's result for a document depends only on that document (and what ``fit``
learned), so it never depends on the partition. Blank and missing texts get ``[]``. Few, large partitions
are cut into pieces so that every worker gets work (:func:`textmine.scale.compute.map_pieces`): the result
has one partition per partition that ran, with its index.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from typing import Any

from .collections import as_text_series, require_dask
from .compute import map_pieces

__all__ = ["keywords_collection", "keywords_partition"]

_LOCK = threading.Lock()
_EXTRACTORS: dict[str, Any] = {}


def _extractor(blob: bytes) -> Any:
    key = hashlib.blake2b(blob, digest_size=16).hexdigest()
    with _LOCK:
        est = _EXTRACTORS.get(key)
        if est is None:
            est = _EXTRACTORS[key] = pickle.loads(blob)  # noqa: S301 - bytes pickled by this process's client
    return est


def keywords_partition(part: Any, blob: bytes) -> Any:
    """The keyword lists of one partition's texts (an object Series with the partition's index)."""
    import pandas as pd

    texts = part.tolist()
    est = _extractor(blob)
    out: list[Any] = [[] for _ in texts]
    todo = [i for i, t in enumerate(texts) if t.strip()]
    if todo:
        for i, kws in zip(todo, est.transform([texts[i] for i in todo])):
            out[i] = list(kws)
    return pd.Series(out, index=part.index, name="keywords", dtype=object)


def keywords_collection(extractor: Any, collection: Any, *, pieces: int | None = None) -> Any:
    """``extractor.transform(collection)`` for a dask collection: a lazy dask Series of keyword lists.
    ``pieces``: slices per partition (:func:`~textmine.scale.compute.map_pieces`; None: automatic, 1: one
    task per partition) -- it changes how the work is spread, never a document's keywords."""
    require_dask()
    import pandas as pd
    from dask import delayed

    series = as_text_series(collection)
    blob = delayed(pickle.dumps(extractor, protocol=pickle.HIGHEST_PROTOCOL), pure=True)
    return map_pieces(series, keywords_partition, blob, meta=pd.Series([], dtype=object, name="keywords"), pieces=pieces)
