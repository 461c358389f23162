"""UMAP on 20 Newsgroups: pynndescent's approximate neighbour graph vs textmine's exact one.

Each variant runs in a fresh process (numba compiles UMAP's and pynndescent's kernels on first use,
as it does for every user), on the cached MiniLM embeddings of the non-empty documents, with the
default settings of textmine's ``"umap"`` preset (30 neighbours, 5 dimensions, cosine, seed 42),
then textmine's ``"hdbscan"`` clusterer (leaf selection) with min_cluster_size n//200: the
discovery stage of TopicModel, before the centroid merge and the assignment.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/investigations/knn_umap.py --out docs/benchmarks/knn_umap.md
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]  # benchmarks/: the shared helpers (_fresh, _embcache)
sys.path.insert(0, str(HERE))

from _fresh import emit_page, run_fresh  # noqa: E402

CHILD = r"""
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[2])
from _embcache import load_dataset, cached_embeddings
texts, y = load_dataset("20newsgroups")
X, _ = cached_embeddings("20newsgroups", texts)
keep = np.array([bool(t.strip()) for t in texts])
X = np.ascontiguousarray(X[keep], dtype=np.float32)
t0 = time.perf_counter()
from textmine.topics.reduce import UMAPReducer
r = UMAPReducer(n_neighbors=30, random_state=42, exact_knn_max=10**9 if sys.argv[1] == "exact" else 0)
Y = r.fit_transform(X)
t_umap = time.perf_counter() - t0
from textmine.topics.cluster import make_clusterer
lab = make_clusterer("hdbscan", min_cluster_size=max(10, len(X) // 200), n_clusters=None, random_state=42).fit_predict(Y)
from sklearn.metrics import normalized_mutual_info_score as nmi
yy = np.array(y)[keep]
print(json.dumps({"umap_s": t_umap, "clusters": int(lab.max() + 1), "noise": float((lab < 0).mean()),
                  "nmi_noise_as_cluster": float(nmi(yy, lab))}))
"""


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="markdown file to write (else stdout only)")
    args = ap.parse_args()
    rows = {}
    for mode in ("pynndescent", "exact"):
        rows[mode] = run_fresh(CHILD, mode, str(HERE))
    lines = [
        "# UMAP neighbour graph: pynndescent vs exact",
        "",
        "Command: `flock /tmp/textmine-bench.lock python benchmarks/investigations/knn_umap.py " + " ".join(sys.argv[1:]) + "`  ",
        f"20 Newsgroups (non-empty documents), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 2-core x86_64, "
        "a fresh process per row; HDBSCAN = textmine's leaf clusterer, before the centroid merge.",
        "",
        "| neighbour graph | UMAP s (incl. numba compile) | HDBSCAN clusters | noise | NMI (noise as a cluster) |",
        "|---|---|---|---|---|",
    ]
    for mode, r in rows.items():
        lines.append(
            f"| {mode} | {r['umap_s']:.1f} | {r['clusters']} | {r['noise']:.1%} | {r['nmi_noise_as_cluster']:.3f} |"
        )
    emit_page(lines, args.out)


if __name__ == "__main__":
    main()
