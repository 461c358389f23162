"""Foundation: packaging, import cost, input validation, embedding layer and cache."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import textmine
from textmine._validation import as_documents
from textmine.embed import EmbeddingCache, SentenceTransformerEmbedder, get_embedder
from textmine.errors import (
    EmptyCorpusError,
    InputError,
    ModelLoadError,
    ModelNotFoundError,
    TextmineError,
)
from textmine.models import resolve_embedding_model


def test_import_is_light_and_fast():
    code = (
        "import sys, time; t=time.perf_counter(); import textmine; dt=time.perf_counter()-t; "
        "heavy=[m for m in ('torch','sentence_transformers','llama_cpp','umap','sklearn','bertopic') if m in sys.modules]; "
        "print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    seconds, heavy = out.split(" ", 1)
    assert float(seconds) < 2.0
    assert heavy.strip() == "[]"


def test_keyword_is_a_tuple():
    kw = textmine.Keyword("topic model", 0.5)
    assert tuple(kw) == ("topic model", 0.5)
    assert kw.text == "topic model" and kw.score == 0.5


def test_errors_share_a_base():
    for err in (InputError, EmptyCorpusError, ModelLoadError, ModelNotFoundError):
        assert issubclass(err, TextmineError)
    assert issubclass(InputError, ValueError)
    assert issubclass(ModelNotFoundError, FileNotFoundError)


@pytest.mark.parametrize(
    "docs, message",
    [
        ("a single string", "not a single str"),
        (b"bytes corpus", "not a single bytes"),
        (None, "iterable"),
        (42, "iterable"),
        (["ok", None], "index 1 is None"),
        (["ok", 3.5], "index 1 must be a str"),
        ([b"\xff\xfe bad"], "not valid UTF-8"),
        ({"a": "one text"}, "gives its keys"),
        ({"one text", "another"}, "no order"),
        (np.array([["a", "b"]]), "one-dimensional"),
    ],
)
def test_bad_corpora_raise_input_error(docs, message):
    with pytest.raises(InputError, match=message):
        as_documents(docs)


def test_a_dataframe_is_not_a_corpus():
    """Iterating over a DataFrame gives its column names: an error naming the fix, not 1 'document'."""
    import pandas as pd

    from textmine import KeywordExtractor, TopicModel

    df = pd.DataFrame({"text": ["a rocket reached orbit", "the team won the final"]})
    for call in (lambda: as_documents(df), lambda: KeywordExtractor().transform(df), lambda: TopicModel().fit(df)):
        with pytest.raises(InputError, match=r"DataFrame.*df\['text'\]"):
            call()
    assert as_documents(df["text"]) == list(df["text"])
    assert as_documents({"one text": 1, "another": 2}.keys()) == ["one text", "another"]  # ordered


def test_corpus_normalisation():
    assert as_documents(["a", b"caf\xc3\xa9", "", "   "]) == ["a", "café", "", "   "]
    assert as_documents(("x" for _ in range(2))) == ["x", "x"]
    assert as_documents(np.array(["a", "b"], dtype=object)) == ["a", "b"]
    with pytest.raises(EmptyCorpusError):
        as_documents([])
    assert as_documents([], allow_empty_corpus=True) == []


def test_default_embedding_model_resolves_to_the_package():
    resolved = resolve_embedding_model("default")
    assert resolved.source == "package"
    assert os.path.isfile(os.path.join(resolved.path, "model.safetensors"))
    assert resolve_embedding_model("all-MiniLM-L6-v2") == resolved


def test_unknown_embedding_model_gives_actionable_error(monkeypatch):
    monkeypatch.delenv("TEXTMINE_ALLOW_DOWNLOAD", raising=False)
    with pytest.raises(ModelNotFoundError, match="allow_download=True"):
        resolve_embedding_model("no-such-org/no-such-model-xyz")


def test_folder_that_is_not_a_model(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(ModelNotFoundError, match="not a sentence-transformers model folder"):
        resolve_embedding_model(tmp_path)


def test_corrupt_embedding_model_folder_raises_model_load_error(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    emb = SentenceTransformerEmbedder(tmp_path, cache=False)
    with pytest.raises(ModelLoadError):
        emb.encode(["x"])


def test_embeddings_shape_dtype_normalised(embedder):
    texts = ["Topic models find themes in a corpus.", "", "Keyword extraction finds key phrases.", "x" * 20000]
    X = embedder.encode(texts)
    assert X.shape == (4, 384)
    assert X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    # semantic sanity: the two related sentences are closer to each other than to the long junk doc
    assert X[0] @ X[2] > X[0] @ X[3]
    assert embedder.encode([]).shape == (0, 384)


def test_embedding_rejects_non_strings(embedder):
    with pytest.raises(InputError):
        embedder.encode("just a string")
    with pytest.raises(InputError, match="index 1"):
        embedder.encode(["ok", None])


def test_embedding_cache_hits_and_equality(tmp_path):
    emb = SentenceTransformerEmbedder("default", cache=tmp_path)
    texts = ["alpha beta", "gamma delta", "alpha beta"]
    first = emb.encode(texts)
    assert emb.cache_misses == 2  # duplicates embedded once
    fresh = SentenceTransformerEmbedder("default", cache=tmp_path)
    second = fresh.encode(texts)
    assert fresh.cache_misses == 0 and fresh.cache_hits == 3
    np.testing.assert_array_equal(first, second)
    assert len(fresh.cache) == 2


def test_embedding_cache_survives_corruption(tmp_path):
    db = tmp_path / "embeddings.sqlite"
    db.write_bytes(b"this is not a sqlite database" * 100)
    cache = EmbeddingCache(db, "m", 3)
    cache.put_many({b"k" * 16: np.ones(3, dtype=np.float32)})
    assert set(cache.get_many([b"k" * 16])) == {b"k" * 16}


def test_an_unusable_cache_directory_is_an_input_error(tmp_path):
    """Not writable (or not creatable): a typed error naming the setting; an existing cache is kept."""
    ro = tmp_path / "ro"
    ro.mkdir()
    db = ro / "embeddings.sqlite"
    EmbeddingCache(db, "m", 3).put_many({b"k" * 16: np.ones(3, dtype=np.float32)})
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(InputError, match="cannot create the cache folder.*TEXTMINE_CACHE_DIR"):
        EmbeddingCache(blocker / "sub" / "embeddings.sqlite", "m", 3)
    with pytest.raises(InputError, match="cannot use the cache database"):
        EmbeddingCache(tmp_path, "m", 3)  # a directory where the database file should be
    # the existing cache is kept: compared by content, not bytes (SQLite may checkpoint its WAL into the
    # file whenever the first connection is collected, which changes the bytes but not the data)
    kept = EmbeddingCache(db, "m", 3).get_many([b"k" * 16])
    assert list(kept) == [b"k" * 16] and np.array_equal(kept[b"k" * 16], np.ones(3, dtype=np.float32))
    assert not list(ro.glob("*.corrupt-*"))


def test_get_embedder_memoises_and_accepts_objects(embedder):
    assert get_embedder("default", cache=False) is embedder
    assert get_embedder(embedder) is embedder
    with pytest.raises(InputError):
        get_embedder(12345)


def test_max_seq_length_does_not_leak_to_other_embedders(embedder):
    short = SentenceTransformerEmbedder("default", cache=False, max_seq_length=8)
    text = "word " * 200
    truncated = short.encode([text])
    full = embedder.encode([text])
    assert embedder.model.max_seq_length == 256
    assert short.model_id != embedder.model_id  # different cache keys
    assert not np.allclose(truncated, full)
