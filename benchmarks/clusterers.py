"""HDBSCAN implementations for the discovery stage: ``hdbscan`` (default) vs ``fast_hdbscan``.

TopicModel defaults (seed 42) on the cached MiniLM embeddings, only ``clustering`` changes; UMAP is
warmed up first (numba compilation) so the timings compare the clustering. Reports the discovery
stage's seconds (UMAP + clustering + merge), topics, outliers and NMI over the non-empty documents.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/clusterers.py
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _embcache import cached_embeddings, load_dataset  # noqa: E402


def main() -> None:
    from textmine import TopicModel
    from textmine.evaluation import clustering_scores

    rows = []
    for name in ("20newsgroups", "stackoverflow"):
        texts, gold = load_dataset(name)
        X, _ = cached_embeddings(name, texts)
        nb = np.array([bool(t.strip()) for t in texts])
        g = [x for x, keep in zip(gold, nb) if keep]
        TopicModel(random_state=42).fit(texts[:6000], embeddings=X[:6000])  # warm-up (numba)
        TopicModel(random_state=42, clustering="fast_hdbscan").fit(texts[:6000], embeddings=X[:6000])
        for clustering in ("hdbscan", "fast_hdbscan"):
            tm = TopicModel(random_state=42, clustering=clustering).fit(texts, embeddings=X)
            sc = clustering_scores(tm.labels_[nb], g)
            rows.append((name, clustering, tm.timings_["discover"], tm.n_clusters_found_, len(tm.topics_),
                         float((tm.labels_[nb] == -1).mean()), sc["nmi"], sc["ari"]))
            print(rows[-1], flush=True)
    lines = [
        "# Clustering: hdbscan vs fast_hdbscan",
        "",
        "Command: `flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/clusterers.py`  ",
        f"Machine: `{platform.machine()}`, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}. TopicModel defaults (seed 42) "
        "on the cached MiniLM embeddings, only `clustering` changed; UMAP warmed up first. Discovery s = UMAP + "
        "clustering + merge; outliers / NMI / ARI over the non-empty documents.",
        "",
        "| dataset | clustering | discovery s | clusters found | topics | outliers | NMI | ARI |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, cl, sec, found, k, out, nmi, ari in rows:
        lines.append(f"| {name} | {cl} | {sec:.1f} | {found} | {k} | {out:.1%} | {nmi:.3f} | {ari:.3f} |")
    lines.append("")
    (HERE.parent / "docs" / "benchmarks" / "clusterers.md").write_text("\n".join(lines), encoding="utf-8")
    print("wrote docs/benchmarks/clusterers.md")


if __name__ == "__main__":
    main()
