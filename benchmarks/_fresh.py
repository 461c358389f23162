"""Helpers shared by the benchmark scripts that time code in a fresh Python process."""

from __future__ import annotations

import json
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


def emit_page(lines: Sequence[str], out: str | None) -> None:
    """Print a markdown page and write it to ``out`` when given."""
    text = "\n".join(lines) + "\n"
    print(text)
    if out:
        Path(out).write_text(text)
