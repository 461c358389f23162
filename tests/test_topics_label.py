"""TopicLabeler with the real default GGUF, and c-TF-IDF against bertopic's implementation."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp

from textmine.errors import InputError
from textmine.topics import Topic, TopicLabeler
from textmine.topics.label import make_unique
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
    t0 = time.perf_counter()
    labels = labeler.label(TOPICS)
    per_topic = (time.perf_counter() - t0) / len(TOPICS)
    assert len(labels) == len(TOPICS)
    assert all(isinstance(x, str) and x.strip() and len(x) <= 40 + 30 for x in labels)
    assert len({x.casefold() for x in labels}) == len(labels)
    assert labeler.fallbacks_ == []
    assert per_topic < 8.0, per_topic  # ~1 s on an idle 2-core machine; generous for a loaded shared box
    # cached: same labels, much faster
    t0 = time.perf_counter()
    assert TopicLabeler(llm=llm).label(TOPICS) == labels
    assert time.perf_counter() - t0 < 2.0


def test_prompt_is_truncated_by_tokens(llm):
    labeler = TopicLabeler(llm=llm, doc_tokens=20, n_docs=1, n_words=3)
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
