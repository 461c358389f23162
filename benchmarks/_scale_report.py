"""docs/benchmarks/scale.md from benchmarks/results/scale.json (benchmarks/scale.py --markdown)."""

from __future__ import annotations

import json
from pathlib import Path


def write_markdown(results: dict, doc: Path) -> None:
    rows = results.get("rows", {})
    lines = ["# Scale benchmark (raw rows)", "", "Produced by `benchmarks/scale.py`; see the results JSON.", "",
             "```", json.dumps(rows, indent=1, default=str)[:20000], "```", ""]
    doc.write_text("\n".join(lines), encoding="utf-8")
