"""A self-contained interactive HTML report of a fitted :class:`~textmine.TopicModel`.

One ``.html`` file that works offline (plotly.js is embedded inline, no CDN, no
web fonts): an interactive 2-D map of the documents coloured by topic with hover
text, topic sizes, labels, top words with their weights, representative
documents, keywords of a sample of documents, the evaluation metrics (NMI/ARI
when gold labels are given) and the settings and models used.

>>> from textmine import TopicModel                                      # doctest: +SKIP
>>> from textmine.report import write_topic_report                       # doctest: +SKIP
>>> tm = TopicModel(random_state=42).fit(docs)                           # doctest: +SKIP
>>> write_topic_report(tm, "report.html", docs=docs, gold_labels=labels)  # doctest: +SKIP

Why plotly and not datamapplot: see docs/evaluation.md ("The HTML report"):
datamapplot's interactive maps load deck.gl, d3 and fonts from CDNs and need a
cache downloaded from them for offline use; plotly.js ships inside the plotly
wheel and embeds in one file.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError
from .plots import plotly_js, plotly_source, report_figures

__all__ = ["write_topic_report", "topic_metrics", "map_coordinates", "MAX_POINTS", "WEBGL_FROM"]

#: documents drawn on the map at most (a seeded random sample beyond that)
MAX_POINTS = 20_000
#: above this many points the map uses WebGL (scattergl) instead of SVG
WEBGL_FROM = 5_000
#: characters of each document shown when hovering a point
HOVER_CHARS = 220
#: keywords of the sampled documents: computed on this many characters of each ...
KEYWORD_CHARS = 2_000
#: ... with document frequencies learned from at most this many documents
KEYWORD_FIT_DOCS = 500

# a qualitative palette (plotly's D3 + Dark24 colours); outliers are grey
_PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#B68100", "#750D86",
    "#EB663B", "#511CFB", "#00A08B", "#FB00D1", "#FC0080", "#B2828D", "#6C7C32", "#778AAE",
    "#862A16", "#A777F1", "#620042", "#1616A7", "#DA60CA", "#6C4516", "#0D2A63", "#AF0038",
]
_OUTLIER_COLOR = "#b8b8b8"


def topic_color(topic_id: int) -> str:
    return _OUTLIER_COLOR if topic_id < 0 else _PALETTE[topic_id % len(_PALETTE)]


# --------------------------------------------------------------------------- metrics


def topic_metrics(
    model: Any, docs: Sequence[str], assigned: Sequence[int], gold: Sequence[Any] | None = None
) -> dict[str, float]:
    """The shipped topic metrics: number of topics, NPMI, diversity, outlier share (+ NMI/ARI with gold).

    NPMI is computed on ``docs`` (window = whole document), diversity on the top 25 words.
    """
    from .evaluation import clustering_scores, npmi_coherence, outlier_share, topic_diversity

    metrics: dict[str, float] = {
        "n_topics": float(len(model.topics_)),
        "npmi": float(npmi_coherence(model, list(docs))),
        "diversity": float(topic_diversity(model)),
        "outlier_share": float(outlier_share(list(assigned))),
    }
    if gold is not None:
        metrics.update({k: float(v) for k, v in clustering_scores(list(assigned), list(gold)).items()})
    return metrics


# --------------------------------------------------------------------------- 2-D map


def map_coordinates(embeddings: np.ndarray, *, random_state: int | None = 42) -> np.ndarray:
    """2-D coordinates of L2-normalised embeddings: UMAP (cosine), PCA for tiny corpora."""
    X = np.asarray(embeddings, dtype=np.float32)
    n = len(X)
    if n == 0:
        return np.zeros((0, 2))
    if n < 3:
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    if n < 10:
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=random_state).fit_transform(X)
    import warnings

    import umap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reducer = umap.UMAP(
            n_components=2,
            n_neighbors=min(15, n - 1),
            min_dist=0.1,
            metric="cosine",
            random_state=random_state,
            n_jobs=1 if random_state is not None else -1,
        )
        return np.asarray(reducer.fit_transform(X), dtype=np.float64)


def _wrap(text: str, width: int = 60) -> str:
    """HTML-escaped text cut to HOVER_CHARS and wrapped with <br> for plotly hover boxes."""
    text = " ".join(text.split())
    if len(text) > HOVER_CHARS:
        text = text[: HOVER_CHARS - 1] + "…"
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return "<br>".join(html.escape(ln, quote=False) for ln in lines)  # plotly shows &quot; literally


def _topic_name(topic: Any) -> str:
    from .topics.naming import fallback_label

    return topic.label or fallback_label(topic)


def _map_figure(
    coords: np.ndarray, assigned: np.ndarray, hover: list[str], topics: Sequence[Any]
) -> dict[str, Any]:
    """Plotly figure (as a dict) of the documents, one trace per topic, labels at topic medians."""
    n = len(coords)
    trace_type = "scattergl" if n > WEBGL_FROM else "scatter"
    size = 7 if n <= 2000 else 5 if n <= 10000 else 3
    names = {int(t.id): _topic_name(t) for t in topics}
    traces: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    ids = sorted(set(int(a) for a in assigned), key=lambda t: (t < 0, t))
    for t in ids:
        m = np.flatnonzero(assigned == t)
        name = "outliers" if t < 0 else f"{t}: {names.get(t, f'topic {t}')}"
        traces.append(
            {
                "type": trace_type,
                "mode": "markers",
                "name": name[:60],
                "x": [round(float(v), 4) for v in coords[m, 0]],
                "y": [round(float(v), 4) for v in coords[m, 1]],
                "text": [hover[i] for i in m],
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {
                    "size": size - 2 if t < 0 else size,
                    "color": topic_color(t),
                    "opacity": 0.45 if t < 0 else 0.8,
                },
                "legendrank": 10_000 if t < 0 else 1000 + t,
            }
        )
        if t >= 0 and len(m):
            cx, cy = np.median(coords[m, 0]), np.median(coords[m, 1])
            annotations.append(
                {
                    "x": float(cx),
                    "y": float(cy),
                    "text": html.escape(names.get(t, str(t))[:40]),
                    "showarrow": False,
                    "font": {"size": 12, "color": "#111"},
                    "bgcolor": "rgba(255,255,255,0.75)",
                    "bordercolor": topic_color(t),
                    "borderwidth": 1,
                    "borderpad": 2,
                }
            )
    xaxis: dict[str, Any] = {"visible": False}
    yaxis: dict[str, Any] = {"visible": False, "scaleanchor": "x", "scaleratio": 1}
    if n >= 20:
        # a few far-away points (UMAP islands) would squash the map: start on the 1-99 % range,
        # double-click (autoscale) shows everything
        for axis, col in ((xaxis, coords[:, 0]), (yaxis, coords[:, 1])):
            lo, hi = np.percentile(col, [1, 99])
            full = float(col.max() - col.min())
            pad = 0.12 * float(hi - lo)
            if hi > lo and full > 1.5 * (hi - lo + 2 * pad):
                axis["range"] = [float(lo - pad), float(hi + pad)]
    layout = {
        "height": 620,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "hovermode": "closest",
        "dragmode": "pan",
        "xaxis": xaxis,
        "yaxis": yaxis,
        "legend": {"itemsizing": "constant", "font": {"size": 11}},
        "plot_bgcolor": "#fafafa",
        "paper_bgcolor": "#ffffff",
        "annotations": annotations,
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"},
    }
    config = {"responsive": True, "displaylogo": False, "scrollZoom": True, "showLink": False,
              "modeBarButtonsToRemove": ["sendDataToCloud"]}
    return {"data": traces, "layout": layout, "config": config, "trace_type": trace_type}


def _script_json(obj: Any) -> str:
    """JSON safe to put inside <script> (no '</script>' or '<!--' can end it)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029"
    )


