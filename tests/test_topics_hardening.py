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


# ----------------------------------------------------------------------------- crafted saved models


def _rehash(folder: Path) -> None:
    """What an attacker does after editing a file: write the new checksums into the manifest."""
    from textmine.topics.persist import _sha256

    man = json.loads((folder / "manifest.json").read_text())
    man["files"] = {n: _sha256(folder / n) for n in man["files"]}
    (folder / "manifest.json").write_text(json.dumps(man))


def _edit(folder: Path, name: str, edit) -> None:
    data = json.loads((folder / name).read_text())
    edit(data)
    (folder / name).write_text(json.dumps(data))
    if name != "manifest.json":
        _rehash(folder)


def _set(path: list, value):
    def edit(data):
        for k in path[:-1]:
            data = data[k]
        data[path[-1]] = value
    return edit


@pytest.mark.parametrize("files, field", [(["config.json"], "files"), ("config.json", "files"), (None, "files"),
                                          ({"config.json": 1}, "files")])
def test_a_manifest_whose_files_is_not_an_object_is_refused(model, tmp_path, files, field):
    model.save(tmp_path / "m")
    _edit(tmp_path / "m", "manifest.json", _set(["files"], files))
    with pytest.raises(PersistenceError, match=f"manifest.json.{field}"):
        TopicModel.load(tmp_path / "m")


@pytest.mark.parametrize("name", ["manifest.json", "config.json", "online.json"])
def test_deeply_nested_json_is_refused(model, tmp_path, name):
    model.save(tmp_path / "m")
    deep = "[" * 100_000 + "]" * 100_000
    if name == "manifest.json":
        (tmp_path / "m" / name).write_text(deep)
    else:
        (tmp_path / "m" / name).write_text('{"params": ' + deep + "}" if name == "config.json" else deep)
        _rehash(tmp_path / "m")
    with pytest.raises(PersistenceError, match="nested"):
        TopicModel.load(tmp_path / "m")
    if name == "manifest.json":
        with pytest.raises(PersistenceError):
            model.save(tmp_path / "m", force=True)  # not a model folder any more: never overwritten
    else:
        model.save(tmp_path / "m", force=True)  # a damaged model is replaced with force
    model.save(tmp_path / "m2")
    shallow = "[" * 80 + "]" * 80  # parsed, but deeper than any saved model
    _edit(tmp_path / "m2", "config.json", _set(["params", "n_topics"], json.loads(shallow)))
    with pytest.raises(PersistenceError, match="nested"):
        TopicModel.load(tmp_path / "m2")


@pytest.mark.parametrize(
    "name, path, value, field",
    [
        ("config.json", ["topics", 0, "label"], {"evil": 1}, r"config.json.topics\[0\].label"),
        ("config.json", ["topics", 1, "label"], 7, r"config.json.topics\[1\].label"),
        ("config.json", ["topics", 0, "words", 0], ["w", "0.5"], r"config.json.topics\[0\].words\[0\]\[1\]"),
        ("config.json", ["topics", 0, "words"], "words", r"config.json.topics\[0\].words"),
        ("config.json", ["topics", 0, "representative_docs"], [1, 2], r"config.json.topics\[0\].representative_docs"),
        ("config.json", ["topics", 0, "id"], 5, "ids 0"),
        ("config.json", ["topics", 0, "size"], True, r"config.json.topics\[0\].size"),
        ("config.json", ["topics"], {"0": {}}, "config.json.topics"),
        ("config.json", ["state", "n_clusters_found"], "3", "config.json.state.n_clusters_found"),
        ("config.json", ["state", "noise_share"], None, "config.json.state.noise_share"),
        ("config.json", ["state", "zero_shot_topics"], {"x": "Sports"}, "config.json.state.zero_shot_topics"),
        ("config.json", ["state", "embedding_model_id"], ["a"], "config.json.state.embedding_model_id"),
        ("config.json", ["state"], [], "config.json.state"),
        ("config.json", ["params"], "n_topics=3", "config.json.params"),
        ("config.json", ["params", "n_topics"], {"k": 3}, "n_topics"),
        ("config.json", ["params", "outliers"], "many", "outliers"),
        ("config.json", ["unsaved_params"], "labeler", "config.json.unsaved_params"),
        ("online.json", ["words"], [1, 2], r"online.json.words\[0\]"),
        ("online.json", ["outlier_texts"], "text", "online.json.outlier_texts"),
        ("manifest.json", ["format_version"], "2", "format version"),
        ("manifest.json", ["textmine_version"], 1, "manifest.json.textmine_version"),
    ],
)
def test_a_rehashed_model_with_a_value_of_the_wrong_type_is_refused(model, tmp_path, name, path, value, field):
    model.save(tmp_path / "m")
    _edit(tmp_path / "m", name, _set(path, value))
    with pytest.raises(PersistenceError, match=field):
        TopicModel.load(tmp_path / "m")


