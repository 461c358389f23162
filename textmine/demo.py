"""``textmine demo``: the whole pipeline on the bundled sample corpus, with real models.

1. keywords of every document with :class:`~textmine.KeywordExtractor` (all-MiniLM-L6-v2);
2. topics with :class:`~textmine.TopicModel` (``n_topics="auto"``);
3. topic labels written by the default local LLM (GGUF through llama.cpp);
4. the agreement of the topics with the corpus' five themes (NMI / ARI).

The sample corpus (``textmine/data/sample_corpus.jsonl``) is 60 short texts written
for textmine, 12 on each of five themes: space, cooking, football, personal
finance and music. Nothing is downloaded.

>>> from textmine.demo import run_demo        # doctest: +SKIP
>>> result = run_demo()                       # doctest: +SKIP
>>> sorted(result)                            # doctest: +SKIP
['keywords', 'metrics', 'model', 'seconds']
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

#: a corpus of 60 documents: HDBSCAN's default minimum cluster size (10) is too coarse
DEMO_MIN_TOPIC_SIZE = 5
#: documents whose keywords are printed (one per theme)
N_KEYWORD_ROWS = 5


def run_demo(
    *,
    llm: str = "default",
    seed: int = 42,
    report: str | os.PathLike[str] | None = None,
    force: bool = False,
    top_n: int = 5,
) -> dict[str, Any]:
    """Run the demo, printing its results; returns the fitted model, keywords, metrics and timings."""
    from .console import info, print_table, step
    from .io import load_sample_corpus
    from .keywords import KeywordExtractor
    from .llm import load_llm
    from .report import topic_metrics
    from .topics import TopicLabeler, TopicModel

    seconds: dict[str, float] = {}
    t_all = time.perf_counter()
    corpus = load_sample_corpus()
    themes = sorted(set(corpus.labels or []))
    info(f"sample corpus: {len(corpus)} short documents on {len(themes)} themes ({', '.join(themes)})")

    # 1. keywords
    t0 = time.perf_counter()
    with step(f"1/3 keywords of {len(corpus)} documents (KeywordExtractor, all-MiniLM-L6-v2)"):
        extractor = KeywordExtractor(top_n=top_n)
        keywords = extractor.fit_transform(corpus.texts)
    seconds["keywords"] = time.perf_counter() - t0
    shown: list[int] = []
    seen: set[str] = set()
    for i, lab in enumerate(corpus.labels or []):
        if lab not in seen:
            seen.add(lab)
            shown.append(i)
    shown = shown[:N_KEYWORD_ROWS]
    print_table(
        "keywords (one document per theme)",
        ["id", "document", "keywords"],
        [[corpus.ids[i], _snippet(corpus.texts[i]), ", ".join(k.text for k in keywords[i])] for i in shown],
    )

    # 2. topics
    t0 = time.perf_counter()
    with step(f"2/3 topics (TopicModel, n_topics='auto', min_topic_size={DEMO_MIN_TOPIC_SIZE})"):
        model = TopicModel(n_topics="auto", min_topic_size=DEMO_MIN_TOPIC_SIZE, random_state=seed)
        model.fit(corpus.texts)
    seconds["topics"] = time.perf_counter() - t0

    # 3. LLM labels
    t0 = time.perf_counter()
    with step(f"3/3 topic labels with the local LLM ({llm})"):
        lm = load_llm(llm, task="labels")
        model.label_topics(TopicLabeler(llm=lm))
    seconds["labels"] = time.perf_counter() - t0
    llm_id = getattr(lm, "model_id", str(llm))

    assigned = [int(x) for x in model.labels_]
    metrics = topic_metrics(model, corpus.texts, assigned, corpus.labels)
    rows = []
    for t in model.topics_:
        members = [corpus.labels[i] for i, a in enumerate(assigned) if a == t.id] if corpus.labels else []
        majority = max(set(members), key=members.count) if members else ""
        rows.append([t.id, t.size, t.label or "", ", ".join(w for w, _ in list(t.words)[:6]), majority])
    n_out = sum(1 for a in assigned if a < 0)
    if n_out:
        rows.append([-1, n_out, "(outliers)", "", ""])
    print_table(f"topics, labelled by {llm_id}", ["topic", "size", "LLM label", "top words", "theme"], rows)
    print_table(
        "agreement with the five themes",
        ["metric", "value"],
        [[k, str(int(metrics[k])) if k == "n_topics" else f"{metrics[k]:.3f}"] for k in ("n_topics", "nmi", "ari", "outlier_share", "npmi", "diversity")
         if k in metrics],
    )
    if report is not None:
        from .report import write_topic_report

        t0 = time.perf_counter()
        with step(f"writing the report {report}"):
            write_topic_report(
                model,
                Path(report),
                docs=corpus.texts,
                ids=corpus.ids,
                gold_labels=corpus.labels,
                keywords=keywords,
                metrics=metrics,
                settings={"input": "bundled sample corpus", "llm": llm_id, "seed": seed},
                title="textmine demo: the bundled sample corpus",
                force=force,
            )
        seconds["report"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - t_all
    info(
        "done in {:.1f} s (keywords {:.1f} s, topics {:.1f} s, labels {:.1f} s)".format(
            seconds["total"], seconds["keywords"], seconds["topics"], seconds["labels"]
        )
    )
    return {"model": model, "keywords": keywords, "metrics": metrics, "seconds": seconds}


def _snippet(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
