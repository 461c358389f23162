"""Dimensionality-reduction stage (used only to *discover* topics).

A reducer is any object with ``fit_transform(X) -> ndarray`` (scikit-learn
style). Presets:

* ``"umap"`` (default): UMAP to 5 dimensions, cosine metric, ``min_dist=0``
  (the BERTopic recipe, which keeps the local density structure that HDBSCAN
  needs), with 30 neighbours instead of BERTopic's 15: chosen on the 20 Newsgroups
  train split (NMI 0.567 -> 0.575 with min_topic_size ~ n/200; benchmarks/tune_topics.py).
  Up to ``EXACT_KNN_MAX`` documents the neighbour graph is exact (:func:`exact_cosine_knn`,
  blocked matrix products) instead of pynndescent's approximate one: on all of 20 Newsgroups
  this takes UMAP from 44.0 s to 19.9 s in a fresh process, most of the saving being
  pynndescent's numba compilation (``benchmarks/investigations/knn_umap.py``); topic quality stays within the
  seed-to-seed spread (``benchmarks/topic_seeds.py``).
* ``"pca"``: PCA to 50 dimensions; fast, linear, deterministic.
* ``"none"`` / ``None``: cluster the embeddings as they are.
"""

from __future__ import annotations

import warnings
from typing import Any, Protocol, runtime_checkable

import numpy as np
from sklearn.base import BaseEstimator

from .._validation import check_positive_int
from ..errors import InputError

__all__ = ["Reducer", "make_reducer", "REDUCERS", "Identity", "UMAPReducer", "exact_cosine_knn"]

REDUCERS = ("umap", "pca", "none")

#: below this many documents UMAP is not used (its graph is meaningless); embeddings are clustered directly
MIN_DOCS_FOR_UMAP = 30

#: up to this many documents UMAP gets an exact neighbour graph (O(n^2) similarities, computed in blocks);
#: at 60,000 MiniLM vectors it takes 23 s against pynndescent's 39 s in a fresh process (benchmarks/knn_scaling.py)
EXACT_KNN_MAX = 60_000


@runtime_checkable
class Reducer(Protocol):
    def fit_transform(self, X: np.ndarray) -> np.ndarray: ...


class Identity:
    """No reduction."""

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X)

    def __repr__(self) -> str:
        return "Identity()"


def exact_cosine_knn(X: np.ndarray, k: int, *, block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest neighbours of every row of ``X`` by cosine distance, each row itself first.

    Returns ``(indices, distances)``, both ``(n, k)``, nearest first (distances ``1 - cos``, clipped
    at 0), as UMAP's ``precomputed_knn`` expects. Similarities are computed ``block`` rows at a time,
    so memory stays at ``block * n`` floats (by default at most about 256 MB).

    >>> X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> idx, dist = exact_cosine_knn(X, 2)
    >>> idx.tolist()
    [[0, 1], [1, 0], [2, 1]]
    """
    X = np.asarray(X, dtype=np.float32)
    n = len(X)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise InputError(f"k must be an int between 1 and the number of rows ({n}), got {k!r}")
    if block is not None:
        check_positive_int(block, "block")
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    Xn = np.ascontiguousarray(X / np.where(norms > 0, norms, 1.0))
    if block is None:
        block = int(np.clip(64_000_000 // max(n, 1), 256, 2048))
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    try:
        import torch  # its top-k is several times faster than numpy's argpartition here
    except ImportError:  # torch comes with sentence-transformers; numpy does the same, slower
        torch = None
    for a in range(0, n, block):
        S = Xn[a : a + block] @ Xn.T
        rows = np.arange(len(S))
        S[rows, a + rows] = np.inf  # a row is its own first neighbour, also among duplicates
        if torch is not None:
            v, i = torch.topk(torch.from_numpy(S), k, dim=1, largest=True, sorted=True)
            sims, nb = v.numpy(), i.numpy()
        else:
            part = np.argpartition(S, len(X) - k, axis=1)[:, len(X) - k :]
            psims = np.take_along_axis(S, part, axis=1)
            order = np.argsort(-psims, axis=1, kind="stable")
            nb, sims = np.take_along_axis(part, order, axis=1), np.take_along_axis(psims, order, axis=1)
        idx[a : a + block] = nb
        d = np.clip(1.0 - sims, 0.0, 2.0)
        d[:, 0] = 0.0
        dist[a : a + block] = d
    return idx, dist


class UMAPReducer(BaseEstimator):
    """UMAP (umap-learn) to ``n_components`` dimensions, cosine metric, on an exact neighbour graph.

    Up to ``exact_knn_max`` rows the k-nearest-neighbour graph comes from :func:`exact_cosine_knn`
    and is handed to UMAP as ``precomputed_knn``; above, UMAP builds its own with pynndescent.
    The fitted ``umap.UMAP`` is ``umap_``. A scikit-learn estimator: ``clone`` and
    ``TopicModel(reduction=UMAPReducer(n_neighbors=15)).set_params(reduction__n_neighbors=50)`` work.

    >>> from textmine import TopicModel
    >>> tm = TopicModel(reduction=UMAPReducer(n_neighbors=15), random_state=0)   # doctest: +SKIP
    """

    def __init__(
        self,
        n_neighbors: int = 30,
        n_components: int = 5,
        min_dist: float = 0.0,
        random_state: int | None = None,
        exact_knn_max: int = EXACT_KNN_MAX,
    ):
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.min_dist = min_dist
        self.random_state = random_state
        self.exact_knn_max = exact_knn_max

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from umap import UMAP
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or len(X) < 3:
            raise InputError(f"UMAPReducer needs a 2-D array of at least 3 rows, got shape {X.shape}")
        k = max(2, min(int(self.n_neighbors), len(X) - 1))
        knn: tuple[Any, Any, Any] = (None, None, None)
        if len(X) <= self.exact_knn_max:
            idx, dist = exact_cosine_knn(X, k)
            knn = (idx, dist, None)
        self.umap_ = UMAP(
            n_neighbors=k,
            n_components=self.n_components,
            min_dist=self.min_dist,
            metric="cosine",
            random_state=self.random_state,
            low_memory=True,
            n_jobs=1 if self.random_state is not None else -1,
            precomputed_knn=knn,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self.umap_.fit_transform(X))


def make_reducer(spec: Any, *, n_samples: int, n_features: int, random_state: int | None) -> Reducer:
    """Return a fresh reducer for a preset name or a clone of a user object."""
    if spec is None or (isinstance(spec, str) and spec.lower() == "none"):
        return Identity()
    if isinstance(spec, str):
        name = spec.lower()
        if name == "umap":
            if n_samples < MIN_DOCS_FOR_UMAP:
                return Identity()
            return UMAPReducer(random_state=random_state)  # 30 neighbours, fewer for fewer rows
        if name == "pca":
            from sklearn.decomposition import PCA

            n = min(50, n_samples, n_features)
            return PCA(n_components=n, random_state=random_state) if n >= 2 else Identity()
        raise InputError(f"unknown reduction preset {spec!r}; choose one of {REDUCERS} or pass an object with fit_transform")
    if hasattr(spec, "fit_transform"):
        try:
            from sklearn.base import clone

            return clone(spec)
        except Exception:  # noqa: BLE001 - not an sklearn estimator: use it as it is
            return spec
    raise InputError(f"reduction must be a preset name or an object with fit_transform, got {type(spec).__name__}")
