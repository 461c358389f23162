"""llama.cpp speed under OpenMP wait policies (the shared libgomp's setting, read once per process).

Each run is a fresh process that does what textmine does in a keyword or topic pipeline: import torch,
embed texts with the packaged MiniLM (torch's OpenMP threads exist and have worked), then load the
packaged Gemma GGUF and time (a) evaluating a 512-token prompt and (b) decoding single tokens after it.
Policies:

* ``passive``: ``OMP_WAIT_POLICY=PASSIVE`` (textmine's default before 2026-11-25): workers sleep at
  every barrier inside a llama.cpp step;
* ``spin300k``: ``OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=300000`` (textmine's default now): spin up
  to 300,000 times at a barrier, then sleep;
* ``active``: ``OMP_WAIT_POLICY=ACTIVE``: spin without limit.

Each is run on a quiet machine and with one busy competing process (a Python busy loop on one of the
cores), alternating, ``--repeat`` times; medians are reported.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/investigations/llm_threads.py --out docs/benchmarks/llm_threads.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]  # benchmarks/: the shared helpers (_fresh, _embcache)
sys.path.insert(0, str(HERE))

from _embcache import data_dir  # noqa: E402
from _fresh import command, emit_page, machine, run_fresh  # noqa: E402

CHILD = r"""
import json, sys, time
import numpy as np
import torch  # noqa: F401  (first, as in a pipeline that embeds before it calls the LLM)
from textmine.embed import get_embedder
from textmine.llm import load_llm
texts = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")][:40]
get_embedder("default", cache=False).encode(texts[:20])
llm = load_llm("default", cache=False)
L = llm._llama
toks = L.tokenize(" ".join(texts).encode())
t0 = time.perf_counter(); L.reset(); L.eval(toks[:512]); t_prompt = time.perf_counter() - t0
ts = []
for i in range(48):
    t0 = time.perf_counter(); L.eval([toks[600 + i]]); ts.append(time.perf_counter() - t0)
print(json.dumps({"prompt_tok_s": 512 / t_prompt, "decode_ms": 1000 * float(np.median(ts)), "threads": llm.n_threads}))
"""

POLICIES = {
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "spin300k": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "300000"},
    "active": {"OMP_WAIT_POLICY": "ACTIVE"},
}


def _run(policy: str, data: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    return run_fresh(CHILD, data, env={**env, **POLICIES[policy]})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(data_dir()), help="benchmark data folder ($TEXTMINE_DATA_DIR or ../shared/data)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    data = str(Path(args.data) / "keyphrase" / "inspec_test.jsonl")
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()[0]
    res: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.repeat):
        for scenario in ("quiet", "busy"):
            busy = None
            if scenario == "busy":
                busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                for policy in POLICIES:
                    r = _run(policy, data)
                    res.setdefault((scenario, policy), []).append(r)
                    print(scenario, policy, r, flush=True)
            finally:
                if busy is not None:
                    busy.kill()
                    busy.wait()
    cmd = command("investigations/llm_threads.py", args, {})
    lines = [
        "# llama.cpp speed under OpenMP wait policies",
        "",
        f"Command: `{cmd}` (repeat {args.repeat}, medians)",
        "",
        f"{machine(started, load0)}. "
        "Model: the packaged Gemma 3 270M Q4_K_M, all cores; each run a fresh process that imported "
        "torch and embedded 20 texts first. `busy`: one extra process spins on a core meanwhile.",
        "",
        "| machine | policy | prompt tokens/s | decode ms/token |",
        "|---|---|---:|---:|",
    ]
    for (scenario, policy), runs in res.items():
        p = statistics.median(r["prompt_tok_s"] for r in runs)
        d = statistics.median(r["decode_ms"] for r in runs)
        lines.append(f"| {scenario} | `{policy}` | {p:.0f} | {d:.1f} |")
    lines += [
        "",
        "`spin300k` is textmine's default (set when `textmine` is imported, unless `OMP_WAIT_POLICY` or "
        "`GOMP_SPINCOUNT` is already set); `passive` was the default before.",
    ]
    emit_page(lines, args.out)


if __name__ == "__main__":
    main()
