"""Embedding-based keyword extraction (KeyBERT's idea, done fast and measured).

>>> from textmine import KeywordExtractor
>>> kx = KeywordExtractor(top_n=3)
>>> kws = kx.extract("Topic models find latent topics in a corpus of documents. "
...                  "A topic model assigns each document a mixture of topics.")
>>> len(kws), kws[0].text in {"topic models", "latent topics", "topic"}
(3, True)
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from .._base import TextmineEstimator
from .._progress import check_progress, progress_bar
from .._types import Keyword
from .._validation import as_document, as_documents, check_float, check_int, is_blank
from ..errors import InputError
from ..scale.dispatch import keyword_collections
from ..lang import SEGMENTED, detect_language, embedding_model_for, normalize_language
from ..lang import stop_words as lang_stop_words
from .candidates import Candidate, extract_candidates, match_candidates, resolve_stop_words, tokenize
from .candidates import segmented_candidates as _segmented_candidates
from .diversity import maxsum_select, mmr_select

__all__ = ["KeywordExtractor"]

_METHODS = ("mmr", "maxsum")
_CANDIDATE_METHODS = ("auto", "pos", "ngrams")
_CHUNK_WORDS = 200  # doc embedding: sentence-aligned chunks of at most this many words
_MAX_CHUNKS = 16  # very long docs: this many evenly spaced chunks are embedded
_BATCH_DOCS = 64  # transform embeds the candidates of this many documents per call (one bar tick each)


def _check_ngram_range(value: Any) -> tuple[int, int]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise InputError(f"ngram_range must be a pair (min_n, max_n), got {value!r:.60}") from None
    try:
        lo = check_int(lo, "ngram_range[0]", minimum=1)
        hi = check_int(hi, "ngram_range[1]", minimum=1)
    except InputError:
        raise InputError(f"ngram_range must be integers 1 <= min_n <= max_n, got {value!r:.60}") from None
    assert lo is not None and hi is not None
    if hi < lo:
        raise InputError(f"ngram_range must be integers 1 <= min_n <= max_n, got {value!r:.60}")
    return lo, hi


def _phrase_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        raise InputError(f"{name} must be a list of phrases, not a single string")
    try:
        items = list(value)
    except TypeError:
        raise InputError(f"{name} must be a list of phrases, got {type(value).__name__}") from None
    out = []
    for i, item in enumerate(items):
        text = as_document(item, i)
        if text.strip():
            out.append(text.strip())
    return out


class KeywordExtractor(TextmineEstimator):
    """Extract keyphrases by embedding similarity, with position, length and corpus priors.

    Candidates are noun-phrase chunks (or n-grams) that never cross punctuation
    or sentence breaks and never start or end with a stop word.  Each unique
    candidate of a batch is embedded once, with the packaged all-MiniLM-L6-v2
    model (and the on-disk embedding cache).  A candidate's score is

    ``cos(candidate, document) * position_prior ** position_weight * tf * idf ** idf_weight``
    ``+ length_weight * [phrase has 2+ words]``

    where ``position_prior = 1 / log2(2 + index of its first word)`` (earlier is
    better, as in EmbedRank/PositionRank), ``tf`` is ``1 + frequency_weight *
    log(count in the document)`` and ``idf`` is learned by :meth:`fit` (1 when
    not fitted).  Then a redundancy filter (``drop_nested``) ranks a phrase that
    is part of a better-ranked keyword last.  The ranking is optionally
    diversified with MMR or Max Sum Similarity.  The defaults were tuned on the
    Inspec train split and the SemEval-2017 dev split (never on test sets).

    Parameters
    ----------
    top_n:
        number of keywords per document.
    ngram_range:
        ``(min_words, max_words)`` of a keyphrase.
    diversity:
        ``None`` (plain ranking) or a float in ``[0, 1]``: trade-off of relevance
        against redundancy for ``diversity_method``.  0.5 is a good value.
    diversity_method:
        ``"mmr"`` (Maximal Marginal Relevance) or ``"maxsum"`` (Max Sum
        Similarity: the least similar ``top_n`` among the best
        ``top_n * (1 + 2 * diversity)`` candidates).
    candidates:
        optional fixed list of candidate phrases; only those that occur in a
        document are ranked (compared after lower-casing and stemming) and the
        returned text is your spelling.
    seed_keywords:
        optional phrases that steer the ranking towards a theme (the document
        embedding is moved towards their mean embedding by ``seed_weight``).
    seed_weight:
        weight of the seed embedding, in ``[0, 1)`` (0.25 = KeyBERT's 3:1).
    candidate_method:
        ``"pos"`` (noun-phrase chunks from the POS tagger), ``"ngrams"`` or
        ``"auto"`` (``"pos"`` when the tagger model is installed).
    stop_words:
        ``"english"``, a collection of words, or ``None``.
    position_weight, length_weight, frequency_weight, idf_weight:
        strength of the priors (0 switches a prior off; ``idf_weight`` only
        acts after :meth:`fit`).
    drop_nested:
        rank a phrase contained in a better-ranked keyword last.
    embedding_model:
        ``"default"``, a local model folder or an :class:`~textmine.embed.Embedder`.
    cache:
        embedding cache: ``True`` (default location), ``False`` or a folder.
    max_candidates:
        at most this many candidates per document are embedded (the most
        frequent, then the earliest); protects against very long documents.
    language:
        ``"en"`` (default), another ISO 639-1 code (``"ko"``, ``"zh"``, ``"ja"``, ``"de"`` ...) or
        ``"auto"`` (detected in :meth:`fit`, else per :meth:`transform` call): selects the stop words
        (when ``stop_words="english"``), the candidates (Korean: noun phrases from kiwipiepy, never a
        particle; Chinese / Japanese: segmenter words; others: n-grams) and, with
        ``embedding_model="default"``, the multilingual-e5-small embedder (:mod:`textmine.lang`,
        docs/multilingual.md).
    progress:
        progress bar of :meth:`transform` (``tqdm.auto``: a widget in Jupyter):
        ``True``, ``False``, or ``None`` = shown in a terminal or notebook once
        the call has run for 2 seconds (:mod:`textmine._progress`).

    Examples
    --------
    >>> from textmine import KeywordExtractor
    >>> docs = ["Graph neural networks learn node embeddings from graph structure.",
    ...         "Keyword extraction finds the key phrases of a document."]
    >>> kx = KeywordExtractor(top_n=2).fit(docs)
    >>> [len(kws) for kws in kx.transform(docs)]
    [2, 2]
    """

    _requires_fit = False

    def __init__(
        self,
        top_n: int = 10,
        ngram_range: tuple[int, int] = (1, 3),
        diversity: float | None = None,
        *,
        diversity_method: str = "mmr",
        candidates: Sequence[str] | None = None,
        seed_keywords: Sequence[str] | None = None,
        seed_weight: float = 0.25,
        candidate_method: str = "auto",
        stop_words: str | Collection[str] | None = "english",
        position_weight: float = 0.5,
        length_weight: float = 0.1,
        frequency_weight: float = 0.5,
        idf_weight: float = 0.25,
        drop_nested: bool = True,
        embedding_model: Any = "default",
        cache: Any = True,
        max_candidates: int = 300,
        progress: bool | None = None,
        language: str = "en",
    ):
        self.top_n = top_n
        self.ngram_range = ngram_range
        self.diversity = diversity
        self.diversity_method = diversity_method
        self.candidates = candidates
        self.seed_keywords = seed_keywords
        self.seed_weight = seed_weight
        self.candidate_method = candidate_method
        self.stop_words = stop_words
        self.position_weight = position_weight
        self.length_weight = length_weight
        self.frequency_weight = frequency_weight
        self.idf_weight = idf_weight
        self.drop_nested = drop_nested
        self.embedding_model = embedding_model
        self.cache = cache
        self.max_candidates = max_candidates
        self.progress = progress
        self.language = language

    # ------------------------------------------------------------------ checks
    def _settings(self) -> dict[str, Any]:
        """Validated parameters (numpy scalars accepted like Python numbers)."""
        top_n = check_int(self.top_n, "top_n", minimum=1)
        ngram_range = _check_ngram_range(self.ngram_range)
        diversity = check_float(self.diversity, "diversity", low=0.0, high=1.0, allow_none=True)
        if self.diversity_method not in _METHODS:
            raise InputError(f"diversity_method must be one of {_METHODS}, got {self.diversity_method!r}")
        if self.candidate_method not in _CANDIDATE_METHODS:
            raise InputError(
                f"candidate_method must be one of {_CANDIDATE_METHODS}, got {self.candidate_method!r}"
            )
        weights = {
            name: check_float(getattr(self, name), name, low=0.0)
            for name in ("position_weight", "length_weight", "frequency_weight", "idf_weight")
        }
        seed_weight = check_float(self.seed_weight, "seed_weight", low=0.0, high=1.0, high_open=True)
        if not isinstance(self.drop_nested, (bool, np.bool_)):
            raise InputError(f"drop_nested must be True or False, got {self.drop_nested!r:.60}")
        try:
            stop = resolve_stop_words(self.stop_words)
        except (ValueError, TypeError) as exc:
            raise InputError(str(exc)) from None
        return {
            "top_n": top_n,
            "ngram_range": ngram_range,
            "diversity": diversity,
            "stop": stop,
            "max_candidates": check_int(self.max_candidates, "max_candidates", minimum=1),
            "seed_weight": seed_weight,
            "progress": check_progress(self.progress),
            "language": normalize_language(self.language),
            **weights,
        }

    def _resolve_language(self, settings: dict[str, Any], docs: Sequence[str]) -> None:
        """``settings["language"]`` made concrete ("auto": what fit found, else detected on ``docs``) and the
        language's stop words in place of the English ones."""
        lang = settings["language"]
        if lang == "auto":
            lang = getattr(self, "language_", None) or detect_language(docs)
        settings["language"] = lang
        if lang != "en" and isinstance(self.stop_words, str) and self.stop_words.lower() == "english":
            settings["stop"] = lang_stop_words(lang)

    def _embedder(self, language: str = "en") -> Any:
        from ..embed import get_embedder

        return get_embedder(embedding_model_for(self.embedding_model, language), cache=self.cache)

    def _candidates_of(
        self, doc: str, settings: dict[str, Any], user: list[str] | None
    ) -> list[Candidate]:
        if is_blank(doc):
            return []
        lang = settings.get("language", "en")
        if user is not None:
            cands = match_candidates(doc, user)
        elif lang in SEGMENTED:
            cands = _segmented_candidates(doc, lang, settings["ngram_range"])
        elif lang != "en":
            cands = extract_candidates(doc, ngram_range=settings["ngram_range"], stop_words=settings["stop"],
                                       method="ngrams")  # the POS tagger is English
        else:
            cands = extract_candidates(
                doc,
                ngram_range=settings["ngram_range"],
                stop_words=settings["stop"],
                method=self.candidate_method,
            )
        if len(cands) > settings["max_candidates"]:
            keep = sorted(cands, key=lambda c: (-c.count, c.first))[: settings["max_candidates"]]
            cands = sorted(keep, key=lambda c: c.first)
        return cands

    # ------------------------------------------------------------------ fit
    def fit(self, docs: Sequence[str], y: Any = None) -> KeywordExtractor:
        """Learn corpus statistics: the document frequency of every candidate phrase.

        Optional: :meth:`transform` works without it (no corpus prior then).
        Empty documents are accepted; an empty corpus raises
        :class:`~textmine.errors.EmptyCorpusError`.
        """
        docs = as_documents(docs)
        settings = self._settings()
        self._resolve_language(settings, docs)
        self.language_ = settings["language"]
        user = _phrase_list(self.candidates, "candidates")
        df: dict[str, int] = {}
        for doc in docs:
            for c in self._candidates_of(doc, settings, user):
                df[c.key] = df.get(c.key, 0) + 1
        self.document_frequency_ = df
        self.n_documents_ = len(docs)
        return self

    def _idf(self, keys: Sequence[str]) -> np.ndarray:
        df = getattr(self, "document_frequency_", None)
        if df is None or self.idf_weight == 0:
            return np.ones(len(keys), dtype=np.float64)
        n = self.n_documents_
        idf = np.array([math.log((1 + n) / (1 + df.get(k, 0))) + 1.0 for k in keys])
        # scaled so that a phrase seen in no other document has weight 1
        return idf / (math.log(1 + n) + 1.0)

    # ------------------------------------------------------------------ transform
    @keyword_collections
    def transform(
        self,
        docs: Sequence[str],
        *,
        candidates: Sequence[str] | None = None,
        seed_keywords: Sequence[str] | None = None,
    ) -> list[list[Keyword]]:
        """Keywords of each document, best first (``[]`` for an empty document).

        ``candidates`` / ``seed_keywords`` override the constructor's for this call.
        A document's keywords depend only on the document itself and on what
        :meth:`fit` learned, never on the other documents of the batch.
        """
        docs = as_documents(docs, allow_empty_corpus=True)
        if not docs:
            return []
        settings = self._settings()
        self._resolve_language(settings, docs)
        user = _phrase_list(candidates if candidates is not None else self.candidates, "candidates")
        seeds = _phrase_list(
            seed_keywords if seed_keywords is not None else self.seed_keywords, "seed_keywords"
        )
        out: list[list[Keyword]] = []
        with progress_bar(len(docs), "keywords", progress=settings["progress"]) as bar:
            for start in range(0, len(docs), _BATCH_DOCS):
                batch = docs[start : start + _BATCH_DOCS]
                out.extend(self._transform_batch(batch, settings, user, seeds))
                bar.update(len(batch))
        return out

    def _transform_batch(
        self,
        docs: list[str],
        settings: dict[str, Any],
        user: list[str] | None,
        seeds: list[str] | None,
    ) -> list[list[Keyword]]:
        per_doc = [self._candidates_of(d, settings, user) for d in docs]
        chunks = [_doc_chunks(d) if c else [] for d, c in zip(docs, per_doc)]

        # one encode call: every unique text of the batch is embedded once
        texts: dict[str, int] = {}
        for cands, chs in zip(per_doc, chunks):
            for t in chs:
                texts.setdefault(t, len(texts))
            for c in cands:
                texts.setdefault(c.text, len(texts))
        if not texts:
            return [[] for _ in docs]
        for s in seeds or ():
            texts.setdefault(s, len(texts))
        emb = _encode_quietly(self._embedder(settings["language"]), list(texts))
        seed_vec = None
        if seeds:
            seed_vec = emb[[texts[s] for s in seeds]].mean(axis=0)

        out: list[list[Keyword]] = []
        for cands, chs in zip(per_doc, chunks):
            if not cands:
                out.append([])
                continue
            weights = np.array([len(t.split()) for t in chs], dtype=np.float64)
            doc_vec = (emb[[texts[t] for t in chs]] * weights[:, None]).sum(axis=0)
            doc_vec /= np.linalg.norm(doc_vec) or 1.0
            if seed_vec is not None and self.seed_weight > 0:
                doc_vec = (1 - self.seed_weight) * doc_vec + self.seed_weight * (
                    seed_vec / (np.linalg.norm(seed_vec) or 1.0)
                )
                doc_vec /= np.linalg.norm(doc_vec) or 1.0
            cand_emb = emb[[texts[c.text] for c in cands]]
            scores = self._score(cands, cand_emb @ doc_vec)
            out.append(self._select(cands, cand_emb, scores, settings))
        return out

    def _score(self, cands: Sequence[Candidate], cos: np.ndarray) -> np.ndarray:
        first = np.array([c.first for c in cands], dtype=np.float64)
        count = np.array([c.count for c in cands], dtype=np.float64)
        multi = np.array([c.n_words > 1 for c in cands], dtype=np.float64)
        rel = np.clip(cos.astype(np.float64), 0.0, None)
        prior = (1.0 / np.log2(2.0 + first)) ** self.position_weight
        idf = self._idf([c.key for c in cands]) ** self.idf_weight
        tf = 1.0 + self.frequency_weight * np.log(count)
        scores = rel * prior * idf * tf + self.length_weight * multi
        if self.drop_nested:
            scores = _demote_nested([c.key for c in cands], scores)
        return scores

    def _select(
        self,
        cands: Sequence[Candidate],
        cand_emb: np.ndarray,
        scores: np.ndarray,
        settings: dict[str, Any],
    ) -> list[Keyword]:
        # never pad with a negative score (a phrase inside a better keyword): fewer than top_n instead
        keep = [i for i in range(len(cands)) if scores[i] >= 0]
        top_n = min(settings["top_n"], len(keep))
        # stable order: score desc, then first occurrence (deterministic ties)
        order = sorted(keep, key=lambda i: (-round(float(scores[i]), 6), cands[i].first))
        diversity = settings["diversity"]
        if diversity is None or top_n < 2:
            chosen = order[:top_n]
        elif self.diversity_method == "mmr":
            chosen = mmr_select(cand_emb, scores, top_n, diversity, order)
        else:
            chosen = maxsum_select(cand_emb, top_n, diversity, order, pool_size=getattr(self, "_maxsum_pool", None))
        # best first, like KeyBERT: the diversified selection is reported by score
        rank = {i: r for r, i in enumerate(order)}
        chosen = sorted(chosen, key=rank.__getitem__)
        # scores in [0, 1]: the priors can lift the best phrase of a document above 1 (1.11);
        # dividing by the document's best score, when above 1, keeps the order
        scale = max(1.0, float(scores[order[0]])) if order else 1.0
        return [Keyword(cands[i].text, round(float(scores[i]) / scale, 6)) for i in chosen]

    def fit_transform(self, docs: Sequence[str], y: Any = None, **kwargs: Any) -> list[list[Keyword]]:
        """:meth:`fit` then :meth:`transform` on the same documents (a generator is read once)."""
        docs = as_documents(docs)
        return self.fit(docs).transform(docs, **kwargs)

    def extract(
        self,
        doc: str,
        *,
        candidates: Sequence[str] | None = None,
        seed_keywords: Sequence[str] | None = None,
    ) -> list[Keyword]:
        """Keywords of one text, best first."""
        text = as_document(doc)
        return self.transform([text], candidates=candidates, seed_keywords=seed_keywords)[0]

    def extract_keywords(
        self,
        docs: str | Sequence[str],
        candidates: Sequence[str] | None = None,
        keyphrase_ngram_range: tuple[int, int] = (1, 1),
        stop_words: str | Collection[str] | None = "english",
        top_n: int = 5,
        min_df: int = 1,
        use_maxsum: bool = False,
        use_mmr: bool = False,
        diversity: float = 0.5,
        nr_candidates: int = 20,
        vectorizer: Any = None,
        highlight: bool = False,
        seed_keywords: Sequence[str] | Sequence[Sequence[str]] | None = None,
        doc_embeddings: Any = None,
        word_embeddings: Any = None,
        threshold: float | None = None,
    ) -> list[tuple[str, float]] | list[list[tuple[str, float]]]:
        """KeyBERT's ``extract_keywords``, same arguments, defaults and result shape.

        ``KeyBERT().extract_keywords(...)`` code ports by changing the import: one
        document (a ``str``, or a list of one) gives a list of ``(keyword, score)``
        tuples, several give a list of lists.  The other parameters of this
        extractor (priors, embedding model, what :meth:`fit` learned) apply.
        Options with no textmine equivalent raise :class:`~textmine.errors.InputError`.
        See :mod:`textmine.keywords.keybert_api`.
        """
        from .keybert_api import extract_keywords_keybert_style

        return extract_keywords_keybert_style(
            self,
            docs,
            candidates=candidates,
            keyphrase_ngram_range=keyphrase_ngram_range,
            stop_words=stop_words,
            top_n=top_n,
            use_maxsum=use_maxsum,
            use_mmr=use_mmr,
            diversity=diversity,
            nr_candidates=nr_candidates,
            seed_keywords=seed_keywords,
            unsupported={
                "min_df": min_df,
                "vectorizer": vectorizer,
                "highlight": highlight,
                "doc_embeddings": doc_embeddings,
                "word_embeddings": word_embeddings,
                "threshold": threshold,
            },
        )


_NESTED_PENALTY = 1.0  # a phrase inside a better-ranked keyword goes below all others
_SUPER_PENALTY = 0.05  # a phrase containing a better-ranked keyword is slightly demoted
# a phrase sharing words with better-ranked keywords ("leader nick griffin" after "bnp leader") loses
# this much times the share of its words already shown; chosen on Inspec train/validation and
# SemEval-2017 dev (docs/benchmarks/keywords.md, "Near-duplicates")
_OVERLAP_PENALTY = 0.1


def _demote_nested(keys: Sequence[str], scores: np.ndarray, overlap_penalty: float | None = None) -> np.ndarray:
    """Redundancy filter: in ranking order, a phrase whose words are a contiguous
    part of a better-ranked phrase ("neural network" after "neural network model")
    is pushed to the end, a phrase that contains a better-ranked one is
    slightly demoted (measured on Inspec train: +5 F1@10 points), and a phrase whose
    words overlap better-ranked ones loses ``overlap_penalty`` times the share of its
    words already seen."""
    penalty = _OVERLAP_PENALTY if overlap_penalty is None else overlap_penalty
    order = sorted(range(len(keys)), key=lambda i: (-scores[i], i))
    out = scores.copy()
    seen: list[str] = []
    seen_words: set[str] = set()
    for i in order:
        k = f" {keys[i]} "
        if any(k in s for s in seen):
            out[i] -= _NESTED_PENALTY
        else:
            if any(s in k for s in seen):
                out[i] -= _SUPER_PENALTY
            if penalty:
                words = keys[i].split()
                out[i] -= penalty * sum(w in seen_words for w in words) / len(words)
        seen.append(k)
        seen_words.update(keys[i].split())
    return out


def _encode_quietly(embedder: Any, texts: list[str]) -> np.ndarray:
    """``embedder.encode(texts)`` without the embedder's own bar (transform shows one per document)."""
    try:
        import inspect

        quiet = "show_progress" in inspect.signature(embedder.encode).parameters
    except (TypeError, ValueError):
        quiet = False
    return embedder.encode(texts, show_progress=False) if quiet else embedder.encode(texts)


def _doc_chunks(doc: str) -> list[str]:
    """Sentence-aligned pieces of at most ~_CHUNK_WORDS words (the model truncates longer input)."""
    words = doc.split()
    if len(words) <= _CHUNK_WORDS:
        return [doc.strip()]
    chunks: list[str] = []
    current: list[str] = []
    for sent in tokenize(doc):
        if current and len(current) + len(sent) > _CHUNK_WORDS:
            chunks.append(" ".join(current))
            current = []
        current.extend(sent[:_CHUNK_WORDS])
    if current:
        chunks.append(" ".join(current))
    if len(chunks) > _MAX_CHUNKS:
        idx = np.linspace(0, len(chunks) - 1, _MAX_CHUNKS).round().astype(int)
        chunks = [chunks[i] for i in sorted(set(idx.tolist()))]
    return chunks
