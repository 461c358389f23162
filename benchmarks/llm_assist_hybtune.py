"""The hybrid's settings searched jointly on development data, from cached LLM scores.

::

    # 1. collect (once per prompt): candidates of several candidate-extractor settings, their embedding
    #    scores, and the LLM's token log-probabilities of every candidate (cached, re-used by step 2)
    TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_hybtune.py collect --prompt default
    # 2. grid: candidate setting x n_candidates x llm_weight x length_alpha x position weight x nesting rule
    python benchmarks/llm_assist_hybtune.py grid --prompts default --json benchmarks/results/llm_assist_hybtune_grid.json
    #    prompts: "p1+p2" averages two prompts' scores, "p-nodoc@b" subtracts b x the no-document score (PMI)
    # 3. prompts collected on one set only, compared there (chosen setting, best point, grid mean)
    python benchmarks/llm_assist_hybtune.py prompts --sets semeval-dev --prompts book,science --json ...
    # 4. no LLM: what the candidate stage allows (gold lengths, nesting, candidate recall, oracle F1@10);
    #    --split test describes the test sets (a diagnosis: nothing is chosen from it)
    python benchmarks/llm_assist_hybtune.py ceiling --split dev --top 40 --json ...
    # 5. s/doc of the earlier and the new defaults on the same documents, alternating, one process
    TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_hybtune.py speed --sets semeval-dev --limit 25 --json ...
    #    or of two scorer models at the hybrid's defaults: --models gemma3-270m,qwen2.5-coder-0.5b
    # 6. scorer models compared from their caches (collect each with --model M first), same documents
    python benchmarks/llm_assist_hybtune.py models --models gemma3-270m,qwen2.5-coder-0.5b --prompt book --json ...

The commands and results of 2026-12-03 are in docs/benchmarks/llm_assist.md (last section).

Development data only, as ``benchmarks/llm_assist.py``: Inspec train+validation (``inspec_all.jsonl`` minus
the test ids, the first ``--dev-limit`` by id) and ``semeval2017_dev.jsonl`` (50).  Never a test set.
The cache (``benchmarks/results/llm_assist_dev_hybtune_<model>.json``) stays out of the repository.

Each candidate setting is a ``KeywordExtractor(top_n=40, ngram_range=..., drop_nested=...)`` run with
``fit_transform`` on the whole set, as :class:`~textmine.keywords.HybridKeywordExtractor` runs it.  The
ranking of one grid point reproduces ``HybridKeywordExtractor._score`` (z-score fusion, stem dedup) plus the
options searched here: a position term (``z(-log(1 + first character offset))``) and the nesting rule applied
after the fusion (``textmine.keywords.embedding._demote_nested`` on the fused score).
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
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _fresh  # noqa: E402
import llm_assist as la  # noqa: E402

RESULTS = HERE / "results"
CAND_SETTINGS = {  # name -> KeywordExtractor parameters of the candidate stage
    "ng14_nested": {"ngram_range": (1, 4), "drop_nested": True},  # the hybrid's default today
    "ng14_all": {"ngram_range": (1, 4), "drop_nested": False},
    "ng15_all": {"ngram_range": (1, 5), "drop_nested": False},
    # the candidate stage's priors (KeywordExtractor defaults: position 0.5, length 0.1, frequency 0.5)
    "ng14_pos025": {"ngram_range": (1, 4), "position_weight": 0.25},
    "ng14_pos1": {"ngram_range": (1, 4), "position_weight": 1.0},
    "ng14_len0": {"ngram_range": (1, 4), "length_weight": 0.0},
    "ng14_freq1": {"ngram_range": (1, 4), "frequency_weight": 1.0},
}
PROMPTS = {  # name -> (instruction, answer_prefix) of LLM.score_continuations
    "default": None,  # textmine.keywords.promptrank.SCORE_INSTRUCTION / ANSWER_PREFIX
    "book": ("Read the text.", "This book mainly talks about"),
    "science": ("Read the scientific article.", "This article mainly talks about"),  # book, domain-aware
    "topic": ("Read the scientific text and say what it is about.", "This text is mainly about"),
    # the default prompt without the document: each candidate's prior likelihood, for a PMI-style
    # calibration (log p(candidate | document) - beta * log p(candidate | no document))
    "nodoc": None,
}
NO_DOC = "(no text)"


def cache_path(model: str) -> Path:
    return RESULTS / f"llm_assist_dev_hybtune_{model.replace('/', '_')}.json"


def collect(args: argparse.Namespace) -> None:
    from textmine import KeywordExtractor
    from textmine.keywords.promptrank import ANSWER_PREFIX, SCORE_INSTRUCTION

    path = cache_path(args.model)
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"model": args.model, "sets": {}}
    sets = la.dev_sets(args.dev_limit)
    llm = la.load_model(args.model)
    instr, prefix = PROMPTS[args.prompt] or (SCORE_INSTRUCTION, ANSWER_PREFIX)
    for name, rows in sets.items():
        if args.sets and name not in args.sets.split(","):
            continue
        s = data["sets"].setdefault(name, {"docs": [{"gold": r["keyphrases"], "text": r["text"], "cands": {},
                                                     "lp": {}} for r in rows]})
        docs = s["docs"]
        if len(docs) != len(rows):
            raise SystemExit(f"cache {path} holds {len(docs)} {name} docs, not {len(rows)}: use another --dev-limit")
        texts = [r["text"] for r in rows]
        for cname, params in CAND_SETTINGS.items():
            if cname in docs[0]["cands"] or cname not in args.csets.split(","):
                continue
            got = KeywordExtractor(top_n=args.top, **params).fit_transform(texts)
            for d, kws in zip(docs, got):
                d["cands"][cname] = [[k.text, k.score] for k in kws]
        t0 = time.perf_counter()
        for i, d in enumerate(docs):
            lp = d["lp"].setdefault(args.prompt, {})
            wanted = [cs for k, cs in d["cands"].items() if k in args.csets.split(",")]
            names = sorted({c for cs in wanted for c, _ in cs} - set(lp))
            if names:
                text = NO_DOC if args.prompt == "nodoc" else d["text"]
                got = llm.score_continuations(instr, text, [f" {c.strip()}." for c in names],
                                              answer_prefix=prefix, max_doc_tokens=1024)
                lp.update({c: x.tolist() for c, x in zip(names, got)})
            if i % 25 == 0:
                print(f"  {name} {args.prompt}: {i} docs, {(time.perf_counter() - t0) / (i + 1):.2f} s/doc", flush=True)
        s.setdefault("seconds_per_doc", {})[args.prompt] = (time.perf_counter() - t0) / len(docs)
        path.write_text(json.dumps(data))
        print(f"{name} {args.prompt}: {s['seconds_per_doc'][args.prompt]:.2f} s/doc (load {os.getloadavg()[0]:.1f})",
              flush=True)


# --------------------------------------------------------------------------- ranking
def _z(x: np.ndarray) -> np.ndarray:
    from textmine.keywords.promptrank import zscore as z

    return z(x)


def _first(low: str, cand: str) -> int:
    from textmine.keywords.promptrank import first_offset

    return first_offset(low, cand)


def features(d: dict, cset: str, prompt: str, alphas: Any) -> dict:
    """What ranking one document needs, computed once per (document, candidate setting, prompt)."""
    from textmine.evaluation.keyphrases import normalize_keyphrase
    from textmine.keywords.llm import stem_key
    from textmine.keywords.promptrank import llm_scores

    names = [c for c, _ in d["cands"][cset]]
    low = d["text"].lower()
    gold = {normalize_keyphrase(g) for g in d["gold"]}
    gold.discard("")
    # "p1+p2": the mean of the prompts' scores; "p-nodoc@b": PMI-style, p's score - b * the no-document score
    def score(p: str, a: float) -> np.ndarray:
        if "+" in p:
            return np.mean([score(q, a) for q in p.split("+")], axis=0)
        if "-nodoc@" in p:
            q, b = p.split("-nodoc@")
            return score(q, a) - float(b) * score("nodoc", a)
        return llm_scores([np.asarray(d["lp"][p][c]) for c in names], a)

    return {
        "names": names,
        "emb": np.asarray([s for _, s in d["cands"][cset]], dtype=float),
        "ll": {a: score(prompt, a) for a in alphas},
        "pos": -np.log1p(np.asarray([_first(low, c) for c in names], dtype=float)),
        "skey": [stem_key(c) for c in names],
        "nkey": [" ".join(stem_key(c)) for c in names],
        "norm": [normalize_keyphrase(c) for c in names],
        "gold": gold,
    }


def rank_f(f: dict, n: int, w: float, alpha: float, pos_w: float, nested: str, top_n: int = 10) -> list[int]:
    """Indices of the top_n keyphrases (HybridKeywordExtractor._score plus the searched options)."""
    from textmine.keywords.embedding import _demote_nested

    if not f["names"]:
        return []
    fused = (1 - w - pos_w) * _z(f["emb"][:n]) + w * _z(f["ll"][alpha][:n])
    if pos_w:
        fused = fused + pos_w * _z(f["pos"][:n])
    if nested != "none":
        fused = _demote_nested(f["nkey"][:n], fused, overlap_penalty=0.1 if nested == "demote" else 0.0)
    order = np.argsort(-fused, kind="stable")
    seen, out = set(), []
    for i in order:
        k = f["skey"][i]
        if k in seen:
            continue
        seen.add(k)
        out.append(int(i))
        if len(out) >= top_n:
            break
    return out


def f1_at(f: dict, picked: list[int], k: int = 10) -> float:
    """evaluate_keyphrases' F1@k of one document (unique normalised predictions, precision / k)."""
    seen: dict[str, None] = {}
    for i in picked:
        if f["norm"][i]:
            seen.setdefault(f["norm"][i], None)
    correct = sum(1 for p in list(seen)[:k] if p in f["gold"])
    if not correct:
        return 0.0
    p, r = correct / k, correct / len(f["gold"])
    return 2 * p * r / (p + r)


