"""The HTML topic report: content, self-containedness, escaping, no silent overwrite.

The browser-side checks (renders, no console errors, no network) are in test_report_browser.py.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

from conftest import read_jsonl

XSS = '</script><script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> & <b>bold</b>'


@functools.lru_cache(maxsize=1)
def fitted_news():
    """A TopicModel on 160 AG News test articles (4 gold labels) plus one hostile document."""
    from textmine import TopicModel

    rows = read_jsonl("topic/ag_news_test.jsonl", limit=160)
    docs = [r["text"] for r in rows] + [XSS, ""]
    gold = [r["label"] for r in rows] + ["Sci/Tech", "World"]
    ids = [str(r["id"]) for r in rows] + ["hostile", "empty"]
    model = TopicModel(n_topics=4, random_state=42).fit(docs)
    return model, docs, gold, ids


@pytest.fixture(scope="module")
def news():
    return fitted_news()


def test_report_content(news, tmp_path):
    from textmine.report import write_topic_report

    model, docs, gold, ids = news
    for t, lab in zip(model.topics_, ["Markets", "Sports", "World news", "Tech"]):
        t.label = lab  # as a labeler would
    try:
        out = write_topic_report(model, tmp_path / "r.html", docs=docs, ids=ids, gold_labels=gold,
                                 settings={"input": "ag_news_test.jsonl[:160]"})
    finally:
        for t in model.topics_:
            t.label = None
    html = out.read_text(encoding="utf-8")
    # self-contained: plotly.js inline, no external scripts, styles or fonts
    assert html.count("<script") == 2 and 'id="topic-map"' in html
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=", html)
    assert "@import" not in html and "fonts.googleapis" not in html
    assert len(html) > 3_000_000  # plotly.js (about 4.6 MB) is embedded
    # every topic with its label, size, words with weights and representative docs
    for t, lab in zip(model.topics_, ["Markets", "Sports", "World news", "Tech"]):
        assert f"<td>{lab}</td>" in html
        assert f"<td>{t.size} " in html
        w, s = t.words[0]
        assert f"<span>{w} <small>{s:.3f}</small></span>" in html
    assert html.count("<details>") == sum(1 for t in model.topics_ if t.representative_docs)
    # metrics with gold labels, the gold x topic table, keywords of a sample, settings
    for name in ("nmi", "ari", "npmi", "diversity", "outlier_share"):
        assert f"<td>{name}</td>" in html
    assert 'id="crosstab"' in html and "Sci/Tech" in html
    assert 'id="keywords"' in html and html.count("<tr><td>") >= 20
    assert "sentence-transformers/all-MiniLM-L6-v2" in html and "ag_news_test.jsonl[:160]" in html
    # hostile text is escaped everywhere (tables and hover JSON)
    assert "<script>window.__xss" not in html and '<img src=x' not in html
    assert "&lt;img src=x" in html


def test_report_metrics_match_evaluation_module(news, tmp_path):
    from textmine.evaluation import clustering_scores, npmi_coherence
    from textmine.report import topic_metrics

    model, docs, gold, ids = news
    m = topic_metrics(model, docs, model.labels_, gold)
    assert m["nmi"] == pytest.approx(clustering_scores(model.labels_, gold)["nmi"])
    assert m["npmi"] == pytest.approx(npmi_coherence(model, docs))
    assert m["n_topics"] == 4 and 0 <= m["outlier_share"] < 0.5
    assert m["nmi"] > 0.2  # AG News' four classes are partly recovered even on 160 docs


def test_report_without_docs_precomputed_coords_and_sampling(news, tmp_path):
    from textmine.report import write_topic_report

    model, docs, gold, ids = news
    bare = write_topic_report(model, tmp_path / "bare.html", plots=False).read_text(encoding="utf-8")
    assert "No document map" in bare and "Plotly.newPlot" not in bare and "<script" not in bare
    plots = write_topic_report(model, tmp_path / "plots.html").read_text(encoding="utf-8")  # topic plots need no docs
    assert "No document map" in plots and 'id="topic-words"' in plots and 'id="topic-map"' not in plots
    coords = np.random.default_rng(0).normal(size=(len(docs), 2))
    html = write_topic_report(model, tmp_path / "c.html", docs=docs, coords=coords, max_points=50,
                              keyword_sample=0).read_text(encoding="utf-8")
    assert "50 of 162, a random sample" in html and 'id="keywords"' not in html
    n_points = sum(len(m) for m in re.findall(r'"x":\[([^\]]*)\]', html))
    assert n_points > 0
    with pytest.raises(Exception, match="coords must have shape"):
        write_topic_report(model, tmp_path / "bad.html", docs=docs, coords=coords[:5])


def test_report_never_overwrites_without_force(news, tmp_path):
    from textmine.errors import InputError
    from textmine.report import write_topic_report

    model = news[0]
    p = tmp_path / "r.html"
    p.write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="already exists"):
        write_topic_report(model, p)
    assert p.read_text(encoding="utf-8") == "keep me"
    write_topic_report(model, p, force=True)
    assert p.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(InputError, match="does not exist"):
        write_topic_report(model, tmp_path / "no" / "r.html")


def test_model_report_method_delegates(news, tmp_path):
    model, docs, gold, ids = news
    out = model.report(tmp_path / "m.html", docs=docs[:40], keyword_sample=3)
    html = out.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html and 'id="keywords"' in html