def test_rehashed_arrays_with_nan_or_foreign_labels_are_refused(model, tmp_path):
    from safetensors.numpy import load_file, save_file

    for name, bad, why in (("topic_embeddings", np.nan, "NaN"), ("labels", 99, "labels must be topic ids")):
        model.save(tmp_path / name)
        f = tmp_path / name / "arrays.safetensors"
        arrays = load_file(str(f))
        arrays[name] = arrays[name].copy()
        arrays[name].flat[0] = bad
        save_file(arrays, str(f))
        _rehash(tmp_path / name)
        with pytest.raises(PersistenceError, match=why):
            TopicModel.load(tmp_path / name)


# ----------------------------------------------------------------------------- precomputed embeddings


class _Embedder:
    """A user's embedder of a fixed dimension (a legitimate input, not a mock)."""

    def __init__(self, dim: int):
        self.dim, self.model_id = dim, f"user-{dim}"

    def encode(self, texts, **kwargs):
        rng = np.random.default_rng(len(texts))
        return rng.normal(size=(len(texts), self.dim)).astype(np.float32)


@pytest.fixture(scope="module")
def precomputed(corpus):
    """A centroid model fitted on 384-d embeddings of another model (the dimension of the packaged MiniLM)."""
    docs, _ = corpus
    P = np.random.default_rng(1).normal(size=(len(docs), 384))
    m = TopicModel(n_topics=3, reduction="pca", clustering="kmeans", assignment="centroid", random_state=0)
    return m.fit(docs, embeddings=P), docs, P


@pytest.mark.parametrize("call", ["transform", "similarities", "partial_fit", "reduce_topics", "find_topics", "loaded"])
def test_a_model_fitted_on_precomputed_embeddings_demands_them(precomputed, tmp_path, call):
    import copy

    model, docs, P = precomputed
    m = copy.deepcopy(model)
    run = {
        "transform": lambda: m.transform(docs),
        "similarities": lambda: m.similarities(docs[:3]),
        "partial_fit": lambda: m.partial_fit(docs[:5]),
        "reduce_topics": lambda: m.reduce_topics(docs, 2),
        "find_topics": lambda: m.find_topics("rocket launch"),
    }
    if call == "loaded":
        m.save(tmp_path / "m")
        m = TopicModel.load(tmp_path / "m")
        run["loaded"] = lambda: m.transform(docs)
    with pytest.raises(InputError, match="precomputed embeddings.*embedding_model"):
        run[call]()
    assert np.array_equal(m.transform(docs, embeddings=P), model.labels_)  # with them: the training labels


def test_an_explicit_embedder_is_used_and_every_dimension_is_checked(precomputed, corpus):
    import copy

    model, docs, P = precomputed
    m = copy.deepcopy(model)
    m.set_params(embedding_model=_Embedder(384))  # the user says this embedder made P
    assert m.transform(docs).shape == (len(docs),) and len(m.find_topics("rocket")) == 3
    m.set_params(embedding_model=_Embedder(768))
    for run in (lambda: m.transform(docs), lambda: m.find_topics("rocket"), lambda: m.partial_fit(docs[:4])):
        with pytest.raises(InputError, match="dimension 768"):
            run()
    for bad in (P[:, :100], np.ones((len(docs), 768))):
        with pytest.raises(InputError, match="dimension"):
            m.transform(docs, embeddings=bad)
    from textmine.topics.assignment import cosine_similarities

    with pytest.raises(InputError, match="dimension 384"):
        cosine_similarities(P[:2], np.ones((3, 768)))  # never the first 384 dimensions of each centroid


