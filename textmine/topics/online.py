"""Incremental (streaming) topic modeling: the state behind :meth:`TopicModel.partial_fit`.

:class:`TermCounts` keeps, for every topic, the counts of every word seen so
far (a vocabulary that grows with the stream), plus each word's document
frequency and total count over all non-empty documents. Topic words are
c-TF-IDF over these counts, after the vectorizer's vocabulary rules
(``min_df``, ``max_df``, ``max_features``, a fixed ``vocabulary``) are applied
to the running document frequencies -- for a single batch this gives exactly
what a ``CountVectorizer`` fitted on that batch gives.

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
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._validation import as_documents, is_blank
from ..errors import InputError
from .represent import class_tfidf, default_vectorizer

if TYPE_CHECKING:  # pragma: no cover
    from .model import TopicModel

__all__ = ["TermCounts", "partial_fit", "MAX_OUTLIER_BUFFER", "make_analyzer", "vocabulary_mask"]

#: at most this many outlier documents are kept for later topic discovery (the oldest are dropped)
MAX_OUTLIER_BUFFER = 20_000


def make_analyzer(vectorizer: Any, n_docs: int) -> tuple[Any, Callable[[str], list[str]]]:
    """The vectorizer to take vocabulary rules from, and its analyzer (text -> tokens)."""
    vec = default_vectorizer(n_docs) if vectorizer is None else vectorizer
    if not hasattr(vec, "build_analyzer"):
        raise InputError(
            f"vectorizer must be a scikit-learn CountVectorizer (an object with build_analyzer), got {type(vec).__name__}"
        )
    try:
        return vec, vec.build_analyzer()
    except Exception as exc:  # noqa: BLE001 - an invalid vectorizer setting
        raise InputError(f"vectorizer {vec!r} cannot build an analyzer: {exc}") from None


def vocabulary_mask(vec: Any, words: Sequence[str], df: np.ndarray, tf: np.ndarray, n_docs: int) -> np.ndarray:
    """Boolean mask of the words a CountVectorizer with ``vec``'s settings would keep for these frequencies."""
    V = len(words)
    fixed = getattr(vec, "vocabulary", None)
    if fixed is not None:
        allowed = set(fixed.keys() if isinstance(fixed, dict) else fixed)
        return np.fromiter((w in allowed for w in words), dtype=bool, count=V)
    min_df = getattr(vec, "min_df", 1)
    max_df = getattr(vec, "max_df", 1.0)
    lo = min_df if isinstance(min_df, (int, np.integer)) else float(min_df) * n_docs
    hi = max_df if isinstance(max_df, (int, np.integer)) else float(max_df) * n_docs
    keep = (df >= lo) & (df <= hi) & (df > 0)
    limit = getattr(vec, "max_features", None)
    if limit is not None and keep.sum() > limit:
        idx = np.flatnonzero(keep)
        w = np.asarray(words, dtype=object)[idx]
        order = idx[np.lexsort((w, -tf[idx]))][: int(limit)]
        keep = np.zeros(V, dtype=bool)
        keep[order] = True
    return keep


