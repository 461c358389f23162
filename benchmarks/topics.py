"""Topic-model benchmark: textmine TopicModel vs BERTopic defaults vs scikit-learn LDA.

Same data, same run, same cached all-MiniLM-L6-v2 embeddings for the two
embedding-based systems (computed once with ``textmine.embed`` and kept as
``.npy`` under ``benchmarks/.cache``, git-ignored). Each system runs in its own
subprocess so its peak memory (``ru_maxrss``) is its own.

Usage (the full run takes a while; run it alone on the machine)::

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/topics.py
    .venv/bin/python benchmarks/topics.py --datasets ag_news --limit 2000 --systems textmine

Metrics (textmine.evaluation.topics): number of topics (without -1), outlier
share, NPMI of the top-10 words (document co-occurrence on the dataset
itself), diversity (unique share of the top-25 words), NMI / ARI against the
gold labels (outliers count as one cluster), fit seconds given the embeddings,
embedding seconds (the run that filled the cache), peak RSS of the
subprocess, transform-vs-fit agreement (transform on the training docs in a
shuffled order), seeded-run identity (a second fit with the same seed gives
identical labels and words).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _embcache import DATASETS, cached_embeddings, load_dataset  # noqa: E402

SYSTEMS = ("textmine", "bertopic", "lda")
SEED = 42


def _embeddings(name: str, limit: int | None) -> tuple[list[str], list[str], np.ndarray, float]:
    texts, labels = load_dataset(name)
    X, seconds = cached_embeddings(name, texts)  # the whole dataset, computed once
    n_full = len(texts)
    if limit is not None and limit < n_full:
        # a fixed random subset (every class represented), same for every system
        idx = np.sort(np.random.RandomState(0).permutation(len(texts))[:limit])
        texts = [texts[i] for i in idx]
        labels = [labels[i] for i in idx]
        X = X[idx]
        seconds = seconds * limit / n_full
    return texts, labels, X, seconds


def _metrics(texts, gold, labels, words) -> dict:
    """NMI / ARI / outlier share over the non-empty documents (the protocol of the issue's baseline table:
    "20 Newsgroups (18,331 non-empty)"); ``nmi_all`` / ``ari_all`` also count the empty ones (always -1)."""
    from textmine.evaluation import clustering_scores, npmi_coherence, outlier_share, topic_diversity

    labels = np.asarray(labels)
    nb = np.array([bool(t.strip()) for t in texts])
    out = clustering_scores(labels[nb], [g for g, keep in zip(gold, nb) if keep])
    every = clustering_scores(labels, gold)
    out["nmi_all"], out["ari_all"] = every["nmi"], every["ari"]
    out["n_nonempty"] = int(nb.sum())
    out["n_topics"] = len(words)
    out["outliers"] = outlier_share(labels[nb])
    out["outliers_all"] = outlier_share(labels)
    t0 = time.perf_counter()
    out["npmi"] = npmi_coherence(words, texts, top_n=10)
    out["diversity"] = topic_diversity(words, top_n=25)
    out["eval_s"] = time.perf_counter() - t0
    return out


def run_textmine(texts, gold, X) -> dict:
    from textmine import TopicModel

    t0 = time.perf_counter()
    tm = TopicModel(random_state=SEED).fit(texts, embeddings=X)
    fit_s = time.perf_counter() - t0
    words = [[w for w, _ in t.words] for t in tm.topics_]
    res = _metrics(texts, gold, tm.labels_, words)
    res["fit_s"] = fit_s
    res["clusters_found"] = tm.n_clusters_found_
    res["timings"] = tm.timings_
    perm = np.random.RandomState(1).permutation(len(texts))
    pred = tm.transform([texts[i] for i in perm], embeddings=X[perm])
    res["transform_agreement"] = float((pred == tm.labels_[perm]).mean())
    # seeded-run identity: two more fits with the same seed (on a fixed subset when --identity-limit is set)
    lim = int(os.environ.get("TM_IDENTITY_LIMIT") or 0)
    if lim and lim < len(texts):
        sub = np.sort(np.random.RandomState(2).permutation(len(texts))[:lim])
        st, sX = [texts[i] for i in sub], X[sub]
        ref = TopicModel(random_state=SEED).fit(st, embeddings=sX)
    else:
        st, sX, ref = texts, X, tm
    tm2 = TopicModel(random_state=SEED).fit(st, embeddings=sX)
    res["seeded_identical"] = bool(
        np.array_equal(tm2.labels_, ref.labels_) and [t.words for t in tm2.topics_] == [t.words for t in ref.topics_]
    )
    res["identity_docs"] = len(st)
    res["top_words"] = [w[:8] for w in words[:25]]
    res["sizes"] = [t.size for t in tm.topics_]
    return res


def run_bertopic(texts, gold, X) -> dict:
    import warnings

    warnings.filterwarnings("ignore")
    from bertopic import BERTopic

    t0 = time.perf_counter()
    model = BERTopic()  # defaults (min_topic_size=10, UMAP 5-d, HDBSCAN, CountVectorizer, c-TF-IDF)
    topics, _ = model.fit_transform(texts, embeddings=X)
    fit_s = time.perf_counter() - t0
    labels = np.asarray(topics)
    ids = sorted(t for t in set(labels.tolist()) if t != -1)
    words = [[w for w, _ in (model.get_topic(t) or [])] for t in ids]
    # BERTopic keeps 10 words per topic by default: diversity is over what it has (<= 10 per topic)
    res = _metrics(texts, gold, labels, words)
    res["fit_s"] = fit_s
    perm = np.random.RandomState(1).permutation(len(texts))
    pred, _ = model.transform([texts[i] for i in perm], embeddings=X[perm])
    res["transform_agreement"] = float((np.asarray(pred) == labels[perm]).mean())
    res["seeded_identical"] = None  # BERTopic's defaults set no UMAP seed
    res["top_words"] = [w[:8] for w in words[:25]]
    return res


def run_lda(texts, gold, X) -> dict:
    from sklearn.decomposition import LatentDirichletAllocation
    from sklearn.feature_extraction.text import CountVectorizer

    t0 = time.perf_counter()
    vec = CountVectorizer(stop_words="english", min_df=5, max_df=0.5)
    C = vec.fit_transform(texts)
    lda = LatentDirichletAllocation(n_components=20, random_state=SEED, n_jobs=1)
    theta = lda.fit_transform(C)
    fit_s = time.perf_counter() - t0
    empty = np.asarray(C.sum(axis=1)).ravel() == 0
    labels = np.where(empty, -1, theta.argmax(axis=1))
    vocab = vec.get_feature_names_out()
    words = [[str(vocab[j]) for j in np.argsort(-comp)[:25]] for comp in lda.components_]
    res = _metrics(texts, gold, labels, words)
    res["fit_s"] = fit_s
    perm = np.random.RandomState(1).permutation(len(texts))
    pred = lda.transform(C[perm]).argmax(axis=1)
    pred = np.where(empty[perm], -1, pred)
    res["transform_agreement"] = float((pred == labels[perm]).mean())
    lda2 = LatentDirichletAllocation(n_components=20, random_state=SEED, n_jobs=1).fit(C)
    res["seeded_identical"] = bool(np.allclose(lda2.components_, lda.components_, rtol=0, atol=0))
    res["top_words"] = [w[:8] for w in words]
    return res


def worker(system: str, dataset: str, limit: int | None) -> None:
    texts, gold, X, emb_s = _embeddings(dataset, limit)
    fn = {"textmine": run_textmine, "bertopic": run_bertopic, "lda": run_lda}[system]
    res = fn(texts, gold, X)
    res["embed_s"] = emb_s if system != "lda" else None
    res["n_docs"] = len(texts)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=",".join(DATASETS), help="comma list of " + ", ".join(DATASETS))
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma list of " + ", ".join(SYSTEMS))
    ap.add_argument("--limit", type=int, default=None, help="random subset of N documents per dataset")
    ap.add_argument("--out", default=str(HERE.parent / "docs" / "benchmarks" / "topics.md"))
    ap.add_argument("--json", default=str(HERE / "results" / "topics.json"))
    ap.add_argument("--identity-limit", type=int, default=3000,
                    help="seeded-identity check on a subset of N docs (0 = refit the whole dataset)")
    ap.add_argument("--note", default="", help="a sentence added under the header (e.g. machine load)")
    ap.add_argument("--render", nargs="+", metavar="JSON",
                    help="only re-write --out from result JSON files of earlier runs (datasets merged in order)")
    ap.add_argument("--plot", metavar="PNG", help="only draw the 2-D topic map of --plot-dataset to PNG")
    ap.add_argument("--plot-dataset", default="20newsgroups")
    ap.add_argument("--plot-docs", type=int, default=3000)
    ap.add_argument("--worker", nargs=2, metavar=("SYSTEM", "DATASET"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.limit)
        return
    if args.render:
        merged, cmds = {}, []
        for f in args.render:
            d = json.loads(Path(f).read_text())
            merged.update(d["results"])
            cmds.append(f"{d['command']}  ({d['date']})")
        write_markdown(Path(args.out), merged, "`; `".join(cmds), None, dated=False, note=args.note)
        return
    if args.plot:
        print("\n".join(plot_map(args.plot_dataset, args.plot_docs, Path(args.plot))))
        return
    datasets = [d for d in args.datasets.split(",") if d]
    systems = [s for s in args.systems.split(",") if s]
    results: dict[str, dict[str, dict]] = {}
    for ds in datasets:
        texts, _ = load_dataset(ds)
        cached_embeddings(ds, texts)  # fill the cache outside the timed workers
        results[ds] = {}
        for system in systems:
            cmd = [sys.executable, __file__, "--worker", system, ds]
            if args.limit:
                cmd += ["--limit", str(args.limit)]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0", "TM_IDENTITY_LIMIT": str(args.identity_limit)})
            line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            if proc.returncode != 0 or not line:
                print(f"{ds}/{system} FAILED:\n{proc.stderr[-3000:]}", file=sys.stderr)
                results[ds][system] = {"error": proc.stderr[-500:]}
                continue
            res = json.loads(line[-1][7:])
            res["wall_s"] = time.perf_counter() - t0
            results[ds][system] = res
            print(ds, system, {k: (round(v, 3) if isinstance(v, float) else v) for k, v in res.items()
                               if k not in ("top_words", "sizes", "timings")}, flush=True)
            # written after every system, so a long run that is cut short keeps what it measured
            cmdline = "python benchmarks/topics.py " + " ".join(sys.argv[1:])
            write_markdown(Path(args.out), results, cmdline, args.limit)
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps({"command": cmdline, "date": _now(), "results": results}, indent=1))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _fmt(v, nd=3):
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def write_markdown(
    path: Path, results: dict, cmdline: str, limit: int | None, *, dated: bool = True, note: str = ""
) -> None:
    names = {"textmine": "textmine TopicModel (defaults)", "bertopic": "BERTopic 0.17 defaults", "lda": "sklearn LDA (20 topics)"}
    lines = [
        "## Topic modeling",
        "",
        f"Command: `{cmdline.strip()}`  ",
        f"Machine: `{platform.machine()}`, {os.cpu_count()} cores (shared), Python {platform.python_version()}"
        + (f"; date: {_now()}  " if dated else "  "),
        "Embeddings: all-MiniLM-L6-v2 via `textmine.embed`, computed once and shared by textmine and BERTopic "
        "(embedding seconds = the run that filled the cache" + (", scaled to the subset" if limit else "") + ").  ",
        "NPMI: top-10 words, whole-document co-occurrence on the dataset itself; diversity: unique share of the top-25 "
        "words (BERTopic keeps 10 words per topic); outliers, NMI and ARI over the non-empty documents (as in the "
        "issue's baseline table), outliers as one cluster; \"NMI all\" also counts the empty documents (always -1); "
        "agreement: `transform` on the training docs in shuffled order vs the fit's labels; identity: a second fit with "
        "the same seed gives identical labels and words (two fits on a fixed subset of `--identity-limit` docs).",
        *([note] if note else []),
        "",
    ]
    for ds, per in results.items():
        n = next((r.get("n_docs") for r in per.values() if "n_docs" in r), "?")
        nn = next((r.get("n_nonempty") for r in per.values() if "n_nonempty" in r), "?")
        lines += [f"### {ds} ({n} documents, {nn} non-empty)", ""]
        lines.append("| system | topics | outliers | NPMI | diversity | NMI | ARI | NMI all | fit s | embed s | peak RSS MB | transform = fit | seeded identical |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for system, r in per.items():
            if "error" in r:
                lines.append(f"| {names.get(system, system)} | failed: {r['error'][-80:]!r} |" + " |" * 10)
                continue
            lines.append(
                f"| {names.get(system, system)} | {r['n_topics']} | {r['outliers']:.1%} | {_fmt(r['npmi'])} | "
                f"{_fmt(r['diversity'])} | {_fmt(r['nmi'])} | {_fmt(r['ari'])} | {_fmt(r.get('nmi_all'))} | {r['fit_s']:.1f} | "
                f"{_fmt(r['embed_s'], 1)} | {r['peak_rss_mb']:.0f} | {r['transform_agreement']:.1%} | "
                f"{_fmt(r['seeded_identical'])} |"
            )
        tmr = per.get("textmine")
        if tmr and "top_words" in tmr:
            lines += ["", f"textmine topics on {ds} (largest first, top words):", ""]
            for i, (ws, size) in enumerate(zip(tmr["top_words"][:12], tmr["sizes"][:12])):
                lines.append(f"- {i} ({size} docs): {', '.join(ws)}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")




# ----------------------------------------------------------------------------- 2-D map (PNG without matplotlib)

PALETTE = [
    "1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd", "8c564b", "e377c2", "17becf", "bcbd22", "7f7f7f",
    "aec7e8", "ffbb78", "98df8a", "ff9896", "c5b0d5", "c49c94", "f7b6d2", "9edae5", "dbdb8d", "393b79",
]


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Minimal PNG writer (8-bit RGB, zlib), so the docs plot needs no plotting library."""
    import struct
    import zlib

    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].astype(np.uint8).tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)


