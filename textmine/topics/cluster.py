"""Clustering stage (used only to *discover* topics).

A clusterer is any object with ``fit_predict(Y) -> labels`` where ``-1`` marks
noise. Presets:

* ``"hdbscan"`` (default): density-based, finds the number of clusters itself
  (``hdbscan`` package; ``min_cluster_size`` from the model's ``min_topic_size``).
  ``cluster_selection_method="leaf"``: the finest stable clusters; the model then
  merges clusters with similar centroids. ("eom", HDBSCAN's default, flips between
  2 huge clusters and ~80 small ones depending on corpus size; measured on AG News
  and StackOverflow, see docs/topics.md.)
* ``"hdbscan-eom"``: the same with HDBSCAN's default excess-of-mass selection.
* ``"fast_hdbscan"``: the ``fast_hdbscan`` package (leaf selection).
* ``"kmeans"``: k-means with exactly ``n_topics`` clusters (needs an integer ``n_topics``).
"""

from __future__ import annotations

import warnings
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import InputError

__all__ = ["Clusterer", "make_clusterer", "CLUSTERERS"]

CLUSTERERS = ("hdbscan", "hdbscan-eom", "fast_hdbscan", "kmeans")


@runtime_checkable
class Clusterer(Protocol):
    def fit_predict(self, Y: np.ndarray) -> np.ndarray: ...


def make_clusterer(
    spec: Any, *, min_cluster_size: int, n_clusters: int | None, random_state: int | None
) -> Clusterer:
    if isinstance(spec, str):
        name = spec.lower()
        if name in ("hdbscan", "hdbscan-eom"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import hdbscan

            return hdbscan.HDBSCAN(
                min_cluster_size=min_cluster_size,
                metric="euclidean",
                cluster_selection_method="eom" if name == "hdbscan-eom" else "leaf",
                core_dist_n_jobs=1,
            )
        if name == "fast_hdbscan":
            import fast_hdbscan

            return fast_hdbscan.HDBSCAN(min_cluster_size=min_cluster_size, cluster_selection_method="leaf", reproducible=True)
        if name == "kmeans":
            if n_clusters is None:
                raise InputError('clustering="kmeans" needs an integer n_topics')
            from sklearn.cluster import KMeans

            return KMeans(n_clusters=n_clusters, n_init=10, random_state=0 if random_state is None else random_state)
        raise InputError(f"unknown clustering preset {spec!r}; choose one of {CLUSTERERS} or pass an object with fit_predict")
    if hasattr(spec, "fit_predict"):
        try:
            from sklearn.base import clone

            return clone(spec)
        except Exception:  # noqa: BLE001
            return spec
    raise InputError(f"clustering must be a preset name or an object with fit_predict, got {type(spec).__name__}")
