"""Representation stage: the words that describe each topic.

Always starts from class-based TF-IDF (c-TF-IDF, Grootendorst 2022, the
BERTopic formula): the documents of a topic are joined into one class
document, term frequencies are L1-normalised per class and weighted by
``log(1 + A / f_w)`` where ``A`` is the average number of words per class and
``f_w`` the frequency of word ``w`` over all classes. The formula is
re-implemented here (15 lines, checked against ``bertopic``'s
``ClassTfidfTransformer`` in the tests) because importing bertopic costs
~10 s.

Presets on top of the c-TF-IDF candidates:

* ``"ctfidf"`` (default): the top c-TF-IDF words.
* ``"keybert"``: the top-30 c-TF-IDF candidates re-ranked by cosine similarity
  of the word's embedding to the topic centroid (BERTopic's KeyBERTInspired idea).
* ``"mmr"``: maximal marginal relevance over the candidates' embeddings
  (relevance to the centroid vs. redundancy with words already chosen).

Any object with ``__call__(candidates, centroids, embed, top_n)`` works too
(see :class:`Representation`).

The word counts the c-TF-IDF candidates come from are kept in a
:class:`~textmine.topics.terms.TermCounts`. :func:`topic_words` turns them into each topic's
words and :func:`representative_docs` picks a topic's example documents (diverse, close to
its centroid); :func:`represent_topics` builds the :class:`~textmine.topics.Topic` records of
a fitted model from both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from .assignment import cosine_similarities, unit_rows
from .embedding import embedding_model_of, word_embedder
from .topic import Topic

__all__ = [
    "Representation",
    "CTFIDF",
    "KeyBERTInspired",
    "MMR",
    "make_representation",
    "class_tfidf",
    "ctfidf_idf",
    "default_vectorizer",
    "TOKEN_PATTERN",
    "MAX_DOC_CHARS",
    "topic_words",
    "representative_docs",
    "represent_topics",
    "model_topic_words",
]

#: representative documents are stored truncated to this many characters
MAX_DOC_CHARS = 1500

#: words of two or more characters that start with a letter (numbers and 1-letter tokens are dropped)
TOKEN_PATTERN = r"(?u)\b[^\W\d_]\w+\b"

WordList = list[tuple[str, float]]


def default_vectorizer(n_docs: int, language: str = "en") -> Any:
    """CountVectorizer used for topic words: lower-cased, the language's stop words removed
    (other languages than English: :func:`textmine.lang.make_vectorizer`)."""
    from sklearn.feature_extraction.text import CountVectorizer

    if language != "en":
        from ..lang import make_vectorizer

        return make_vectorizer(language, n_docs)

    return CountVectorizer(
        stop_words="english",
        token_pattern=TOKEN_PATTERN,
        lowercase=True,
        min_df=2 if n_docs >= 50 else 1,
    )


def ctfidf_idf(class_counts: sp.spmatrix) -> np.ndarray:
    """The idf part of c-TF-IDF, ``log(1 + A / f_w)``, of a ``(n_classes, n_words)`` count matrix."""
    X = sp.csr_matrix(class_counts, dtype=np.float64)
    df = np.asarray(X.sum(axis=0)).ravel()
    avg = int(X.sum(axis=1).mean()) if X.shape[0] else 0
    with np.errstate(divide="ignore"):
        return np.log(np.where(df > 0, avg / np.maximum(df, 1e-12), 0.0) + 1.0)


def class_tfidf(
    class_counts: sp.spmatrix, *, reduce_frequent_words: bool = False, idf: np.ndarray | None = None
) -> sp.csr_matrix:
    """c-TF-IDF of a ``(n_classes, n_words)`` count matrix (BERTopic's formula, bm25 off).

    ``idf``: use these weights instead of the ones of ``class_counts`` (e.g. the idf of the whole
    corpus for the classes of one time period, as BERTopic's ``topics_over_time`` does).
    """
    X = sp.csr_matrix(class_counts, dtype=np.float64)
    if idf is None:
        idf = ctfidf_idf(X)
    row_sums = np.asarray(X.sum(axis=1)).ravel()
    row_sums[row_sums == 0] = 1.0
    X = sp.diags(1.0 / row_sums) @ X
    if reduce_frequent_words:
        X.data = np.sqrt(X.data)
    return sp.csr_matrix(X @ sp.diags(idf))


@runtime_checkable
class Representation(Protocol):
    """Turns c-TF-IDF candidates into the final topic words.

    ``candidates``: topic id -> [(word, c-TF-IDF weight), ...] best first;
    ``centroids``: topic id -> unit vector; ``embed``: texts -> unit vectors.
    """

    def __call__(
        self,
        candidates: dict[int, WordList],
        centroids: dict[int, np.ndarray],
        embed: Callable[[Sequence[str]], np.ndarray],
        top_n: int,
    ) -> dict[int, WordList]: ...


class CTFIDF:
    """Top c-TF-IDF words, unchanged."""

    def __call__(self, candidates, centroids, embed, top_n):  # noqa: D102
        return {t: list(ws[:top_n]) for t, ws in candidates.items()}

    def __repr__(self) -> str:
        return "CTFIDF()"


class KeyBERTInspired:
    """Re-rank c-TF-IDF candidates by similarity of the word embedding to the topic centroid."""

    def __init__(self, n_candidates: int = 30):
        self.n_candidates = n_candidates

    def __call__(self, candidates, centroids, embed, top_n):  # noqa: D102
        out: dict[int, WordList] = {}
        for t, ws in candidates.items():
            words = [w for w, _ in ws[: self.n_candidates]]
            if not words:
                out[t] = []
                continue
            sims = embed(words) @ centroids[t]
            order = np.argsort(-sims, kind="stable")[:top_n]
            out[t] = [(words[i], float(sims[i])) for i in order]
        return out

    def __repr__(self) -> str:
        return f"KeyBERTInspired(n_candidates={self.n_candidates})"


class MMR:
    """Maximal marginal relevance: ``(1 - diversity) * sim(word, centroid) - diversity * max sim(word, chosen)``."""

    def __init__(self, diversity: float = 0.3, n_candidates: int = 30):
        self.diversity = diversity
        self.n_candidates = n_candidates

    def __call__(self, candidates, centroids, embed, top_n):  # noqa: D102
        out: dict[int, WordList] = {}
        for t, ws in candidates.items():
            words = [w for w, _ in ws[: self.n_candidates]]
            if not words:
                out[t] = []
                continue
            E = embed(words)
            rel = E @ centroids[t]
            chosen = [int(np.argmax(rel))]
            scores = [float(rel[chosen[0]])]
            while len(chosen) < min(top_n, len(words)):
                red = (E @ E[chosen].T).max(axis=1)
                mmr = (1 - self.diversity) * rel - self.diversity * red
                mmr[chosen] = -np.inf
                j = int(np.argmax(mmr))
                chosen.append(j)
                scores.append(float(mmr[j]))
            out[t] = [(words[i], s) for i, s in zip(chosen, scores)]
        return out

    def __repr__(self) -> str:
        return f"MMR(diversity={self.diversity}, n_candidates={self.n_candidates})"


PRESETS = {"ctfidf": CTFIDF, "keybert": KeyBERTInspired, "mmr": MMR}


def make_representation(spec: Any) -> Representation:
    if spec is None:
        return CTFIDF()
    if isinstance(spec, str):
        try:
            return PRESETS[spec.lower()]()
        except KeyError:
            raise InputError(
                f"unknown representation preset {spec!r}; choose one of {tuple(PRESETS)} or pass a callable"
            ) from None
    if callable(spec):
        return spec
    raise InputError(f"representation must be a preset name or a callable, got {type(spec).__name__}")


# ----------------------------------------------------------------------------- topics of a fitted model


def topic_words(
    term_counts: Any,
    centroids: np.ndarray,
    *,
    vectorizer: Any,
    representation: Any,
    top_n_words: int,
    reduce_frequent_words: bool,
    embed_words: Callable[[Sequence[str]], np.ndarray],
    drop_filler_words: bool = False,
) -> dict[int, WordList]:
    """Words of every topic from its word counts (a ``TermCounts``): c-TF-IDF candidates (without corpus-level
    filler words when ``drop_filler_words``, :func:`~textmine.topics.terms.filler_mask`), then the representation."""
    n_topics = len(centroids)
    candidates = term_counts.candidates(vectorizer, n_candidates=max(30, top_n_words),
                                        reduce_frequent_words=reduce_frequent_words, drop_filler=drop_filler_words)
    if not any(candidates.values()):
        return {t: [] for t in range(n_topics)}
    rep = make_representation(representation)
    cents = {t: centroids[t] for t in range(n_topics)}
    return rep(candidates, cents, embed_words, top_n_words)


def model_topic_words(model: Any) -> dict[int, WordList]:
    """:func:`topic_words` of a fitted model, from its ``term_counts_`` and parameters."""
    return topic_words(
        model.term_counts_, model.topic_embeddings_, vectorizer=model.vectorizer,
        representation=model.representation, top_n_words=model.top_n_words,
        reduce_frequent_words=model.reduce_frequent_words, embed_words=word_embedder(embedding_model_of(model)),
        drop_filler_words=getattr(model, "drop_filler_words", False),
    )


def representative_docs(
    texts: Sequence[str], X: np.ndarray, members: np.ndarray, centroid: np.ndarray, n_rep: int
) -> list[str]:
    """Up to ``n_rep`` documents of ``members`` close to the unit ``centroid`` and unlike each other (MMR),
    never the same text twice, truncated to :data:`MAX_DOC_CHARS` characters."""
    if n_rep == 0 or len(members) == 0:
        return []
    sims = cosine_similarities(X[members], centroid[None, :])[:, 0]
    cand = members[np.argsort(-sims, kind="stable")[: max(10, 3 * n_rep)]]
    E = unit_rows(X[cand])
    rel = E @ centroid
    chosen = [0]
    seen = {texts[cand[0]].strip()}
    while len(chosen) < min(n_rep, len(cand)):
        red = (E @ E[chosen].T).max(axis=1)
        score = 0.5 * rel - 0.5 * red
        score[chosen] = -np.inf
        for j in range(len(cand)):  # exact duplicates are never shown twice
            if texts[cand[j]].strip() in seen:
                score[j] = -np.inf
        j = int(np.argmax(score))
        if not np.isfinite(score[j]):
            break
        chosen.append(j)
        seen.add(texts[cand[j]].strip())
    return [texts[cand[j]][:MAX_DOC_CHARS] for j in chosen]


def represent_topics(model: Any, texts: list[str], X: np.ndarray, labels: np.ndarray) -> list[Topic]:
    """The :class:`Topic` records (words from ``model.term_counts_``, representative documents) of the
    non-empty training documents ``texts`` / ``X`` and their ``labels``."""
    centroids = model.topic_embeddings_
    n_topics = len(centroids)
    words = model_topic_words(model) if (labels >= 0).any() and n_topics else {}
    topics = []
    for t in range(n_topics):
        members = np.flatnonzero(labels == t)
        rep_docs = representative_docs(texts, X, members, centroids[t], model.n_representative_docs)
        topics.append(
            Topic(id=t, size=int(len(members)), words=list(words.get(t, []))[: model.top_n_words],
                  representative_docs=rep_docs)
        )
    return topics
