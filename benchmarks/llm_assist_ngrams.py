"""The hybrid's candidate phrase length: ``ngram_range`` (1, 3) vs (1, 4), chosen on development data.

::

    # development data only: the decision
    TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_ngrams.py --split dev --datasets inspec --dev-limit 150
    TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_ngrams.py --split dev --datasets semeval
    # the test sets, once: the shipped defaults, KeywordExtractor() and HybridKeywordExtractor(llm=...)
    TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_ngrams.py --split test --datasets semeval
    # the hybrid's candidate count (its default ngram_range), development data only
    TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_ngrams.py --split dev --n-candidates 20,30,40 --dev-limit 100

Every system is the real estimator (``fit_transform`` on the whole set): ``KeywordExtractor(ngram_range=r)``
and ``HybridKeywordExtractor(llm="gemma3-270m", ngram_range=r)`` (all other settings its defaults).
Development data as ``benchmarks/llm_assist.py``: Inspec train+validation (``inspec_all.jsonl`` minus the
test ids, the first ``--dev-limit`` by id) and ``semeval2017_dev.jsonl`` (50).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _fresh  # noqa: E402
import keywords as kb  # noqa: E402
import llm_assist as la  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--datasets", default="inspec,semeval")
    ap.add_argument("--dev-limit", type=int, default=150)
    ap.add_argument("--ngrams", default="1-3,1-4", help="candidate ngram ranges, e.g. 1-3,1-4")
    ap.add_argument("--n-candidates", default=None,
                    help="compare the hybrid's n_candidates instead of ngram ranges (dev only), e.g. 20,30,40")
    ap.add_argument("--limit", type=int, default=None, help="first N documents of each set (speed checks)")
    ap.add_argument("--model", default="gemma3-270m")
    ap.add_argument("--json", required=True)
    args = ap.parse_args()

    from textmine import HybridKeywordExtractor, KeywordExtractor
    from textmine.evaluation import evaluate_keyphrases

    started, load0 = dt.datetime.now(dt.timezone.utc), os.getloadavg()[0]
    ranges = [tuple(int(x) for x in r.split("-")) for r in args.ngrams.split(",")]
    llm = la.load_model(args.model)
    dev = la.dev_sets(args.dev_limit) if args.split == "dev" else {}
    results: dict = {"machine": _fresh.machine(started, load0), "argv": sys.argv[1:], "sets": {}}
    for ds in args.datasets.split(","):
        rows = dev[f"{ds}-dev"] if args.split == "dev" else kb.read_jsonl(la.TEST[ds])
        rows = rows[: args.limit] if args.limit else rows
        docs, gold = [r["text"] for r in rows], [r["keyphrases"] for r in rows]
        per: dict = {}
        if args.split == "dev" and args.n_candidates:  # the hybrid with each candidate count
            runs = [(f"Hybrid score [{args.model}] n_candidates={n}",
                     lambda n=n: HybridKeywordExtractor(llm=llm, n_candidates=n))
                    for n in (int(x) for x in args.n_candidates.split(","))]
        elif args.split == "dev":  # both estimators with each candidate range
            runs = [(f"{n} ngram_range={r}", m) for r in ranges for n, m in (
                ("KeywordExtractor", lambda r=r: KeywordExtractor(ngram_range=r)),
                (f"Hybrid score [{args.model}]", lambda r=r: HybridKeywordExtractor(llm=llm, ngram_range=r)))]
        else:  # the shipped defaults: KeywordExtractor() and HybridKeywordExtractor() with this LLM
            runs = [("KeywordExtractor (defaults)", lambda: KeywordExtractor()),
                    (f"Hybrid score [{args.model}] (defaults)", lambda: HybridKeywordExtractor(llm=llm))]
        for name, make in runs:
            t0 = time.perf_counter()
            preds = make().fit_transform(docs)
            secs = time.perf_counter() - t0
            sc = evaluate_keyphrases([[k.text for k in p] for p in preds], gold, ks=(5, 10))
            sc.update(s_per_doc=secs / len(docs), n=len(docs), load=os.getloadavg()[0])
            per[name] = sc
            print(f"[{ds}-{args.split}] {name:45s} F1@5 {100 * sc['F1@5']:5.1f} F1@10 {100 * sc['F1@10']:5.1f} "
                  f"{sc['s_per_doc']:.3f} s/doc load {sc['load']:.1f}", flush=True)
            results["sets"][f"{ds}-{args.split}"] = per
            Path(args.json).write_text(json.dumps(results, indent=1))
    results["load_end"] = os.getloadavg()[0]
    Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
