"""TopicLabeler: short, human-readable, unique topic labels from a local LLM.

For each topic the prompt holds its top words and a few representative,
mutually diverse documents (each truncated by tokens so the prompt fits the
model's context); the answer is grammar-constrained to one short string
(``LLM.generate_text``) and cached on disk by the LLM layer.

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

__all__ = ["TopicLabeler", "DEFAULT_INSTRUCTION", "DEFAULT_EXAMPLES"]

DEFAULT_INSTRUCTION = (
    "Read the keywords and example documents of one topic found in a collection of texts. "
    "Answer with a short label of 1 to 4 words that names what the topic is about."
)

DEFAULT_EXAMPLES: tuple[tuple[str, str], ...] = (
    (
        "Keywords: game, team, season, hockey, players, playoffs\n"
        "Documents:\n- The Penguins beat the Rangers 4-2 in the playoffs.",
        "Ice hockey",
    ),
    (
        "Keywords: drive, disk, scsi, controller, ide, floppy\n"
        "Documents:\n- My new SCSI drive is not recognized by the controller.",
        "Hard disk drives",
    ),
)

_TRIM = re.compile(r"^[\s\"'`*#:\-]+|[\s\"'`*#:.\-]+$")


class TopicLabeler:
    """Label topics with a local LLM (grammar-constrained, cached, unique labels).

    Parameters
    ----------
    llm:
        ``"default"`` (the packaged GGUF), another preset name, a ``.gguf`` path
        or an :class:`~textmine.llm.LLM`; loaded on first use.
    n_words:
        top words shown per topic.
    n_docs:
        representative documents shown per topic. ``"auto"`` (default): 3 for models whose GGUF
        file is 1 GB or more (Mistral 7B and the like), 0 for tiny ones: the packaged Gemma 3 270M
        copies the first words of a document instead of naming the topic ("I am looking for a 486
        or 50 motherboard"), and labels from the top words alone were better and 3x faster on
        20 Newsgroups (docs/benchmarks/labels.md).
    doc_tokens:
        each document is truncated to this many tokens of the LLM's tokenizer.
    max_chars:
        longest label (enforced by the grammar).
    instruction, examples:
        the prompt; ``examples`` are ``(prompt text, label)`` pairs.

    Attributes (after :meth:`label`)
    --------------------------------
    fallbacks_ : ids of topics whose label fell back to their top words (LLM gave nothing usable).
    seconds_ : wall time of the last :meth:`label` call.

    Examples
    --------
    >>> from textmine.topics import Topic, TopicLabeler
    >>> t = Topic(0, 3, [("orbit", 1.0), ("nasa", 0.9)], representative_docs=["NASA launched it."])
    >>> TopicLabeler().prompt_text(t).splitlines()[0]
    'Keywords: orbit, nasa'
    """

    def __init__(
        self,
        llm: Any = "default",
        *,
        n_words: int = 10,
        n_docs: int | str = "auto",
        doc_tokens: int = 64,
        max_chars: int = 40,
        instruction: str = DEFAULT_INSTRUCTION,
        examples: Sequence[tuple[str, str]] = DEFAULT_EXAMPLES,
    ):
        self.llm = llm
        self.n_words = n_words
        self.n_docs = n_docs
        self.doc_tokens = doc_tokens
        self.max_chars = max_chars
        self.instruction = instruction
        self.examples = examples

    def _llm(self) -> Any:
        from ..llm import load_llm

        return load_llm(self.llm)

    def prompt_text(self, topic: Any, llm: Any = None) -> str:
        """The text given to the LLM for one topic: top words + documents truncated to ``doc_tokens``.

        Without ``llm`` documents are cut at ``4 * doc_tokens`` characters (a preview).
        """
        words = [w for w, _ in topic.words[: self.n_words]]
        parts = ["Keywords: " + ", ".join(words)] if words else []
        docs = []
        for d in topic.representative_docs[: self._n_docs(llm)]:
            d = " ".join(d.split())
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
        words = [w for w, _ in topic.words[:3]]
        return ", ".join(words) if words else f"Topic {topic.id}"

    def label_one(self, topic: Any) -> str:
        """A label for one topic (not de-duplicated)."""
        if not hasattr(self, "fallbacks_"):
            self.fallbacks_: list[int] = []
        llm = self._llm()
        text = self.prompt_text(topic, llm)
        if not text.strip():
            return self._fallback(topic)
        try:
            raw = llm.generate_text(self.instruction, text, examples=list(self.examples), max_chars=self.max_chars)
        except LLMOutputError:
            raw = ""
        label = _TRIM.sub("", " ".join(raw.split()))
        if not label:
            self.fallbacks_.append(int(topic.id))
            return self._fallback(topic)
        return label[:1].upper() + label[1:]

    def label(self, topics: Sequence[Any]) -> list[str]:
        """Unique, non-empty labels for ``topics`` (a list of :class:`~textmine.topics.Topic`)."""
        if hasattr(topics, "topics_"):
            topics = topics.topics_
        for name in ("n_words", "doc_tokens", "max_chars"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (1 if name in ("max_chars", "n_words") else 0):
                raise InputError(f"TopicLabeler.{name} must be a positive integer, got {v!r}")
        self._n_docs()  # "auto" or an integer >= 0
        t0 = time.perf_counter()
        self.fallbacks_ = []
        labels = [self.label_one(t) for t in topics]
        labels = make_unique(labels, topics)
        self.seconds_ = time.perf_counter() - t0
        return labels

    def __repr__(self) -> str:
        return f"TopicLabeler(llm={self.llm!r})"


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
