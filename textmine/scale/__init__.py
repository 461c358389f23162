"""Large corpora on dask.distributed: topics and keywords over partitions (docs/scale.md).

``TopicModel.fit``, ``TopicModel.transform`` and the keyword extractors' ``transform`` accept a dask
collection of texts (a dask Series, a one-column dask DataFrame, a dask Bag) and dispatch here::

    import dask.dataframe as dd
    from dask.distributed import Client
    from textmine import TopicModel, KeywordExtractor

    client = Client()                                    # a LocalCluster; Client("tcp://host:8786") on a cluster
    texts = dd.read_parquet("corpus/*.parquet")["text"]  # or textmine.scale.read_texts("corpus/*.jsonl")
    tm = TopicModel(random_state=42).fit(texts)          # embeds on the workers, discovers on a sample
    topics = tm.transform(texts)                         # lazy dask Series of topic ids
    kws = KeywordExtractor().transform(texts)            # lazy dask Series of keyword lists

Modules: :mod:`.collections` (inputs), :mod:`.store` (embedding shards), :mod:`.workers` (the model once
per worker), :mod:`.partitions` (per-partition steps), :mod:`.fit` (the topic fit), :mod:`.keywords`,
:mod:`.compute` (running graphs), :mod:`.cluster` (connecting to or starting a cluster). dask is
imported only when one of them runs: ``pip install "textmine[dask]"``.
"""

from __future__ import annotations

from typing import Any

from .collections import INSTALL_HINT, is_dask_collection

__all__ = ["is_dask_collection", "read_texts", "as_text_series", "fit_collection", "transform_collection",
           "keywords_collection", "connect", "INSTALL_HINT"]

_LAZY = {
    "read_texts": ".collections", "as_text_series": ".collections", "fit_collection": ".fit",
    "transform_collection": ".fit", "keywords_collection": ".keywords", "connect": ".cluster",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