class TermCounts:
    """Per-topic word counts over a vocabulary that grows; document frequencies of every word.

    ``counts`` is a ``(n_topics, n_words)`` sparse matrix; ``df`` / ``tf`` are the number of
    documents containing each word and its total count, over all non-empty documents seen
    (members and outliers alike, as a ``CountVectorizer`` fitted on the corpus would count them).
    """

    def __init__(self, n_topics: int = 0):
        self.words: list[str] = []
        self.index: dict[str, int] = {}
        self.df = np.zeros(0, dtype=np.int64)
        self.tf = np.zeros(0, dtype=np.int64)
        self.n_docs = 0
        self.counts = sp.csr_matrix((n_topics, 0), dtype=np.int64)

    @property
    def n_topics(self) -> int:
        return self.counts.shape[0]

    def copy(self) -> TermCounts:
        out = TermCounts()
        out.words = list(self.words)
        out.index = dict(self.index)
        out.df = self.df.copy()
        out.tf = self.tf.copy()
        out.n_docs = self.n_docs
        out.counts = self.counts.copy()
        return out

    def _resize(self) -> None:
        V = len(self.words)
        if self.df.shape[0] < V:
            self.df = np.concatenate([self.df, np.zeros(V - self.df.shape[0], dtype=np.int64)])
            self.tf = np.concatenate([self.tf, np.zeros(V - self.tf.shape[0], dtype=np.int64)])
        if self.counts.shape[1] < V:
            self.counts = sp.csr_matrix(self.counts, shape=(self.counts.shape[0], V), dtype=np.int64)

    def doc_term(self, texts: Sequence[str], analyzer: Callable[[str], list[str]], *, grow: bool) -> sp.csr_matrix:
        """``(len(texts), n_words)`` counts; new words are added to the vocabulary when ``grow``."""
        indptr, indices, data = [0], [], []
        index = self.index
        for text in texts:
            row: dict[int, int] = {}
            for tok in analyzer(text):
                j = index.get(tok)
                if j is None:
                    if not grow:
                        continue
                    j = index[tok] = len(self.words)
                    self.words.append(tok)
                row[j] = row.get(j, 0) + 1
            indices.extend(row.keys())
            data.extend(row.values())
            indptr.append(len(indices))
        self._resize()
        return sp.csr_matrix(
            (np.asarray(data, dtype=np.int64), np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(len(texts), len(self.words)),
        )

    def add_docs(self, texts: Sequence[str], analyzer: Callable[[str], list[str]]) -> sp.csr_matrix:
        """Count new non-empty documents into ``df``/``tf`` and return their document-term matrix."""
        D = self.doc_term(texts, analyzer, grow=True)
        if D.shape[0]:
            self.df += np.bincount(D.indices, minlength=D.shape[1]).astype(np.int64)
            self.tf += np.asarray(D.sum(axis=0), dtype=np.int64).ravel()
        self.n_docs += len(texts)
        return D

    def add_topics(self, n: int) -> None:
        if n > 0:
            self.counts = sp.vstack(
                [self.counts, sp.csr_matrix((n, self.counts.shape[1]), dtype=np.int64)], format="csr"
            )

    def add_to_topics(self, labels: np.ndarray, D: sp.csr_matrix) -> None:
        """Add the rows of ``D`` to the topics in ``labels`` (-1 = not added)."""
        labels = np.asarray(labels)
        rows = np.flatnonzero(labels >= 0)
        if len(rows) == 0:
            return
        D = sp.csr_matrix(D, shape=(D.shape[0], self.counts.shape[1]))
        M = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.int64), (labels[rows], rows)), shape=(self.n_topics, D.shape[0])
        )
        self.counts = sp.csr_matrix(self.counts + M @ D, dtype=np.int64)

    def candidates(
        self, vectorizer: Any, *, n_candidates: int, reduce_frequent_words: bool
    ) -> dict[int, list[tuple[str, float]]]:
        """Best c-TF-IDF words of every topic (ties broken alphabetically), after the vocabulary rules."""
        out: dict[int, list[tuple[str, float]]] = {t: [] for t in range(self.n_topics)}
        if not self.words or self.n_topics == 0:
            return out
        vec = default_vectorizer(self.n_docs) if vectorizer is None else vectorizer
        cols = np.flatnonzero(vocabulary_mask(vec, self.words, self.df, self.tf, self.n_docs))
        if len(cols) == 0 or self.counts.nnz == 0:
            return out
        vocab = np.asarray(self.words, dtype=object)[cols]
        ct = class_tfidf(self.counts[:, cols], reduce_frequent_words=reduce_frequent_words)
        for t in range(self.n_topics):
            row = ct.getrow(t).toarray().ravel()
            nz = np.flatnonzero(row > 0)
            order = nz[np.lexsort((vocab[nz], -row[nz]))][:n_candidates]
            out[t] = [(str(vocab[j]), float(row[j])) for j in order]
        return out

    # -------------------------------------------------------------- persistence helpers

    def to_arrays(self) -> dict[str, np.ndarray]:
        C = self.counts.tocoo()
        return {
            "term_df": self.df.astype(np.int64),
            "term_tf": self.tf.astype(np.int64),
            "term_rows": C.row.astype(np.int64),
            "term_cols": C.col.astype(np.int64),
            "term_vals": C.data.astype(np.int64),
        }

    @classmethod
    def from_arrays(cls, words: list[str], n_docs: int, n_topics: int, arrays: dict[str, np.ndarray]) -> TermCounts:
        out = cls()
        out.words = [str(w) for w in words]
        out.index = {w: i for i, w in enumerate(out.words)}
        if len(out.index) != len(out.words):
            raise ValueError("the saved vocabulary has duplicate words")
        V = len(out.words)
        out.df = np.asarray(arrays["term_df"], dtype=np.int64)
        out.tf = np.asarray(arrays["term_tf"], dtype=np.int64)
        if out.df.shape != (V,) or out.tf.shape != (V,):
            raise ValueError(f"term frequencies of shape {out.df.shape} for {V} words")
        out.n_docs = int(n_docs)
        out.counts = sp.csr_matrix(
            (np.asarray(arrays["term_vals"], dtype=np.int64),
             (np.asarray(arrays["term_rows"], dtype=np.int64), np.asarray(arrays["term_cols"], dtype=np.int64))),
            shape=(n_topics, V), dtype=np.int64,
        )
        return out

    @classmethod
    def union(cls, parts: Sequence[tuple[TermCounts, Sequence[int]]]) -> TermCounts:
        """One state over the union vocabulary: the topic rows ``rows`` of each part, in order; frequencies summed."""
        out = cls()
        for tc, _ in parts:
            for w in tc.words:
                if w not in out.index:
                    out.index[w] = len(out.words)
                    out.words.append(w)
        V = len(out.words)
        out.df = np.zeros(V, dtype=np.int64)
        out.tf = np.zeros(V, dtype=np.int64)
        blocks = []
        for tc, rows in parts:
            remap = np.fromiter((out.index[w] for w in tc.words), dtype=np.int64, count=len(tc.words))
            out.df[remap] += tc.df
            out.tf[remap] += tc.tf
            out.n_docs += tc.n_docs
            C = tc.counts[list(rows)].tocoo() if len(rows) else sp.coo_matrix((0, len(tc.words)))
            blocks.append(sp.csr_matrix((C.data, (C.row, remap[C.col])), shape=(len(rows), V), dtype=np.int64))
        out.counts = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, V), dtype=np.int64)
        out.counts = sp.csr_matrix(out.counts, dtype=np.int64)
        return out


