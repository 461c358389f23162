"""Does the label carry the information of the topic's keywords? The *keyword fit*, on development topics only.

A label that names its topic should make the topic's own keywords likely: with the label as the only thing the LLM
reads, how probable are the topic's top words as the list of its keywords? For candidate ``c`` of a topic whose top
ten words are ``w1 .. w10``::

    keyfit(c) = sum of log p(" w1, w2, ..., w10" | KEY_INSTRUCTION, "Topic: <c>", "Keywords:")

The continuation is the same for every candidate of a topic, so ranking candidates by ``keyfit`` ranks them by the
pointwise mutual information between label and keywords. A broad field label ("Government" for a topic whose words
are "batf, fbi, gun") makes the words unlikely; "Gun control" makes them likely. This script computes it for the
candidates saved by ``llm_assist_labels_field.py`` (variant ``specific``: the default field prompt; 32-token
documents) and scores, with the judge, rules that use it next to the default coverage rule. Development topics
only (20 Newsgroups dev, dev2, dev3) and the demo (no judge).

The same saved features also score (no LLM call) coverage rules that may choose another candidate than the field
label (``cov>sel``, ``covmax``, ``covmax-written``, ``covered-best``) and an embedding veto on the coverage rule
(``embveto``, ``embgap``); see :func:`pick`. None of them beats TopicLabeler's default on the development topics
with the demo's labels kept (docs/benchmarks/llm_assist_labels.md, "Tried and not adopted, 2026-12-03 night").

    python benchmarks/llm_assist_labels_keyfit.py --features benchmarks/results/llm_assist_labels_field_doc32.json \
        --json benchmarks/results/llm_assist_labels_keyfit_dev.json > benchmarks/results/llm_assist_labels_keyfit_dev.txt
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from llm_assist_labels import DESCRIPTIONS, topics_for  # noqa: E402
from llm_assist_labels_tune import choose, coverage_of, demo_topics  # noqa: E402

KEY_INSTRUCTION = ("Read the name of one topic found in a collection of texts and list the keywords "
                   "that the texts of this topic use most.")
KEY_PREFIX = "Keywords:"
N_KEYWORDS = 10


def keyfit(llm, topic, cands, n_words: int = N_KEYWORDS) -> list[float]:
    words = ", ".join(str(w) for w, _ in list(topic.words)[:n_words])
    out = []
    for c in cands:
        lp = llm.score_continuations(KEY_INSTRUCTION, f"Topic: {c}", [" " + words], answer_prefix=KEY_PREFIX)[0]
        out.append(float(np.sum(lp)))
    return out


def pick(row: dict, kf: np.ndarray, rule: str, x: float) -> str:
    """The label a rule chooses. ``default``: the coverage rule at 0 (TopicLabeler's default);
    ``score``: the score alone; ``mix x``: the score with ``x * z(keyfit)`` added (no coverage rule);
    ``cov+mix x``: the coverage rule, else the score with ``x * z(keyfit)``; ``veto x``: the coverage rule only when
    the field label's z(keyfit) >= x, else the score; ``keyfit``: the candidate with the best keyfit."""
    from textmine.keywords.promptrank import zscore
    from textmine.topics import label_select as S

    cands = row["cands"]
    if rule == "default":
        return choose(row, 0, 0.5, 0.5, 1.0, 0.5, True, 0.0, "cov", 0.0)
    if rule == "score":
        return choose(row, 0, 0.5, 0.5, 1.0, 0.5, True, 0.0, "", 0.0)
    if rule == "keyfit":
        return cands[int(np.argmax(kf))]
    ll = np.array([s / max(1, n) for s, n in row["llm"]["0"]])
    em = np.array(row["emb"]["0.5"])
    score = 0.5 * zscore(ll) + 0.5 * zscore(em)
    score[: row["n_written"]] += 0.5
    zk = zscore(kf)
    fi = [i for i, c in enumerate(cands) if c.casefold() == (row["field"] or "").casefold()]
    cov = coverage_of(row, 1.0)
    covered = bool(fi) and cov[fi[0]] >= 0.0
    if rule == "mix":
        return cands[int(np.argmax(score + x * zk))]
    if rule == "cov+mix":
        return cands[fi[0]] if covered else cands[int(np.argmax(score + x * zk))]
    if rule == "veto":
        return cands[fi[0]] if covered and zk[fi[0]] >= x else cands[int(np.argmax(score))]
    if rule == "cov>sel":  # the field label when it covers every document and at least as well as the score's choice
        i = int(np.argmax(score))
        return cands[fi[0]] if covered and cov[fi[0]] >= cov[i] else cands[i]
    if rule == "covmax":  # when the field label covers every document: the candidate that covers them best
        return cands[int(np.argmax(cov))] if covered else cands[int(np.argmax(score))]
    if rule == "covmax-written":  # ... the best-covering of the LLM's written answers (its label, the field)
        nw = row["n_written"]
        if not (covered and nw):
            return cands[int(np.argmax(score))]
        j = int(np.argmax(cov[:nw]))  # with x > 0: another written answer only when it covers by x more
        return cands[j] if j == fi[0] or cov[j] >= cov[fi[0]] + x else cands[fi[0]]
    if rule == "covered-best":  # ... the best-scored of the candidates whose coverage is >= x
        if not covered:
            return cands[int(np.argmax(score))]
        return cands[int(np.argmax(np.where(cov >= x, score, -np.inf)))]
    if rule == "embveto":  # the coverage rule only when the field label's z(embedding fit) >= x
        ze = zscore(em)
        return cands[fi[0]] if covered and ze[fi[0]] >= x else cands[int(np.argmax(score))]
    if rule == "embgap":  # ... only when its embedding fit is at most x below the score's choice's
        i = int(np.argmax(score))
        return cands[fi[0]] if covered and em[fi[0]] >= em[i] - x else cands[i]
    if rule == "veto+mix":
        return cands[fi[0]] if covered and zk[fi[0]] >= x else cands[int(np.argmax(score + zk))]
    raise ValueError(rule)


RULES = ([("default", 0.0), ("score", 0.0), ("keyfit", 0.0)] + [("mix", x) for x in (0.25, 0.5, 1.0, 2.0)]
         + [("cov+mix", x) for x in (0.25, 0.5, 1.0, 2.0)] + [("veto", x) for x in (-1.0, -0.5, 0.0, 0.5)]
         + [("veto+mix", x) for x in (-1.0, -0.5, 0.0)]
         # coverage rules that can choose another candidate than the field label (added 21:30 UTC, after the
         # keyfit rules failed; same decision rule, /work/notes/session5.md)
         + [("cov>sel", 0.0), ("covmax", 0.0), ("covmax-written", 0.0)]
         + [("covmax-written", x) for x in (0.1, 0.25, 0.5, 1.0)]
         + [("covered-best", x) for x in (0.0, 0.25, 0.5)]
         + [("embveto", x) for x in (-1.5, -1.0, -0.5, 0.0)] + [("embgap", x) for x in (0.1, 0.2, 0.3)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", default=str(HERE / "results" / "llm_assist_labels_field_doc32.json"))
    ap.add_argument("--variant", default="specific")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--json", default=str(HERE / "results" / "llm_assist_labels_keyfit_dev.json"))
    ap.add_argument("--reuse", action="store_true")
    args = ap.parse_args()
    from textmine.evaluation import label_accuracy

    feats = json.loads(Path(args.features).read_text())["datasets"]
    path = Path(args.json)
    saved = json.loads(path.read_text()) if (args.reuse and path.is_file()) else {"keyfit": {}}
    llm = None
    pooled: dict[str, list[tuple[float, float]]] = {}
    demo_labels: dict[str, list[str]] = {}
    for key, rows in feats.items():
        if key == "demo":
            topics, assign, gold = demo_topics(), None, None
        else:
            name, split = key.split(":")
            topics, assign, gold = topics_for(name, split)
            topics = [t for t in topics if t.size > 0]
        by_id = {int(t.id): t for t in topics}
        vr = [r["variants"][args.variant] for r in rows]
        if key not in saved["keyfit"]:
            if llm is None:
                from textmine.llm import load_llm

                llm = load_llm(args.model, task="labels", cache=False)
            t0 = time.perf_counter()
            saved["keyfit"][key] = [keyfit(llm, by_id[r["topic"]], r["cands"]) for r in vr]
            print(f"# {key}: keyfit {time.perf_counter() - t0:.1f} s for {len(vr)} topics, "
                  f"{sum(len(r['cands']) for r in vr)} candidates", flush=True)
            path.write_text(json.dumps(saved, indent=1))
        kfs = [np.array(k) for k in saved["keyfit"][key]]
        for rule, x in RULES:
            labels = [pick(r, kf, rule, x) for r, kf in zip(vr, kfs)]
            tag = f"{rule} {x}"
            if key == "demo":
                demo_labels[tag] = labels
                continue
            res = label_accuracy(topics, gold, DESCRIPTIONS[name], labels=labels, assignments=assign)
            sizes = sum(t.size for t in topics)
            pooled.setdefault(tag, []).append((res.accuracy, sizes))
            print(f"{key} {tag:16s} {res.accuracy:.3f} (top words {res.words_accuracy:.3f})  {labels}", flush=True)
    print("pooled over the development sets (weighted by documents in topics) | demo labels:")
    for tag, v in pooled.items():
        a = np.array(v)
        print(f"  {tag:16s} {np.average(a[:, 0], weights=a[:, 1]):.3f}   ({', '.join(f'{x:.3f}' for x in a[:, 0])})"
              f"   demo {demo_labels.get(tag)}")


if __name__ == "__main__":
    main()
