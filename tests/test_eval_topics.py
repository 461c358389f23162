"""Topic evaluation metrics on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from textmine.errors import InputError
from textmine.evaluation import (
    clustering_scores,
    npmi_coherence,
    npmi_per_topic,
    outlier_share,
    topic_diversity,
)
from textmine.topics import Topic

REF = ["cat dog", "cat dog", "cat fish", "bird", "Dog, bird!"]


def test_npmi_hand_computed():
    # N=5; p(cat)=3/5, p(dog)=3/5, p(cat,dog)=2/5
    expected = math.log((2 / 5) / (3 / 5 * 3 / 5)) / -math.log(2 / 5)
    assert npmi_coherence([["cat", "dog"]], REF) == pytest.approx(expected)
    # never together -> -1 ; cat & bird never co-occur
    assert npmi_coherence([["cat", "bird"]], REF) == pytest.approx(-1.0)
    # three words: mean over the 3 pairs
    cd = expected
    cb = -1.0
    db = math.log((1 / 5) / (3 / 5 * 2 / 5)) / -math.log(1 / 5)
    assert npmi_per_topic([["cat", "dog", "bird"]], REF)[0] == pytest.approx((cd + cb + db) / 3)


def test_npmi_tokenization_and_unknown_words():
    # case-insensitive, punctuation split; unknown words skipped; top_n cuts the list
    assert npmi_coherence([["DOG", "Bird", "unicorn"]], REF) == pytest.approx(
        math.log((1 / 5) / (3 / 5 * 2 / 5)) / -math.log(1 / 5)
    )
    assert math.isnan(npmi_per_topic([["unicorn", "cat"]], REF)[0])
    assert npmi_coherence([["cat", "dog", "bird"]], REF, top_n=2) == npmi_coherence([["cat", "dog"]], REF)
    # words that co-occur in every document -> +1
    assert npmi_coherence([["aa", "bb"]], ["aa bb", "bb aa cc"]) == pytest.approx(1.0)


def test_npmi_accepts_topic_objects():
    topics = [Topic(0, 2, [("cat", 0.9), ("dog", 0.5)]), Topic(1, 1, [("cat", 0.9), ("bird", 0.2)])]
    assert npmi_coherence(topics, REF) == pytest.approx(
        (npmi_coherence([["cat", "dog"]], REF) + (-1.0)) / 2
    )
    with pytest.raises(InputError):
        npmi_coherence([["a", "b"]], "not a corpus")


def test_topic_diversity():
    assert topic_diversity([["a", "b"], ["b", "c"]], top_n=2) == pytest.approx(3 / 4)
    assert topic_diversity([["a", "b", "c"], ["d", "e", "f"]], top_n=25) == 1.0
    assert topic_diversity([["a", "b", "x"], ["a", "b", "y"]], top_n=2) == pytest.approx(0.5)


def test_clustering_scores_and_outliers():
    gold = ["x", "x", "y", "y"]
    assert clustering_scores([1, 1, 0, 0], gold) == {"nmi": pytest.approx(1.0), "ari": pytest.approx(1.0)}
    s = clustering_scores([0, 1, 0, 1], gold)
    assert s["nmi"] == pytest.approx(0.0, abs=1e-12) and s["ari"] < 0
    assert outlier_share([-1, 0, -1, 2]) == 0.5
    with pytest.raises(InputError):
        clustering_scores([0, 1], gold)
