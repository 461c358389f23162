"""What one decoding step costs with and without llama.cpp's output layer, and whether the restricted
head's logits equal llama.cpp's.

For each packaged GGUF (Gemma 3 270M: 262,144 x 640 output matrix; SmolLM2 135M: 49,152 x 576), after
a 100-token prompt:

* ``whole output layer``: one-token ``llama_decode`` steps asking for the logits (what every greedy
  step did before the restricted head);
* ``no output row``: the same steps asking for no logits (the transformer alone, a lower bound);
* ``restricted head``: the steps of ``textmine.llm.head.RestrictedHead`` (graph stopped at
  ``result_norm`` by the evaluation callback) plus the logits of 300 allowed tokens computed from the
  GGUF rows.

Agreement: the largest difference between the head's logits and llama.cpp's for the 300 best tokens of
the prompt, with the hidden state rounded to Q8_0 blocks as ggml does (what the head computes) and
without that rounding.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/investigations/llm_head.py --out docs/benchmarks/llm_head.md
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

TEXT = (
    "Graph neural networks learn representations of nodes by passing messages along the edges of a graph. "
    "We study link prediction in citation networks and compare message passing with spectral methods, "
    "random walks and matrix factorization on three benchmark datasets, reporting accuracy and training time. "
) * 2


def measure(name: str, steps: int, rounds: int) -> dict:

    import llama_cpp
    import numpy as np

    from textmine.llm import load_llm

    from textmine.llm.head import RestrictedHead

    m = load_llm(name)
    head = m._head() or RestrictedHead.create(m._llama, m.path, m.metadata, min_share=0.0)  # measured anyway
    L = m._llama
    ctx = L._ctx.ctx
    toks = m.tokenize(TEXT)[:100]
    batch = llama_cpp.llama_batch_init(8, 0, 1)

    def decode(tok: int, pos: int, want: bool) -> None:
        batch.n_tokens = 1
        batch.token[0], batch.pos[0], batch.n_seq_id[0] = tok, pos, 1
        batch.seq_id[0][0] = 0
        batch.logits[0] = want
        if llama_cpp.llama_decode(ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")

    def timed_plain(want: bool) -> float:
        L.reset()
        L.eval(toks)
        t0 = time.perf_counter()
        for i in range(steps):
            decode(toks[i % len(toks)], len(toks) + i, want)
        dt_ = time.perf_counter() - t0
        L.reset()
        return 1000 * dt_ / steps

    ids = None
    rows = None

    def timed_head() -> float:
        with head.lock:
            head.clear()
            head.prompt(toks, [0])
            t0 = time.perf_counter()
            for i in range(steps):
                hidden = head.step([toks[i % len(toks)]])
                head.logits(hidden, rows)
            dt_ = time.perf_counter() - t0
            head.clear()
        return 1000 * dt_ / steps

    # agreement
    L.reset()
    L.eval(toks)
    full = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1), shape=(head.n_vocab,)).copy()
    L.reset()
    ids = np.sort(np.argsort(-full)[:300])
    rows = head.rows(ids)
    with head.lock:
        head.clear()
        hidden, _ = head.prompt(toks, [0])
        head.clear()
    mine = head.logits(hidden, rows)
    unrounded = (rows.quant * rows.scale[:, :, None]).reshape(len(ids), -1) @ hidden
    res = {"full": [], "none": [], "head": []}
    for _ in range(rounds):
        res["full"].append(timed_plain(True))
        res["none"].append(timed_plain(False))
        res["head"].append(timed_head())
    llama_cpp.llama_batch_free(batch)
    return {
        "model": name,
        "vocab": head.n_vocab,
        "embd": head.n_embd,
        "full": statistics.median(res["full"]),
        "none": statistics.median(res["none"]),
        "head": statistics.median(res["head"]),
        "diff": float(np.max(np.abs(mine - full[ids]))),
        "diff_unrounded": float(np.max(np.abs(unrounded - full[ids]))),
        "same_argmax": int(ids[np.argmax(mine)]) == int(np.argmax(full)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5, help="median over rounds, the three kinds alternating")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()[0]
    import textmine  # noqa: F401  (sets the OpenMP wait policy before llama.cpp loads)

    results = [measure(name, args.steps, args.rounds) for name in ("gemma3-270m", "smollm2-135m")]
    cmd = command("investigations/llm_head.py", args, {"steps": 100, "rounds": 5})
    lines = [
        "# One decoding step: whole output layer vs restricted head",
        "",
        f"Command: `{cmd}`",
        "",
        f"{machine(started, load0)}. One-token steps after a 100-token prompt, {args.steps} steps per "
        f"measurement, median of {args.rounds} rounds; 300 allowed tokens for the restricted head.",
        "",
        "| model | output matrix | whole output layer, ms/step | no output row, ms/step | restricted head, ms/step "
        "| head vs whole | max logit difference (Q8_0-rounded hidden state) | without the rounding | same best token |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['model']} | {r['vocab']:,} x {r['embd']} | {r['full']:.2f} | {r['none']:.2f} | {r['head']:.2f} "
            f"| {r['full'] / r['head']:.2f}x | {r['diff']:.1e} | {r['diff_unrounded']:.1e} "
            f"| {'yes' if r['same_argmax'] else 'no'} |"
        )
    lines += [
        "",
        "Output matrix share of the weights: Gemma 3 270M 63%, SmolLM2 135M 21%; textmine builds the head only "
        "from 40% on (`RestrictedHead.MIN_SHARE`), so SmolLM2 uses the whole output layer. "
        "`restricted head` includes the evaluation callback (a Python function llama.cpp calls for every graph "
        "node, about 800 per step for Gemma) and the numpy logits of the allowed rows; `no output row` is what "
        "llama.cpp needs for the transformer alone.",
    ]
    emit_page(lines, args.out)


if __name__ == "__main__":
    main()
