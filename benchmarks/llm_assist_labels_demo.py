"""The `textmine demo` topics labelled with a chosen labels model: the five labels and s/topic.

The topics are those of ``textmine demo`` (the bundled sample corpus, ``TopicModel(n_topics="auto",
min_topic_size=DEMO_MIN_TOPIC_SIZE, random_state=42)``, as in ``textmine/demo.py`` and the slow demo test of
``tests/test_topics_label_select.py``); they are labelled by ``TopicLabeler(llm=load_llm(MODEL, task="labels"))``
with its default options (or ``field_coverage=X``). The time is that of ``label_topics`` only (the labeler's
own model loading included; the topic model excluded).

    TEXTMINE_LLM_THREADS=2 nice python benchmarks/llm_assist_labels_demo.py --llm qwen2.5-coder-1.5b \
        --json benchmarks/results/llm_assist_labels_demo_qwen15b.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timezone


def run(llm: str, field_coverage: float | None) -> dict:
    from textmine.demo import DEMO_MIN_TOPIC_SIZE
    from textmine.io import load_sample_corpus
    from textmine.llm import load_llm
    from textmine.topics import TopicLabeler, TopicModel

    corpus = load_sample_corpus()
    tm = TopicModel(n_topics="auto", min_topic_size=DEMO_MIN_TOPIC_SIZE, random_state=42).fit(corpus.texts)
    lm = load_llm(llm, task="labels")
    kw = {} if field_coverage is None else {"field_coverage": field_coverage}
    labeler = TopicLabeler(llm=lm, **kw)
    load_start = os.getloadavg()
    t0 = time.perf_counter()
    tm.label_topics(labeler)
    dt = time.perf_counter() - t0
    rows = []
    for t in tm.topics_:
        members = [corpus.labels[i] for i, a in enumerate(tm.labels_) if a == t.id]
        theme = max(set(members), key=members.count)
        rows.append({"topic": t.id, "size": t.size, "theme": theme, "label": t.label,
                     "words": [w for w, _ in list(t.words)[:6]]})
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "llm": llm,
            "field_coverage": field_coverage, "n_topics": len(tm.topics_), "seconds": dt,
            "s_per_topic": dt / len(tm.topics_), "load_start": load_start, "load_end": os.getloadavg(),
            "threads": os.environ.get("TEXTMINE_LLM_THREADS"), "topics": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm", default="qwen2.5-coder-1.5b")
    ap.add_argument("--field-coverage", type=float, default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    out = run(args.llm, args.field_coverage)
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
