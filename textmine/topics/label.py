"""TopicLabeler: short, human-readable, unique topic labels from a local LLM.

For each topic the prompt holds its top words, key phrases of its
representative documents (:class:`~textmine.KeywordExtractor`) and, for models
that can read them, a few of the documents themselves (each truncated by
tokens so the prompt fits the model's context); the answer is
grammar-constrained to one short string (``LLM.generate_text``) and cached on
disk by the LLM layer.

Every answer is checked (:func:`label_problem`): a stop word, a number, a
generic word ("Best", "Growth", "Team") or a copy of a document (the whole document, title or
first sentence, or its first words) is rejected, and so are a list of four or more comma-separated words and an answer cut off after a
stop word ("Bryant, Kobe, assault, dna, sexual, the"); the topic is asked again without documents,
then without key phrases, then falls back to a label made of its top words without stop words
(:func:`~textmine.topics.naming.fallback_label`, e.g. "Kobe Bryant / Assault / DNA"; ``fallbacks_``).

Labels are made unique across topics (BERTopic issue #1341): when two topics
get the same label (case-insensitive), the larger topic keeps it and the
others get their most characteristic top word that is not already in the
label appended in parentheses, e.g. ``"Computer hardware (scsi)"``.

>>> from textmine import TopicModel, TopicLabeler                 # doctest: +SKIP
>>> tm = TopicModel(random_state=42).fit(docs)                    # doctest: +SKIP
>>> tm.label_topics(TopicLabeler(llm="default"))                  # doctest: +SKIP
>>> [t.label for t in tm.topics_][:3]                             # doctest: +SKIP
['Space exploration', 'Hockey games', 'Gun control']
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from typing import Any

from ..errors import InputError, LLMOutputError

__all__ = ["TopicLabeler", "DEFAULT_INSTRUCTION", "DEFAULT_EXAMPLES", "GENERIC_WORDS", "label_problem"]

DEFAULT_INSTRUCTION = (
    "Read the keywords, key phrases and example documents of one topic found in a collection of texts. "
    "Answer with a short label of 1 to 4 words that names the subject of the topic "
    "(a field, a product, an activity), as a person would title it."
)

# examples on subjects that are neither a benchmark class nor a demo theme
DEFAULT_EXAMPLES: tuple[tuple[str, str], ...] = (
    (
        "Keywords: garden, plants, soil, seeds, tomatoes, watering\n"
        "Key phrases: vegetable garden, tomato plants, potting soil\n"
        "Documents:\n- My tomato plants get yellow leaves although I water them every day.",
        "Vegetable gardening",
    ),
    (
        "Keywords: dataframe, pandas, column, csv, index, rows\n"
        "Key phrases: pandas dataframe, csv file, column names\n"
        "Documents:\n- How do I rename the columns of a pandas DataFrame read from a CSV file?",
        "Pandas dataframes",
    ),
)

#: one-word answers that name no subject; a label made only of these (and stop words) is rejected
GENERIC_WORDS = frozenset(
    """
    best good great better new top other others various general misc miscellaneous growth team teams
    group groups people thing things stuff topic topics subject subjects theme themes category
    categories keyword keywords label labels discussion discussions question questions answer answers
    problem problems issue issues help information info news update updates story stories article
    articles post posts text texts document documents example examples list item items type types way
    ways time times year years day days opinion opinions introduction overview summary unknown none
    """.split()
)

#: a label of at least this many words found among a document's first words is a copy of the document
MIN_COPY_WORDS = 4
#: an answer with this many commas is a word list (the keywords copied back), not a label
MAX_LIST_COMMAS = 3
_QUESTION_WORDS = frozenset({"how", "what", "why", "where", "when", "which", "who", "can", "does", "should"})
_TRIM = re.compile(r"^[\s\"'`*#:\-]+|[\s\"'`*#:.\-]+$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _norm_words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")


def _whole_parts(doc: str) -> list[list[str]]:
    """The words of a whole document, of its first line (a title) and of its first sentence."""
    doc = str(doc).strip()
    first_line = doc.split("\n", 1)[0]
    m = _SENTENCE_END.search(doc)
    first_sentence = doc[: m.start()] if m else doc
    return [_norm_words(doc), _norm_words(first_line), _norm_words(first_sentence)]


def label_problem(label: str, docs: Sequence[str] = ()) -> str | None:
    """Why ``label`` does not name a topic, or ``None`` when it is acceptable.

    Rejected: an empty label, a number (no letters), a label made only of stop words and
    :data:`GENERIC_WORDS`, a question, a word list (:data:`MAX_LIST_COMMAS` commas or more), an
    answer whose last word is a stop word (cut off by the length limit), and a copy of one of ``docs``: the
    whole document, its whole first line (a title) or its whole first sentence, of any length (case and
    punctuation ignored; a label describes the topic, it does not quote one document), or
    :data:`MIN_COPY_WORDS` words or more found together among a document's first words (shorter
    labels such as "Hibernate mapping" often open a StackOverflow title and are fine).

    >>> label_problem("Team"), label_problem("1993"), label_problem("The")
    ('generic word', 'number', 'stop word')
    >>> label_problem("I am looking for a", ["I am looking for a 486 motherboard"])
    'copy of a document'
    >>> label_problem("Magento development", ["Magento development"])
    'copy of a document'
    >>> label_problem("How do I make the dough?")
    'question'
    >>> label_problem("Bryant, Kobe, assault, dna, sexual, the"), label_problem("Sexual assault of the")
    ('word list', 'cut off')
    >>> label_problem("Ice hockey") is None
    True
    """
    words = _norm_words(label)
    if not words:
        return "number" if re.search(r"\d", label) else "empty"
    if not any(re.search(r"[^\W\d_]", w) for w in words):
        return "number"
    stop = _stop_words()
    if all(w in stop for w in words):
        return "stop word"
    if all(w in stop or w in GENERIC_WORDS or w.isdigit() for w in words):
        return "generic word"
    if label.rstrip().endswith("?") or words[0] in _QUESTION_WORDS:
        return "question"
    n = len(words)
    if any(words in _whole_parts(d) for d in docs):
        return "copy of a document"
    if n >= MIN_COPY_WORDS:
        for d in docs:
            head = _norm_words(d)[: n + 2]
            if any(head[i : i + n] == words for i in range(len(head) - n + 1)):
                return "copy of a document"
    if label.count(",") >= MAX_LIST_COMMAS:
        return "word list"
    if n >= 2 and words[-1] in stop:
        return "cut off"
    return None


class TopicLabeler:
    """Label topics with a local LLM (grammar-constrained, checked, cached, unique labels).

    Parameters
    ----------
    llm:
        ``"default"`` (the packaged GGUF), another preset name, a ``.gguf`` path
        or an :class:`~textmine.llm.LLM`; loaded on first use.
    n_words:
        top words shown per topic.
    n_phrases:
        key phrases shown per topic: the best ``n_phrases`` phrases that
        :class:`~textmine.KeywordExtractor` finds in the topic's representative documents
        (0: none). They give the model multi-word names ("oracle stored procedure",
        "shell script") that single c-TF-IDF words miss (docs/benchmarks/llm_assist_labels.md).
    n_docs:
        representative documents shown per topic. ``"auto"`` (default): 3 for models whose GGUF
        file is 1 GB or more (Mistral 7B and the like), 0 for small ones: the packaged Gemma 3 270M
        copies the first words of a document instead of naming the topic ("I am looking for a 486
        or 50 motherboard"), and labels from the top words alone were better and 3x faster on
        20 Newsgroups (docs/benchmarks/labels.md).
    doc_tokens:
        each document shown in the prompt is truncated to this many tokens of the LLM's tokenizer (the
        coverage rule cuts them to :data:`~textmine.topics.label_select.DOC_TOKENS`).
    max_chars:
        longest label (enforced by the grammar).
    check:
        reject answers that name no subject (:func:`label_problem`): the topic is asked again
        without documents, then without key phrases, then falls back to its top words.
    instruction, examples:
        the prompt; ``examples`` are ``(prompt text, label)`` pairs. An example's ``Key phrases:``
        line and ``Documents:`` block are left out for topics whose prompt has none.
    keyword_extractor:
        the :class:`~textmine.KeywordExtractor` for the key phrases (default: its defaults with
        ``top_n=n_phrases``).
    select:
        ``True`` (default): the written label is one candidate among the key phrases, adjacent
        top-word pairs and top words, and the label is the candidate the LLM (scoring, not writing)
        and the embedding model find closest to the topic (:mod:`textmine.topics.label_select`).
        ``False``: the written label as it is.
    field:
        with ``select``, the LLM also names the topic's field ("Cooking", "Astronomy";
        :meth:`field_label`), a second written candidate. ``field_bonus``: added to its score (0: chosen
        like any candidate; 3: the field label nearly always; docs/benchmarks/llm_assist_labels.md).
    coverage, field_coverage:
        with ``select`` and ``field`` (the default), the field label is the label when it names *every*
        representative document: the LLM scores each candidate as the name of each document's topic, one
        document at a time (:func:`~textmine.topics.label_select.doc_fit`, one scoring pass per document), and
        the field label's worst per-document z-score (:func:`~textmine.topics.label_select.coverage`) is at
        least ``field_coverage`` (``None``: :data:`~textmine.topics.label_select.FIELD_COVERAGE`, 0.0). A phrase
        taken from one document ("Crisp pizza crust") names that document well and the others badly; "Food"
        names them all: ``textmine demo`` gets "Football", "Food", "Music", "Finance", "Space" (the score
        alone: "League match", "Crisp pizza crust", "Band lineup mix", "Savings", "Space missions").
        ``coverage=False``: never, the score alone (the default before 2026-12-03 evening; a broad field label
        can lose a fine class, "Sports" for an ice-hockey topic next to a baseball one; measured in
        docs/benchmarks/llm_assist_labels.md).
    embedding_model:
        the embedding model that scores candidates against the topic's representative documents
        (default: the topic model's own when called through ``TopicModel.label_topics``, else
        ``"default"``).
    llm_weight, written_bonus:
        the selection's weights (:func:`~textmine.topics.label_select.select_label`).

    Attributes (after :meth:`label`)
    --------------------------------
    fallbacks_ : ids of topics whose label fell back to their top words (LLM gave nothing usable).
    rejected_ : ``{topic id: [(answer, reason), ...]}`` answers refused by the check.
    candidates_ : ``{topic id: [(candidate, LLM fit, embedding fit), ...]}`` (with ``select``).
    coverage_ : ``{topic id: [coverage of each candidate, ...]}`` where the coverage rule was asked: over the
        documents scored until it was decided (the first one the field label names worse than ``field_coverage``
        ends it; a topic whose score already chose the field label is not asked).
    raw_labels_ : the labels before they were made unique.
    seconds_ : wall time of the last :meth:`label` call.

    Examples
    --------
    >>> from textmine.topics import Topic, TopicLabeler
    >>> t = Topic(0, 3, [("orbit", 1.0), ("nasa", 0.9)], representative_docs=["NASA launched it."])
    >>> TopicLabeler(n_phrases=0).prompt_text(t).splitlines()[0]
    'Keywords: orbit, nasa'
    """

    def __init__(
        self,
        llm: Any = "default",
        *,
        n_words: int = 10,
        n_phrases: int = 5,
        n_docs: int | str = "auto",
        doc_tokens: int = 64,
        max_chars: int = 40,
        check: bool = True,
        instruction: str = DEFAULT_INSTRUCTION,
        examples: Sequence[tuple[str, str]] = DEFAULT_EXAMPLES,
        keyword_extractor: Any = None,
        select: bool = True,
        field: bool = True,
        field_bonus: float = 0.0,
        coverage: bool = True,
        field_coverage: float | None = None,
        embedding_model: Any = None,
        llm_weight: float | None = None,
        written_bonus: float | None = None,
    ):
        self.llm = llm
        self.n_words = n_words
        self.n_phrases = n_phrases
        self.n_docs = n_docs
        self.doc_tokens = doc_tokens
        self.max_chars = max_chars
        self.check = check
        self.instruction = instruction
        self.examples = examples
        self.keyword_extractor = keyword_extractor
        self.select = select
        self.field = field
        self.field_bonus = field_bonus
        self.coverage = coverage
        self.field_coverage = field_coverage
        self.embedding_model = embedding_model
        self.llm_weight = llm_weight
        self.written_bonus = written_bonus

    def _llm(self) -> Any:
        from ..llm import load_llm

        return load_llm(self.llm, task="labels")

    # ------------------------------------------------------------------ prompt parts

    def _extractor(self) -> Any:
        if self.keyword_extractor is not None:
            return self.keyword_extractor
        if getattr(self, "_kx", None) is None:
            from ..keywords import KeywordExtractor

            self._kx = KeywordExtractor(top_n=self.n_phrases)
        return self._kx

    def key_phrases(self, topics: Sequence[Any]) -> list[list[str]]:
        """The key phrases shown for each topic (one batch through the extractor)."""
        if self.n_phrases == 0:
            return [[] for _ in topics]
        texts = ["\n".join(_without_instructions(" ".join(d.split())) for d in t.representative_docs)
                 for t in topics]
        idx = [i for i, x in enumerate(texts) if x.strip()]
        out: list[list[str]] = [[] for _ in topics]
        if idx:
            found = self._extractor().transform([texts[i] for i in idx])
            for i, kws in zip(idx, found):
                out[i] = [k.text for k in kws][: self.n_phrases]
        return out

    def prompt_text(self, topic: Any, llm: Any = None, *, phrases: Sequence[str] | None = None,
                    n_docs: int | None = None) -> str:
        """The text given to the LLM for one topic: top words, key phrases, documents truncated to
        ``doc_tokens``.

        Without ``llm`` documents are cut at ``4 * doc_tokens`` characters (a preview). ``phrases``
        default to :meth:`key_phrases` of the topic.
        """
        words = [w for w, _ in topic.words[: self.n_words]]
        parts = ["Keywords: " + ", ".join(words)] if words else []
        if phrases is None:
            phrases = self.key_phrases([topic])[0]
        if phrases:
            parts.append("Key phrases: " + ", ".join(phrases))
        docs = []
        for d in topic.representative_docs[: self._n_docs(llm) if n_docs is None else n_docs]:
            d = _without_instructions(" ".join(d.split()))
            d = llm.truncate(d, self.doc_tokens) if llm is not None else d[: 4 * self.doc_tokens]
            if d:
                docs.append(d)
        if docs:
            parts.append("Documents:\n" + "\n".join(f"- {d}" for d in docs))
        return "\n".join(parts)

    #: GGUF files at least this large count as models big enough to read example documents
    BIG_MODEL_BYTES = 1_000_000_000

    def _n_docs(self, llm: Any = None) -> int:
        if self.n_docs != "auto":
            if isinstance(self.n_docs, bool) or not isinstance(self.n_docs, int) or self.n_docs < 0:
                raise InputError(f'TopicLabeler.n_docs must be "auto" or an integer >= 0, got {self.n_docs!r}')
            return self.n_docs
        path = getattr(llm, "path", None)
        try:
            size = os.path.getsize(path) if path is not None else 0
        except OSError:
            size = 0
        return 3 if size >= self.BIG_MODEL_BYTES or llm is None else 0

    @staticmethod
    def _fallback(topic: Any) -> str:
        from .naming import fallback_label

        return fallback_label(topic)

    # ------------------------------------------------------------------ labelling

    def _examples(self, text: str, examples: Sequence[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
        """The examples in the shape of ``text``: their "Key phrases:" line and "Documents:" block are
        left out when the topic's prompt has none (a small model copies the shape it is shown)."""
        has_phrases, has_docs = "\nKey phrases: " in text, "\nDocuments:\n" in text
        out = []
        for ex_text, answer in self.examples if examples is None else examples:
            lines = str(ex_text).split("\n")
            if not has_docs and "Documents:" in lines:
                lines = lines[: lines.index("Documents:")]
            if not has_phrases:
                lines = [ln for ln in lines if not ln.startswith("Key phrases:")]
            out.append(("\n".join(lines), answer))
        return out

    def _ask(self, llm: Any, text: str, instruction: str | None = None,
             examples: Sequence[tuple[str, str]] | None = None) -> str:
        try:
            raw = llm.generate_text(self.instruction if instruction is None else instruction, text,
                                    examples=self._examples(text, examples), max_chars=self.max_chars)
        except LLMOutputError:
            raw = ""
        label = _TRIM.sub("", " ".join(raw.split()))
        return label[:1].upper() + label[1:]

    def label_one(self, topic: Any, phrases: Sequence[str] | None = None) -> str:
        """A checked label for one topic (not de-duplicated)."""
        if not hasattr(self, "fallbacks_"):
            self.fallbacks_: list[int] = []
        if not hasattr(self, "rejected_"):
            self.rejected_: dict[int, list[tuple[str, str]]] = {}
        llm = self._llm()
        if phrases is None:  # computed in one batch by label(), else for this topic alone
            phrases = getattr(self, "_batch_phrases", {}).get(id(topic))
        if phrases is None:
            phrases = self.key_phrases([topic])[0]
        n_docs = self._n_docs(llm)
        # asked again on rejection: without documents, then without key phrases (the prompt of 10 words)
        attempts = [(n_docs, phrases)]
        if self.check:
            attempts += [(0, phrases)] if n_docs > 0 else []
            attempts += [(0, [])] if phrases else []
        for n, shown in attempts:
            text = self.prompt_text(topic, llm, phrases=shown, n_docs=n)
            if not text.strip():
                return self._fallback(topic)
            label = self._ask(llm, text)
            problem = label_problem(label, topic.representative_docs) if self.check else (None if label else "empty")
            if problem is None:
                return label
            self.rejected_.setdefault(int(topic.id), []).append((label, problem))
        self.fallbacks_.append(int(topic.id))
        return self._fallback(topic)

    def choose(self, topic: Any, written: str, phrases: Sequence[str] = ()) -> str:
        """The best of ``topic``'s candidate labels (``written`` among them) by LLM and embedding scores
        (:mod:`textmine.topics.label_select`); ``candidates_`` keeps each topic's candidates and scores."""
        from . import label_select as S

        llm = self._llm()
        written_ok = int(topic.id) not in getattr(self, "fallbacks_", [])  # a fallback is no written answer
        field = self.field_label(topic, phrases) if self.field else ""
        answers = ([written] if written_ok else []) + ([field] if field else [])
        cands = S.candidate_labels(topic, answers, phrases, max_chars=self.max_chars,
                                   check=label_problem if self.check else None)
        if not cands:
            return written
        ll = S.llm_fit(llm, self.prompt_text(topic, llm, phrases=phrases, n_docs=S.SCORE_DOCS), cands)
        em = S.embedding_fit(self._embedder(), topic, cands)
        n_written = sum(1 for c in cands[: len(answers)] if c in answers)  # the written answers come first
        w = S.LLM_WEIGHT if self.llm_weight is None else self.llm_weight
        b = S.WRITTEN_BONUS if self.written_bonus is None else self.written_bonus
        fi = [j for j, c in enumerate(cands) if field and c.casefold() == field.casefold()]
        fc = S.FIELD_COVERAGE if self.field_coverage is None else self.field_coverage
        kw = dict(llm_weight=w, written_bonus=b, field_index=fi[0] if fi else None, field_bonus=self.field_bonus)
        i = S.select_label(cands, ll, em, n_written, **kw)
        cov = None
        # does the field label name every document? (label_select.doc_fit; not asked when the score already
        # chose it, and stopped at the first document it names worse than the threshold: the same label)
        if fi and i != fi[0] and self.coverage and fc is not None:
            docs = [d for d in (_without_instructions(" ".join(str(d).split())) for d in topic.representative_docs) if d]
            if docs:
                cov = S.coverage(S.doc_fit(llm, docs, cands, doc_tokens=S.DOC_TOKENS, stop_below=(fi[0], fc)))
                i = S.select_label(cands, ll, em, n_written, coverage=cov, field_coverage=fc, **kw)
        if not hasattr(self, "candidates_"):
            self.candidates_: dict[int, list[tuple[str, float, float]]] = {}
        if not hasattr(self, "coverage_"):
            self.coverage_: dict[int, list[float]] = {}
        self.candidates_[int(topic.id)] = [(c, float(a), float(e)) for c, a, e in zip(cands, ll, em)]
        if cov is not None:
            self.coverage_[int(topic.id)] = [float(x) for x in cov]
        return cands[i]

    def field_label(self, topic: Any, phrases: Sequence[str] = ()) -> str:
        """The LLM's name for the topic's field ("Cooking", "Chess"): the second written candidate
        (:data:`~textmine.topics.label_select.FIELD_INSTRUCTION`); top words and key phrases, no documents."""
        from . import label_select as S

        llm = self._llm()
        text = self.prompt_text(topic, llm, phrases=phrases, n_docs=0)
        return self._ask(llm, text, S.FIELD_INSTRUCTION, S.FIELD_EXAMPLES) if text.strip() else ""

    def _embedder(self) -> Any:
        from ..embed import get_embedder

        model = self.embedding_model if self.embedding_model is not None else getattr(self, "_topic_embedding_model", None)
        return get_embedder(model if model is not None else "default")

    def _check_params(self) -> None:
        for name in ("n_words", "n_phrases", "doc_tokens", "max_chars"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (1 if name in ("max_chars", "n_words") else 0):
                kind = "a positive integer" if name in ("max_chars", "n_words") else "an integer >= 0"
                raise InputError(f"TopicLabeler.{name} must be {kind}, got {v!r}")
        self._n_docs()  # "auto" or an integer >= 0
        fc = self.field_coverage
        if fc is not None and (isinstance(fc, bool) or not isinstance(fc, (int, float)) or fc != fc):
            raise InputError(f"TopicLabeler.field_coverage must be a number or None, got {fc!r}")

    def label(self, topics: Sequence[Any], *, embedding_model: Any = None) -> list[str]:
        """Unique, non-empty labels for ``topics`` (a list of :class:`~textmine.topics.Topic`).

        ``embedding_model``: the topics' embedding model, used to score candidates when the labeler's
        own ``embedding_model`` is None (``TopicModel.label_topics`` passes its own)."""
        self._topic_embedding_model = embedding_model
        if hasattr(topics, "topics_"):
            topics = topics.topics_
        topics = list(topics)
        self._check_params()
        t0 = time.perf_counter()
        self.fallbacks_ = []
        self.rejected_ = {}
        self.candidates_ = {}
        self.coverage_ = {}
        self._batch_phrases = {id(t): p for t, p in zip(topics, self.key_phrases(topics))}
        try:  # label_one(topic) alone: callers may wrap it (the CLI counts labels with it)
            raw = [self.label_one(t) for t in topics]
            self.written_labels_ = list(raw)
            if self.select:
                raw = [self.choose(t, lab, self._batch_phrases[id(t)]) for t, lab in zip(topics, raw)]
        finally:
            self._batch_phrases = {}
        self.raw_labels_ = list(raw)
        labels = make_unique(raw, topics)
        self.seconds_ = time.perf_counter() - t0
        return labels

    def __repr__(self) -> str:
        return f"TopicLabeler(llm={self.llm!r})"


def _without_instructions(text: str) -> str:
    """``text`` without the sentences that give the model orders (prompt injection in a topic's documents:
    :mod:`textmine.keywords.injection`); clean text is returned unchanged."""
    from ..keywords.injection import instruction_sentences, remove_sentences

    found = instruction_sentences(text)
    return remove_sentences(text, found) if found else text


def make_unique(labels: list[str], topics: Sequence[Any]) -> list[str]:
    """Disambiguate equal labels (case-insensitive): the largest topic keeps it, others get a top word added."""
    out = list(labels)
    groups: dict[str, list[int]] = {}
    for i, lab in enumerate(out):
        groups.setdefault(lab.casefold(), []).append(i)
    taken = {lab.casefold() for lab in out}
    for members in groups.values():
        if len(members) < 2:
            continue
        members = sorted(members, key=lambda i: (-topics[i].size, i))
        for i in members[1:]:
            base = out[i]
            new = None
            for w, _ in topics[i].words:
                if w.casefold() in base.casefold():
                    continue
                cand = f"{base} ({w})"
                if cand.casefold() not in taken:
                    new = cand
                    break
            if new is None:
                new = f"{base} #{topics[i].id}"
            taken.add(new.casefold())
            out[i] = new
    return out
