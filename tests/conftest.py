"""Shared fixtures: the real packaged models and the shared benchmark data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """``$TEXTMINE_DATA_DIR`` or ``../shared/data`` beside the repository."""
    env = os.environ.get("TEXTMINE_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def read_jsonl(relpath: str, limit: int | None = None) -> list[dict]:
    path = data_dir() / relpath
    if not path.is_file():
        pytest.skip(f"benchmark data {path} not found (set TEXTMINE_DATA_DIR)")
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Each test session gets its own textmine cache directory."""
    old = os.environ.get("TEXTMINE_CACHE_DIR")
    os.environ["TEXTMINE_CACHE_DIR"] = str(tmp_path_factory.mktemp("textmine-cache"))
    yield
    if old is None:
        os.environ.pop("TEXTMINE_CACHE_DIR", None)
    else:
        os.environ["TEXTMINE_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def embedder():
    from textmine.embed import get_embedder

    return get_embedder("default", cache=False)


@pytest.fixture(scope="session")
def llm():
    from textmine.llm import load_llm

    return load_llm("default")
