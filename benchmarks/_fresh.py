"""Helpers shared by the benchmark scripts that time code in a fresh Python process."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def run_fresh(code: str, *args: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run ``python -c code args...`` in a new process (environment ``env``, default this one's);
    its last stdout line, parsed as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
        env=dict(env) if env is not None else None,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def command(script: str, args: Any, defaults: Mapping[str, Any]) -> str:
    """The command line of a run, for its page: ``python benchmarks/<script>``, the options of
    ``args`` that differ from ``defaults`` (``{dest: default}``), then ``--out``."""
    cmd = f"python benchmarks/{script}"
    for dest, default in defaults.items():
        value = getattr(args, dest)
        if value != default:
            cmd += f" --{dest.replace('_', '-')} {value}"
    if getattr(args, "out", None):
        cmd += f" --out {args.out}"
    return cmd


def machine(started: Any, load0: float | None = None) -> str:
    """The ``Machine:`` line of a page: architecture, cores, start time, load average at start."""
    line = f"Machine: `{platform.machine()}`, {os.cpu_count()} cores, no GPU; {started:%Y-%m-%d %H:%M} UTC"
    return line + (f"; load average at start {load0:.1f}" if load0 is not None else "")


def emit_page(lines: Sequence[str], out: str | None) -> None:
    """Print a markdown page and write it to ``out`` when given."""
    text = "\n".join(lines) + "\n"
    print(text)
    if out:
        Path(out).write_text(text)
