"""Topics of news articles: fit, inspect, score against the classes, and write the HTML report.

    python examples/topics_news.py                       # 2,000 AG News test articles
    python examples/topics_news.py --limit 300 --out /tmp/news

Data: AG News test (Zhang et al. 2015) from ../shared/data or $TEXTMINE_DATA_DIR; without it, the
bundled sample corpus.
"""

from __future__ import annotations

import argparse
import time

from _common import out_dir, read_jsonl

from textmine import TopicModel
from textmine.io import load_sample_corpus
from textmine.report import topic_metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=2000, help="number of articles")
    ap.add_argument("--n-topics", default="auto", help="'auto' or a number")
    ap.add_argument("--out", help="folder for the report and the saved model (default: a temporary folder)")
    args = ap.parse_args()
    out = out_dir(args.out)

    rows = read_jsonl("topic/ag_news_test.jsonl", limit=args.limit)
    if rows is None:
        print("AG News not found: using the bundled sample corpus")
        corpus = load_sample_corpus()
        texts, gold, ids = corpus.texts, corpus.labels, corpus.ids
    else:
        texts, gold, ids = [r["text"] for r in rows], [r["label"] for r in rows], [str(r["id"]) for r in rows]

    n_topics = args.n_topics if args.n_topics == "auto" else int(args.n_topics)
    min_size = 5 if len(texts) < 200 else "auto"
    t0 = time.perf_counter()
    model = TopicModel(n_topics=n_topics, min_topic_size=min_size, random_state=42).fit(texts)
    print(f"{len(texts)} articles -> {len(model.topics_)} topics in {time.perf_counter() - t0:.1f} s\n")

    for t in model.topics_:
        print(f"topic {t.id:2d} ({t.size:4d} docs): {', '.join(t.top_words(8))}")
    m = topic_metrics(model, texts, model.labels_, gold)
    print("\nNMI {nmi:.3f}  ARI {ari:.3f}  NPMI {npmi:.3f}  diversity {diversity:.3f}  outliers {outlier_share:.1%}"
          .format(**m))

    model.save(out / "news_model", force=True)
    report = model.report(out / "news_report.html", docs=texts, ids=ids, gold_labels=gold,
                          settings={"input": f"AG News test, first {len(texts)} articles"}, force=True)
    print(f"\nsaved the model to {out / 'news_model'}\nwrote the report {report}")


if __name__ == "__main__":
    main()
