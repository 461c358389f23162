"""Benchmark: keyphrase extraction quality (F1@5, F1@10) and speed (docs/s).

Usage (from the repository root; heavy, so serialised with the other benchmarks)::

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/keywords.py
    .venv/bin/python benchmarks/keywords.py --systems textmine,yake --limit 50 --no-write   # quick look

Datasets: Inspec test (500 abstracts, Hulth's uncontrolled gold) and SemEval-2017
Task 10 test (100 paragraphs), from ``$TEXTMINE_DATA_DIR`` or ``../shared/data``.
Protocol: :func:`textmine.evaluation.evaluate_keyphrases` (lower-case, Porter
stems, exact match, per-document P/R/F1 averaged; gold phrases absent from the
text still count; duplicates after stemming removed before the cut at k).

Timing: wall-clock seconds of the extraction call over the whole dataset (one
batch), after the embedding model has been loaded (model loading is excluded
for every system).  Every embedding-based textmine system runs with a fresh,
empty embedding cache directory (cold cache), so no system benefits from
another's embeddings or from an earlier run.  KeyBERT uses the same packaged
all-MiniLM-L6-v2 model object.

Systems are registered with :func:`register`; ``--systems`` selects a subset
(comma-separated names, or ``default`` / ``all``).  To add a system, write a
function ``make(ctx) -> callable(docs) -> list[list[str | Keyword]]`` and decorate
it with ``@register("name", default=..., note=...)`` (see the LLM section).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATASETS = {
    "inspec": ("keyphrase/inspec_test.jsonl", "Inspec test (500)"),
    "semeval": ("keyphrase/semeval2017_test.jsonl", "SemEval-2017 test (100)"),
}
REFERENCE = "keybert"  # the speed ratio column is relative to this system


def data_dir() -> Path:
    env = os.environ.get("TEXTMINE_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def read_jsonl(relpath: str, limit: int | None = None) -> list[dict]:
    rows = []
    with (data_dir() / relpath).open(encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


# --------------------------------------------------------------------------- registry
Runner = Callable[[list[str]], Sequence[Sequence[Any]]]


@dataclass
class System:
    name: str
    make: Callable[[Context], Runner]
    default: bool = True
    note: str = ""


SYSTEMS: dict[str, System] = {}


def register(name: str, *, default: bool = True, note: str = "") -> Callable:
    """Decorator: register ``make(ctx) -> runner`` under ``name``."""

    def deco(make: Callable[[Context], Runner]) -> Callable[[Context], Runner]:
        SYSTEMS[name] = System(name, make, default, note)
        return make

    return deco


@dataclass
class Context:
    """Shared resources for system factories (loaded once, outside the timings)."""

    top_n: int = 10
    _tmp: list[str] = field(default_factory=list)
    _st: Any = None

    def fresh_cache(self) -> str:
        """A new, empty directory for an embedding cache (cold-cache timing)."""
        path = tempfile.mkdtemp(prefix="textmine-kwbench-cache-")
        self._tmp.append(path)
        return path

    @property
    def model_path(self) -> str:
        from textmine.models import resolve_embedding_model

        return resolve_embedding_model("default").path

    @property
    def sentence_transformer(self) -> Any:
        """The packaged all-MiniLM-L6-v2 as a SentenceTransformer (the object textmine uses too)."""
        if self._st is None:
            from textmine.embed import get_embedder

            self._st = get_embedder("default", cache=False).model
        return self._st


# --------------------------------------------------------------------------- peers
@register("keybert", note="KeyBERT defaults: keyphrase_ngram_range=(1,3), stop_words='english', top_n=10")
def make_keybert(ctx: Context) -> Runner:
    from keybert import KeyBERT

    kb = KeyBERT(model=ctx.sentence_transformer)

    def run(docs: list[str]) -> list:
        out = kb.extract_keywords(docs, keyphrase_ngram_range=(1, 3), stop_words="english", top_n=ctx.top_n)
        return out if len(docs) > 1 else [out]

    return run


@register("keybert-mmr", note="KeyBERT as above with use_mmr=True, diversity=0.5 (its documented default)")
def make_keybert_mmr(ctx: Context) -> Runner:
    from keybert import KeyBERT

    kb = KeyBERT(model=ctx.sentence_transformer)

    def run(docs: list[str]) -> list:
        out = kb.extract_keywords(
            docs, keyphrase_ngram_range=(1, 3), stop_words="english", top_n=ctx.top_n, use_mmr=True, diversity=0.5
        )
        return out if len(docs) > 1 else [out]

    return run


@register("yake", note="YAKE (lan='en', n=3, top=10)")
def make_yake(ctx: Context) -> Runner:
    import yake

    ex = yake.KeywordExtractor(lan="en", n=3, top=ctx.top_n)

    def run(docs: list[str]) -> list:
        # YAKE scores: lower is better, and it returns them best first
        return [[kw for kw, _ in ex.extract_keywords(d)] if d.strip() else [] for d in docs]

    return run


@register("tfidf", note="plain TF-IDF: sklearn TfidfVectorizer(ngram_range=(1,3), stop_words='english') fit on the dataset")
def make_tfidf(ctx: Context) -> Runner:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    def run(docs: list[str]) -> list:
        vec = TfidfVectorizer(ngram_range=(1, 3), stop_words="english")
        X = vec.fit_transform(docs).tocsr()
        vocab = vec.get_feature_names_out()
        out = []
        for i in range(X.shape[0]):
            row = X.getrow(i)
            order = np.argsort(-row.data, kind="stable")[: ctx.top_n]
            out.append([vocab[row.indices[j]] for j in order])
        return out

    return run


# --------------------------------------------------------------------------- textmine (embedding)
@register("textmine", note="textmine KeywordExtractor() defaults, transform only (no corpus statistics)")
def make_textmine(ctx: Context) -> Runner:
    from textmine import KeywordExtractor

    kx = KeywordExtractor(top_n=ctx.top_n, cache=ctx.fresh_cache())
    return kx.transform


@register("textmine-fit", note="textmine KeywordExtractor() defaults, fit_transform (IDF learned on the dataset)")
def make_textmine_fit(ctx: Context) -> Runner:
    from textmine import KeywordExtractor

    kx = KeywordExtractor(top_n=ctx.top_n, cache=ctx.fresh_cache())
    return kx.fit_transform


@register("textmine-mmr", note="textmine KeywordExtractor(diversity=0.5) (MMR)")
def make_textmine_mmr(ctx: Context) -> Runner:
    from textmine import KeywordExtractor

    kx = KeywordExtractor(top_n=ctx.top_n, diversity=0.5, cache=ctx.fresh_cache())
    return kx.transform


@register("textmine-int8", default=False, note="textmine KeywordExtractor() defaults on the ONNX Runtime int8 embedding "
          "backend (SentenceTransformerEmbedder(backend='onnx-int8'); export and model load outside the timing)")
def make_textmine_int8(ctx: Context) -> Runner:
    from textmine import KeywordExtractor
    from textmine.embed import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder("default", cache=ctx.fresh_cache(), backend="onnx-int8")
    emb.encode(["a warm-up text"])  # builds / loads the ONNX export
    kx = KeywordExtractor(top_n=ctx.top_n, embedding_model=emb)
    return kx.transform


@register("textmine-ngrams", default=False, note="textmine with candidate_method='ngrams' (no POS tagger)")
def make_textmine_ngrams(ctx: Context) -> Runner:
    from textmine import KeywordExtractor

    kx = KeywordExtractor(top_n=ctx.top_n, candidate_method="ngrams", cache=ctx.fresh_cache())
    return kx.transform


# --------------------------------------------------------------------------- LLM-based systems
# (KeyLLM, LLMKeywordExtractor, HybridKeywordExtractor: registered below by their author)

# All LLM systems use the same GGUF (textmine's "default" preset) through one
# llama.cpp model, greedy decoding, with textmine's response cache OFF, so every
# document costs a real generation.  A runner may expose ``extra_stats()``; its
# keys (LLM calls, parse failures, grounded share) go into the results and into
# the "LLM systems" table.
KEYLLM_DEFAULT_PROMPT = (
    "\nI have the following document:\n* [DOCUMENT]\n\n"
    "Please give me the keywords that are present in this document and separate them with commas:\n"
)  # keybert.llm.TextGeneration's DEFAULT_PROMPT, verbatim
KEYLLM_ONESHOT_PROMPT = (
    "Document: Detecting spam reviews with graph neural networks. Fake product reviews mislead customers "
    "of online shops. We build a review graph and train a graph neural network to detect spam reviews.\n"
    "Keywords: spam reviews, graph neural network, review graph, fake product reviews, online shops\n\n"
    "Document: [DOCUMENT]\nKeywords:"
)  # a one-shot completion prompt for a base model (the example is made up, not from a dataset)


def _bench_llm() -> Any:
    from textmine.llm import load_llm

    return load_llm("default", cache=False)


def _keyllm_adapter(llm: Any, prompt: str, stop: list[str], max_tokens: int = 64) -> Any:
    from keybert.llm import BaseLLM

    class LlamaCppKeyLLMAdapter(BaseLLM):
        """keybert ``BaseLLM`` for KeyLLM on llama.cpp: ``extract_keywords(documents, candidate_keywords=None)``.

        Same GGUF, context and greedy settings as textmine's LLM; the prompt is
        KeyLLM's (``[DOCUMENT]`` replaced), the answer is split on commas exactly as
        keybert's adapters do.  Documents are cut to the same token budget as textmine's.
        """

        def __init__(self, llm: Any, prompt: str, stop: list[str], max_tokens: int = 64):
            self.llm = llm
            self.prompt = prompt
            self.stop = stop
            self.max_tokens = max_tokens
            self.calls = 0
            self.parse_failures = 0
            self.answers: list[tuple[str, list[str]]] = []

        def extract_keywords(self, documents: list[str], candidate_keywords: Any = None) -> list[list[str]]:
            out = []
            llama = self.llm._llama
            for doc in documents:
                doc_t = self.llm.truncate(doc, self.llm.n_ctx - self.max_tokens - 200)
                prompt = self.prompt.replace("[DOCUMENT]", doc_t)
                llama.reset()
                res = llama.create_completion(
                    prompt=prompt, max_tokens=self.max_tokens, temperature=0.0, top_k=40, top_p=1.0, min_p=0.0,
                    repeat_penalty=self.llm.repeat_penalty, seed=self.llm.seed, stop=self.stop,
                )
                self.calls += 1
                text = res["choices"][0]["text"]
                kws = [k.strip() for k in text.split(",")]  # KeyLLM's comma split
                kws = [k for k in kws if k]
                if not kws:
                    self.parse_failures += 1  # nothing usable in the answer
                self.answers.append((doc, kws))
                out.append(kws)
            return out

    return LlamaCppKeyLLMAdapter(llm, prompt, stop, max_tokens)


class _StatsRunner:
    def __init__(self, fn: Callable[[list[str]], Any], stats: Callable[[], dict]):
        self.fn = fn
        self.stats = stats

    def __call__(self, docs: list[str]) -> Any:
        return self.fn(docs)

    def extra_stats(self) -> dict:
        return self.stats()


def _make_keyllm(prompt: str, stop: list[str]) -> Runner:
    from keybert import KeyLLM

    adapter = _keyllm_adapter(_bench_llm(), prompt, stop)
    kl = KeyLLM(adapter)

    def run(docs: list[str]) -> list:
        return kl.extract_keywords(docs)

    def stats() -> dict:  # computed after the timed call
        from textmine.keywords.llm import ground_keyword

        proposed = sum(len(k) for _, k in adapter.answers)
        grounded = sum(ground_keyword(k, d) is not None for d, ks in adapter.answers for k in ks)
        return {
            "llm_calls": adapter.calls,
            "parse_failures": adapter.parse_failures,
            "grounded_share": grounded / proposed if proposed else 0.0,
        }

    return _StatsRunner(run, stats)


@register("keyllm", default=False, note="keybert KeyLLM with a llama.cpp adapter (same GGUF), keybert's default "
          "prompt, comma split, max 64 new tokens")
def make_keyllm(ctx: Context) -> Runner:
    return _make_keyllm(KEYLLM_DEFAULT_PROMPT, ["\n\n"])


@register("keyllm-oneshot", default=False, note="keybert KeyLLM as above with a one-shot completion prompt "
          "('Document: ... Keywords: a, b, c'), stop at newline")
def make_keyllm_oneshot(ctx: Context) -> Runner:
    return _make_keyllm(KEYLLM_ONESHOT_PROMPT, ["\n"])


def _estimator_runner(est: Any) -> Runner:
    def stats() -> dict:
        st = getattr(est, "stats_", {}) or {}
        return {k: st[k] for k in ("llm_calls", "parse_failures", "grounded_share") if k in st}

    return _StatsRunner(est.fit_transform, stats)


@register("textmine-llm", default=False, note="textmine LLMKeywordExtractor() defaults (grammar-constrained JSON "
          "list, grounded, near-duplicate grouping), same GGUF")
def make_textmine_llm(ctx: Context) -> Runner:
    from textmine import LLMKeywordExtractor

    return _estimator_runner(LLMKeywordExtractor(llm=_bench_llm(), top_n=ctx.top_n))


@register("textmine-hybrid", default=False, note="textmine HybridKeywordExtractor() defaults: KeywordExtractor "
          "top-20 candidates, LLM chooses among them (choices grammar), reciprocal-rank fusion, same GGUF")
def make_textmine_hybrid(ctx: Context) -> Runner:
    from textmine import HybridKeywordExtractor, KeywordExtractor

    cand = KeywordExtractor(cache=ctx.fresh_cache())
    return _estimator_runner(HybridKeywordExtractor(llm=_bench_llm(), top_n=ctx.top_n, candidate_extractor=cand))


# --------------------------------------------------------------------------- runner
def as_texts(kws: Sequence[Any]) -> list[str]:
    out = []
    for kw in kws:
        out.append(kw if isinstance(kw, str) else kw[0])
    return out


def run_benchmark(names: list[str], datasets: list[str], limit: int | None, repeat: int = 1) -> dict:
    """Run every system on every dataset; with ``repeat > 1`` the systems run in
    round-robin ``repeat`` times (each time with a fresh cold cache) and the
    median time is reported (quality is from the first run; all systems here
    are deterministic)."""
    import statistics

    from textmine.evaluation import evaluate_keyphrases

    ctx = Context()
    if any(n.startswith(("keybert", "textmine")) for n in names):
        _ = ctx.sentence_transformer  # load the model once, outside the timings
        _.encode(["warm-up"])
    results: dict[str, dict[str, dict]] = {}
    for ds in datasets:
        rel, _label = DATASETS[ds]
        rows = read_jsonl(rel, limit)
        docs = [r["text"] for r in rows]
        gold = [r["keyphrases"] for r in rows]
        results[ds] = {}
        times: dict[str, list[float]] = {n: [] for n in names}
        for rep in range(repeat):
            for name in names:
                runner = SYSTEMS[name].make(ctx)
                t0 = time.perf_counter()
                preds = runner(docs)
                secs = time.perf_counter() - t0
                times[name].append(secs)
                if rep == 0:
                    preds = [as_texts(p) for p in preds]
                    results[ds][name] = evaluate_keyphrases(preds, gold, ks=(5, 10))
                    if hasattr(runner, "extra_stats"):  # LLM systems: calls, parse failures, grounded share
                        results[ds][name].update(runner.extra_stats())
                scores = results[ds][name]
                print(
                    f"[{ds}] {name:24s} F1@5 {100 * scores['F1@5']:5.1f}  F1@10 {100 * scores['F1@10']:5.1f}  "
                    f"{len(docs) / secs:7.2f} docs/s ({secs:.1f}s, run {rep + 1}/{repeat})",
                    flush=True,
                )
        for name in names:
            secs = statistics.median(times[name])
            scores = results[ds][name]
            scores["seconds"] = secs
            scores["seconds_all"] = times[name]
            scores["docs_per_s"] = len(docs) / secs if secs > 0 else float("inf")
            scores["n_docs"] = len(docs)
    return results


def to_markdown(
    results: dict,
    names: list[str],
    command: str,
    load: tuple[str, str],
    title: str = "Keyword extraction",
    repeat: int = 1,
    append: bool = False,
) -> str:
    import torch

    h = "##" if append else "#"  # an appended section sits under the first one
    lines = [
        f"{h} {title}",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: `{platform.machine()}`, {os.cpu_count()} cores, no GPU; date {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; "
        f"torch threads {torch.get_num_threads()}; "
        f"load average (1 min) at start {load[0]}, at end {load[1]} (the machine is shared: other work ran at the same time, "
        "so absolute docs/s are pessimistic; ratios between systems of one run are what to compare).",
        "",
        "Protocol: lower-case + Porter-stem every word of both sides, exact match, P/R/F1 per document averaged over "
        "documents, gold phrases absent from the text still count, stemmed duplicates removed from predictions before "
        "the cut at k (`textmine.evaluation.evaluate_keyphrases`). Speed: wall-clock of one batch call over the whole "
        "dataset, embedding model already loaded, **cold embedding cache** (each textmine system gets a fresh, empty "
        "`cache` directory). `x KeyBERT` = docs/s relative to KeyBERT in the same run.",
        "",
    ]
    for ds, per in results.items():
        n = next(iter(per.values()))["n_docs"] if per else 0
        lines += [f"{h}# {DATASETS[ds][1].split(' (')[0]} ({n} documents)", ""]
        lines += ["| system | F1@5 | F1@10 | P@10 | R@10 | docs/s | x KeyBERT |", "|---|---:|---:|---:|---:|---:|---:|"]
        ref = per.get(REFERENCE, {}).get("docs_per_s")
        for name in names:
            if name not in per:
                continue
            s = per[name]
            ratio = f"{s['docs_per_s'] / ref:.1f}" if ref else "-"
            lines.append(
                f"| {name} | {100 * s['F1@5']:.1f} | {100 * s['F1@10']:.1f} | {100 * s['P@10']:.1f} | "
                f"{100 * s['R@10']:.1f} | {s['docs_per_s']:.2f} | {ratio} |"
            )
        lines.append("")
        llm_rows = [n for n in names if n in per and "llm_calls" in per[n]]
        if llm_rows:
            lines += ["LLM systems on this dataset:", "",
                      "| system | LLM calls | parse failures | grounded share | s/doc |", "|---|---:|---:|---:|---:|"]
            for name in llm_rows:
                s = per[name]
                lines.append(
                    f"| {name} | {s['llm_calls']} | {s.get('parse_failures', '-')} | "
                    f"{100 * s.get('grounded_share', 0.0):.0f}% | {s['seconds'] / max(1, s['n_docs']):.2f} |"
                )
            lines.append("")
    if repeat > 1:
        lines += [f"docs/s: median of {repeat} runs per system, run in alternation (each with a fresh cold cache).", ""]
    if append:
        return "\n".join(lines)
    lines += ["Systems:", ""]
    for name in names:
        lines.append(f"- `{name}`: {SYSTEMS[name].note}")
    lines.append("")
    return "\n".join(lines)


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:  # pragma: no cover
        return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--systems", default="default", help="comma-separated names, 'default' or 'all'; "
                    f"known: {', '.join(SYSTEMS)}")
    ap.add_argument("--datasets", default="inspec,semeval", help="comma-separated: " + ", ".join(DATASETS))
    ap.add_argument("--limit", type=int, default=None, help="first N documents of each dataset")
    ap.add_argument("--out", default=str(REPO / "docs" / "benchmarks" / "keywords.md"))
    ap.add_argument("--no-write", action="store_true", help="print only, do not write the markdown file")
    ap.add_argument("--json", default=None, help="also write raw results to this JSON file")
    ap.add_argument("--repeat", type=int, default=1, help="run the systems this many times in alternation; median time")
    ap.add_argument("--append", action="store_true", help="append the section to --out instead of replacing it")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch.set_num_threads for every system (same for all; 1 is much faster on a loaded machine)")
    ap.add_argument("--title", default="Keyword extraction", help="title of the markdown section")
    args = ap.parse_args(argv)

    if args.systems == "all":
        names = list(SYSTEMS)
    elif args.systems == "default":
        names = [n for n, s in SYSTEMS.items() if s.default]
    else:
        names = [n.strip() for n in args.systems.split(",") if n.strip()]
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        ap.error(f"unknown systems {unknown}; known: {', '.join(SYSTEMS)}")
    if REFERENCE in SYSTEMS and REFERENCE not in names:
        print(f"note: {REFERENCE} not selected, no speed ratio column", file=sys.stderr)
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    for d in datasets:
        if d not in DATASETS:
            ap.error(f"unknown dataset {d!r}; known: {', '.join(DATASETS)}")

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    load_start = _load()
    results = run_benchmark(names, datasets, args.limit, max(1, args.repeat))
    command = "python benchmarks/keywords.py " + " ".join(argv if argv is not None else sys.argv[1:])
    md = to_markdown(
        results, names, command.strip(), (load_start, _load()), args.title, max(1, args.repeat), args.append
    )
    print(md)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    if not args.no_write:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if args.append and out.is_file():
            md = out.read_text(encoding="utf-8").rstrip() + "\n\n" + md
        out.write_text(md, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
