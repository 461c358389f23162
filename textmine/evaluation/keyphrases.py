"""Keyphrase evaluation: precision, recall and F1 at k, the standard protocol.

Protocol (Hulth 2003; Kim et al. 2010; pke and most papers since):

* both predicted and gold phrases are lower-cased, split into words and every
  word is Porter-stemmed (nltk's ``PorterStemmer``; no data download needed);
  punctuation other than hyphens inside words is treated as a word break, and
  ``-`` is kept ("real-time" stays one word, as in the gold files);
* a prediction is correct when its stemmed form equals a gold phrase's stemmed
  form exactly;
* duplicates after stemming are removed from the predictions (keeping the first,
  i.e. best-ranked, occurrence) *before* the cut at ``k``, and from the gold;
* gold phrases that do not occur in the text still count in the recall
  denominator (the protocol does not look at the text at all);
* P, R and F1 are computed per document and then averaged over documents
  (a document with no gold phrases scores 0 for R and F1; a document with no
  predictions scores 0 for P).  P@k divides by ``k``, so returning fewer than
  ``k`` phrases is not rewarded.

>>> from textmine.evaluation import evaluate_keyphrases
>>> scores = evaluate_keyphrases([["neural networks", "graph", "topic models"]],
...                              [["neural network", "topic model", "corpus"]], ks=(2,))
>>> round(scores["P@2"], 3), round(scores["R@2"], 3), round(scores["F1@2"], 3)
(0.5, 0.333, 0.4)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from ..errors import InputError

__all__ = ["evaluate_keyphrases", "normalize_keyphrase", "keyphrase_prf"]

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stem(word)


def normalize_keyphrase(phrase: str) -> str:
    """Lower-case, tokenise and Porter-stem ``phrase``; words joined by one space.

    >>> normalize_keyphrase("Neural  Networks")
    'neural network'
    """
    words = _WORD.findall(phrase.lower())
    return " ".join(_stem(w) for w in words)


def _phrase_text(item: Any, where: str) -> str:
    # str, Keyword / (text, score) tuple, or bytes
    if isinstance(item, str):
        return item
    if isinstance(item, tuple) and item and isinstance(item[0], str):
        return item[0]
    if isinstance(item, (bytes, bytearray)):
        return bytes(item).decode("utf-8", "replace")
    raise InputError(f"{where} must be a str or a Keyword/(text, score) tuple, got {type(item).__name__}")


def _unique_stemmed(items: Iterable[Any], where: str) -> list[str]:
    if items is None or isinstance(items, (str, bytes)):
        raise InputError(f"{where} must be a list of phrases, got {type(items).__name__}")
    seen: dict[str, None] = {}
    for j, item in enumerate(items):
        key = normalize_keyphrase(_phrase_text(item, f"{where}[{j}]"))
        if key and key not in seen:
            seen[key] = None
    return list(seen)


def keyphrase_prf(predicted: Sequence[Any], gold: Sequence[Any], k: int) -> tuple[float, float, float]:
    """P, R, F1 at ``k`` for one document (see the module docstring for the protocol).

    >>> p, r, f = keyphrase_prf(["a b", "c"], ["a b", "d", "e"], k=2)
    >>> p, round(r, 3), round(f, 3)
    (0.5, 0.333, 0.4)
    """
    pred = _unique_stemmed(predicted, "predictions")[:k]
    gold_set = set(_unique_stemmed(gold, "gold"))
    correct = sum(1 for p in pred if p in gold_set)
    precision = correct / k
    recall = correct / len(gold_set) if gold_set else 0.0
    f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
    return precision, recall, f1


def evaluate_keyphrases(
    predictions: Sequence[Sequence[Any]],
    gold: Sequence[Sequence[str]],
    ks: Sequence[int] = (5, 10),
) -> dict[str, float]:
    """Macro-averaged P/R/F1 at each ``k`` in ``ks`` over documents.

    ``predictions[i]`` is the ranked list (best first) for document ``i``: strings
    or :class:`~textmine.Keyword` / ``(text, score)`` tuples.  ``gold[i]`` is the
    list of gold phrases.  Precision at ``k`` divides by ``k`` (the usual
    convention of pke and the KeyBERT/EmbedRank papers), so a system that returns
    fewer than ``k`` phrases is not rewarded for it.

    Returns ``{"P@k": .., "R@k": .., "F1@k": .., ..., "n_docs": n}`` with values in
    ``[0, 1]``.

    >>> evaluate_keyphrases([["a", "b"]], [["a"]], ks=(1, 2))["F1@1"]
    1.0
    """
    if isinstance(predictions, (str, bytes)) or isinstance(gold, (str, bytes)):
        raise InputError("predictions and gold must be lists (one list of phrases per document)")
    predictions = list(predictions)
    gold = list(gold)
    if len(predictions) != len(gold):
        raise InputError(
            f"predictions has {len(predictions)} documents but gold has {len(gold)}"
        )
    if not predictions:
        raise InputError("no documents to evaluate")
    ks = [int(k) for k in ks]
    if not ks or any(k < 1 for k in ks):
        raise InputError(f"ks must be positive integers, got {ks!r}")
    out: dict[str, float] = {}
    pred_norm = [_unique_stemmed(p, f"predictions[{i}]") for i, p in enumerate(predictions)]
    gold_norm = [set(_unique_stemmed(g, f"gold[{i}]")) for i, g in enumerate(gold)]
    n = len(predictions)
    for k in ks:
        sp = sr = sf = 0.0
        for pred, gset in zip(pred_norm, gold_norm):
            correct = sum(1 for p in pred[:k] if p in gset)
            p = correct / k
            r = correct / len(gset) if gset else 0.0
            sp += p
            sr += r
            sf += 2 * p * r / (p + r) if correct else 0.0
        out[f"P@{k}"] = sp / n
        out[f"R@{k}"] = sr / n
        out[f"F1@{k}"] = sf / n
    out["n_docs"] = float(n)
    return out
