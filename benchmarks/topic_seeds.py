"""How much of a topic-model NMI is the seed, and what the neighbour graph and the assignment rule add.

On the cached MiniLM embeddings of a dataset, TopicModel defaults are fitted with several seeds and
with these variants (everything else default):

* ``exact graph, classifier``: the defaults (exact cosine neighbour graph for UMAP, classifier assignment);
* ``pynndescent graph, classifier``: UMAP builds its own approximate graph (the default before
  2026-11-25 14:30 UTC);
* ``exact graph, centroid``: ``assignment="centroid"`` (nearest centroid instead of the classifier).

NMI and ARI are over the non-empty documents (outliers count as one cluster), as in benchmarks/topics.py.
All fits run in one process, so fit seconds after the first include no numba compilation and are
not reported; see benchmarks/topics.py and benchmarks/investigations/knn_umap.py for timings.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/topic_seeds.py --dataset 20newsgroups \
        --seeds 0 1 2 42 --out docs/benchmarks/topic_seeds.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _embcache import cached_embeddings, load_dataset  # noqa: E402
from _fresh import emit_page  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="20newsgroups")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 42])
    ap.add_argument("--variants", default="exact,pynndescent,centroid")
    ap.add_argument("--out", default=None, help="markdown file to write (else stdout only)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    from textmine import TopicModel
    from textmine.evaluation import clustering_scores
    from textmine.topics.reduce import UMAPReducer

    texts, gold = load_dataset(args.dataset)
    X, _ = cached_embeddings(args.dataset, texts)
    nonempty = np.array([bool(t.strip()) for t in texts])
    gold_ne = [g for g, k in zip(gold, nonempty) if k]
    variants = {
        "exact": ("exact graph, classifier (default)", {}),
        "pynndescent": ("pynndescent graph, classifier", {"exact_knn_max": 0}),
        "centroid": ("exact graph, centroid", {"assignment": "centroid"}),
    }
    rows: dict[str, list[dict[str, float]]] = {}
    for v in args.variants.split(","):
        name, opt = variants[v]
        rows[v] = []
        for seed in args.seeds:
            params: dict = {"random_state": seed}
            if "exact_knn_max" in opt:
                params["reduction"] = UMAPReducer(random_state=seed, exact_knn_max=opt["exact_knn_max"])
            if "assignment" in opt:
                params["assignment"] = opt["assignment"]
            tm = TopicModel(**params).fit(texts, embeddings=X)
            sc = clustering_scores(tm.labels_[nonempty], gold_ne)
            r = {"seed": seed, "nmi": sc["nmi"], "ari": sc["ari"], "topics": len(tm.topics_),
                 "outliers": float((tm.labels_[nonempty] == -1).mean())}
            rows[v].append(r)
            print(v, r, flush=True)
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "python benchmarks/topic_seeds.py " + " ".join(sys.argv[1:])
    lines = [
        f"# Topic model: seeds and variants ({args.dataset})",
        "",
        f"{when}, 2-core x86_64, `{cmd}`. NMI / ARI over non-empty documents, outliers as one cluster.",
        "",
        "| variant | seeds | NMI per seed | NMI mean ± sd | ARI mean | topics | outliers |",
        "|---|---|---|---|---|---|---|",
    ]
    for v, rs in rows.items():
        nmis = [r["nmi"] for r in rs]
        sd = statistics.stdev(nmis) if len(nmis) > 1 else 0.0
        lines.append(
            f"| {variants[v][0]} | {', '.join(str(r['seed']) for r in rs)} | "
            f"{', '.join(f'{x:.3f}' for x in nmis)} | {statistics.mean(nmis):.3f} ± {sd:.3f} | "
            f"{statistics.mean(r['ari'] for r in rs):.3f} | "
            f"{', '.join(str(r['topics']) for r in rs)} | {statistics.mean(r['outliers'] for r in rs):.1%} |"
        )
    emit_page(lines, args.out)
    if args.json:
        Path(args.json).write_text(json.dumps({"date": when, "command": cmd, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
