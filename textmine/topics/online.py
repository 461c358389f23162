"""Incremental (streaming) topic modeling: the state behind :meth:`TopicModel.partial_fit`.

:func:`init_state` sets up the incremental state at the end of a full fit: running centroid
sums and counts, the word counts per topic (a :class:`~textmine.topics.terms.TermCounts`,
whose vocabulary grows with the stream) and a buffer of outlier documents.

:func:`partial_fit` is the update rule (see :meth:`TopicModel.partial_fit`):

0. only for ``assignment="centroid"`` models (a classifier cannot be updated this way);
1. assign the new documents with the current centroids and thresholds (the one rule);
2. add each assigned document's embedding to its topic's running sum (the centroid is the
   normalised size-weighted mean) and its words to the topic's counts;
3. keep the outliers in a buffer (embeddings and texts; at most :data:`MAX_OUTLIER_BUFFER`);
4. once the buffer holds at least ``2 * min_topic_size_`` documents and at least
   ``min_topic_size_`` arrived since the last attempt, run the discovery stage on it: a new
   cluster more similar than ``merge_threshold`` to an existing topic is folded into that
   topic, any other becomes a new topic (appended: existing ids never change);
5. ``labels_`` = the rule applied to the batch with the final centroids and thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._validation import as_documents, is_blank
from ..errors import InputError
from .assignment import assign, cosine_similarities, outlier_thresholds, unit_rows
from .discovery import Discovery
from .embedding import embed_for, merge_threshold_of
from .params import check_params, target_k
from .represent import model_topic_words, representative_docs
from .terms import TermCounts, make_analyzer, vocabulary_mask
from .topic import Topic

if TYPE_CHECKING:  # pragma: no cover
    from .model import TopicModel

__all__ = ["TermCounts", "partial_fit", "init_state", "MAX_OUTLIER_BUFFER", "make_analyzer", "vocabulary_mask"]

#: at most this many outlier documents are kept for later topic discovery (the oldest are dropped)
MAX_OUTLIER_BUFFER = 20_000


# ----------------------------------------------------------------------------- the update rule


def init_state(
    model: TopicModel, texts: list[str], X: np.ndarray, labels: np.ndarray, sums: np.ndarray, counts: np.ndarray
) -> None:
    """Running centroid sums, word counts per topic and the outlier buffer, from a full fit."""
    model.centroid_sums_ = np.asarray(sums, dtype=np.float64).reshape(len(model.topic_embeddings_), X.shape[1])
    model.centroid_counts_ = np.asarray(counts, dtype=np.int64)
    _, analyzer = make_analyzer(model.vectorizer, len(texts), getattr(model, "language_", "en"))
    tc = TermCounts(len(model.topic_embeddings_))
    D = tc.add_docs(texts, analyzer)
    tc.add_to_topics(labels, D)
    model.term_counts_ = tc
    out = np.flatnonzero(labels < 0)[-MAX_OUTLIER_BUFFER:]
    model.outlier_texts_ = [texts[i] for i in out]
    model.outlier_embeddings_ = np.asarray(X[out], dtype=np.float32).reshape(len(out), X.shape[1])
    model.n_new_outliers_ = 0


def _append_buffer(model: TopicModel, texts: list[str], X: np.ndarray) -> None:
    if not len(texts):
        return
    model.outlier_texts_ = list(model.outlier_texts_) + list(texts)
    model.outlier_embeddings_ = np.concatenate(
        [np.asarray(model.outlier_embeddings_, dtype=np.float32).reshape(-1, X.shape[1]), X.astype(np.float32)]
    )
    extra = len(model.outlier_texts_) - MAX_OUTLIER_BUFFER
    if extra > 0:
        model.outlier_texts_ = model.outlier_texts_[extra:]
        model.outlier_embeddings_ = model.outlier_embeddings_[extra:]
    model.n_new_outliers_ = int(model.n_new_outliers_) + len(texts)


def partial_fit(model: TopicModel, docs: Sequence[str], embeddings: np.ndarray | None) -> TopicModel:
    """The update rule of :meth:`TopicModel.partial_fit` (steps 0-5 of the module docs)."""
    if model.assignment != "centroid" or getattr(model, "classifier_coef_", None) is not None:
        raise InputError(
            'partial_fit needs assignment="centroid": streaming updates move the topic centroids, '
            'but cannot retrain the default classifier. Use TopicModel(assignment="centroid").partial_fit(...)'
        )
    if not hasattr(model, "topic_embeddings_"):
        return model.fit(docs, embeddings=embeddings)
    if not hasattr(model, "term_counts_"):
        raise InputError(
            "this model has no incremental state (it was saved by an older textmine, format version 1, or merged "
            "from such a model): partial_fit needs a model fitted or saved by this version; fit it again"
        )
    docs = as_documents(docs)
    check_params(model)
    blank = np.array([is_blank(d) for d in docs], dtype=bool)
    idx = np.flatnonzero(~blank)
    X = embed_for(model, docs, idx, embeddings, "partial_fit")
    texts = [docs[i] for i in idx]
    tc: TermCounts = model.term_counts_
    n_before = len(model.topics_)

    # 1-2. assign with the current centroids; running sums, sizes and word counts of the members
    lab1, _ = assign(X, model.topic_embeddings_, model.thresholds_) if len(idx) else (np.zeros(0, np.int64), None)
    _, analyzer = make_analyzer(model.vectorizer, tc.n_docs + len(texts), getattr(model, "language_", "en"))
    D = tc.add_docs(texts, analyzer)
    tc.add_to_topics(lab1, D)
    sums = np.array(model.centroid_sums_, dtype=np.float64, copy=True)
    counts = np.array(model.centroid_counts_, dtype=np.int64, copy=True)
    for t in np.unique(lab1[lab1 >= 0]):
        members = lab1 == t
        sums[t] += X[members].astype(np.float64).sum(axis=0)
        counts[t] += int(members.sum())
        model.topics_[t].size += int(members.sum())
    model.centroid_sums_ = sums
    model.centroid_counts_ = counts
    model.topic_embeddings_ = unit_rows(sums)

    # 3. outliers wait in the buffer
    out = lab1 < 0
    _append_buffer(model, [texts[i] for i in np.flatnonzero(out)], X[out])

    # 4. discovery among the accumulated outliers
    mcs = int(model.min_topic_size_)
    if (
        target_k(model) is None
        and len(model.outlier_texts_) >= 2 * mcs
        and model.n_new_outliers_ >= mcs
    ):
        _discover_in_buffer(model, analyzer)

    # 5. labels of this batch with the final centroids
    labels, _ = assign(X, model.topic_embeddings_, model.thresholds_) if len(idx) else (np.zeros(0, np.int64), None)
    full = np.full(len(docs), -1, dtype=np.int64)
    full[idx] = labels
    model.labels_ = full
    model.n_docs_seen_ = int(getattr(model, "n_docs_seen_", 0)) + len(docs)

    # 6. words of every topic from the running counts
    words = model_topic_words(model)
    for t, topic in enumerate(model.topics_):
        topic.words = list(words.get(t, []))[: model.top_n_words]
    new = model.topics_[n_before:]
    if new and model.labeler is not None:
        for topic, lab in zip(new, model.labeler.label(new)):
            topic.label = lab
    return model


def _discover_in_buffer(model: TopicModel, analyzer: Callable[[str], list[str]]) -> None:
    model.n_new_outliers_ = 0
    Xb = np.asarray(model.outlier_embeddings_, dtype=np.float32)
    tb = list(model.outlier_texts_)
    mcs = int(model.min_topic_size_)
    group, gsums, gcounts, _, _ = Discovery.from_model(model).groups(Xb, tb, None, mcs, allow_no_clusters=True)
    if len(gsums) == 0:
        return
    tc: TermCounts = model.term_counts_
    Db = tc.doc_term(tb, analyzer, grow=False)
    sims = cosine_similarities(unit_rows(gsums), model.topic_embeddings_)
    sums = model.centroid_sums_
    counts = model.centroid_counts_
    taken = np.zeros(len(tb), dtype=bool)
    new_groups: list[int] = []
    folded = np.full(len(tb), -1, dtype=np.int64)
    for g in range(len(gsums)):
        members = group == g
        if int(members.sum()) < mcs:
            continue
        best = int(np.argmax(sims[g])) if sims.shape[1] else -1
        threshold = merge_threshold_of(model)
        if best >= 0 and threshold is not None and sims[g, best] > threshold:
            sums[best] += gsums[g]
            counts[best] += int(gcounts[g])
            model.topics_[best].size += int(members.sum())
            folded[members] = best
            taken |= members
        else:
            new_groups.append(g)
    tc.add_to_topics(folded, Db)

    # new topics, appended after the existing ones
    k0 = len(model.topics_)
    if new_groups:
        cand = unit_rows(np.stack([gsums[g] for g in new_groups]))
        all_c = np.vstack([unit_rows(sums), cand])
        created: list[int] = []
        for j, g in enumerate(new_groups):
            members = np.flatnonzero(group == g)
            near, best_sim = assign(Xb[members], all_c, np.full(len(all_c), -np.inf))
            if not (near == k0 + j).any():  # nobody would be assigned to it: not a topic
                continue
            created.append(g)
        if created:
            share = model.outlier_share_
            new_thr = []
            for g in created:  # the same per-topic threshold rule as fit, over the new topic's documents
                members = np.flatnonzero(group == g)
                s = cosine_similarities(Xb[members], unit_rows(gsums[g])[None, :])[:, 0]
                thr = outlier_thresholds(np.zeros(len(members), dtype=np.int64), s, 1, share)[0]
                if model.outlier_threshold is not None:
                    thr = float(model.outlier_threshold)
                new_thr.append(thr)
            ids = np.arange(k0, k0 + len(created))
            sums = np.vstack([sums, np.stack([gsums[g] for g in created])])
            counts = np.concatenate([counts, np.array([int(gcounts[g]) for g in created], dtype=np.int64)])
            model.thresholds_ = np.concatenate([model.thresholds_, np.array(new_thr, dtype=np.float64)])
            tc.add_topics(len(created))
            lab = np.full(len(tb), -1, dtype=np.int64)
            for t, g in zip(ids, created):
                lab[group == g] = t
            tc.add_to_topics(lab, Db)
            taken |= lab >= 0
            model.centroid_sums_ = sums
            model.centroid_counts_ = counts
            model.topic_embeddings_ = unit_rows(sums)
            for t, g in zip(ids, created):
                members = np.flatnonzero(group == g)
                model.topics_.append(
                    Topic(id=int(t), size=int(len(members)), words=[],
                          representative_docs=representative_docs(tb, Xb, members, model.topic_embeddings_[int(t)],
                                                              model.n_representative_docs))
                )
    model.centroid_sums_ = sums
    model.centroid_counts_ = counts
    model.topic_embeddings_ = unit_rows(sums)
    keep = ~taken
    model.outlier_texts_ = [t for t, k in zip(tb, keep) if k]
    model.outlier_embeddings_ = Xb[keep]
