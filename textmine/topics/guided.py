"""Guided (seed words) and zero-shot (topic names) topic modeling helpers.

Guided topics (BERTopic's idea): each seed list is embedded as one text (its
words joined by spaces). A document that contains words of a seed list (whole
words, case-insensitive; a multi-word seed matches as a phrase) gets, for the
*discovery stage only*, the embedding ``normalise(3 * doc + seed)`` -- the
weighted average BERTopic uses -- so documents about a seed drift together and
the clustering and the centroid merge see them as one group; in the merge,
clusters made mostly (at least half) of one seed list's documents are not
merged with clusters of another seed list or of none. Centroids and
assignment stay in the original embedding space, so there is still one
inference path.

Zero-shot topics: each given name is embedded; a document whose cosine
similarity to a name is at least ``zero_shot_min_similarity`` (and highest
among the names) is a member of that named topic, the rest is clustered as
usual. The named topics' centroids are the means of their members' embeddings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from .assignment import cosine_similarities

__all__ = ["check_seed_topics", "check_zero_shot_topics", "check_zero_shot_min_similarity", "seed_matches",
           "nudge", "zero_shot_members", "SEED_WEIGHT"]

#: weight of the document's own embedding against the seed list's (BERTopic: 3 to 1)
SEED_WEIGHT = 3.0


def _is_str_list(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and all(isinstance(w, str) for w in x)


def check_seed_topics(seed_topics: Any) -> list[list[str]] | None:
    """``None`` or a non-empty list of non-empty lists of words, as clean lower-case lists."""
    if seed_topics is None:
        return None
    if isinstance(seed_topics, str) or not isinstance(seed_topics, (list, tuple)) or not seed_topics:
        raise InputError(f"seed_topics must be None or a non-empty list of lists of words, got {seed_topics!r:.80}")
    out = []
    for i, seeds in enumerate(seed_topics):
        if isinstance(seeds, str) or not _is_str_list(seeds) or not seeds:
            raise InputError(
                f"seed_topics[{i}] must be a non-empty list of words (str), got {seeds!r:.80}; "
                "seed_topics is a list of lists, e.g. [['rocket', 'orbit'], ['hockey', 'goal']]"
            )
        words = [" ".join(w.lower().split()) for w in seeds]
        if any(not w for w in words):
            raise InputError(f"seed_topics[{i}] contains an empty word")
        out.append(words)
    return out


def check_zero_shot_topics(names: Any) -> list[str] | None:
    """``None`` or a non-empty list of distinct, non-blank topic names."""
    if names is None:
        return None
    if isinstance(names, str) or not _is_str_list(names) or not names:
        raise InputError(
            f"zero_shot_topics must be None or a non-empty list of topic names (str), got {names!r:.80}"
        )
    clean = [" ".join(n.split()) for n in names]
    if any(not n for n in clean):
        raise InputError("zero_shot_topics contains an empty name")
    if len(set(clean)) != len(clean):
        raise InputError(f"zero_shot_topics has duplicate names: {names!r:.120}")
    return clean


def check_zero_shot_min_similarity(value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not -1 <= float(value) <= 1:
        raise InputError(f"zero_shot_min_similarity must be a cosine similarity in [-1, 1], got {value!r}")
    return float(value)


_WORD = re.compile(r"\w+")


def seed_matches(texts: Sequence[str], seed_topics: list[list[str]]) -> np.ndarray:
    """Number of distinct seed words of each list found in each text: ``(n_texts, n_lists)``."""
    patterns = []
    for seeds in seed_topics:
        singles = {s for s in seeds if " " not in s}
        phrases = [re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, s.split())) + r"(?!\w)") for s in seeds
                   if " " in s]
        patterns.append((singles, phrases))
    out = np.zeros((len(texts), len(seed_topics)), dtype=np.int64)
    for i, text in enumerate(texts):
        low = text.lower()
        tokens = set(_WORD.findall(low))
        for j, (singles, phrases) in enumerate(patterns):
            out[i, j] = len(singles & tokens) + sum(1 for p in phrases if p.search(low))
    return out


def nudge(
    X: np.ndarray, texts: Sequence[str], seed_topics: list[list[str]], seed_embeddings: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Discovery-stage embeddings: documents with seed words pulled toward their seed list's embedding.

    A document with words of several lists goes with the list it has most distinct words of (ties:
    the list whose embedding is most similar to the document). Returns the embeddings and the
    seed list of each document (-1 = none).
    """
    hits = seed_matches(texts, seed_topics)
    has = hits.max(axis=1) > 0
    seed_of = np.full(len(texts), -1, dtype=np.int64)
    if not has.any():
        return X, seed_of
    S = np.asarray(X, dtype=np.float64)[has] @ np.asarray(seed_embeddings, dtype=np.float64).T
    h = hits[has].astype(np.float64)
    score = np.where(h == h.max(axis=1, keepdims=True), S, -np.inf)
    which = score.argmax(axis=1)
    Y = np.array(X, dtype=np.float64, copy=True)
    Y[has] = SEED_WEIGHT * Y[has] + np.asarray(seed_embeddings, dtype=np.float64)[which]
    Y[has] /= np.linalg.norm(Y[has], axis=1, keepdims=True)
    seed_of[has] = which
    return Y.astype(np.float32), seed_of


def zero_shot_members(X: np.ndarray, names: np.ndarray, min_similarity: float) -> np.ndarray:
    """The topic name each document belongs to (-1 = none): its most similar name (unit embeddings
    ``names``), when the cosine similarity is at least ``min_similarity``."""
    S = cosine_similarities(X, names)
    best = S.argmax(axis=1)
    return np.where(S[np.arange(len(X)), best] >= float(min_similarity), best, -1)