# --------------------------------------------------------------------------- helpers


def _describe_value(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, (list, tuple)) and len(value) < 8:
        return repr(value)
    name = getattr(value, "model_id", None) or type(value).__name__
    return f"<{name}>"


def _model_settings(model: Any) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [("model", type(model).__name__)]
    try:
        params = model.get_params(deep=False)
    except Exception:  # noqa: BLE001 - any estimator-like object
        params = {}
    for k in sorted(params):
        rows.append((k, _describe_value(params[k])))
    for attr in ("embedding_model_id_", "n_clusters_found_", "noise_share_", "outlier_share_"):
        if hasattr(model, attr):
            v = getattr(model, attr)
            rows.append((attr, f"{v:.4f}" if isinstance(v, float) else str(v)))
    labeler = getattr(model, "labeler_model_id_", None)
    if labeler:
        rows.append(("labeler_model_id_", str(labeler)))
    timings = getattr(model, "timings_", None)
    if isinstance(timings, Mapping):
        rows.append(("timings_ (s)", ", ".join(f"{k} {v:.2f}" for k, v in timings.items())))
    return rows


def _sample_indices(n: int, k: int, seed: int | None) -> np.ndarray:
    if n <= k:
        return np.arange(n)
    rng = np.random.default_rng(0 if seed is None else seed)
    return np.sort(rng.choice(n, size=k, replace=False))


