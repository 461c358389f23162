"""Tune TopicModel's ``merge_threshold`` on the 20 Newsgroups *train* split only.

The discovery stage (UMAP + HDBSCAN) runs once per seed; every threshold then
reuses its clusters (the merge and assignment stages are cheap), so the grid
costs one discovery per seed. The test split is never looked at here; the
chosen value is then checked on all datasets by ``benchmarks/topics.py``.

    .venv/bin/python benchmarks/tune_topics.py --seeds 42,7 --thresholds 0.5,0.55,0.6,0.65,0.7
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _embcache import DATASETS, cached_embeddings, data_dir  # noqa: E402


class Precomputed:
    """A clusterer that hands back labels found earlier (for the grid only)."""

    def __init__(self, labels):
        self.labels = labels

    def fit_predict(self, Y):
        return self.labels


def load(name: str, split: str | None):
    texts, gold, keep = [], [], []
    with (data_dir() / DATASETS[name]).open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            row = json.loads(line)
            texts.append(row["text"])
            gold.append(str(row["label"]))
            if split is None or str(row.get("id", "")).startswith(split + "/"):
                keep.append(i)
    X, _ = cached_embeddings(name, texts)
    keep = np.asarray(keep)
    return [texts[i] for i in keep], [gold[i] for i in keep], X[keep]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="20newsgroups")
    ap.add_argument("--split", default="train", help='id prefix of the tuning split ("" = all documents)')
    ap.add_argument("--seeds", default="42")
    ap.add_argument("--thresholds", default="0.5,0.55,0.6,0.65,0.7,0.75")
    ap.add_argument("--min-topic-size", default="auto")
    args = ap.parse_args()

    from textmine import TopicModel
    from textmine._validation import is_blank
    from textmine.evaluation import clustering_scores
    from textmine.topics.discovery import Discovery
    from textmine.topics.params import min_topic_size

    texts, gold, X = load(args.dataset, args.split or None)
    idx = np.flatnonzero([not is_blank(t) for t in texts])
    mts = args.min_topic_size if args.min_topic_size == "auto" else int(args.min_topic_size)
    print(f"{args.dataset} split={args.split or 'all'}: {len(texts)} docs ({len(idx)} non-empty)", flush=True)
    for seed in [int(s) for s in args.seeds.split(",")]:
        t0 = time.perf_counter()
        base = TopicModel(random_state=seed, min_topic_size=mts)
        Xn = X[idx].astype(np.float32) / np.linalg.norm(X[idx], axis=1, keepdims=True)
        raw, _, _ = Discovery.from_model(base).cluster(Xn, None, min_topic_size(base, len(Xn)))
        print(f"seed {seed}: discovery {time.perf_counter() - t0:.1f} s, {len(np.unique(raw[raw >= 0]))} clusters", flush=True)
        full_raw = raw
        for thr in args.thresholds.split(","):
            t = None if thr == "none" else float(thr)
            tm = TopicModel(
                random_state=seed, min_topic_size=mts, merge_threshold=t, reduction="none", clustering=Precomputed(full_raw)
            )
            tm.fit([texts[i] for i in idx], embeddings=X[idx])
            s = clustering_scores(tm.labels_, [gold[i] for i in idx])
            print(
                f"  thr={thr:>5}: topics={len(tm.topics_):3d} outliers={np.mean(tm.labels_ == -1):.3f} "
                f"NMI={s['nmi']:.3f} ARI={s['ari']:.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