ENTRY_POINTS = ["fit", "fit_transform", "partial_fit_new", "transform", "similarities", "partial_fit",
                "reduce_topics", "report"]


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 1e308 * 10, "x", 1j])
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_non_finite_precomputed_embeddings_are_refused_at_every_entry_point(precomputed, tmp_path, entry, value):
    import copy

    model, docs, P = precomputed
    bad = P.astype(object if isinstance(value, str) else complex if isinstance(value, complex) else np.float64)
    bad[2, 5] = value
    m = copy.deepcopy(model)
    fresh = TopicModel(n_topics=3, reduction="pca", clustering="kmeans", assignment="centroid", random_state=0)
    run = {
        "fit": lambda: fresh.fit(docs, embeddings=bad),
        "fit_transform": lambda: fresh.fit_transform(docs, embeddings=bad),
        "partial_fit_new": lambda: fresh.partial_fit(docs, embeddings=bad),
        "transform": lambda: m.transform(docs, embeddings=bad),
        "similarities": lambda: m.similarities(docs, embeddings=bad),
        "partial_fit": lambda: m.partial_fit(docs, embeddings=bad),
        "reduce_topics": lambda: m.reduce_topics(docs, 2, embeddings=bad),
        "report": lambda: m.report(tmp_path / "r.html", docs=docs[:-1] + ["another"], embeddings=bad),
    }[entry]
    with pytest.raises(InputError, match="finite"):
        run()


def test_set_params_n_topics_then_fit(corpus):
    docs, E = corpus
    m = TopicModel(n_topics=3, reduction="pca", clustering="kmeans", random_state=0)
    assert m.set_params(n_topics=2) is m
    assert m.fit(docs, embeddings=E).n_topics_ == 2
    m.set_params(n_topics=np.int64(4))
    assert m.fit(docs, embeddings=E).n_topics_ == 4
    with pytest.raises(InputError, match="n_topics"):
        m.set_params(n_topics=0).fit(docs, embeddings=E)


def test_topic_model_follows_the_estimator_contract(corpus):
    """What check_estimator cannot feed a text estimator: fit returns self and leaves the parameters alone,
    clone, refit determinism, batch independence, pickle and deepcopy of a fitted model."""
    import copy
    import pickle

    from sklearn.base import clone

    docs, E = corpus
    m = TopicModel(n_topics=3, reduction="pca", clustering="kmeans", random_state=0)
    before = m.get_params()
    assert m.fit(docs, embeddings=E) is m
    assert m.get_params() == before
    twin = clone(m)
    assert twin.get_params() == before and not hasattr(twin, "labels_")
    assert np.array_equal(twin.fit(docs, embeddings=E).labels_, m.labels_)  # the same seed, the same topics
    full = m.transform(docs, embeddings=E)
    assert np.array_equal(full, m.labels_)
    assert np.array_equal(m.transform(docs[::-1], embeddings=E[::-1]), full[::-1])
    assert [int(m.transform([d], embeddings=E[i:i + 1])[0]) for i, d in enumerate(docs[:8])] == full[:8].tolist()
    for other in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert np.array_equal(other.transform(docs, embeddings=E), full)


def test_cli_outputs_naming_a_folder_are_input_errors_with_force(tmp_path):
    from typer.testing import CliRunner

    from textmine.cli import app
    from textmine.io import sample_corpus_path

    folder = tmp_path / "kw.jsonl"
    folder.mkdir()
    (tmp_path / "r.html").mkdir()
    for args in (["keywords", str(sample_corpus_path()), "--output", str(folder), "--force"],
                 ["topics", str(sample_corpus_path()), "--report", str(tmp_path / "r.html"), "--force"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code != 0 and isinstance(result.exception, (SystemExit, type(None))), result.exception
        assert "folder" in result.output + (result.stderr or "")
    assert folder.is_dir()


def test_cli_json_outputs_are_written_atomically_with_the_umask(tmp_path, monkeypatch):
    import tempfile

    from textmine.cli.common import write_json

    old = os.umask(0o022)
    try:
        write_json({"a": 1}, tmp_path / "s.json", force=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "s.json").stat().st_mode) == 0o644
    monkeypatch.setattr(tempfile, "mkstemp", _denied)
    with pytest.raises(InputError, match="Permission denied"):
        write_json({"a": 2}, tmp_path / "s.json", force=True)
    assert json.loads((tmp_path / "s.json").read_text()) == {"a": 1}


def test_a_model_that_cannot_be_moved_back_is_an_error_not_a_hang(model, tmp_path, monkeypatch):
    target = tmp_path / "m"
    model.save(target)
    target.rename(tmp_path / f".m.textmine-old-{_dead_pid()}-xyz")
    monkeypatch.setattr(os, "rename", _denied)  # failure injection: the folder may not be renamed
    with pytest.raises(PersistenceError, match="Permission denied"):
        TopicModel.load(target)


def test_to_bertopic_of_a_model_on_precomputed_embeddings_demands_them(precomputed):
    pytest.importorskip("bertopic")
    model, docs, P = precomputed
    with pytest.raises(InputError, match="precomputed embeddings.*embedding_model"):
        model.to_bertopic(docs)
