"""Word counts per topic over a growing vocabulary: the counting half of the representation stage.

:class:`TermCounts` keeps, for every topic, the counts of every word seen so
far (a vocabulary that grows with the stream), plus each word's document
frequency and total count over all non-empty documents. Topic words are
c-TF-IDF over these counts (:mod:`.represent`), after the vectorizer's vocabulary rules
(``min_df``, ``max_df``, ``max_features``, a fixed ``vocabulary``) are applied
to the running document frequencies -- for a single batch this gives exactly
what a ``CountVectorizer`` fitted on that batch gives. ``fit`` fills it, ``partial_fit``
adds to it, ``merge_models`` joins several (:meth:`TermCounts.union`).

Before counting, every text goes through :func:`clean_markup` (HTML entities decoded, also those
that lost their ``&`` as in AG News's ``#39;s`` / ``amp;``; tags, URLs and, in the first two lines,
news-agency credits such as ``(AP)`` or a line opening with ``AFP - `` removed), so ``amp``, ``quot``, ``lt`` or ``fullquote``
never become topic words. :func:`filler_mask` finds corpus-level filler ("said", "people", "edu"):
words used at an even rate by nearly every topic, dropped from the topic words when
``TopicModel(drop_filler_words=True)`` (the default).

>>> clean_markup("Johnson  amp; Johnson &lt;A HREF='http://x.com/q'&gt;JNJ.N&lt;/A&gt; #39;s")
"Johnson  & Johnson  JNJ.N  's"

>>> from textmine.topics.terms import TermCounts, make_analyzer
>>> _, analyzer = make_analyzer(None, 2)
>>> tc = TermCounts(n_topics=1)
>>> D = tc.add_docs(["rockets reach orbit", "orbit of the moon"], analyzer)
>>> tc.add_to_topics([0, 0], D)
>>> tc.words, tc.df.tolist()
(['rockets', 'reach', 'orbit', 'moon'], [1, 1, 2, 1])
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from .represent import class_tfidf, default_vectorizer

__all__ = ["TermCounts", "make_analyzer", "vocabulary_mask", "clean_markup", "filler_mask",
           "FILLER_EVENNESS", "FILLER_PRESENCE", "FILLER_MIN_TOPICS"]

#: an entity whose "&" was lost (AG News: "#39;s", "J amp;J", "quot;")
_LOST_AMP = re.compile(r"(?<![&\w])(#\d{1,5};|(?:amp|quot|lt|gt|nbsp|apos);)")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,300})?/?>")  # not uuencoded lines
_URL = re.compile(r"(?:\bhttps?://|\bwww\.)\S+", re.IGNORECASE)
#: news-agency credits in a document's first two lines (title and lead): "(AP)" / "(Reuters)" ending a line,
#: "AFP - " / "SPACE.com - " opening one
_CREDIT = re.compile(r"\s\((?:[A-Z]{2,8}|Reuters|[A-Z][A-Za-z]+\.(?:com|net|org))\)[ \t]*$"
                     r"|^[ \t]*(?:[A-Z]{2,8}|Reuters|[A-Z][A-Za-z]+\.(?:com|net|org))[ \t]+-{1,2}[ \t]", re.MULTILINE)

#: filler: a word whose rate (per word of the topic) has a normalised entropy over the topics of at least
#: FILLER_EVENNESS and that occurs in at least FILLER_PRESENCE of the topics; only with FILLER_MIN_TOPICS
#: topics or more. Chosen on 2,000 documents of 20 Newsgroups' train split (benchmarks/topic_filler.py).
FILLER_EVENNESS = 0.8
FILLER_PRESENCE = 0.9
FILLER_MIN_TOPICS = 5


def clean_markup(text: str) -> str:
    """``text`` without HTML entities, tags, URLs and news-agency credits (see the module docs)."""
    if "&" in text or ";" in text:
        text = _LOST_AMP.sub(r"&\1", text)
        for _ in range(2):  # "&amp;lt;" is "<" escaped twice
            new = html.unescape(text)
            if new == text:
                break
            text = new
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "://" in text or "www." in text.lower():
        text = _URL.sub(" ", text)
    head, nl, rest = text.partition("\n")
    second, nl2, rest = rest.partition("\n")
    return _CREDIT.sub(" ", head + nl + second) + nl2 + rest


def filler_mask(counts: sp.spmatrix) -> np.ndarray:
    """Boolean mask of the filler words of a ``(n_topics, n_words)`` count matrix: used at an even rate by
    nearly every topic (normalised entropy of the per-topic rates >= :data:`FILLER_EVENNESS`, present in
    >= :data:`FILLER_PRESENCE` of the topics); none with fewer than :data:`FILLER_MIN_TOPICS` topics."""
    C = sp.csr_matrix(counts, dtype=np.float64)
    k, V = C.shape
    if k < FILLER_MIN_TOPICS or V == 0:
        return np.zeros(V, dtype=bool)
    totals = np.asarray(C.sum(axis=1)).ravel()
    R = sp.diags(1.0 / np.maximum(totals, 1.0)) @ C  # rate of each word within each topic
    R = sp.csr_matrix(R)
    col_sums = np.asarray(R.sum(axis=0)).ravel()
    P = sp.csr_matrix(R @ sp.diags(1.0 / np.maximum(col_sums, 1e-300)))
    P.data = -P.data * np.log(P.data)
    evenness = np.asarray(P.sum(axis=0)).ravel() / np.log(k)
    C.eliminate_zeros()
    presence = np.bincount(C.indices, minlength=V) / k  # topics using each word (CSR column indices)
    return (evenness >= FILLER_EVENNESS) & (presence >= FILLER_PRESENCE)


def make_analyzer(vectorizer: Any, n_docs: int, language: str = "en") -> tuple[Any, Callable[[str], list[str]]]:
    """The vectorizer to take vocabulary rules from, and its analyzer (text -> tokens)."""
    vec = default_vectorizer(n_docs, language) if vectorizer is None else vectorizer
    if not hasattr(vec, "build_analyzer"):
        raise InputError(
            f"vectorizer must be a scikit-learn CountVectorizer (an object with build_analyzer), got {type(vec).__name__}"
        )
    try:
        analyzer = vec.build_analyzer()
    except Exception as exc:  # noqa: BLE001 - an invalid vectorizer setting
        raise InputError(f"vectorizer {vec!r} cannot build an analyzer: {exc}") from None
    return vec, lambda text: analyzer(clean_markup(text))


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
        self, vectorizer: Any, *, n_candidates: int, reduce_frequent_words: bool, drop_filler: bool = False
    ) -> dict[int, list[tuple[str, float]]]:
        """Best c-TF-IDF words of every topic (ties broken alphabetically), after the vocabulary rules;
        ``drop_filler``: without the :func:`filler_mask` words (c-TF-IDF still counts them)."""
        out: dict[int, list[tuple[str, float]]] = {t: [] for t in range(self.n_topics)}
        if not self.words or self.n_topics == 0:
            return out
        vec = default_vectorizer(self.n_docs) if vectorizer is None else vectorizer
        cols = np.flatnonzero(vocabulary_mask(vec, self.words, self.df, self.tf, self.n_docs))
        if len(cols) == 0 or self.counts.nnz == 0:
            return out
        vocab = np.asarray(self.words, dtype=object)[cols]
        ct = class_tfidf(self.counts[:, cols], reduce_frequent_words=reduce_frequent_words)
        filler = filler_mask(self.counts[:, cols]) if drop_filler else np.zeros(len(cols), dtype=bool)
        for t in range(self.n_topics):
            row = ct.getrow(t).toarray().ravel()
            row[filler] = 0.0
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
