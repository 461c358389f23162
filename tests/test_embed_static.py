"""The static embedding model distilled from the packaged MiniLM ("minilm-static", textmine.embed_static).

The distillation runs once per machine into textmine's models folder (~2-2.5 min on a loaded 2-core
CPU: 29.5k three-token sequences through MiniLM); later sessions find it there and load it in < 1 s.
"""

from __future__ import annotations

import json
import pickle
import shutil
import sys

import numpy as np
import pytest

from conftest import read_jsonl
from textmine import KeywordExtractor, TopicModel
from textmine.embed import get_embedder
from textmine.errors import DependencyError, InputError

pytest.importorskip("model2vec")

from textmine import embed_static  # noqa: E402


@pytest.fixture(scope="session")
def static_folder():
    """The distilled model in the machine's models folder (built here on first use)."""
    return embed_static.ensure_static_model()


@pytest.fixture(scope="session")
def static(static_folder):
    return get_embedder("minilm-static")


def test_the_folder_is_a_checked_model2vec_model(static_folder):
    info = json.loads((static_folder.parent / (static_folder.name + ".ok")).read_text())
    assert info["version"] == embed_static.VERSION and len(info["sha256"]) == 64
    assert (static_folder / "model.safetensors").stat().st_size == info["size"]
    from model2vec import StaticModel

    model = StaticModel.from_pretrained(static_folder)  # a plain model2vec folder: usable without textmine
    assert model.dim == 256 and len(model.tokens) == 30522


def test_encode_gives_unit_vectors_that_keep_meaning(static):
    X = static.encode(["the cat sat on the mat", "a kitten is sitting on a rug",
                       "stock markets fell sharply today", "shares dropped on wall street", ""])
    assert X.shape == (5, 256) and X.dtype == np.float32
    assert np.allclose(np.linalg.norm(X[:4], axis=1), 1.0, atol=1e-5)
    assert not X[4].any()  # a blank text has no word pieces: the zero vector, not NaN
    S = X @ X.T
    assert S[0, 1] > S[0, 2] + 0.2 and S[2, 3] > S[1, 3] + 0.2
    # a document's vector does not depend on the other texts of the call
    assert np.allclose(static.encode(["stock markets fell sharply today"])[0], X[2], atol=1e-6)


def test_nearest_neighbours_share_the_newsgroup(static, embedder):
    rows = [r for r in read_jsonl("topic/20newsgroups.jsonl") if len(r["text"].split()) > 30][::40]
    texts, labels = [r["text"] for r in rows], np.array([r["label"] for r in rows])

    def nn_accuracy(X):
        S = X @ X.T
        np.fill_diagonal(S, -np.inf)
        return float((labels[S.argmax(axis=1)] == labels).mean())

    # 385 documents of 20 newsgroups: chance is ~0.05; measured 0.37 (static) and 0.53 (MiniLM)
    static_acc = nn_accuracy(static.encode(texts))
    assert 0.25 < static_acc < nn_accuracy(embedder.encode(texts))


def test_pickled_as_its_settings(static):
    blob = pickle.dumps(static)
    assert len(blob) < 1000  # the 15 MB table is not in it: a dask worker loads it from disk once
    again = pickle.loads(blob)
    assert np.array_equal(again.encode(["a pickled embedder"]), static.encode(["a pickled embedder"]))


def test_a_damaged_table_is_rebuilt_not_used(static_folder, tmp_path, monkeypatch):
    copy = embed_static.static_model_dir(tmp_path)
    shutil.copytree(static_folder, copy)
    shutil.copy(static_folder.parent / (static_folder.name + ".ok"), tmp_path / (copy.name + ".ok"))
    assert embed_static._valid(copy)
    with open(copy / "model.safetensors", "r+b") as fh:  # same size, other bytes
        fh.seek(4096)
        fh.write(b"\xff" * 64)
    assert not embed_static._valid(copy)
    built = []
    monkeypatch.setattr(embed_static, "_build", lambda folder: built.append(folder))  # failure injection
    embed_static.ensure_static_model(tmp_path)
    assert built == [copy]


def test_settings_and_missing_dependency_are_typed_errors(monkeypatch):
    with pytest.raises(InputError, match="no settings"):
        get_embedder("minilm-static", batch_size=8)
    monkeypatch.setitem(sys.modules, "model2vec", None)
    with pytest.raises(DependencyError, match=r"textmine\[static\]"):
        embed_static.StaticEmbedder()


def test_topic_model_uses_it_with_its_calibrated_merge_threshold(static, tmp_path):
    from textmine.topics.embedding import merge_threshold_of

    rows = [r for r in read_jsonl("topic/20newsgroups.jsonl") if r["text"].strip()][::30]  # ~600, 20 groups
    docs = [r["text"] for r in rows]
    tm = TopicModel(embedding_model="minilm-static", random_state=42)
    assert merge_threshold_of(tm) == pytest.approx(0.9607)
    tm.fit(docs)
    assert tm.embedding_model_id_ == "textmine/all-MiniLM-L6-v2-static-v1"
    n_topics = len(tm.topics_)
    assert 3 <= n_topics <= 40  # 0.5 (MiniLM's threshold) would keep every cluster apart in this space
    assert np.array_equal(tm.transform(docs[:50]), TopicModel.load(_saved(tm, tmp_path)).transform(docs[:50]))
    obj = TopicModel(embedding_model=static, random_state=42).fit(docs)  # the object: same model, saved by name
    loaded = TopicModel.load(_saved(obj, tmp_path / "obj"))
    assert loaded.embedding_model == "minilm-static"


def _saved(model, path):
    model.save(path)
    return path


def test_keywords_with_the_static_model():
    doc = read_jsonl("keyphrase/inspec_test.jsonl", limit=1)[0]["text"]
    kws = KeywordExtractor(embedding_model="minilm-static", top_n=5).extract(doc)
    assert len(kws) == 5