def grid(args: argparse.Namespace) -> None:
    from textmine.evaluation import evaluate_keyphrases

    data = json.loads(cache_path(args.model).read_text())
    sets = data["sets"]
    started = dt.datetime.now(dt.timezone.utc)
    alphas = tuple(float(x) for x in args.alphas.split(","))
    prompts = args.prompts.split(",")
    csets = args.csets.split(",")
    feats = {(name, cset, prompt): [features(d, cset, prompt, alphas) for d in s["docs"]]
             for name, s in sets.items() for cset in csets for prompt in prompts}
    ceil: dict = {}  # recall of the gold phrases among the first n candidates: the ceiling of any re-ranking
    for name in sets:
        for cset in csets:
            fs = feats[(name, cset, prompts[0])]
            for n in (10, 20, 30, 40):
                rec = [len(f["gold"] & set(f["norm"][:n])) / max(1, len(f["gold"])) for f in fs]
                ceil[f"{name} {cset} recall@{n}"] = round(100 * float(np.mean(rec)), 1)
    print(json.dumps(ceil, indent=1), flush=True)
    # the fast F1 agrees with the protocol's
    f0 = feats[(next(iter(sets)), csets[0], prompts[0])]
    picks = [rank_f(f, 20, 0.7, alphas[0], 0.0, "none") for f in f0]
    ref = evaluate_keyphrases([[f["names"][i] for i in p] for f, p in zip(f0, picks)],
                              [d["gold"] for d in sets[next(iter(sets))]["docs"]], ks=(10,))["F1@10"]
    assert abs(ref - np.mean([f1_at(f, p) for f, p in zip(f0, picks)])) < 1e-9
    rows = []
    ns = [int(x) for x in args.ns.split(",")]
    ws = np.round(np.arange(0, 1.0001, 0.1), 2)
    for prompt, cset, n, alpha, pos_w, nested in itertools.product(
            prompts, csets, ns, alphas, [float(x) for x in args.pos_ws.split(",")], args.nested.split(",")):
        if nested != "none" and cset == "ng14_nested":
            continue  # already applied before the fusion
        for w in ws:
            if w + pos_w > 1.0:
                continue
            row = {"prompt": prompt, "cands": cset, "n": n, "alpha": alpha, "pos_w": pos_w, "nested": nested,
                   "w": float(w)}
            for name in sets:
                fs = feats[(name, cset, prompt)]
                row[name] = 100 * float(np.mean([f1_at(f, rank_f(f, n, float(w), alpha, pos_w, nested)) for f in fs]))
            row["mean"] = float(np.mean([row[k] for k in sets]))
            rows.append(row)
        best = max(rows[-len(ws):], key=lambda r: r["mean"])
        print({k: (round(v, 2) if isinstance(v, float) else v) for k, v in best.items()}, flush=True)
    rows.sort(key=lambda r: -r["mean"])
    out = {"machine": _fresh.machine(started), "argv": sys.argv[1:], "ceilings": ceil, "grid": rows}
    Path(args.json).write_text(json.dumps(out, indent=1))
    for r in rows[:25]:
        print(r)


