"""Topic labels written by a local LLM, next to the c-TF-IDF words they summarise.

    python examples/llm_labels.py                                  # sample corpus, default LLM
    python examples/llm_labels.py --data 20newsgroups --limit 1500 --llm smollm2-135m

The LLM is a GGUF run by llama.cpp (`textmine models` lists the presets); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import time

from _common import read_jsonl

from textmine import TopicLabeler, TopicModel
from textmine.io import load_sample_corpus
from textmine.llm import load_llm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", choices=["sample", "20newsgroups", "ag_news"], default="sample")
    ap.add_argument("--limit", type=int, default=1500)
    ap.add_argument("--llm", default="default", help="LLM preset or GGUF path")
    ap.add_argument("--out", help="unused (the example prints its results)")
    args = ap.parse_args()

    texts = None
    if args.data != "sample":
        name = {"20newsgroups": "topic/20newsgroups.jsonl", "ag_news": "topic/ag_news_test.jsonl"}[args.data]
        rows = read_jsonl(name, limit=args.limit)
        if rows is None:
            print(f"{name} not found: using the bundled sample corpus")
        else:
            texts = [r["text"] for r in rows if r["text"].strip()]
    if texts is None:
        texts = load_sample_corpus().texts[: args.limit]

    model = TopicModel(n_topics="auto", min_topic_size=5 if len(texts) < 200 else "auto", random_state=42)
    model.fit(texts)
    llm = load_llm(args.llm)
    t0 = time.perf_counter()
    model.label_topics(TopicLabeler(llm=llm))
    seconds = time.perf_counter() - t0
    print(f"{len(model.topics_)} topics labelled by {llm.model_id} in {seconds:.1f} s\n")
    for t in model.topics_:
        print(f"{t.id:2d}  {t.label!r:40}  <- {', '.join(t.top_words(6))}")


if __name__ == "__main__":
    main()
