"""Keywords of scientific abstracts, scored against the authors' / indexers' keyphrases.

    python examples/keywords_abstracts.py                    # 100 Inspec test abstracts
    python examples/keywords_abstracts.py --limit 20 --method hybrid

Data: Inspec (Hulth 2003) from ../shared/data or $TEXTMINE_DATA_DIR; without it, the bundled
sample corpus (no gold keyphrases, so no scores).
"""

from __future__ import annotations

import argparse
import time

from _common import read_jsonl

from textmine import HybridKeywordExtractor, KeywordExtractor, LLMKeywordExtractor
from textmine.evaluation import evaluate_keyphrases
from textmine.io import load_sample_corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=100, help="number of abstracts")
    ap.add_argument("--method", choices=["embedding", "llm", "hybrid"], default="embedding")
    ap.add_argument("--top-n", type=int, default=10)
    ap.add_argument("--out", help="unused (the example prints its results)")
    args = ap.parse_args()

    rows = read_jsonl("keyphrase/inspec_test.jsonl", limit=args.limit)
    if rows is None:
        print("Inspec not found: using the bundled sample corpus (no gold keyphrases)")
        corpus = load_sample_corpus()
        texts, gold = corpus.texts[: args.limit], None
    else:
        texts, gold = [r["text"] for r in rows], [r["keyphrases"] for r in rows]

    extractor = {
        "embedding": lambda: KeywordExtractor(top_n=args.top_n),
        "llm": lambda: LLMKeywordExtractor(top_n=args.top_n),
        "hybrid": lambda: HybridKeywordExtractor(top_n=args.top_n),
    }[args.method]()
    t0 = time.perf_counter()
    predictions = extractor.fit_transform(texts)
    seconds = time.perf_counter() - t0

    for text, kws, gold_kws in list(zip(texts, predictions, gold or [None] * len(texts)))[:3]:
        print("\n" + " ".join(text.split())[:200] + "...")
        print("  keywords:", ", ".join(k.text for k in kws))
        if gold_kws is not None:
            print("  gold:    ", ", ".join(gold_kws))
    print(f"\n{args.method}: {len(texts)} documents in {seconds:.1f} s ({len(texts) / seconds:.1f} docs/s)")
    if gold is not None:
        scores = evaluate_keyphrases(predictions, gold, ks=(5, 10))
        print("F1@5 = {:.3f}   F1@10 = {:.3f}   (P@10 {:.3f}, R@10 {:.3f})".format(
            scores["F1@5"], scores["F1@10"], scores["P@10"], scores["R@10"]))


if __name__ == "__main__":
    main()
