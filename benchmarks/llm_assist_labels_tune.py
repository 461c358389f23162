"""Choose TopicLabeler's candidate-selection settings on development topics (never the reported ones).

Development topics: ``llm_assist_labels.topics_for(name, split="dev")``, i.e. TopicModel defaults
(seed 42) on 20 Newsgroups documents that are not in the reported sample (:data:`DEV_SAMPLES`).
For every topic the written label (TopicLabeler's generation), the key phrases and the candidates
(:func:`textmine.topics.label_select.candidate_labels`) are computed once with their LLM scores
(prompt without / with 3 documents) and embedding scores; then every setting of the grid is scored
with :func:`textmine.evaluation.label_accuracy` (e5 judge) on these dev topics, and the table is printed.

    TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_labels_tune.py --datasets 20newsgroups \
        --json benchmarks/results/llm_assist_labels_tune.json
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


def features(model: str, topics, split_note: str) -> list[dict]:
    from textmine.embed import get_embedder
    from textmine.llm import LLM, load_llm
    from textmine.topics import TopicLabeler
    from textmine.topics import label_select as S
    from textmine.topics.label import label_problem

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
        t2 = time.perf_counter()
        e = {str(ww): S.embedding_fit(emb, t, cands, words_weight=ww).tolist() for ww in (0.0, 0.5, 1.0)}
        t3 = time.perf_counter()
        rows.append({"topic": int(t.id), "written": written, "field": field, "off_idx": off_idx,
                     "off_written": off_written, "fallback": fallback, "cands": cands,
                     "n_written": n_written, "llm": llm_sc, "emb": e,
                     "secs": {"write": t1 - t0, "score": t2 - t1, "embed": t3 - t2}})
        print(t.id, "|", written, "|", field, "|", cands, flush=True)
    return rows


def choose(row: dict, nd: int, w: float, bonus: float, alpha: float, ww: float, field: bool = True,
           field_bonus: float = 0.0) -> str:
    from textmine.topics import label_select as S

    idx = list(range(len(row["cands"]))) if field else row["off_idx"]
    if not idx:
        return row["written"]
    cands = [row["cands"][i] for i in idx]
    ll = np.array([s / max(1, n) ** alpha for s, n in row["llm"][str(nd)]])[idx]
    em = np.array(row["emb"][str(ww)])[idx]
    fi = [i for i, c in enumerate(cands) if field and c.casefold() == (row["field"] or "").casefold()]
    i = S.select_label(cands, ll, em, row["n_written"] if field else row["off_written"], llm_weight=w,
                       written_bonus=bonus, field_index=fi[0] if fi else None, field_bonus=field_bonus)
    return cands[i]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="20newsgroups")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--json", default=str(HERE / "results" / "llm_assist_labels_tune.json"))
    ap.add_argument("--reuse", action="store_true", help="grid only, from the features in --json")
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
    out = json.loads(Path(args.json).read_text()) if args.reuse else {"split": args.split, "model": args.model,
                                                                       "datasets": {}}
    for name in args.datasets.split(","):
        topics, assign, gold = topics_for(name, args.split)
        topics = [t for t in topics if t.size > 0]
        if not args.reuse:
            out["datasets"][name] = features(args.model, topics, args.split)
            Path(args.json).write_text(json.dumps(out, indent=1))
        rows = out["datasets"][name]
        for r in rows:
            r["llm"] = {str(k): v for k, v in r["llm"].items()}

        def acc(labels):
            return label_accuracy(topics, gold, DESCRIPTIONS[name], labels=labels, assignments=assign, judge=judge)

        base = acc([r["written"] for r in rows])
        print(f"{name} ({args.split}, {len(rows)} topics): top words {base.words_accuracy:.3f}, "
              f"written {base.accuracy:.3f}")
        grid = []
        for field, w, bonus, ww in itertools.product((True, False), (0.0, 0.25, 0.5, 0.75, 1.0), (0.0, 0.5, 1.0),
                                                     (0.0, 0.5, 1.0)):
            if w == 1.0 and ww > 0:
                continue
            res = acc([choose(r, 0, w, bonus, 1.0, ww, field) for r in rows])
            grid.append((res.accuracy, res.unweighted_accuracy, field, w, bonus, 1.0, ww))
        for fb in (0.5, 1.0, 1.5, 2.0, 3.0):  # an extra bonus for the field label, at the defaults
            res = acc([choose(r, 0, 0.5, 0.5, 1.0, 0.5, True, fb) for r in rows])
            print(f"  field_bonus={fb} (llm_weight=0.5 bonus=0.5 words_weight=0.5): {res.accuracy:.3f}")
        res = acc([r["field"] or r["written"] for r in rows])
        print(f"  field labels alone: {res.accuracy:.3f}")
        grid.sort(key=lambda g: -g[0])
        for g in grid:
            print(f"  acc {g[0]:.3f} (unweighted {g[1]:.3f})  field={g[2]} llm_weight={g[3]} bonus={g[4]} alpha={g[5]} words_weight={g[6]}")
        secs = {k: float(np.mean([r["secs"][k] for r in rows])) for k in ("write", "score", "embed")}
        print("  seconds per topic:", {k: round(v, 2) for k, v in secs.items()})


if __name__ == "__main__":
    main()
