"""Embedding stage: texts -> float32, L2-normalised matrix.

>>> from textmine.embed import get_embedder
>>> emb = get_embedder("default", cache=False)
>>> X = emb.encode(["a first text", "another text"])
>>> X.shape, X.dtype.name
((2, 384), 'float32')

Any object with ``model_id``, ``dim`` and ``encode(texts) -> ndarray`` satisfies
the :class:`Embedder` protocol and can be passed wherever textmine takes an
``embedding_model``.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ._cache import cache_root, open_sqlite
from .errors import InputError, ModelLoadError
from .models import resolve_embedding_model


@runtime_checkable
class Embedder(Protocol):
    """What textmine needs from an embedding model."""

    model_id: str

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray:
        """Return an ``(len(texts), dim)`` float32 matrix with L2-normalised rows."""
        ...


def l2_normalize(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return X / norms


def _text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class EmbeddingCache:
    """On-disk cache of embeddings keyed by (model id, hash of the text), in SQLite.

    Safe to share between processes; a corrupt database is rebuilt, never trusted.
    """

    def __init__(self, path: str | os.PathLike[str], model_id: str, dim: int):
        self.path = Path(path)
        self.model_id = model_id
        self.dim = dim
        self._lock = threading.Lock()
        self._conn = open_sqlite(
            self.path, "CREATE TABLE IF NOT EXISTS emb (model TEXT, key BLOB, vec BLOB, PRIMARY KEY(model, key))"
        )

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, vec FROM emb WHERE model=? AND key IN ({marks})",
                    [self.model_id, *chunk],
                ).fetchall()
                for key, vec in rows:
                    arr = np.frombuffer(vec, dtype=np.float32)
                    if arr.shape == (self.dim,):
                        found[bytes(key)] = arr
        return found

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        if not items:
            return
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO emb(model, key, vec) VALUES (?, ?, ?)",
                [
                    (self.model_id, k, np.ascontiguousarray(v, dtype=np.float32).tobytes())
                    for k, v in items.items()
                ],
            )

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute(
                "SELECT COUNT(*) FROM emb WHERE model=?", (self.model_id,)
            ).fetchone()[0]


_MODEL_LOCK = threading.Lock()
_LOADED: dict[tuple[str, str], Any] = {}


def _load_sentence_transformer(path: str, device: str, allow_download: bool) -> Any:
    key = (path, device)
    with _MODEL_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        if not allow_download:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a hard dependency
            raise ModelLoadError(f"sentence-transformers is not importable: {exc}") from None
        try:
            model = SentenceTransformer(path, device=device)
        except Exception as exc:  # noqa: BLE001 - turn any loader failure into a typed error
            raise ModelLoadError(f"could not load the embedding model at {path!r}: {exc}") from None
        _LOADED[key] = model
        return model


class SentenceTransformerEmbedder:
    """sentence-transformers backend with batching, progress bar and on-disk cache.

    Parameters
    ----------
    model:
        ``"default"`` (packaged all-MiniLM-L6-v2), a local folder, or a model name.
    cache:
        ``True`` (default location), ``False`` (no cache) or a directory.
    batch_size, device, max_seq_length:
        passed to sentence-transformers. ``max_seq_length=None`` keeps the model's own.
    backend:
        ``"torch"`` (default: sentence-transformers), ``"onnx"`` (the same model exported
        to ONNX Runtime, fp32, same vectors) or ``"onnx-int8"`` (dynamically quantized:
        faster, slightly different vectors). See :mod:`textmine.embed_onnx` and the
        trade-off table in docs/benchmarks.md. The ONNX backends need ``textmine[onnx]``.
    show_progress:
        ``None`` shows a bar for runs of 1,000+ texts when stderr is a terminal.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] = "default",
        *,
        cache: bool | str | os.PathLike[str] = True,
        batch_size: int = 64,
        device: str = "cpu",
        max_seq_length: int | None = None,
        show_progress: bool | None = None,
        allow_download: bool | None = None,
        backend: str = "torch",
    ):
        from .embed_onnx import BACKENDS

        if backend not in BACKENDS:
            raise InputError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if max_seq_length is not None and (
            isinstance(max_seq_length, bool) or not isinstance(max_seq_length, int) or max_seq_length < 1
        ):
            raise InputError(f"max_seq_length must be a positive integer or None, got {max_seq_length!r}")
        resolved = resolve_embedding_model(model, allow_download=allow_download)
        self._resolved = resolved
        self.backend = backend
        self.model_id = (
            resolved.model_id
            + (f"@{max_seq_length}" if max_seq_length else "")
            + (f"+{backend}" if backend != "torch" else "")  # each backend has its own cache entries
        )
        self._onnx: Any = None
        self.batch_size = batch_size
        self.device = device
        self.max_seq_length = max_seq_length
        self.show_progress = show_progress
        self._allow_download = resolved.source == "hub"
        self._cache_setting = cache
        self._cache: EmbeddingCache | None = None
        self._dim: int | None = None
        self.cache_hits = 0
        self.cache_misses = 0

    @property
    def model(self) -> Any:
        return _load_sentence_transformer(self._resolved.path, self.device, self._allow_download)

    @property
    def dim(self) -> int:
        if self._dim is None:
            get_dim = getattr(self.model, "get_embedding_dimension", None) or getattr(
                self.model, "get_sentence_embedding_dimension"
            )
            self._dim = int(get_dim())
        return self._dim

    @property
    def cache(self) -> EmbeddingCache | None:
        if self._cache_setting is False:
            return None
        if self._cache is None:
            root = (
                cache_root()
                if self._cache_setting is True
                else Path(os.fspath(self._cache_setting)).expanduser()
            )
            self._cache = EmbeddingCache(root / "embeddings.sqlite", self.model_id, self.dim)
        return self._cache

    def _progress(self, n: int, show_progress: bool | None) -> bool:
        if show_progress is None:
            show_progress = self.show_progress
        if show_progress is None:
            return n >= 1000 and sys.stderr.isatty()
        return bool(show_progress)

    def encode(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray:
        if isinstance(texts, str):
            raise InputError("encode() takes a list of texts, not a single str")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise InputError(f"text at index {i} must be a str, got {type(t).__name__}")
        keys = [_text_key(t) for t in texts]
        cache = self.cache
        found = cache.get_many(keys) if cache is not None else {}
        todo_keys = [k for k in dict.fromkeys(keys) if k not in found]
        self.cache_hits += len(keys) - sum(1 for k in keys if k not in found)
        if todo_keys:
            first_text = {}
            for k, t in zip(keys, texts):
                first_text.setdefault(k, t)
            todo_texts = [first_text[k] for k in todo_keys]
            self.cache_misses += len(todo_texts)
            if self.backend != "torch":
                new = self._encode_onnx(todo_texts)
            else:
                new = self._encode_torch(todo_texts, show_progress)
            new = l2_normalize(new)
            fresh = dict(zip(todo_keys, new))
            if cache is not None:
                cache.put_many(fresh)
            found.update(fresh)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _encode_torch(self, texts: list[str], show_progress: bool | None) -> np.ndarray:
        model = self.model  # shared by every embedder of this model: restore its max length after
        default_length = model.max_seq_length
        if self.max_seq_length:
            model.max_seq_length = self.max_seq_length
        try:
            return model.encode(
                texts,
                batch_size=self.batch_size,
                show_progress_bar=self._progress(len(texts), show_progress),
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        finally:
            model.max_seq_length = default_length

    def _encode_onnx(self, texts: list[str]) -> np.ndarray:
        if self._onnx is None:
            from .embed_onnx import OnnxEncoder

            self._onnx = OnnxEncoder(self.model, self._resolved.model_id, int8=self.backend == "onnx-int8")
        return self._onnx.encode(texts, max_seq_length=self.max_seq_length, batch_size=self.batch_size)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.model_id!r})"


