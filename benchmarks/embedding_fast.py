"""Fast embedding paths for large corpora (issue 15, part 5): docs/s, topic NMI, keyword F1 per configuration.

Configurations (``CONFIGS``): the packaged all-MiniLM-L6-v2 on torch (the default), with a shorter max length
(128 / 64 word pieces), on the int8 ONNX backend (256 / 128), and ``minilm-static`` (MiniLM distilled to a
static table, textmine.embed_static).

* ``--phase embed``: full-dataset embeddings of every configuration for 20 Newsgroups (2,500 posts drawn at
  random, seed 0, from the bydate *test* split's 7,532) and StackOverflow (5,000 of the 20,000 titles, seed 0),
  cached as ``.npy``
  under ``benchmarks/.cache``.
  Not timed.
* ``--phase speed``: docs/s of each configuration on fixed random subsets (500 non-empty 20 Newsgroups test
  posts, 1,000 StackOverflow titles), configurations interleaved over ``--repeat`` rounds, median; models
  loaded and warmed first; no embedding cache.
* ``--phase report``: TopicModel defaults (seed 42, ``merge_threshold="auto"``: 0.5 for MiniLM, 0.9607 for
  the static model) on each configuration's embeddings: topics, outliers, NMI, ARI (non-empty documents);
  KeywordExtractor defaults F1@5 / F1@10 on Inspec test (500) with MiniLM and with the static model
  (timed, fresh cache). Writes ``docs/benchmarks/embedding_fast.md`` and ``benchmarks/results/embedding_fast.json``.

    nice .venv/bin/python benchmarks/embedding_fast.py --phase embed
    nice .venv/bin/python benchmarks/embedding_fast.py --phase speed
    nice .venv/bin/python benchmarks/embedding_fast.py --phase report
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _embcache import CACHE, data_dir  # noqa: E402

CONFIGS = {  # name: (embedding_model, backend, max_seq_length)
    "torch@256": ("default", "torch", None),
    "torch@128": ("default", "torch", 128),
    "torch@64": ("default", "torch", 64),
    "onnx-int8@256": ("default", "onnx-int8", None),
    "onnx-int8@128": ("default", "onnx-int8", 128),
    "static": ("minilm-static", None, None),
}
BASELINE = "torch@256"
RESULTS = HERE / "results" / "embedding_fast.json"
DOC = HERE.parent / "docs" / "benchmarks" / "embedding_fast.md"
SPEED_DOCS = {"20ng-test": 500, "stackoverflow": 1000}
N_SUBSET = {"20ng-test": 2500, "stackoverflow": 5000}


def load(dataset: str) -> tuple[list[str], list[str]]:
    rel = {"20ng-test": "topic/20newsgroups.jsonl", "stackoverflow": "topic/stackoverflow.jsonl"}[dataset]
    texts, labels = [], []
    with (data_dir() / rel).open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if dataset == "20ng-test" and not r["id"].startswith("test/"):
                continue
            texts.append(r["text"])
            labels.append(str(r["label"]))
    # fixed random subsets (time: the machine was shared): 2,500 of the 7,532 test posts, 5,000 of 20,000 titles
    keep = sorted(np.random.RandomState(0).permutation(len(texts))[:N_SUBSET[dataset]])
    texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    return texts, labels


def embedder(name: str):
    from textmine.embed import SentenceTransformerEmbedder, get_embedder

    model, backend, length = CONFIGS[name]
    if backend is None:
        return get_embedder(model)
    return SentenceTransformerEmbedder(model, cache=False, backend=backend, max_seq_length=length)


def full_embeddings(dataset: str, name: str, texts: list[str]) -> np.ndarray:
    CACHE.mkdir(parents=True, exist_ok=True)
    npy = CACHE / f"fast.{dataset}.{name.replace('@', '_')}.npy"
    if npy.is_file():
        X = np.load(npy)
        if len(X) == len(texts):
            return X
    t0 = time.perf_counter()
    X = embedder(name).encode(texts, show_progress=False)
    np.save(npy, X)
    print(f"  {dataset} {name}: {len(texts)} docs embedded in {time.perf_counter() - t0:.0f} s (untimed phase)",
          flush=True)
    return X


def _results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}


def _save(out: dict) -> None:
    """Merge ``out`` into the results file (phases may run at the same time: each keeps the others' keys)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    merged = _results()
    for k, v in out.items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k].update(v)
        else:
            merged[k] = v
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged, indent=1))
    os.replace(tmp, RESULTS)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def phase_embed(args) -> None:
    for ds in args.datasets:
        texts, _ = load(ds)
        for name in args.configs:
            full_embeddings(ds, name, texts)


