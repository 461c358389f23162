"""Does the LLM help? LLM-scored keyphrases (PromptRank's idea) vs the embedding extractor and the peers.

Two modes::

    # 1. choose the scoring settings on development data only (never a test set)
    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/llm_assist.py --tune --models gemma3-270m,qwen2.5-coder-0.5b
    # 2. the test-set table: KeywordExtractor, HybridKeywordExtractor (scoring) per model,
    #    the grammar-choice hybrid, LLMKeywordExtractor per model, KeyLLM one-shot per model
    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/llm_assist.py --models gemma3-270m,qwen2.5-coder-0.5b

Development data: Inspec train+validation (``inspec_all.jsonl`` minus the 500 test ids; the first
``--dev-limit`` by id) and ``semeval2017_dev.jsonl`` (50).  The tuning pass stores every candidate's
embedding score and the LLM's token log-probabilities once (``benchmarks/results/llm_assist_dev_<model>.json``),
then searches the fusion weight, the length exponent, the terminator and the candidate count on them.
Test data: Inspec test (500), SemEval-2017 test (100).  Protocol: ``textmine.evaluation.evaluate_keyphrases``.
The topic-label half of the issue is ``benchmarks/llm_assist_labels.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import _fresh  # noqa: E402
import keywords as kb  # noqa: E402  (datasets, KeyLLM adapters)

RESULTS = HERE / "results"
PROMPTRANK = {"inspec": (31.73, 37.88), "semeval": (27.14, 37.76)}  # published F1@5, F1@10 (T5-base)
TEST = {"inspec": "keyphrase/inspec_test.jsonl", "semeval": "keyphrase/semeval2017_test.jsonl"}


def dev_sets(limit: int) -> dict[str, list[dict]]:
    test_ids = {r["id"] for r in kb.read_jsonl(TEST["inspec"])}
    inspec = sorted((r for r in kb.read_jsonl("keyphrase/inspec_all.jsonl") if r["id"] not in test_ids),
                    key=lambda r: str(r["id"]))[:limit]
    return {"inspec-dev": inspec, "semeval-dev": kb.read_jsonl("keyphrase/semeval2017_dev.jsonl")}


def load_model(name: str) -> Any:
    from textmine.llm import load_llm

    return load_llm(name, cache=False)


# --------------------------------------------------------------------------- tuning
def collect(model: str, sets: dict[str, list[dict]], n_cand: int, terminators: list[str]) -> dict:  # noqa: ARG001
    """Candidates, embedding scores and LLM token log-probabilities on the development sets."""
    from textmine import KeywordExtractor
    from textmine.keywords.promptrank import ANSWER_PREFIX, SCORE_INSTRUCTION

    llm = load_model(model)
    out: dict[str, Any] = {"model": model, "model_id": llm.model_id, "sets": {}}
    for name, rows in sets.items():
        texts = [r["text"] for r in rows]
        cands = KeywordExtractor(top_n=n_cand).fit_transform(texts)
        t0 = time.perf_counter()
        docs = []
        for row, cs in zip(rows, cands):
            names = [c.text for c in cs]
            got = llm.score_continuations(SCORE_INSTRUCTION, row["text"], [f" {c.strip()}." for c in names],
                                          answer_prefix=ANSWER_PREFIX, max_doc_tokens=512)
            # without the terminator: the same tokens less the last, where "." is a token of its own
            lps = {".": [lp.tolist() for lp in got], "": []}
            for c, lp in zip(names, got):
                bare = llm.tokenize(f" {c.strip()}")
                assert llm.tokenize(f" {c.strip()}.")[: len(bare)] == bare, c
                lps[""].append(lp[: len(bare)].tolist())
            if len(docs) % 10 == 0:
                print(f"  {name}: {len(docs)} docs, {(time.perf_counter() - t0) / max(1, len(docs)):.2f} s/doc", flush=True)
            docs.append({"gold": row["keyphrases"], "cands": names, "emb": [c.score for c in cs], "lp": lps})
        secs = time.perf_counter() - t0
        out["sets"][name] = {"docs": docs, "seconds_per_doc": secs / max(1, len(rows))}
        print(f"{model} {name}: {len(rows)} docs, {secs / max(1, len(rows)):.2f} s/doc (LLM scoring)", flush=True)
    return out


def rank(doc: dict, n: int, w: float, alpha: float, term: str, top_n: int = 10) -> list[str]:
    from textmine.keywords.promptrank import fuse_scores, llm_scores

    names = doc["cands"][:n]
    if not names:
        return []
    emb = np.asarray(doc["emb"][:n], dtype=float)
    ll = llm_scores([np.asarray(x) for x in doc["lp"][term][:n]], alpha)
    s = fuse_scores(emb, ll, w)
    order = np.argsort(-s, kind="stable")
    return [names[i] for i in order[:top_n]]


def tune(data: dict) -> tuple[dict, list[dict]]:
    from textmine.evaluation import evaluate_keyphrases

    sets = data["sets"]
    terms = list(next(iter(sets.values()))["docs"][0]["lp"])
    grid = []
    n_max = max(len(d["cands"]) for s in sets.values() for d in s["docs"])
    for n, alpha, term, w in itertools.product(sorted({10, 15, n_max}), (0.0, 0.5, 1.0), terms, np.round(np.arange(0, 1.0001, 0.05), 2)):
        row = {"n_candidates": n, "length_alpha": alpha, "terminator": term, "llm_weight": float(w)}
        for name, s in sets.items():
            preds = [rank(d, n, float(w), alpha, term) for d in s["docs"]]
            row[name] = 100 * evaluate_keyphrases(preds, [d["gold"] for d in s["docs"]], ks=(10,))["F1@10"]
        row["mean"] = float(np.mean([row[name] for name in sets]))
        grid.append(row)
    best = max(grid, key=lambda r: r["mean"])
    return best, grid


def run_tune(args: argparse.Namespace) -> None:
    sets = dev_sets(args.dev_limit)
    RESULTS.mkdir(exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    lines = ["# LLM-scored keyphrases: settings chosen on development data", "",
             "Command: `python benchmarks/llm_assist.py --tune --models " + args.models
             + f" --dev-limit {args.dev_limit} --n-candidates {args.n_candidates}`", "",
             _fresh.machine(started) + " (the tuning reads stored log-probabilities; their collection ran earlier, "
             "`TEXTMINE_LLM_THREADS=1`, s/doc under load from other work)", "",
             f"Development data only: Inspec train+validation (the first {args.dev_limit} of `inspec_all.jsonl` minus the "
             "test ids, by id) and SemEval-2017 dev (50). The stored features (candidates, embedding scores, token "
             "log-probabilities, gold) stay out of the repository (`benchmarks/results/llm_assist_dev_*.json`, ignored). "
             "Grid: candidates n, length exponent alpha, terminator, LLM weight w; the setting with the best mean "
             "F1@10 over the two sets is chosen. `embedding only` = the same candidates in the embedding order (w = 0).", ""]
    for model in args.models.split(","):
        path = RESULTS / f"llm_assist_dev_{model.replace('/', '_')}.json"
        if path.exists() and not args.recollect:
            data = json.loads(path.read_text())
        else:
            data = collect(model, sets, args.n_candidates, ["", "."])
            path.write_text(json.dumps(data))
        best, grid = tune(data)
        base = next(r for r in grid if r["llm_weight"] == 0.0 and r["n_candidates"] == best["n_candidates"])
        print(model, "best", best, "embedding only", {k: base[k] for k in sets}, flush=True)
        secs = {k: round(v["seconds_per_doc"], 2) for k, v in data["sets"].items()}
        lines += [f"## {model}", "", f"- best: {best}", f"- embedding only: { {k: round(base[k], 2) for k in sets} }",
                  f"- LLM scoring s/doc during the collection (loaded machine, 1 thread): {secs}", ""]
        top = sorted(grid, key=lambda r: -r["mean"])[:10]
        lines += ["| n | alpha | term | w | " + " | ".join(sets) + " | mean |", "|---" * (5 + len(sets)) + "|"]
        for r in top:
            lines.append(f"| {r['n_candidates']} | {r['length_alpha']} | {r['terminator']!r} | {r['llm_weight']} | "
                         + " | ".join(f"{r[k]:.2f}" for k in sets) + f" | {r['mean']:.2f} |")
        lines.append("")
    _fresh.emit_page(lines, str(REPO / "docs" / "benchmarks" / "llm_assist_tune.md"))


# --------------------------------------------------------------------------- test sets
def systems(models: list[str], kinds: list[str], tuned: dict[str, dict]) -> list[tuple[str, Any]]:
    """``(name, factory)``; a factory returns ``(callable(docs) -> keyword lists, stats())``."""
    from textmine import HybridKeywordExtractor, KeywordExtractor, LLMKeywordExtractor

    def est(make: Any) -> Any:
        def factory() -> Any:
            e = make()
            return e.fit_transform, lambda: dict(getattr(e, "stats_", {}) or {})
        return factory

    out: list[tuple[str, Any]] = [("KeywordExtractor", est(lambda: KeywordExtractor()))]
    for m in models:
        short = m.split("/")[-1].replace(".gguf", "")
        if "hybrid" in kinds:
            params = tuned.get(m, {})
            out.append((f"Hybrid score [{short}]", est(lambda m=m, p=params: HybridKeywordExtractor(llm=load_model(m), **p))))
        if "choose" in kinds:
            out.append((f"Hybrid choose [{short}]",
                        est(lambda m=m: HybridKeywordExtractor(llm=load_model(m), method="choose"))))
        if "llm" in kinds:
            out.append((f"LLMKeywordExtractor [{short}]", est(lambda m=m: LLMKeywordExtractor(llm=load_model(m)))))
        if "keyllm" in kinds:
            def keyllm(m: str = m) -> Any:
                from keybert import KeyLLM

                adapter = kb._keyllm_adapter(load_model(m), kb.KEYLLM_ONESHOT_PROMPT, ["\n"])
                return KeyLLM(adapter).extract_keywords, lambda: {"llm_calls": adapter.calls,
                                                                   "parse_failures": adapter.parse_failures}
            out.append((f"KeyLLM one-shot [{short}]", keyllm))
    return out


def run_test(args: argparse.Namespace) -> None:
    from textmine.evaluation import evaluate_keyphrases

    started, load0 = dt.datetime.now(dt.timezone.utc), os.getloadavg()[0]
    tuned = json.loads(Path(args.params).read_text()) if args.params else {}
    models = args.models.split(",")
    results: dict[str, dict[str, dict]] = {}
    for ds in args.datasets.split(","):
        rows = kb.read_jsonl(TEST[ds], args.limit)
        docs, gold = [r["text"] for r in rows], [r["keyphrases"] for r in rows]
        results[ds] = {}
        for name, factory in systems(models, args.systems.split(","), tuned):
            run, stats = factory()
            t0 = time.perf_counter()
            preds = run(docs)
            secs = time.perf_counter() - t0
            preds = [[k if isinstance(k, str) else k[0] for k in p] for p in preds]
            sc = evaluate_keyphrases(preds, gold, ks=(5, 10))
            sc.update({"s_per_doc": secs / len(docs), "n": len(docs), **{k: v for k, v in stats().items()
                                                                          if k in ("parse_failures", "llm_calls")}})
            results[ds][name] = sc
            print(f"[{ds}] {name:40s} F1@5 {100 * sc['F1@5']:5.1f} F1@10 {100 * sc['F1@10']:5.1f} "
                  f"{sc['s_per_doc']:.3f} s/doc", flush=True)
    RESULTS.mkdir(exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=1))
    lines = ["# Does the LLM help? LLM-scored keyphrases", "",
             "Command: `" + _fresh.command("llm_assist.py", args, {"models": "gemma3-270m", "datasets": "inspec,semeval",
                                                                  "systems": "hybrid,choose,llm,keyllm", "limit": None,
                                                                  "params": None}) + "`", "",
             _fresh.machine(started, load0) + f"; load average at end {os.getloadavg()[0]:.1f}", "",
             "Protocol: `textmine.evaluation.evaluate_keyphrases` (lower-case, Porter stems, exact match, per-document "
             "P/R/F1 averaged; gold phrases absent from the text count). s/doc: wall-clock of one `fit_transform` call "
             "over the whole set, models loaded before (embedding cache warm after the first system).", ""]
    for ds, per in results.items():
        n = next(iter(per.values()))["n"]
        lines += [f"## {ds} test ({n} documents)", "", "| system | F1@5 | F1@10 | s/doc |", "|---|---:|---:|---:|"]
        for name, sc in per.items():
            lines.append(f"| {name} | {100 * sc['F1@5']:.1f} | {100 * sc['F1@10']:.1f} | {sc['s_per_doc']:.3f} |")
        f5, f10 = PROMPTRANK[ds]
        lines += [f"| PromptRank, T5-base (published, Kong et al. 2023) | {f5:.1f} | {f10:.1f} | - |", ""]
    _fresh.emit_page(lines, args.out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--models", default="gemma3-270m")
    ap.add_argument("--dev-limit", type=int, default=300)
    ap.add_argument("--recollect", action="store_true")
    ap.add_argument("--n-candidates", type=int, default=20, help="--tune: candidates scored per document")
    ap.add_argument("--datasets", default="inspec,semeval")
    ap.add_argument("--systems", default="hybrid,choose,llm,keyllm", help="LLM systems per model: hybrid,choose,llm,keyllm")
    ap.add_argument("--limit", type=int, default=None, help="first N documents of each test set")
    ap.add_argument("--params", default=None, help="JSON {model: HybridKeywordExtractor params} from --tune")
    ap.add_argument("--out", default=str(REPO / "docs" / "benchmarks" / "llm_assist.md"))
    ap.add_argument("--json", default=str(RESULTS / "llm_assist.json"), help="raw results of the test-set run")
    args = ap.parse_args()
    if args.tune:
        run_tune(args)
    else:
        run_test(args)


if __name__ == "__main__":
    main()
