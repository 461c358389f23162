"""Embedding backends: speed vs topic quality (the trade-off table asked for by the topics issue).

Configurations of the same all-MiniLM-L6-v2 model (textmine.embed backends):
torch fp32 (the baseline: sentence-transformers), ONNX Runtime fp32, ONNX Runtime per-channel dynamic int8,
each at the model's own max length (256 word pieces) and at 128.

Two phases, so the slow part can run while the machine is busy and the timed part when it is quiet:

* ``--phase embed``: full-dataset embeddings of every configuration, cached as ``.npy`` under
  ``benchmarks/.cache`` (the torch@256 baseline is the topic benchmark's own cache). Not timed.
* ``--phase speed``: docs/s of each configuration on a fixed random subset (``--speed-docs``, default 2,000),
  configurations interleaved over ``--repeat`` rounds (median reported), model loaded and warmed first.
* ``--phase report``: for each configuration, mean / 5th-percentile cosine to the baseline vectors, and
  TopicModel defaults (seed 42) fitted on its full-dataset embeddings: topics, outliers, NMI, ARI;
  whole-pipeline seconds = full-dataset embedding seconds (estimated from the measured docs/s)
  + fit seconds. Writes ``docs/benchmarks/embedding_backends.md``.

    .venv/bin/python benchmarks/embedding_backends.py --phase embed
    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/embedding_backends.py --phase speed
    .venv/bin/python benchmarks/embedding_backends.py --phase report
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _embcache import CACHE, cached_embeddings, load_dataset  # noqa: E402

CONFIGS = {  # name: (backend, max_seq_length)
    "torch@256": ("torch", None),
    "onnx-int8@256": ("onnx-int8", None),
    "onnx-int8@128": ("onnx-int8", 128),
    "torch@128": ("torch", 128),
    "onnx@256": ("onnx", None),
}
BASELINE = "torch@256"
RESULTS = HERE / "results" / "embedding_backends.json"


def _embedder(name: str):
    from textmine.embed import SentenceTransformerEmbedder

    backend, length = CONFIGS[name]
    return SentenceTransformerEmbedder("default", cache=False, backend=backend, max_seq_length=length)


def full_embeddings(dataset: str, name: str, texts: list[str]) -> np.ndarray:
    if name == BASELINE:
        return cached_embeddings(dataset, texts)[0]
    npy = CACHE / f"{dataset}.{name.replace('@', '_')}.npy"
    if npy.is_file():
        X = np.load(npy)
        if len(X) == len(texts):
            return X
    t0 = time.perf_counter()
    X = _embedder(name).encode(texts, show_progress=False)
    np.save(npy, X)
    print(f"  {name}: {len(texts)} docs embedded in {time.perf_counter() - t0:.0f} s (untimed phase)", flush=True)
    return X


def phase_embed(args) -> None:
    texts, _ = load_dataset(args.dataset)
    for name in CONFIGS:
        full_embeddings(args.dataset, name, texts)


def phase_speed(args) -> None:
    import torch

    texts, _ = load_dataset(args.dataset)
    rs = np.random.RandomState(0)
    pool = [t for t in texts if t.strip()]
    sub = [pool[i] for i in rs.permutation(len(pool))[: args.speed_docs]]
    embs = {name: _embedder(name) for name in CONFIGS}
    for e in embs.values():
        e.encode(sub[:64])  # load, export, warm up
    times: dict[str, list[float]] = {n: [] for n in CONFIGS}
    for r in range(args.repeat):
        names = list(CONFIGS) if r % 2 == 0 else list(reversed(CONFIGS))
        for name in names:
            t0 = time.perf_counter()
            embs[name].encode(sub)
            times[name].append(time.perf_counter() - t0)
            print(f"  round {r}: {name} {len(sub) / times[name][-1]:.1f} docs/s", flush=True)
    out = _load_results()
    out["speed"] = {
        "docs": len(sub),
        "repeat": args.repeat,
        "threads": torch.get_num_threads(),
        "docs_per_s": {n: len(sub) / statistics.median(v) for n, v in times.items()},
        "all_seconds": times,
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load": os.getloadavg()[0],
    }
    _save_results(out)


def phase_report(args) -> None:
    from textmine import TopicModel
    from textmine.evaluation import clustering_scores, outlier_share

    texts, gold = load_dataset(args.dataset)
    base = full_embeddings(args.dataset, BASELINE, texts)
    nonblank = np.array([bool(t.strip()) for t in texts])
    out = _load_results()
    rows = {}
    # UMAP compiles its numba code on first use (~25 s): warm it up so every configuration's fit is comparable
    TopicModel(random_state=42).fit(texts[:6000], embeddings=base[:6000])  # > 4096: UMAP's nearest-neighbour descent path too
    for name in CONFIGS:
        X = full_embeddings(args.dataset, name, texts)
        cos = (X[nonblank] * base[nonblank]).sum(axis=1)
        t0 = time.perf_counter()
        tm = TopicModel(random_state=42).fit(texts, embeddings=X)
        fit_s = time.perf_counter() - t0
        sc = clustering_scores(tm.labels_[nonblank], [g for g, keep in zip(gold, nonblank) if keep])
        rows[name] = {
            "cos_mean": float(cos.mean()),
            "cos_p5": float(np.percentile(cos, 5)),
            "n_topics": len(tm.topics_),
            "outliers": outlier_share(tm.labels_[nonblank]),
            "nmi": sc["nmi"],
            "ari": sc["ari"],
            "fit_s": fit_s,
        }
        print(name, rows[name], flush=True)
    out["quality"] = {"dataset": args.dataset, "n_docs": len(texts), "rows": rows,
                      "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    _save_results(out)
    write_markdown(out, len(texts))


def _load_results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}


def _save_results(out: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1))


def write_markdown(out: dict, n_docs: int) -> None:
    sp, q = out.get("speed"), out["quality"]
    base_rate = sp["docs_per_s"][BASELINE] if sp else None
    lines = [
        "# Embedding backends: speed vs topic quality",
        "",
        "Commands (the speed phase alone on the machine, under the benchmark lock):",
        "",
        "```",
        ".venv/bin/python benchmarks/embedding_backends.py --phase embed",
        "flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/embedding_backends.py --phase speed",
        ".venv/bin/python benchmarks/embedding_backends.py --phase report",
        "```",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        + (f"Speed: {sp['docs']} random non-empty 20 Newsgroups posts, {sp['repeat']} interleaved rounds, median, "
           f"{sp['threads']} threads, measured {sp['when']} (1-min load {sp['load']:.2f} at the end). " if sp else "")
        + f"Quality: all {n_docs} 20 Newsgroups documents, TopicModel defaults (seed 42) on each configuration's "
        f"embeddings (UMAP warmed up first), measured {q['when']}; NMI / ARI / outliers over the non-empty documents. Cosine = per-document cosine to the torch fp32 vectors (mean, 5th percentile). "
        "Pipeline s = the full corpus at the measured docs/s + TopicModel fit.",
        "",
        "| configuration | docs/s | speed-up | cosine mean | cosine p5 | topics | outliers | NMI | ARI | pipeline s | vs baseline |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base_total = None
    for name, r in q["rows"].items():
        rate = sp["docs_per_s"].get(name) if sp else None
        total = (n_docs / rate + r["fit_s"]) if rate else None
        if name == BASELINE:
            base_total = total
        lines.append(
            f"| {name} | {rate:.1f} | {rate / base_rate:.2f}x | " if rate else f"| {name} | – | – | "
        )
        lines[-1] += (
            f"{r['cos_mean']:.4f} | {r['cos_p5']:.4f} | {r['n_topics']} | {100 * r['outliers']:.1f}% | "
            f"{r['nmi']:.3f} | {r['ari']:.3f} | " + (f"{total:.0f} | " if total else "– | ")
            + (f"{total / base_total:.2f}x |" if total and base_total else "– |")
        )
    base_nmi = q["rows"][BASELINE]["nmi"]
    good = [n for n, r in q["rows"].items() if n != BASELINE and abs(r["nmi"] - base_nmi) <= 0.01]
    lines += [
        "",
        f"Within 0.01 NMI of the baseline ({base_nmi:.3f}): {', '.join(good) if good else 'none'}.",
        "",
    ]
    (HERE.parent / "docs" / "benchmarks" / "embedding_backends.md").write_text("\n".join(lines), encoding="utf-8")
    print("wrote docs/benchmarks/embedding_backends.md")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phase", choices=("embed", "speed", "report"), required=True)
    ap.add_argument("--dataset", default="20newsgroups")
    ap.add_argument("--speed-docs", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    {"embed": phase_embed, "speed": phase_speed, "report": phase_report}[args.phase](args)


if __name__ == "__main__":
    main()