def plot_map(dataset: str, n: int, out: Path) -> list[str]:
    """Fit TopicModel on ``n`` docs, draw a 2-D UMAP of the embeddings coloured by topic; return legend lines."""
    from umap import UMAP

    from textmine import TopicModel

    texts, _, X, _ = _embeddings(dataset, n)
    tm = TopicModel(random_state=SEED).fit(texts, embeddings=X)
    nb = np.array([bool(t.strip()) for t in texts])
    xy = UMAP(n_neighbors=15, n_components=2, min_dist=0.1, metric="cosine", random_state=SEED).fit_transform(X[nb])
    lab = tm.labels_[nb]
    W = H = 640
    img = np.full((H, W, 3), 255, dtype=np.uint8)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    p = ((xy - lo) / np.maximum(hi - lo, 1e-9) * (W - 12) + 6).astype(int)
    order = np.argsort(lab >= 0, kind="stable")  # outliers first, underneath
    for i in order:
        t = lab[i]
        color = np.array([200, 200, 200]) if t < 0 else np.array(
            [int(PALETTE[t % len(PALETTE)][j : j + 2], 16) for j in (0, 2, 4)]
        )
        x, y = p[i]
        img[H - y - 2 : H - y + 1, x - 1 : x + 2] = color
    write_png(out, img)
    legend = []
    for t in tm.topics_[: len(PALETTE)]:
        legend.append(f"- `#{PALETTE[t.id % len(PALETTE)]}` topic {t.id} ({t.size} docs): {', '.join(t.top_words(6))}")
    legend.append("- `#c8c8c8` outliers (-1)")
    return legend


if __name__ == "__main__":
    main()
