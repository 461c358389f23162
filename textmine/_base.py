"""Shared result types and the estimator base class."""

from __future__ import annotations

from sklearn.base import BaseEstimator

from ._types import Keyword
from .errors import NotFittedError

__all__ = ["Keyword", "TextmineEstimator"]


class TextmineEstimator(BaseEstimator):
    """Base class of textmine estimators (scikit-learn's contract).

    Sub-classes store their ``__init__`` parameters verbatim, put learned state
    in attributes ending with ``_`` and return ``self`` from ``fit``, so
    ``get_params``, ``set_params``, ``sklearn.base.clone`` and ``Pipeline`` work.
    """

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit() before using it."
            )