def phase_speed(args) -> None:
    import torch

    out = _results()
    speed = out.setdefault("speed", {})
    embs = {name: embedder(name) for name in args.configs}
    for ds in args.datasets:
        texts, _ = load(ds)
        pool = [t for t in texts if t.strip()]
        sub = [pool[i] for i in np.random.RandomState(0).permutation(len(pool))[: SPEED_DOCS[ds]]]
        for e in embs.values():
            e.encode(sub[:64])  # load, export / distil, warm up
        times: dict[str, list[float]] = {n: [] for n in args.configs}
        for r in range(args.repeat):
            for name in (args.configs if r % 2 == 0 else list(reversed(args.configs))):
                t0 = time.perf_counter()
                embs[name].encode(sub)
                times[name].append(time.perf_counter() - t0)
                print(f"  {ds} round {r}: {name} {len(sub) / times[name][-1]:.1f} docs/s", flush=True)
        speed[ds] = {
            "docs": len(sub), "repeat": args.repeat, "threads": torch.get_num_threads(),
            "docs_per_s": {n: len(sub) / statistics.median(v) for n, v in times.items()},
            "all_seconds": times, "when": _now(), "load": [round(x, 2) for x in os.getloadavg()],
        }
        _save(out)


def phase_report(args) -> None:
    from textmine import KeywordExtractor, TopicModel
    from textmine.evaluation import clustering_scores, evaluate_keyphrases, outlier_share

    out = _results()
    quality = out.setdefault("topics", {})
    for ds in args.datasets:
        texts, gold = load(ds)
        nonblank = np.array([bool(t.strip()) for t in texts])
        base = full_embeddings(ds, BASELINE, texts)
        TopicModel(random_state=42).fit(texts[:5000], embeddings=base[:5000])  # numba / UMAP warm-up
        rows = quality.setdefault(ds, {})
        for name in args.configs:
            X = full_embeddings(ds, name, texts)
            model = CONFIGS[name][0]
            variants = [("auto", "auto")] + ([("0.5", 0.5)] if name == "static" else [])
            for tag, thr in variants:
                t0 = time.perf_counter()
                tm = TopicModel(embedding_model=model, merge_threshold=thr, random_state=42).fit(texts, embeddings=X)
                fit_s = time.perf_counter() - t0
                sc = clustering_scores(tm.labels_[nonblank], [g for g, k in zip(gold, nonblank) if k])
                key = name if tag == "auto" else f"{name} (merge_threshold={tag})"
                rows[key] = {"n_docs": len(texts), "n_topics": len(tm.topics_),
                             "outliers": outlier_share(tm.labels_[nonblank]), "nmi": sc["nmi"], "ari": sc["ari"],
                             "fit_s": round(fit_s, 1), "when": _now()}
                print(ds, key, rows[key], flush=True)
                _save(out)
    if not args.skip_keywords:
        kw = out.setdefault("keywords", {})
        rows = [json.loads(line) for line in (data_dir() / "keyphrase" / "inspec_test.jsonl").open(encoding="utf-8")]
        docs, gold = [r["text"] for r in rows], [r["keyphrases"] for r in rows]
        for name in ("static", "torch@256"):  # int8: docs/benchmarks/keywords_backends.md
            model = CONFIGS[name][0] if name != "onnx-int8@256" else "default+onnx-int8"
            with tempfile.TemporaryDirectory() as cache:
                kx = KeywordExtractor(embedding_model=model, cache=cache)
                kx.extract("a warm-up text about keyword extraction")
                t0 = time.perf_counter()
                preds = kx.transform(docs)
                secs = time.perf_counter() - t0
            sc = evaluate_keyphrases([[k.text if hasattr(k, "text") else str(k) for k in p] for p in preds], gold,
                                     ks=(5, 10))
            kw[name] = {"F1@5": sc["F1@5"], "F1@10": sc["F1@10"], "docs_per_s": len(docs) / secs,
                        "when": _now(), "load": [round(x, 2) for x in os.getloadavg()]}
            print("inspec", name, kw[name], flush=True)
            _save(out)
    write_markdown(out)


