"""Helpers shared by the examples: where the data is, reading JSONL, the output folder."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """``$TEXTMINE_DATA_DIR`` or ``../shared/data`` beside the repository."""
    env = os.environ.get("TEXTMINE_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def read_jsonl(relpath: str, limit: int | None = None) -> list[dict] | None:
    """Rows of a benchmark file, or ``None`` when the data is not there."""
    path = data_dir() / relpath
    if not path.is_file():
        return None
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def out_dir(arg: str | None) -> Path:
    """The folder for an example's outputs (a new temporary folder by default)."""
    path = Path(arg) if arg else Path(tempfile.mkdtemp(prefix="textmine-example-"))
    path.mkdir(parents=True, exist_ok=True)
    return path
