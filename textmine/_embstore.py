"""What every embedder shares: L2 normalisation, checks of its input and output, the on-disk cache.

Split from :mod:`textmine.embed` so that other embedders (:mod:`textmine.embed_e5`) use the same
pieces without importing the sentence-transformers embedder.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._cache import open_sqlite, quarantine
from ._validation import clean_text
from .errors import InputError, TextmineError

__all__ = ["l2_normalize", "EmbeddingCache", "check_texts", "check_embeddings", "encode_cached"]


def l2_normalize(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return X / norms


def _text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class EmbeddingCache:
    """On-disk cache of embeddings keyed by (model id, hash of the text), in SQLite.

    Safe to share between processes. A corrupt database, or one with another
    schema, is quarantined and rebuilt with a warning (see
    :func:`textmine._cache.open_sqlite`), also when the damage shows only at
    query time; a stored vector of the wrong size or with NaN / inf values is
    never served (it counts as a miss and is recomputed).
    """

    _SCHEMA = "CREATE TABLE IF NOT EXISTS emb (model TEXT, key BLOB, vec BLOB, PRIMARY KEY(model, key))"

    def __init__(self, path: str | os.PathLike[str], model_id: str, dim: int):
        self.path = Path(path)
        self.model_id = model_id
        self.dim = dim
        self._lock = threading.Lock()
        self._conn = open_sqlite(self.path, self._SCHEMA)

    def _recover(self, exc: sqlite3.DatabaseError) -> bool:
        """Quarantine and reopen after a query-time error; False when the error is not corruption."""
        msg = str(exc).lower()
        if isinstance(exc, sqlite3.OperationalError) and not any(
            w in msg for w in ("malformed", "not a database", "no such column", "no such table")
        ):
            return False
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
        quarantine(self.path, str(exc))
        self._conn = open_sqlite(self.path, self._SCHEMA)
        return True

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            try:
                rows = self._select(unique)
            except sqlite3.DatabaseError as exc:
                if not self._recover(exc):
                    return {}  # locked or unreadable right now: compute instead
                rows = []
        for key, vec in rows:
            if not isinstance(vec, bytes) or len(vec) != 4 * self.dim:
                continue
            arr = np.frombuffer(vec, dtype=np.float32)
            if np.isfinite(arr).all():
                found[bytes(key)] = arr
        return found

    def _select(self, unique: list[bytes]) -> list[tuple[Any, Any]]:
        rows: list[tuple[Any, Any]] = []
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows += self._conn.execute(
                f"SELECT key, vec FROM emb WHERE model=? AND key IN ({marks})",
                [self.model_id, *chunk],
            ).fetchall()
        return rows

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        rows = [
            (self.model_id, k, np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for k, v in items.items()
            if np.shape(v) == (self.dim,) and np.isfinite(v).all()
        ]
        if not rows:
            return
        with self._lock:
            for attempt in range(2):
                try:
                    with self._conn:
                        self._conn.executemany("INSERT OR REPLACE INTO emb(model, key, vec) VALUES (?, ?, ?)", rows)
                    return
                except sqlite3.DatabaseError as exc:
                    if attempt or not self._recover(exc):
                        return  # a cache that cannot be written must not break encoding

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute(
                "SELECT COUNT(*) FROM emb WHERE model=?", (self.model_id,)
            ).fetchone()[0]


def check_texts(texts: Any) -> list[str]:
    """The texts of an ``encode`` call as a list of cleaned ``str``; :class:`InputError` otherwise."""
    if isinstance(texts, (str, bytes)):
        raise InputError("encode() takes a list of texts, not a single str")
    if texts is None or not hasattr(texts, "__iter__"):
        raise InputError(f"encode() takes a list of str, got {type(texts).__name__}")
    out = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise InputError(f"text at index {i} must be a str, got {type(t).__name__}")
        out.append(clean_text(t))
    return out


def check_embeddings(
    out: Any, n: int, who: str, *, error: type[TextmineError] = InputError, dim: int | None = None
) -> np.ndarray:
    """An embedder's output as a finite float32 ``(n, dim)`` matrix, or ``error`` naming what is wrong."""
    try:
        arr = np.asarray(out)
    except Exception as exc:  # noqa: BLE001 - a user's embedder may return anything
        raise error(f"{who} returned {type(out).__name__}, not a numeric matrix: {exc}") from None
    if arr.dtype.kind not in "fiu":
        raise error(f"{who} returned values of type {arr.dtype} ({type(out).__name__}), expected numbers")
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] == 0:
        raise error(f"{who} returned shape {arr.shape} for {n} texts, expected ({n}, dim)")
    if dim is not None and arr.shape[1] != dim:
        raise error(f"{who} returned vectors of dimension {arr.shape[1]}, but its dim is {dim}")
    with np.errstate(over="ignore", invalid="ignore"):  # values past float32's range become inf: refused below
        arr = arr.astype(np.float32, copy=False)
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise error(
            f"{who} returned NaN or infinite values for {int(bad.sum())} of {n} texts "
            f"(first at index {int(np.argmax(bad))})"
        )
    return arr


def encode_cached(
    texts: list[str], cache: EmbeddingCache | None, compute: Any
) -> tuple[np.ndarray, int, int]:
    """``(matrix, cache hits, texts computed)``: each distinct text not in ``cache`` is embedded once by
    ``compute(list of texts) -> unit float32 matrix`` and stored; the rows follow ``texts``."""
    keys = [_text_key(t) for t in texts]
    found = cache.get_many(keys) if cache is not None else {}
    todo = [k for k in dict.fromkeys(keys) if k not in found]
    hits = len(keys) - sum(1 for k in keys if k not in found)
    if todo:
        first: dict[bytes, str] = {}
        for k, t in zip(keys, texts):
            first.setdefault(k, t)
        fresh = dict(zip(todo, compute([first[k] for k in todo])))
        if cache is not None:
            cache.put_many(fresh)
        found.update(fresh)
    return np.stack([found[k] for k in keys]).astype(np.float32, copy=False), hits, len(todo)
