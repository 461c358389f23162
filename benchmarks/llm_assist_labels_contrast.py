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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from llm_assist_labels import DESCRIPTIONS, topics_for  # noqa: E402
from llm_assist_labels_tune import coverage_of, demo_topics  # noqa: E402


def topic_centres(embedder: Any, topics: Sequence[Any], *, words_weight: float | None = None) -> np.ndarray:
    """The unit embedding centre of every topic, one row per topic, as ``label_select.embedding_fit`` builds it: the mean
    of its representative documents' unit embeddings and, with weight ``words_weight``, of its top ten words
    written as one text (the words alone when the topic has no documents)."""
    from textmine.topics import label_select as S

    w = S.WORDS_WEIGHT if words_weight is None else float(words_weight)
    texts: list[str] = []
    spans = []
    for t in topics:
        docs = [" ".join(str(d).split()) for d in (getattr(t, "representative_docs", None) or [])]
        docs = [d for d in docs if d]
        spans.append((len(texts), len(docs)))
        texts += [", ".join(str(x) for x, _ in list(t.words)[:10])] + docs
    if not texts:
        return np.zeros((0, 0))
    E = S._unit(embedder.encode(texts))
    rows = []
    for start, n_docs in spans:
        centre = (1 - w) * E[start + 1: start + 1 + n_docs].mean(axis=0) + w * E[start] if n_docs else E[start].copy()
        rows.append(centre / (np.linalg.norm(centre) or 1.0))
    return np.array(rows)


def distinctiveness(sims: np.ndarray, own: int) -> np.ndarray:
    """How well each candidate picks out its own topic among the corpus's topics: its similarity to its own
    topic's centre minus its highest similarity to another topic's centre. ``sims``: one row per candidate,
    one column per topic (cosine similarities to :func:`topic_centres`); ``own``: the candidate's topic's column.
    Positive: the candidate is nearest to its own topic ("Football" among the demo's football, cooking and music
    topics); negative: another topic is nearer (the hope was "Sports" for ice hockey next to a baseball topic; measured
    on the reported 20 Newsgroups topics it is +0.068: MiniLM puts "Sports" nearest to the hockey topic). With one
    topic only: the similarity itself.

    >>> distinctiveness(np.array([[0.6, 0.2, 0.5], [0.3, 0.4, 0.1]]), 0)
    array([ 0.1, -0.1])
    """
    sims = np.asarray(sims, dtype=np.float64)
    if sims.ndim != 2 or sims.shape[1] < 2:
        return sims[:, own] if sims.ndim == 2 and sims.shape[1] else np.zeros(len(sims))
    others = np.delete(sims, int(own), axis=1)
    return sims[:, int(own)] - others.max(axis=1)


def contrast(emb, topics, rows, centre: str) -> list[np.ndarray]:
    """``d(c)`` of every candidate of every topic (rows[i] belongs to topics[i])."""
    from textmine.topics import label_select as S

    ww = 0.0 if centre == "docs" else S.WORDS_WEIGHT
    C = topic_centres(emb, topics, words_weight=ww)
    out = []
    for i, r in enumerate(rows):
        E = S._unit(emb.encode(list(r["cands"])))
        out.append(distinctiveness(E @ C.T, i))
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


#: the saved reported runs (documented topics) with field_coverage=0.0 and without it
REPORTED = {
    "20newsgroups": ("llm_assist_labels_20newsgroups_coverage_doctopics.json", "llm_assist_labels_20newsgroups_default_doctopics.json"),
    "ag_news": ("llm_assist_labels_ag_news_coverage_doctopics.json", "llm_assist_labels_ag_news_default_doctopics.json"),
    "stackoverflow": ("llm_assist_labels_stackoverflow_coverage_quiet.json", "llm_assist_labels_stackoverflow_default_quiet2.json"),
}


def diagnose_reported() -> None:
    """d of every label that the coverage rule changed on the reported topics, with the rule and without it."""
    from textmine.embed import get_embedder
    from textmine.topics import label_select as S

    emb = get_embedder("default")
    for ds, files in REPORTED.items():
        topics = [t for t in topics_for(ds)[0] if t.size > 0]
        C = topic_centres(emb, topics)
        runs = [json.loads((HERE / "results" / f).read_text())["datasets"][ds] for f in files]
        with_rule, default = ([v for k, v in run["labelers"].items() if "written" not in k][0]["raw_labels"]
                              for run in runs)
        print(f"{ds}: {len(topics)} topics")
        for i, (t, a, b) in enumerate(zip(topics, with_rule, default)):
            if a != b:
                d = distinctiveness(S._unit(emb.encode([a, b])) @ C.T, i)
                print(f"  topic {t.id} ({runs[1]['topics'][i]['truth']}): field_coverage=0.0 {a!r} d={d[0]:+.3f}; "
                      f"default {b!r} d={d[1]:+.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", default=str(HERE / "results" / "llm_assist_labels_tune_cov2.json"))
    ap.add_argument("--demo-features", default=str(HERE / "results" / "llm_assist_labels_tune_cov.json"))
    ap.add_argument("--topics-dir", default=None, help="saved topics of the features (default: topics_for's cache)")
    ap.add_argument("--diagnose-reported", action="store_true",
                    help="only d of the labels that field_coverage=0.0 changed on the reported sets (saved runs; "
                         "a diagnosis made after the decision, never used to choose)")
    args = ap.parse_args()
    if args.diagnose_reported:
        return diagnose_reported()
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
