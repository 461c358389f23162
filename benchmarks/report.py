"""Benchmark: size and load time of the HTML topic report in headless Chromium.

Usage (from the repository root; heavy, so serialised with the other benchmarks)::

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/report.py
    .venv/bin/python benchmarks/report.py --sizes 500 --no-write        # quick look

Data: AG News test (7,600 news, 4 labels) from ``$TEXTMINE_DATA_DIR`` or ``../shared/data``.
A TopicModel (n_topics=4, seed 42) is fitted once on all 7,600 documents; the report
is then written for the first N documents (N in ``--sizes``) with the same model and
opened in Chromium (``--headless=new --disable-gpu``, a fresh profile, all network
sent to a dead proxy). Times are wall-clock from ``driver.get`` until the plotly map
has drawn (an SVG or WebGL canvas exists), median of ``--repeat`` loads.
Both plotly trace types are measured at every size: SVG ``scatter`` and WebGL
``scattergl`` (the report switches to WebGL above ``textmine.report.WEBGL_FROM`` points).

datamapplot was not measured: its interactive maps load deck.gl, apache-arrow, d3,
jquery and Google fonts from CDNs (unpkg, cdn.datatables.net, fonts.googleapis.com);
its ``offline_mode`` embeds a cache that must first be downloaded from those CDNs,
which a machine without internet access cannot do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))


# time 5 zoom steps (what a user's scroll-zoom does), each until plotly has redrawn
ZOOM_JS = """
var done = arguments[arguments.length - 1];
var gd = document.getElementById('topic-map');
var xr = gd._fullLayout.xaxis.range.slice(), yr = gd._fullLayout.yaxis.range.slice();
var t0 = performance.now(), i = 0;
function step() {
  if (i === 5) { done(Math.round((performance.now() - t0) / 5)); return; }
  var f = 1 - 0.1 * (++i), cx = (xr[0] + xr[1]) / 2, cy = (yr[0] + yr[1]) / 2;
  Plotly.relayout(gd, {'xaxis.range': [cx - (cx - xr[0]) * f, cx + (xr[1] - cx) * f],
                       'yaxis.range': [cy - (cy - yr[0]) * f, cy + (yr[1] - cy) * f]})
    .then(function () { requestAnimationFrame(function () { setTimeout(step, 0); }); });
}
step();
"""


def data_dir() -> Path:
    env = os.environ.get("TEXTMINE_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,5000,7600")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--note", default="", help="a remark printed under the machine line")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks" / "report.md")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    import browser_check
    import numpy as np

    import textmine.report as report
    from textmine import TopicModel
    from textmine.embed import get_embedder

    browser, driver, reason = browser_check.ensure_chromium()
    if not browser:
        print(f"chromium unavailable: {reason}", file=sys.stderr)
        return 1
    rows = [json.loads(x) for x in (data_dir() / "topic" / "ag_news_test.jsonl").open(encoding="utf-8")]
    n_max = max(sizes)
    rows = rows[:n_max]
    docs = [r["text"] for r in rows]
    gold = [r["label"] for r in rows]
    t0 = time.perf_counter()
    if n_max == 7600:  # the whole test split: reuse benchmarks/_embcache.py's embeddings when there
        sys.path.insert(0, str(REPO / "benchmarks"))
        from _embcache import cached_embeddings

        E, _ = cached_embeddings("ag_news", docs)
    else:
        E = get_embedder("default").encode(docs)
    t_embed = time.perf_counter() - t0
    t0 = time.perf_counter()
    n_fit = min(len(docs), 2000)  # fitted on the first 2,000; the other documents are assigned by transform
    model = TopicModel(n_topics=4, random_state=42).fit(docs[:n_fit], embeddings=E[:n_fit])
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    coords_all = report.map_coordinates(E, random_state=42)
    t_umap = time.perf_counter() - t0
    print(f"embed {t_embed:.1f}s, fit {t_fit:.1f}s, 2-D UMAP of {len(docs)} docs {t_umap:.1f}s", file=sys.stderr)

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        # warm-up (not recorded): loads the keyword extractor's models once
        report.write_topic_report(model, Path(tmp) / "warm.html", docs=docs[:50], embeddings=E[:50],
                                  coords=coords_all[:50], keyword_sample=20, force=True)
        for n in sizes:
            for kind, webgl_from in (("svg scatter", 10**9), ("webgl scattergl", 0)):
                report.WEBGL_FROM = webgl_from
                path = Path(tmp) / f"r_{n}_{webgl_from}.html"
                t0 = time.perf_counter()
                report.write_topic_report(model, path, docs=docs[:n], gold_labels=gold[:n], embeddings=E[:n],
                                          coords=coords_all[:n], keyword_sample=20, force=True)
                t_write = time.perf_counter() - t0
                loads = [browser_check.check_html(path, browser=browser, driver_path=driver,
                                                  async_scripts={"zoom_ms": ZOOM_JS})
                         for _ in range(args.repeat)]
                errs = sum(len(x["console_errors"]) for x in loads)
                net = sum(len(x["network_requests"]) for x in loads)
                results.append({
                    "n": n, "kind": kind, "mb": path.stat().st_size / 1e6, "write_s": t_write,
                    "render_s": statistics.median(x["render_s"] for x in loads),
                    "load_event_ms": statistics.median(x["load_event_ms"] for x in loads),
                    "zoom_ms": statistics.median(x["scripts"]["zoom_ms"] for x in loads),
                    "rendered": all(x["map_rendered"] for x in loads), "errors": errs, "network": net,
                })
                print(results[-1], file=sys.stderr)
    report.WEBGL_FROM = 5_000

    from plotly import __version__ as plotly_version

    lines = [
        "## HTML report: size and load time",
        "",
        "Command: `" + shlex.join([".venv/bin/python", "benchmarks/report.py",
                                    *(argv if argv is not None else sys.argv[1:])]) + "`",
        "",
        f"Machine: `{platform.machine()}`, {os.cpu_count()} cores, shared with other jobs; "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; plotly {plotly_version}; "
        "Chromium headless, `--disable-gpu` (WebGL through SwiftShader).",
        "",
        *([args.note, ""] if args.note else []),
        f"Data: AG News test, first N of {len(docs):,} documents; TopicModel(n_topics=4) fitted once on the "
        f"first {n_fit:,} (precomputed embeddings, fit {t_fit:.0f} s), the rest assigned by `transform`; "
        f"2-D UMAP of {len(docs):,} documents {t_umap:.0f} s. "
        f"Render = from `driver.get` to the map drawn; zoom step = one 10 % zoom (`Plotly.relayout`) until "
        f"redrawn, mean of 5 steps; medians of {args.repeat} loads.",
        "",
        "| documents | trace | file MB | write s | load event ms | render s | zoom step ms | console errors | network requests |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:,} | {r['kind']} | {r['mb']:.1f} | {r['write_s']:.1f} | {r['load_event_ms']:.0f} | "
            f"{r['render_s']:.2f} | {r['zoom_ms']:.0f} | {r['errors']} | {r['network']} |"
        )
    lines += [
        "",
        "`write s` includes the keywords of 20 sampled documents: the first row of each size fills the embedding cache, the second finds it warm.",
        "plotly.js (about 4.6 MB minified) is embedded once; each document adds its hover text "
        f"(at most {report.HOVER_CHARS} characters) and two coordinates.",
        "datamapplot was not measured: its interactive output needs deck.gl, d3, apache-arrow and fonts "
        "from CDNs (or an offline cache downloaded from them), which this offline machine cannot reach.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
