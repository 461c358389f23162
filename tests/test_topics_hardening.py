"""Issue #17, TopicModel part: saves (atomic, recoverable, umask modes, stale temp folders), typed errors
for unreadable or crafted saved models, precomputed embeddings, the scikit-learn contract.

The kill tests (SIGKILL at random moments) are in tests/test_faults.py.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from textmine import TopicModel
from textmine.errors import InputError, PersistenceError


@pytest.fixture(scope="module")
def corpus():
    from textmine.io import load_sample_corpus

    docs = load_sample_corpus().texts[:40]
    return docs, np.random.default_rng(0).normal(size=(len(docs), 16))


@pytest.fixture(scope="module")
def model(corpus):
    """A tiny model fitted on precomputed 16-d embeddings (no embedding model loaded)."""
    docs, E = corpus
    return TopicModel(n_topics=3, reduction="pca", clustering="kmeans", random_state=0).fit(docs, embeddings=E)


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ----------------------------------------------------------------------------- saves


@pytest.mark.parametrize("mask, dmode, fmode", [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600), (0o002, 0o775, 0o664)])
def test_saved_models_follow_the_umask(model, tmp_path, mask, dmode, fmode):
    old = os.umask(mask)
    try:
        model.save(tmp_path / "m")
        model.save(tmp_path / "m", force=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m").stat().st_mode) == dmode
    assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in (tmp_path / "m").iterdir()} == dict.fromkeys(
        ["manifest.json", "config.json", "arrays.safetensors", "online.json"], fmode)


def test_stale_temp_folders_are_removed_only_when_their_writer_is_gone(model, tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    names = {
        f".m.textmine-tmp-{dead}-abc": False,  # a killed save's folder: removed
        f".m.textmine-old-{dead}-def": False,
        f".m.textmine-tmp-{alive}-ghi": True,  # a running save's folder: kept
        ".m.textmine-tmp-legacy01": True,  # an older textmine's name, recent: kept
        ".m.textmine-tmp-legacy02": False,  # the same, two hours old: removed
        ".other.textmine-tmp-1-x": True,  # another target's
    }
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    two_hours_ago = time.time() - 7200
    os.utime(tmp_path / ".m.textmine-tmp-legacy02", (two_hours_ago, two_hours_ago))
    model.save(tmp_path / "m")
    assert _hidden(tmp_path) == sorted(n for n, keep in names.items() if keep)


def test_a_model_left_aside_by_a_killed_save_is_restored_on_load_and_save(model, tmp_path):
    target = tmp_path / "m"
    model.save(target)
    aside = tmp_path / f".m.textmine-old-{_dead_pid()}-xyz"
    target.rename(aside)  # what a kill between the two renames of the fallback swap leaves
    with pytest.warns(RuntimeWarning, match="interrupted"):
        back = TopicModel.load(target)
    np.testing.assert_array_equal(back.labels_, model.labels_)
    assert target.is_dir() and not aside.exists()
    target.rename(aside)
    with pytest.warns(RuntimeWarning, match="interrupted"), pytest.raises(PersistenceError, match="already exists"):
        model.save(target)  # the restored model is not overwritten without force
    assert TopicModel.load(target).n_topics_ == model.n_topics_


def test_force_save_exchanges_the_folders_in_one_step(model, tmp_path, monkeypatch):
    from textmine.topics import swap

    target = tmp_path / "m"
    model.save(target)
    calls = []
    real = swap.exchange

    def spy(a, b):
        done = real(a, b)
        calls.append(done)
        assert Path(b).is_dir()  # at no moment is there no model at the path
        return done

    monkeypatch.setattr(swap, "exchange", spy)
    model.save(target, force=True)
    assert calls == [sys.platform.startswith("linux")]
    assert TopicModel.load(target).n_topics_ == model.n_topics_ and _hidden(tmp_path) == []


# ----------------------------------------------------------------------------- outputs


def test_an_output_naming_a_folder_is_an_input_error_even_with_force(model, tmp_path):
    from textmine.io import write_records

    folder = tmp_path / "out.jsonl"
    folder.mkdir()
    for force in (False, True):
        with pytest.raises(InputError, match="folder"):
            write_records([{"id": "a"}], folder, force=force)
    with pytest.raises(InputError, match="folder"):
        model.report(tmp_path)
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_killed_output_writes_leave_no_temp_files_after_the_next_write(tmp_path):
    from textmine.io import write_records

    dead = _dead_pid()
    (tmp_path / f".o.jsonl.textmine-{dead}-abc.tmp").write_text("partial")
    (tmp_path / f".o.jsonl.textmine-{os.getpid()}-def.tmp").write_text("being written")
    write_records([{"id": "a"}], tmp_path / "o.jsonl")
    assert _hidden(tmp_path) == [f".o.jsonl.textmine-{os.getpid()}-def.tmp"]


def _denied(*args, **kwargs):  # failure injection: a folder we may not write to (the tests may run as root)
    raise PermissionError(13, "Permission denied", str(args[0]) if args else "")


def test_permission_errors_are_typed(model, tmp_path, monkeypatch):
    import tempfile

    from textmine.io import write_records

    model.save(tmp_path / "m")
    monkeypatch.setattr(tempfile, "mkstemp", _denied)
    monkeypatch.setattr(tempfile, "mkdtemp", _denied)
    with pytest.raises(InputError, match="Permission denied"):
        write_records([{"id": "a"}], tmp_path / "o.jsonl")
    with pytest.raises(InputError, match="Permission denied"):
        model.report(tmp_path / "r.html")
    with pytest.raises(PersistenceError, match="cannot save .*Permission denied"):
        model.save(tmp_path / "m2")
    with pytest.raises(PersistenceError, match="cannot save .*Permission denied"):
        model.save(tmp_path / "m", force=True)
    monkeypatch.undo()
    from textmine.topics import persist

    monkeypatch.setattr(persist, "_sha256", _denied)  # the manifest is readable, the files are not
    with pytest.raises(PersistenceError, match="cannot load .*Permission denied"):
        TopicModel.load(tmp_path / "m")
    monkeypatch.setattr(Path, "open", _denied)
    with pytest.raises(PersistenceError, match="Permission denied"):
        TopicModel.load(tmp_path / "m")
