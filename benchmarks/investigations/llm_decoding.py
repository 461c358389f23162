"""What each change of textmine's greedy decoding loop is worth, with KeyLLM in the same run.

On the first ``--limit`` Inspec test documents, ``LLMKeywordExtractor()`` defaults (packaged Gemma 3
270M, response cache off) is run with the loop's options switched on one after the other:

* ``full grammar pass``: ``grammar_top_k=0, jump_forward=False`` (when the grammar rejects the best
  token, the whole 262k vocabulary goes through it);
* ``+ top-k grammar pass``: ``grammar_top_k=256`` (the 256 best tokens first; same output);
* ``+ jump-forward``: ``jump_forward=True``;
* ``+ prompt split at the fixed part``: ``split_prompt=True`` (a prompt segment starts where the
  instruction and examples end: all of them reused, the document read in one batch);
* ``+ document vocabulary, whole output layer``: ``LLMKeywordExtractor(restrict_vocabulary=True)``
  with ``restricted_head=False`` (the model may only write the document's tokens; llama.cpp still
  computes all 262k logits);
* ``+ restricted head``: ``restricted_head=True`` (only the allowed tokens' logits, from the output
  rows; the defaults).

keybert's ``KeyLLM`` with the default prompt (the adapter of ``benchmarks/keywords.py``, same GGUF)
runs on the same documents first. Reported: seconds per document, model steps per document
(llama.cpp evaluations, prompt blocks included), F1@5 / F1@10 (standard protocol) and whether the
keyphrases equal those of the first configuration.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/investigations/llm_decoding.py --out docs/benchmarks/llm_decoding.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]  # benchmarks/: the shared helpers (_fresh, _embcache)
sys.path.insert(0, str(HERE))

from _fresh import command, emit_page, machine  # noqa: E402
from keywords import KEYLLM_DEFAULT_PROMPT, _make_keyllm, read_jsonl  # noqa: E402

_OFF = {"split_prompt": False, "restrict_vocabulary": False, "restricted_head": False}
CONFIGS = [
    ("full grammar pass", {"grammar_top_k": 0, "jump_forward": False, **_OFF}),
    ("+ top-k grammar pass", {"grammar_top_k": 256, "jump_forward": False, **_OFF}),
    ("+ jump-forward", {"grammar_top_k": 256, "jump_forward": True, **_OFF}),
    ("+ prompt split at the fixed part", {"grammar_top_k": 256, "jump_forward": True, **_OFF, "split_prompt": True}),
    (
        "+ document vocabulary, whole output layer",
        {"grammar_top_k": 256, "jump_forward": True, "split_prompt": True, "restrict_vocabulary": True,
         "restricted_head": False},
    ),
    (
        "+ restricted head (defaults)",
        {"grammar_top_k": 256, "jump_forward": True, "split_prompt": True, "restrict_vocabulary": True,
         "restricted_head": True},
    ),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=2, help="rounds over all systems, alternating; median time")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    from textmine import LLMKeywordExtractor
    from textmine.evaluation import evaluate_keyphrases
    from textmine.llm import LLM, load_llm

    rows = read_jsonl("keyphrase/inspec_test.jsonl", args.limit)
    docs, gold = [r["text"] for r in rows], [r["keyphrases"] for r in rows]
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()[0]
    times: dict[str, list[float]] = {}
    quality: dict[str, tuple] = {}

    keyllm = _make_keyllm(KEYLLM_DEFAULT_PROMPT, ["\n\n"])
    llm = LLM(load_llm("default").path, cache=False)
    L = llm._llama
    real_eval = L.eval
    steps = [0]

    def counting_eval(toks):  # noqa: ANN001
        steps[0] += 1
        return real_eval(toks)

    peer = "KeyLLM, default prompt (peer)"
    kx = LLMKeywordExtractor(llm=llm).fit(docs[:2])
    head = llm._head()
    real_decode = head._decode if head is not None else None

    def counting_decode(toks, *, want):  # noqa: ANN001
        steps[0] += 1
        return real_decode(toks, want=want)

    if head is not None:
        head._decode = counting_decode
    first = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = keyllm(docs)
        times.setdefault(peer, []).append((time.perf_counter() - t0) / len(docs))
        quality[peer] = (None, None, evaluate_keyphrases(out, gold), None)
        L.eval = counting_eval
        try:
            kx.transform(docs[:2])  # warm: the instruction's blocks in the KV cache, as after any first call
            for name, opts in CONFIGS:
                for k, v in opts.items():
                    setattr(kx if k == "restrict_vocabulary" else llm, k, v)
                kx.transform(docs[:1])  # warm this configuration's fixed prompt part
                steps[0] = 0
                llm.reset_stats()
                t0 = time.perf_counter()
                out = [[k.text for k in kws] for kws in kx.transform(docs)]
                times.setdefault(name, []).append((time.perf_counter() - t0) / len(docs))
                first = out if first is None else first
                st = llm.stats
                read = (st["prompt_tokens"] - st["prompt_tokens_reused"], st["prompt_tokens_reused"])
                quality[name] = (steps[0] / len(docs), [r / len(docs) for r in read], evaluate_keyphrases(out, gold),
                                 out == first)
                print(name, times[name][-1], flush=True)
        finally:
            del L.eval
    results = [(name, statistics.median(times[name]), *quality[name]) for name in [peer] + [c for c, _ in CONFIGS]]

    cmd = command("investigations/llm_decoding.py", args, {"limit": 100, "repeat": 2})
    lines = [
        "# LLM keyword decoding: what each change of the greedy loop is worth",
        "",
        f"Command: `{cmd}`",
        "",
        f"{machine(started, load0)}. First {len(docs)} Inspec test documents, packaged Gemma 3 270M, "
        f"response cache off, KeyLLM first in the same process; {args.repeat} rounds over all rows, "
        "median s/doc.",
        "",
        "| configuration | s/doc | model steps / doc | prompt tokens read / reused per doc | F1@5 | F1@10 "
        "| same keyphrases as 'full grammar pass' |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, sec, st, read, ev, same in results:
        st_s = f"{st:.1f}" if st is not None else "-"
        read_s = f"{read[0]:.0f} / {read[1]:.0f}" if read is not None else "-"
        same_s = "-" if same is None else ("yes" if same else "no")
        lines.append(
            f"| {name} | {sec:.3f} | {st_s} | {read_s} | {100 * ev['F1@5']:.1f} | {100 * ev['F1@10']:.1f} | {same_s} |"
        )
    lines += [
        "",
        "Rows 2-7 are `LLMKeywordExtractor()` with the options named in the module docstring of "
        "`benchmarks/investigations/llm_decoding.py` switched on one after the other; the first of them is the loop before "
        "all of them, the last the defaults. Model steps count llama.cpp evaluations, prompt segments included. "
        "Prompt tokens: evaluated, and kept from the previous document's prompt in the KV cache (`LLM.stats`).",
    ]
    emit_page(lines, args.out)


if __name__ == "__main__":
    main()
