"""Keyphrase P/R/F1@k against hand-computed cases."""

from __future__ import annotations

import math

import pytest

from textmine import Keyword
from textmine.errors import InputError
from textmine.evaluation import evaluate_keyphrases, keyphrase_prf, normalize_keyphrase


def test_normalize_lowercases_and_stems_every_word():
    assert normalize_keyphrase("Neural  Networks") == "neural network"
    assert normalize_keyphrase("Real-time Systems") == normalize_keyphrase("real-time system")
    assert normalize_keyphrase("Learning algorithms") == "learn algorithm"
    assert normalize_keyphrase("") == ""


def test_perfect_prediction():
    s = evaluate_keyphrases([["topic model", "corpus"]], [["corpus", "topic model"]], ks=(2,))
    assert s["P@2"] == 1.0 and s["R@2"] == 1.0 and s["F1@2"] == 1.0
    assert s["n_docs"] == 1


def test_stemmed_exact_match_only():
    # "Neural Networks" matches "neural network"; "network" (a part) does not match
    s = evaluate_keyphrases([["Neural Networks", "network"]], [["neural network"]], ks=(2,))
    assert s["P@2"] == pytest.approx(0.5)
    assert s["R@2"] == pytest.approx(1.0)
    assert s["F1@2"] == pytest.approx(2 * 0.5 * 1.0 / 1.5)


def test_duplicates_after_stemming_removed_before_cut():
    # "network"/"networks" collapse, so the top-2 are "network", "graph"
    s = evaluate_keyphrases([["network", "Networks", "graph"]], [["graph"]], ks=(2,))
    assert s["P@2"] == pytest.approx(0.5)
    assert s["R@2"] == pytest.approx(1.0)
    # without the de-duplication the cut would keep the duplicate and miss "graph"
    assert s["F1@2"] == pytest.approx(2 / 3)


def test_duplicate_gold_counted_once():
    s = evaluate_keyphrases([["graph"]], [["graph", "Graphs", "tree"]], ks=(1,))
    assert s["R@1"] == pytest.approx(0.5)  # gold is {graph, tree}


def test_absent_gold_counts_in_recall_and_precision_divides_by_k():
    # 1 correct of 5 slots (only 2 predicted), 4 gold phrases (some may not be in any text)
    p, r, f = keyphrase_prf(["a b", "c"], ["a b", "x", "y", "z"], k=5)
    assert p == pytest.approx(0.2)
    assert r == pytest.approx(0.25)
    assert f == pytest.approx(2 * 0.2 * 0.25 / 0.45)


def test_macro_average_over_documents():
    preds = [["alpha", "beta"], ["gamma", "delta"]]
    gold = [["alpha", "beta"], ["epsilon"]]
    s = evaluate_keyphrases(preds, gold, ks=(2, 5))
    assert s["F1@2"] == pytest.approx(0.5)  # 1.0 and 0.0
    # at k=5: doc1 P=2/5, R=1 -> F=4/7; doc2 0
    assert s["P@5"] == pytest.approx(0.2)
    assert s["R@5"] == pytest.approx(0.5)
    assert s["F1@5"] == pytest.approx((2 * 0.4 * 1.0 / 1.4) / 2)


def test_empty_gold_and_empty_predictions():
    s = evaluate_keyphrases([[], ["a"]], [["a"], []], ks=(1,))
    assert s["P@1"] == 0.0 and s["R@1"] == 0.0 and s["F1@1"] == 0.0


def test_accepts_keyword_tuples():
    s = evaluate_keyphrases([[Keyword("topic models", 0.9), ("corpus", 0.5)]], [["topic model"]], ks=(1, 2))
    assert s["F1@1"] == 1.0
    assert math.isclose(s["P@2"], 0.5)


def test_bad_input():
    with pytest.raises(InputError):
        evaluate_keyphrases([["a"]], [["a"], ["b"]])
    with pytest.raises(InputError):
        evaluate_keyphrases("a", ["a"])
    with pytest.raises(InputError):
        evaluate_keyphrases([], [])
    with pytest.raises(InputError):
        evaluate_keyphrases([["a"]], [["a"]], ks=(0,))
    with pytest.raises(InputError):
        evaluate_keyphrases([[None]], [["a"]])
    with pytest.raises(InputError):
        evaluate_keyphrases(["abc"], [["a"]])  # a doc's predictions must be a list