def prompts(args: argparse.Namespace) -> None:
    """Prompts compared on one set (``--sets``, e.g. only SemEval-2017 dev was collected for a prompt):
    F1@10 at the chosen setting, the best over a small grid, and the grid mean."""
    data = json.loads(cache_path(args.model).read_text())
    out: dict = {"machine": _fresh.machine(dt.datetime.now(dt.timezone.utc)), "argv": sys.argv[1:], "prompts": {}}
    for name in args.sets.split(","):
        docs = data["sets"][name]["docs"]
        for prompt in args.prompts.split(","):
            fs = [features(d, "ng14_nested", prompt, (0.5, 1.0)) for d in docs]
            rows = []
            for n, a, pw, w in itertools.product((20, 30, 40), (0.5, 1.0), (0.0, 0.1), (0.5, 0.6, 0.7, 0.8, 0.9)):
                if w + pw <= 1:
                    f1 = 100 * float(np.mean([f1_at(f, rank_f(f, n, w, a, pw, "none")) for f in fs]))
                    rows.append({"n": n, "alpha": a, "pos_w": pw, "w": w, "F1@10": round(f1, 2)})
            chosen = next(r for r in rows if (r["n"], r["alpha"], r["pos_w"], r["w"]) == (40, 1.0, 0.1, 0.8))
            res = {"chosen_setting": chosen, "best": max(rows, key=lambda r: r["F1@10"]),
                   "grid_mean": round(float(np.mean([r["F1@10"] for r in rows])), 2)}
            out["prompts"][f"{name} {prompt}"] = res
            print(name, prompt, res, flush=True)
    Path(args.json).write_text(json.dumps(out, indent=1))


