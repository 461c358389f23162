"""ONNX Runtime embedding backend: same vectors as torch (fp32), close ones (int8), real model and data."""

from __future__ import annotations

import numpy as np
import pytest

from textmine.embed import SentenceTransformerEmbedder, get_embedder
from textmine.errors import InputError, ModelLoadError

from conftest import read_jsonl

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def texts():
    rows = read_jsonl("topic/20newsgroups.jsonl", limit=120)
    return [r["text"] for r in rows if r["text"].strip()][:60] + ["x", "Long " * 600]


def test_onnx_fp32_matches_torch(embedder, texts):
    a = embedder.encode(texts)
    b = get_embedder("default", cache=False, backend="onnx").encode(texts)
    assert b.shape == a.shape and b.dtype == np.float32
    assert np.abs(a - b).max() < 1e-4
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)


def test_onnx_int8_is_close_to_torch(embedder, texts):
    a = embedder.encode(texts)
    c = get_embedder("default", cache=False, backend="onnx-int8").encode(texts)
    cos = (a * c).sum(axis=1)
    assert cos.mean() > 0.98 and cos.min() > 0.9
    # the right neighbours stay the right neighbours
    top_a = (a @ a.T).argsort(axis=1)[:, -2]
    top_c = (c @ c.T).argsort(axis=1)[:, -2]
    assert (top_a == top_c).mean() > 0.8


def test_onnx_respects_max_seq_length(texts):
    short = get_embedder("default", cache=False, backend="onnx", max_seq_length=16).encode(texts[:5])
    torch_short = get_embedder("default", cache=False, max_seq_length=16).encode(texts[:5])
    assert np.abs(short - torch_short).max() < 1e-4


def test_backends_have_their_own_cache_ids():
    ids = {SentenceTransformerEmbedder("default", cache=False, backend=b).model_id for b in ("torch", "onnx", "onnx-int8")}
    assert len(ids) == 3


def test_bad_backend_and_length_are_typed_errors():
    with pytest.raises(InputError, match="backend"):
        SentenceTransformerEmbedder("default", backend="tensorrt")
    with pytest.raises(InputError, match="max_seq_length"):
        SentenceTransformerEmbedder("default", max_seq_length=0)


def test_damaged_export_is_rebuilt(tmp_path, monkeypatch, texts):
    monkeypatch.setenv("TEXTMINE_CACHE_DIR", str(tmp_path))
    emb = SentenceTransformerEmbedder("default", cache=False, backend="onnx")
    ref = emb.encode(texts[:3])
    exported = list(tmp_path.glob("onnx/*/model.onnx"))
    assert len(exported) == 1
    exported[0].write_bytes(b"not an onnx file")
    again = SentenceTransformerEmbedder("default", cache=False, backend="onnx").encode(texts[:3])
    assert np.abs(ref - again).max() < 1e-6


def test_unsupported_architecture_is_a_model_load_error(embedder):
    from textmine.embed_onnx import _check_architecture

    class Odd:
        def __iter__(self):
            return iter([object(), object()])

    with pytest.raises(ModelLoadError, match="torch"):
        _check_architecture(Odd())
    _check_architecture(embedder.model)  # MiniLM passes


def test_backend_suffix_in_the_model_name_round_trips(tmp_path, texts):
    from textmine import TopicModel

    emb = get_embedder("default+onnx-int8", cache=False)
    assert emb.backend == "onnx-int8" and emb.model_id.endswith("+onnx-int8")
    assert get_embedder("default+onnx", cache=False).backend == "onnx"
    docs = texts[:40]
    tm = TopicModel(n_topics=2, reduction="none", embedding_model="default+onnx-int8", random_state=0).fit(docs)
    tm.save(tmp_path / "m")
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.embedding_model == "default+onnx-int8"
    assert np.array_equal(loaded.transform(docs), tm.labels_)
    # an embedder object (not saved) built from the packaged model comes back as the same backend
    obj = TopicModel(n_topics=2, reduction="none", embedding_model=emb, random_state=0).fit(docs)
    obj.save(tmp_path / "obj")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "defaults are used" warning
        back = TopicModel.load(tmp_path / "obj")
    assert back.embedding_model == "default+onnx-int8" and back.unsaved_params_ == []
    assert np.array_equal(back.transform(docs), obj.labels_)
