"""TopicLabeler with the real default GGUF, and c-TF-IDF against bertopic's implementation."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp

from textmine.errors import InputError
from textmine.topics import Topic, TopicLabeler
from textmine.topics.label import GENERIC_WORDS, label_problem, make_unique
from textmine.topics.represent import class_tfidf

TOPICS = [
    Topic(0, 40, [("space", 1.0), ("nasa", 0.9), ("orbit", 0.8), ("launch", 0.7), ("shuttle", 0.6)],
          representative_docs=["NASA will launch the shuttle into orbit next week. " * 30,
                               "The probe reached orbit around Mars."]),
    Topic(1, 30, [("hockey", 1.0), ("game", 0.9), ("team", 0.8), ("season", 0.7), ("playoffs", 0.6)],
          representative_docs=["The Bruins won the playoff game in overtime.", "Our team had a great season."]),
    Topic(2, 20, [("space", 1.0), ("rocket", 0.9), ("orbit", 0.8), ("satellite", 0.7)],
          representative_docs=["The rocket put a satellite into orbit."]),
    Topic(3, 10, [("guns", 1.0), ("firearms", 0.9), ("control", 0.8), ("weapons", 0.7)],
          representative_docs=["Gun control laws do not stop criminals from getting firearms."]),
]


def test_labels_unique_non_empty_and_fast(llm):
    labeler = TopicLabeler(llm=llm)
    t0 = time.process_time()  # CPU time: a loaded shared machine stretches wall time 10x (load 20)
    labels = labeler.label(TOPICS)
    per_topic = (time.process_time() - t0) / len(TOPICS)
    assert len(labels) == len(TOPICS)
    assert all(isinstance(x, str) and x.strip() and len(x) <= 40 + 30 for x in labels)
    assert len({x.casefold() for x in labels}) == len(labels)
    assert labeler.fallbacks_ == []
    assert per_topic < 8.0, per_topic  # 2.3 s of CPU, loading the embedding and keyword models included
    # cached answers (the scoring is not cached): same labels, much faster
    t0 = time.process_time()
    assert TopicLabeler(llm=llm).label(TOPICS) == labels
    assert time.process_time() - t0 < 3.0  # 0.8 s measured


def test_prompt_is_truncated_by_tokens(llm):
    labeler = TopicLabeler(llm=llm, doc_tokens=20, n_docs=1, n_words=3, n_phrases=0)
    text = labeler.prompt_text(TOPICS[0], llm)
    assert text.startswith("Keywords: space, nasa, orbit\nDocuments:\n- ")
    assert llm.count_tokens(text.split("- ", 1)[1]) <= 20


def test_auto_n_docs_depends_on_the_model_size(llm):
    # the packaged 270M model labels from the top words only (it copies document openings otherwise)
    auto = TopicLabeler(llm=llm).prompt_text(TOPICS[0], llm)
    assert auto.startswith("Keywords: ") and "Documents:" not in auto
    big = TopicLabeler(llm=llm)
    big.BIG_MODEL_BYTES = 1  # any file counts as big: documents are shown
    assert "Documents:\n- " in big.prompt_text(TOPICS[0], llm)
    with pytest.raises(InputError, match="n_docs"):
        TopicLabeler(llm=llm, n_docs="many").prompt_text(TOPICS[0], llm)


def test_key_phrases_of_the_representative_documents_are_in_the_prompt(llm):
    labeler = TopicLabeler(llm=llm, n_phrases=3)
    phrases = labeler.key_phrases(TOPICS)
    assert [len(p) for p in phrases] == [3, 3, 3, 3]
    docs = " ".join(TOPICS[3].representative_docs).lower()
    assert all(p.lower() in docs for p in phrases[3])  # phrases come from the documents
    text = labeler.prompt_text(TOPICS[3], llm)
    assert text.splitlines()[1] == "Key phrases: " + ", ".join(phrases[3])
    assert "Key phrases" not in TopicLabeler(llm=llm, n_phrases=0).prompt_text(TOPICS[3], llm)
    with pytest.raises(InputError, match="n_phrases"):
        TopicLabeler(llm=llm, n_phrases=-1).label(TOPICS[:1])


def test_label_problem_rejects_labels_that_name_nothing():
    assert label_problem("Team") == "generic word"
    assert label_problem("Best") == "generic word"
    assert label_problem("The growth") == "generic word"
    assert label_problem("2004") == "number"
    assert label_problem("1.5 %") == "number"
    assert label_problem("These") == "stop word"
    assert label_problem("") == "empty"
    doc = "I am looking for a 486 or 50 motherboard with VLB slots"
    assert label_problem("I am looking for a 486", [doc]) == "copy of a document"
    assert label_problem("i AM looking for", [doc]) == "copy of a document"
    assert label_problem("Looking for a 486", [doc]) == "copy of a document"  # among the first words
    title = "Hibernate mapping of a composite key"
    assert label_problem("Hibernate mapping", [title]) is None  # short labels may open a title
    for ok in ("Ice hockey", "World news", "Team sports", "Oracle database", "Motherboards", "Looking glass"):
        assert label_problem(ok, [doc]) is None, ok
    assert "team" in GENERIC_WORDS and "hockey" not in GENERIC_WORDS


def test_rejected_answers_fall_back_to_the_top_words(llm):
    # failure injection with the real model: a prompt whose examples all answer "Team"
    examples = [("Keywords: apple, pear", "Team"), ("Keywords: car, road", "Team"), ("Keywords: sun, moon", "Team")]
    labeler = TopicLabeler(llm=llm, instruction="Answer with the word Team.", examples=examples, n_docs=1,
                           n_phrases=0, select=False)
    labels = labeler.label(TOPICS[1:2])
    assert labels == ["Hockey / Game / Team"]  # the top words as a label (textmine.topics.naming)
    assert labeler.fallbacks_ == [1]
    # asked with docs, without docs: both rejected (no key phrases to leave out)
    assert [reason for _, reason in labeler.rejected_[1]] == ["generic word", "generic word"]
    unchecked = TopicLabeler(llm=llm, instruction="Answer with the word Team.", examples=examples, n_docs=1,
                             n_phrases=0, check=False, select=False)
    assert unchecked.label(TOPICS[1:2]) == ["Team"]
    assert unchecked.raw_labels_ == ["Team"]


def test_make_unique_disambiguates_duplicates():
    labels = make_unique(["Space", "Sports", "space", "Guns"], TOPICS)
    assert labels[0] == "Space"  # the larger topic keeps the label
    assert labels[2] == "space (rocket)"
    assert len({x.casefold() for x in labels}) == 4
    # no free word left -> the topic id makes it unique
    t = [Topic(0, 5, [("a", 1.0)]), Topic(1, 4, [("a", 1.0)])]
    assert make_unique(["a", "A"], t) == ["a", "A #1"]


@pytest.mark.slow  # importing bertopic takes 10-40 s
def test_class_tfidf_matches_bertopic():
    pytest.importorskip("bertopic")
    from bertopic.vectorizers import ClassTfidfTransformer

    rng = np.random.RandomState(0)
    counts = sp.csr_matrix(rng.poisson(0.7, size=(6, 40)))
    ours = class_tfidf(counts).toarray()
    ref = ClassTfidfTransformer().fit_transform(counts).toarray()
    assert np.allclose(ours, ref)
