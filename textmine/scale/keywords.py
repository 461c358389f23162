"""Keyword extractors on a dask collection: a lazy dask Series of keyword lists, one per document.

The extractor travels to the workers once, as pickled bytes in one graph key, and each worker keeps
the extractor it unpickled (keyed by the bytes' hash), so its models -- the embedding model, the LLM of
:class:`~textmine.keywords.LLMKeywordExtractor` and :class:`~textmine.keywords.HybridKeywordExtractor`
-- are loaded once per worker, not per partition. Each partition is the extractor's own ``transform``
on its texts; every extractor's result for a document depends only on that document (and what ``fit``
learned), so it never depends on the partition. Blank and missing texts get ``[]``.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from typing import Any

from .collections import as_text_series, require_dask

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


def keywords_collection(extractor: Any, collection: Any) -> Any:
    """``extractor.transform(collection)`` for a dask collection: a lazy dask Series of keyword lists."""
    require_dask()
    import pandas as pd
    from dask import delayed

    series = as_text_series(collection)
    blob = delayed(pickle.dumps(extractor, protocol=pickle.HIGHEST_PROTOCOL), pure=True)
    return series.map_partitions(keywords_partition, blob, meta=pd.Series([], dtype=object, name="keywords"))
