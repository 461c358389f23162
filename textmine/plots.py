"""The plots BERTopic users know, as plotly figures of a fitted :class:`~textmine.TopicModel`.

Each function returns a ``plotly.graph_objects.Figure`` (``fig.show()`` in Jupyter,
``fig.write_html(path, include_plotlyjs=True)`` for a self-contained page); ``TopicModel`` has them as
``visualize_barchart`` / ``visualize_heatmap`` / ``visualize_hierarchy`` / ``visualize_topics_over_time``,
and the HTML report (:mod:`textmine.report`) draws the first three beside its document map.

>>> from textmine.topics import Topic
>>> class Fitted:  # any object with topics_ and topic_embeddings_ works
...     topics_ = [Topic(0, 5, [("orbit", 0.9), ("rocket", 0.5)]), Topic(1, 3, [("goal", 0.8)])]
>>> fig = barchart(Fitted())
>>> [t.type for t in fig.data]
['bar', 'bar']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DependencyError, InputError

__all__ = ["barchart", "heatmap", "hierarchy", "topics_over_time", "figure_json", "plotly_js", "plotly_source",
           "report_figures"]


def _go() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise DependencyError("plots need plotly: `pip install plotly`") from None
    return go


def _name(t: Any, n: int = 3) -> str:
    if getattr(t, "label", None):
        return f"{t.id}: {t.label}"
    from .topics.naming import fallback_label  # top words without stop words, as a label

    return f"{t.id}: {fallback_label(t, n)}"


def _topics(model: Any, topics: Sequence[int] | None, top_n_topics: int | None) -> list[Any]:
    if not hasattr(model, "topics_"):
        raise InputError("the model is not fitted: call fit first")
    all_t = list(model.topics_)
    if topics is not None:
        by_id = {int(t.id): t for t in all_t}
        missing = [i for i in topics if int(i) not in by_id]
        if missing:
            raise InputError(f"no topic {missing[0]}; ids run from 0 to {len(all_t) - 1}")
        return [by_id[int(i)] for i in topics]
    chosen = sorted(all_t, key=lambda t: (-t.size, t.id))
    return chosen[: int(top_n_topics)] if top_n_topics is not None else chosen


def barchart(model: Any, *, topics: Sequence[int] | None = None, top_n_topics: int | None = 8,
             n_words: int = 5, title: str = "Topic words") -> Any:
    """One horizontal bar chart of c-TF-IDF word weights per topic (the largest ``top_n_topics``)."""
    from plotly.subplots import make_subplots

    go = _go()
    chosen = _topics(model, topics, top_n_topics)
    if not chosen:
        raise InputError("the model has no topics to plot")
    cols = min(4, len(chosen))
    rows = (len(chosen) + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[_name(t) for t in chosen],
                        horizontal_spacing=0.12, vertical_spacing=0.4 / max(rows, 1))
    for k, t in enumerate(chosen):
        words = list(t.words)[: int(n_words)][::-1]
        fig.add_trace(go.Bar(x=[float(s) for _, s in words], y=[w for w, _ in words], orientation="h",
                             name=f"topic {t.id}", showlegend=False),
                      row=k // cols + 1, col=k % cols + 1)
    fig.update_layout(title=title, height=max(260, 230 * rows), template="plotly_white",
                      margin={"l": 20, "r": 20, "t": 80, "b": 20})
    return fig


def heatmap(model: Any, *, topics: Sequence[int] | None = None, top_n_topics: int | None = None,
            title: str = "Topic similarity") -> Any:
    """Cosine similarity of the topic centroids (``topic_embeddings_``)."""
    go = _go()
    chosen = _topics(model, topics, top_n_topics)
    if not chosen:
        raise InputError("the model has no topics to plot")
    E = np.asarray(model.topic_embeddings_, dtype=np.float64)[[int(t.id) for t in chosen]]
    E = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    names = [_name(t, 2) for t in chosen]
    fig = go.Figure(go.Heatmap(z=np.round(E @ E.T, 4), x=names, y=names, colorscale="Blues", zmin=0, zmax=1,
                               hovertemplate="%{y}<br>%{x}<br>similarity %{z:.3f}<extra></extra>"))
    side = max(420, 26 * len(chosen) + 220)
    fig.update_layout(title=title, width=side + 120, height=side, template="plotly_white",
                      yaxis={"autorange": "reversed"})
    return fig


def hierarchy(model: Any, *, method: str = "average", title: str = "Topic hierarchy") -> Any:
    """Dendrogram of the topic centroids (the linkage of ``TopicModel.hierarchy``)."""
    from scipy.cluster.hierarchy import dendrogram

    go = _go()
    h = model.hierarchy(method=method)
    names = [_name(t) for t in model.topics_]
    d = dendrogram(h["linkage"], no_plot=True, labels=names, orientation="left")
    fig = go.Figure()
    for xs, ys in zip(d["dcoord"], d["icoord"]):
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#4c72b0", "width": 1.5},
                                 hoverinfo="skip", showlegend=False))
    ticks = [5 + 10 * i for i in range(len(d["ivl"]))]
    fig.update_layout(title=title, template="plotly_white", height=max(320, 28 * len(names) + 120),
                      xaxis={"title": "cosine distance"},
                      yaxis={"tickmode": "array", "tickvals": ticks, "ticktext": d["ivl"]},
                      margin={"l": 20, "r": 20, "t": 60, "b": 40})
    return fig


def topics_over_time(model: Any, rows: Sequence[dict[str, Any]], *, top_n_topics: int | None = 8,
                     title: str = "Topics over time") -> Any:
    """Lines of document counts per period, one per topic, from ``TopicModel.topics_over_time`` rows."""
    go = _go()
    rows = list(rows)
    if not rows or not all(isinstance(r, dict) and {"time", "topic", "count"} <= set(r) for r in rows):
        raise InputError("rows must be the non-empty output of TopicModel.topics_over_time")
    chosen = _topics(model, None, top_n_topics)
    fig = go.Figure()
    for t in chosen:
        mine = sorted((r for r in rows if int(r["topic"]) == int(t.id)), key=lambda r: r["time"])
        if not mine:
            continue
        hover = [", ".join(r.get("words", [])[:5]) for r in mine]
        fig.add_trace(go.Scatter(x=[r["time"] for r in mine], y=[int(r["count"]) for r in mine],
                                 mode="lines+markers", name=_name(t), text=hover,
                                 hovertemplate="%{x}<br>%{y} documents<br>%{text}<extra></extra>"))
    fig.update_layout(title=title, template="plotly_white", xaxis={"title": "time"},
                      yaxis={"title": "documents"}, height=420)
    return fig


def figure_json(fig: Any) -> dict[str, Any]:
    """``{"data", "layout"}`` of a figure as plain JSON values (for the report's ``Plotly.newPlot``)."""
    import json

    return json.loads(fig.to_json())


def plotly_js() -> str:
    """The plotly.js bundle that ships inside the plotly package (no network)."""
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise DependencyError("the HTML report needs plotly: `pip install plotly`") from None
    return get_plotlyjs()


def report_figures(model: Any, topics: list[Any]) -> list[dict[str, Any]]:
    """The topic plots of :mod:`textmine.plots` as JSON for the page (bar charts; heatmap and tree from 2 topics)."""
    out: list[dict[str, Any]] = []
    if not topics:
        return out
    makers: list[tuple[str, str, Any]] = [("topic-words", "Top words per topic", barchart)]
    if len(topics) >= 2 and getattr(model, "topic_embeddings_", None) is not None:
        makers += [("topic-heatmap", "Topic similarity", heatmap)]
        if hasattr(model, "hierarchy"):
            makers += [("topic-tree", "Topic hierarchy", hierarchy)]
    for fid, title, make in makers:
        fig = figure_json(make(model))
        fig["layout"].pop("title", None)
        out.append({"id": fid, "title": title, **fig})
    return out


def plotly_source(mode: str, folder: Path) -> str | None:
    """``None`` to inline plotly.js, else the ``src`` of its script tag (``"shared"`` writes the file once)."""
    if mode == "inline":
        return None
    from plotly.offline import get_plotlyjs_version

    name = f"plotly-{get_plotlyjs_version()}.min.js"
    if mode == "cdn":
        return f"https://cdn.plot.ly/{name}"
    asset = Path(folder) / name
    js = plotly_js()
    if not asset.is_file() or asset.stat().st_size != len(js.encode("utf-8")):
        from .io import _atomic_write

        _atomic_write(asset, lambda fh: fh.write(js))
    return name