DEFAULT_POINT = {"n": 40, "alpha": 1.0, "pos_w": 0.1, "w": 0.8}  # HybridKeywordExtractor's defaults (book prompt)


def models(args: argparse.Namespace) -> None:
    """Scorer models compared from their caches (``--models a,b``, one ``--prompt``, the hybrid's candidates
    ``ng14_nested``) on the documents both caches hold (the first N of each set): F1@10 at the defaults, the
    embedding order, the LLM order, the best point of a small grid per set and on the mean of the sets."""
    names = args.models.split(",")
    caches = {m: json.loads(cache_path(m).read_text())["sets"] for m in names}
    sets = (args.sets or "semeval-dev,inspec-dev").split(",")
    grid_pts = [{"n": n, "alpha": a, "pos_w": pw, "w": float(w)}
                for n, a, pw, w in itertools.product((20, 30, 40), (0.0, 0.5, 1.0), (0.0, 0.1, 0.2),
                                                    np.round(np.arange(0, 1.0001, 0.1), 2)) if w + pw <= 1.0]
    out: dict = {"machine": _fresh.machine(dt.datetime.now(dt.timezone.utc)), "argv": sys.argv[1:],
                 "prompt": args.prompt, "candidates": "ng14_nested", "default_point": DEFAULT_POINT, "models": {}}
    per_doc: dict = {}
    for m in names:
        res: dict = {"sets": {}}
        table = []  # per grid point: F1@10 per set
        for name in sets:
            n_docs = min(len([d for d in caches[k][name]["docs"] if args.prompt in d["lp"] and d["lp"][args.prompt]])
                         for k in names)
            docs = caches[m][name]["docs"][:n_docs]
            for i, d in enumerate(docs):  # the same candidates in every cache (collected once, copied)
                assert d["cands"]["ng14_nested"] == caches[names[0]][name]["docs"][i]["cands"]["ng14_nested"]
            fs = [features(d, "ng14_nested", args.prompt, (0.0, 0.5, 1.0)) for d in docs]

            def f1(pt: dict) -> float:
                return round(100 * float(np.mean([f1_at(f, rank_f(f, pt["n"], pt["w"], pt["alpha"], pt["pos_w"],
                                                                   "none")) for f in fs])), 2)

            table.append([f1(pt) for pt in grid_pts])
            d = DEFAULT_POINT
            per_doc[(m, name)] = [f1_at(f, rank_f(f, d["n"], d["w"], d["alpha"], d["pos_w"], "none")) for f in fs]
            best = int(np.argmax(table[-1]))
            res["sets"][name] = {
                "docs": n_docs,
                "s_per_doc_collect": round(caches[m][name].get("seconds_per_doc", {}).get(args.prompt, float("nan")), 3),
                "default": f1(DEFAULT_POINT),
                "embedding_order": f1({"n": 40, "alpha": 1.0, "pos_w": 0.0, "w": 0.0}),
                "llm_order": f1({"n": 40, "alpha": 1.0, "pos_w": 0.0, "w": 1.0}),
                "best": {**grid_pts[best], "F1@10": table[-1][best]},
                "grid_mean": round(float(np.mean(table[-1])), 2)}
        mean = np.mean(table, axis=0)
        b = int(np.argmax(mean))
        res["best_on_mean"] = {**grid_pts[b], **{k: t[b] for k, t in zip(sets, table)}, "mean": round(float(mean[b]), 2)}
        if m != names[0]:  # per document, at the defaults, against the first model: is the difference broad?
            for name in sets:
                diff = np.subtract(per_doc[(m, name)], per_doc[(names[0], name)])
                res["sets"][name][f"docs_vs_{names[0]}_at_default"] = {
                    "better": int((diff > 1e-12).sum()), "equal": int((abs(diff) <= 1e-12).sum()),
                    "worse": int((diff < -1e-12).sum())}
        out["models"][m] = res
        print(m, json.dumps(res, indent=1), flush=True)
    Path(args.json).write_text(json.dumps(out, indent=1))


