"""Markup cleaning and filler-word dropping in the topic words: NPMI and diversity before vs after.

The topics (clusters, assignment) do not depend on the word counts, so each corpus is fitted once
and only the representation stage is run again per variant:

* ``before``: no markup cleaning (``clean_markup`` replaced by the identity), ``drop_filler_words=False``
  (the topic words as textmine gave them before this change);
* ``+ markup``: HTML entities, tags, URLs and news credits removed before counting;
* ``+ markup + filler`` (the new default): also corpus-level filler words dropped.

NPMI (top 10 words, window = whole document, reference = the sample's raw texts) and diversity
(top 25) from :mod:`textmine.evaluation`. Samples: ``ag_news`` 3,000 of the AG News test set,
``20ng_test`` 3,000 of 20 Newsgroups' test split (evaluation); ``20ng_train`` 2,000 of its train split
is the dev sample the filler thresholds were chosen on. Embeddings are computed once with the packaged
MiniLM and kept in ``benchmarks/.cache``.

    PYTHONPATH=. python benchmarks/topic_filler.py [sample ...]   # -> docs/benchmarks/topic_filler.md tables

NPMI is computed twice: on the raw texts (the usual reference) and on the texts after ``clean_markup``
(a word that co-occurs with a topic only through boilerplate, such as the "AFP" credit on world news,
scores well on the raw texts). Each corpus is fitted with three seeds; the spread of the change over
the seeds shows what is noise.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from textmine import TopicModel  # noqa: E402
from textmine.evaluation import npmi_coherence, topic_diversity  # noqa: E402
from textmine.topics import online, represent, terms  # noqa: E402

CACHE = REPO / "benchmarks" / ".cache"
SAMPLES = {  # name: (file, id prefix, n)
    "20ng_train (dev)": ("topic/20newsgroups.jsonl", "train/", 2000),
    "ag_news": ("topic/ag_news_test.jsonl", "", 3000),
    "20ng_test": ("topic/20newsgroups.jsonl", "test/", 3000),
}


def data_dir() -> Path:
    env = os.environ.get("TEXTMINE_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def sample(name: str) -> tuple[list[str], np.ndarray]:
    path, prefix, n = SAMPLES[name]
    rows = [json.loads(line) for line in (data_dir() / path).open(encoding="utf-8")]
    rows = [r for r in rows if r["id"].startswith(prefix)]
    idx = np.sort(np.random.default_rng(0).choice(len(rows), n, replace=False))
    docs = [rows[i]["text"] for i in idx]
    CACHE.mkdir(parents=True, exist_ok=True)
    npy = CACHE / f"topic_filler_{name.split()[0]}_{n}.npy"
    if npy.is_file():
        X = np.load(npy)
    else:
        from textmine.embed import get_embedder

        X = get_embedder("default").encode(docs)
        np.save(npy, X)
    return docs, X


def words_of(tm: TopicModel, docs: list[str], X: np.ndarray, *, markup: bool, filler: bool) -> list[list[str]]:
    keep = [i for i, d in enumerate(docs) if d.strip()]
    texts, E, labels = [docs[i] for i in keep], X[keep], tm.labels_[keep]
    clean = terms.clean_markup
    try:
        if not markup:
            terms.clean_markup = lambda text: text
        tm.drop_filler_words = filler
        online.init_state(tm, texts, E, labels, tm.centroid_sums_, tm.centroid_counts_)
        words = represent.model_topic_words(tm)
    finally:
        terms.clean_markup = clean
    return [[w for w, _ in words.get(t, [])] for t in range(len(tm.topics_))]


SEEDS = (42, 0, 1)
VARIANTS = (("before", False, False), ("+ markup", True, False), ("+ markup + filler", True, True))


def main() -> None:
    names = sys.argv[1:] or list(SAMPLES)
    out = []
    for name in names:
        docs, X = sample(name)
        cleaned = [terms.clean_markup(d) for d in docs]
        res: dict[str, dict[str, list[float]]] = {v: {"npmi": [], "npmi_clean": [], "diversity": []} for v, _, _ in VARIANTS}
        left: set[str] = set()
        n_topics = []
        for seed in SEEDS:
            tm = TopicModel(random_state=seed).fit(docs, embeddings=X)
            n_topics.append(len(tm.topics_))
            ws = {}
            for label, markup, filler in VARIANTS:
                ws[label] = words_of(tm, docs, X, markup=markup, filler=filler)
                res[label]["npmi"].append(npmi_coherence(ws[label], docs, top_n=10))
                res[label]["npmi_clean"].append(npmi_coherence(ws[label], cleaned, top_n=10))
                res[label]["diversity"].append(topic_diversity(ws[label], top_n=25))
            after = {w for a in ws["+ markup + filler"] for w in a[:10]}
            left |= {w for a in ws["before"] for w in a[:10]} - after
        row = {"corpus": name, "docs": len(docs), "topics": n_topics,
               **{v: {m: [round(x, 4) for x in xs] for m, xs in r.items()} for v, r in res.items()},
               "left_top10": sorted(left)}
        out.append(row)
        print(json.dumps(row), flush=True)
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    print(f"\nmean over seeds {SEEDS}; in brackets the smallest and largest per-seed change\n")
    print("| corpus | docs | metric | before | + markup | + markup + filler | change (min, max over seeds) |")
    print("|---|---|---|---|---|---|---|")
    for r in out:
        for m, name in (("npmi", "NPMI (raw text)"), ("npmi_clean", "NPMI (cleaned text)"), ("diversity", "diversity")):
            b, a = r["before"][m], r["+ markup + filler"][m]
            d = [y - x for x, y in zip(b, a)]
            print(f"| {r['corpus']} | {r['docs']} | {name} | {mean(b):.3f} | {mean(r['+ markup'][m]):.3f} | "
                  f"{mean(a):.3f} | {mean(d):+.3f} ({min(d):+.3f}, {max(d):+.3f}) |")
    for r in out:
        print(f"\n{r['corpus']}: words that left the top-10 lists (any seed): {', '.join(r['left_top10'])}")


if __name__ == "__main__":
    main()
