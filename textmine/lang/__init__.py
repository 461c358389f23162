"""Languages other than English: stop words, tokenizers, candidate phrases, detection.

``language`` on :class:`~textmine.KeywordExtractor`, :class:`~textmine.HybridKeywordExtractor` and
:class:`~textmine.TopicModel` takes an ISO 639-1 code (``"en"``, ``"ko"``, ``"de"`` ...) or ``"auto"``
(:func:`detect_language` on a sample of the corpus). What it selects:

* English (``"en"``): textmine's own English pipeline (POS-pattern candidates, Porter stems,
  scikit-learn's stop words less content words).
* Korean (``"ko"``, ``textmine[ko]``: kiwipiepy): words are nouns and compound nouns from
  kiwipiepy's morphological analysis, so particles (은/는/이/가/을/를/의 ...) and endings are never part
  of a keyword; candidates are runs of such words.
* Chinese (``"zh"``, jieba) and Japanese (``"ja"``, fugashi + unidic-lite): words from the
  segmenter (Japanese: noun runs); optional extras ``textmine[zh]`` / ``textmine[ja]``.
* Every other language that `stopwordsiso <https://pypi.org/project/stopwordsiso/>`_ knows (58, e.g.
  ``"de"``, ``"fr"``, ``"es"``): unicode word tokens, that language's stop words, n-gram candidates.

>>> from textmine.lang import detect_language, words
>>> detect_language(["대한민국은 민주공화국이다.", "국회의원은 법률안을 제출할 수 있다."])
'ko'
>>> words("국회의원은 법률안을 제출할 수 있다.", "ko")  # doctest: +SKIP
['국회의원', '법률안', '제출']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from ..errors import DependencyError, InputError

__all__ = ["normalize_language", "detect_language", "stop_words", "words", "phrases", "make_vectorizer",
           "embedding_model_for", "SEGMENTED"]

#: languages whose words come from a segmenter / morphological analyser, not from spaces
SEGMENTED = ("ko", "zh", "ja")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+(?:[.,]\d+)*", re.UNICODE)
_EXTRA = {"ko": "kiwipiepy", "zh": "jieba", "ja": "fugashi unidic-lite"}


def normalize_language(language: Any, *, allow_auto: bool = True) -> str:
    """Lower-cased ISO 639-1 code, checked: ``InputError`` for an unknown one."""
    if not isinstance(language, str) or not language.strip():
        raise InputError(f"language must be an ISO 639-1 code such as 'en' or 'ko', or 'auto'; got {language!r:.60}")
    code = language.strip().lower().replace("_", "-").split("-")[0]
    if code == "auto" and allow_auto:
        return code
    if code == "en" or code in SEGMENTED or _stopwordsiso_has(code):
        return code
    raise InputError(f"language {language!r:.40} is not supported: use 'en', 'ko', 'zh', 'ja', 'auto' or a "
                     "language with a stopwordsiso stop list (pip install stopwordsiso)")


def _stopwordsiso_has(code: str) -> bool:
    try:
        import stopwordsiso
    except ImportError:
        return False
    return bool(stopwordsiso.has_lang(code))


def detect_language(texts: Iterable[str], *, sample: int = 200) -> str:
    """The language of a corpus from the scripts of its letters (Hangul, kana, Han) and, for Latin
    script, the share of each stopwordsiso language's stop words; ``"en"`` when unsure."""
    counts = {"hangul": 0, "kana": 0, "han": 0, "latin": 0, "other": 0}
    tokens: list[str] = []
    for i, t in enumerate(texts):
        if i >= sample:
            break
        t = str(t)[:2000]
        for ch in t:
            if not ch.isalpha():
                continue
            o = ord(ch)
            if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
                counts["hangul"] += 1
            elif 0x3040 <= o <= 0x30FF:
                counts["kana"] += 1
            elif 0x4E00 <= o <= 0x9FFF:
                counts["han"] += 1
            elif "LATIN" in unicodedata.name(ch, ""):
                counts["latin"] += 1
            else:
                counts["other"] += 1
        tokens += [w.lower() for w in _WORD.findall(t)][:300]
    total = sum(counts.values())
    if not total:
        return "en"
    if counts["hangul"] > 0.3 * total:
        return "ko"
    if counts["kana"] > 0.1 * total:
        return "ja"
    if counts["han"] > 0.3 * total:
        return "zh"
    if not _stopwordsiso_has("en"):
        return "en"
    best, best_share = "en", 0.0
    for code in ("en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs", "tr", "id", "ro",
                 "hu", "ru", "uk", "el"):
        stop = stop_words(code)  # cached per language
        share = sum(w in stop for w in tokens) / max(1, len(tokens))
        if share > best_share + 1e-9:
            best, best_share = code, share
    return best


#: words of legal / administrative boilerplate that stopwordsiso's lists lack (found in konlpy's bills)
_EXTRA_STOP = {"ko": {"이하", "이상", "경우", "사항", "해당", "관련", "다음", "기타", "포함", "각호", "각목"}}


@lru_cache(maxsize=64)
def stop_words(language: str) -> frozenset[str]:
    """The stop words of ``language`` (stopwordsiso's list; Korean adds single-syllable nouns)."""
    try:
        import stopwordsiso
    except ImportError:
        raise DependencyError(f"stop words for {language!r} need stopwordsiso: pip install stopwordsiso "
                              '(or pip install "textmine[multilingual]")') from None
    words_ = {w.lower() for w in stopwordsiso.stopwords(language)}
    return frozenset(words_ | _EXTRA_STOP.get(language, set()))


# ---------------------------------------------------------------------------------------------- segmenters


@lru_cache(maxsize=1)
def _kiwi() -> Any:
    try:
        from kiwipiepy import Kiwi
    except ImportError:
        raise DependencyError('Korean text needs kiwipiepy: pip install "textmine[ko]"') from None
    return Kiwi()


