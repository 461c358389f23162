"""BERTopic interop for :class:`~textmine.TopicModel`: :func:`to_bertopic` and the ``to_bertopic`` method.

BERTopic is imported only when called (``pip install "textmine[bertopic]"``).  The public entry
points are ``TopicModel.to_bertopic`` and :mod:`textmine.integrations.bertopic`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import as_documents, check_int
from ..errors import InputError

__all__ = ["BertopicMixin", "to_bertopic"]


def _import_bertopic() -> Any:
    try:
        import bertopic
    except ImportError:
        raise InputError('to_bertopic needs BERTopic: pip install "textmine[bertopic]"') from None
    return bertopic


class BertopicMixin:
    """``to_bertopic`` for :class:`~textmine.TopicModel`."""

    def to_bertopic(self, docs: Sequence[str], *, embeddings: np.ndarray | None = None,
                    top_n_words: int = 10) -> Any:
        """A fitted ``BERTopic`` holding this model's topics for ``docs`` (see :func:`to_bertopic`)."""
        return to_bertopic(self, docs, embeddings=embeddings, top_n_words=top_n_words)


def to_bertopic(model: Any, docs: Sequence[str], *, embeddings: np.ndarray | None = None,
                top_n_words: int = 10) -> Any:
    """A fitted ``BERTopic`` object holding ``model``'s topics for ``docs``.

    ``docs`` are assigned by ``model.transform`` (for the training corpus that is exactly
    ``model.labels_``); BERTopic is then fitted "manually" on that assignment (no UMAP, no HDBSCAN:
    ``BaseDimensionalityReduction`` / ``BaseCluster`` with ``y``), which computes its c-TF-IDF,
    topic embeddings and document table, and keeps textmine's topic ids.  Each topic's words,
    label (as a BERTopic custom label) and representative documents are then textmine's.
    ``embeddings``: the documents' embeddings if the model was fitted on precomputed ones.
    """
    _import_bertopic()
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.feature_extraction.text import CountVectorizer

    from ..embed import get_embedder
    from .embedding import embed_for, embedding_model_of

    model._check_fitted("topics_")
    check_int(top_n_words, "top_n_words", minimum=1)
    texts = as_documents(docs)
    idx = np.arange(len(texts))
    E = embed_for(model, texts, idx, embeddings, "to_bertopic")  # a model on precomputed ones demands them
    labels = model.transform(texts, embeddings=E)
    if (labels < 0).all():
        raise InputError("every document is an outlier for this model: BERTopic needs at least one topic")
    st = None
    if embeddings is None:
        st = getattr(get_embedder(embedding_model_of(model)), "model", None)  # BERTopic.transform can embed new docs
    n = len(model.topics_)
    bt = BERTopic(
        embedding_model=st,
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=BaseCluster(),
        vectorizer_model=CountVectorizer(stop_words="english"),
        top_n_words=int(top_n_words),
        nr_topics=n + 1,  # an int above the topic count: BERTopic keeps the ids instead of sorting by size
    )
    bt.fit(list(texts), embeddings=np.asarray(E, dtype=np.float32), y=labels.tolist())
    bt.nr_topics = None
    present = set(int(t) for t in bt.topic_representations_)
    reps = dict(bt.topic_representations_)
    for t in model.topics_:
        if t.id in present:
            words = [(w, float(s)) for w, s in t.words[: int(top_n_words)]]
            reps[t.id] = words + [("", 0.0)] * (int(top_n_words) - len(words))
            bt.representative_docs_[t.id] = list(t.representative_docs)
    bt.topic_representations_ = reps
    custom = {t.id: t.label for t in model.topics_ if t.label and t.id in present}
    if custom:
        bt.set_topic_labels(custom)
    return bt