OLD_DEFAULTS = {"score_prompt": "text", "n_candidates": 20, "llm_weight": 0.7, "length_alpha": 0.5,
                "position_weight": 0.0}  # the hybrid's scoring defaults before this search


def speed(args: argparse.Namespace) -> None:
    """s/doc of the earlier and the new defaults on the same documents, alternating, in one process
    (a shared machine's load changes during a run: the ratio is the figure)."""
    from textmine import HybridKeywordExtractor

    rows = la.dev_sets(args.dev_limit)[args.sets or "semeval-dev"][: args.limit]
    texts = [r["text"] for r in rows]
    if args.models:  # scorer models at the hybrid's defaults instead of the earlier vs the new defaults
        est = {m: HybridKeywordExtractor(llm=la.load_model(m)).fit(texts) for m in args.models.split(",")}
    else:
        llm = la.load_model(args.model)
        est = {"earlier defaults": HybridKeywordExtractor(llm=llm, **OLD_DEFAULTS).fit(texts),
               "new defaults": HybridKeywordExtractor(llm=llm).fit(texts)}
    for e in est.values():
        e.transform(texts[:1])  # warm: embedding cache, scorer context
    secs = {k: 0.0 for k in est}
    load0 = os.getloadavg()[0]
    for t in texts:
        for k, e in est.items():
            t0 = time.perf_counter()
            e.transform([t])
            secs[k] += time.perf_counter() - t0
    machine = _fresh.machine(dt.datetime.now(dt.timezone.utc), load0)
    out = {"machine": machine + f"; load average at end {os.getloadavg()[0]:.1f}", "argv": sys.argv[1:],
           "docs": len(texts), "s_per_doc": {k: round(v / len(texts), 3) for k, v in secs.items()}}
    if len(secs) == 2:
        a, b = secs
        out["ratio"] = {f"{b} / {a}": round(secs[b] / secs[a], 2)}
    print(out, flush=True)
    Path(args.json).write_text(json.dumps(out, indent=1))


