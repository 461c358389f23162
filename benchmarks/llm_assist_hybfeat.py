"""Cheap extra ranking features for the hybrid, searched on development data from cached scores.

The hybrid's fused order (``HybridKeywordExtractor._score``: z(embedding), z(LLM), z(position)) is the
limit on SemEval-2017 (docs/benchmarks/llm_assist.md).  This script asks whether cheap extra signals,
fusion rules or LLM-score normalisations improve that order, reading the LLM log-probabilities cached by
``benchmarks/llm_assist_hybtune.py collect --prompt book --csets ng14_nested`` (no LLM call here)::

    # 1. per-candidate features that need no LLM (embeddings of the candidates: MiniLM, e5; counts)
    python benchmarks/llm_assist_hybfeat.py feats
    # 2. the searched variants, each against the hybrid's defaults on both dev sets (+ 2-fold CV)
    python benchmarks/llm_assist_hybfeat.py search --json benchmarks/results/llm_assist_hybfeat_dev.json
    # 3. the test sets, measured once: the real estimator's LLM calls recorded (nothing evaluated), then the
    #    estimator with the chosen setting answered from the recording (exactly what it computes)
    TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_hybfeat.py record --datasets semeval,inspec
    python benchmarks/llm_assist_hybfeat.py replay --split test --json benchmarks/results/llm_assist_hybfeat_test.json
    #    replay --split dev: the library answered from the dev cache (checks that search ranks as the library)

Choices are made on development data only (Inspec train+validation, the first ``--dev-limit`` by id;
SemEval-2017 dev).
The feature cache (``benchmarks/results/llm_assist_dev_hybfeat.json``) stays out of the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _fresh  # noqa: E402
import llm_assist_hybtune as ht  # noqa: E402

FEAT_CACHE = ht.RESULTS / "llm_assist_dev_hybfeat.json"
CSET = "ng14_nested"
PROMPT = "book"
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")


def _sentences(text: str) -> list[str]:
    return [s for s in (x.strip() for x in _SENT.split(text)) if s]


def _count(stems: tuple[str, ...], seq: tuple[str, ...]) -> int:
    n = len(stems)
    if not n:
        return 0
    return sum(1 for i in range(len(seq) - n + 1) if seq[i : i + n] == stems)


def feats(args: argparse.Namespace) -> None:
    from textmine.embed import get_embedder
    from textmine.keywords.llm import stem_key

    data = json.loads(ht.cache_path(args.model).read_text())["sets"]
    emb = {m: get_embedder({"minilm": "default"}.get(m, m)) for m in args.embedders.split(",")}
    out: dict[str, Any] = json.loads(FEAT_CACHE.read_text()) if FEAT_CACHE.exists() else {}
    for name, s in data.items():
        if args.sets and name not in args.sets.split(","):
            continue
        rows = []
        for d in s["docs"]:
            names = [c for c, _ in d["cands"][CSET]]
            sents = _sentences(d["text"])
            seq = stem_key(d["text"])
            first = stem_key(sents[0]) if sents else ()
            keys = [stem_key(c) for c in names]
            f: dict[str, Any] = {
                "freq": [_count(k, seq) for k in keys],
                "first": [int(_count(k, first) > 0) for k in keys],
                "nwords": [len(k) for k in keys],
                # candidates that contain this one / that this one contains (stem sequences)
                "contained_in": [sum(1 for j, o in enumerate(keys) if j != i and len(o) > len(k) and
                                     _count(k, o) > 0) for i, k in enumerate(keys)],
                "contains": [sum(1 for j, o in enumerate(keys) if j != i and len(o) < len(k) and
                                 _count(o, k) > 0) for i, k in enumerate(keys)],
            }
            for m, e in emb.items():
                if not names:
                    f[f"{m}_cos"], f[f"{m}_cent"], f[f"{m}_sim"] = [], [], []
                    continue
                cv = e.encode(names)
                sv = e.encode(sents or [d["text"]])
                dv = sv.mean(axis=0)
                dv = dv / (np.linalg.norm(dv) or 1.0)
                sim = cv @ cv.T
                f[f"{m}_cos"] = (cv @ dv).round(5).tolist()
                f[f"{m}_cent"] = ((sim.sum(axis=1) - 1) / max(1, len(names) - 1)).round(5).tolist()
                f[f"{m}_sim"] = sim.round(4).tolist()
            rows.append(f)
        out[name] = rows
        print(name, len(rows), flush=True)
    FEAT_CACHE.write_text(json.dumps(out))


# --------------------------------------------------------------------------- search
def _z(x: Any) -> np.ndarray:
    return ht._z(np.asarray(x, dtype=float))


def _rank01(x: np.ndarray) -> np.ndarray:
    """Ranks as scores (best = highest), ties averaged."""
    from scipy.stats import rankdata

    return rankdata(np.asarray(x, dtype=float)) / max(1, len(x))


def _positions(k: tuple[str, ...], seq: tuple[str, ...]) -> list[int]:
    n = len(k)
    return [i for i in range(len(seq) - n + 1) if n and seq[i : i + n] == k]


def nesting_counts(text: str, names: list[str]) -> dict[str, np.ndarray]:
    """``free_freq``: occurrences of a candidate (stems) in the text that are not inside an occurrence of a
    longer candidate of the list; ``cvalue``: C-value (Frantzi et al. 2000), ``log2(1 + words) * (f(a) -
    mean f(b))`` over the longer candidates b that contain a (``f(a)`` when none)."""
    from textmine.keywords.llm import stem_key

    seq = stem_key(text)
    keys = [stem_key(c) for c in names]
    pos = [_positions(k, seq) for k in keys]
    free, cval = [], []
    for i, k in enumerate(keys):
        longer = [j for j, o in enumerate(keys) if len(o) > len(k) and _count(k, o) > 0]
        cover = {(q, q + len(keys[j])) for j in longer for q in pos[j]}
        free.append(sum(1 for p in pos[i] if not any(a <= p and p + len(k) <= b for a, b in cover)))
        f = len(pos[i])
        cval.append(np.log2(1 + len(k)) * (f - (np.mean([len(pos[j]) for j in longer]) if longer else 0.0)))
    return {"free_freq": np.asarray(free, dtype=float), "cvalue": np.asarray(cval, dtype=float)}


def load(args: argparse.Namespace) -> dict[str, list[dict]]:
    data = json.loads(ht.cache_path(args.model).read_text())["sets"]
    extra = json.loads(FEAT_CACHE.read_text()) if FEAT_CACHE.exists() else {}
    sets: dict[str, list[dict]] = {}
    for name, s in data.items():
        fs = []
        for i, d in enumerate(s["docs"]):
            if PROMPT not in d["lp"] or not d["lp"][PROMPT]:
                break
            f = ht.features(d, CSET, PROMPT, (0.0, 0.5, 1.0))
            lps = [np.asarray(d["lp"][PROMPT][c]) for c in f["names"]]
            f["lp"] = lps
            if name in extra:
                f.update({k: np.asarray(v, dtype=float) for k, v in extra[name][i].items()})
            f.update(nesting_counts(d["text"], f["names"]))
            fs.append(f)
        sets[name] = fs
    return sets


def llm_variant(f: dict, kind: str) -> np.ndarray:
    lps = f["lp"]
    if kind.startswith("a"):  # a<alpha>: sum / n ** alpha (the library's)
        return f["ll"][float(kind[1:])]
    if kind == "first":  # the first token only
        return np.asarray([lp[0] if len(lp) else -np.inf for lp in lps])
    if kind == "noterm":  # mean without the terminator's token
        return np.asarray([np.mean(lp[:-1]) if len(lp) > 1 else (lp[0] if len(lp) else -np.inf) for lp in lps])
    if kind == "term":  # the terminator's token alone
        return np.asarray([lp[-1] if len(lp) else -np.inf for lp in lps])
    if kind == "min":
        return np.asarray([np.min(lp) if len(lp) else -np.inf for lp in lps])
    raise ValueError(kind)


def rank(f: dict, p: dict, top_n: int = 10) -> list[int]:
    """The top_n indices under variant ``p`` (defaults = HybridKeywordExtractor's)."""
    n = p.get("n", 40)
    names = f["names"][:n]
    if not names:
        return []
    w, pw = p.get("w", 0.8), p.get("pos_w", 0.1)
    ll = llm_variant(f, p.get("llm", "a1.0"))[:n]
    parts = [(1 - w - pw, f["emb"][:n]), (w, ll), (pw, f["pos"][:n])]
    for k, v in p.get("extra", {}).items():  # extra features, weights on top of the defaults
        x = f[k][:n] if not k.startswith("log_") else np.log1p(f[k[4:]][:n])
        parts.append((v, x))
    for k, v in p.get("llm2", {}).items():  # a second LLM normalisation, weight taken from w
        parts.append((v, llm_variant(f, k)[:n]))
    if p.get("fusion", "z") == "z":
        fused = sum(a * _z(x) for a, x in parts if a)
    elif p["fusion"] == "rank":
        fused = sum(a * _rank01(_z(x)) for a, x in parts if a)
    elif p["fusion"] == "rrf":
        k = p.get("rrf_k", 10.0)
        fused = sum(a / (k + 1 + np.argsort(np.argsort(-_z(x), kind="stable"))) for a, x in parts if a)
    else:
        raise ValueError(p["fusion"])
    fused = np.asarray(fused, dtype=float)
    if p.get("mmr"):  # redundancy control among the picks: fused - lam * max sim to the picked ones
        lam, m = p["mmr"], p.get("mmr_model", "minilm")
        sim = f[f"{m}_sim"][:n, :n]
        zf = _z(fused)
        out: list[int] = []
        seen: set = set()
        left = list(range(len(names)))
        while left and len(out) < top_n:
            pen = np.array([sim[i, out].max() if out else 0.0 for i in left])
            j = left[int(np.argmax(zf[left] - lam * pen))]
            left.remove(j)
            if f["skey"][j] in seen:
                continue
            seen.add(f["skey"][j])
            out.append(j)
        return out
    order = np.argsort(-fused, kind="stable")
    seen2: set = set()
    out2: list[int] = []
    for i in order:
        if f["skey"][i] in seen2:
            continue
        seen2.add(f["skey"][i])
        out2.append(int(i))
        if len(out2) >= top_n:
            break
    return out2


def per_doc(fs: list[dict], p: dict) -> np.ndarray:
    return np.asarray([ht.f1_at(f, rank(f, p)) for f in fs])


# the hybrid's defaults before this search (frequency_weight=0): every variant is measured against them
DEFAULT: dict = {"n": 40, "w": 0.8, "pos_w": 0.1, "llm": "a1.0"}


def variants() -> dict[str, list[dict]]:
    """Families of variants: each a list of points (the family's free parameter)."""
    fam: dict[str, list[dict]] = {}
    ws = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
    for feat in ("free_freq", "log_free_freq", "cvalue", "freq", "log_freq", "first", "nwords", "contained_in",
                 "contains", "minilm_cos", "e5_cos",
                 "minilm_cent", "e5_cent"):
        for sign in (1, -1):
            fam[f"+{'' if sign > 0 else '-'}{feat}"] = [{**DEFAULT, "extra": {feat: sign * v}} for v in ws]
    for kind in ("a0.0", "a0.5", "first", "noterm", "term", "min"):
        fam[f"llm={kind}"] = [{**DEFAULT, "llm": kind, "w": w, "pos_w": 0.1} for w in (0.6, 0.7, 0.8, 0.9)]
    for kind in ("first", "term", "a0.0"):
        fam[f"llm+{kind}"] = [{**DEFAULT, "w": 0.8 - v, "llm2": {kind: v}} for v in (0.1, 0.2, 0.3, 0.4)]
    fam["fusion=rank"] = [{**DEFAULT, "fusion": "rank", "w": w} for w in (0.6, 0.7, 0.8, 0.9)]
    fam["fusion=rrf"] = [{**DEFAULT, "fusion": "rrf", "w": w, "rrf_k": k}
                         for w, k in itertools.product((0.6, 0.7, 0.8), (5.0, 10.0, 30.0))]
    fam["mmr_minilm"] = [{**DEFAULT, "mmr": lam} for lam in (0.1, 0.25, 0.5, 1.0)]
    fam["mmr_e5"] = [{**DEFAULT, "mmr": lam, "mmr_model": "e5"} for lam in (0.1, 0.25, 0.5, 1.0)]
    # combinations of the single features that helped SemEval-2017 dev (chosen by CV like every family)
    # the free frequency with the redundancy control (MMR) that helped Inspec dev
    fam["free+mmr"] = [{**DEFAULT, "extra": {"log_free_freq": a}, **({"mmr": m} if m else {})}
                       for a, m in itertools.product((0.1, 0.15, 0.2, 0.3), (0, 0.1, 0.25))]
    fam["cvalue+mmr"] = [{**DEFAULT, "extra": {"cvalue": a}, **({"mmr": m} if m else {})}
                         for a, m in itertools.product((0.1, 0.15, 0.2, 0.3), (0, 0.1, 0.25))]
    fam["combo"] = [{**DEFAULT, "extra": {k: v for k, v in (("log_freq", a), ("first", b), ("contained_in", -c))
                                          if v}, **({"mmr": m} if m else {})}
                    for a, b, c, m in itertools.product((0.1, 0.15, 0.2), (0, 0.05, 0.1), (0, 0.05, 0.1), (0, 0.1))]
    return fam


def search(args: argparse.Namespace) -> None:
    sets = load(args)
    started = dt.datetime.now(dt.timezone.utc)
    base = {name: per_doc(fs, DEFAULT) for name, fs in sets.items()}
    out: dict[str, Any] = {"machine": _fresh.machine(started), "argv": sys.argv[1:], "default": DEFAULT,
                           "docs": {k: len(v) for k, v in sets.items()},
                           "default_F1@10": {k: round(100 * float(v.mean()), 2) for k, v in base.items()},
                           "families": {}}
    print("defaults", out["default_F1@10"], flush=True)
    rng = np.random.default_rng(0)
    folds = {name: rng.permutation(len(fs)) % 2 for name, fs in sets.items()}
    fams = variants()
    only = args.families.split(",") if args.families else None
    for fam, pts in fams.items():
        if only and not any(fam.startswith(o) for o in only):
            continue
        try:
            scores = [{name: per_doc(fs, p) for name, fs in sets.items()} for p in pts]
        except KeyError as exc:
            print(fam, "skipped: no feature", exc, flush=True)
            continue
        rows = []
        for p, sc in zip(pts, scores):
            r = {"point": {k: v for k, v in p.items() if DEFAULT.get(k) != v}}
            for name in sets:
                r[name] = round(100 * float(sc[name].mean()), 2)
                r[f"{name} gain"] = round(100 * float(sc[name].mean() - base[name].mean()), 2)
                diff = sc[name] - base[name]
                r[f"{name} better/worse"] = [int((diff > 1e-12).sum()), int((diff < -1e-12).sum())]
            r["mean gain"] = round(float(np.mean([r[f"{n} gain"] for n in sets])), 2)
            rows.append(r)
        # 2-fold CV within each set: the point chosen on one half (mean gain of the two sets' halves), scored on
        # the other half, gain over the defaults there
        cv = {name: [] for name in sets}
        for k in (0, 1):
            def half_gain(sc: dict, fold: int) -> float:
                return float(np.mean([(sc[n][folds[n] == fold] - base[n][folds[n] == fold]).mean() for n in sets]))
            j = int(np.argmax([half_gain(sc, k) for sc in scores]))
            for name in sets:
                m = folds[name] != k
                cv[name].append(float((scores[j][name][m] - base[name][m]).mean()))
        best = max(rows, key=lambda r: r["mean gain"])
        res = {"rows": rows, "best": best, "cv_gain": {n: round(100 * float(np.mean(v)), 2) for n, v in cv.items()}}
        out["families"][fam] = res
        print(f"{fam:18s} best {best['point']} " + " ".join(f"{n} {best[n]} ({best[n + ' gain']:+.2f})"
              for n in sets) + f" | cv {res['cv_gain']}", flush=True)
    Path(args.json).write_text(json.dumps(out, indent=1))


# --------------------------------------------------------------------------- the test sets, measured once
def _recording(llm: Any, store: dict) -> None:
    """Wrap ``llm.score_continuations``: every call's result is kept in ``store`` under its arguments."""
    real = llm.score_continuations

    def rec(instruction: str, text: str, conts: list[str], **kw: Any) -> list[np.ndarray]:
        got = real(instruction, text, conts, **kw)
        store[json.dumps([instruction, text, list(conts), kw.get("answer_prefix")])] = [g.tolist() for g in got]
        return got

    llm.score_continuations = rec


def _replaying(llm: Any, store: dict) -> None:
    """``llm.score_continuations`` answers from ``store`` (a KeyError if the call was not recorded)."""
    def rep(instruction: str, text: str, conts: list[str], **kw: Any) -> list[np.ndarray]:
        got = store[json.dumps([instruction, text, list(conts), kw.get("answer_prefix")])]
        return [np.asarray(g, dtype=np.float64) for g in got]

    llm.score_continuations = rep


def _replaying_cache(llm: Any, docs: list[dict]) -> None:
    """``llm.score_continuations`` answers from the hybtune cache (``book`` prompt): a candidate's
    log-probabilities depend on the document and the candidate only (tests/test_llm_scoring.py)."""
    by_text = {d["text"]: d["lp"][PROMPT] for d in docs}

    def rep(instruction: str, text: str, conts: list[str], **kw: Any) -> list[np.ndarray]:
        lp = by_text[text]
        return [np.asarray(lp[c.strip()[:-1]], dtype=np.float64) for c in conts]  # " cand." -> "cand"

    llm.score_continuations = rep


def record(args: argparse.Namespace) -> None:
    """The real estimator at its shipped defaults on a TEST set with the LLM's answers recorded; nothing is
    evaluated (the keyphrases are thrown away), so no choice can see a test number."""
    import keywords as kb
    import llm_assist as la
    from textmine import HybridKeywordExtractor

    for ds in args.datasets.split(","):
        rows = kb.read_jsonl(la.TEST[ds])
        llm = la.load_model(args.model)
        store: dict = {}
        _recording(llm, store)
        HybridKeywordExtractor(llm=llm).fit_transform([r["text"] for r in rows])
        Path(args.record.format(ds=ds)).write_text(json.dumps(store))
        print(ds, len(store), "calls recorded", flush=True)


def replay(args: argparse.Namespace) -> None:
    """The real estimator with ``--params`` on a set, its LLM calls answered from the recording: exactly what
    the estimator computes with those params (same candidates, same prompts, same LLM calls)."""
    import keywords as kb
    import llm_assist as la
    from textmine import HybridKeywordExtractor
    from textmine.evaluation import evaluate_keyphrases

    params = json.loads(args.params)
    out = {"machine": _fresh.machine(dt.datetime.now(dt.timezone.utc)), "argv": sys.argv[1:], "params": params,
           "sets": {}}
    for ds in args.datasets.split(","):
        rows = (kb.read_jsonl(la.TEST[ds]) if args.split == "test" else la.dev_sets(args.dev_limit)[ds])
        llm = la.load_model(args.model)
        if args.split == "test":
            _replaying(llm, json.loads(Path(args.record.format(ds=ds)).read_text()))
        else:  # a check of the library against the search: the dev cache's scores
            _replaying_cache(llm, json.loads(ht.cache_path(args.model).read_text())["sets"][ds]["docs"])
        got = HybridKeywordExtractor(llm=llm, **params).fit_transform([r["text"] for r in rows])
        res = evaluate_keyphrases(got, [r["keyphrases"] for r in rows], ks=(5, 10))
        out["sets"][ds] = {k: round(100 * v, 2) for k, v in res.items() if k.startswith("F1")}
        print(ds, out["sets"][ds], flush=True)
    Path(args.json).write_text(json.dumps(out, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("feats", "search", "record", "replay"))
    ap.add_argument("--datasets", default="semeval,inspec", help="record, replay: the sets")
    ap.add_argument("--split", default="test", choices=("test", "dev"), help="replay: test, or dev (a check)")
    ap.add_argument("--dev-limit", type=int, default=300)
    ap.add_argument("--params", default="{}", help="replay: JSON HybridKeywordExtractor params")
    ap.add_argument("--record", default="/tmp/hybsem/record_{ds}.json", help="record, replay: the recording")
    ap.add_argument("--model", default="gemma3-270m")
    ap.add_argument("--embedders", default="minilm,e5", help="feats: candidate embedders")
    ap.add_argument("--sets", default=None, help="feats: only these sets")
    ap.add_argument("--families", default=None, help="search: only the families starting with these names")
    ap.add_argument("--json", default=str(ht.RESULTS / "llm_assist_hybfeat_dev.json"))
    args = ap.parse_args()
    {"feats": feats, "search": search, "record": record, "replay": replay}[args.mode](args)


if __name__ == "__main__":
    main()
