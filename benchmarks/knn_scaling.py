"""Neighbour-graph time vs corpus size: textmine's exact cosine k-NN vs pynndescent (what UMAP uses).

The vectors are the cached MiniLM embeddings of 20 Newsgroups, StackOverflow and AG News stacked
(46,446 real documents); the 60,000 row uses them plus 13,554 of them again with small noise.
Each measurement runs in a fresh process, as in a user's script: pynndescent's time includes its
numba compilation. 30 neighbours, cosine. Recall = share of pynndescent's neighbours that are
among the exact ones. This is what ``textmine.topics.reduce.EXACT_KNN_MAX`` (60,000) rests on.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/knn_scaling.py --out docs/benchmarks/knn_scaling.md
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _fresh import emit_page, run_fresh  # noqa: E402

CHILD = r"""
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[3])
from _embcache import load_dataset, cached_embeddings
parts = []
for name in ("20newsgroups", "stackoverflow", "ag_news"):
    texts, _ = load_dataset(name)
    X, _ = cached_embeddings(name, texts)
    parts.append(X[[bool(t.strip()) for t in texts]])
X = np.vstack(parts).astype(np.float32)
n = int(sys.argv[2])
if n > len(X):
    rng = np.random.default_rng(0)
    extra = X[rng.choice(len(X), n - len(X), replace=False)] + rng.normal(scale=0.01, size=(n - len(X), X.shape[1]))
    X = np.vstack([X, extra.astype(np.float32)])
X = X[:n]
t0 = time.perf_counter()
if sys.argv[1] == "exact":
    from textmine.topics.reduce import exact_cosine_knn
    idx, _ = exact_cosine_knn(X, 30)
else:
    from pynndescent import NNDescent
    nnd = NNDescent(X, n_neighbors=30, metric="cosine", random_state=42, low_memory=True, n_jobs=1)
    idx, _ = nnd.neighbor_graph
seconds = time.perf_counter() - t0
np.save(sys.argv[4], idx)
print(json.dumps({"seconds": seconds}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[18331, 46446, 60000])
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import tempfile

    import numpy as np

    rows = []
    tmp = Path(tempfile.mkdtemp())
    for n in args.sizes:
        res = {}
        for mode in ("exact", "pynndescent"):
            path = tmp / f"{mode}_{n}.npy"
            res[mode] = run_fresh(CHILD, mode, str(n), str(HERE), str(path))["seconds"]
            res[mode + "_idx"] = np.load(path)
        ex, ap_ = res["exact_idx"], res["pynndescent_idx"]
        recall = float(np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(ap_, ex)]))
        rows.append((n, res["exact"], res["pynndescent"], recall))
        print(rows[-1], flush=True)
    lines = [
        "# Neighbour graph: exact vs pynndescent, by corpus size",
        "",
        "Command: `flock /tmp/textmine-bench.lock python benchmarks/knn_scaling.py " + " ".join(sys.argv[1:]) + "`  ",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 2-core x86_64, a fresh process per cell "
        "(pynndescent's time includes its numba compilation), 30 neighbours, cosine, MiniLM vectors.",
        "",
        "| documents | exact s | pynndescent s | pynndescent recall of the exact neighbours |",
        "|---|---|---|---|",
    ]
    lines += [f"| {n:,} | {e:.1f} | {p:.1f} | {r:.3f} |" for n, e, p, r in rows]
    emit_page(lines, args.out)


if __name__ == "__main__":
    main()
