"""What a new user of TopicModel sees first (issue 16, part 5 and part 2), on real AG News text."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from conftest import read_jsonl
from textmine import TopicModel
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