@lru_cache(maxsize=1)
def _jieba() -> Any:
    try:
        import jieba
    except ImportError:
        raise DependencyError('Chinese text needs jieba: pip install "textmine[zh]"') from None
    jieba.setLogLevel(60)
    return jieba


@lru_cache(maxsize=1)
def _mecab() -> Any:
    try:
        import fugashi
    except ImportError:
        raise DependencyError('Japanese text needs fugashi and unidic-lite: pip install "textmine[ja]"') from None
    return fugashi.Tagger()


_KO_NOUN = ("NNG", "NNP", "SL", "SH", "XR")
_JA_NOUN = ("名詞", "接尾辞", "接頭辞")


def _runs(text: str, language: str) -> list[list[tuple[str, bool]]]:
    """Sentences as lists of (word, joins_next): ``joins_next`` is True when the next word follows it
    with only a space between (no particle, ending or punctuation), so both may form a phrase."""
    out: list[list[tuple[str, bool]]] = []
    if language == "ko":
        for sent in _kiwi().split_into_sents(text, return_tokens=True):
            cur: list[tuple[str, bool]] = []
            word, end = "", -1
            for tok in list(sent.tokens or []):
                noun = tok.tag in _KO_NOUN and (tok.tag != "XR" or bool(word))  # a root only inside a word
                if noun and word and tok.start == end:
                    word += tok.form
                    end = tok.start + tok.len
                    continue
                if word:
                    gap = text[end:tok.start] if tok.start >= end else ""
                    cur.append((word, noun and gap.strip() == "" and len(gap) > 0))
                    word = ""
                if noun:
                    word, end = tok.form, tok.start + tok.len
            if word:
                cur.append((word, False))
            if cur:
                out.append(cur)
        return out
    if language == "ja":
        cur = []
        word = ""
        for tok in _mecab()(text):
            pos = tok.feature.pos1
            if pos in _JA_NOUN and (pos != "接尾辞" or bool(word)):  # a suffix only after a noun
                word += tok.surface
                continue
            if word:
                cur.append((word, False))
                word = ""
            if pos == "補助記号" and tok.surface in "。！？!?" and cur:
                out.append(cur)
                cur = []
        if word:
            cur.append((word, False))
        if cur:
            out.append(cur)
        return out
    if language == "zh":
        _jieba()  # first: a missing jieba is a DependencyError with the install hint
        import jieba.posseg as pseg

        cur = []
        stop = stop_words("zh")
        joined = False
        for pair in pseg.lcut(text):
            w, flag = pair.word.strip(), pair.flag
            if not w:
                continue
            if w in "。！？；!?;":
                if cur:
                    out.append(cur)
                cur, joined = [], False
                continue
            if (flag.startswith("n") or flag in ("vn", "eng")) and w not in stop and any(c.isalpha() for c in w):
                if cur and joined:
                    cur[-1] = (cur[-1][0], True)
                cur.append((w, False))
                joined = True
            else:
                joined = False
        if cur:
            out.append(cur)
        return out
    raise InputError(f"no segmenter for language {language!r}")


def words(text: str, language: str) -> list[str]:
    """The content words of ``text`` (lower-cased, stop words removed) in ``language``."""
    if language in SEGMENTED:
        stop = stop_words(language)
        return [w.lower() for sent in _runs(text, language) for w, _ in sent
                if w.lower() not in stop and len(w) > (1 if language == "ko" else 0)]
    stop = stop_words(language) if language != "en" else frozenset()
    return [w for w in (t.lower() for t in _WORD.findall(text)) if w not in stop and not w[0].isdigit() and len(w) > 1]


def phrases(text: str, language: str, ngram_range: tuple[int, int] = (1, 3)) -> list[tuple[str, int, int]]:
    """Candidate phrases of a segmented-language ``text``: ``(phrase, index of its first word, number of
    words)`` for every
    run of 1..n content words that follow each other with only spaces between (Korean joins the words
    of a phrase with a space as written; Chinese and Japanese without)."""
    lo, hi = ngram_range
    stop = stop_words(language)
    sep = " " if language == "ko" else ""
    out: list[tuple[str, int, int]] = []
    pos = 0
    for sent in _runs(text, language):
        ok = [w.lower() not in stop and len(w) > (1 if language == "ko" else 0) for w, _ in sent]
        for i in range(len(sent)):
            if not ok[i]:
                continue
            for L in range(1, hi + 1):
                j = i + L
                if j > len(sent):
                    break
                if L > 1 and not sent[j - 2][1]:
                    break
                if L >= lo and ok[j - 1]:
                    out.append((sep.join(w for w, _ in sent[i:j]), pos + i, L))
        pos += len(sent)
    return out


def embedding_model_for(embedding_model: Any, language: str) -> Any:
    """The embedding model to use for text in ``language``: ``embedding_model``, except that ``"default"``
    means multilingual-e5-small for any language but English (MiniLM is English-only, docs/multilingual.md)."""
    if language != "en" and isinstance(embedding_model, str) and embedding_model == "default":
        return "multilingual-e5-small"
    return embedding_model


def make_vectorizer(language: str, n_docs: int) -> Any:
    """A CountVectorizer whose tokens are :func:`words` of ``language`` (for topic words / c-TF-IDF)."""
    from functools import partial

    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(tokenizer=partial(words, language=language), token_pattern=None, lowercase=False,
                           min_df=2 if n_docs >= 50 else 1)


def resolve_language(language: Any, texts: Callable[[], Sequence[str]]) -> str:
    """``language`` checked; ``"auto"`` detected on ``texts()``."""
    code = normalize_language(language)
    return detect_language(texts()) if code == "auto" else code
