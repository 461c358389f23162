"""KeyBERT's call style on KeywordExtractor (issue 16, part 5): KeyBERT code ports by changing the import.

Compared with the installed keybert package on the same inputs (structure, lengths, n-gram
lengths, candidate lists), with the packaged all-MiniLM-L6-v2 for both.
"""

from __future__ import annotations

import inspect

import pytest

from textmine import KeywordExtractor
from textmine.errors import InputError

DOC = (
    "Supervised learning is the machine learning task of learning a function that maps an input to "
    "an output based on example input-output pairs. It infers a function from labeled training data "
    "consisting of a set of training examples."
)
DOC2 = (
    "The central bank raised interest rates to fight inflation. Higher interest rates slow consumer "
    "spending, while bond yields and mortgage costs go up."
)


@pytest.fixture(scope="module")
def keybert_model():
    from keybert import KeyBERT
    from sentence_transformers import SentenceTransformer

    from textmine.models import resolve_embedding_model

    return KeyBERT(model=SentenceTransformer(str(resolve_embedding_model("default").path), device="cpu"))


def _shape(result):
    """'flat' (list of (str, float)), 'nested' (list of such lists) or 'empty'."""
    if result == []:
        return "empty"
    if all(isinstance(x, tuple) and isinstance(x[0], str) and isinstance(x[1], float) for x in result):
        return "flat"
    assert all(isinstance(x, list) for x in result)
    for inner in result:
        assert all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) for x in inner)
    return "nested"


def test_signature_matches_keybert():
    from keybert import KeyBERT

    ours = inspect.signature(KeywordExtractor.extract_keywords).parameters
    theirs = inspect.signature(KeyBERT.extract_keywords).parameters
    assert list(ours) == list(theirs)
    for name in theirs:
        assert ours[name].default == theirs[name].default, name


def test_keybert_example_code_ports_by_changing_the_import(keybert_model):
    # the README example of KeyBERT, run with both; only the constructor differs
    ours_model = KeywordExtractor()
    calls = [
        ((DOC,), {}),
        ((DOC,), {"keyphrase_ngram_range": (1, 2), "stop_words": None}),
        ((DOC,), {"keyphrase_ngram_range": (1, 2), "stop_words": "english", "use_mmr": True, "diversity": 0.7}),
        ((DOC,), {"keyphrase_ngram_range": (3, 3), "stop_words": "english", "use_maxsum": True, "nr_candidates": 20, "top_n": 5}),
        (([DOC, DOC2],), {"top_n": 3}),
        (([DOC],), {"top_n": 3}),  # a list of one document: KeyBERT returns a flat list
        (("",), {}),
        ((DOC,), {"seed_keywords": ["information"]}),
        (([DOC, DOC2],), {"seed_keywords": [["learning"], ["money"]], "top_n": 4}),
    ]
    for args, kwargs in calls:
        theirs = keybert_model.extract_keywords(*args, **kwargs)
        ours = ours_model.extract_keywords(*args, **kwargs)
        assert _shape(ours) == _shape(theirs), (args, kwargs, ours, theirs)
        flat_ours = ours if _shape(ours) != "nested" else [kw for kws in ours for kw in kws]
        # as many keywords, or fewer when textmine has fewer candidates: its candidates are noun
        # phrases that never glue words across stop words ("learning task learning" is KeyBERT's)
        pairs = zip(ours, theirs) if _shape(ours) == "nested" else [(ours, theirs)]
        for o, t in pairs:
            assert 0 < len(o) <= len(t) if t else o == []
            if kwargs.get("keyphrase_ngram_range", (1, 1)) != (3, 3):
                assert len(o) == len(t)
        lo, hi = kwargs.get("keyphrase_ngram_range", (1, 1))
        for word, score in flat_ours:
            assert lo <= len(word.split()) <= hi, (word, kwargs)
            assert isinstance(score, float)
    # the two agree on what the text is about
    ours = {w for w, _ in ours_model.extract_keywords(DOC, top_n=5)}
    theirs = {w for w, _ in keybert_model.extract_keywords(DOC, top_n=5)}
    assert ours & theirs, (ours, theirs)


def test_candidates_and_defaults():
    kx = KeywordExtractor()
    kws = kx.extract_keywords(DOC2, candidates=["interest rates", "inflation", "blockchain"])
    assert {w for w, _ in kws} == {"interest rates", "inflation"}
    # KeyBERT defaults: top_n=5, single words
    kws = kx.extract_keywords(DOC2)
    assert len(kws) == 5 and all(len(w.split()) == 1 for w, _ in kws)
    assert kws == sorted(kws, key=lambda kw: -kw[1])
    # the extractor's own settings are untouched
    assert kx.top_n == 10 and kx.ngram_range == (1, 3) and kx.diversity is None


def test_maxsum_pool_is_nr_candidates():
    kx = KeywordExtractor()
    # with nr_candidates == top_n the pool is the plain top-n
    plain = kx.extract_keywords(DOC, keyphrase_ngram_range=(1, 2), top_n=4)
    same = kx.extract_keywords(DOC, keyphrase_ngram_range=(1, 2), top_n=4, use_maxsum=True, nr_candidates=4)
    assert [w for w, _ in same] == [w for w, _ in plain]
    wide = kx.extract_keywords(DOC, keyphrase_ngram_range=(1, 2), top_n=4, use_maxsum=True, nr_candidates=20)
    assert len(wide) == 4 and [w for w, _ in wide] != [w for w, _ in plain]
    with pytest.raises(InputError, match="nr_candidates"):
        kx.extract_keywords(DOC, top_n=5, use_maxsum=True, nr_candidates=3)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"vectorizer": object()}, "vectorizer"),
        ({"highlight": True}, "highlight=True"),
        ({"min_df": 2}, "min_df=2"),
        ({"doc_embeddings": [[0.0]], "word_embeddings": [[0.0]]}, "doc_embeddings=..., word_embeddings"),
        ({"threshold": 0.5}, "threshold"),
    ],
)
def test_unsupported_options_raise_a_clear_error(kwargs, named):
    with pytest.raises(InputError, match="not supported") as info:
        KeywordExtractor().extract_keywords(DOC, **kwargs)
    assert named in str(info.value)


def test_bad_seed_lists_raise_input_error():
    kx = KeywordExtractor()
    with pytest.raises(InputError, match="one per document"):
        kx.extract_keywords([DOC, DOC2], seed_keywords=[["a"], ["b"], ["c"]])
    with pytest.raises(InputError, match="not a string"):
        kx.extract_keywords(DOC, seed_keywords="learning")