def _keyword_texts(kws: Sequence[Any]) -> list[tuple[str, float | None]]:
    out = []
    for k in kws:
        if isinstance(k, str):
            out.append((k, None))
        elif hasattr(k, "text"):
            out.append((str(k.text), float(getattr(k, "score", float("nan")))))
        else:
            out.append((str(k[0]), float(k[1]) if len(k) > 1 else None))
    return out


def _fmt_metric(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if value.is_integer() and abs(value) >= 1:
            return str(int(value))
        return f"{value:.4f}"
    return str(value)


# --------------------------------------------------------------------------- the report


#: the Jinja2 template of the page (package data)
TEMPLATE_PATH = Path(__file__).resolve().parent / "data" / "topic_report.html.j2"

_MEANING = {
    "n_topics": "topics found (outliers excluded)",
    "npmi": "NPMI coherence of each topic's top 10 words on this corpus (-1..1, higher is better)",
    "diversity": "share of unique words among the top 25 words of all topics (0..1)",
    "outlier_share": "share of documents in no topic (-1)",
    "nmi": "normalised mutual information with the gold labels (0..1)",
    "ari": "adjusted Rand index with the gold labels (-0.5..1)",
}


def write_topic_report(
    model: Any,
    path: str | os.PathLike[str],
    *,
    docs: Sequence[str] | None = None,
    ids: Sequence[Any] | None = None,
    gold_labels: Sequence[Any] | None = None,
    embeddings: np.ndarray | None = None,
    coords: np.ndarray | None = None,
    keywords: Sequence[Sequence[Any]] | None = None,
    keyword_sample: int = 20,
    metrics: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    title: str | None = None,
    max_points: int = MAX_POINTS,
    random_state: int | None = 42,
    force: bool = False,
    plotly: str = "inline",
    plots: bool = True,
) -> Path:
    """Write the interactive HTML report of a fitted topic model; returns the path.

    Parameters
    ----------
    model:
        A fitted :class:`~textmine.TopicModel`.
    path:
        The ``.html`` file to write. An existing file is replaced only with ``force=True``.
    docs:
        The documents to draw on the map (usually the training documents: then
        ``model.labels_`` is used, else ``model.transform(docs)``). Without
        ``docs`` the report has the topic tables only.
    ids:
        Document ids shown on hover and in the keyword table (default: the index).
    gold_labels:
        One gold label per document: NMI / ARI and a gold-label × topic table are added.
    embeddings, coords:
        Precomputed embeddings of ``docs`` (else they are computed with the
        model's embedding model, from the on-disk cache when possible) or
        precomputed 2-D coordinates (skips UMAP).
    keywords:
        Keywords per document (lists of :class:`~textmine.Keyword` or str),
        aligned with ``docs``; default: computed with :class:`~textmine.KeywordExtractor`
        for ``keyword_sample`` documents (``0`` = no keyword table).
    metrics:
        Metrics to show; default: :func:`topic_metrics` on ``docs``.
    settings:
        Extra settings to list (input file, CLI options ...).
    max_points:
        At most this many documents are drawn (seeded random sample).
    plotly:
        Where the page gets plotly.js (about 4.8 MB): ``"inline"`` (default: one self-contained file that
        works offline), ``"shared"`` (written once as ``plotly-<version>.min.js`` beside the report and
        shared by every report in that folder: each report is then tens of KB plus the map's data) or ``"cdn"``
        (loaded from cdn.plot.ly: smallest file, needs the internet to show the plots).
    plots:
        Add the topic-word bar charts, the topic similarity heatmap and the topic hierarchy
        (:mod:`textmine.plots`) below the topic table.
    """
    from . import __version__

    model._check_fitted("topics_") if hasattr(model, "_check_fitted") else None
    if plotly not in ("inline", "shared", "cdn"):
        raise InputError(f"plotly must be 'inline', 'shared' or 'cdn', got {plotly!r:.60}")
    out = Path(path).expanduser()
    if out.exists() and not force:
        raise InputError(f"report {out} already exists; pass force=True (--force) to overwrite it")
    if out.exists() and out.is_dir():
        raise InputError(f"{out} is a folder")
    if not out.parent.is_dir():
        raise InputError(f"cannot write {out}: folder {out.parent} does not exist")

    topics = list(model.topics_)
    n_docs = 0
    assigned: np.ndarray | None = None
    docs_list: list[str] | None = None
    if docs is not None:
        from ._validation import as_documents

        docs_list = as_documents(docs, allow_empty_corpus=True)
        n_docs = len(docs_list)
        labels = getattr(model, "labels_", None)
        if labels is not None and len(labels) == n_docs and embeddings is None:
            assigned = np.asarray(labels, dtype=np.int64)
        else:
            assigned = np.asarray(model.transform(docs_list, embeddings=embeddings), dtype=np.int64)
        if ids is not None and len(ids) != n_docs:
            raise InputError(f"ids has {len(ids)} entries but there are {n_docs} documents")
        if gold_labels is not None and len(gold_labels) != n_docs:
            raise InputError(f"gold_labels has {len(gold_labels)} entries but there are {n_docs} documents")
        if keywords is not None and len(keywords) != n_docs:
            raise InputError(f"keywords has {len(keywords)} entries but there are {n_docs} documents")
    else:
        labels = getattr(model, "labels_", None)
        n_docs = len(labels) if labels is not None else sum(t.size for t in topics)
    id_list = [str(i) for i in ids] if ids is not None else [str(i) for i in range(n_docs)]

    # ---- map
    has_map = docs_list is not None and n_docs > 0
    figure: dict[str, Any] | None = None
    n_points = 0
    if has_map:
        assert docs_list is not None and assigned is not None
        sel = _sample_indices(n_docs, max(1, int(max_points)), random_state)
        n_points = len(sel)
        if coords is not None:
            C = np.asarray(coords, dtype=np.float64)
            if C.shape != (n_docs, 2):
                raise InputError(f"coords must have shape ({n_docs}, 2), got {C.shape}")
            C = C[sel]
        else:
            if embeddings is not None:
                E = np.asarray(embeddings, dtype=np.float32)
                if E.ndim != 2 or len(E) != n_docs:
                    raise InputError(f"embeddings must have shape ({n_docs}, dim), got {E.shape}")
                E = E[sel]
            else:
                from .embed import get_embedder
                from .topics.embedding import embedding_model_of

                E = get_embedder(embedding_model_of(model)).encode([docs_list[i] for i in sel])
            C = map_coordinates(E, random_state=random_state)
        names = {int(t.id): _topic_name(t) for t in topics}
        hover = []
        for i in sel:
            t = int(assigned[i])
            head = f"<b>{html.escape(id_list[i], quote=False)}</b> · " + (
                "outlier" if t < 0 else f"topic {t}: {html.escape(names.get(t, ''), quote=False)}"
            )
            if gold_labels is not None:
                head += f"<br><i>gold: {html.escape(str(gold_labels[i]), quote=False)}</i>"
            body = _wrap(docs_list[i]) if docs_list[i].strip() else "<i>(empty document)</i>"
            hover.append(f"{head}<br>{body}")
        figure = _map_figure(C, assigned[sel], hover, topics)

    # ---- topics table
    total = max(1, n_docs)
    max_size = max([t.size for t in topics] + [1])
    topic_rows = []
    for t in topics:
        words = list(t.words)[:10]
        topic_rows.append(
            {
                "id": t.id,
                "label": t.label or "",
                "size": t.size,
                "share": f"{100 * t.size / total:.1f}%",
                "bar": round(100 * t.size / max_size, 1),
                "color": topic_color(int(t.id)),
                "words": [(w, f"{float(s):.3f}") for w, s in words],
                "docs": [" ".join(d.split())[:600] for d in t.representative_docs],
            }
        )
    if assigned is not None:
        n_out = int((assigned < 0).sum())
    else:
        labels = getattr(model, "labels_", None)
        n_out = int((np.asarray(labels) < 0).sum()) if labels is not None else 0

    # ---- keywords for a sample
    keyword_rows = []
    keyword_method = None
    if docs_list is not None and keyword_sample and n_docs:
        assert assigned is not None
        nonblank = [i for i in range(n_docs) if docs_list[i].strip()]
        pick = [nonblank[j] for j in _sample_indices(len(nonblank), int(keyword_sample), random_state)]
        if keywords is not None:
            sample_kws = [_keyword_texts(keywords[i]) for i in pick]
            keyword_method = "the caller"
        else:
            from .keywords import KeywordExtractor

            # bounded cost on big corpora: document frequencies from at most KEYWORD_FIT_DOCS documents,
            # keywords from the first KEYWORD_CHARS characters of each sampled document
            kx = KeywordExtractor(top_n=6, embedding_model=getattr(model, "embedding_model", "default"))
            fit_idx = _sample_indices(len(nonblank), KEYWORD_FIT_DOCS, random_state)
            kx.fit([docs_list[nonblank[j]][:KEYWORD_CHARS] for j in fit_idx])
            sample_kws = [_keyword_texts(k) for k in kx.transform([docs_list[i][:KEYWORD_CHARS] for i in pick])]
            keyword_method = "KeywordExtractor(top_n=6)"
            if len(nonblank) > KEYWORD_FIT_DOCS or any(len(docs_list[i]) > KEYWORD_CHARS for i in pick):
                keyword_method += (
                    f" on the first {KEYWORD_CHARS:,} characters of each document, "
                    f"document frequencies from {min(len(nonblank), KEYWORD_FIT_DOCS):,} documents"
                )
        for i, kws in zip(pick, sample_kws):
            text = " ".join(docs_list[i].split())
            keyword_rows.append(
                {
                    "id": id_list[i],
                    "topic": int(assigned[i]),
                    "color": topic_color(int(assigned[i])),
                    "text": text if len(text) <= 300 else text[:299] + "…",
                    "keywords": [w for w, _ in kws],
                }
            )

    # ---- metrics
    metric_values: dict[str, Any] = {}
    if metrics is not None:
        metric_values = dict(metrics)
    elif docs_list is not None and assigned is not None and n_docs:
        metric_values = topic_metrics(model, docs_list, assigned, gold_labels)
    metric_rows = [(k, _fmt_metric(v), _MEANING.get(k, "")) for k, v in metric_values.items()]
    headline = [(k, _fmt_metric(metric_values[k])) for k in ("nmi", "npmi") if k in metric_values]
    crosstab = None
    if gold_labels is not None and assigned is not None:
        golds = sorted({str(g) for g in gold_labels})
        tids = sorted({int(a) for a in assigned}, key=lambda t: (t < 0, t))
        counts: dict[tuple[str, int], int] = {}
        for g, a in zip(gold_labels, assigned):
            counts[(str(g), int(a))] = counts.get((str(g), int(a)), 0) + 1
        if len(golds) <= 60 and len(tids) <= 60:
            crosstab = {
                "topics": ["out" if t < 0 else str(t) for t in tids],
                "rows": [{"label": g, "counts": [counts.get((g, t), 0) for t in tids]} for g in golds],
            }

    # ---- settings
    setting_rows: list[tuple[str, str]] = []
    for k, v in (settings or {}).items():
        if v is not None:
            setting_rows.append((str(k), str(v)))
    setting_rows += _model_settings(model)
    if figure is not None:
        setting_rows.append(("map", f"2-D UMAP (cosine) of the embeddings, plotly {figure['trace_type']}"))
    setting_rows += [
        ("textmine", __version__),
        ("python", platform.python_version()),
        ("platform", f"{platform.system()} {platform.machine()}"),
    ]

    extra = report_figures(model, topics) if plots else []
    plotly_src = plotly_source(plotly, out.parent) if (figure is not None or extra) else None

    from jinja2 import Environment

    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["safe_json"] = _script_json
    template = env.from_string(TEMPLATE_PATH.read_text(encoding="utf-8"))
    from markupsafe import Markup

    page = template.render(
        title=title or "textmine topic report",
        version=__version__,
        created=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        source=(settings or {}).get("input"),
        n_docs=n_docs,
        n_points=n_points,
        topics=topic_rows,
        outliers=n_out,
        outlier_color=_OUTLIER_COLOR,
        headline=headline,
        has_map=figure is not None,
        figure_json=Markup(_script_json({k: figure[k] for k in ("data", "layout", "config")})) if figure else "",
        plotly_js=Markup(plotly_js()) if (figure is not None or extra) and plotly_src is None else "",
        plotly_src=plotly_src,
        figures=[{"id": f["id"], "title": f["title"]} for f in extra],
        figures_json=Markup(_script_json([{"id": f["id"], "data": f["data"], "layout": f["layout"]} for f in extra])),
        keyword_rows=keyword_rows,
        keyword_method=keyword_method,
        metrics=metric_rows,
        crosstab=crosstab,
        settings=setting_rows,
    )
    from .io import _atomic_write

    # an unpredictable temporary name, created exclusively: a link planted at a fixed name is never followed
    _atomic_write(out, lambda fh: fh.write(page))
    return out
