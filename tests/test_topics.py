"""TopicModel on a real AG News subset with the real packaged embedding model."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from sklearn.base import clone

from conftest import read_jsonl
from textmine import TopicModel
from textmine.errors import EmptyCorpusError, InputError, NotFittedError, PersistenceError
from textmine.evaluation import clustering_scores

N_DOCS = 700


@pytest.fixture(scope="module")
def corpus():
    rows = read_jsonl("topic/ag_news_test.jsonl", limit=N_DOCS)
    docs = [r["text"] for r in rows]
    gold = [r["label"] for r in rows]
    # blank documents and exact duplicates, like real corpora have
    docs += ["", "   \n", docs[0], docs[1]]
    gold += ["-", "-", gold[0], gold[1]]
    return docs, gold


@pytest.fixture(scope="module")
def fitted(corpus):
    docs, _ = corpus
    return TopicModel(random_state=42).fit(docs)


@pytest.fixture(scope="module")
def embeddings(corpus, fitted):
    from textmine.embed import get_embedder

    return get_embedder("default").encode(corpus[0])  # served from the cache filled by fit


def test_fit_shapes_and_quality(corpus, fitted):
    docs, gold = corpus
    tm = fitted
    assert tm.labels_.shape == (len(docs),) and tm.labels_.dtype.kind == "i"
    k = len(tm.topics_)
    assert 2 <= k <= 60
    assert [t.id for t in tm.topics_] == list(range(k))
    sizes = [t.size for t in tm.topics_]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(sizes) == int((tm.labels_ >= 0).sum())
    assert all(t.size == int((tm.labels_ == t.id).sum()) for t in tm.topics_)
    assert all(len(t.words) > 0 and len(t.representative_docs) > 0 for t in tm.topics_)
    assert all(w == w.lower() for t in tm.topics_ for w, _ in t.words)
    # blanks are outliers, duplicates share their original's topic
    assert tm.labels_[N_DOCS] == -1 and tm.labels_[N_DOCS + 1] == -1
    assert tm.labels_[N_DOCS + 2] == tm.labels_[0] and tm.labels_[N_DOCS + 3] == tm.labels_[1]
    assert (tm.labels_ == -1).mean() <= 0.10
    # the topics carry real signal about the 4 AG News classes
    nb = [i for i, d in enumerate(docs) if d.strip()]
    assert clustering_scores(tm.labels_[nb], [gold[i] for i in nb])["nmi"] > 0.3


def test_transform_equals_labels_in_any_order(corpus, fitted, embeddings):
    docs, _ = corpus
    rng = np.random.RandomState(0)
    perm = rng.permutation(len(docs))
    assert np.array_equal(fitted.transform([docs[i] for i in perm]), fitted.labels_[perm])
    sub = rng.choice(len(docs), 37, replace=False)
    assert np.array_equal(fitted.transform([docs[i] for i in sub]), fitted.labels_[sub])
    assert np.array_equal(fitted.transform(docs, embeddings=embeddings), fitted.labels_)
    assert np.array_equal(fitted.transform([docs[5]]), fitted.labels_[[5]])
    assert fitted.transform([]).shape == (0,)
    assert list(fitted.transform(["", " "])) == [-1, -1]


def test_same_seed_same_topics(corpus, fitted, embeddings):
    docs, _ = corpus
    again = TopicModel(random_state=42).fit(docs, embeddings=embeddings)
    assert np.array_equal(again.labels_, fitted.labels_)
    assert [t.words for t in again.topics_] == [t.words for t in fitted.topics_]
    assert [t.representative_docs for t in again.topics_] == [t.representative_docs for t in fitted.topics_]


def test_save_never_loses_what_is_at_the_path(fitted, tmp_path, monkeypatch):
    """A saved model is replaced only with force=True; other files never; a failed save keeps the old model."""
    from textmine.topics import persist

    user = tmp_path / "userdata"
    user.mkdir()
    (user / "notes.txt").write_text("precious")
    for force in (False, True):
        with pytest.raises(PersistenceError, match="not a saved textmine model"):
            fitted.save(user, force=force)
    assert [p.name for p in user.iterdir()] == ["notes.txt"] and (user / "notes.txt").read_text() == "precious"
    (tmp_path / "file").write_text("x")
    with pytest.raises(PersistenceError, match="not a directory"):
        fitted.save(tmp_path / "file", force=True)
    with pytest.raises(PersistenceError, match="does not exist"):
        fitted.save(tmp_path / "no" / "such" / "dir")

    empty = tmp_path / "empty"
    empty.mkdir()
    fitted.save(empty)  # an empty directory is fine
    assert persist.is_model_dir(empty)

    path = tmp_path / "model"
    fitted.save(path)
    before = {p.name: p.read_bytes() for p in path.iterdir()}
    with pytest.raises(PersistenceError, match="already exists.*force=True"):
        fitted.save(path)
    assert {p.name: p.read_bytes() for p in path.iterdir()} == before

    def broken(model, out):  # failure injection: the disk fills up half-way through a save
        (out / "config.json").write_text("{")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persist, "_write_model", broken)
    with pytest.raises(OSError, match="No space"):
        fitted.save(path, force=True)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in path.iterdir()} == before  # the earlier model, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file", "model", "userdata"]  # no leftovers
    assert np.array_equal(TopicModel.load(path).labels_, fitted.labels_)

    # an interrupt while the new folder takes the old one's place (the atomic exchange, or the
    # two-rename fallback between its renames): the earlier model is put back
    from textmine.topics import swap

    def interrupted_exchange(a, b):  # failure injection
        raise KeyboardInterrupt

    real_replace = os.replace

    def interrupted_replace(src, dst):  # failure injection
        if ".textmine-tmp-" in os.fspath(src):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    for patch in ({"exchange": interrupted_exchange},
                  {"exchange": lambda a, b: False, "replace": interrupted_replace}):
        monkeypatch.setattr(swap, "exchange", patch["exchange"])
        if "replace" in patch:
            monkeypatch.setattr(os, "replace", patch["replace"])
        with pytest.raises(KeyboardInterrupt):
            fitted.save(path, force=True)
        monkeypatch.undo()
        assert {p.name: p.read_bytes() for p in path.iterdir()} == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file", "model", "userdata"]

    fitted.save(path, force=True)  # replaced whole
    assert np.array_equal(TopicModel.load(path).labels_, fitted.labels_)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file", "model", "userdata"]

    # a model folder the user also put files into is not replaced either (they would be lost)
    (path / "report.html").write_text("<html></html>")
    with pytest.raises(PersistenceError, match="other files.*report.html"):
        fitted.save(path, force=True)
    assert (path / "report.html").read_text() == "<html></html>" and TopicModel.load(path).topics_


def test_save_load_round_trip_and_tampering(corpus, fitted, tmp_path):
    docs, _ = corpus
    path = tmp_path / "model"
    fitted.save(path)
    loaded = TopicModel.load(path)
    assert [t.to_dict() for t in loaded.topics_] == [t.to_dict() for t in fitted.topics_]
    assert np.array_equal(loaded.labels_, fitted.labels_)
    perm = np.random.RandomState(3).permutation(len(docs))
    assert np.array_equal(loaded.transform([docs[i] for i in perm]), fitted.labels_[perm])
    assert loaded.get_params() == fitted.get_params()
    assert not any(p.suffix == ".pkl" for p in path.iterdir())

    # a modified byte in the arrays -> PersistenceError
    arr = path / "arrays.safetensors"
    raw = bytearray(arr.read_bytes())
    raw[-3] ^= 0x01
    arr.write_bytes(bytes(raw))
    with pytest.raises(PersistenceError, match="checksum"):
        TopicModel.load(path)

    fitted.save(path, force=True)  # re-save, then edit a topic word in the JSON
    cfg = path / "config.json"
    cfg.write_text(cfg.read_text().replace('"words": [\n    [\n     "', '"words": [\n    [\n     "x', 1))
    with pytest.raises(PersistenceError):
        TopicModel.load(path)

    fitted.save(path, force=True)
    man = json.loads((path / "manifest.json").read_text())
    man["format_version"] = 99
    (path / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(PersistenceError, match="version"):
        TopicModel.load(path)
    with pytest.raises(PersistenceError):
        TopicModel.load(tmp_path / "nowhere")


def test_fixed_number_of_topics_and_reduce(corpus, embeddings):
    docs, _ = corpus
    tm = TopicModel(n_topics=6, random_state=1).fit(docs, embeddings=embeddings)
    assert len(tm.topics_) == 6
    assert set(tm.labels_.tolist()) <= set(range(-1, 6))
    km = TopicModel(n_topics=4, clustering="kmeans", reduction="pca", random_state=1).fit(docs, embeddings=embeddings)
    assert len(km.topics_) == 4
    assert np.array_equal(km.transform(docs, embeddings=embeddings), km.labels_)
    tm.reduce_topics(docs, 3, embeddings=embeddings)
    assert len(tm.topics_) == 3
    assert np.array_equal(tm.transform(docs, embeddings=embeddings), tm.labels_)
    assert sum(t.size for t in tm.topics_) == int((tm.labels_ >= 0).sum())


def test_outlier_options(corpus, embeddings):
    docs, _ = corpus
    none = TopicModel(n_topics=5, reduction="pca", outliers=0, random_state=0).fit(docs, embeddings=embeddings)
    assert (none.labels_ == -1).sum() == 2  # only the blanks
    strict = TopicModel(n_topics=5, reduction="pca", outliers=0.3, random_state=0).fit(docs, embeddings=embeddings)
    assert 0.25 <= (strict.labels_ == -1).mean() <= 0.35
    fixed = TopicModel(n_topics=5, reduction="pca", outlier_threshold=0.99, random_state=0).fit(
        docs, embeddings=embeddings
    )
    assert (fixed.labels_ == -1).mean() > 0.9
    assert np.array_equal(fixed.transform(docs, embeddings=embeddings), fixed.labels_)
    with pytest.raises(InputError):
        TopicModel(outliers=1.5).fit(docs, embeddings=embeddings)


def test_representations(corpus, embeddings):
    docs, _ = corpus
    base = dict(n_topics=4, clustering="kmeans", reduction="pca", random_state=0)
    ct = TopicModel(**base).fit(docs, embeddings=embeddings)
    kb = TopicModel(representation="keybert", **base).fit(docs, embeddings=embeddings)
    mmr = TopicModel(representation="mmr", top_n_words=10, **base).fit(docs, embeddings=embeddings)
    assert np.array_equal(ct.labels_, kb.labels_)
    for a, b in zip(ct.topics_, kb.topics_):
        cands = {w for w, _ in a.words} | set()
        assert len(b.words) == 25
        # keybert re-ranks the c-TF-IDF candidates: its words come from the top-30 candidates
        assert len({w for w, _ in b.words} - cands) <= 5
        assert [s for _, s in b.words] == sorted((s for _, s in b.words), reverse=True)
    assert all(len(t.words) == 10 and len({w for w, _ in t.words}) == 10 for t in mmr.topics_)


def test_small_and_bad_corpora():
    one = TopicModel().fit(["just one document about space"])
    assert list(one.labels_) == [0] and len(one.topics_) == 1
    assert list(one.transform(["another text", ""])) == [0, -1]
    few = ["the cat sat", "", "a dog barked", "stocks fell sharply", "the cat sat"]
    tm = TopicModel(random_state=0).fit(few)
    assert tm.labels_[1] == -1 and tm.labels_[0] == tm.labels_[4] and len(tm.topics_) >= 1
    assert len(TopicModel(n_topics=2, random_state=0).fit(few).topics_) == 2
    with pytest.raises(InputError, match="n_topics"):
        TopicModel(n_topics=5).fit(few)
    with pytest.raises(EmptyCorpusError):
        TopicModel().fit(["", "  "])
    with pytest.raises(EmptyCorpusError):
        TopicModel().fit([])
    with pytest.raises(InputError, match="index 1"):
        TopicModel().fit(["ok", None])
    with pytest.raises(InputError):
        TopicModel().fit("a single string")
    with pytest.raises(InputError):
        TopicModel(n_topics="many").fit(few)
    for bad in ({"random_state": "x"}, {"random_state": -1}, {"merge_threshold": 2}, {"merge_threshold": "high"}):
        with pytest.raises(InputError, match=next(iter(bad))):  # checked before UMAP could fail on it
            TopicModel(**bad).fit(few)
    with pytest.raises(InputError, match="embeddings"):
        TopicModel().fit(few, embeddings=np.zeros((3, 4)))
    # a corpus smaller than the cluster size still gives a sensible model (one topic)
    twelve = [f"note number {i} about the weather" for i in range(12)]
    tm12 = TopicModel(min_topic_size=10, random_state=0).fit(twelve)
    assert len(tm12.topics_) == 1 and (tm12.labels_ >= -1).all()


def test_not_fitted_clone_and_helpers(corpus, fitted):
    with pytest.raises(NotFittedError):
        TopicModel().transform(["x"])
    c = clone(fitted)
    assert c.get_params() == fitted.get_params() and not hasattr(c, "labels_")
    hits = fitted.find_topics("oil prices and the economy", top_n=3)
    assert len(hits) == 3 and hits[0][1] >= hits[1][1] >= hits[2][1]
    info = fitted.get_topic_info(as_frame=False)
    assert info[0]["id"] == -1 and len(info) == len(fitted.topics_) + 1
    h = fitted.hierarchy()
    assert h["linkage"].shape == (len(fitted.topics_) - 1, 4)
    rows = fitted.topics_per_class(corpus[1])
    assert sum(r["count"] for r in rows) == len(corpus[0])
    over = fitted.topics_over_time(list(range(len(corpus[0]))), bins=4)
    assert sum(r["count"] for r in over) == len(corpus[0])


def test_classifier_and_centroid_assignment(corpus, fitted, embeddings, tmp_path):
    docs, gold = corpus
    k, dim = fitted.topic_embeddings_.shape
    assert fitted.assignment == "classifier"
    assert fitted.classifier_coef_.shape == (k, dim) and fitted.classifier_intercept_.shape == (k,)
    cen = TopicModel(random_state=42, assignment="centroid").fit(docs, embeddings=embeddings)
    assert cen.classifier_coef_ is None
    perm = np.random.RandomState(5).permutation(len(docs))
    assert np.array_equal(cen.transform([docs[i] for i in perm], embeddings=embeddings[perm]), cen.labels_[perm])
    # the classifier follows the discovered structure: at least as close to the AG News classes
    nb = [i for i, d in enumerate(docs) if d.strip()]
    g = [gold[i] for i in nb]
    nmi_cls = clustering_scores(fitted.labels_[nb], g)["nmi"]
    nmi_cen = clustering_scores(cen.labels_[nb], g)["nmi"]
    assert nmi_cls >= nmi_cen - 0.02, (nmi_cls, nmi_cen)
    # the classifier rule survives save / load bit for bit
    fitted.save(tmp_path / "cls")
    loaded = TopicModel.load(tmp_path / "cls")
    np.testing.assert_array_equal(loaded.classifier_coef_, fitted.classifier_coef_)
    assert np.array_equal(loaded.transform(docs, embeddings=embeddings), fitted.labels_)
    # a half-saved classifier is refused
    from safetensors.numpy import load_file, save_file

    arrays = load_file(str(tmp_path / "cls" / "arrays.safetensors"))
    del arrays["classifier_intercept"]
    save_file(arrays, str(tmp_path / "cls" / "arrays.safetensors"))
    man = json.loads((tmp_path / "cls" / "manifest.json").read_text())
    import hashlib

    man["files"]["arrays.safetensors"] = hashlib.sha256((tmp_path / "cls" / "arrays.safetensors").read_bytes()).hexdigest()
    (tmp_path / "cls" / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(PersistenceError, match="classifier"):
        TopicModel.load(tmp_path / "cls")
    with pytest.raises(InputError, match="assignment"):
        TopicModel(assignment="knn").fit(docs[:50], embeddings=embeddings[:50])


def test_exact_cosine_knn_matches_brute_force_and_puts_each_row_first():
    from sklearn.neighbors import NearestNeighbors

    from textmine.topics.reduce import exact_cosine_knn

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 16)).astype(np.float32)
    X[7] = X[3]  # a duplicate: each of the two is still its own first neighbour
    idx, dist = exact_cosine_knn(X, 10, block=64)
    assert idx.shape == dist.shape == (300, 10)
    assert (idx[:, 0] == np.arange(300)).all()
    assert (np.diff(dist, axis=1) >= -1e-6).all()
    ref_d, ref_i = NearestNeighbors(n_neighbors=10, metric="cosine", algorithm="brute").fit(X).kneighbors(X)
    assert all(set(a) == set(b) for a, b in zip(idx, ref_i))
    np.testing.assert_allclose(dist, ref_d, atol=1e-5)
    for bad in (0, 301, 2.5):
        with pytest.raises(InputError):
            exact_cosine_knn(X, bad)
    with pytest.raises(InputError):
        exact_cosine_knn(X, 5, block=0)


def test_exact_cosine_knn_numpy_fallback_and_zero_rows(monkeypatch):
    import sys

    from textmine.topics.reduce import exact_cosine_knn

    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 8))  # float64 input
    X[5] = 0.0
    with_torch = exact_cosine_knn(X, 6, block=50)
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    without = exact_cosine_knn(X, 6, block=50)
    rows = [i for i in range(200) if i != 5]  # the zero row is equally far from everything: ties
    assert all(set(with_torch[0][i]) == set(without[0][i]) for i in rows)
    np.testing.assert_allclose(with_torch[1], without[1], atol=1e-6)
    assert with_torch[0][5, 0] == without[0][5, 0] == 5 and np.isfinite(without[1]).all()


def test_umap_reducer_is_the_umap_preset_and_uses_the_exact_graph_below_the_limit():
    from textmine.topics.reduce import Identity, UMAPReducer, exact_cosine_knn, make_reducer

    assert isinstance(make_reducer("umap", n_samples=100, n_features=8, random_state=0), UMAPReducer)
    assert isinstance(make_reducer("umap", n_samples=20, n_features=8, random_state=0), Identity)
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(loc=c, size=(60, 8)) for c in (-3.0, 3.0)]).astype(np.float32)
    r = UMAPReducer(n_neighbors=10, random_state=0)
    Y = r.fit_transform(X)
    assert Y.shape == (120, 5)
    idx, dist = exact_cosine_knn(X, 10)
    np.testing.assert_array_equal(r.umap_._knn_indices, idx)
    np.testing.assert_array_equal(r.umap_._knn_dists, dist)
    assert np.array_equal(Y, UMAPReducer(n_neighbors=10, random_state=0).fit_transform(X))
    approx = UMAPReducer(n_neighbors=10, random_state=0, exact_knn_max=50)
    approx.fit_transform(X)
    assert approx.umap_.precomputed_knn == (None, None, None)
    with pytest.raises(InputError):
        UMAPReducer().fit_transform(X[:2])


def test_umap_reducer_follows_the_estimator_contract():
    from textmine.topics.reduce import UMAPReducer

    r = UMAPReducer(n_neighbors=15, random_state=3)
    c = clone(r)
    assert c is not r and c.get_params() == r.get_params()
    tm = TopicModel(reduction=UMAPReducer(n_neighbors=15)).set_params(reduction__n_neighbors=50)
    assert tm.reduction.n_neighbors == 50
    assert "exact_knn_max" in repr(UMAPReducer(exact_knn_max=7))