_EMBEDDERS: dict[tuple[Any, ...], SentenceTransformerEmbedder] = {}


def get_embedder(
    model: str | os.PathLike[str] | Embedder | None = None,
    *,
    cache: bool | str | os.PathLike[str] = True,
    **kwargs: Any,
) -> Embedder:
    """Return an :class:`Embedder` for a name, a path or an existing embedder.

    Embedders built from names are memoised per (model, cache, settings), so
    estimators that share a model share one loaded copy. A name may end in
    ``+onnx`` or ``+onnx-int8`` to pick the embedding backend (``"default+onnx-int8"``);
    unlike an embedder object, such a name is saved with a model and comes back on load.
    """
    if model is not None and not isinstance(model, (str, os.PathLike)):
        if isinstance(model, Embedder):
            return model
        if hasattr(model, "encode"):  # a raw SentenceTransformer, for example
            return _WrappedEncoder(model)
        raise InputError(f"embedding_model must be a name, a path or an Embedder, got {type(model).__name__}")
    name = os.fspath(model) if model is not None else "default"
    # "<model>+<backend>" (e.g. "default+onnx-int8"): a plain string that estimators can save and load
    base, plus, suffix = name.rpartition("+")
    if plus and suffix in _backends() and "backend" not in kwargs and not Path(name).exists():
        name, kwargs = base, {**kwargs, "backend": suffix}
    key = (name, str(cache), tuple(sorted(kwargs.items())))
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = SentenceTransformerEmbedder(name, cache=cache, **kwargs)
    return _EMBEDDERS[key]


def _backends() -> tuple[str, ...]:
    from .embed_onnx import BACKENDS

    return BACKENDS


class _WrappedEncoder:
    """Adapter for an object with a sentence-transformers style ``encode``."""

    def __init__(self, model: Any):
        self._model = model
        self.model_id = f"object:{type(model).__name__}"

    @property
    def dim(self) -> int:
        return int(self.encode(["dimension probe"]).shape[1])

    def encode(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray:
        texts = list(texts)
        out = np.asarray(self._model.encode(texts), dtype=np.float32)
        if out.ndim != 2 or out.shape[0] != len(texts):
            raise InputError(f"embedding model returned shape {out.shape} for {len(texts)} texts")
        return l2_normalize(out)
