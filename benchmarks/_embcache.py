"""Compute-once cache of MiniLM embeddings for the topic benchmark datasets (.npy under benchmarks/.cache)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "benchmarks" / ".cache"
DATASETS = {
    "20newsgroups": "topic/20newsgroups.jsonl",
    "ag_news": "topic/ag_news_test.jsonl",
    "stackoverflow": "topic/stackoverflow.jsonl",
}


def data_dir() -> Path:
    env = os.environ.get("TEXTMINE_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def load_dataset(name: str, limit: int | None = None) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with (data_dir() / DATASETS[name]).open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(row["text"])
            labels.append(str(row["label"]))
            if limit is not None and len(texts) >= limit:
                break
    return texts, labels


def _digest(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def cached_embeddings(name: str, texts: list[str]) -> tuple[np.ndarray, float]:
    """Embeddings of ``texts`` (all of the dataset, in order) and the seconds it took to compute them.

    The seconds are those of the run that filled the cache (stored in the sidecar JSON).
    """
    from textmine.embed import get_embedder

    CACHE.mkdir(parents=True, exist_ok=True)
    npy, meta_path = CACHE / f"{name}.minilm.npy", CACHE / f"{name}.minilm.json"
    digest = _digest(texts)
    if npy.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta.get("digest") == digest:
            return np.load(npy), float(meta["seconds"])
    emb = get_embedder("default", cache=False)
    t0 = time.perf_counter()
    X = emb.encode(texts, show_progress=False)
    seconds = time.perf_counter() - t0
    np.save(npy, X)
    meta_path.write_text(json.dumps({"digest": digest, "seconds": seconds, "model_id": emb.model_id, "n": len(texts)}))
    return X, seconds


if __name__ == "__main__":
    for name in sys.argv[1:] or list(DATASETS):
        texts, _ = load_dataset(name)
        X, s = cached_embeddings(name, texts)
        print(name, X.shape, f"{s:.1f}s", flush=True)
