"""Calibrate multilingual-e5-small's merge threshold against MiniLM's default (0.5) on training data.

TopicModel merges clusters whose centroids have cosine similarity above ``merge_threshold``; 0.5 was chosen
for all-MiniLM-L6-v2. e5's space is more anisotropic (unrelated texts have cosine ~0.75), so 0.5 merges
everything. The equivalent e5 threshold is read off topic-like centroids of *training* data: the 20
Newsgroups training documents (ids ``train/...``) grouped by newsgroup, 190 centroid pairs embedded by both
models; a least-squares line maps MiniLM's centroid similarity to e5's, and 0.5 is mapped through it (the
quantile of 0.5 among MiniLM's pairs, mapped to e5's same quantile, is printed as a check).

    python benchmarks/e5_merge_threshold.py --per-class 60
    python benchmarks/e5_merge_threshold.py --per-class 60 --target minilm-static   # the static model (issue 15)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=60)
    ap.add_argument("--target", default="multilingual-e5-small", help="the embedding model to calibrate")
    ap.add_argument("--data", default=os.environ.get("TEXTMINE_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data")))
    args = ap.parse_args()
    from textmine.embed import get_embedder, l2_normalize

    rows = [json.loads(l) for l in open(Path(args.data) / "topic" / "20newsgroups.jsonl", encoding="utf-8")]
    rows = [r for r in rows if r["id"].startswith("train/") and len(r["text"].split()) >= 20]
    by: dict[str, list[str]] = {}
    for r in rows:
        by.setdefault(r["label"], [])
        if len(by[r["label"]]) < args.per_class:
            by[r["label"]].append(r["text"][:2000])
    labels = sorted(by)
    t0 = time.time()
    sims = {}
    tgt = args.target
    for name in ("default", tgt):
        emb = get_embedder(name)
        C = np.stack([l2_normalize(emb.encode(by[c])).mean(0) for c in labels])
        C = C / np.linalg.norm(C, axis=1, keepdims=True)
        S = C @ C.T
        iu = np.triu_indices(len(labels), 1)
        sims[name] = S[iu]
    a, b = np.polyfit(sims["default"], sims[tgt], 1)
    t_lin = float(b + a * 0.5)
    q = float((sims["default"] < 0.5).mean())
    t_q = float(np.quantile(sims[tgt], q))
    r = float(np.corrcoef(sims["default"], sims[tgt])[0, 1])
    print(f"20 Newsgroups train, {args.per_class} docs per class, {len(sims['default'])} centroid pairs, "
          f"{platform.machine()}, {time.time() - t0:.0f} s")
    print(f"MiniLM centroid similarity: min {sims['default'].min():.3f} median {np.median(sims['default']):.3f} max {sims['default'].max():.3f}")
    print(f"{tgt} centroid similarity: min {sims[tgt].min():.3f} median {np.median(sims[tgt]):.3f} max {sims[tgt].max():.3f}")
    print(f"linear map {tgt} = {b:.4f} + {a:.4f} * minilm (r = {r:.3f}): 0.5 -> {t_lin:.4f}")
    print(f"quantile map: {q:.3f} of MiniLM pairs are below 0.5 -> {tgt} quantile {t_q:.4f}")


if __name__ == "__main__":
    main()
