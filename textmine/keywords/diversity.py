"""Diversity of a keyword list: Maximal Marginal Relevance and Max Sum Similarity (KeyBERT's two methods)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

__all__ = ["mmr_select", "maxsum_select"]


def mmr_select(
    emb: np.ndarray, relevance: np.ndarray, top_n: int, diversity: float, order: Sequence[int] | None = None
) -> list[int]:
    """Maximal Marginal Relevance (Carbonell & Goldstein 1998), as KeyBERT's ``mmr``.

    Picks greedily ``argmax (1 - diversity) * relevance - diversity * max sim(chosen)``.
    Unlike KeyBERT, ``relevance`` is the extractor's full score (with its priors),
    not the bare cosine to the document.
    """
    n = len(relevance)
    top_n = min(top_n, n)
    if top_n == 0:
        return []
    if order is None:
        order = list(np.argsort(-relevance, kind="stable"))
    chosen = [int(order[0])]
    sim = emb @ emb.T
    remaining = [int(i) for i in order[1:]]
    while len(chosen) < top_n and remaining:
        rel = relevance[remaining]
        red = sim[np.ix_(remaining, chosen)].max(axis=1)
        mmr = (1 - diversity) * rel - diversity * red
        pick = remaining[int(np.argmax(mmr))]
        chosen.append(pick)
        remaining.remove(pick)
    return chosen


def maxsum_select(
    emb: np.ndarray, top_n: int, diversity: float, order: Sequence[int], pool_size: int | None = None
) -> list[int]:
    """Max Sum Similarity: the ``top_n`` least mutually similar of the best candidates.

    The pool is the best ``top_n * (1 + 2 * diversity)`` candidates; the search
    is exhaustive when that is cheap (KeyBERT's ``max_sum_distance``) and greedy
    otherwise.  ``pool_size`` (KeyBERT's ``nr_candidates``) sets the pool directly.
    The chosen phrases are returned in ranking order.
    """
    if pool_size is None:
        pool_size = top_n + math.ceil(2 * diversity * top_n)
    pool_size = min(len(order), pool_size)
    pool = [int(i) for i in order[:pool_size]]
    if len(pool) <= top_n:
        return pool
    sim = emb[pool] @ emb[pool].T
    if math.comb(len(pool), top_n) <= 20_000:
        best, best_val = None, math.inf
        for combo in itertools.combinations(range(len(pool)), top_n):
            val = sim[np.ix_(combo, combo)].sum()
            if val < best_val:
                best, best_val = combo, val
        picked = list(best or range(top_n))
    else:
        picked = [0]
        rest = list(range(1, len(pool)))
        while len(picked) < top_n:
            costs = sim[np.ix_(rest, picked)].sum(axis=1)
            j = rest[int(np.argmin(costs))]
            picked.append(j)
            rest.remove(j)
    return [pool[j] for j in sorted(picked)]
