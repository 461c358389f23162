"""Choose a topic's label among candidates, by scores that involve no judge (an LLM used to *score*).

A small LLM that *writes* a label often loses what the topic's top words said ("Batf agents" for a
gun-politics topic, "Game" for ice hockey). :class:`~textmine.topics.TopicLabeler` therefore builds
a few candidate labels per topic and keeps the best one by two scores:

* **candidates** (:func:`candidate_labels`): the LLM's written label, the key phrases that
  :class:`~textmine.KeywordExtractor` finds in the topic's representative documents, pairs of top
  words that stand next to each other in those documents ("Gun control", "Space shuttle") and the
  first top words on their own; each written as the documents write it, 1 to :data:`MAX_WORDS`
  words, and every one passing :func:`~textmine.topics.label.label_problem` (no stop word, number,
  generic word or copy of a document);
* **LLM fit** (:func:`llm_fit`): the LLM's mean log-probability of ``" <candidate>."`` after the
  topic's prompt and :data:`ANSWER_PREFIX` (one KV-cached prompt per topic, all candidates scored
  in fixed batches: :meth:`textmine.llm.LLM.score_continuations`);
* **embedding fit** (:func:`embedding_fit`): cosine similarity of the candidate's embedding to the
  mean embedding of the topic's representative documents, by the topic model's own embedding
  model (never the model that judges labels in benchmarks).

The two scores are z-scored over the topic's candidates and mixed,
``llm_weight * z(llm) + (1 - llm_weight) * z(embedding)``, plus :data:`WRITTEN_BONUS` for the
LLM's own answer. The weights were chosen on development topics only (20 Newsgroups documents
outside the reported sample; ``benchmarks/llm_assist_labels.py --split dev``), see
docs/benchmarks/llm_assist_labels.md.

A rule comes before the score (:data:`FIELD_COVERAGE`, ``0.0`` by default; ``TopicLabeler(coverage=False)``
turns it off): **the field label names the whole topic when it names every document.** The LLM's second written candidate is the topic's
field ("Football", "Music", :data:`FIELD_INSTRUCTION`). :func:`doc_fit` scores every candidate as the name of
each representative document's topic, one document at a time, z-scored per document; a candidate's
:func:`coverage` is its worst z-score. A phrase taken from one document ("Crisp pizza crust", "Band lineup
mix") names that document best and the others badly; the field names them all. When the field label's
coverage is at least ``field_coverage`` it is the label (``textmine demo``: "Football", "Food", "Music",
"Finance", "Space" instead of "League match", "Crisp pizza crust", "Band lineup mix", "Savings",
"Space missions"). A broad field label can lose a fine class ("Sports" for an ice-hockey topic next to a
baseball one); how the default was chosen and what it costs: :data:`FIELD_COVERAGE`.

>>> from textmine.topics import Topic
>>> t = Topic(0, 9, [("gun", 1.0), ("control", 0.9), ("batf", 0.8), ("fbi", 0.7)],
...           representative_docs=["Gun control laws do not stop criminals.", "The BATF raid in Waco."])
>>> from textmine.topics.label import label_problem
>>> candidate_labels(t, written=["Batf agents"], phrases=["gun control laws", "batf raid"], check=label_problem)
['Batf agents', 'Gun control laws', 'BATF raid', 'Gun control', 'Gun', 'Control', 'BATF']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..keywords.promptrank import zscore

__all__ = ["candidate_labels", "llm_fit", "embedding_fit", "doc_fit", "coverage", "select_label", "ANSWER_PREFIX",
           "SCORE_INSTRUCTION", "DOC_INSTRUCTION", "FIELD_COVERAGE"]

#: longest candidate, in words
MAX_WORDS = 4
#: top words tried on their own / in adjacent pairs
N_SINGLE_WORDS = 3
N_PAIR_WORDS = 10
SCORE_INSTRUCTION = (
    "Read the keywords and key phrases of one topic found in a collection of texts, "
    "and name the subject of the topic in 1 to 4 words, as a person would title it."
)
ANSWER_PREFIX = "The topic is"
#: the second written candidate: the topic's field, in the words a person titles a section with
FIELD_INSTRUCTION = (
    "Read the keywords and key phrases of one topic found in a collection of texts. "
    "Answer with the most specific name that covers all of them: the field, activity or product the topic "
    "belongs to, in 1 or 2 words, as a library or a forum would name a section."
)
# examples on subjects that are neither a benchmark class nor a demo theme
FIELD_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("Keywords: garden, plants, soil, seeds, tomatoes, watering\n"
     "Key phrases: vegetable garden, tomato plants, potting soil", "Gardening"),
    ("Keywords: opening, pawn, rook, endgame, grandmaster, move\n"
     "Key phrases: queen's gambit, rook endgame, world championship", "Chess"),
    ("Keywords: dataframe, pandas, column, csv, index, rows\n"
     "Key phrases: pandas dataframe, csv file, column names", "Pandas"),
)
#: the per-document fit (:func:`doc_fit`): one representative document, the candidate as its topic's name
DOC_INSTRUCTION = (
    "Read one document of a collection of texts and name the subject of the topic it belongs to "
    "in 1 to 4 words, as a person would title it."
)
#: each representative document is cut to this many tokens in its :func:`doc_fit` prompt (TopicLabeler's coverage
#: rule); 32 since 2026-12-03 (before: 64, TopicLabeler's ``doc_tokens``): half the tokens per document, for the
#: <= 3 s/topic budget, at a small cost on the development topics (coverage rule 0.726 pooled against 0.743 with 64;
#: the score alone 0.707; benchmarks/results/llm_assist_labels_field_doc32.json) and the same demo labels
DOC_TOKENS = 32
#: the field label is the topic's label when its :func:`coverage` is at least this (see :func:`select_label`):
#: when it names every representative document at least as well as the average candidate. ``None``: never by
#: coverage (the score alone; ``TopicLabeler(coverage=False)`` does the same). The default since 2026-12-03 (before:
#: None), chosen on development topics only, by a rule written down before any reported run: three disjoint
#: samples of 20 Newsgroups documents outside the reported one (61 topics), pooled judge accuracy 0.726 against
#: 0.707 for the score alone (0.810 / 0.654 / 0.714 against 0.723 / 0.640 / 0.759), with :data:`FIELD_INSTRUCTION`
#: asking for the *most specific* name (benchmarks/llm_assist_labels_field.py). It gives ``textmine demo`` the
#: labels a person writes ("Football", "Food", "Music", "Finance", "Space"; the score alone: "League match",
#: "Crisp pizza crust", "Band lineup mix", "Savings", "Space missions"). A broad field label can lose a fine class
#: ("Sports" for an ice-hockey topic next to a baseball one). Reported sets, the same topics (seed 42, this
#: machine), default / score alone / top words: StackOverflow 0.962 / 0.962 / 0.983, AG News 0.904 / 0.923 /
#: 0.914, 20 Newsgroups 0.605 / 0.550 / 0.551; other seeds and the cost (about 1 s per topic):
#: docs/benchmarks/llm_assist_labels.md, "The coverage rule is the default".
FIELD_COVERAGE: float | None = 0.0
#: defaults chosen on development topics (see the module docs): 17 topics of 3,000 20 Newsgroups documents
#: outside the reported sample, Qwen2.5-Coder-0.5B; judge accuracy 0.617 (written labels alone 0.562, top words
#: 0.593) on a plateau of settings (llm_weight 0-0.5, written bonus 0.5-1, words weight 0-0.5, with or without
#: documents in the scoring prompt); these are its centre (benchmarks/results/llm_assist_labels_tune_dev.txt)
LLM_WEIGHT = 0.5
WRITTEN_BONUS = 0.5
LENGTH_ALPHA = 1.0
#: representative documents shown in the scoring prompt
SCORE_DOCS = 0
#: share of the top words in the topic's embedding centre (the rest: its documents)
WORDS_WEIGHT = 0.5

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def _forms(docs: Sequence[str]) -> dict[str, Counter]:
    forms: dict[str, Counter] = {}
    for d in docs:
        for tok in _WORD.findall(d):
            forms.setdefault(tok.casefold(), Counter())[tok] += 1
    return forms


def _surface(phrase: str, forms: dict[str, Counter]) -> str:
    """The phrase as the documents write its words ("batf raid" -> "BATF raid"), first letter upper case."""
    out = []
    for tok in phrase.split():
        seen = forms.get(tok.casefold())
        form = seen.most_common(1)[0][0] if seen else tok
        # a word written in lower case somewhere is a common word: keep it lower case inside the label
        if seen and tok.casefold() in seen:
            form = tok.casefold()
        out.append(form)
    s = " ".join(out)
    return s[:1].upper() + s[1:]


def candidate_labels(
    topic: Any,
    written: Sequence[str] = (),
    phrases: Sequence[str] = (),
    *,
    max_chars: int = 40,
    check: Callable[[str, Sequence[str]], str | None] | None = None,
) -> list[str]:
    """The candidate labels of ``topic``, in a fixed order: ``written`` (the LLM's answers), key
    ``phrases``, adjacent top-word pairs, the first top words; de-duplicated (case-insensitive),
    each 1 to :data:`MAX_WORDS` words and ``max_chars`` characters, every one accepted by ``check(label, docs)``
    (``None`` for an acceptable label; TopicLabeler passes :func:`~textmine.topics.label.label_problem`)."""
    from .naming import stop_words

    docs = [str(d) for d in (getattr(topic, "representative_docs", None) or [])]
    forms = _forms(docs)
    stop = stop_words()
    words = [str(w) for w, _ in list(topic.words)[:N_PAIR_WORDS]]
    good = [w for w in words if w.casefold() not in stop and any(c.isalpha() for c in w) and len(w) >= 2]
    pairs: Counter = Counter()
    rank = {w.casefold(): i for i, w in reversed(list(enumerate(good)))}
    for d in docs:
        low = [t.casefold() for t in _WORD.findall(d)]
        for a, b in zip(low, low[1:]):
            if a != b and a in rank and b in rank:
                pairs[(a, b)] += 1
    pair_phrases = [f"{a} {b}" for (a, b), _ in sorted(pairs.items(), key=lambda p: (-p[1], rank[p[0][0]] + rank[p[0][1]]))]
    raw = [(str(w), False) for w in written] + [(str(p), True) for p in phrases]
    raw += [(p, True) for p in pair_phrases[:3]] + [(w, True) for w in good[:N_SINGLE_WORDS]]
    out: list[str] = []
    seen: set[str] = set()
    for text, rewrite in raw:
        text = " ".join(text.split()).strip(" .,;:-\"'")
        if not text:
            continue
        if rewrite:
            text = _surface(text, forms)
        key = text.casefold()
        n_words = len(_WORD.findall(text))
        if key in seen or not 1 <= n_words <= MAX_WORDS or len(text) > max_chars:
            continue
        if check is not None and check(text, docs) is not None:
            continue
        seen.add(key)
        out.append(text)
    return out


def llm_fit(llm: Any, text: str, candidates: Sequence[str], *, length_alpha: float = LENGTH_ALPHA,
            instruction: str = SCORE_INSTRUCTION, answer_prefix: str = ANSWER_PREFIX) -> np.ndarray:
    """``sum(log p) / n_tokens ** length_alpha`` of ``" <candidate>."`` after the topic's prompt ``text``."""
    if not candidates:
        return np.zeros(0)
    lps = llm.score_continuations(instruction, text, [f" {c}." for c in candidates], answer_prefix=answer_prefix)
    return np.array([float(np.sum(lp)) / max(1, len(lp)) ** float(length_alpha) if len(lp) else -np.inf
                     for lp in lps])


def _unit(X: Any) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    n = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(n > 0, n, 1.0)


def embedding_fit(embedder: Any, topic: Any, candidates: Sequence[str], *, words_weight: float | None = None) -> np.ndarray:
    """Cosine similarity of each candidate's embedding to the topic: the mean of its representative
    documents' unit embeddings and, with weight ``words_weight``, of its top ten words written as one text
    (the words alone when the topic has no documents)."""
    if not candidates:
        return np.zeros(0)
    w = WORDS_WEIGHT if words_weight is None else float(words_weight)
    docs = [" ".join(str(d).split()) for d in (getattr(topic, "representative_docs", None) or [])]
    docs = [d for d in docs if d]
    words = ", ".join(str(w) for w, _ in list(topic.words)[:10])
    E = _unit(embedder.encode(list(candidates) + [words] + docs))
    n = len(candidates)
    centre = (1 - w) * E[n + 1:].mean(axis=0) + w * E[n] if docs else E[n]
    centre /= np.linalg.norm(centre) or 1.0
    return E[:n] @ centre


def doc_fit(llm: Any, docs: Sequence[str], candidates: Sequence[str], *, doc_tokens: int = DOC_TOKENS,
            length_alpha: float = LENGTH_ALPHA, instruction: str = DOC_INSTRUCTION,
            answer_prefix: str = ANSWER_PREFIX, stop_below: tuple[int, float] | None = None) -> np.ndarray:
    """How well each candidate names the topic of each document, one document at a time: an array of
    shape ``(len(docs), len(candidates))``, each row the LLM fit (as :func:`llm_fit`) of ``" <candidate>."``
    after ``instruction`` and that document cut to ``doc_tokens`` tokens, z-scored over the candidates.

    A phrase taken from one document ("Crisp pizza crust") fits that document best and the others
    badly; the name of the field ("Cooking") fits every document fairly well (:func:`coverage`).

    ``stop_below=(j, threshold)``: stop after the first document on which candidate ``j`` scores below
    ``threshold`` (its :func:`coverage` is then below it whatever the other documents say; the rows of the
    documents scored so far are returned). TopicLabeler uses it to decide its coverage rule at less cost."""
    rows = []
    for d in docs:
        d = " ".join(str(d).split())
        if not d or not candidates:
            continue
        d = llm.truncate(d, int(doc_tokens)) if hasattr(llm, "truncate") else d
        rows.append(zscore(llm_fit(llm, "Document: " + d, candidates, length_alpha=length_alpha,
                                   instruction=instruction, answer_prefix=answer_prefix)))
        if stop_below is not None and rows[-1][int(stop_below[0])] < float(stop_below[1]):
            break
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(candidates))


