"""Benchmark: embedding throughput (cold / disk-cached) and the packaged LLMs (speed + quality).

Usage (from the repository root; heavy, so serialised with the other benchmarks)::

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/embedding_llm.py

Writes ``docs/benchmarks/embedding_llm.md``.  Sections:

1. embedding docs/s on the first ``--docs`` AG News test texts: cold (empty disk
   cache, model already loaded) and cached (second pass, new embedder object
   reading the same SQLite cache);
2. LLM tokens/s for each packaged preset: prompt evaluation, free generation,
   and grammar-constrained generation (JSON list grammar);
3. LLM quality used to pick the ``"default"`` preset: keyphrase F1@5/F1@10 on the
   first ``--kw-docs`` Inspec test abstracts (few-shot prompt, predictions
   grounded = kept only when their stemmed form occurs in the stemmed text;
   exact stemmed match like textmine.evaluation), and topic labels for a few
   clear keyword sets.

Data: ``$TEXTMINE_DATA_DIR`` or ``../shared/data``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

KW_INSTRUCTION = (
    "Extract the most important keyphrases from the scientific abstract. "
    "Use short noun phrases copied from the text."
)
KW_EXAMPLES = [
    (
        "Adaptive control of robotic manipulators with uncertain dynamics\n"
        "A new adaptive control scheme is proposed for robotic manipulators whose dynamic parameters are unknown. "
        "The controller uses a Lyapunov function to guarantee stability, and simulation results on a two-link arm "
        "show accurate trajectory tracking.",
        ["adaptive control", "robotic manipulators", "uncertain dynamics", "Lyapunov function", "stability",
         "trajectory tracking", "two-link arm"],
    ),
    (
        "Query optimization in distributed database systems\n"
        "We study query optimization for distributed databases where data is fragmented across sites. A cost model "
        "based on communication cost is introduced, and a heuristic algorithm finds join orders that reduce "
        "response time.",
        ["query optimization", "distributed database systems", "cost model", "communication cost",
         "heuristic algorithm", "join orders", "response time"],
    ),
]
LABEL_INSTRUCTION = "Give a short label (one to four words) for the topic described by these keywords."
LABEL_EXAMPLES = [
    ("recipe, oven, flour, bake, sugar, dough", "Baking"),
    ("guitar, band, album, concert, song, tour", "Music"),
]
LABEL_TOPICS = [
    ("sports", "football, goal, striker, league, match, coach, season"),
    ("politics", "election, vote, parliament, minister, campaign, party"),
    ("finance", "stock, market, shares, investors, earnings, profit"),
    ("health", "virus, vaccine, patients, hospital, infection, doctors"),
    ("space", "nasa, orbit, launch, rocket, satellite, astronauts"),
    ("religion", "god, church, religion, bible, faith, christian"),
    ("computers", "windows, drivers, card, graphics, monitor, software"),
    ("cars", "car, engine, dealer, miles, ford, oil"),
]


def data_dir() -> Path:
    env = os.environ.get("TEXTMINE_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def read_jsonl(rel: str, limit: int | None = None) -> list[dict]:
    rows = []
    with (data_dir() / rel).open(encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if limit and len(rows) >= limit:
                break
    return rows


# --------------------------------------------------------------------------- embeddings


def bench_embedding(n_docs: int) -> dict:
    from textmine.embed import SentenceTransformerEmbedder

    texts = [r["text"] for r in read_jsonl("topic/ag_news_test.jsonl", n_docs)]
    with tempfile.TemporaryDirectory() as tmp:
        cold = SentenceTransformerEmbedder("default", cache=tmp)
        cold.model  # load the model outside the timing
        cold.encode(["warm-up text that is not in the corpus"])
        t0 = time.perf_counter()
        X = cold.encode(texts)
        t_cold = time.perf_counter() - t0
        warm = SentenceTransformerEmbedder("default", cache=tmp)  # new object, same on-disk cache
        t0 = time.perf_counter()
        Y = warm.encode(texts)
        t_cached = time.perf_counter() - t0
        assert X.shape == Y.shape and abs(float((X - Y).max())) < 1e-6
        assert warm.cache_hits == len(texts), warm.cache_hits
    return {
        "docs": len(texts),
        "cold_s": t_cold,
        "cold_dps": len(texts) / t_cold,
        "cached_s": t_cached,
        "cached_dps": len(texts) / t_cached,
        "model": cold.model_id,
    }


# --------------------------------------------------------------------------- LLM speed


def bench_llm_speed(preset: str, reps: int = 3) -> dict:
    from textmine.llm import load_llm
    from textmine.llm import grammar as G

    t0 = time.perf_counter()
    llm = load_llm(preset, cache=False)
    load_s = time.perf_counter() - t0
    L = llm._llama
    docs = " ".join(r["text"] for r in read_jsonl("topic/ag_news_test.jsonl", 40))
    body = llm.truncate(docs, 400)
    prompt = llm._prompt_tokens(llm._prompt_text("Summarise the news.", [], body))
    # exactly 10 items: the output is long enough (>= 30 tokens) to time generation, not the prompt
    grammar_text = G.string_list_grammar(10, 60, min_items=10)
    gram = llm._grammar(grammar_text)

    def run(max_tokens: int, grammar=None) -> tuple[float, int]:
        L.reset()
        t = time.perf_counter()
        out = L.create_completion(prompt=prompt, max_tokens=max_tokens, temperature=0.0, grammar=grammar)
        return time.perf_counter() - t, int(out["usage"]["completion_tokens"])

    def run_ours(max_tokens: int) -> tuple[float, int]:
        t = time.perf_counter()
        _, n = llm._greedy(prompt, grammar_text, max_tokens)
        return time.perf_counter() - t, n

    run(1)  # warm-up
    pe = [run(1)[0] for _ in range(reps)]
    t_prompt = statistics.median(pe)
    gen, gram_gen, ours_gen = [], [], []
    for _ in range(reps):
        t, n = run(64)
        gen.append(max(n - 1, 1) / max(t - t_prompt, 1e-6))
        t, n = run(64, gram)
        gram_gen.append(max(n - 1, 1) / max(t - t_prompt, 1e-6))
        t, n = run_ours(64)
        ours_gen.append(max(n - 1, 1) / max(t - t_prompt, 1e-6))
    return {
        "preset": preset,
        "model_id": llm.model_id,
        "completion_tokens_grammar": n,
        "file_mb": llm.path.stat().st_size / 1e6,
        "load_s": load_s,
        "prompt_tokens": len(prompt),
        "prompt_tps": len(prompt) / t_prompt,
        "gen_tps": statistics.median(gen),
        "grammar_gen_tps": statistics.median(gram_gen),
        "grammar_gen_tps_textmine": statistics.median(ours_gen),
        "n_threads": llm.n_threads,
    }


# --------------------------------------------------------------------------- LLM quality


def _stemmer():
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


_TOKEN = re.compile(r"[a-z0-9]+")


def stem_tokens(text: str, st) -> list[str]:
    return [st.stem(w) for w in _TOKEN.findall(text.lower())]


def grounded(items: list[str], text: str, st) -> list[str]:
    doc = " " + " ".join(stem_tokens(text, st)) + " "
    out = []
    for it in items:
        s = " ".join(stem_tokens(it, st))
        if s and f" {s} " in doc:
            out.append(it)
    return out


def prf(pred: list[str], gold: list[str], k: int, st) -> tuple[float, float, float]:
    seen, p_norm = set(), []
    for p in pred:
        s = " ".join(stem_tokens(p, st))
        if s and s not in seen:
            seen.add(s)
            p_norm.append(s)
    p_norm = p_norm[:k]
    g = {" ".join(stem_tokens(x, st)) for x in gold}
    g.discard("")
    tp = sum(1 for p in p_norm if p in g)
    P = tp / len(p_norm) if p_norm else 0.0
    R = tp / len(g) if g else 0.0
    F = 2 * P * R / (P + R) if P + R else 0.0
    return P, R, F


def bench_llm_quality(preset: str, n_docs: int) -> dict:
    from textmine.llm import load_llm

    st = _stemmer()
    llm = load_llm(preset, cache=False)
    docs = read_jsonl("keyphrase/inspec_test.jsonl", n_docs)
    f5, f10, f10_raw, n_items, n_kept = [], [], [], 0, 0
    t0 = time.perf_counter()
    for d in docs:
        items = llm.generate_list(KW_INSTRUCTION, d["text"], examples=KW_EXAMPLES, max_items=10,
                                  max_item_chars=50, max_tokens=150)
        kept = grounded(items, d["text"], st)
        n_items += len(items)
        n_kept += len(kept)
        f5.append(prf(kept, d["keyphrases"], 5, st)[2])
        f10.append(prf(kept, d["keyphrases"], 10, st)[2])
        f10_raw.append(prf(items, d["keyphrases"], 10, st)[2])
    kw_s = time.perf_counter() - t0
    labels = []
    t0 = time.perf_counter()
    for topic, kws in LABEL_TOPICS:
        labels.append((topic, llm.generate_text(LABEL_INSTRUCTION, kws, examples=LABEL_EXAMPLES, max_chars=40)))
    label_s = time.perf_counter() - t0
    return {
        "preset": preset,
        "docs": len(docs),
        "f1_5": statistics.mean(f5),
        "f1_10": statistics.mean(f10),
        "f1_10_ungrounded": statistics.mean(f10_raw),
        "items_per_doc": n_items / len(docs),
        "grounded_share": n_kept / max(n_items, 1),
        "kw_s_per_doc": kw_s / len(docs),
        "labels": labels,
        "label_s_per_topic": label_s / len(LABEL_TOPICS),
    }


# --------------------------------------------------------------------------- report


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2000, help="AG News texts for the embedding benchmark")
    ap.add_argument("--kw-docs", type=int, default=50, help="Inspec test docs for the LLM keyword quality")
    ap.add_argument("--presets", nargs="+", default=["gemma3-270m", "smollm2-135m"])
    ap.add_argument("--skip-embedding", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--quality-json", help="read the quality section from this JSON-lines file instead of measuring")
    ap.add_argument("--quality-json-out", help="also write the quality results as JSON lines here")
    ap.add_argument("--out", default=str(REPO / "docs" / "benchmarks" / "embedding_llm.md"))
    args = ap.parse_args(argv)

    os.environ.setdefault("TEXTMINE_CACHE_DIR", tempfile.mkdtemp(prefix="textmine-bench-"))
    started = dt.datetime.now(dt.timezone.utc)
    emb = None if args.skip_embedding else bench_embedding(args.docs)
    if emb:
        print(f"embedding: {emb}", flush=True)
    speed = []
    for p in args.presets:
        speed.append(bench_llm_speed(p))
        print(f"speed: {speed[-1]}", flush=True)
    quality = []
    if args.quality_json:
        with open(args.quality_json, encoding="utf-8") as fh:
            quality = [json.loads(line) for line in fh if line.strip()]
    elif not args.skip_quality:
        for p in args.presets:
            quality.append(bench_llm_quality(p, args.kw_docs))
            print(f"quality: {quality[-1]}", flush=True)
        if args.quality_json_out:
            with open(args.quality_json_out, "w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(q) + "\n" for q in quality)
    cmd = "flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/embedding_llm.py" + (
        " " + " ".join(argv if argv is not None else sys.argv[1:])
    ).rstrip()
    try:
        import llama_cpp

        llama_version = llama_cpp.__version__
    except Exception:  # noqa: BLE001
        llama_version = "?"
    lines = [
        "## Embedding and LLM throughput",
        "",
        f"- command: `{cmd}`",
        f"- machine: {machine()} (shared with other jobs during the run: numbers are indicative)",
        f"- date: {started:%Y-%m-%d %H:%M} UTC; llama-cpp-python {llama_version}",
        "",
    ]
    if emb:
        lines += [
            f"### Embeddings ({emb['model']}, first {emb['docs']} AG News test texts)",
            "",
            "| pass | seconds | docs/s |",
            "|---|---:|---:|",
            f"| cold (empty disk cache, model loaded) | {emb['cold_s']:.1f} | {emb['cold_dps']:.0f} |",
            f"| cached (second pass from the SQLite cache) | {emb['cached_s']:.2f} | {emb['cached_dps']:.0f} |",
            "",
        ]
    lines += [
        "### LLM speed (llama.cpp, CPU, greedy; prompt of ~400 tokens of news text)",
        "",
        "| preset | file MB | load s | threads | prompt eval tok/s | generation tok/s "
        "| with JSON-list grammar, llama.cpp sampler tok/s | with JSON-list grammar, textmine greedy loop tok/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in speed:
        lines.append(
            f"| {s['preset']} | {s['file_mb']:.0f} | {s['load_s']:.1f} | {s['n_threads']} | {s['prompt_tps']:.0f} "
            f"| {s['gen_tps']:.1f} | {s['grammar_gen_tps']:.1f} | {s['grammar_gen_tps_textmine']:.1f} |"
        )
    lines.append("")
    if quality:
        if args.quality_json:
            lines += [
                f"(Quality section: measured separately with `bench_llm_quality` of this script, "
                f"{quality[0].get('date', 'see the date above')}, on the same machine while other jobs ran; "
                "F1 and labels do not depend on load, the s/doc columns do.)",
                "",
            ]
        lines += [
            f"### LLM quality (default-model choice): keyphrases on the first {quality[0]['docs']} Inspec test "
            "abstracts, topic labels",
            "",
            "Few-shot prompt (2 hand-written examples), `generate_list(max_items=10)`; predictions kept only when "
            "their Porter-stemmed form occurs in the stemmed text (grounding); exact stemmed match against the "
            "uncontrolled gold keyphrases, per-document F1 averaged.",
            "",
            "| preset | F1@5 | F1@10 | F1@10 without grounding | items/doc | grounded share | s/doc | s/label |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for q in quality:
            lines.append(
                f"| {q['preset']} | {q['f1_5']:.3f} | {q['f1_10']:.3f} | {q['f1_10_ungrounded']:.3f} | "
                f"{q['items_per_doc']:.1f} | {q['grounded_share']:.0%} | {q['kw_s_per_doc']:.2f} | "
                f"{q['label_s_per_topic']:.2f} |"
            )
        lines += ["", "Topic labels (keywords -> label):", "", "| keywords | " + " | ".join(q["preset"] for q in quality) + " |",
                  "|---|" + "---|" * len(quality)]
        for i, (topic, kws) in enumerate(LABEL_TOPICS):
            lines.append(f"| {kws} | " + " | ".join(q["labels"][i][1] for q in quality) + " |")
        lines.append("")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
