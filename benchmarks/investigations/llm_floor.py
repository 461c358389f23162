"""Where LLMKeywordExtractor's time per document goes, against KeyLLM in the same run.

Issue #3 asks for at most 1/3 of KeyLLM's seconds per document (same GGUF, Inspec). This script
measures, on the first ``--limit`` Inspec test documents and in one process:

* keybert's ``KeyLLM`` with its default prompt (the adapter of ``benchmarks/keywords.py``);
* ``LLMKeywordExtractor()`` defaults (packaged Gemma 3 270M, response cache off), its wall time split
  by instrumenting the restricted head: reading the prompt (``RestrictedHead.prompt``: the document's
  tokens, the fixed instruction and examples reused from the KV cache), one-token steps, multi-token
  steps (a chosen token plus the text the grammar fixes after it, jump-forward) and everything else
  (grammar, vocabulary, grounding, scoring, Python);
* reading the same prompts alone, with no answer generated: the least any decoding loop over this
  prompt could cost with llama.cpp on this machine.

Rounds alternate KeyLLM and textmine; medians over ``--repeat`` rounds.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/investigations/llm_floor.py --out docs/benchmarks/llm_floor.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]  # benchmarks/: the shared helpers (_fresh, _embcache)
sys.path.insert(0, str(HERE))

from _fresh import command, emit_page, machine  # noqa: E402
from keywords import KEYLLM_DEFAULT_PROMPT, _make_keyllm, read_jsonl  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=2, help="rounds, alternating KeyLLM and textmine; medians")
    ap.add_argument("--settings", type=int, default=1, help="1: also time reading under other llama.cpp settings")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    from textmine import LLMKeywordExtractor
    from textmine.evaluation import evaluate_keyphrases
    from textmine.llm import LLM, load_llm

    rows = read_jsonl("keyphrase/inspec_test.jsonl", args.limit)
    docs, gold = [r["text"] for r in rows], [r["keyphrases"] for r in rows]
    n = len(docs)
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()[0]

    keyllm = _make_keyllm(KEYLLM_DEFAULT_PROMPT, ["\n\n"])
    llm = LLM(load_llm("default").path, cache=False)
    kx = LLMKeywordExtractor(llm=llm).fit(docs[:2])
    head = llm._head()
    if head is None:
        raise SystemExit("the default model has no restricted head here; this breakdown assumes one")

    # instrument the head: time spent reading prompts and in steps of k tokens
    spent: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    step_ms: list[float] = []
    prompts: list[tuple[list[int], list[int]]] = []  # what the extractor asked the head to read
    real_prompt, real_step = head.prompt, head.step

    def timed_prompt(tokens, starts):  # noqa: ANN001
        t0 = time.perf_counter()
        out = real_prompt(tokens, starts)
        spent["prompt"] += time.perf_counter() - t0
        count["prompt_tokens"] += len(tokens) - out[1]
        prompts.append((list(tokens), list(starts)))
        return out

    def timed_step(tokens):  # noqa: ANN001
        t0 = time.perf_counter()
        out = real_step(tokens)
        el = time.perf_counter() - t0
        key = "step1" if len(tokens) == 1 else "stepk"
        spent[key] += el
        count[key] += 1
        count[key + "_tokens"] += len(tokens)
        if len(tokens) == 1:
            step_ms.append(1000 * el)
        return out

    head.prompt, head.step = timed_prompt, timed_step

    def read_only() -> float:
        """Read the prompts of the last run again, in order, with no answer generated."""
        t0 = time.perf_counter()
        for toks, starts in prompts:
            real_prompt(toks, starts)
        return (time.perf_counter() - t0) / n

    res: dict[str, list[float]] = defaultdict(list)
    ev_keyllm = ev_tm = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = keyllm(docs)
        res["keyllm"].append((time.perf_counter() - t0) / n)
        ev_keyllm = evaluate_keyphrases(out, gold)

        kx.transform(docs[:2])  # warm: the fixed part of the prompt in the head's KV cache
        spent.clear()
        count.clear()
        step_ms.clear()
        prompts.clear()
        t0 = time.perf_counter()
        out = [[k.text for k in kws] for kws in kx.transform(docs)]
        total = (time.perf_counter() - t0) / n
        ev_tm = evaluate_keyphrases(out, gold)
        res["total"].append(total)
        for key in ("prompt", "step1", "stepk"):
            res[key].append(spent[key] / n)
        res["rest"].append(total - sum(spent[k] for k in ("prompt", "step1", "stepk")) / n)
        res["step1_ms"].append(statistics.median(step_ms))
        counts = {k: v / n for k, v in count.items()}
        res["read_only"].append(read_only())
        print({k: round(v[-1], 4) for k, v in res.items()}, flush=True)

    med = {k: statistics.median(v) for k, v in res.items()}
    doc_parts = [(toks[:starts[-1]], toks[starts[-1]:]) for toks, starts in prompts]
    speeds = reading_speeds(str(llm.path), doc_parts) if args.settings else []
    peer, target = med["keyllm"], med["keyllm"] / 3
    cmd = command("investigations/llm_floor.py", args, {"limit": 100, "repeat": 2, "settings": 1})
    tot = med["total"]
    lines = [
        "# Where LLMKeywordExtractor's time goes, against KeyLLM",
        "",
        f"Command: `{cmd}`",
        "",
        f"{machine(started, load0)}. First {n} Inspec test documents, packaged Gemma 3 270M, 2 threads, "
        f"response cache off; KeyLLM (default prompt) and `LLMKeywordExtractor()` alternate in one process, "
        f"{args.repeat} round{'s' if args.repeat != 1 else ''}, medians.",
        "",
        "| part of `LLMKeywordExtractor()` | per document | s/doc | share | x KeyLLM |",
        "|---|---|---:|---:|---:|",
        f"| reading the prompt (the fixed part reused) | {counts.get('prompt_tokens', 0):.0f} tokens "
        f"| {med['prompt']:.3f} | {100 * med['prompt'] / tot:.0f}% | {med['prompt'] / peer:.2f} |",
        f"| one-token steps | {counts.get('step1', 0):.1f} steps, median {med['step1_ms']:.1f} ms "
        f"| {med['step1']:.3f} | {100 * med['step1'] / tot:.0f}% | {med['step1'] / peer:.2f} |",
        f"| steps with jump-forward text | {counts.get('stepk', 0):.1f} steps, "
        f"{counts.get('stepk_tokens', 0) / max(counts.get('stepk', 0), 1e-9):.1f} tokens each "
        f"| {med['stepk']:.3f} | {100 * med['stepk'] / tot:.0f}% | {med['stepk'] / peer:.2f} |",
        f"| everything else (grammar, vocabulary, grounding, scoring) | - | {med['rest']:.3f} "
        f"| {100 * med['rest'] / tot:.0f}% | {med['rest'] / peer:.2f} |",
        f"| **total** | F1@10 {100 * ev_tm['F1@10']:.1f} | **{tot:.3f}** | 100% | **{tot / peer:.2f}** |",
        "",
        "| reference | s/doc | x KeyLLM |",
        "|---|---:|---:|",
        f"| KeyLLM, default prompt (F1@10 {100 * ev_keyllm['F1@10']:.1f}) | {peer:.3f} | 1.00 |",
        f"| issue #3's target, KeyLLM / 3 | {target:.3f} | 0.33 |",
        f"| reading the same prompts alone, no answer | {med['read_only']:.3f} | {med['read_only'] / peer:.2f} |",
        "",
        f"Reading the document is {100 * med['read_only'] / target:.0f}% of the target on its own; the target "
        f"leaves {1000 * max(target - med['read_only'], 0):.0f} ms per document for writing about "
        f"{counts.get('step1', 0) + counts.get('stepk', 0):.0f} steps of keyphrases, where one one-token step "
        f"costs {med['step1_ms']:.1f} ms here (median).",
    ]
    if speeds:
        lines += [
            "",
            "Reading the documents' parts of the same prompts (their fixed part cached) under other llama.cpp "
            "settings, each in a fresh `llama_cpp.Llama` (whole output layer for the last token, as llama.cpp "
            "computes it), all loaded at once and timed in 3 alternating rounds, median:",
            "",
            "| setting | tokens/s | s/doc |",
            "|---|---:|---:|",
        ]
        lines += [f"| {name} | {tps:.0f} | {sec:.3f} |" for name, tps, sec in speeds]
    emit_page(lines, args.out)


SETTINGS = [
    ("defaults (textmine's: 2 threads, n_batch = n_ubatch = 512, no flash attention)", {}, None),
    ("flash attention", {"flash_attn": True}, None),
    ("n_ubatch 128", {"n_ubatch": 128}, None),
    ("n_ubatch 64", {"n_ubatch": 64}, None),
    ("weights requantized to Q8_0 (larger, near-lossless)", {}, 7),
]


def reading_speeds(path: str, parts: list[tuple[list[int], list[int]]], rounds: int = 3) -> list[tuple[str, float, float]]:
    """Tokens/s and s/doc of reading each document part after its cached fixed part, per setting;
    all settings loaded at once and timed in alternating rounds (median), so drift hits them alike."""
    import ctypes
    import tempfile

    import llama_cpp

    with tempfile.TemporaryDirectory() as tmp:
        loaded = []
        for name, kwargs, ftype in SETTINGS:
            model = path
            if ftype is not None:
                qp = llama_cpp.llama_model_quantize_default_params()
                qp.ftype, qp.allow_requantize, qp.nthread = ftype, True, os.cpu_count() or 1
                model = str(Path(tmp) / f"requantized-{ftype}.gguf")
                if llama_cpp.llama_model_quantize(path.encode(), model.encode(), ctypes.byref(qp)) != 0:
                    continue
            L = llama_cpp.Llama(model_path=model, n_ctx=2048, n_threads=2, n_threads_batch=2, n_batch=512,
                                verbose=False, **kwargs)
            loaded.append((name, L))
        times: dict[str, list[float]] = defaultdict(list)
        n_tok = sum(len(doc) for _, doc in parts)
        for _ in range(rounds):
            for name, L in loaded:
                sec = 0.0
                for fixed, doc in parts:
                    if L.n_tokens < len(fixed) or L.input_ids[: len(fixed)].tolist() != fixed:
                        L.reset()
                        L.eval(fixed)  # not timed: textmine reuses the fixed part from the KV cache
                    L.n_tokens = len(fixed)
                    t0 = time.perf_counter()
                    L.eval(doc)
                    sec += time.perf_counter() - t0
                times[name].append(sec)
            print({k: round(n_tok / v[-1]) for k, v in times.items()}, flush=True)
        for _, L in loaded:
            L.close()
    return [(name, n_tok / statistics.median(times[name]), statistics.median(times[name]) / len(parts))
            for name, _ in loaded]


if __name__ == "__main__":
    main()
