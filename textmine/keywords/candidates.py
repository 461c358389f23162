"""Candidate keyphrases: noun-phrase chunks or n-grams, never across a break.

A *break* is any punctuation token (``. , ; : ( ) " ...``) or a line break, so
a candidate never spans two sentences, two list items or a title and the text
after it (KeyBERT's ``CountVectorizer`` candidates are built after stop-word
removal and can glue words from different sentences together).  Hyphenated
words stay one word.

Two generators:

``"pos"`` (default when the tagger model is installed)
    Penn-Treebank tags from the averaged-perceptron tagger (see ``_tagger``);
    a candidate is a run of modifiers (adjectives, nouns, participles) ending in
    a noun, i.e. the ``(JJ|NN|VBN|VBG)* NN`` pattern used by most keyphrase
    extractors since Hulth (2003).  Long noun phrases also yield their
    sub-phrases that end in a noun (``"artificial neural network model"`` gives
    ``"neural network model"``, ``"neural network"`` ...).
``"ngrams"``
    every word n-gram within a break-free span whose first and last words are
    not stop words (no tagger needed).

Each candidate is keyed by its normalised form (lower case, Porter-stemmed
words: the key the evaluation protocol compares), so ``"neural networks"`` and
``"Neural network"`` are one candidate; its text is its most frequent surface
form in the document.

>>> from textmine.keywords.candidates import extract_candidates
>>> cands = extract_candidates("We study keyword extraction. Keyword extraction uses graphs.")
>>> {c.text: c.count for c in cands}["keyword extraction"]
2
>>> any("extraction keyword" in c.text for c in cands)  # never across the full stop
False
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..evaluation.keyphrases import _stem
from ._tagger import get_tagger

__all__ = ["Candidate", "extract_candidates", "tokenize", "resolve_stop_words", "match_candidates", "segmented_candidates"]

_TOKEN = re.compile(r"(?:'s|’s)\b|[^\W_]+(?:[-.][^\W_]+)*|[^\w\s]", re.UNICODE)
_IS_WORD = re.compile(r"[^\W_]", re.UNICODE)
_SENT_END = {".", "!", "?", ";", ":"}
_NOUN = {"NN", "NNS", "NNP", "NNPS"}
_ADJ = {"JJ", "JJR", "JJS"}
_PARTICIPLE = {"VBN", "VBG"}
_TITLE_CASE_SHARE = 0.6  # a line with more capitalised words than this share is in title case
_HEADLINE_WORDS = 16  # a first line of at most this many words, followed by more text, is a title
_MAX_WORD = 40  # longer "words" (base64, URLs, runs of one letter) are never keyphrase words

# Words that are not in scikit-learn's list but never start or end a keyphrase.
_EXTRA_STOP = {
    "also", "based", "using", "used", "use", "uses", "via", "within", "without", "among",
    "various", "several", "different", "many", "much", "new", "given", "certain",
    "paper", "article", "e.g", "i.e", "et", "al", "etc", "vs", "'s", "’s",
}


# scikit-learn's list contains content words that are often keyphrase heads
# ("control system", "interest rates", "computer", "name", "part" ...); they are
# kept as candidate words.
_NOT_STOP = {
    "interest", "system", "computer", "bill", "fire", "side", "thick", "thin", "cry", "detail",
    "front", "full", "mill", "move", "name", "part", "top", "bottom", "back", "amount", "empty",
    "serious", "sincere", "call", "show", "fill", "find", "found", "describe", "put", "con",
}


def resolve_stop_words(stop_words: str | Collection[str] | None) -> frozenset[str]:
    """``"english"`` -> scikit-learn's list less its content words, plus a few more;
    a collection -> itself; None -> empty."""
    if stop_words is None:
        return frozenset()
    if isinstance(stop_words, str):
        if stop_words.lower() != "english":
            raise ValueError(f"stop_words must be 'english', a collection of words or None, got {stop_words!r}")
        return (frozenset(ENGLISH_STOP_WORDS) - _NOT_STOP) | _EXTRA_STOP
    return frozenset(w.lower() for w in stop_words)


@dataclass
class Candidate:
    """One candidate phrase of one document."""

    key: str  # normalised (lower-cased, stemmed) form
    text: str  # most frequent surface form (lower case)
    count: int  # occurrences in the document
    first: int  # index of the first word of the first occurrence (in words)
    n_words: int
    surfaces: dict[str, int] = field(default_factory=dict, repr=False)


def tokenize(text: str) -> list[list[str]]:
    """Split ``text`` into sentences (lists of tokens); line breaks end sentences."""
    sentences: list[list[str]] = []
    for line in text.splitlines():
        current: list[str] = []
        for tok in _TOKEN.findall(line):
            current.append(tok)
            if tok in _SENT_END:
                sentences.append(current)
                current = []
        if current:
            sentences.append(current)
    return sentences


@lru_cache(maxsize=500_000)
def _key_word(word: str) -> str:
    return " ".join(_stem(w) for w in re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", word))


def _is_word(tok: str) -> bool:
    return bool(_IS_WORD.match(tok)) and tok not in ("'s", "’s")


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _name_inside(words: Sequence[str]) -> list[bool]:
    """``[k]``: word k and word k+1 are both capitalised, so a phrase ending at k would cut a name
    ("BNP leader Nick | Griffin").  Not applied to title-case lines, where every word is capitalised."""
    n = len(words)
    word_idx = [k for k, w in enumerate(words) if _is_word(w)]
    if not word_idx or sum(_capitalised(words[k]) for k in word_idx) > _TITLE_CASE_SHARE * len(word_idx):
        return [False] * n
    return [k + 1 < n and _capitalised(words[k]) and _capitalised(words[k + 1]) and _is_word(words[k + 1])
            for k in range(n)]


def _headline_verb(words: Sequence[str], tags: Sequence[str]) -> int | None:
    """Index of the verb of a headline ("News Corp *eyes* video games market", "Brown *outlines*
    third term vision"), which the tagger reads as a plural noun: the first word ending in -s
    right after a capitalised word (a name: not a sentence-initial common noun) and before the
    start of a noun phrase or "to"; ``None`` when there is none or the headline has a verb tag."""
    if any(t[:2] in ("VB", "MD") for t in tags):
        return None
    for k in range(1, len(words) - 1):
        w = words[k].lower()
        prev, nxt = words[k - 1], tags[k + 1]
        if (
            w.endswith("s") and not w.endswith(("ss", "us", "is"))
            and tags[k] in ("NNS", "NNPS", "NNP")
            and _capitalised(prev) and _is_word(prev) and (k - 1 > 0 or tags[k - 1] in ("NNP", "NNPS"))
            and _is_word(words[k + 1]) and nxt not in ("IN", "CC", "POS")
        ):
            return k
    return None


def _spans(
    words: Sequence[str],
    tags: Sequence[str] | None,
    stop: frozenset[str],
    min_n: int,
    max_n: int,
    headline: bool = False,
) -> Iterable[tuple[int, int]]:
    """(start, end) spans of candidate phrases within one sentence (``headline``: the title line)."""
    n = len(words)
    lower = [w.lower() for w in words]
    ok_edge = [
        _is_word(w) and lw not in stop and not lw.replace(".", "").isdigit() and 1 < len(lw) <= _MAX_WORD
        for w, lw in zip(words, lower)
    ]
    if tags is None:
        # n-grams inside break-free spans, no stop word at either edge
        is_break = [not _is_word(w) for w in words]
        for i in range(n):
            if not ok_edge[i]:
                continue
            for L in range(1, max_n + 1):
                j = i + L
                if j > n or is_break[j - 1]:
                    break
                if L >= min_n and ok_edge[j - 1]:
                    yield i, j
        return
    # POS pattern: (JJ|NN|VBN|VBG)* NN, maximal runs, then their sub-spans ending in a noun
    inside = [
        _is_word(w) and len(w) <= _MAX_WORD and (t in _NOUN or t in _ADJ or t in _PARTICIPLE)
        for w, t in zip(words, tags)
    ]
    # a participle right after a noun is a verb ("parameters using ...", "models based ..."):
    # it ends the noun phrase
    # and so is one right after a verb, modal or "to" ("is landing ...", "to achieve ...")
    for k in range(1, n):
        if tags[k] in _PARTICIPLE and (
            (inside[k - 1] and tags[k - 1] in _NOUN) or tags[k - 1][:2] in ("VB", "MD", "TO")
        ):
            inside[k] = False
    verb = _headline_verb(words, tags) if headline else None
    if verb is not None:
        inside[verb] = False
    name_inside = _name_inside(words)
    i = 0
    while i < n:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j < n and inside[j]:
            j += 1
        # run [i, j): candidate spans [a, b) with b-1 a noun, a an acceptable edge
        for b in range(i + 1, j + 1):
            if tags[b - 1] not in _NOUN or not ok_edge[b - 1] or name_inside[b - 1]:
                continue
            for a in range(max(i, b - max_n), b - min_n + 1):
                if ok_edge[a]:
                    yield a, b
        i = j


def _has_headline(text: str) -> bool:
    """The text starts with a title line: a short first line, without a sentence end, with text after it."""
    head, _, rest = text.strip().partition("\n")
    words = head.split()
    return bool(rest.strip()) and 0 < len(words) <= _HEADLINE_WORDS and not head.rstrip()[-1:] in ".!?;:"


def extract_candidates(
    text: str,
    *,
    ngram_range: tuple[int, int] = (1, 3),
    stop_words: str | Collection[str] | None = "english",
    method: str = "auto",
) -> list[Candidate]:
    """Candidate phrases of one document, in order of first occurrence.

    ``method`` is ``"pos"``, ``"ngrams"`` or ``"auto"`` (``"pos"`` when the
    tagger model is installed).
    """
    stop = stop_words if isinstance(stop_words, frozenset) else resolve_stop_words(stop_words)
    min_n, max_n = ngram_range
    tagger = get_tagger() if method in ("auto", "pos") else None
    if method == "pos" and tagger is None:
        from ..errors import DependencyError

        raise DependencyError(
            "candidate method 'pos' needs the tagger model: pip install textblob-aptagger "
            "(or use method='ngrams')"
        )
    found: dict[str, Candidate] = {}
    offset = 0
    headline = _has_headline(text)
    for s_i, sent in enumerate(tokenize(text)):
        tags = tagger.tag(sent) if tagger is not None else None
        for a, b in _spans(sent, tags, stop, min_n, max_n, headline=headline and s_i == 0):
            surface = " ".join(sent[a:b]).lower()
            key = " ".join(_key_word(w.lower()) for w in sent[a:b])
            if not key:
                continue
            cand = found.get(key)
            if cand is None:
                cand = found[key] = Candidate(key, surface, 0, offset + a, b - a)
            cand.count += 1
            cand.surfaces[surface] = cand.surfaces.get(surface, 0) + 1
        offset += sum(1 for w in sent if _is_word(w))
    out = sorted(found.values(), key=lambda c: c.first)
    for c in out:
        if len(c.surfaces) > 1:
            # most frequent surface form; ties -> the first seen
            c.text = max(c.surfaces.items(), key=lambda kv: kv[1])[0]
    return out


def match_candidates(text: str, phrases: Sequence[str]) -> list[Candidate]:
    """User-supplied candidate phrases that occur in ``text`` (compared after normalisation).

    The returned candidates keep the user's spelling as their text.
    """
    sents = tokenize(text)
    keyed: dict[str, list[str]] = {}
    for p in phrases:
        words = [w for s in tokenize(p) for w in s if _is_word(w)]
        key = " ".join(_key_word(w.lower()) for w in words)
        if key and key not in keyed:
            keyed[key] = [p, *[]]
    if not keyed:
        return []
    max_len = max(len(k.split()) for k in keyed)
    found: dict[str, Candidate] = {}
    offset = 0
    for sent in sents:
        words = [w for w in sent if _is_word(w)]
        # phrases may not cross punctuation either: split the sentence at breaks
        spans: list[list[str]] = [[]]
        for w in sent:
            if _is_word(w):
                spans[-1].append(_key_word(w.lower()))
            else:
                spans.append([])
        pos = offset
        for span in spans:
            for i in range(len(span)):
                for L in range(1, min(max_len, len(span) - i) + 1):
                    key = " ".join(span[i : i + L])
                    if key in keyed:
                        c = found.get(key)
                        if c is None:
                            c = found[key] = Candidate(key, keyed[key][0], 0, pos + i, L)
                        c.count += 1
            pos += len(span)
        offset += len(words)
    return sorted(found.values(), key=lambda c: c.first)


def segmented_candidates(doc: str, language: str, ngram_range: tuple[int, int]) -> list[Candidate]:
    """Candidates of a Korean / Chinese / Japanese document from :func:`textmine.lang.phrases`."""
    found: dict[str, Candidate] = {}
    from ..lang import phrases

    for text, first, n in phrases(doc, language, ngram_range):
        key = text.lower()
        c = found.get(key)
        if c is None:
            c = found[key] = Candidate(key, key, 0, first, n)
        c.count += 1
    return sorted(found.values(), key=lambda c: c.first)
