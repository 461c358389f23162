"""``visualize_*`` methods of :class:`~textmine.TopicModel`: thin wrappers of :mod:`textmine.plots`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["PlotsMixin"]


class PlotsMixin:
    """BERTopic's plot names on a fitted :class:`~textmine.TopicModel` (plotly figures)."""

    def visualize_barchart(self, *, topics: Sequence[int] | None = None, top_n_topics: int | None = 8,
                           n_words: int = 5) -> Any:
        """Bar charts of each topic's top words (:func:`textmine.plots.barchart`)."""
        from ..plots import barchart

        self._check_fitted("topics_")  # type: ignore[attr-defined]
        return barchart(self, topics=topics, top_n_topics=top_n_topics, n_words=n_words)

    def visualize_heatmap(self, *, topics: Sequence[int] | None = None, top_n_topics: int | None = None) -> Any:
        """Topic similarity heatmap (:func:`textmine.plots.heatmap`)."""
        from ..plots import heatmap

        self._check_fitted("topic_embeddings_")  # type: ignore[attr-defined]
        return heatmap(self, topics=topics, top_n_topics=top_n_topics)

    def visualize_hierarchy(self, *, method: str = "average") -> Any:
        """Dendrogram of the topics (:func:`textmine.plots.hierarchy`)."""
        from ..plots import hierarchy

        self._check_fitted("topic_embeddings_")  # type: ignore[attr-defined]
        return hierarchy(self, method=method)

    def visualize_topics_over_time(self, rows: Sequence[dict[str, Any]], *, top_n_topics: int | None = 8) -> Any:
        """Topic counts per period from :meth:`topics_over_time` rows (:func:`textmine.plots.topics_over_time`)."""
        from ..plots import topics_over_time

        self._check_fitted("topics_")  # type: ignore[attr-defined]
        return topics_over_time(self, rows, top_n_topics=top_n_topics)
