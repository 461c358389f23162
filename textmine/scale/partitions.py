"""Per-partition steps of the dask topic fit and transform (run on the workers), and how their results merge.

* :func:`smallest_keys`: the sampling keys of a partition's non-blank documents, the ``k`` smallest;
* :func:`pick_sample`: the documents of a partition inside the sample (texts, and their vectors);
* :func:`assign_partition`: topic ids by the fitted rule (:func:`textmine.topics.assignment.assign`);
* :func:`topic_stats`: topic sizes, word counts over the sample's vocabulary, and each topic's candidate
  representative documents -- additive aggregates, merged by :func:`merge_stats`.

A document's place is ``(partition number, row in the partition)``: these pairs sort in corpus order
whatever the partitioning, so orders and ties broken by them never depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..topics.assignment import assign, cosine_similarities
from ..topics.terms import TermCounts, make_analyzer
from .workers import EmbedSpec, partition_vectors, sample_key

__all__ = ["KEY_DTYPE", "smallest_keys", "merge_keys", "pick_sample", "assign_partition", "Stats", "topic_stats",
           "merge_stats", "Vocabulary"]

KEY_DTYPE = np.dtype([("key", "<u8"), ("part", "<i8"), ("row", "<i8")])


def _keys(texts: list[str], pidx: int, seed: int) -> np.ndarray:
    rows = [i for i, t in enumerate(texts) if t.strip()]
    out = np.empty(len(rows), dtype=KEY_DTYPE)
    out["key"] = [sample_key(texts[i], seed) for i in rows]
    out["part"] = pidx
    out["row"] = rows
    return out


def smallest_keys(part: Any, pidx: int, seed: int, k: int) -> np.ndarray:
    """The ``k`` smallest (key, partition, row) of the partition's non-blank documents, sorted."""
    return np.sort(_keys(part.tolist(), pidx, seed), order=("key", "part", "row"))[:k]


def merge_keys(parts: list[np.ndarray], k: int) -> np.ndarray:
    return np.sort(np.concatenate(parts), order=("key", "part", "row"))[:k]


def pick_sample(part: Any, pidx: int, seed: int, last: tuple[int, int, int] | None,
                spec: EmbedSpec | None) -> dict[str, Any]:
    """The partition's documents whose (key, partition, row) is at most ``last`` (all when None): their rows,
    texts and, with a ``spec``, vectors (the whole partition is embedded and stored on the way)."""
    texts = part.tolist()
    keys = _keys(texts, pidx, seed)
    if last is None:
        chosen = keys["row"]
    else:
        sel = [tuple(map(int, x)) <= last for x in keys[["key", "part", "row"]].tolist()]
        chosen = keys["row"][np.asarray(sel, dtype=bool)]
    out: dict[str, Any] = {"part": np.full(len(chosen), pidx, dtype=np.int64), "row": chosen.astype(np.int64),
                           "texts": [texts[i] for i in chosen], "X": None}
    if spec is not None:
        idx, X = partition_vectors(texts, spec)
        pos = {int(r): j for j, r in enumerate(idx)}
        out["X"] = X[[pos[int(r)] for r in chosen]] if len(chosen) else X[:0]
    return out


def assign_partition(part: Any, spec: EmbedSpec, rule: tuple[Any, ...]) -> Any:
    """Topic id of each document of the partition (-1: outlier, blank or missing), as an int64 Series."""
    import pandas as pd

    labels = np.full(len(part), -1, dtype=np.int64)
    idx, X = partition_vectors(part.tolist(), spec)
    if len(idx):
        labels[idx] = assign(X, *rule)[0]
    return pd.Series(labels, index=part.index, name="topic")


@dataclass
class Vocabulary:
    """The sample's vocabulary and how to tokenize (the model's vectorizer and language)."""

    words: list[str]
    vectorizer: Any
    language: str


@dataclass
class Stats:
    """Additive aggregates of a set of partitions (see :func:`topic_stats`)."""

    n_total: int
    n_docs: int
    sizes: np.ndarray
    df: np.ndarray
    tf: np.ndarray
    counts: sp.csr_matrix
    cands: list[dict[str, Any]]  #: per topic: sims, part, row, texts, X of the best candidates


def _top(c: dict[str, Any], m: int) -> dict[str, Any]:
    order = np.lexsort((c["row"], c["part"], -c["sims"]))[:m]
    return {"sims": c["sims"][order], "part": c["part"][order], "row": c["row"][order],
            "texts": [c["texts"][i] for i in order], "X": c["X"][order]}


def topic_stats(part: Any, pidx: int, spec: EmbedSpec, rule: tuple[Any, ...], vocab: Vocabulary,
                n_cand: int) -> Stats:
    """Sizes, word counts (document frequencies, totals, per-topic counts over ``vocab``) and the ``n_cand``
    documents of each topic most similar to its centroid, for one partition."""
    texts = part.tolist()
    centroids = rule[0]
    k = len(centroids)
    idx, X = partition_vectors(texts, spec)
    labels = assign(X, *rule)[0] if len(idx) else np.zeros(0, dtype=np.int64)
    kept = [texts[i] for i in idx]
    tc = TermCounts(k)
    tc.words = vocab.words
    tc.index = {w: j for j, w in enumerate(vocab.words)}
    _, analyzer = make_analyzer(vocab.vectorizer, len(vocab.words), vocab.language)
    D = tc.doc_term(kept, analyzer, grow=False)
    V = len(vocab.words)
    df = np.bincount(D.indices, minlength=V).astype(np.int64)
    tf = np.asarray(D.sum(axis=0), dtype=np.int64).ravel()
    tc.add_to_topics(labels, D)
    cands = []
    for t in range(k):
        members = np.flatnonzero(labels == t)
        sims = cosine_similarities(X[members], centroids[t][None, :])[:, 0] if len(members) else np.zeros(0)
        c = {"sims": sims, "part": np.full(len(members), pidx, dtype=np.int64), "row": idx[members].astype(np.int64),
             "texts": [kept[i] for i in members],
             "X": X[members] if len(members) else np.zeros((0, centroids.shape[1]), np.float32)}
        cands.append(_top(c, n_cand))
    sizes = np.bincount(labels[labels >= 0], minlength=k).astype(np.int64)
    return Stats(len(texts), len(idx), sizes, df, tf, sp.csr_matrix(tc.counts, dtype=np.int64), cands)


def merge_stats(parts: list[Stats], n_cand: int) -> Stats:
    """The sum of several :class:`Stats` (candidates: the best ``n_cand`` of each topic over all of them)."""
    first = parts[0]
    cands = []
    for t in range(len(first.cands)):
        cs = [p.cands[t] for p in parts]
        joined = {"sims": np.concatenate([c["sims"] for c in cs]), "part": np.concatenate([c["part"] for c in cs]),
                  "row": np.concatenate([c["row"] for c in cs]), "texts": [x for c in cs for x in c["texts"]],
                  "X": np.concatenate([c["X"] for c in cs])}
        cands.append(_top(joined, n_cand))
    counts = first.counts
    for p in parts[1:]:
        counts = counts + p.counts
    return Stats(sum(p.n_total for p in parts), sum(p.n_docs for p in parts), sum(p.sizes for p in parts),
                 sum(p.df for p in parts), sum(p.tf for p in parts), sp.csr_matrix(counts, dtype=np.int64), cands)
