"""Contrastive (distinctiveness) rules for TopicLabeler's choice, on the saved development features.

A label must pick out ITS topic among the corpus's topics. With the topic model's own embedding model
(MiniLM, never the e5 judge), for candidate ``c`` of topic ``t``::

    d(c) = cos(c, centre_t) - max over the other topics s of cos(c, centre_s)

(``centre``: the topic's embedding centre, as :func:`textmine.topics.label_select.embedding_fit` builds it:
``docs``: the mean unit embedding of its representative documents; ``mixed``: that and its top ten words,
half and half, the selection's default). Rules scored here, all on the candidates and LLM scores saved by
``llm_assist_labels_tune.py`` (no LLM call):

* ``gate m``: the field label is the label when it is distinctive: ``d(field) > m`` (no per-document LLM
  pass); otherwise the score decides, as the default;
* ``cov0+gate m``: the field label when its coverage >= 0 (``field_coverage=0.0``) **and** ``d(field) > m``;
* ``contrast x``: the selection score with the embedding fit replaced by ``(1 - x) * cos + x * d``.

    python benchmarks/llm_assist_labels_contrast.py \
        --features benchmarks/results/llm_assist_labels_tune_cov2.json --demo-features \
        benchmarks/results/llm_assist_labels_tune_cov.json > benchmarks/results/llm_assist_labels_contrast_dev.txt
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from llm_assist_labels import DESCRIPTIONS, topics_for  # noqa: E402
from llm_assist_labels_tune import coverage_of, demo_topics  # noqa: E402


def contrast(emb, topics, rows, centre: str) -> list[np.ndarray]:
    """``d(c)`` of every candidate of every topic (rows[i] belongs to topics[i])."""
    from textmine.topics import label_select as S

    ww = 0.0 if centre == "docs" else S.WORDS_WEIGHT
    C = S.topic_centres(emb, topics, words_weight=ww)
    out = []
    for i, r in enumerate(rows):
        E = S._unit(emb.encode(list(r["cands"])))
        out.append(S.distinctiveness(E @ C.T, i))
    return out


def choose(r: dict, d: np.ndarray, rule: str, m: float, shared: bool = False) -> str:
    """The label of one topic under ``rule`` (``shared``: another topic of the corpus has the same field label)."""
    from textmine.keywords.promptrank import zscore
    from textmine.topics import label_select as S

    cands = r["cands"]
    ll = np.array([s / max(1, n) for s, n in r["llm"]["0"]])
    em = np.array(r["emb"]["0.5"])
    fi = [i for i, c in enumerate(cands) if c.casefold() == (r["field"] or "").casefold()]
    nw = r["n_written"]
    if rule == "contrast":
        em = (1 - m) * zscore(em) + m * zscore(d)
    i = S.select_label(cands, ll, em, nw, field_index=fi[0] if fi else None)
    if fi and rule == "gate" and d[fi[0]] > m:
        i = fi[0]
    if fi and rule == "cov0+gate" and d[fi[0]] > m and coverage_of(r)[fi[0]] >= 0.0:
        i = fi[0]
    if fi and rule == "cov0" and coverage_of(r)[fi[0]] >= 0.0:
        i = fi[0]
    if fi and rule == "cov0+unique" and not shared and coverage_of(r)[fi[0]] >= 0.0:
        i = fi[0]
    if fi and rule == "cov0+unique+gate" and not shared and d[fi[0]] > m and coverage_of(r)[fi[0]] >= 0.0:
        i = fi[0]
    return cands[i]


RULES = ([("score", 0.0), ("cov0", 0.0), ("cov0+unique", 0.0)] + [("gate", m) for m in (-0.05, 0.0, 0.02, 0.05, 0.1)]
         + [("cov0+gate", m) for m in (-0.1, -0.05, 0.0, 0.02, 0.05)]
         + [("cov0+unique+gate", m) for m in (-0.1, -0.05, 0.0)] + [("contrast", x) for x in (0.1, 0.25, 0.5, 1.0)])


def shared_fields(rows: list[dict]) -> list[bool]:
    """Whether each topic's field label is also another topic's field label (case-insensitive)."""
    from collections import Counter

    n = Counter((r["field"] or "").casefold() for r in rows)
    return [bool(r["field"]) and n[r["field"].casefold()] > 1 for r in rows]


def load_topics(name: str, split: str, cache_dir: str | None):
    """The topics of ``topics_for(name, split)``, or those saved under ``cache_dir`` (other topics of the same
    documents: fitted with ``OMP_NUM_THREADS=1``, the "B" topics of the docs)."""
    if cache_dir is None:
        return topics_for(name, split)
    from llm_assist_labels import load

    from textmine.topics import Topic

    _, gold, cname = load(name, split)
    saved = json.loads((Path(cache_dir) / f"{cname}.topics42.json").read_text())
    return [Topic.from_dict(d) for d in saved["topics"]], np.asarray(saved["labels"]), gold


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", default=str(HERE / "results" / "llm_assist_labels_tune_cov2.json"))
    ap.add_argument("--demo-features", default=str(HERE / "results" / "llm_assist_labels_tune_cov.json"))
    ap.add_argument("--topics-dir", default=None, help="saved topics of the features (default: topics_for's cache)")
    args = ap.parse_args()
    from textmine.embed import get_embedder
    from textmine.evaluation import label_accuracy
    from textmine.evaluation.labels import default_judge

    emb = get_embedder("default")
    judge = default_judge()
    feats = json.loads(Path(args.features).read_text())["datasets"]
    pooled: dict = {}
    for key in ("20newsgroups:dev", "20newsgroups:dev2"):
        name, split = key.split(":")
        topics, assign, gold = load_topics(name, split, args.topics_dir)
        topics = [t for t in topics if t.size > 0]
        rows = feats[key]
        shared = shared_fields(rows)
        assert [r["topic"] for r in rows] == [t.id for t in topics], key
        print(f"{key}: {len(rows)} topics")
        for centre in ("mixed", "docs"):
            ds = contrast(emb, topics, rows, centre)
            for rule, m in RULES:
                labels = [choose(r, d, rule, m, sh) for r, d, sh in zip(rows, ds, shared)]
                res = label_accuracy(topics, gold, DESCRIPTIONS[name], labels=labels, assignments=assign, judge=judge)
                n_field = sum(lab.casefold() == (r["field"] or "").casefold() for lab, r in zip(labels, rows))
                pooled.setdefault((centre, rule, m), []).append(res.accuracy)
                print(f"  centre={centre} {rule} {m}: {res.accuracy:.3f} (field label on {n_field}/{len(rows)})")
            if centre == "mixed":
                for r, d in zip(rows, ds):
                    fi = [i for i, c in enumerate(r["cands"]) if c.casefold() == (r["field"] or "").casefold()]
                    print(f"    topic {r['topic']}: field {r['field']!r} d={d[fi[0]] if fi else float('nan'):+.3f}; "
                          f"score's {choose(r, d, 'score', 0)!r}; gate 0: {choose(r, d, 'gate', 0.0)!r}")
    print("mean over dev, dev2:")
    for k, v in pooled.items():
        print(f"  {' '.join(str(x) for x in k)}: {np.mean(v):.3f} ({', '.join(f'{x:.3f}' for x in v)})")
    demo = json.loads(Path(args.demo_features).read_text())["datasets"].get("demo")
    if demo:
        topics = demo_topics()
        assert [r["topic"] for r in demo] == [t.id for t in topics]
        print("demo (not a development set):")
        for centre in ("mixed", "docs"):
            ds = contrast(emb, topics, demo, centre)
            for rule, m in RULES:
                print(f"  centre={centre} {rule} {m}:",
                      [choose(r, d, rule, m, sh) for r, d, sh in zip(demo, ds, shared_fields(demo))])
            for r, d in zip(demo, ds):
                print("   ", r["topic"], [(c, round(float(x), 3)) for c, x in zip(r["cands"], d)])


if __name__ == "__main__":
    main()
