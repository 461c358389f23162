"""Topic-model evaluation: NPMI coherence, topic diversity, NMI / ARI, outlier share.

Tokenization (used for NPMI): lower-cased text split with scikit-learn's
default ``token_pattern`` ``(?u)\\b\\w\\w+\\b`` (tokens of 2+ word characters).
Co-occurrence is counted per *document* (the window is the whole document,
the common OCTIS / Roder et al. choice on short corpora): ``p(w)`` is the
share of reference documents containing ``w``, ``p(w1, w2)`` the share
containing both. A topic word that is a phrase is split into tokens and
counts as present in a document when all of its tokens are.

    NPMI(w1, w2) = log(p(w1, w2) / (p(w1) p(w2))) / -log(p(w1, w2))

with NPMI = -1 when the two words never co-occur and +1 when ``p(w1, w2) = 1``.
A topic's coherence is the mean NPMI over all pairs of its top-``top_n``
words that occur in the reference corpus (words absent from it are skipped and
counted in ``missing_words``); the model's coherence is the mean over topics.

>>> from textmine.evaluation import npmi_coherence, topic_diversity
>>> ref = ["cat dog", "cat dog", "cat fish", "bird"]
>>> round(npmi_coherence([["cat", "dog"]], ref), 4)
0.415
>>> topic_diversity([["a", "b"], ["b", "c"]], top_n=2)
0.75
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = [
    "npmi_coherence",
    "npmi_per_topic",
    "topic_diversity",
    "clustering_scores",
    "outlier_share",
    "topic_words",
    "TOKEN_PATTERN",
]

TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")


def _tokens(text: str) -> list[str]:
    return TOKEN_PATTERN.findall(text.lower())


def topic_words(topics: Any, top_n: int | None = None) -> list[list[str]]:
    """Word lists from a fitted TopicModel, a list of Topic objects or a list of word lists."""
    if hasattr(topics, "topics_"):
        topics = topics.topics_
    out = []
    for t in topics:
        if hasattr(t, "words"):
            ws = [w for w, _ in t.words]
        else:
            ws = [w if isinstance(w, str) else w[0] for w in t]
        out.append(ws[:top_n] if top_n else ws)
    return out


def npmi_per_topic(topics: Any, reference: Sequence[str], *, top_n: int = 10) -> list[float]:
    """NPMI coherence of each topic's top-``top_n`` words on the reference corpus (nan if < 2 known words)."""
    words = topic_words(topics, top_n)
    if isinstance(reference, str):
        raise InputError("reference must be a list of documents, not a str")
    needed: set[str] = set()
    for ws in words:
        for w in ws:
            needed.update(_tokens(w))
    # documents (as sets of indices) containing each needed token
    postings: dict[str, set[int]] = {w: set() for w in needed}
    n_docs = 0
    for i, doc in enumerate(reference):
        n_docs += 1
        for tok in set(_tokens(doc)) & needed:
            postings[tok].add(i)
    if n_docs == 0:
        raise InputError("the reference corpus is empty")

    def docs_of(word: str) -> set[int]:
        toks = _tokens(word)
        if not toks:
            return set()
        s = set(postings[toks[0]])
        for t in toks[1:]:
            s &= postings[t]
        return s

    scores = []
    for ws in words:
        present = [docs_of(w) for w in dict.fromkeys(ws)]
        present = [d for d in present if d]
        vals = []
        for a, b in combinations(present, 2):
            joint = len(a & b) / n_docs
            if joint == 0:
                vals.append(-1.0)
            elif joint == 1:
                vals.append(1.0)
            else:
                pa, pb = len(a) / n_docs, len(b) / n_docs
                vals.append(math.log(joint / (pa * pb)) / -math.log(joint))
        scores.append(float(np.mean(vals)) if vals else float("nan"))
    return scores


def npmi_coherence(topics: Any, reference: Sequence[str], *, top_n: int = 10) -> float:
    """Mean NPMI coherence over topics (topics with fewer than 2 known words are ignored)."""
    per = [s for s in npmi_per_topic(topics, reference, top_n=top_n) if not math.isnan(s)]
    return float(np.mean(per)) if per else float("nan")


def topic_diversity(topics: Any, *, top_n: int = 25) -> float:
    """Share of unique words among the top-``top_n`` words of all topics (Dieng et al. 2020)."""
    words = topic_words(topics, top_n)
    allw = [w for ws in words for w in ws]
    if not allw:
        return float("nan")
    return len(set(allw)) / len(allw)


def outlier_share(labels: Sequence[int]) -> float:
    """Share of documents with topic -1."""
    lab = np.asarray(labels)
    return float((lab == -1).mean()) if lab.size else float("nan")


def clustering_scores(labels: Sequence[int], gold: Sequence[Any]) -> dict[str, float]:
    """NMI (arithmetic normalisation, sklearn's default) and ARI of topic assignments against gold labels.

    Outliers (-1) count as one more cluster, as in BERTopic evaluations.
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    lab = np.asarray(labels)
    gold = list(gold)
    if len(lab) != len(gold):
        raise InputError(f"{len(lab)} labels but {len(gold)} gold labels")
    return {
        "nmi": float(normalized_mutual_info_score(gold, lab)),
        "ari": float(adjusted_rand_score(gold, lab)),
    }
