"""KeyBERT's call style on :class:`~textmine.KeywordExtractor` (``extract_keywords``).

KeyBERT code ports by changing the import::

    from keybert import KeyBERT                  from textmine import KeywordExtractor
    kw_model = KeyBERT()                   ->    kw_model = KeywordExtractor()
    kw_model.extract_keywords(doc, keyphrase_ngram_range=(1, 2), stop_words="english",
                              use_mmr=True, diversity=0.7, top_n=5)

The arguments mean what they mean in KeyBERT 0.9 and are mapped onto textmine's parameters
(``keyphrase_ngram_range`` -> ``ngram_range``, ``use_mmr`` / ``use_maxsum`` ->
``diversity_method``, ``nr_candidates`` -> the Max Sum pool ...); the result has KeyBERT's
shape: a list of ``(keyword, score)`` tuples for one document (a ``str``, or a list holding one
document, as in KeyBERT), a list of such lists for several.  The keywords themselves are
textmine's (its candidates, priors and redundancy filter), not KeyBERT's.  KeyBERT options
with no textmine equivalent (``vectorizer``, ``doc_embeddings``, ``word_embeddings``,
``highlight=True``, ``threshold``, ``min_df`` other than 1) raise
:class:`~textmine.errors.InputError` naming them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from .._types import Keyword
from .._validation import as_document, as_documents, check_float, check_int
from ..errors import InputError

__all__ = ["extract_keywords_keybert_style"]


def _unsupported(options: dict[str, Any]) -> None:
    bad = []
    for name, value in options.items():
        if name == "min_df":
            if value != 1:
                bad.append(f"min_df={value!r}")
        elif name == "highlight":
            if value:
                bad.append("highlight=True")
        elif value is not None:
            bad.append(f"{name}=...")
    if bad:
        raise InputError(
            "KeyBERT options not supported by textmine's extract_keywords: "
            + ", ".join(bad)
            + " (textmine builds its own candidates and embeddings; pass candidates=[...] for a "
            "fixed vocabulary, or use KeywordExtractor's own parameters)"
        )


def _seed_lists(seed_keywords: Any, n_docs: int) -> list[list[str] | None]:
    """One seed list per document: a flat list is shared, a nested list is per document (KeyBERT)."""
    if seed_keywords is None:
        return [None] * n_docs
    if isinstance(seed_keywords, (str, bytes)):
        raise InputError("seed_keywords must be a list of phrases (or one list per document), not a string")
    seeds = list(seed_keywords)
    if not seeds:
        return [None] * n_docs
    if all(isinstance(s, (str, bytes)) for s in seeds):
        return [seeds] * n_docs
    if len(seeds) != n_docs:
        raise InputError(
            f"seed_keywords as one list per document needs {n_docs} lists (one per document), got {len(seeds)}"
        )
    return [list(s) if s is not None else None for s in seeds]


def extract_keywords_keybert_style(
    extractor: Any,
    docs: str | Sequence[str],
    *,
    candidates: Sequence[str] | None,
    keyphrase_ngram_range: tuple[int, int],
    stop_words: Any,
    top_n: int,
    use_maxsum: bool,
    use_mmr: bool,
    diversity: float,
    nr_candidates: int,
    seed_keywords: Any,
    unsupported: dict[str, Any],
) -> list[tuple[str, float]] | list[list[tuple[str, float]]]:
    """The body of :meth:`KeywordExtractor.extract_keywords` (see the module docstring)."""
    _unsupported(unsupported)
    single = isinstance(docs, (str, bytes))
    if single:
        text = as_document(docs)
        if not text:
            return []  # KeyBERT: an empty string gives []
        texts = [text]
    else:
        texts = as_documents(docs, allow_empty_corpus=True)
    top_n = check_int(top_n, "top_n", minimum=1)
    # copy, not clone: what fit learned (document frequencies) is kept; the caller's object is untouched
    kx = copy.copy(extractor)
    kx.top_n = top_n
    kx.ngram_range = keyphrase_ngram_range
    kx.stop_words = stop_words
    kx._maxsum_pool = None
    if use_mmr:  # KeyBERT checks use_mmr first
        kx.diversity = check_float(diversity, "diversity", low=0.0, high=1.0)
        kx.diversity_method = "mmr"
    elif use_maxsum:
        nr = check_int(nr_candidates, "nr_candidates", minimum=1)
        if nr < top_n:
            raise InputError(f"nr_candidates ({nr}) must be at least top_n ({top_n}), as in KeyBERT")
        kx.diversity = 1.0  # the pool size is nr_candidates, as in KeyBERT's max_sum_distance
        kx.diversity_method = "maxsum"
        kx._maxsum_pool = nr
    else:
        kx.diversity = None
    seeds = _seed_lists(seed_keywords, len(texts))
    if all(s is seeds[0] for s in seeds):
        result: list[list[Keyword]] = kx.transform(texts, candidates=candidates, seed_keywords=seeds[0])
    else:  # per-document seeds: each document on its own (keywords never depend on the batch)
        result = [kx.transform([t], candidates=candidates, seed_keywords=s)[0] for t, s in zip(texts, seeds)]
    out = [[(kw.text, kw.score) for kw in kws] for kws in result]
    if len(out) == 1:
        return out[0]  # KeyBERT returns a flat list for a single document, even inside a list
    return out
