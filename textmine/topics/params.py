"""Checks of :class:`~textmine.TopicModel`'s parameters (run by ``fit`` and ``partial_fit``).

Each function reads the public parameters of the model it is given and raises
:class:`~textmine.errors.InputError` with the parameter's name when a value is invalid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from .guided import check_seed_topics, check_zero_shot_min_similarity, check_zero_shot_topics

__all__ = ["check_params", "target_k", "min_topic_size", "outlier_share"]


def target_k(model: Any) -> int | None:
    """``n_topics`` as an int, or ``None`` for ``"auto"``."""
    k = model.n_topics
    if isinstance(k, str):
        if k != "auto":
            raise InputError(f'n_topics must be "auto" or an integer >= 1, got {k!r}')
        return None
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f'n_topics must be "auto" or an integer >= 1, got {k!r}')
    return int(k)


def min_topic_size(model: Any, n: int) -> int:
    """The discovery stage's minimum cluster size for ``n`` documents (``min_topic_size``, resolved)."""
    m = model.min_topic_size
    if m == "auto":
        # 0.5% of the corpus (tuned on the 20 Newsgroups train split, benchmarks/tune_topics.py),
        # at least 10; small corpora: room for at least 4 clusters
        return max(3, min(max(10, n // 200), n // 4))
    if isinstance(m, (bool, np.bool_)) or not isinstance(m, (int, np.integer)) or m < 2:
        raise InputError(f'min_topic_size must be "auto" or an integer >= 2, got {m!r}')
    return int(m)


def outlier_share(model: Any) -> float | str:
    """``outliers`` as a float share, or ``"hdbscan"``."""
    o = model.outliers
    if isinstance(o, str):
        if o != "hdbscan":
            raise InputError(f'outliers must be a share in [0, 1) or "hdbscan", got {o!r}')
        return o
    if isinstance(o, bool) or not isinstance(o, (int, float, np.floating)) or not 0 <= float(o) < 1:
        raise InputError(f'outliers must be a share in [0, 1) or "hdbscan", got {o!r}')
    return float(o)


def check_params(model: Any) -> tuple[int | None, float | str]:
    """Validate the parameters fit and partial_fit use; returns (target k, outlier share)."""
    k = target_k(model)
    share = outlier_share(model)
    for name in ("top_n_words", "n_representative_docs"):
        v = getattr(model, name)
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise InputError(f"{name} must be an integer >= 0, got {v!r}")
    for name in ("outlier_threshold", "merge_threshold"):
        v = getattr(model, name)
        if name == "merge_threshold" and isinstance(v, str) and v == "auto":
            continue
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, (int, float, np.floating)) or not -1 <= v <= 1
        ):
            also = ', "auto"' if name == "merge_threshold" else ""
            raise InputError(f"{name} must be a cosine similarity in [-1, 1]{also} or None, got {v!r}")
    rs = model.random_state
    if rs is not None and not isinstance(rs, np.random.RandomState) and (
        isinstance(rs, bool) or not isinstance(rs, (int, np.integer)) or not 0 <= rs < 2**32
    ):
        raise InputError(f"random_state must be None or an integer in [0, 2**32), got {rs!r}")
    check_seed_topics(model.seed_topics)
    check_zero_shot_topics(model.zero_shot_topics)
    check_zero_shot_min_similarity(model.zero_shot_min_similarity)
    if model.assignment not in ("classifier", "centroid"):
        raise InputError(f'assignment must be "classifier" or "centroid", got {model.assignment!r}')
    return k, share