def ceiling(args: argparse.Namespace) -> None:
    """No LLM: what the candidate stage allows on each set (dev or test; a diagnosis, never a choice)."""
    import collections

    import keywords as kb
    from textmine import HybridKeywordExtractor
    from textmine.evaluation.keyphrases import normalize_keyphrase as nk
    from textmine.keywords.candidates import extract_candidates

    started = dt.datetime.now(dt.timezone.utc)
    sets = la.dev_sets(args.dev_limit) if args.split == "dev" else {
        f"{k}-test": kb.read_jsonl(v) for k, v in la.TEST.items()}
    out: dict = {"machine": _fresh.machine(started), "argv": sys.argv[1:], "sets": {}}
    for name, rows in sets.items():
        texts = [r["text"] for r in rows]
        hy = HybridKeywordExtractor(llm=None, n_candidates=args.top)  # the candidate stage only: no LLM loaded
        hy._validate_params()
        cands = hy._make_extractor().fit_transform(texts)
        lengths: collections.Counter = collections.Counter()
        st: collections.Counter = collections.Counter()
        oracle = {n: [] for n in (10, 20, 30, 40) if n <= args.top}
        for r, cs in zip(rows, cands):
            gold = {nk(g) for g in r["keyphrases"]} - {""}
            low = " " + nk(r["text"]) + " "
            pool = {nk(c.text) for c in extract_candidates(r["text"], ngram_range=hy.ngram_range)}
            st["gold"] += len(gold)
            st["in_text"] += sum(f" {g} " in low for g in gold)
            st["nested_in_gold"] += sum(any(g != h and f" {g} " in f" {h} " for h in gold) for g in gold)
            st["in_all_candidates"] += len(gold & pool)
            for g in gold:
                lengths[min(len(g.split()), 5)] += 1
            for n in oracle:
                c = min(10, len(gold & {nk(x.text) for x in cs[:n]}))
                st[f"in_top{n}"] += len(gold & {nk(x.text) for x in cs[:n]})
                p_, r_ = c / 10, c / max(1, len(gold))
                oracle[n].append(2 * p_ * r_ / (p_ + r_) if c else 0.0)
        g = st["gold"]
        res = {"docs": len(rows), "gold_per_doc": round(g / len(rows), 1),
               "gold_words_share": {("5+" if k == 5 else str(k)): round(100 * v / g, 1)
                                    for k, v in sorted(lengths.items())},
               "gold_in_text": round(100 * st["in_text"] / g, 1),
               "gold_nested_in_other_gold": round(100 * st["nested_in_gold"] / g, 1),
               "recall_all_candidates": round(100 * st["in_all_candidates"] / g, 1),
               **{f"recall_top{n}": round(100 * st[f"in_top{n}"] / g, 1) for n in oracle},
               **{f"oracle_F1@10_top{n}": round(100 * float(np.mean(v)), 1) for n, v in oracle.items()}}
        out["sets"][name] = res
        print(name, res, flush=True)
    Path(args.json).write_text(json.dumps(out, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("collect", "grid", "prompts", "ceiling", "speed", "models"))
    ap.add_argument("--limit", type=int, default=25, help="speed: the first N documents")
    ap.add_argument("--split", choices=("dev", "test"), default="dev", help="ceiling: the sets to describe")
    ap.add_argument("--model", default="gemma3-270m", help="the scorer: a preset of textmine.llm")
    ap.add_argument("--models", default=None, help="models, speed: scorer presets compared, e.g. "
                    "gemma3-270m,qwen2.5-coder-0.5b")
    ap.add_argument("--prompt", default="default", choices=list(PROMPTS))
    ap.add_argument("--prompts", default="default")
    ap.add_argument("--dev-limit", type=int, default=200)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--ns", default="15,20,25,30,40")
    ap.add_argument("--csets", default=",".join(CAND_SETTINGS))
    ap.add_argument("--alphas", default="0,0.5,1")
    ap.add_argument("--sets", default=None, help="collect: only these sets, e.g. semeval-dev")
    ap.add_argument("--pos-ws", default="0,0.1,0.2")
    ap.add_argument("--nested", default="none,drop,demote", help="nesting rule after the fusion")
    ap.add_argument("--json", default=str(RESULTS / "llm_assist_hybtune_grid.json"))
    args = ap.parse_args()
    {"collect": collect, "grid": grid, "prompts": prompts, "ceiling": ceiling, "speed": speed,
     "models": models}[args.mode](args)


if __name__ == "__main__":
    main()
