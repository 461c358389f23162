"""Merging topics: within one model (:func:`reduce_topics`) and across models (:func:`merge_models`).

:func:`reduce_topics` merges the most similar topics of a fitted model (the discovery stage's
centroid merge, :func:`~textmine.topics.discovery.merge_clusters`) and learns the assignment
rule again for the merged topics.

:func:`merge_models` follows BERTopic's ``merge_models`` semantics. The merged model has every topic of the first model (same ids, centroids,
thresholds, words, labels), then, model by model, the topics whose centroid
has a cosine similarity below ``min_similarity`` to every topic already kept
before that model; they get the next ids. A kept topic keeps its own centroid,
threshold, words and representative documents, so new documents are assigned
by the same nearest-centroid rule. The merged model has no training documents
of its own: ``labels_`` is empty (transform documents to label them).

All models must have been fitted with the same embedding model (``embedding_model_id_``)
and dimension. A model fitted on precomputed ``embeddings=`` has the id
``"precomputed"``, which cannot be checked: for it only the dimension is compared.
The parameters are those of the first model. When every model has its
incremental state, the merged model keeps it (word counts over the union
vocabulary, running centroid sums, the outlier buffers), so it can
:meth:`~TopicModel.partial_fit`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._base import TextmineEstimator
from .._validation import as_documents, is_blank
from ..errors import InputError
from .assignment import assign, assign_fitted, cosine_similarities, fit_rule, unit_rows
from .discovery import merge_clusters
from .embedding import embed_for
from .online import MAX_OUTLIER_BUFFER, init_state
from .represent import represent_topics
from .terms import TermCounts

if TYPE_CHECKING:  # pragma: no cover
    from .model import TopicModel

__all__ = ["merge_models", "reduce_topics", "merge_groups"]


def merge_models(models: Sequence[Any], min_similarity: float = 0.7, *, model_class: type | None = None) -> TopicModel:
    """See :meth:`TopicModel.merge_models`. ``model_class``: the class every model must be an instance of
    (``TopicModel.merge_models`` passes its class; default: the class of the first model)."""
    if isinstance(models, (str, bytes)) or not isinstance(models, Sequence) or len(models) == 0:
        raise InputError("merge_models needs a non-empty list of fitted TopicModels")
    if model_class is None:
        model_class = type(models[0])
        if not (isinstance(models[0], TextmineEstimator) and hasattr(model_class, "merge_models")):
            raise InputError(f"models[0] is a {model_class.__name__}, not a TopicModel")
    for i, m in enumerate(models):
        if not isinstance(m, model_class):
            raise InputError(f"models[{i}] is a {type(m).__name__}, not a TopicModel")
        m._check_fitted("topic_embeddings_")
    if isinstance(min_similarity, (bool, np.bool_)) or not isinstance(
        min_similarity, (int, float, np.integer, np.floating)
    ) or not -1 <= float(min_similarity) <= 1:
        raise InputError(f"min_similarity must be a cosine similarity in [-1, 1], got {min_similarity!r}")
    ids = [getattr(m, "embedding_model_id_", None) for m in models]
    known = sorted({i for i in ids if i not in (None, "precomputed")})
    if len(known) > 1:
        raise InputError(f"models were fitted with different embedding models {known}; they cannot be merged")
    dims = [int(m.topic_embeddings_.shape[1]) for m in models]
    if len(set(dims)) > 1:
        raise InputError(f"models have embeddings of different dimensions {dims}; they cannot be merged")

    first = models[0]
    picked: list[tuple[int, int]] = [(0, t) for t in range(len(first.topics_))]
    kept = [np.asarray(first.topic_embeddings_, dtype=np.float64)]
    for mi, m in enumerate(models[1:], start=1):
        E = np.asarray(m.topic_embeddings_, dtype=np.float64)
        if len(E) == 0:
            continue
        K = np.vstack(kept)
        best = cosine_similarities(E, K).max(axis=1) if len(K) else np.full(len(E), -np.inf)
        new = [t for t in range(len(E)) if best[t] < float(min_similarity)]
        picked += [(mi, t) for t in new]
        if new:
            kept.append(E[new])

    # the parameters of the first model, except the rule: a merged model has no training documents to
    # train a classifier on, so it assigns by nearest centroid (and can be streamed into with partial_fit)
    merged = type(first)(**{**first.get_params(deep=False), "assignment": "centroid"})
    merged.classifier_coef_ = None
    merged.classifier_intercept_ = None
    merged.embedding_model_id_ = known[0] if known else ids[0]
    merged.topic_embeddings_ = np.vstack(
        [np.asarray(models[mi].topic_embeddings_[t], dtype=np.float64) for mi, t in picked]
    ).reshape(len(picked), dims[0])
    merged.thresholds_ = np.array([float(models[mi].thresholds_[t]) for mi, t in picked], dtype=np.float64)
    topics = []
    zero_shot = {}
    for new_id, (mi, t) in enumerate(picked):
        topic = copy.deepcopy(models[mi].topics_[t])
        topic.id = new_id
        topics.append(topic)
        name = getattr(models[mi], "zero_shot_topics_", {}).get(t)
        if name is not None:
            zero_shot[new_id] = name
    merged.topics_ = topics
    merged.zero_shot_topics_ = zero_shot
    merged.labels_ = np.zeros(0, dtype=np.int64)
    merged.n_clusters_found_ = len(picked)
    merged.noise_share_ = float(getattr(first, "noise_share_", 0.0))
    merged.outlier_share_ = float(getattr(first, "outlier_share_", 0.0))
    merged.n_docs_seen_ = 0
    merged.timings_ = {}

    # incremental state: only when every model has it (models loaded from format version 1 do not)
    if all(hasattr(m, "term_counts_") for m in models):
        merged.min_topic_size_ = int(first.min_topic_size_)
        merged.centroid_sums_ = np.vstack(
            [np.asarray(models[mi].centroid_sums_[t], dtype=np.float64) for mi, t in picked]
        ).reshape(len(picked), dims[0])
        merged.centroid_counts_ = np.array([int(models[mi].centroid_counts_[t]) for mi, t in picked], dtype=np.int64)
        merged.term_counts_ = TermCounts.union(
            [(m.term_counts_, [t for mj, t in picked if mj == mi]) for mi, m in enumerate(models)]
        )
        texts: list[str] = []
        embs = []
        for m in models:
            texts += list(m.outlier_texts_)
            embs.append(np.asarray(m.outlier_embeddings_, dtype=np.float32).reshape(-1, dims[0]))
        merged.outlier_texts_ = texts[-MAX_OUTLIER_BUFFER:]
        merged.outlier_embeddings_ = np.vstack(embs)[-MAX_OUTLIER_BUFFER:]
        merged.n_new_outliers_ = 0
    return merged


def reduce_topics(
    model: TopicModel, docs: Sequence[str], n_topics: int, *, embeddings: np.ndarray | None = None
) -> TopicModel:
    """Merge the most similar topics (by centroid, size-weighted) until ``n_topics`` remain.

    ``docs`` must be the training documents: their assignment, the
    thresholds, words and ``labels_`` are recomputed with the same rule.
    Labels from a labeler are dropped (call :meth:`label_topics` again).
    """
    docs = as_documents(docs)
    if len(docs) != len(model.labels_):
        raise InputError(f"reduce_topics needs the {len(model.labels_)} training documents, got {len(docs)}")
    if isinstance(n_topics, bool) or not isinstance(n_topics, (int, np.integer)) or n_topics < 1:
        raise InputError(f"n_topics must be an integer >= 1, got {n_topics!r}")
    if n_topics >= len(model.topics_):
        return model
    idx = np.flatnonzero([not is_blank(d) for d in docs])
    X = embed_for(model, docs, idx, embeddings, "reduce_topics")
    sizes = np.array([max(t.size, 1) for t in model.topics_], dtype=np.float64)
    owner = merge_clusters(model.topic_embeddings_ * sizes[:, None], sizes, target=int(n_topics), threshold=None)
    merge_groups(model, docs, idx, X, owner)
    return model


def merge_groups(model: TopicModel, docs: list[str], idx: np.ndarray, X: np.ndarray, owner: np.ndarray) -> dict[int, int]:
    """Merge the topics of ``model`` that share an ``owner`` value (one per topic) and learn the rule again on
    the training documents ``docs`` (``idx``: the non-blank ones, ``X`` their embeddings). Returns
    ``{old id: new id}`` of the topics that were not merged with another (merged topics lose their label)."""
    sizes = np.array([max(t.size, 1) for t in model.topics_], dtype=np.float64)
    sums = model.topic_embeddings_ * sizes[:, None]
    groups = np.unique(owner)
    centroids = unit_rows(np.stack([sums[owner == g].sum(axis=0) for g in groups]))
    teach = None
    if getattr(model, "classifier_coef_", None) is not None:
        # the classifier learns the merged topics of its own current (outlier-free) assignment
        old_near, _ = assign(X, model.topic_embeddings_, np.full(len(model.topics_), -np.inf),
                             model.classifier_coef_, model.classifier_intercept_)
        new_of_old = np.searchsorted(groups, owner)
        teach = new_of_old[old_near]
    rule = fit_rule(X, centroids, share=model.outlier_share_, teach=teach, outlier_threshold=model.outlier_threshold)
    counts = np.bincount(rule.labels[rule.labels >= 0], minlength=len(centroids))
    keep = list(np.argsort(-counts, kind="stable"))
    # a merged topic keeps the name of its largest zero-shot member
    zs = getattr(model, "zero_shot_topics_", {})
    names = {}
    for new_id, g in enumerate(groups[keep]):
        members = [t for t in np.flatnonzero(owner == g) if int(t) in zs]
        if members:
            names[new_id] = zs[int(max(members, key=lambda t: (sizes[t], -t)))]
    (model.topic_embeddings_, model.thresholds_,
     model.classifier_coef_, model.classifier_intercept_) = rule.parts(keep)
    model.zero_shot_topics_ = names
    labels, _ = assign_fitted(model, X)
    full = np.full(len(docs), -1, dtype=np.int64)
    full[idx] = labels
    model.labels_ = full
    texts = [docs[i] for i in idx]
    group_sums = np.stack([sums[owner == g].sum(axis=0) for g in groups])
    group_sizes = np.array([int(sizes[owner == g].sum()) for g in groups], dtype=np.int64)
    init_state(model, texts, X, labels, group_sums[keep], group_sizes[keep])
    single = {}
    for new_id, g in enumerate(groups[keep]):
        members = np.flatnonzero(owner == g)
        if len(members) == 1:
            single[int(members[0])] = new_id
    model.topics_ = represent_topics(model, texts, X, labels)
    for t, name in names.items():
        model.topics_[t].label = name
    return single
