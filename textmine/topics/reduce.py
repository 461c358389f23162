"""Dimensionality-reduction stage (used only to *discover* topics).

A reducer is any object with ``fit_transform(X) -> ndarray`` (scikit-learn
style). Presets:

* ``"umap"`` (default): UMAP to 5 dimensions, cosine metric, ``min_dist=0``
  (the BERTopic recipe, which keeps the local density structure that HDBSCAN
  needs), with 30 neighbours instead of BERTopic's 15: chosen on the 20 Newsgroups
  train split (NMI 0.567 -> 0.575 with min_topic_size ~ n/200; benchmarks/tune_topics.py).
* ``"pca"``: PCA to 50 dimensions; fast, linear, deterministic.
* ``"none"`` / ``None``: cluster the embeddings as they are.
"""

from __future__ import annotations

import warnings
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import InputError

__all__ = ["Reducer", "make_reducer", "REDUCERS", "Identity"]

REDUCERS = ("umap", "pca", "none")

#: below this many documents UMAP is not used (its graph is meaningless); embeddings are clustered directly
MIN_DOCS_FOR_UMAP = 30


@runtime_checkable
class Reducer(Protocol):
    def fit_transform(self, X: np.ndarray) -> np.ndarray: ...


class Identity:
    """No reduction."""

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X)

    def __repr__(self) -> str:
        return "Identity()"


def make_reducer(spec: Any, *, n_samples: int, n_features: int, random_state: int | None) -> Reducer:
    """Return a fresh reducer for a preset name or a clone of a user object."""
    if spec is None or (isinstance(spec, str) and spec.lower() == "none"):
        return Identity()
    if isinstance(spec, str):
        name = spec.lower()
        if name == "umap":
            if n_samples < MIN_DOCS_FOR_UMAP:
                return Identity()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from umap import UMAP
            return UMAP(
                n_neighbors=min(30, n_samples - 1),
                n_components=5,
                min_dist=0.0,
                metric="cosine",
                random_state=random_state,
                low_memory=True,
                n_jobs=1 if random_state is not None else -1,
            )
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
