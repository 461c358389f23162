"""GGUF metadata reader: the two packaged GGUFs, hand-written files, corrupt files."""

from __future__ import annotations

import os
import struct

import pytest

from textmine.errors import ModelLoadError, ModelNotFoundError
from textmine.llm import read_gguf_metadata, resolve_model_path


@pytest.fixture(scope="module")
def smollm2_path():
    return resolve_model_path("smollm2-135m")


@pytest.fixture(scope="module")
def gemma_path():
    return resolve_model_path("gemma3-270m")


def test_smollm2_metadata(smollm2_path):
    meta = read_gguf_metadata(smollm2_path)
    assert meta["general.architecture"] == "llama"
    assert meta["architecture"] == "llama"
    assert meta["context_length"] == 8192 == meta["llama.context_length"]
    assert meta["bos_token_id"] == 1 and meta["eos_token_id"] == 2
    assert meta["vocab_size"] == 49152
    assert meta["tokenizer.ggml.model"] == "gpt2"
    tmpl = meta["chat_template"]
    assert "<|im_start|>" in tmpl and "add_generation_prompt" in tmpl
    assert meta["gguf.version"] == 3 and meta["gguf.tensor_count"] > 100
    tokens = meta["tokenizer.ggml.tokens"]
    assert tokens.count == 49152 and tokens.truncated and tokens[:3] == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def test_gemma_metadata(gemma_path):
    meta = read_gguf_metadata(gemma_path)
    assert meta["general.architecture"] == "gemma3"
    assert meta["general.name"] == "Gemma 3 270m"
    assert meta["context_length"] == 32768
    assert meta["chat_template"] is None  # base model: few-shot completion prompts
    assert meta["bos_token_id"] == 2 and meta["eos_token_id"] == 1
    assert meta["vocab_size"] == 262144
    assert meta["file_size"] == os.path.getsize(gemma_path)


def test_full_arrays_on_request(smollm2_path):
    meta = read_gguf_metadata(smollm2_path, max_array=None)
    assert len(meta["tokenizer.ggml.tokens"]) == 49152
    assert not meta["tokenizer.ggml.tokens"].truncated


def _s(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _write_gguf(path, kv: list[tuple[str, int, bytes]], n_tensors: int = 0) -> None:
    body = b"GGUF" + struct.pack("<IQQ", 3, n_tensors, len(kv))
    for key, vtype, payload in kv:
        body += _s(key) + struct.pack("<I", vtype) + payload
    path.write_bytes(body)


def test_handwritten_gguf_all_types(tmp_path):
    p = tmp_path / "tiny.gguf"
    kv = [
        ("general.architecture", 8, _s("llama")),
        ("general.name", 8, _s("tiny ü")),
        ("llama.context_length", 4, struct.pack("<I", 1234)),
        ("a.u8", 0, struct.pack("<B", 7)),
        ("a.i8", 1, struct.pack("<b", -7)),
        ("a.u16", 2, struct.pack("<H", 700)),
        ("a.i16", 3, struct.pack("<h", -700)),
        ("a.i32", 5, struct.pack("<i", -70000)),
        ("a.f32", 6, struct.pack("<f", 0.5)),
        ("a.bool", 7, struct.pack("<?", True)),
        ("a.u64", 10, struct.pack("<Q", 2**40)),
        ("a.i64", 11, struct.pack("<q", -(2**40))),
        ("a.f64", 12, struct.pack("<d", 0.25)),
        ("a.arr", 9, struct.pack("<IQ", 5, 3) + struct.pack("<3i", 1, 2, 3)),
        ("a.strs", 9, struct.pack("<IQ", 8, 2) + _s("x") + _s("yz")),
        ("tokenizer.chat_template", 8, _s("{{ messages }}")),
    ]
    _write_gguf(p, kv)
    meta = read_gguf_metadata(p)
    assert meta["general.name"] == "tiny ü"
    assert meta["context_length"] == 1234
    assert (meta["a.u8"], meta["a.i8"], meta["a.u16"], meta["a.i16"], meta["a.i32"]) == (7, -7, 700, -700, -70000)
    assert meta["a.f32"] == 0.5 and meta["a.f64"] == 0.25 and meta["a.bool"] is True
    assert meta["a.u64"] == 2**40 and meta["a.i64"] == -(2**40)
    assert meta["a.arr"] == [1, 2, 3] and meta["a.strs"] == ["x", "yz"]
    assert meta["chat_template"] == "{{ messages }}"


def test_truncated_copies_of_real_gguf(tmp_path, smollm2_path):
    data = smollm2_path.read_bytes()
    for cut in (10, 30, 5_000, 500_000, len(data) // 2, len(data) - 1000):
        p = tmp_path / f"cut{cut}.gguf"
        p.write_bytes(data[:cut])
        with pytest.raises(ModelLoadError, match="GGUF|truncated"):
            read_gguf_metadata(p)


def test_random_bytes_and_other_files(tmp_path):
    p = tmp_path / "random.gguf"
    p.write_bytes(os.urandom(4096))
    with pytest.raises(ModelLoadError, match="not a GGUF file"):
        read_gguf_metadata(p)
    txt = tmp_path / "model.gguf"
    txt.write_text("this is a text file, not a model\n" * 10)
    with pytest.raises(ModelLoadError, match="magic"):
        read_gguf_metadata(txt)
    with pytest.raises(ModelLoadError):
        read_gguf_metadata(tmp_path)  # a folder


def test_corrupt_header_after_valid_magic(tmp_path):
    p = tmp_path / "bad.gguf"
    # magic + version 3 + 0 tensors + 1 kv whose key claims 2**40 bytes
    p.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**40) + b"x" * 64)
    with pytest.raises(ModelLoadError, match="claims"):
        read_gguf_metadata(p)
    p.write_bytes(b"GGUF" + struct.pack("<IQQ", 99, 0, 0) + b"\0" * 16)
    with pytest.raises(ModelLoadError, match="version"):
        read_gguf_metadata(p)
    _write_gguf(p, [("k", 77, b"\0" * 8)])
    with pytest.raises(ModelLoadError, match="unknown value type"):
        read_gguf_metadata(p)


def test_missing_file(tmp_path):
    with pytest.raises(ModelNotFoundError):
        read_gguf_metadata(tmp_path / "nope.gguf")
