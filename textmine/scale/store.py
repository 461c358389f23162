"""The embedding store of the dask path: one ``.npy`` shard per partition, beside the embedding cache.

A shard holds the unit embeddings (float32, one row per non-blank text, in order) of one partition's
texts, under ``<cache root>/shards/<model id>/<key>.npy``, where the key hashes the model id and the
partition's texts. A second pass over the same partitions (``transform`` after ``fit``, a refit, the
assignment pass of ``fit`` itself) reads the shard instead of running the model. Shards are written
to a temporary file and renamed, so workers writing the same shard at once (or a worker killed
mid-write) never leave a torn file; a shard that cannot be read is deleted and recomputed.

The cache root is the workers' ``TEXTMINE_CACHE_DIR`` (default ``~/.cache/textmine``): on a cluster
of several machines point it at a shared filesystem, or each machine keeps its own shards. A
repartitioned corpus has new partition keys; its texts are then served by the embedder's own
per-text cache (:class:`~textmine._embstore.EmbeddingCache`, on by default) instead of the model.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._cache import cache_root

__all__ = ["ShardStore", "partition_key"]


def partition_key(model_id: str, texts: Sequence[str]) -> str:
    """Hash of the model id and the texts (length-prefixed, so no two text lists collide by joining)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(model_id.encode("utf-8", "surrogatepass") + b"\0")
    for t in texts:
        b = t.encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


class ShardStore:
    """``.npy`` shards of unit embeddings keyed by :func:`partition_key` (see the module docs)."""

    def __init__(self, model_id: str, root: str | os.PathLike[str] | None = None):
        self.model_id = model_id
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)[:80] + "-" + hashlib.blake2b(
            model_id.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
        self.dir = (Path(root) if root is not None else cache_root() / "shards") / safe

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.npy"

    def load(self, key: str, n: int) -> np.ndarray | None:
        """The shard ``key`` if it holds ``n`` finite rows, else None (a damaged shard is removed)."""
        p = self.path(key)
        if not p.exists():
            return None
        try:
            X = np.load(p, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            p.unlink(missing_ok=True)
            return None
        if X.dtype != np.float32 or X.ndim != 2 or X.shape[0] != n or not np.isfinite(X).all():
            p.unlink(missing_ok=True)
            return None
        return X

    def save(self, key: str, X: np.ndarray) -> None:
        """Write the shard atomically (:func:`textmine.io._atomic_write`, as every textmine output: a killed
        writer's temporary file is removed by the next write); a store that cannot be written is skipped
        (the run goes on)."""
        from ..errors import InputError
        from ..io import _atomic_write

        data = np.ascontiguousarray(X, dtype=np.float32)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.path(key), lambda fh: np.save(fh, data, allow_pickle=False), binary=True)
        except (OSError, InputError):
            pass
