"""Every example in examples/ runs on real data (small sizes) and prints what it promises."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import data_dir

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def run_example(name: str, *args: str, timeout: int = 400) -> str:
    env = dict(os.environ, TEXTMINE_DATA_DIR=str(data_dir()), PYTHONIOENCODING="utf-8")
    res = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                         env=env, timeout=timeout, cwd=REPO)
    assert res.returncode == 0, f"{name} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res.stdout


def test_every_example_is_tested():
    tested = {"keywords_abstracts.py", "topics_news.py", "llm_labels.py", "cli_walkthrough.py"}
    present = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert present == tested


def test_keywords_abstracts():
    if not (data_dir() / "keyphrase" / "inspec_test.jsonl").is_file():
        pytest.skip("Inspec not found (set TEXTMINE_DATA_DIR)")
    out = run_example("keywords_abstracts.py", "--limit", "12")
    assert "keywords:" in out and "gold:" in out
    f1 = float(re.search(r"F1@10 = ([0-9.]+)", out).group(1))
    assert 0.1 < f1 < 0.9, out


def test_topics_news(tmp_path):
    if not (data_dir() / "topic" / "ag_news_test.jsonl").is_file():
        pytest.skip("AG News not found (set TEXTMINE_DATA_DIR)")
    out = run_example("topics_news.py", "--limit", "150", "--n-topics", "4", "--out", str(tmp_path))
    assert "150 articles -> 4 topics" in out
    nmi = float(re.search(r"NMI ([0-9.]+)", out).group(1))
    assert nmi > 0.15, out
    assert (tmp_path / "news_report.html").stat().st_size > 3_000_000
    assert (tmp_path / "news_model").is_dir()


def test_llm_labels():
    out = run_example("llm_labels.py")
    m = re.search(r"(\d+) topics labelled by (\S+)", out)
    assert m and int(m.group(1)) >= 3, out
    labels = re.findall(r"^\s*\d+\s+'([^']*)'", out, flags=re.M)
    assert len(labels) == int(m.group(1)) and all(lab.strip() for lab in labels), out


def test_cli_walkthrough(tmp_path):
    out = run_example("cli_walkthrough.py", "--out", str(tmp_path), "--limit", "5", timeout=600)
    assert "already exists; pass --force" in out
    for name in ("keywords.jsonl", "model", "report.html", "topics.csv"):
        assert (tmp_path / name).exists(), name
    assert "outputs in" in out
