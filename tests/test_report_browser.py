"""The HTML report in real headless Chromium: loads offline, no console errors, no network, map renders.

Needs the Debian packages chromium + chromium-driver (installed here with apt-get when missing
and possible) and selenium (dev extra). Skips, saying why, only where Chromium cannot be installed.
The screenshot is kept in tests/artifacts/report.png (gitignored).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
sys.path.insert(0, str(REPO / "scripts"))

import browser_check  # noqa: E402


@pytest.fixture(scope="module")
def chromium():
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[dev]')")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser, driver, reason = browser_check.ensure_chromium(log=ARTIFACTS / "apt-chromium.log")
    if not browser:
        pytest.skip(f"headless Chromium unavailable: {reason}")
    return browser, driver


def test_report_in_headless_chromium(chromium, tmp_path):
    from test_report import XSS, fitted_news
    from textmine.report import write_topic_report

    model, docs, gold, ids = fitted_news()
    out = write_topic_report(model, tmp_path / "report.html", docs=docs, ids=ids, gold_labels=gold,
                             settings={"input": "ag_news_test.jsonl[:160]"})
    hostile = ids.index("hostile")
    hostile_topic = int(model.labels_[hostile])
    # hover the first point of the hostile document's trace through plotly's own API
    traces = sorted({int(t) for t in model.labels_}, key=lambda t: (t < 0, t))
    curve = traces.index(hostile_topic)
    point = [i for i in range(len(docs)) if int(model.labels_[i]) == hostile_topic].index(hostile)
    scripts = {
        "n_traces": "return document.getElementById('topic-map').data.length",
        "hover": (
            "var gd = document.getElementById('topic-map');"
            f"Plotly.Fx.hover(gd, [{{curveNumber: {curve}, pointNumber: {point}}}]);"
            "var h = gd.querySelector('.hoverlayer .hovertext');"
            "return h ? h.textContent : null;"
        ),
        "xss": "return (window.__xss === undefined) ? 'none' : String(window.__xss)",
        "tables": "return document.querySelectorAll('#topics tbody tr').length",
        "figures": ("return ['topic-words', 'topic-heatmap', 'topic-tree'].map(function (id) {"
                    " var el = document.getElementById(id);"
                    " return el && el.data ? el.querySelectorAll('.main-svg').length : 0; })"),
    }
    shot = ARTIFACTS / "report.png"
    res = browser_check.check_html(out, screenshot=shot, browser=chromium[0], driver_path=chromium[1],
                                   scripts=scripts)
    assert res["console_errors"] == [], res["console_errors"]
    assert res["network_requests"] == [], res["network_requests"]
    assert res["map_rendered"], "the plotly map did not render"
    assert res["svg_points"] == len(docs)  # every document is a point (SVG scatter below 5,000 points)
    assert res["scripts"]["n_traces"] == len(traces)
    hover = res["scripts"]["hover"]
    assert hover and "hostile" in hover and "<img src=x" in hover  # shown as text, not executed
    assert 'onerror="window' in hover and "&quot;" not in hover  # quotes shown as quotes (no double escaping)
    assert all(n > 0 for n in res["scripts"]["figures"]), res["scripts"]["figures"]  # bar charts, heatmap, tree drawn
    assert res["scripts"]["xss"] == "none"
    assert res["scripts"]["tables"] == len(model.topics_) + int((model.labels_ == -1).any())
    assert res["title"] == "textmine topic report"
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert res["load_s"] < 30
