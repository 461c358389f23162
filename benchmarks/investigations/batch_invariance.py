"""Does a sequence's next-token distribution depend on the other sequences decoded in the same step?

One llama.cpp context with one KV stream per sequence (``kv_unified=False``, no flash attention), the
packaged Gemma 3 270M. Eight sequences of different lengths (Inspec text) are evaluated alone; then,
for sequence 0 at each of ``--lengths``, the logits of one generation step are compared bit for bit:
the step alone against steps that also carry other sequences (1-3 rows, 4 rows, 8 rows, several
orders). It also times one step of 1, 3, 4 and 8 rows (every row's logits read back).
This is what decides whether multi-document ("continuous") batching can keep a document's answer
independent of its batch (see docs/keywords_llm.md).

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/investigations/batch_invariance.py --out docs/benchmarks/batch_invariance.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]  # benchmarks/: the shared helpers (_fresh, _embcache)
sys.path.insert(0, str(HERE))

from _fresh import command, emit_page, machine  # noqa: E402
from keywords import read_jsonl  # noqa: E402

OTHERS = [900, 150, 700, 100, 40, 257, 213]  # lengths of sequences 1-7
ALONE_GROUPS = {"2 rows": ([0, 1], [1, 0], [0, 2]), "3 rows": ([0, 1, 2], [1, 2, 0], [0, 5, 6], [2, 0, 7])}
SAME_SIZE_GROUPS = {"4 rows": ([0, 1, 2, 3], [0, 5, 6, 7], [0, 7, 6, 5], [0, 1, 2, 4]),
                    "8 rows": (list(range(8)), [0, 7, 6, 5, 4, 3, 2, 1])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", default=",".join(str(x) for x in range(100, 801, 37)))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import llama_cpp
    import llama_cpp._internals as internals

    from textmine.llm import load_llm

    llm = load_llm("default", cache=False)
    L = llm._llama
    params = llama_cpp.llama_context_params.from_buffer_copy(L.context_params)
    params.n_seq_max, params.n_ctx, params.kv_unified, params.flash_attn_type = 8, 1024 * 8, False, 0
    params.n_batch = params.n_ubatch = 64
    ctx = internals.LlamaContext(model=L._model, params=params, verbose=False)
    batch = internals.LlamaBatch(n_tokens=64, embd=0, n_seq_max=1, verbose=False)
    n_vocab = int(L._n_vocab)
    text = " ".join(r["text"] for r in read_jsonl("keyphrase/inspec_test.jsonl", 30))
    allt = L.tokenize(text.encode())
    toks = [allt[:100]] + [allt[13 * (k + 1) : 13 * (k + 1) + n] for k, n in enumerate(OTHERS)]

    def decode(items: list[tuple[int, int, int, bool]]) -> None:
        b = batch.batch
        b.n_tokens = len(items)
        for j, (s, p, t, w) in enumerate(items):
            b.token[j], b.pos[j], b.seq_id[j][0], b.n_seq_id[j], b.logits[j] = t, p, s, 1, w
        if llama_cpp.llama_decode(ctx.ctx, b) != 0:
            raise RuntimeError("llama_decode failed")

    def load(s: int) -> None:
        ctx.kv_cache_seq_rm(s, 0, -1)
        t = toks[s]
        for a in range(0, len(t) - 1, 64):
            decode([(s, a + i, x, False) for i, x in enumerate(t[a : min(a + 64, len(t) - 1)])])

    def step(rows: list[int]) -> np.ndarray:
        """One generation step of ``rows``; sequence 0's logits (every row's are read back)."""
        decode([(s, len(toks[s]) - 1, toks[s][-1], True) for s in rows])
        out = [np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx.ctx, j), shape=(n_vocab,)).copy()
               for j in range(len(rows))]
        for s in rows:
            ctx.kv_cache_seq_rm(s, len(toks[s]) - 1, -1)
        return out[rows.index(0)]

    started = dt.datetime.now(dt.timezone.utc)
    for s in range(8):
        load(s)
    timing = {}
    for rows in ([0], [0, 1, 2], [0, 1, 2, 3], list(range(8))):
        ts = []
        for _ in range(10):
            t0 = time.perf_counter()
            step(rows)
            ts.append(time.perf_counter() - t0)
        timing[len(rows)] = 1000 * statistics.median(ts)
    lengths = [int(x) for x in args.lengths.split(",")]
    differ = {name: 0 for name in [*ALONE_GROUPS, *SAME_SIZE_GROUPS]}
    max_diff = dict.fromkeys(differ, 0.0)
    for n in lengths:
        toks[0] = allt[:n]
        load(0)
        alone = step([0])
        for name, groups in ALONE_GROUPS.items():
            for g in groups:
                d = float(np.abs(step(list(g)) - alone).max())
                differ[name] += d > 0
                max_diff[name] = max(max_diff[name], d)
        for name, groups in SAME_SIZE_GROUPS.items():
            ref = step(list(groups[0]))
            for g in groups[1:]:
                d = float(np.abs(step(list(g)) - ref).max())
                differ[name] += d > 0
                max_diff[name] = max(max_diff[name], d)
    ctx.close()
    batch.close()

    cmd = command("investigations/batch_invariance.py", args, {})
    lines = [
        "# Batch invariance of llama.cpp logits (multi-sequence decoding)",
        "",
        f"Command: `{cmd}`",
        "",
        f"{machine(started)}; llama-cpp-python {llama_cpp.__version__}; packaged Gemma 3 270M, {llm.n_threads} threads; one KV "
        "stream per sequence, no flash attention. Sequence 0 at "
        f"{len(lengths)} lengths ({lengths[0]}-{lengths[-1]} tokens); the others {OTHERS} tokens.",
        "",
        "| step | compared with | comparisons | logits not bit-equal | largest difference |",
        "|---|---|---:|---:|---:|",
    ]
    for name, groups in ALONE_GROUPS.items():
        lines.append(f"| {name} | sequence 0 alone | {len(groups) * len(lengths)} | {differ[name]} | {max_diff[name]:.2g} |")
    for name, groups in SAME_SIZE_GROUPS.items():
        lines.append(f"| {name} | the same 0 in another {name} step | {(len(groups) - 1) * len(lengths)} | "
                     f"{differ[name]} | {max_diff[name]:.2g} |")
    lines += ["", "One step, median of 10 (logits of every row read back):", "",
              "| rows | ms per step | ms per row |", "|---:|---:|---:|"]
    for r, ms in timing.items():
        lines.append(f"| {r} | {ms:.1f} | {ms / r:.1f} |")
    emit_page(lines, args.out)


if __name__ == "__main__":
    main()
