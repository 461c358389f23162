"""Choose TopicLabeler's candidate-selection settings on development topics (never the reported ones).

Development topics: ``llm_assist_labels.topics_for(name, split)`` with ``split`` "dev" or "dev2", i.e.
TopicModel defaults (seed 42) on 20 Newsgroups documents that are not in the reported sample
(:data:`DEV_SAMPLES`; "dev2" is a second sample, disjoint from "dev"). AG News and StackOverflow have no
documents outside their reported sets here, so they are never used to choose anything.
For every topic the written label (TopicLabeler's generation), the field label, the key phrases and the
candidates (:func:`textmine.topics.label_select.candidate_labels`) are computed once with their LLM scores,
embedding scores and per-document LLM scores (:func:`~textmine.topics.label_select.doc_fit`); then every
setting of the grid is scored with :func:`textmine.evaluation.label_accuracy` (e5 judge) on these dev topics,
and the table is printed. ``demo`` (the bundled sample corpus of ``textmine demo``; not a development set,
no judge) prints the label each rule gives there.

    TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_labels_tune.py \
        --datasets 20newsgroups:dev,20newsgroups:dev2,demo --json benchmarks/results/llm_assist_labels_tune_cov.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from llm_assist_labels import DESCRIPTIONS, topics_for  # noqa: E402


def features(model: str, topics, split_note: str, with_docs: bool = True) -> list[dict]:
    from textmine.embed import get_embedder
    from textmine.llm import LLM, load_llm
    from textmine.topics import TopicLabeler
    from textmine.topics import label_select as S
    from textmine.topics.label import _without_instructions, label_problem

    llm = LLM(model, cache=False) if model.endswith(".gguf") else load_llm(model, task="labels", cache=False)
    lab = TopicLabeler(llm=llm)
    emb = get_embedder("default")
    phrases = lab.key_phrases(topics)
    rows = []
    for t, ph in zip(topics, phrases):
        t0 = time.perf_counter()
        written = lab.label_one(t, phrases=ph)
        t1 = time.perf_counter()
        fallback = int(t.id) in lab.fallbacks_  # a fallback is no written answer (as TopicLabeler.choose)
        field = lab.field_label(t, ph)
        answers = ([] if fallback else [written]) + [field]
        cands = S.candidate_labels(t, answers, ph, check=label_problem)
        n_written = sum(1 for c in cands[: len(answers)] if c in answers)
        # without the field candidate: a subset of the same candidates (same scores)
        off = S.candidate_labels(t, answers[:-1], ph, check=label_problem)
        low = [c.casefold() for c in cands]
        off_idx = [low.index(c.casefold()) for c in off]
        off_written = sum(1 for c in off[: len(answers) - 1] if c in answers[:-1])
        conts = [f" {c}." for c in cands]
        llm_sc = {}
        for nd in (0,):
            text = lab.prompt_text(t, llm, phrases=ph, n_docs=nd)
            lps = llm.score_continuations(S.SCORE_INSTRUCTION, text, conts, answer_prefix=S.ANSWER_PREFIX)
            llm_sc[nd] = [[float(np.sum(lp)), len(lp)] for lp in lps]
        t15 = time.perf_counter()
        docs = []
        if with_docs:  # per-document fit (coverage): the raw sums and token counts, z-scored in choose()
            for d in t.representative_docs:
                d = _without_instructions(" ".join(str(d).split()))  # as TopicLabeler.choose
                if d:
                    lps = llm.score_continuations(S.DOC_INSTRUCTION, "Document: " + llm.truncate(d, S.DOC_TOKENS),
                                                  conts, answer_prefix=S.ANSWER_PREFIX)
                    docs.append([[float(np.sum(lp)), len(lp)] for lp in lps])
        t2 = time.perf_counter()
        e = {str(ww): S.embedding_fit(emb, t, cands, words_weight=ww).tolist() for ww in (0.0, 0.5, 1.0)}
        t3 = time.perf_counter()
        rows.append({"topic": int(t.id), "written": written, "field": field, "off_idx": off_idx,
                     "off_written": off_written, "fallback": fallback, "cands": cands,
                     "n_written": n_written, "llm": llm_sc, "emb": e, "docs": docs,
                     "secs": {"write": t1 - t0, "score": t15 - t1, "docs": t2 - t15, "embed": t3 - t2}})
        print(t.id, "|", written, "|", field, "|", cands, flush=True)
    return rows


def coverage_of(row: dict, alpha: float = 1.0) -> np.ndarray:
    """The candidates' coverage (label_select.coverage of the per-document z-scores)."""
    from textmine.keywords.promptrank import zscore
    from textmine.topics import label_select as S

    docs = row.get("docs") or []
    Z = np.array([zscore(np.array([s / max(1, n) ** alpha for s, n in d])) for d in docs])
    return S.coverage(Z.reshape(len(docs), len(row["cands"])))