def coverage(doc_scores: np.ndarray) -> np.ndarray:
    """How well each candidate covers all the topic's documents: its lowest per-document z-score
    (:func:`doc_fit`; the document it names worst); ``-inf`` for every candidate without documents
    (no evidence that any candidate covers them).

    >>> coverage(np.array([[1.0, -1.0, 0.0], [0.5, 1.2, -1.7]]))
    array([ 0.5, -1. , -1.7])
    """
    doc_scores = np.asarray(doc_scores, dtype=np.float64)
    if doc_scores.ndim != 2 or doc_scores.shape[0] == 0:
        return np.full(doc_scores.shape[-1] if doc_scores.ndim else 0, -np.inf)
    return doc_scores.min(axis=0)


def select_label(candidates: Sequence[str], llm_scores: np.ndarray, emb_scores: np.ndarray, n_written: int = 0,
                 *, llm_weight: float = LLM_WEIGHT, written_bonus: float = WRITTEN_BONUS,
                 field_index: int | None = None, field_bonus: float = 0.0,
                 coverage: np.ndarray | None = None, field_coverage: float | None = None) -> int:
    """Index of the best candidate: ``llm_weight * z(llm) + (1 - llm_weight) * z(embedding)``, plus
    ``written_bonus`` for the first ``n_written`` candidates (the LLM's answers) and ``field_bonus`` more for
    the one at ``field_index`` (the field label); ties go to the earlier one.

    With ``coverage`` (one value per candidate, :func:`coverage`) and ``field_coverage``, the field label
    is chosen outright when its coverage is at least ``field_coverage``: the LLM finds it a fitting name
    for every one of the topic's documents, so it names the whole topic, where a specific phrase often
    names one document."""
    if not len(candidates):
        raise ValueError("no candidates")
    if field_index is not None and coverage is not None and field_coverage is not None:
        if float(np.asarray(coverage)[int(field_index)]) >= float(field_coverage):
            return int(field_index)
    w = float(llm_weight)
    score = w * zscore(llm_scores) + (1.0 - w) * zscore(emb_scores)
    score[: int(n_written)] += float(written_bonus)
    if field_index is not None:
        score[int(field_index)] += float(field_bonus)
    return int(np.argmax(score))
