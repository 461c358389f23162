"""Fallback labels: a readable name for a topic that has no (usable) LLM label.

:func:`fallback_label` takes the topic's top words, drops stop words (scikit-learn's English
list), joins words that stand next to each other in the topic's representative documents into
phrases ("kobe" + "bryant" -> "Kobe Bryant"), writes each term as the documents do ("DNA",
"Microsoft") or capitalised, and joins the first three terms with " / ". ``TopicLabeler`` uses it
when the LLM gives nothing usable; the HTML report and ``get_topic_info`` use it for topics
without a label.

>>> from textmine.topics import Topic
>>> from textmine.topics.naming import fallback_label
>>> t = Topic(0, 5, [("bryant", 1.0), ("kobe", 0.9), ("assault", 0.8), ("dna", 0.7), ("the", 0.1)],
...           representative_docs=["Kobe Bryant's DNA test", "Lawyers for Kobe Bryant said the sexual assault case..."])
>>> fallback_label(t)
'Kobe Bryant / Assault / DNA'
>>> fallback_label(Topic(3, 0, [("the", 1.0)]))
'Topic 3'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

__all__ = ["fallback_label", "stop_words"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # "Bryant's" -> "Bryant", "s"
_CLAUSE = re.compile(r"[^\w\s'’-]+|\s-+\s")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _good(term: str, stop: frozenset[str]) -> bool:
    toks = term.casefold().split()
    return bool(toks) and all(t not in stop for t in toks) and any(c.isalpha() for c in term) and len(term) >= 2


def _surface(term: str, forms: dict[str, Counter]) -> str:
    """The term as the documents write it most often; capitalised when they only write it in lower case."""
    out = []
    for tok in term.split():
        seen = forms.get(tok.casefold())
        form = seen.most_common(1)[0][0] if seen else tok
        if form.islower():
            form = form[:1].upper() + form[1:]
        out.append(form)
    return " ".join(out)


def fallback_label(topic: Any, n_terms: int = 3, *, n_words: int = 10, extra_stop_words: Iterable[str] = ()) -> str:
    """A label from the topic's top ``n_words`` words: at most ``n_terms`` terms without stop words,
    phrases first when two top words stand together in a representative document, joined by " / ";
    a word that starts like a term already taken ("airline" after "airlines") is skipped."""
    stop = stop_words() | {w.casefold() for w in extra_stop_words}
    words = [w for w, _ in list(topic.words)[:n_words] if _good(str(w), stop)]
    if not words:
        return f"Topic {topic.id}"
    rank = {w.casefold(): i for i, w in reversed(list(enumerate(words)))}
    forms: dict[str, Counter] = {}
    pairs: Counter = Counter()
    docs = list(getattr(topic, "representative_docs", []) or [])
    for doc in docs:
        toks = _WORD.findall(doc)
        for tok in toks:
            forms.setdefault(tok.casefold(), Counter())[tok] += 1
        for part in _CLAUSE.split(doc):  # "NAJAF, Iraq" is no phrase
            low = [t.casefold() for t in _WORD.findall(part)]
            for a, b in zip(low, low[1:]):
                if a != b and a in rank and b in rank and " " not in a + b:
                    pairs[(a, b)] += 1
    terms: list[tuple[int, str]] = []
    used: set[str] = set()
    for (a, b), n in sorted(pairs.items(), key=lambda p: (-p[1], rank[p[0][0]] + rank[p[0][1]])):
        if a not in used and b not in used:
            terms.append((min(rank[a], rank[b]), f"{a} {b}"))
            used |= {a, b}
    for w in words:
        key = w.casefold()
        if key not in used and not any(key in t.split() for _, t in terms):
            terms.append((rank[key], w))
            used.add(key)
    terms.sort(key=lambda p: p[0])
    picked: list[str] = []
    for _, term in terms:
        label = _surface(term, forms)
        low = label.casefold()
        if not any(low.startswith(p.casefold()) or p.casefold().startswith(low) for p in picked):
            picked.append(label)  # not "Airline" after "Airlines"
        if len(picked) >= n_terms:
            break
    return " / ".join(picked)