def write_markdown(out: dict) -> None:
    import torch

    speed, topics, kw = out.get("speed", {}), out.get("topics", {}), out.get("keywords", {})
    lines = [
        "# Fast embedding paths for large corpora",
        "",
        "Produced by `benchmarks/embedding_fast.py` (issue 15, part 5):",
        "",
        "```",
        "nice .venv/bin/python benchmarks/embedding_fast.py --phase embed",
        "nice .venv/bin/python benchmarks/embedding_fast.py --phase speed",
        "nice .venv/bin/python benchmarks/embedding_fast.py --phase report",
        "```",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}. **Shared**: three other helpers and a test suite ran on the same 2 cores "
        "during every phase, so docs/s are pessimistic and noisy (the load average is given per dataset); the "
        "ratios between configurations are the useful part (they were measured interleaved, in the same minutes).",
        "",
        "Configurations: all-MiniLM-L6-v2 on torch at its own max length (256 word pieces, the default), at 128 and "
        "64; on the int8 ONNX backend (`default+onnx-int8`, textmine.embed_onnx) at 256 and 128; and "
        "`minilm-static` (MiniLM distilled to a static 256-d table, textmine.embed_static, docs/models.md).",
        "",
        "## Speed (docs/s, embedding only, no cache)",
        "",
    ]
    if speed:
        names = list(CONFIGS)
        lines += ["| configuration | " + " | ".join(f"{ds} docs/s" for ds in speed) + " | " +
                  " | ".join(f"{ds} speed-up" for ds in speed) + " |",
                  "|---|" + "---:|" * (2 * len(speed))]
        for n in names:
            if not all(n in s["docs_per_s"] for s in speed.values()):
                continue
            cells = [f"{s['docs_per_s'][n]:.0f}" for s in speed.values()]
            ups = [f"{s['docs_per_s'][n] / s['docs_per_s'][BASELINE]:.1f}x" for s in speed.values()]
            lines.append(f"| {n} | " + " | ".join(cells) + " | " + " | ".join(ups) + " |")
        lines.append("")
        for ds, s in speed.items():
            lines.append(f"- {ds}: {s['docs']} random non-empty documents, {s['repeat']} interleaved rounds, median, "
                         f"{s['threads']} torch threads, {s['when']}, load average {s['load']} at the end.")
        lines.append("")
    else:
        lines += ["not measured (time)", ""]
    lines += ["## Topic quality (TopicModel defaults, seed 42, on each configuration's embeddings)", ""]
    if topics:
        lines += ["| dataset | configuration | topics | outliers | NMI | ARI | fit s (embeddings given) |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for ds, rows in topics.items():
            for n, r in rows.items():
                lines.append(f"| {ds} ({r['n_docs']}) | {n} | {r['n_topics']} | {100 * r['outliers']:.1f}% | "
                             f"{r['nmi']:.3f} | {r['ari']:.3f} | {r['fit_s']} |")
        lines += ["", "NMI / ARI / outliers over the non-empty documents against the newsgroup / tag. "
                  "`merge_threshold=\"auto\"` is 0.5 for MiniLM and 0.9607 for the static model "
                  "(calibrated on 20 Newsgroups *training* documents: "
                  "`python benchmarks/e5_merge_threshold.py --target minilm-static`); the static row with 0.5 shows "
                  "why a calibrated threshold is needed.", ""]
    else:
        lines += ["not measured (time)", ""]
    lines += ["## Keywords (KeywordExtractor defaults, Inspec test, 500 abstracts)", ""]
    if kw:
        lines += ["| embedding | F1@5 | F1@10 | docs/s (fresh cache) | load average |", "|---|---:|---:|---:|---|"]
        for n, r in kw.items():
            lines.append(f"| {n} | {100 * r['F1@5']:.1f} | {100 * r['F1@10']:.1f} | {r['docs_per_s']:.1f} | {r['load']} |")
        lines.append("")
    else:
        lines += ["not measured (time)", ""]
    notes = RESULTS.with_name("embedding_fast_notes.md")
    if notes.is_file():
        lines += [notes.read_text(encoding="utf-8").strip(), ""]
    DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(DOC)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase", choices=["embed", "speed", "report", "markdown"], required=True)
    ap.add_argument("--datasets", nargs="+", default=["20ng-test", "stackoverflow"])
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-keywords", action="store_true")
    args = ap.parse_args()
    if args.phase == "markdown":
        write_markdown(_results())
        return
    {"embed": phase_embed, "speed": phase_speed, "report": phase_report}[args.phase](args)


if __name__ == "__main__":
    main()