def choose(row: dict, nd: int, w: float, bonus: float, alpha: float, ww: float, field: bool = True,
           field_bonus: float = 0.0, rule: str = "", tau: float = 0.0) -> str:
    """The chosen label. ``rule``: "" (the score alone), "cov" (the field label when its coverage >= tau:
    label_select.select_label's field_coverage), "cov>sel" (the field label when its coverage >= tau and
    >= the coverage of the label the score chose), "mix" (tau * z(coverage) added to every candidate's score)."""
    from textmine.keywords.promptrank import zscore
    from textmine.topics import label_select as S

    idx = list(range(len(row["cands"]))) if field else row["off_idx"]
    if not idx:
        return row["written"]
    cands = [row["cands"][i] for i in idx]
    ll = np.array([s / max(1, n) ** alpha for s, n in row["llm"][str(nd)]])[idx]
    em = np.array(row["emb"][str(ww)])[idx]
    fi = [i for i, c in enumerate(cands) if field and c.casefold() == (row["field"] or "").casefold()]
    nw = row["n_written"] if field else row["off_written"]
    cov = coverage_of(row, alpha)[idx] if rule else None
    if rule == "cov":
        i = S.select_label(cands, ll, em, nw, llm_weight=w, written_bonus=bonus, field_index=fi[0] if fi else None,
                           field_bonus=field_bonus, coverage=cov, field_coverage=tau)
    elif rule == "mix":
        score = w * zscore(ll) + (1 - w) * zscore(em) + tau * zscore(cov)
        score[:nw] += bonus
        i = int(np.argmax(score))
    else:
        i = S.select_label(cands, ll, em, nw, llm_weight=w, written_bonus=bonus,
                           field_index=fi[0] if fi else None, field_bonus=field_bonus)
        if rule == "cov>sel" and fi and cov[fi[0]] >= tau and cov[fi[0]] >= cov[i]:
            i = fi[0]
    return cands[i]


#: the coverage rules tried, at the default weights (llm_weight 0.5, written bonus 0.5, words weight 0.5)
RULES = ([("", 0.0)] + [("cov", t) for t in (-0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0)]
         + [("cov>sel", t) for t in (-0.5, 0.0, 0.5)] + [("mix", c) for c in (0.25, 0.5, 1.0, 2.0)])


