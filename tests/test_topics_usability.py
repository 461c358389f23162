"""What a new user of TopicModel sees first (issue 16, part 5 and part 2), on real AG News text."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from conftest import read_jsonl
from textmine import TopicModel
from textmine.errors import InputError
from textmine.topics.label import TopicLabeler, label_problem
from textmine.topics.naming import fallback_label

N_DOCS = 600


@pytest.fixture(scope="module")
def corpus():
    rows = read_jsonl("topic/ag_news_test.jsonl", limit=N_DOCS)
    return [r["text"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="module")
def embeddings(corpus):
    from textmine.embed import get_embedder

    return get_embedder("default").encode(corpus[0])


@pytest.fixture(scope="module")
def fitted(corpus, embeddings):
    return TopicModel(random_state=42).fit(corpus[0], embeddings=embeddings)


def _words(label):
    return [w.casefold() for w in label.replace("/", " ").split()]


def test_fallback_labels_read_like_labels_and_carry_no_stop_word(corpus, embeddings):
    # a vectorizer that keeps stop words: the topic words then hold "the", "said", "to" ...
    vec = CountVectorizer(token_pattern=r"(?u)\b[^\W\d_]\w+\b")
    tm = TopicModel(random_state=42, vectorizer=vec).fit(corpus[0], embeddings=embeddings)
    assert any(w in ENGLISH_STOP_WORDS for t in tm.topics_ for w in t.top_words(10))  # the test can fail
    labels = [fallback_label(t) for t in tm.topics_]
    for t, lab in zip(tm.topics_, labels):
        assert not set(_words(lab)) & ENGLISH_STOP_WORDS, lab
        assert lab == TopicLabeler._fallback(t)
        terms = lab.split(" / ")
        assert 1 <= len(terms) <= 3 and all(x[:1].isupper() or not x[:1].isalpha() for x in terms), lab
        assert label_problem(lab) is None, lab
    assert len(set(labels)) == len(labels)
    # phrases: two top words that stand together in the documents become one term (e.g. "Kobe Bryant")
    assert any(" " in x for lab in labels for x in lab.split(" / ")), labels


def test_llm_answers_that_are_word_lists_or_cut_off_are_rejected():
    assert label_problem("Bryant, Kobe, assault, dna, sexual, the") == "word list"
    assert label_problem("Sexual assault case of the") == "cut off"
    assert label_problem("Oil prices") is None and label_problem("Microsoft, Apple, Linux") is None


# ----------------------------------------------------------------------------- markup and filler words

MARKUP = {"quot", "lt", "gt", "fullquote", "href", "http", "www", "aspx"}  # "AMP" is also an insurer


def test_markup_residue_never_reaches_the_word_counts(corpus, fitted):
    from textmine.topics.terms import clean_markup

    raw = CountVectorizer(token_pattern=r"(?u)\b[^\W\d_]\w+\b").fit(corpus[0]).vocabulary_
    assert {"quot", "lt", "gt", "amp", "fullquote"} <= set(raw)  # AG News holds them (the test can fail)
    assert not MARKUP & set(fitted.term_counts_.words)
    assert not MARKUP & {w for t in fitted.topics_ for w in t.top_words(25)}
    text = "Johnson  amp; Johnson &lt;A HREF=\"http://www.investor.reuters.com/FullQuote.aspx\"&gt;JNJ.N&lt;/A&gt; #39;s"
    assert clean_markup(text).split() == ["Johnson", "&", "Johnson", "JNJ.N", "'s"]
    assert clean_markup("Grant to Study Peptides (AP)\nAP - A company founded (DSP)\nfix (DSP)") == \
        "Grant to Study Peptides \n A company founded \nfix (DSP)"


def test_filler_words_are_dropped_from_topic_words(corpus, embeddings):
    from textmine.topics.terms import filler_mask

    # PCA + k-means: topics that do not move with the last bits of the embeddings (UMAP + HDBSCAN on 600
    # documents can find 8 or 9 topics when vectors differ by 1e-6, e.g. cached from another batch, and the
    # filler words follow the topics)
    settings = dict(n_topics=8, reduction="pca", clustering="kmeans", random_state=42)
    fitted = TopicModel(**settings).fit(corpus[0], embeddings=embeddings)
    tc = fitted.term_counts_
    filler = {tc.words[j] for j in np.flatnonzero(filler_mask(tc.counts))}
    assert "said" in filler and not {"iraq", "game", "oil", "microsoft"} & filler
    assert not filler & {w for t in fitted.topics_ for w in t.top_words(25)}
    kept = TopicModel(**settings, drop_filler_words=False).fit(corpus[0], embeddings=embeddings)
    assert (kept.labels_ == fitted.labels_).all()  # only the words change
    assert filler & {w for t in kept.topics_ for w in t.top_words(25)}


# ----------------------------------------------------------------------------- soft assignments, scikit-learn


def test_predict_and_predict_proba(corpus, embeddings, fitted):
    docs = corpus[0]
    labels = fitted.predict(docs, embeddings=embeddings)
    assert (labels == fitted.labels_).all() and (labels == fitted.transform(docs, embeddings=embeddings)).all()
    P = fitted.predict_proba(docs + [""], embeddings=np.vstack([embeddings, np.zeros((1, embeddings.shape[1]))]))
    k = len(fitted.topics_)
    assert P.shape == (len(docs) + 1, k) and np.allclose(P.sum(axis=1), 1.0) and (P >= 0).all()
    assert np.allclose(P[-1], 1.0 / k)  # a blank document: no information
    members = labels >= 0
    assert (P[:-1][members].argmax(axis=1) == labels[members]).all()  # outliers: -1 although a row has an argmax
    assert (labels == -1).any()
    proba = TopicModel(random_state=42, transform_output="proba")
    assert np.allclose(proba.fit_transform(docs, embeddings=embeddings), P[:-1])
    centroid = TopicModel(random_state=42, assignment="centroid").fit(docs, embeddings=embeddings)
    Pc = centroid.predict_proba(docs, embeddings=embeddings)
    assert np.allclose(Pc.sum(axis=1), 1.0) and (Pc.argmax(axis=1) == centroid.similarities(
        docs, embeddings=embeddings).argmax(axis=1)).all()


def test_topic_probabilities_feed_a_scikit_learn_pipeline(corpus):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    docs, gold = corpus
    pipe = make_pipeline(TopicModel(random_state=0, transform_output="proba"), LogisticRegression(max_iter=1000))
    pipe.fit(docs[:450], gold[:450])  # embeddings come from the cache filled by the fixtures
    accuracy = float(np.mean(pipe.predict(docs[450:]) == np.array(gold[450:])))
    assert accuracy > 0.6, accuracy  # 4 classes: chance is 0.25
    with pytest.raises(InputError, match="transform_output"):
        TopicModel(transform_output="probs").fit(docs[:60]).transform(docs[:2])


# ----------------------------------------------------------------------------- curation without refitting


def test_curation_merge_labels_update_outliers_and_save(corpus, embeddings, fitted, tmp_path):
    docs = corpus[0]
    tm = copy.deepcopy(fitted)
    k = len(tm.topics_)
    tm.set_topic_labels({0: "World news", 3: "Markets"})
    assert tm.topics_[0].label == "World news" and tm.get_topic_info(as_frame=False)[1]["label"] == "World news"
    with pytest.raises(InputError):
        tm.set_topic_labels({k: "nope"})
    # merge the two smallest topics; the others keep their labels
    a, b = k - 2, k - 1
    tm.merge_topics(docs, [[a, b]], embeddings=embeddings)
    assert len(tm.topics_) == k - 1 and "World news" in [t.label for t in tm.topics_]
    assert (tm.transform(docs, embeddings=embeddings) == tm.labels_).all()
    with pytest.raises(InputError):
        tm.merge_topics(docs, [[0, 1], [1, 2]], embeddings=embeddings)
    # outliers: each strategy gives outliers a topic; the model is unchanged until update_topics
    before = tm.labels_.copy()
    n_out = int((before == -1).sum())
    for strategy in ("distributions", "embeddings", "c-tf-idf"):
        new = tm.reduce_outliers(docs, strategy=strategy, embeddings=embeddings)
        assert (new == -1).sum() < n_out and (new[before >= 0] == before[before >= 0]).all(), strategy
        assert (tm.labels_ == before).all()
    strict = tm.reduce_outliers(docs, strategy="embeddings", threshold=0.99, embeddings=embeddings)
    assert (strict == before).all()
    with pytest.raises(InputError, match="strategy"):
        tm.reduce_outliers(docs, strategy="nearest")
    new = tm.reduce_outliers(docs, strategy="distributions", embeddings=embeddings)
    tm.update_topics(docs, topics=new, n_gram_range=(1, 2), embeddings=embeddings)
    assert (tm.labels_ == new).all() and sum(t.size for t in tm.topics_) == int((new >= 0).sum())
    assert any(" " in w for t in tm.topics_ for w in t.top_words(25))  # bigrams counted now
    assert tm.topics_[0].label == "World news"
    tm.save(tmp_path / "curated")
    with pytest.warns(UserWarning, match="vectorizer"):
        back = TopicModel.load(tmp_path / "curated")
    assert [t.label for t in back.topics_] == [t.label for t in tm.topics_]
    assert [t.words for t in back.topics_] == [t.words for t in tm.topics_] and (back.labels_ == new).all()


# ----------------------------------------------------------------------------- time, hierarchy, DataFrames


def test_topics_over_time_with_datetime_bins(fitted):
    import datetime as dt

    import pandas as pd

    n = len(fitted.labels_)
    stamps = pd.date_range("2004-01-15", periods=n, freq="12h")  # 300 days
    for ts in (list(stamps), stamps.values, [s.to_pydatetime() for s in stamps], pd.Series(stamps)):
        rows = fitted.topics_over_time(ts, bins="month")
        periods = sorted({r["time"] for r in rows})
        assert periods[0] == "2004-01" and periods[-1] == "2004-11" and len(periods) == 11
        assert sum(r["count"] for r in rows) == n
    assert {r["time"] for r in fitted.topics_over_time(list(stamps), bins="quarter")} == \
        {"2004-Q1", "2004-Q2", "2004-Q3", "2004-Q4"}
    assert fitted.topics_over_time(list(stamps), bins="week")[0]["time"] == "2004-W03"
    rows = fitted.topics_over_time(list(stamps), bins=3)
    assert sorted({r["time"] for r in rows})[0] == "2004-01-15" and len({r["time"] for r in rows}) == 3
    utc = [dt.datetime(2004, 1, 1, 23, tzinfo=dt.timezone(dt.timedelta(hours=-2)))] * n
    assert {r["time"] for r in fitted.topics_over_time(utc, bins="day")} == {"2004-01-02"}  # in UTC
    with pytest.raises(InputError, match="calendar period"):
        fitted.topics_over_time(list(range(n)), bins="month")


def test_topic_tree_is_text(fitted):
    tree = fitted.get_topic_tree()
    lines = tree.splitlines()
    assert lines[0].startswith("[") and f"{len(fitted.topics_)} topics" in lines[0]
    leaves = [ln for ln in lines if ": " in ln]
    assert len(leaves) == len(fitted.topics_)
    assert {int(ln.split("── ")[-1].split(":")[0]) for ln in leaves} == set(range(len(fitted.topics_)))


def test_dataframes_out_and_series_in(corpus, embeddings, fitted):
    import pandas as pd

    rows = fitted.get_topic_info(as_frame=False)
    assert isinstance(rows, list) and rows[0]["id"] == -1  # the list of dicts of earlier versions
    frame = fitted.get_topic_info()  # a DataFrame, as BERTopic's
    assert list(frame.columns) == ["Topic", "Count", "Name", "Label", "Representation", "Representative_Docs"]
    assert frame["Topic"].tolist() == [r["id"] for r in rows] and frame["Count"].sum() == len(corpus[0])
    assert frame["Name"].iloc[1].startswith("0_") and all(isinstance(x, str) and x for x in frame["Label"])
    docs = pd.Series(corpus[0][:20], index=[f"doc{i}" for i in range(20)])
    info = fitted.get_document_info(docs, embeddings=embeddings[:20])
    assert list(info.index) == list(docs.index)
    assert {"Document", "Topic", "Name", "Label", "Representation", "Representative_Docs", "Top_n_words",
            "Probability", "Representative_document"} <= set(info.columns)
    assert (info["Topic"].to_numpy() == fitted.labels_[:20]).all()
    assert ((info["Probability"] > 0) & (info["Probability"] <= 1)).all()
    series = pd.Series(corpus[0], index=range(1000, 1000 + len(corpus[0])))
    assert (fitted.transform(series, embeddings=embeddings) == fitted.labels_).all()
    assert (TopicModel(random_state=42).fit(series, embeddings=embeddings).labels_ == fitted.labels_).all()
    assert sum(r["count"] for r in fitted.topics_per_class(pd.Series(corpus[1]))) == len(corpus[0])


def test_bad_input_to_the_new_methods_is_a_typed_error(corpus, embeddings, fitted):
    docs = corpus[0]
    tm = copy.deepcopy(fitted)
    bad = [
        lambda: tm.merge_topics(docs[:10], [[0, 1]]),  # not the training documents
        lambda: tm.merge_topics(docs, "0,1"),
        lambda: tm.merge_topics(docs, [[0, len(tm.topics_)]]),
        lambda: tm.set_topic_labels(["only one"]),
        lambda: tm.set_topic_labels({"0": "World"}),
        lambda: tm.set_topic_labels({0: "  "}),
        lambda: tm.update_topics(docs, n_gram_range=2, embeddings=embeddings),
        lambda: tm.update_topics(docs, n_gram_range=(2, 1), embeddings=embeddings),
        lambda: tm.update_topics(docs, stop_words="klingon", embeddings=embeddings),
        lambda: tm.update_topics(docs, topics=[0] * 3, embeddings=embeddings),
        lambda: tm.update_topics(docs, top_n_words=0, embeddings=embeddings),
        lambda: tm.reduce_outliers(docs, topics=[0, 1]),
        lambda: tm.reduce_outliers(docs, threshold="high"),
        lambda: tm.topics_over_time(list(range(len(docs))), bins="fortnight"),
        lambda: tm.predict_proba(docs[:3], embeddings=embeddings[:2]),
    ]
    for i, call in enumerate(bad):
        with pytest.raises(InputError):
            call()
    assert (tm.labels_ == fitted.labels_).all() and [t.words for t in tm.topics_] == [t.words for t in fitted.topics_]
    assert tm.get_params() == fitted.get_params()  # a refused call changes nothing


def test_keywords_frame_one_row_per_keyword():
    import pandas as pd

    from textmine import Keyword, KeywordExtractor, keywords_frame

    docs = pd.Series(["Graph neural networks learn node embeddings from the graph structure.", ""],
                     index=["a", "b"])
    kws = KeywordExtractor(top_n=3).fit_transform(docs)
    frame = keywords_frame(docs, kws)
    assert list(frame.columns) == ["Document", "Rank", "Keyword", "Score"]
    assert frame["Document"].tolist() == ["a"] * len(kws[0]) and frame["Rank"].tolist() == [1, 2, 3][: len(kws[0])]
    assert frame["Keyword"].tolist() == [k.text for k in kws[0]]
    tuples = keywords_frame(["x", "y"], [[("alpha", 0.5)], ["beta"]], ids=["d1", "d2"])
    assert tuples["Document"].tolist() == ["d1", "d2"] and pd.isna(tuples["Score"].iloc[1])
    with pytest.raises(InputError):
        keywords_frame(["x"], [[Keyword("a", 1.0)], []])
    with pytest.raises(InputError):
        keywords_frame(["x"], ["not a list"])
