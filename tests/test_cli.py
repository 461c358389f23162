"""The ``textmine`` command line, driven through its real entry point on the packaged models.

Most tests run in one process through typer's CliRunner (models load once); one test runs
the installed ``textmine`` script as a true subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import read_jsonl
from textmine.cli import app, main
from textmine.io import load_sample_corpus

RUNNER = CliRunner()
THEMES = ("space", "football", "finance")


def run(*args: str, input: str | None = None, ok: bool = True):
    """Invoke the CLI in-process; with ``ok`` assert exit code 0 (showing the output otherwise)."""
    result = RUNNER.invoke(app, [str(a) for a in args], input=input)
    if ok:
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def table_rows(stdout: str, header_first: str) -> list[list[str]]:
    """Rows of the plain (non-TTY) table whose header starts with ``header_first``."""
    lines = stdout.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.split("\t")[0] == header_first)
    rows = []
    for ln in lines[start + 1 :]:
        if not ln or ln.startswith("#"):
            break
        rows.append(ln.split("\t"))
    return rows


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    """Small real inputs: 24 sample documents on three themes as .jsonl, .txt and .csv."""
    d = tmp_path_factory.mktemp("cli-data")
    c = load_sample_corpus()
    keep = [i for i, lab in enumerate(c.labels) if lab in THEMES][:24]
    with (d / "docs.jsonl").open("w", encoding="utf-8") as fh:
        for i in keep:
            fh.write(json.dumps({"id": c.ids[i], "text": c.texts[i], "label": c.labels[i]}) + "\n")
    (d / "docs.txt").write_text("\n".join(c.texts[i] for i in keep[:6]) + "\n", encoding="utf-8")
    (d / "docs.csv").write_text(
        "id,text\n" + "".join(f'{c.ids[i]},"{c.texts[i]}"\n' for i in keep[:4]), encoding="utf-8"
    )
    return d


@pytest.fixture(scope="module")
def fitted(corpus_dir, tmp_path_factory):
    """`textmine topics` once (no LLM): saved model, report, assignments."""
    out = tmp_path_factory.mktemp("cli-topics")
    res = run(
        "topics", corpus_dir / "docs.jsonl", "--n-topics", "3", "--no-label", "--seed", "42",
        "--save", out / "model", "--report", out / "report.html", "--output", out / "topics.jsonl",
    )
    return {"dir": out, "result": res}


# --------------------------------------------------------------------------- true subprocess


def test_installed_entry_point_subprocess(tmp_path, corpus_dir):
    exe = shutil.which("textmine", path=str(Path(sys.executable).parent)) or shutil.which("textmine")
    if exe is None:
        pytest.skip("the textmine script is not installed (pip install -e .)")
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    v = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert v.returncode == 0 and v.stdout.startswith("textmine ")
    bad = subprocess.run([exe, "no-such-command"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "No such command" in bad.stderr
    missing = subprocess.run([exe, "keywords", str(tmp_path / "nope.txt")], capture_output=True, text=True,
                             env=env, timeout=60)
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "input not found" in missing.stderr
    assert "Traceback" not in missing.stderr
    # a real run: keywords of a .txt read from stdin, table on stdout, no progress noise with --quiet
    text = (corpus_dir / "docs.txt").read_text(encoding="utf-8")
    cache = tmp_path / "my-cache"
    kw = subprocess.run([exe, "keywords", "-", "--top-n", "3", "--quiet", "--cache-dir", str(cache)], input=text,
                        capture_output=True, text=True, env=env, timeout=300)
    assert kw.returncode == 0, kw.stderr
    rows = table_rows(kw.stdout, "id")
    assert len(rows) == 6 and all(len(r[1].split(", ")) == 3 for r in rows)
    assert kw.stderr.strip() == "", kw.stderr
    assert any(p.is_file() for p in cache.rglob("*")), "--cache-dir: no embedding cache written there"
    # the reader stops early (`| head`): a quiet exit, not a BrokenPipeError
    proc = subprocess.Popen([exe, "keywords", "-", "--top-n", "3", "--quiet", "--cache-dir", str(cache)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()
    _, err = proc.communicate(text.encode("utf-8"), timeout=300)
    assert proc.returncode == 0 and b"BrokenPipe" not in err and err.strip() == b"", err
    # python -m textmine is the same command
    m = subprocess.run([sys.executable, "-m", "textmine", "--version"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert m.returncode == 0 and m.stdout.startswith("textmine ")


def test_main_returns_exit_codes(capsys):
    assert main(["--version"]) == 0
    assert main(["keywords"]) == 2  # missing INPUT
    assert main(["topics", "x.jsonl", "--n-topics", "many"]) == 2


# --------------------------------------------------------------------------- keywords


def test_keywords_table_jsonl_csv_and_no_overwrite(corpus_dir, tmp_path):
    res = run("keywords", corpus_dir / "docs.jsonl", "--top-n", "4", "--quiet")
    rows = table_rows(res.stdout, "id")
    assert [r[0] for r in rows][:3] == ["s01", "s03", "s04"]
    assert len(rows) == 24 and all(1 <= len(r[1].split(", ")) <= 4 for r in rows)
    first = rows[0][1].lower()
    assert any(w in first for w in ("telescope", "galaxy", "infrared")), first
    assert res.stderr == ""  # --quiet

    out = tmp_path / "kw.jsonl"
    run("keywords", corpus_dir / "docs.jsonl", "--top-n", "4", "--output", out)
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in recs] == [r[0] for r in rows]
    assert [", ".join(r["keywords"]) for r in recs] == [r[1] for r in rows]
    assert all(r["scores"] == sorted(r["scores"], reverse=True) or len(r["scores"]) < 2 for r in recs)

    before = out.read_bytes()
    again = run("keywords", corpus_dir / "docs.txt", "--output", out, ok=False)
    assert again.exit_code == 2 and "already exists" in again.stderr and "--force" in again.stderr
    assert out.read_bytes() == before
    run("keywords", corpus_dir / "docs.txt", "--output", out, "--force", "--top-n", "2")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6

    csv_out = tmp_path / "kw.csv"
    run("keywords", corpus_dir / "docs.csv", "--output", csv_out, "--top-n", "3")
    lines = csv_out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,keywords,scores" and len(lines) == 5


def test_keywords_stdin_and_folder(corpus_dir, tmp_path):
    res = run("keywords", "-", "--top-n", "2", "--quiet",
              input="Solar panels convert sunlight into electricity on rooftops.\n")
    rows = table_rows(res.stdout, "id")
    assert rows[0][0] == "<stdin>:1" and "solar" in rows[0][1].lower()
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# Bread\nKnead the sourdough and bake the loaf in a hot oven.", encoding="utf-8")
    (folder / "b.txt").write_text("The goalkeeper saved a penalty in the final minute.", encoding="utf-8")
    rows = table_rows(run("keywords", folder, "-n", "3", "-q").stdout, "id")
    assert [r[0] for r in rows] == ["a.md", "b.txt"]


@pytest.mark.parametrize("method", ["llm", "hybrid"])
def test_keywords_llm_and_hybrid_methods(tmp_path, method):
    docs = tmp_path / "two.txt"
    docs.write_text(
        "Support vector machines classify text documents using bag-of-words features.\n"
        "The central bank raised interest rates to fight inflation.\n",
        encoding="utf-8",
    )
    if True:
        res = run("keywords", docs, "--method", method, "--top-n", "3", "--quiet")
        rows = table_rows(res.stdout, "id")
        assert len(rows) == 2, res.stdout
        assert rows[0][1], f"{method}: no keywords for the first document"
        assert all(len(r[1].split(", ")) <= 3 for r in rows)
        # grounded: every keyword occurs in its document (LLM and hybrid ground their output)
        texts = docs.read_text(encoding="utf-8").lower().splitlines()
        for r, text in zip(rows, texts):
            for kw in filter(None, r[1].split(", ")):
                assert kw.lower() in text, (method, kw)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["keywords", "{missing}"], 2, "input not found"),
        (["keywords", "{bad_json}"], 2, "line 2: invalid JSON"),
        (["keywords", "{jsonl}", "--field", "body"], 2, "no field 'body'"),
        (["keywords", "{jsonl}", "--method", "magic"], 2, "Invalid value for '--method'"),
        (["keywords", "{jsonl}", "--top-n", "0"], 2, "--top-n"),
        (["keywords", "{jsonl}", "--output", "{dir}/out.docx"], 2, "output format"),
        (["keywords", "{jsonl}", "--format", "docx"], 2, "unknown input format"),
        (["topics", "{jsonl}", "--n-topics", "one"], 2, "expected 'auto' or a whole number"),
        (["topics", "{jsonl}", "--seed", "-1"], 2, "--seed"),
        (["topics", "{jsonl}", "--report", "{dir}/r.pdf"], 2, "use a .html name"),
        (["topics", "{jsonl}", "--n-topics", "500", "--no-label"], 2, "n_topics=500"),
        (["transform", "{dir}/no-model", "{jsonl}"], 2, "model folder not found"),
        (["keywords", "{jsonl}", "--method", "llm", "--llm", "{dir}/missing.gguf"], 1, "missing.gguf"),
        (["keywords", "{jsonl}", "--embedding-model", "{dir}/no-such-model"], 1, "no-such-model"),
    ],
)
def test_errors_are_one_line_with_exit_codes(corpus_dir, tmp_path, args, code, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": oops}\n', encoding="utf-8")
    subst = {"{missing}": str(tmp_path / "missing.txt"), "{bad_json}": str(bad),
             "{jsonl}": str(corpus_dir / "docs.jsonl"), "{dir}": str(tmp_path)}
    argv = []
    for a in args:
        for k, v in subst.items():
            a = a.replace(k, v)
        argv.append(a)
    res = run(*argv, ok=False)
    assert res.exit_code == code, (res.exit_code, res.stdout, res.stderr)
    assert message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    if code == 1 or "error:" in res.stderr:
        err_lines = [ln for ln in res.stderr.splitlines() if ln.startswith("textmine: error")]
        assert len(err_lines) == 1


def test_debug_shows_the_traceback(tmp_path):
    res = RUNNER.invoke(app, ["keywords", str(tmp_path / "missing.txt"), "--debug"])
    assert res.exit_code != 0
    from textmine.errors import InputError

    assert isinstance(res.exception, InputError)


# --------------------------------------------------------------------------- topics, label, transform


def test_topics_fit_save_report_output(fitted, corpus_dir):
    d = fitted["dir"]
    res = fitted["result"]
    all_rows = table_rows(res.stdout, "topic")
    rows = [r for r in all_rows if r[0] != "-1"]
    assert len(rows) == 3 and sum(int(r[1]) for r in all_rows) == 24  # outliers get a row of their own
    metrics = dict(table_rows(res.stdout, "metric"))
    assert float(metrics["nmi"]) > 0.8, metrics  # three clearly different themes
    assert (d / "model").is_dir() and any((d / "model").iterdir())
    html = (d / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Plotly.newPlot" in html
    assigned = [json.loads(x) for x in (d / "topics.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(assigned) == 24 and {a["topic"] for a in assigned} <= {-1, 0, 1, 2}

    # never overwrite without --force: model folder, report, output
    snapshot = sorted((p.name, p.stat().st_mtime_ns) for p in (d / "model").iterdir())
    for extra in (["--save", d / "model"], ["--report", d / "report.html"], ["--output", d / "topics.jsonl"]):
        again = run("topics", corpus_dir / "docs.jsonl", "--n-topics", "3", "--no-label", *extra, ok=False)
        assert again.exit_code == 2 and "already exists" in again.stderr, again.stderr
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (d / "model").iterdir()) == snapshot
    # --force replaces a saved model, never a folder of other files (checked before any model work)
    foreign = d / "userdata"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("precious")
    for extra in ([], ["--force"]):
        again = run("topics", corpus_dir / "docs.jsonl", "--no-label", "--save", foreign, *extra, ok=False)
        assert again.exit_code == 2 and "not a saved textmine model" in again.stderr, again.stderr
        assert "fitting" not in again.stderr
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"] and (foreign / "notes.txt").read_text() == "precious"


def test_missing_parquet_support_and_non_models_fail_before_any_work(fitted, corpus_dir, tmp_path):
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        res = run("topics", corpus_dir / "docs.jsonl", "--no-label", "-o", tmp_path / "t.parquet",
                  "--save", tmp_path / "m", ok=False)
        assert res.exit_code == 1 and "pyarrow" in res.stderr and "fitting" not in res.stderr, res.stderr
        assert not (tmp_path / "m").exists()
    (tmp_path / "notamodel").mkdir()
    (tmp_path / "notamodel" / "a.txt").write_text("x")
    res = run("transform", tmp_path / "notamodel", corpus_dir / "docs.jsonl", ok=False)
    assert res.exit_code == 2 and "not a model folder" in res.stderr
    broken = tmp_path / "broken"
    shutil.copytree(fitted["dir"] / "model", broken)
    (broken / "config.json").write_text("{}")
    res = run("transform", broken, corpus_dir / "docs.jsonl", ok=False)
    assert res.exit_code == 2 and "checksum" in res.stderr, res.stderr


def test_transform_matches_fit_assignments(fitted, corpus_dir, tmp_path):
    d = fitted["dir"]
    out = tmp_path / "assign.csv"
    run("transform", d / "model", corpus_dir / "docs.jsonl", "--output", out, "--quiet")
    import csv

    got = {r["id"]: int(r["topic"]) for r in csv.DictReader(out.open(encoding="utf-8", newline=""))}
    fit = {a["id"]: a["topic"] for a in map(json.loads, (d / "topics.jsonl").read_text().splitlines())}
    assert got == fit
    table = run("transform", d / "model", "-", "-q", input="A rocket carried the satellite into orbit.\n").stdout
    rows = table_rows(table, "id")
    space_topic = fit["s01"]
    assert int(rows[0][1]) == space_topic


def test_label_saved_model_with_the_llm(fitted, tmp_path):
    src = fitted["dir"] / "model"
    copy = tmp_path / "labelled"
    res = run("label", src, "--save", copy)
    rows = [r for r in table_rows(res.stdout, "topic") if r[0] != "-1"]
    assert len(rows) == 3 and all(r[2].strip() for r in rows), res.stdout  # every topic got an LLM label
    from textmine import TopicModel

    assert [t.label for t in TopicModel.load(copy).topics_] == [r[2] for r in sorted(rows, key=lambda r: int(r[0]))]
    assert all(t.label is None for t in TopicModel.load(src).topics_)  # the source was not touched
    again = run("label", src, "--save", copy, ok=False)
    assert again.exit_code == 2 and "already exists" in again.stderr
    # in place (the command's purpose): MODEL_DIR is updated
    run("label", copy, "--quiet")
    assert all(t.label for t in TopicModel.load(copy).topics_)
    # ... unless the user put other files in it: they would be lost (refused before the LLM runs)
    (copy / "notes.txt").write_text("mine")
    again = run("label", copy, "--quiet", ok=False)
    assert again.exit_code == 2 and "other files (notes.txt)" in again.stderr and "loading LLM" not in again.stderr
    assert (copy / "notes.txt").read_text() == "mine"


# --------------------------------------------------------------------------- evaluate, models


def test_evaluate_keywords_extracting_and_from_predictions(tmp_path):
    rows = read_jsonl("keyphrase/semeval2017_dev.jsonl", limit=5)
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": r["id"], "text": r["text"], "keyphrases": r["keyphrases"]}) + "\n"
                            for r in rows), encoding="utf-8")
    res = run("evaluate", "keywords", gold, "--k", "5,10", "--output", tmp_path / "scores.json", "--quiet")
    metrics = dict(table_rows(res.stdout, "metric"))
    assert {"F1@5", "F1@10"} <= set(metrics), metrics
    assert 0.0 < float(metrics["F1@10"]) < 1.0
    preds = tmp_path / "pred.jsonl"
    run("keywords", gold, "--top-n", "10", "--output", preds, "--quiet")
    res2 = run("evaluate", "keywords", gold, "--predictions", preds, "--k", "5,10", "--quiet")
    assert dict(table_rows(res2.stdout, "metric")) == metrics  # same extractor, same numbers
    saved = json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))
    assert saved["n_docs"] == 5 and saved["scores"]["F1@10"] == pytest.approx(float(metrics["F1@10"]), abs=1e-4)
    bad = run("evaluate", "keywords", gold, "--k", "0", ok=False)
    assert bad.exit_code == 2


def test_evaluate_topics_with_saved_model(fitted, corpus_dir):
    res = run("evaluate", "topics", corpus_dir / "docs.jsonl", "--model", fitted["dir"] / "model", "--quiet")
    metrics = dict(table_rows(res.stdout, "metric"))
    fit_metrics = dict(table_rows(fitted["result"].stdout, "metric"))
    assert metrics["nmi"] == fit_metrics["nmi"] and metrics["ari"] == fit_metrics["ari"]
    nolabel = corpus_dir / "nolabel.txt"
    nolabel.write_text("just text\n", encoding="utf-8")
    res = run("evaluate", "topics", nolabel, ok=False)
    assert res.exit_code == 2 and "gold 'label'" in res.stderr


def test_models_lists_the_packaged_models():
    res = run("models")
    assert "all-MiniLM-L6-v2" in res.stdout and "gemma3-270m" in res.stdout and "mistral-7b-instruct" in res.stdout
    data = json.loads(run("models", "--json").stdout)
    emb = data["embedding_models"][0]
    assert emb["installed"] and Path(emb["path"], "config.json").is_file()
    gemma = next(m for m in data["llms"] if m["name"].startswith("gemma3-270m"))
    assert gemma["installed"]
    mistral = next(m for m in data["llms"] if m["name"].startswith("mistral-7b-instruct"))
    assert mistral["installed"] or "TEXTMINE_MISTRAL_GGUF" in mistral["hint"]


def test_help_lists_every_command():
    out = run("--help").stdout
    for cmd in ("keywords", "topics", "label", "transform", "evaluate", "models", "demo"):
        assert cmd in out
    assert "--force" in run("topics", "--help").stdout


def test_demo_shows_real_keywords_and_llm_labels(tmp_path):
    report = tmp_path / "demo.html"
    res = run("demo", "--report", report)
    kw_rows = table_rows(res.stdout, "id")
    # top 5, fewer when a short document has fewer phrases with a positive score (no padding with unrelated ones)
    assert len(kw_rows) == 5 and all(3 <= len(r[2].split(", ")) <= 5 for r in kw_rows), res.stdout
    assert "galaxy" in kw_rows[0][2] or "telescope" in kw_rows[0][2]
    topics = table_rows(res.stdout, "topic")
    assert len(topics) == 5, res.stdout  # the five themes of the sample corpus
    assert sorted(r[4] for r in topics) == ["cooking", "finance", "football", "music", "space"]
    for r in topics:
        label, words = r[2], r[3]
        assert label.strip() and label != words, r  # a real LLM label, not the word list
    metrics = dict(table_rows(res.stdout, "metric"))
    assert float(metrics["nmi"]) > 0.9
    from textmine.llm import load_llm

    assert f"labelled by {load_llm('default', task='labels').model_id}" in res.stdout
    assert report.is_file() and "textmine demo" in report.read_text(encoding="utf-8")
    assert run("demo", "--report", report, ok=False).exit_code == 2  # no overwrite without --force
