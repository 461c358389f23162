"""The discovery and rule half of ``TopicModel.fit``, shared by the in-memory fit and the dask path.

:func:`discover_and_rule` runs discovery (:mod:`.discovery`) on unit embeddings ``X`` of non-blank
``texts`` and learns the assignment rule (:mod:`.assignment`) from it, setting the model's rule
attributes (``topic_embeddings_``, ``thresholds_``, the classifier, ``zero_shot_topics_`` ...).
``TopicModel.fit`` runs it on the whole corpus; :mod:`textmine.scale` runs it on a sample and then
assigns every document with the rule it sets, exactly as ``transform`` does.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import numpy as np

from .assignment import fit_rule, unit_rows
from .discovery import Discovery, Found
from .embedding import embed_texts, embedding_model_of
from .params import min_topic_size

__all__ = ["discover_and_rule", "Discovered"]


class Discovered(NamedTuple):
    found: Found  #: the discovery result (all groups)
    keep: list[int]  #: the groups that became topics, in topic-id order
    min_size: int  #: the minimum topic size discovery used


def discover_and_rule(
    model: Any, X: np.ndarray, texts: list[str], k: int | None, share: float | str, names: list[str] | None,
    timings: dict[str, float],
) -> Discovered:
    """Discovery on ``X`` / ``texts``, then the rule; sets the model's rule attributes (see the module docs)."""
    t0 = time.perf_counter()
    Z = embed_texts(embedding_model_of(model), names, what="zero_shot_topics", dim=X.shape[1]) if names else None
    mcs = min_topic_size(model, len(X))
    found = Discovery.from_model(model).topics(X, texts, k, mcs, names=names, name_embeddings=Z,
                                               min_similarity=model.zero_shot_min_similarity)
    timings["discover"] = time.perf_counter() - t0

    # assignment: the classifier learns the discovery labels of every document (zero-shot topics first),
    # thresholds from the assignment of the training docs
    t0 = time.perf_counter()
    model.n_clusters_found_ = found.n_found
    centroids = unit_rows(found.sums)
    teach = found.labels if model.assignment == "classifier" and len(centroids) >= 2 else None
    if share == "hdbscan":
        share = found.noise_share
    rule = fit_rule(X, centroids, share=share, teach=teach, outlier_threshold=model.outlier_threshold)

    # drop topics nobody is assigned to (cannot change anyone's argmax), order by size
    counts = np.bincount(rule.labels[rule.labels >= 0], minlength=len(centroids))
    nearest = np.bincount(rule.near, minlength=len(centroids))
    keep = [int(t) for t in np.argsort(-counts, kind="stable")
            if nearest[t] > 0 or (k is not None and found.names[t] is None)]
    model.topic_embeddings_, model.thresholds_, model.classifier_coef_, model.classifier_intercept_ = rule.parts(keep)
    model.noise_share_ = found.noise_share
    model.outlier_share_ = float(share)
    model.zero_shot_topics_ = {i: found.names[t] for i, t in enumerate(keep) if found.names[t] is not None}
    model.min_topic_size_ = int(mcs)
    timings["assign"] = time.perf_counter() - t0
    return Discovered(found, keep, int(mcs))
