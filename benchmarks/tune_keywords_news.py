"""Dev-set check of the news-text fixes of KeywordExtractor (issue 16, part 5), and the choice of
the near-duplicate penalty (``textmine.keywords.embedding._OVERLAP_PENALTY``).

Variants, each on Inspec train (first 300), Inspec validation ("dev", 500) and SemEval-2017 dev (50);
never on the test sets::

    nice .venv/bin/python benchmarks/tune_keywords_news.py            # all variants, prints a table
    nice .venv/bin/python benchmarks/tune_keywords_news.py --test      # the chosen setting on the test sets

``--variants`` picks a subset: ``no-candidate-rules`` (name and headline rules off),
``rules`` (the rules, no overlap penalty), ``overlap=0.1`` ... One embedding cache (a temporary
folder) serves all variants, so only the first variant pays for the embeddings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEV = {
    "inspec-train300": ("keyphrase/inspec_all.jsonl", "train", 300),
    "inspec-dev": ("keyphrase/inspec_all.jsonl", "dev", None),
    "semeval-dev": ("keyphrase/semeval2017_dev.jsonl", None, None),
}
TEST = {
    "inspec-test": ("keyphrase/inspec_test.jsonl", None, None),
    "semeval-test": ("keyphrase/semeval2017_test.jsonl", None, None),
}


def data_dir() -> Path:
    env = os.environ.get("TEXTMINE_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def load(rel: str, split: str | None, limit: int | None) -> tuple[list[str], list[list[str]]]:
    rows = [json.loads(line) for line in (data_dir() / rel).open(encoding="utf-8")]
    if split:
        rows = [r for r in rows if r.get("split") == split]
    rows = rows[:limit] if limit else rows
    return [r["text"] for r in rows], [r["keyphrases"] for r in rows]


def run_variant(name: str, sets: dict, cache: str) -> dict[str, float]:
    from textmine import KeywordExtractor
    from textmine.evaluation import evaluate_keyphrases
    from textmine.keywords import candidates as C
    from textmine.keywords import embedding as E

    # getattr: the script also runs on the code before the fixes (PYTHONPATH=<old checkout>, variant "rules")
    saved = (getattr(C, "_name_inside", None), getattr(C, "_has_headline", None), getattr(E, "_OVERLAP_PENALTY", 0.0))
    try:
        if name == "no-candidate-rules":
            C._name_inside = lambda words: [False] * len(words)
            C._has_headline = lambda text: False
        elif name.startswith("overlap="):
            E._OVERLAP_PENALTY = float(name.split("=", 1)[1])
        elif name != "rules":
            raise SystemExit(f"unknown variant {name!r}")
        out = {}
        for ds, (rel, split, limit) in sets.items():
            docs, gold = load(rel, split, limit)
            kx = KeywordExtractor(top_n=10, cache=cache)
            preds = kx.transform(docs)
            out[ds] = round(100 * evaluate_keyphrases(preds, gold)["F1@10"], 2)
        return out
    finally:
        C._name_inside, C._has_headline, E._OVERLAP_PENALTY = saved


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default="no-candidate-rules,rules,overlap=0.05,overlap=0.1,overlap=0.2,overlap=0.3")
    ap.add_argument("--test", action="store_true", help="the test sets instead of the dev sets")
    ap.add_argument("--cache", default=None, help="embedding cache folder (default: a fresh temporary one)")
    args = ap.parse_args()
    sets = TEST if args.test else DEV
    cache = args.cache or tempfile.mkdtemp(prefix="tm-tune-")
    print(f"# F1@10 (%), KeywordExtractor(top_n=10); load {os.getloadavg()[0]:.1f}")
    print("| variant | " + " | ".join(sets) + " | seconds |")
    print("|---" * (len(sets) + 2) + "|")
    for name in args.variants.split(","):
        t0 = time.perf_counter()
        res = run_variant(name, sets, cache)
        print(f"| {name} | " + " | ".join(f"{res[d]:.2f}" for d in sets) + f" | {time.perf_counter() - t0:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
