"""Which prompt for the field label? Variants measured on development topics only (never the reported ones).

The coverage rule (``TopicLabeler(field_coverage=0.0)``) gives ``textmine demo`` the labels a person writes
("Football", "Food", "Music", "Finance", "Space") but lost accuracy on 20 Newsgroups, where the field label the
LLM writes is often broader than the fine classes ("Sports" for ice hockey, "Government" for gun politics).
This script asks whether a field prompt that asks for the *most specific* common name keeps the demo's labels
and loses less where classes are fine. For every development topic the written label and key phrases are
computed once; then, for each field-prompt variant (:data:`VARIANTS`), the field label, the candidates and their
LLM, per-document and embedding scores (as ``TopicLabeler.choose``), and the judge's accuracy of the label that
(a) the score alone and (b) the coverage rule at thresholds 0 and 0.25 choose. ``demo`` (the bundled corpus of
``textmine demo``; no judge) prints each variant's labels.

    python benchmarks/llm_assist_labels_field.py --datasets 20newsgroups:dev,20newsgroups:dev2,20newsgroups:dev3,demo \
        --json benchmarks/results/llm_assist_labels_field.json
    python benchmarks/llm_assist_labels_field.py --variants specific --doc-tokens 32 \
        --json benchmarks/results/llm_assist_labels_field_doc32.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from llm_assist_labels import DESCRIPTIONS, topics_for  # noqa: E402
from llm_assist_labels_tune import choose, demo_topics  # noqa: E402

from textmine.topics import label_select as S  # noqa: E402

_SPECIFIC = (
    "Read the keywords and key phrases of one topic found in a collection of texts. "
    "Answer with the most specific name that covers all of them: the field, activity or product the topic "
    "belongs to, in 1 or 2 words, as a library or a forum would name a section."
)
# examples on subjects that are neither a benchmark class nor a demo theme; each answer is the narrowest
# name that covers its keywords ("Knitting", not "Crafts"; "Coffee", not "Drinks")
_EXAMPLES_NARROW = S.FIELD_EXAMPLES + (
    ("Keywords: yarn, needles, stitch, wool, pattern, sweater\n"
     "Key phrases: knitting pattern, wool yarn, cable stitch", "Knitting"),
    ("Keywords: espresso, beans, grinder, roast, milk, barista\n"
     "Key phrases: espresso machine, coffee beans, burr grinder", "Coffee"),
)
#: the field prompt before this comparison (label_select.FIELD_INSTRUCTION until 2026-12-03 19:20 UTC)
_PREVIOUS = (
    "Read the keywords and key phrases of one topic found in a collection of texts. "
    "Answer with the name of the field, activity or product the topic belongs to, in 1 or 2 words, "
    "as a library or a forum would name a section."
)
#: the field label told apart from the topic's nearest topics (added 2026-12-03 21:40 UTC): the prompt adds a line
#: "Other topics: ..." with the top words of the 3 topics nearest to it (cosine of MiniLM embeddings of their top
#: ten words), so the answer is a name for this topic that is not also the name of its neighbours ("Hockey" next to a
#: baseball topic, not "Sports")
_NEIGHBOURS = (
    "Read the keywords and key phrases of one topic found in a collection of texts, and the keywords of "
    "other topics of the same collection. Answer with the most specific name that covers all of this topic's "
    "keywords and does not fit the other topics: the field, activity or product the topic belongs to, "
    "in 1 or 2 words, as a library or a forum would name a section."
)
_EXAMPLES_NEIGHBOURS = (
    ("Keywords: garden, plants, soil, seeds, tomatoes, watering\n"
     "Key phrases: vegetable garden, tomato plants, potting soil\n"
     "Other topics: lawn, mower, grass, mowing, turf; roses, pruning, bloom, flowers, petals", "Vegetable gardening"),
    ("Keywords: opening, pawn, rook, endgame, grandmaster, move\n"
     "Key phrases: queen's gambit, rook endgame, world championship\n"
     "Other topics: poker, cards, bet, chips, bluff; dice, board, monopoly, tokens, players", "Chess"),
    ("Keywords: dataframe, pandas, column, csv, index, rows\n"
     "Key phrases: pandas dataframe, csv file, column names\n"
     "Other topics: numpy, array, shape, dtype, axis; matplotlib, plot, figure, axes, legend", "Pandas"),
)
N_NEIGHBOURS = 3
NEIGHBOUR_WORDS = 5


def neighbour_lines(emb, topics) -> dict[int, str]:
    """topic id -> "Other topics: ..." (the top words of its N_NEIGHBOURS nearest topics)."""
    ts = [t for t in topics if int(t.id) >= 0]
    if len(ts) < 2:
        return {}
    E = S._unit(emb.encode([", ".join(str(w) for w, _ in list(t.words)[:10]) for t in ts]))
    sim = E @ E.T
    np.fill_diagonal(sim, -np.inf)
    out = {}
    for i, t in enumerate(ts):
        near = np.argsort(-sim[i], kind="stable")[:N_NEIGHBOURS]
        out[int(t.id)] = "Other topics: " + "; ".join(
            ", ".join(str(w) for w, _ in list(ts[j].words)[:NEIGHBOUR_WORDS]) for j in near)
    return out


#: name -> (instruction, examples); "specific" became label_select.FIELD_INSTRUCTION; "neighbours": see _NEIGHBOURS
VARIANTS: dict[str, tuple[str, tuple]] = {
    "neighbours": (_NEIGHBOURS, _EXAMPLES_NEIGHBOURS),
    "current": (_PREVIOUS, S.FIELD_EXAMPLES),
    "specific": (_SPECIFIC, S.FIELD_EXAMPLES),
    "narrow-examples": (_PREVIOUS, _EXAMPLES_NARROW),
    "specific+narrow": (_SPECIFIC, _EXAMPLES_NARROW),
}


def topic_rows(llm, lab, emb, topics, variants) -> list[dict]:
    from textmine.topics.label import _without_instructions, label_problem

    phrases = lab.key_phrases(topics)
    near = neighbour_lines(emb, topics) if "neighbours" in variants else {}
    out = []
    for t, ph in zip(topics, phrases):
        t0 = time.perf_counter()
        written = lab.label_one(t, phrases=ph)
        fallback = int(t.id) in lab.fallbacks_
        text = lab.prompt_text(t, llm, phrases=ph, n_docs=0)
        docs = [d for d in (_without_instructions(" ".join(str(d).split())) for d in t.representative_docs) if d]
        row = {"topic": int(t.id), "size": int(t.size), "written": written, "fallback": fallback,
               "write_s": time.perf_counter() - t0, "variants": {}}
        for name in variants:
            t1 = time.perf_counter()
            instr, examples = VARIANTS[name]
            ftext = text + "\n" + near[int(t.id)] if name == "neighbours" and int(t.id) in near else text
            field = lab._ask(llm, ftext, instr, examples) if text.strip() else ""
            answers = ([] if fallback else [written]) + ([field] if field else [])
            cands = S.candidate_labels(t, answers, ph, check=label_problem)
            n_written = sum(1 for c in cands[: len(answers)] if c in answers)
            off = S.candidate_labels(t, answers[:-1] if field else answers, ph, check=label_problem)
            low = [c.casefold() for c in cands]
            conts = [f" {c}." for c in cands]
            lps = llm.score_continuations(S.SCORE_INSTRUCTION, text, conts, answer_prefix=S.ANSWER_PREFIX)
            dscores = []
            for d in docs:
                dl = llm.score_continuations(S.DOC_INSTRUCTION, "Document: " + llm.truncate(d, S.DOC_TOKENS), conts,
                                             answer_prefix=S.ANSWER_PREFIX)
                dscores.append([[float(np.sum(lp)), len(lp)] for lp in dl])
            row["variants"][name] = {
                "topic": int(t.id), "written": written, "field": field, "cands": cands, "n_written": n_written,
                "off_idx": [low.index(c.casefold()) for c in off], "off_written": n_written - (1 if field and
                                                                                             field in cands else 0),
                "llm": {"0": [[float(np.sum(lp)), len(lp)] for lp in lps]},
                "emb": {"0.5": S.embedding_fit(emb, t, cands, words_weight=0.5).tolist()},
                "docs": dscores, "secs": time.perf_counter() - t1}
        out.append(row)
        print(t.id, "|", written, "|", {n: row["variants"][n]["field"] for n in variants}, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="20newsgroups:dev,20newsgroups:dev2,20newsgroups:dev3,demo")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--json", default=str(HERE / "results" / "llm_assist_labels_field.json"))
    ap.add_argument("--reuse", action="store_true", help="only the tables, from the rows saved in --json")
    ap.add_argument("--doc-tokens", type=int, default=S.DOC_TOKENS,
                    help="each representative document is cut to this many tokens in the per-document fit")
    args = ap.parse_args()
    S.DOC_TOKENS = args.doc_tokens
    from textmine.embed import get_embedder
    from textmine.evaluation import label_accuracy
    from textmine.llm import load_llm
    from textmine.topics import TopicLabeler

    variants = args.variants.split(",")
    path = Path(args.json)
    saved = json.loads(path.read_text()) if path.is_file() else {}
    saved.setdefault("datasets", {})
    saved["model"] = args.model
    saved["threads_env"] = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "TEXTMINE_LLM_THREADS")}
    saved["doc_tokens"] = args.doc_tokens
    llm = lab = emb = None
    pooled: dict[str, list[tuple[float, float]]] = {}
    for item in args.datasets.split(","):
        name, split = item.split(":") if ":" in item else (item, "dev")
        key = "demo" if name == "demo" else f"{name}:{split}"
        if name == "demo":
            topics, assign, gold = demo_topics(), None, None
        else:
            if split == "report":
                raise SystemExit("development topics only")
            topics, assign, gold = topics_for(name, split)
            topics = [t for t in topics if t.size > 0]
        if not (args.reuse and key in saved["datasets"]):
            if llm is None:
                llm = load_llm(args.model, task="labels", cache=False)
                lab, emb = TopicLabeler(llm=llm), get_embedder("default")
            saved["datasets"][key] = topic_rows(llm, lab, emb, topics, variants)
            path.write_text(json.dumps(saved, indent=1))
        rows = saved["datasets"][key]
        if name == "demo":
            print("demo (no judge): labels by variant and rule")
            for v in variants:
                vr = [r["variants"][v] for r in rows]
                print(f"  {v}: field {[r['field'] for r in vr]}")
                for rule, tau in (("", 0.0), ("cov", 0.0), ("cov", 0.25)):
                    print(f"    {rule or 'score'} {tau}: {[choose(r, 0, 0.5, 0.5, 1.0, 0.5, True, 0.0, rule, tau) for r in vr]}")
            continue
        sizes = np.array([r["size"] for r in rows], dtype=float)
        print(f"{key}: {len(rows)} topics, {int(sizes.sum())} documents in topics")
        for v in variants:
            vr = [r["variants"][v] for r in rows]
            for rule, tau in (("", 0.0), ("cov", 0.0), ("cov", 0.25), ("field", 0.0)):
                labels = ([r["field"] or r["written"] for r in vr] if rule == "field"
                          else [choose(r, 0, 0.5, 0.5, 1.0, 0.5, True, 0.0, rule, tau) for r in vr])
                res = label_accuracy(topics, gold, DESCRIPTIONS[name], labels=labels, assignments=assign)
                tag = f"{v} {rule or 'score'} {tau}"
                pooled.setdefault(tag, []).append((res.accuracy, sizes.sum()))
                n_field = sum(lab_.casefold() == (r["field"] or "").casefold() for lab_, r in zip(labels, vr))
                print(f"  {tag:32s} {res.accuracy:.3f}  (top words {res.words_accuracy:.3f}; field label on "
                      f"{n_field}/{len(vr)})")
            print(f"    fields: {[r['field'] for r in vr]}")
            print(f"    s/topic (field + scores + coverage): {np.mean([r['secs'] for r in vr]):.2f}")
    if pooled:
        print("pooled over the development sets (weighted by documents in topics):")
        for tag, v in pooled.items():
            a = np.array(v)
            print(f"  {tag:32s} {np.average(a[:, 0], weights=a[:, 1]):.3f}   ({', '.join(f'{x:.3f}' for x in a[:, 0])})")


if __name__ == "__main__":
    main()
