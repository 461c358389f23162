"""The dask path (textmine.scale, issue 15): topics and keywords over partitions on a real 2-worker LocalCluster.

The cluster (2 worker processes, 1 thread each, no dashboard) is started once for the module; the
packaged MiniLM model and AG News documents are real. Failure injection only where a failure is the
point: a worker killed mid-run (tests/scale_helpers.py), dask hidden from the import system.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from conftest import read_jsonl

pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")

from scale_helpers import CountingEmbedder, encode_calls  # noqa: E402

from textmine import KeywordExtractor, TopicModel  # noqa: E402
from textmine.errors import DependencyError, EmptyCorpusError, InputError  # noqa: E402

N_DOCS = 240
BLANK_PART = range(100, 112)  # one whole partition of empty / blank / missing texts


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def texts():
    out: list = [r["text"] for r in read_jsonl("topic/ag_news_test.jsonl", limit=N_DOCS)]
    out[3], out[10], out[11] = "", None, "   \n "
    for i in BLANK_PART:
        out[i] = [None, "", " ", float("nan")][i % 4]
    return out


def as_list(texts):
    return ["" if not isinstance(t, str) else t for t in texts]


def collection(texts, bounds=(0, 50, 100, 112, 180, N_DOCS)):
    """A dask Series with the given partition boundaries (bounds[2:4] is the all-blank partition)."""
    s = pd.Series(texts, dtype=object, name="text")
    return dd.concat([dd.from_pandas(s.iloc[a:b], npartitions=1) for a, b in zip(bounds, bounds[1:])])


@pytest.fixture(scope="module")
def fitted(client, texts):
    """The default TopicModel (UMAP + HDBSCAN + classifier) fitted on the collection (sample = corpus)."""
    return TopicModel(random_state=42).fit(collection(texts))


def topics_of(tm):
    return [(t.id, t.size, t.words, t.representative_docs) for t in tm.topics_]


def test_dask_fit_equals_the_in_memory_fit(client, texts, fitted):
    """Sample = corpus: the same topics, words, representative documents, rule and labels as fit(list)."""
    mem = TopicModel(random_state=42).fit(as_list(texts))  # vectors from the cache the workers filled
    assert len(fitted.topics_) >= 2
    assert topics_of(fitted) == topics_of(mem)
    np.testing.assert_array_equal(fitted.topic_embeddings_, mem.topic_embeddings_)
    np.testing.assert_array_equal(fitted.thresholds_, mem.thresholds_)
    labels = fitted.transform(collection(texts)).compute().to_numpy()
    np.testing.assert_array_equal(labels, mem.labels_)
    assert (labels[list(BLANK_PART)] == -1).all() and labels[3] == labels[10] == labels[11] == -1
    n_nonblank = sum(1 for t in as_list(texts) if t.strip())
    assert fitted.scale_["n_docs"] == N_DOCS and fitted.scale_["n_sample"] == n_nonblank
    assert fitted.term_counts_.n_docs == mem.term_counts_.n_docs == n_nonblank
    # the embedding model was loaded once in each worker process, not once per task
    loaded = client.run(lambda: len(__import__("textmine.embed", fromlist=["_LOADED"])._LOADED))
    assert set(loaded.values()) <= {0, 1}, loaded


def test_transform_is_lazy_same_partitions_and_partition_independent(fitted, texts):
    s = collection(texts)
    out = fitted.transform(s)
    assert isinstance(out, dd.Series) and out.npartitions == s.npartitions
    a = out.compute()
    b = fitted.transform(s.repartition(npartitions=3)).compute()
    assert a.index.tolist() == list(range(N_DOCS)) and a.dtype == np.int64
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    import dask.bag as db  # a Bag of strings too (its partitions become the Series' partitions)

    c = fitted.transform(db.from_sequence(texts, npartitions=3)).compute()
    np.testing.assert_array_equal(c.to_numpy(), a.to_numpy())
    # a list keeps its in-memory behaviour: an ndarray, the same labels
    np.testing.assert_array_equal(fitted.transform(as_list(texts)), a.to_numpy())
    # fit_transform on a collection: the lazy labels of the whole corpus (labels_ holds the sample's)
    ft = TopicModel(n_topics=3, reduction="pca", clustering="kmeans", random_state=0).fit_transform(s)
    assert isinstance(ft, dd.Series) and len(ft.compute()) == N_DOCS


def test_second_pass_reads_the_store_not_the_model(client, texts, tmp_path):
    """fit embeds every non-blank document once; transform and a refit never call the model again."""
    log = str(tmp_path / "calls.log")
    emb = CountingEmbedder(log, tag=f"store-{os.getpid()}-{tmp_path.name}")
    sub = texts[:124]
    s = collection(sub, bounds=(0, 50, 100, 112, 124))
    tm = TopicModel(n_topics=4, reduction="pca", clustering="kmeans", embedding_model=emb, random_state=1,
                    max_fit_docs=60)
    tm.fit(s)
    n_nonblank = sum(1 for t in as_list(sub) if t.strip())
    calls = encode_calls(log)
    assert sum(n for _, n in calls) == n_nonblank  # each document embedded once (the partitions are distinct)
    assert tm.scale_["n_sample"] == 60 and sum(t.size for t in tm.topics_) + tm.scale_["outliers"] == n_nonblank
    labels = tm.transform(s).compute()
    refit = TopicModel(**tm.get_params()).fit(s)
    assert encode_calls(log) == calls  # no new call: both passes read the shards
    assert topics_of(refit) == topics_of(tm)
    assert sum(np.bincount(labels[labels >= 0], minlength=4)) == sum(t.size for t in tm.topics_)


def test_sample_is_seeded_and_independent_of_partitioning(client, texts):
    kw = dict(n_topics=4, reduction="pca", clustering="kmeans", random_state=7, max_fit_docs=120)
    a = TopicModel(**kw).fit(collection(texts))
    b = TopicModel(**kw).fit(collection(texts, bounds=(0, 30, 100, 112, 200, 230, N_DOCS)))
    c = TopicModel(**kw).fit(collection(texts).repartition(npartitions=2))
    assert a.scale_["n_sample"] == 120
    for other in (b, c):
        np.testing.assert_array_equal(a.topic_embeddings_, other.topic_embeddings_)
        np.testing.assert_array_equal(a.labels_, other.labels_)
        assert topics_of(a) == topics_of(other)
    d = TopicModel(**{**kw, "random_state": 8}).fit(collection(texts))
    assert d.scale_["n_sample"] == 120 and not np.array_equal(a.topic_embeddings_, d.topic_embeddings_)


def test_keywords_on_dask_equal_the_list_path(client, texts):
    sub = texts[:60]
    kx = KeywordExtractor(top_n=5)
    out = kx.transform(collection(sub, bounds=(0, 7, 30, 60)))
    assert isinstance(out, dd.Series) and out.npartitions == 3
    got = out.compute().tolist()
    want = kx.transform(as_list(sub))
    assert got == want and got[3] == got[10] == got[11] == []
    assert all(len(k) > 0 for i, k in enumerate(got) if i not in (3, 10, 11))


def test_keywords_pieces_change_only_how_work_is_spread(client, texts):
    """Partitions cut into pieces (one task each, joined again) give the same keywords, index and partitions
    as one task per partition and as the list path; the graph really has the finer tasks."""
    from textmine.scale.compute import pieces_per_partition
    from textmine.scale.keywords import keywords_collection

    sub = texts[:60]
    kx = KeywordExtractor(top_n=5)
    want = kx.transform(as_list(sub))
    coll = collection(sub, bounds=(0, 7, 30, 60))
    runs = {k: kx.transform(coll) if k is None else keywords_collection(kx, coll, pieces=k) for k in (None, 1, 4, 40)}  # 40 > rows of the first partition: empty pieces are fine
    for k, out in runs.items():
        assert out.npartitions == 3, k
        got = out.compute()
        assert got.tolist() == want and list(got.index) == list(range(60)), k
        tasks = [key for key in dict(out.__dask_graph__()) if "keywords_partition" in str(key)]
        assert len(tasks) == 3 * (k or pieces_per_partition(3, 2)), (k, len(tasks))
    for bad in ("4", 2.5, 0, True):  # a clear textmine error, not pandas' or Python's
        with pytest.raises(InputError, match="pieces"):
            keywords_collection(kx, coll, pieces=bad)
    # the automatic choice: >= 8 tasks a worker thread, at most 64 pieces a partition, none when there are enough
    assert [pieces_per_partition(p, t) for p, t in ((5, 2), (1, 2), (3, 2), (8, 2), (16, 2), (1, 1000))] == \
        [4, 16, 6, 2, 1, 64]


def test_a_worker_that_dies_mid_run_gives_the_same_result(client, texts, tmp_path):
    """The first encode call kills its worker process; the scheduler runs the task again elsewhere."""
    sub = texts[:60]
    kw = dict(n_topics=3, reduction="pca", clustering="kmeans", random_state=3)
    marker = tmp_path / "died"
    tag = f"{os.getpid()}-{tmp_path.name}"
    dying = TopicModel(embedding_model=CountingEmbedder(str(tmp_path / "a.log"), f"die-{tag}", str(marker)), **kw)
    dying.fit(collection(sub, bounds=(0, 20, 40, 60)))
    assert marker.exists()  # a worker did die
    calm = TopicModel(embedding_model=CountingEmbedder(str(tmp_path / "b.log"), f"calm-{tag}"), **kw)
    calm.fit(collection(sub, bounds=(0, 20, 40, 60)))
    assert topics_of(dying) == topics_of(calm)
    np.testing.assert_array_equal(dying.topic_embeddings_, calm.topic_embeddings_)


def test_bad_collections(client):
    with pytest.raises(EmptyCorpusError):
        TopicModel().fit(collection([None, "", "  ", float("nan")] * 3, bounds=(0, 6, 12)))
    from textmine.scale.collections import clean_partition  # dask itself turns object columns into strings

    with pytest.raises(InputError, match="must be str"):
        clean_partition(pd.Series(["a text", 42, "another text"], dtype=object))
    two = dd.from_pandas(pd.DataFrame({"a": ["x", "y"], "b": ["z", "w"]}), npartitions=1)
    with pytest.raises(InputError, match="one column"):
        TopicModel().fit(two)
    with pytest.raises(InputError, match="max_fit_docs"):
        TopicModel(max_fit_docs=0).fit(collection(["a", "b"], bounds=(0, 2)))
    # methods that would need the whole corpus in memory refuse a collection instead of collecting it
    small = collection(["a rocket reached orbit", "the team won the game"], bounds=(0, 2))
    with pytest.raises(InputError, match="dask collection"):
        KeywordExtractor().fit(small)
    with pytest.raises(InputError, match="dask collection"):
        TopicModel(assignment="centroid").fit(["a rocket reached orbit", "the game"]).partial_fit(small)


def test_read_texts_from_files(tmp_path):
    from textmine.scale import read_texts

    pd.DataFrame({"text": ["one doc", None, "three"], "id": [1, 2, 3]}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"text": ["four"], "id": [4]}).to_parquet(tmp_path / "b.parquet")
    s = read_texts(str(tmp_path / "*.parquet"))
    assert s.npartitions == 2 and s.compute().tolist()[0] == "one doc"
    with pytest.raises(InputError, match="no file matches"):
        read_texts(str(tmp_path / "*.jsonl"))
    with pytest.raises(InputError, match="no 'body' column"):
        read_texts(str(tmp_path / "*.parquet"), field="body")


def test_without_dask_a_dependency_error_with_the_install_hint(monkeypatch):
    from textmine.scale.collections import is_dask_collection, require_dask

    for name in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(DependencyError, match=r'pip install "textmine\[dask\]"'):
        require_dask()
    assert not is_dask_collection(["a list of texts"])


# ----------------------------------------------------------------------------- the CLI


def _parquet_corpus(tmp_path, texts):
    folder = tmp_path / "corpus"
    folder.mkdir()
    rows = [{"id": f"doc-{i}", "text": t if isinstance(t, str) else None} for i, t in enumerate(texts)]
    for j, start in enumerate(range(0, len(rows), 50)):
        pd.DataFrame(rows[start : start + 50]).to_parquet(folder / f"part-{j}.parquet")
    return str(folder / "*.parquet")


def test_cli_topics_and_keywords_on_a_scheduler(client, texts, tmp_path):
    from typer.testing import CliRunner

    from textmine.cli import app

    glob_ = _parquet_corpus(tmp_path, texts[:150])
    addr = client.scheduler.address
    runner = CliRunner()
    res = runner.invoke(app, ["topics", glob_, "--scheduler", addr, "--output", str(tmp_path / "out"), "--save",
                              str(tmp_path / "model"), "--no-label", "-q", "--n-topics", "3", "--seed", "5"])
    assert res.exit_code == 0, res.output
    out = pd.read_parquet(tmp_path / "out").sort_values("id", key=lambda s: s.str[4:].astype(int))
    assert out["id"].tolist() == [f"doc-{i}" for i in range(150)]
    saved = TopicModel.load(tmp_path / "model")
    np.testing.assert_array_equal(out["topic"].to_numpy(), saved.transform(as_list(texts[:150])))
    assert (out["topic"].to_numpy()[[3, 10, 11]] == -1).all() and set(out["topic"]) <= {-1, 0, 1, 2}
    # the saved model applied to the files by the workers: the same topics
    res = runner.invoke(app, ["transform", str(tmp_path / "model"), glob_, "--scheduler", addr, "--output",
                              str(tmp_path / "again"), "-q"])
    assert res.exit_code == 0, res.output
    again = pd.read_parquet(tmp_path / "again").set_index("id").loc[out["id"]]
    np.testing.assert_array_equal(again["topic"].to_numpy(), out["topic"].to_numpy())
    res = runner.invoke(app, ["keywords", glob_, "--scheduler", addr, "--output", str(tmp_path / "kw"), "-q",
                              "--top-n", "3"])
    assert res.exit_code == 0, res.output
    kw = pd.read_parquet(tmp_path / "kw").set_index("id")
    want = KeywordExtractor(top_n=3).transform(as_list(texts[:150]))
    assert [list(kw.loc[f"doc-{i}", "keywords"]) for i in range(150)] == [[k.text for k in ks] for ks in want]
    # an output folder that holds files is never overwritten without --force
    res = runner.invoke(app, ["keywords", glob_, "--scheduler", addr, "--output", str(tmp_path / "kw"), "-q"])
    assert res.exit_code == 2 and "--force" in res.output


def test_cli_unreachable_scheduler_exits_1(tmp_path, texts):
    import socket

    from typer.testing import CliRunner

    from textmine.cli import app

    glob_ = _parquet_corpus(tmp_path, texts[:20])
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    res = CliRunner().invoke(app, ["topics", glob_, "--scheduler", f"tcp://127.0.0.1:{port}", "--scheduler-timeout",
                                   "1", "--no-label", "--output", str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert f"cannot reach the dask scheduler at tcp://127.0.0.1:{port}" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_llm_keyword_extractors_on_dask_one_model_per_worker(client):
    """LLM and hybrid keywords over partitions equal the list path; each worker unpickled each extractor once."""
    from textmine import HybridKeywordExtractor, LLMKeywordExtractor

    docs = [r["text"] for r in read_jsonl("keyphrase/inspec_test.jsonl", limit=4)]
    docs.insert(1, "")
    count = lambda: len(__import__("textmine.scale.keywords", fromlist=["_EXTRACTORS"])._EXTRACTORS)  # noqa: E731
    before = client.run(count)
    for cls in (LLMKeywordExtractor, HybridKeywordExtractor):
        got = cls(top_n=3).transform(collection(docs, bounds=(0, 2, 5))).compute().tolist()
        assert got == cls(top_n=3).transform(docs) and got[1] == []
    after = client.run(count)
    assert all(after[w] - before.get(w, 0) <= 2 for w in after), (before, after)  # one per extractor, not per task


@pytest.mark.slow  # ~45 s: a second cluster starts and loads the model (the --scheduler path runs by default)
def test_cli_keywords_on_a_local_cluster_it_starts(client, texts, tmp_path):
    """--workers N starts (and closes) a LocalCluster of its own; JSON-lines input, ids kept."""
    import json

    from typer.testing import CliRunner

    from textmine.cli import app

    src = tmp_path / "docs.jsonl"
    sub = as_list(texts[:12])
    src.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(sub)), encoding="utf-8")
    res = CliRunner().invoke(app, ["keywords", str(src), "--workers", "1", "--output", str(tmp_path / "kw"), "-q",
                                   "--top-n", "4"])
    assert res.exit_code == 0, res.output
    kw = pd.read_parquet(tmp_path / "kw").set_index("id")
    want = KeywordExtractor(top_n=4).transform(sub)
    assert [list(kw.loc[str(i), "keywords"]) for i in range(12)] == [[k.text for k in ks] for ks in want]
    from dask.distributed import default_client

    assert default_client() is client  # the command's own client is closed; the caller's is the default again