# ----------------------------------------------------------------------------- the update rule


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
    from .model import _normalize64, assign

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
    model._check_params()
    blank = np.array([is_blank(d) for d in docs], dtype=bool)
    idx = np.flatnonzero(~blank)
    X = model._embed(docs, idx, embeddings, fitting=False)
    texts = [docs[i] for i in idx]
    tc: TermCounts = model.term_counts_
    n_before = len(model.topics_)

    # 1-2. assign with the current centroids; running sums, sizes and word counts of the members
    lab1, _ = assign(X, model.topic_embeddings_, model.thresholds_) if len(idx) else (np.zeros(0, np.int64), None)
    _, analyzer = make_analyzer(model.vectorizer, tc.n_docs + len(texts))
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
    model.topic_embeddings_ = _normalize64(sums)

    # 3. outliers wait in the buffer
    out = lab1 < 0
    _append_buffer(model, [texts[i] for i in np.flatnonzero(out)], X[out])

    # 4. discovery among the accumulated outliers
    mcs = int(model.min_topic_size_)
    if (
        model._target_k() is None
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
    words = model._topic_words()
    for t, topic in enumerate(model.topics_):
        topic.words = list(words.get(t, []))[: model.top_n_words]
    new = model.topics_[n_before:]
    if new and model.labeler is not None:
        for topic, lab in zip(new, model.labeler.label(new)):
            topic.label = lab
    return model


def _discover_in_buffer(model: TopicModel, analyzer: Callable[[str], list[str]]) -> None:
    from .model import Topic, _normalize64, assign, cosine_similarities

    model.n_new_outliers_ = 0
    Xb = np.asarray(model.outlier_embeddings_, dtype=np.float32)
    tb = list(model.outlier_texts_)
    mcs = int(model.min_topic_size_)
    group, gsums, gcounts, _, _ = model._discover_groups(Xb, tb, None, mcs, allow_no_clusters=True)
    if len(gsums) == 0:
        return
    tc: TermCounts = model.term_counts_
    Db = tc.doc_term(tb, analyzer, grow=False)
    sims = cosine_similarities(_normalize64(gsums), model.topic_embeddings_)
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
        if best >= 0 and model.merge_threshold is not None and sims[g, best] > model.merge_threshold:
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
        cand = _normalize64(np.stack([gsums[g] for g in new_groups]))
        all_c = np.vstack([_normalize64(sums), cand])
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
                s = cosine_similarities(Xb[members], _normalize64(gsums[g])[None, :])[:, 0]
                thr = model._thresholds(np.zeros(len(members), dtype=np.int64), s, 1, share)[0]
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
            model.topic_embeddings_ = _normalize64(sums)
            for t, g in zip(ids, created):
                members = np.flatnonzero(group == g)
                model.topics_.append(
                    Topic(id=int(t), size=int(len(members)), words=[],
                          representative_docs=model._representative_docs(tb, Xb, members, int(t)))
                )
    model.centroid_sums_ = sums
    model.centroid_counts_ = counts
    model.topic_embeddings_ = _normalize64(sums)
    keep = ~taken
    model.outlier_texts_ = [t for t, k in zip(tb, keep) if k]
    model.outlier_embeddings_ = Xb[keep]
