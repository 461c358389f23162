"""HybridKeywordExtractor with the real packaged GGUF, the real embedding model and real Inspec docs."""

from __future__ import annotations

import pytest
from sklearn.base import clone

from conftest import read_jsonl
from textmine import Keyword
from textmine.errors import EmptyCorpusError, InputError
from textmine.keywords import HybridKeywordExtractor, KeywordExtractor
from textmine.keywords.hybrid import HYBRID_EXAMPLES, format_hybrid_text
from textmine.keywords.llm import ground_keyword, stem_key


@pytest.fixture(scope="module")
def docs():
    return [r["text"] for r in read_jsonl("keyphrase/inspec_test.jsonl", limit=3)]


@pytest.fixture(scope="module")
def run(llm, docs):
    hy = HybridKeywordExtractor(llm=llm, top_n=8, n_candidates=15, method="choose")
    before = llm.stats["calls"]
    out = hy.fit_transform([*docs, " "])
    return hy, out, llm.stats["calls"] - before


def test_examples_choose_among_their_candidates():
    for text, cands, chosen in HYBRID_EXAMPLES:
        assert set(chosen) <= set(cands)
        for c in cands:
            assert ground_keyword(c, text) is not None, c
    assert format_hybrid_text(" a doc ", ["x", "y"]) == "a doc\n\nCandidates: x; y"


def test_output_only_contains_candidates_of_the_doc(run, docs):
    hy, out, calls = run
    cands = hy.extractor_.transform(docs)  # the same fitted candidate extractor
    assert len(out) == 4 and out[3] == []
    for doc, kws, cs in zip(docs, out, cands):
        names = {c.text for c in cs}
        assert len(kws) == 8
        for k in kws:
            assert isinstance(k, Keyword) and isinstance(k.score, float)
            assert k.text in names  # one of this document's own candidates
            assert ground_keyword(k.text, doc) is not None
        scores = [k.score for k in kws]
        assert scores == sorted(scores, reverse=True)
        assert len({stem_key(k.text) for k in kws}) == len(kws)
    st = hy.stats_
    assert st["parse_failures"] == 0 and st["llm_calls"] == 3 and calls == 3
    assert st["llm_picked"] >= 3  # the LLM did choose something for these abstracts
    assert st["grounded_share"] == 1.0


def test_fusion_changes_the_embedding_order(run, docs):
    hy, out, _ = run
    cands = hy.extractor_.transform(docs)
    emb_order = [[c.text for c in cs[:8]] for cs in cands]
    assert any([k.text for k in kws] != e for kws, e in zip(out, emb_order))


def test_llm_first_fusion_uses_llm_picks_then_fills(llm, docs, run):
    hy, _, _ = run
    h2 = HybridKeywordExtractor(llm=llm, top_n=8, n_candidates=15, fusion="llm")
    h2.extractor_ = hy.extractor_  # same fitted candidates -> the LLM answers come from the cache
    out = h2.transform(docs[:1])[0]
    assert len(out) == 8
    assert h2.stats_["llm_picked"] <= 8


def test_clone_params(llm):
    hy = HybridKeywordExtractor(llm=llm, top_n=5, candidate_extractor=KeywordExtractor(diversity=0.5))
    c = clone(hy)
    assert c.llm is llm and c.top_n == 5
    assert c.candidate_extractor is not hy.candidate_extractor
    assert c.candidate_extractor.get_params() == hy.candidate_extractor.get_params()


@pytest.mark.parametrize(
    "params",
    [{"top_n": 0}, {"n_candidates": -1}, {"fusion": "max"}, {"rrf_k": -1}, {"candidate_extractor": "kb"},
     {"method": "vote"}, {"llm_weight": 1.5}, {"llm_weight": "0.5"}, {"length_alpha": -1}, {"terminator": None},
     {"ngram_range": (3, 1)}, {"ngram_range": "1-4"}],
)
def test_bad_params(params):
    with pytest.raises(InputError):
        HybridKeywordExtractor(**params).transform(["some text about neural networks"])


def test_ngram_range_reaches_the_default_candidate_extractor_only():
    assert HybridKeywordExtractor()._make_extractor().ngram_range == (1, 4)  # chosen on dev data
    assert HybridKeywordExtractor(ngram_range=(1, 2))._make_extractor().ngram_range == (1, 2)
    given = KeywordExtractor(ngram_range=(1, 3), diversity=0.5)
    ext = HybridKeywordExtractor(ngram_range=(1, 2), n_candidates=7, candidate_extractor=given)._make_extractor()
    assert ext.ngram_range == (1, 3) and ext.top_n == 7 and ext.diversity == 0.5


def test_bad_input(llm):
    hy = HybridKeywordExtractor(llm=llm)
    with pytest.raises(InputError):
        hy.transform([None])
    with pytest.raises(InputError):
        hy.extract(3)
    with pytest.raises(EmptyCorpusError):
        hy.fit([])
    before = llm.stats["calls"]
    assert hy.transform([]) == []
    assert hy.transform(["", "\n  "]) == [[], []]
    assert llm.stats["calls"] == before


def test_numpy_parameters_are_accepted():
    import numpy as np

    hy = HybridKeywordExtractor(top_n=np.int64(3), n_candidates=np.int32(12), llm_weight=np.float32(0.5),
                                length_alpha=np.float64(1.0), rrf_k=np.int64(5), max_doc_tokens=np.int64(64))
    hy._validate_params()  # numpy scalars, as GridSearchCV passes them, are valid values
    for bad in ({"rrf_k": float("inf")}, {"max_doc_tokens": 8}, {"length_alpha": 2.5}, {"llm_weight": True}):
        with pytest.raises(InputError):
            HybridKeywordExtractor(**bad)._validate_params()