def demo_topics():
    """The topics of ``textmine demo`` (textmine.demo.run_demo's TopicModel settings, seed 42)."""
    from textmine.demo import DEMO_MIN_TOPIC_SIZE
    from textmine.io import load_sample_corpus
    from textmine.topics import TopicModel

    corpus = load_sample_corpus()
    tm = TopicModel(n_topics="auto", min_topic_size=DEMO_MIN_TOPIC_SIZE, random_state=42).fit(corpus.texts)
    return [t for t in tm.topics_ if t.size > 0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="20newsgroups:dev,20newsgroups:dev2,demo",
                    help="name:split items (split dev or dev2), or demo")
    ap.add_argument("--split", default="dev", help="the split of items given without one")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--json", default=str(HERE / "results" / "llm_assist_labels_tune.json"))
    ap.add_argument("--reuse", action="store_true", help="grid only, from the features in --json")
    ap.add_argument("--full-grid", action="store_true", help="also the weights' grid (llm_weight, bonus, words weight)")
    args = ap.parse_args()
    from textmine.evaluation import label_accuracy
    from textmine.evaluation.labels import default_judge

    class Memo:  # the e5 judge, each text embedded once (the grid re-scores the same candidates)
        name = default_judge().name

        def __init__(self):
            self.seen = {}

        def encode(self, texts):
            new = [t for t in dict.fromkeys(texts) if t not in self.seen]
            if new:
                self.seen.update(zip(new, default_judge().encode(new)))
            return np.stack([self.seen[t] for t in texts])

    judge = Memo()
    out = json.loads(Path(args.json).read_text()) if Path(args.json).is_file() else {}
    out.setdefault("model", args.model)
    out.setdefault("datasets", {})
    pooled: dict[tuple, list[float]] = {}
    for item in args.datasets.split(","):
        name, split = item.split(":") if ":" in item else (item, args.split)
        key = name if name == "demo" else f"{name}:{split}"
        if name == "demo":
            topics, assign, gold = demo_topics(), None, None
        else:
            topics, assign, gold = topics_for(name, split)
            topics = [t for t in topics if t.size > 0]
        if not (args.reuse and key in out["datasets"]):
            out["datasets"][key] = features(args.model, topics, split)
            Path(args.json).write_text(json.dumps(out, indent=1))
        rows = out["datasets"][key]
        for r in rows:
            r["llm"] = {str(k): v for k, v in r["llm"].items()}
        if name == "demo":
            print("demo (not a development set): the label of each topic under each rule")
            for rule, tau in RULES:
                print(f"  rule={rule or 'score'} tau={tau}:", [choose(r, 0, 0.5, 0.5, 1.0, 0.5, True, 0.0, rule, tau)
                                                               for r in rows])
            print("  field labels:", [r["field"] for r in rows], " written:", [r["written"] for r in rows])
            continue

        def acc(labels):
            return label_accuracy(topics, gold, DESCRIPTIONS[name], labels=labels, assignments=assign, judge=judge)

        base = acc([r["written"] for r in rows])
        print(f"{key} ({len(rows)} topics): top words {base.words_accuracy:.3f}, written {base.accuracy:.3f}")
        pooled.setdefault(("top words",), []).append(base.words_accuracy)
        pooled.setdefault(("written",), []).append(base.accuracy)
        for rule, tau in RULES:
            res = acc([choose(r, 0, 0.5, 0.5, 1.0, 0.5, True, 0.0, rule, tau) for r in rows])
            pooled.setdefault((rule or "score", tau), []).append(res.accuracy)
            n_field = sum(choose(r, 0, 0.5, 0.5, 1.0, 0.5, True, 0.0, rule, tau).casefold() == (r["field"] or "").casefold()
                          for r in rows)
            print(f"  rule={rule or 'score'} tau={tau}: {res.accuracy:.3f} (unweighted {res.unweighted_accuracy:.3f}; "
                  f"field label on {n_field}/{len(rows)} topics)")
        for fb in (0.5, 1.0, 2.0, 3.0):  # an extra bonus for the field label, at the defaults
            res = acc([choose(r, 0, 0.5, 0.5, 1.0, 0.5, True, fb) for r in rows])
            pooled.setdefault(("field_bonus", fb), []).append(res.accuracy)
            print(f"  field_bonus={fb} (llm_weight=0.5 bonus=0.5 words_weight=0.5): {res.accuracy:.3f}")
        res = acc([r["field"] or r["written"] for r in rows])
        pooled.setdefault(("field labels alone",), []).append(res.accuracy)
        print(f"  field labels alone: {res.accuracy:.3f}")
        if args.full_grid:
            grid = []
            for field, w, bonus, ww in itertools.product((True, False), (0.0, 0.25, 0.5, 0.75, 1.0), (0.0, 0.5, 1.0),
                                                         (0.0, 0.5, 1.0)):
                if w == 1.0 and ww > 0:
                    continue
                res = acc([choose(r, 0, w, bonus, 1.0, ww, field) for r in rows])
                grid.append((res.accuracy, res.unweighted_accuracy, field, w, bonus, 1.0, ww))
            grid.sort(key=lambda g: -g[0])
            for g in grid:
                print(f"  acc {g[0]:.3f} (unweighted {g[1]:.3f})  field={g[2]} llm_weight={g[3]} bonus={g[4]} "
                      f"alpha={g[5]} words_weight={g[6]}")
        secs = {k: float(np.mean([r["secs"][k] for r in rows])) for k in ("write", "score", "docs", "embed")
                if k in rows[0]["secs"]}
        print("  seconds per topic:", {k: round(v, 2) for k, v in secs.items()})
    if pooled:
        print("mean over the development sets:")
        for k, v in pooled.items():
            print(f"  {' '.join(str(x) for x in k)}: {np.mean(v):.3f}  ({', '.join(f'{x:.3f}' for x in v)})")


if __name__ == "__main__":
    main()
