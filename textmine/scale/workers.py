"""What runs on the dask workers: embedding partitions once, assigning them, counting their words.

Every function here takes one partition (a pandas Series of clean texts, :func:`.collections.clean_partition`)
and returns either a pandas result with the partition's index or a small aggregate; nothing holds more
than one partition. The embedding model is loaded once per worker process: :func:`worker_embedder` keeps
the embedders it built in a module-level dict keyed by model id (an :class:`~textmine.embed.Embedder`
travels to the workers as its settings, ``SentenceTransformerEmbedder.__reduce__``, and is built again
there only the first time). Vectors come from the :class:`~.store.ShardStore` when the partition was
embedded before.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._embstore import l2_normalize
from .._validation import is_blank
from ..embed import get_embedder
from ..errors import InputError, TextmineError
from .store import ShardStore, partition_key

__all__ = ["EmbedSpec", "worker_embedder", "partition_vectors", "sample_key", "ENCODE_BATCH"]

#: texts per ``encode`` call on a worker (bounds the tokenizer's memory; the model batches inside)
ENCODE_BATCH = 4096

_LOCK = threading.Lock()
_EMBEDDERS: dict[tuple[str, str], Any] = {}


@dataclass(frozen=True)
class EmbedSpec:
    """How a worker embeds: the embedding model (a name or an Embedder, pickled as its settings),
    its id (the store's key) and where the shards live (None: the worker's cache root)."""

    model: Any
    model_id: str
    store_root: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def worker_embedder(spec: EmbedSpec) -> Any:
    """The embedder of ``spec`` in this worker process, built once (see the module docs)."""
    key = (type(spec.model).__qualname__ if not isinstance(spec.model, str) else "name", spec.model_id)
    with _LOCK:
        emb = _EMBEDDERS.get(key)
        if emb is None:
            try:
                emb = get_embedder(spec.model)
            except TextmineError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise InputError(f"could not load embedding model {spec.model!r} on a worker: {exc}") from None
            _EMBEDDERS[key] = emb
    return emb


def partition_vectors(texts: list[str], spec: EmbedSpec) -> tuple[np.ndarray, np.ndarray]:
    """(indices of the non-blank texts, their unit float32 embeddings) -- from the store when possible."""
    idx = np.flatnonzero([not is_blank(t) for t in texts])
    todo = [texts[i] for i in idx]
    if not todo:
        return idx, np.zeros((0, 0), dtype=np.float32)
    store = ShardStore(spec.model_id, spec.store_root)
    key = partition_key(spec.model_id, todo)
    X = store.load(key, len(todo))
    if X is None:
        emb = worker_embedder(spec)
        X = np.concatenate([l2_normalize(emb.encode(todo[s : s + ENCODE_BATCH]))
                            for s in range(0, len(todo), ENCODE_BATCH)])
        store.save(key, X)
    return idx, X


def sample_key(text: str, seed: int) -> int:
    """A document's sampling key: a 64-bit hash of the seed and the text (independent of partitioning)."""
    h = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8, key=seed.to_bytes(8, "little"))
    return int.from_bytes(h.digest(), "little")
