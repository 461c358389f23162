"""textmine.plots and TopicModel.visualize_*: plotly figures of a real fitted model; the report's plotly options."""

from __future__ import annotations

import pytest

from textmine.errors import InputError, NotFittedError
from test_report import fitted_news


@pytest.fixture(scope="module")
def news():
    return fitted_news()


def test_visualize_methods_return_figures_of_the_topics(news):
    import plotly.graph_objects as go

    model, docs, _, _ = news
    n = len(model.topics_)
    bar = model.visualize_barchart(n_words=4)
    assert isinstance(bar, go.Figure) and len(bar.data) == n
    largest = max(model.topics_, key=lambda t: (t.size, -t.id))
    assert list(bar.data[0].y)[::-1] == largest.top_words(4)  # largest topic first, best word on top
    heat = model.visualize_heatmap()
    z = heat.data[0].z
    assert len(z) == n and all(abs(z[i][i] - 1.0) < 1e-3 for i in range(n))
    tree = model.visualize_hierarchy()
    assert len(tree.data) == n - 1 and len(tree.layout.yaxis.ticktext) == n  # n-1 merges, one leaf per topic
    stamps = [i % 3 for i in range(len(docs))]
    rows = model.topics_over_time(stamps)
    over = model.visualize_topics_over_time(rows)
    assert over.data and all(len(tr.x) == 3 for tr in over.data)
    assert sum(sum(tr.y) for tr in over.data) == int((model.labels_ >= 0).sum())


def test_plot_errors_are_typed(news):
    from textmine import TopicModel

    model, _, _, _ = news
    with pytest.raises(NotFittedError):
        TopicModel().visualize_barchart()
    with pytest.raises(InputError, match="no topic 99"):
        model.visualize_barchart(topics=[99])
    with pytest.raises(InputError, match="topics_over_time"):
        model.visualize_topics_over_time([{"when": 1}])


def test_report_plotly_options(news, tmp_path):
    from textmine.report import write_topic_report

    model, docs, _, _ = news
    inline = write_topic_report(model, tmp_path / "inline.html", docs=docs, keyword_sample=0)
    html = inline.read_text(encoding="utf-8")
    assert all(f'id="{f}"' in html for f in ("topic-map", "topic-words", "topic-heatmap", "topic-tree"))
    assert "<script src=" not in html and inline.stat().st_size > 3_000_000  # self-contained: plotly.js inside

    a = write_topic_report(model, tmp_path / "a.html", docs=docs, keyword_sample=0, plotly="shared")
    assets = list(tmp_path.glob("plotly-*.min.js"))
    assert len(assets) == 1 and assets[0].stat().st_size > 3_000_000
    mtime = assets[0].stat().st_mtime_ns
    b = write_topic_report(model, tmp_path / "b.html", docs=docs, keyword_sample=0, plotly="shared")
    assert assets[0].stat().st_mtime_ns == mtime  # written once, shared by both reports
    for page in (a, b):
        text = page.read_text(encoding="utf-8")
        assert f'<script src="{assets[0].name}"' in text and page.stat().st_size < 1_000_000

    cdn = write_topic_report(model, tmp_path / "cdn.html", docs=docs, keyword_sample=0, plotly="cdn")
    assert '<script src="https://cdn.plot.ly/plotly-' in cdn.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="plotly must be"):
        write_topic_report(model, tmp_path / "x.html", plotly="remote")


def test_hover_text_keeps_quotes_as_quotes():
    from textmine.report import _wrap

    out = _wrap('He said "yes" & <b>left</b>')
    assert '"yes"' in out and "&quot;" not in out and "&lt;b&gt;" in out and "&amp;" in out
