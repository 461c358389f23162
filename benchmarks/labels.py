"""LLM topic labels: seconds per topic with the default local model, on real topic models.

For each dataset: TopicModel defaults (seed 42) on the cached MiniLM embeddings, then
``TopicLabeler(n_docs=...)`` (default packaged GGUF; ``--n-docs``, default "auto") labels every topic with the LLM response cache
*disabled* (every label is generated). Reports topics, total and per-topic seconds, prompt and
completion tokens, fallbacks, and the labels next to each topic's top words.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/labels.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _embcache import cached_embeddings, load_dataset  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="20newsgroups,stackoverflow,ag_news")
    ap.add_argument("--out", default=str(HERE.parent / "docs" / "benchmarks" / "labels.md"))
    ap.add_argument("--n-docs", default="auto", help='TopicLabeler n_docs: "auto" (the default) or a number')
    args = ap.parse_args()
    n_docs = args.n_docs if args.n_docs == "auto" else int(args.n_docs)

    from textmine import TopicLabeler, TopicModel
    from textmine.llm import load_llm

    llm = load_llm("default", cache=False)
    labeler = TopicLabeler(llm=llm, n_docs=n_docs)
    shown = labeler._n_docs(llm)
    lines = [
        "# LLM topic labels" + ("" if n_docs == "auto" else f" with {n_docs} documents shown"),
        "",
        "Command: `flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/labels.py "
        + " ".join(sys.argv[1:]) + "`  ",
        f"Machine: `{platform.machine()}`, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; LLM `{llm.model_id}`, "
        f"{llm.n_threads} threads, response cache off (every label generated).  ",
        f"TopicModel defaults (seed 42) on the cached MiniLM embeddings; `TopicLabeler(n_docs={n_docs!r})`: "
        f"10 top words + {shown} representative documents of 64 tokens each, grammar-bounded label of <= 40 characters.",
        "",
        "| dataset | topics | label s total | s per topic | prompt tokens / topic | completion tokens / topic | fallbacks |",
        "|---|---|---|---|---|---|---|",
    ]
    examples = []
    for name in args.datasets.split(","):
        texts, _ = load_dataset(name)
        X, _ = cached_embeddings(name, texts)
        tm = TopicModel(random_state=42).fit(texts, embeddings=X)
        llm.reset_stats()
        t0 = time.perf_counter()
        tm.label_topics(labeler)
        secs = time.perf_counter() - t0
        st = llm.stats
        k = len(tm.topics_)
        lines.append(
            f"| {name} | {k} | {secs:.1f} | {secs / k:.2f} | {st['prompt_tokens'] / k:.0f} "
            f"(reused {st['prompt_tokens_reused'] / k:.0f}) | {st['completion_tokens'] / k:.1f} | {len(labeler.fallbacks_)} |"
        )
        print(name, k, f"{secs / k:.2f} s/topic", flush=True)
        examples.append((name, [(t.label, t.top_words(6)) for t in tm.topics_[:12]]))
    lines.append("")
    for name, rows in examples:
        lines += [f"Labels on {name} (largest topics first):", ""]
        lines += [f"- **{lab}**: {', '.join(words)}" for lab, words in rows]
        lines.append("")
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
