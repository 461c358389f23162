"""Near-duplicate grouping of documents, in bounded memory.

KeyLLM (keybert) saves LLM calls by giving near-duplicate documents the same
keywords: it finds them with ``sentence_transformers.util.community_detection``,
which builds the full ``n x n`` similarity matrix (about 7 GB at 42,000
documents).  :func:`group_near_duplicates` finds the same kind of groups with a
blocked search: it never holds more than ``block_rows x n`` similarities at a
time (``max_memory_mb``), so memory grows linearly with the corpus.

Groups are *stars*, not chains: every member is within ``threshold`` cosine
similarity of its group's representative (the first document of the group in
corpus order), whose LLM answer it receives.  Chaining by union-find would let
``A ~ B ~ C`` put ``A`` and ``C`` together even when they are not alike.

>>> import numpy as np
>>> from textmine.keywords.grouping import group_near_duplicates
>>> X = np.array([[1, 0], [0.999, 0.045], [0, 1]], dtype=np.float32)
>>> X /= np.linalg.norm(X, axis=1, keepdims=True)
>>> group_near_duplicates(X, threshold=0.95).tolist()
[0, 0, 2]
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["group_near_duplicates", "groups_from_labels"]


def group_near_duplicates(
    X: np.ndarray,
    threshold: float = 0.95,
    *,
    max_memory_mb: float = 64.0,
) -> np.ndarray:
    """Return, for each row of ``X``, the index of its group's representative.

    Parameters
    ----------
    X:
        ``(n, d)`` matrix of L2-normalised embeddings (cosine = dot product).
    threshold:
        Minimum cosine similarity between a document and its representative.
    max_memory_mb:
        Upper bound for the similarity block computed at once (float32).

    Returns
    -------
    numpy.ndarray
        ``labels`` of shape ``(n,)``: ``labels[i] == i`` for representatives,
        otherwise the index ``j < i`` of the representative document ``i``
        is a near-duplicate of.  Representatives are chosen greedily in corpus
        order (the first document of a group leads it).
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise InputError(f"X must be a 2-D matrix, got shape {X.shape}")
    if not 0.0 < float(threshold) <= 1.0:
        raise InputError(f"threshold must be in (0, 1], got {threshold!r}")
    n = X.shape[0]
    labels = np.arange(n, dtype=np.int64)
    if n < 2:
        return labels
    thr = np.float32(threshold) - np.float32(1e-6)  # tolerate float32 rounding of exact copies
    is_leader = np.zeros(n, dtype=bool)
    block = max(1, int(max_memory_mb * 1024 * 1024 // (4 * n)))
    for start in range(0, n, block):
        stop = min(n, start + block)
        # similarities of this block of rows to every earlier-or-same row
        sims = X[start:stop] @ X[:stop].T  # (stop - start, stop) <= block x n floats
        rows, cols = np.nonzero(sims >= thr)
        del sims
        keep = cols < rows + start  # only earlier documents can lead a later one
        rows, cols = rows[keep], cols[keep]
        # for each row, candidate leaders in increasing index order
        order = np.lexsort((cols, rows))
        rows, cols = rows[order], cols[order]
        bounds = np.searchsorted(rows, np.arange(stop - start + 1))
        for r in range(stop - start):
            i = start + r
            lo, hi = bounds[r], bounds[r + 1]
            leader = -1
            for j in cols[lo:hi]:
                if is_leader[j]:
                    leader = int(j)
                    break
            if leader < 0:
                is_leader[i] = True
            else:
                labels[i] = leader
    return labels


def groups_from_labels(labels: np.ndarray) -> dict[int, list[int]]:
    """``{representative: [members...]}`` (members include the representative)."""
    groups: dict[int, list[int]] = {}
    for i, lead in enumerate(np.asarray(labels).tolist()):
        groups.setdefault(int(lead), []).append(i)
    return groups
