"""LLMKeywordExtractor and near-duplicate grouping, with the real packaged GGUF and real Inspec docs."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.base import clone

from conftest import read_jsonl
from textmine import Keyword
from textmine.errors import EmptyCorpusError, InputError, LLMOutputError
from textmine.keywords import LLMKeywordExtractor
from textmine.keywords.grouping import group_near_duplicates, groups_from_labels
from textmine.keywords.llm import (
    KEYWORD_EXAMPLES,
    ground_keyword,
    normalize_keyword,
    render_keyword_prompt,
    stem_key,
)


# ----------------------------------------------------------------------------- grouping (no LLM)


def test_grouping_finds_planted_near_duplicates_only():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 384)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    X[2500] = X[7] + 0.02 * rng.normal(size=384)  # near-duplicate of 7 (cos ~ 0.93..0.99)
    X[2500] /= np.linalg.norm(X[2500])
    X[2999] = X[7]  # exact copy
    X[10] = X[11] = X[12]  # a group of three (leader: 10)
    lab = group_near_duplicates(X, threshold=0.95, max_memory_mb=1)
    cos = float(X[2500] @ X[7])
    assert lab[2999] == 7
    assert lab[2500] == (7 if cos >= 0.95 else 2500)
    assert lab[11] == 10 and lab[12] == 10
    moved = {i for i in range(len(lab)) if lab[i] != i}
    assert moved <= {2500, 2999, 11, 12}
    groups = groups_from_labels(lab)
    assert groups[10] == [10, 11, 12]


def test_grouping_is_star_not_chain():
    # a ~ b and b ~ c but a !~ c: c must not receive a's answer through b
    a = np.array([1.0, 0.0])
    ang = np.deg2rad(15.0)  # cos 15deg = 0.966, cos 30deg = 0.866
    b = np.array([np.cos(ang), np.sin(ang)])
    c = np.array([np.cos(2 * ang), np.sin(2 * ang)])
    lab = group_near_duplicates(np.stack([a, b, c]).astype(np.float32), threshold=0.95)
    assert lab.tolist() == [0, 0, 2]


def test_grouping_memory_is_bounded():
    n = 6000
    X = np.random.default_rng(1).normal(size=(n, 64)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    full_matrix = n * n * 4  # what an n x n similarity matrix would need: 144 MB
    tracemalloc.start()
    group_near_duplicates(X, threshold=0.95, max_memory_mb=4)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 16 * 1024 * 1024 < full_matrix


def test_grouping_bad_input():
    with pytest.raises(InputError):
        group_near_duplicates(np.zeros(5, dtype=np.float32))
    with pytest.raises(InputError):
        group_near_duplicates(np.eye(3, dtype=np.float32), threshold=0)
    assert group_near_duplicates(np.zeros((0, 4), dtype=np.float32)).tolist() == []
    assert group_near_duplicates(np.ones((1, 4), dtype=np.float32)).tolist() == [0]


def test_grouping_real_near_duplicates(embedder):
    rows = read_jsonl("keyphrase/inspec_test.jsonl", limit=8)
    docs = [r["text"] for r in rows]
    edited = docs[2].replace(".", "!", 1) + " (Corrected version)"
    X = embedder.encode(docs + [edited, docs[5].upper()])
    lab = group_near_duplicates(X, threshold=0.95)
    assert lab[8] == 2  # lightly edited copy of doc 2
    assert lab[:8].tolist() == list(range(8))  # distinct abstracts stay apart


# ----------------------------------------------------------------------------- normalisation


def test_normalize_stem_ground():
    assert normalize_keyword("  'Graph  Neural Networks.' ") == "Graph  Neural Networks".replace("  ", " ")
    assert stem_key("graph neural networks") == stem_key("Graph neural network")
    assert stem_key("real-time systems") == stem_key("real time system")
    doc = "We study Real-Time Scheduling of periodic tasks."
    assert ground_keyword("real time scheduling", doc) == "Real-Time Scheduling"
    assert ground_keyword("periodic task", doc) == "periodic tasks"
    assert ground_keyword("deadline", doc) is None
    assert ground_keyword("", doc) is None


def test_examples_are_grounded_in_their_own_text():
    for text, keyphrases in KEYWORD_EXAMPLES:
        for k in keyphrases:
            assert ground_keyword(k, text) is not None, k


# ----------------------------------------------------------------------------- Mistral prompt


MISTRAL_EXPECTED = (
    "<s>[INST] You are an expert indexer of scientific abstracts. Extract the keyphrases of the text "
    "below: the specific technical terms (usually noun phrases of one to four words) that an expert "
    "would use to index it. Copy each keyphrase exactly as it is written in the text; do not invent, "
    "generalise or explain. Put the most important keyphrases first. Answer with a JSON list of "
    "strings only.\n\nText:\nDetecting spam reviews with graph neural networks\nFake product reviews "
    "mislead customers of online shops. We build a review graph linking users, products and reviews, "
    "and train a graph neural network to detect spam reviews. Node features combine text embeddings "
    "with rating statistics. On two e-commerce datasets the method beats text classifiers and matrix "
    'factorization. [/INST]["spam reviews", "graph neural network", "review graph", "fake product '
    'reviews", "online shops", "node features", "text embeddings", "rating statistics", "e-commerce '
    'datasets", "text classifiers", "matrix factorization"]</s>[INST] You are an expert indexer of '
    "scientific abstracts. Extract the keyphrases of the text below: the specific technical terms "
    "(usually noun phrases of one to four words) that an expert would use to index it. Copy each "
    "keyphrase exactly as it is written in the text; do not invent, generalise or explain. Put the "
    "most important keyphrases first. Answer with a JSON list of strings only.\n\nText:\nSolar cells "
    "convert sunlight into electricity. [/INST]"
)


def test_mistral_prompt_exact_string():
    assert render_keyword_prompt("Solar cells convert sunlight into electricity.", "mistral-7b-instruct") == (
        MISTRAL_EXPECTED
    )
    # the alias resolves to the same preset
    assert render_keyword_prompt("Solar cells convert sunlight into electricity.", "mistral") == MISTRAL_EXPECTED


def test_base_model_prompt_is_few_shot_completion():
    p = render_keyword_prompt("Solar cells convert sunlight into electricity.", "gemma3-270m")
    assert p.count("Text: ") == 3 and p.endswith("Text: Solar cells convert sunlight into electricity.\nAnswer:")
    assert '"adaptive cruise control system", "electric buses"' in p


# ----------------------------------------------------------------------------- params / input (no generation)


def test_params_and_clone(llm):
    kw = LLMKeywordExtractor(llm=llm, top_n=7, grounded=False, group_threshold=None)
    c = clone(kw)
    assert c.get_params() == kw.get_params()
    assert c.llm is llm  # an LLM is shared, not copied
    assert clone(LLMKeywordExtractor()).llm == "default"


@pytest.mark.parametrize(
    "params",
    [{"top_n": 0}, {"top_n": "5"}, {"group_threshold": 1.5}, {"scoring": "nope"}, {"max_items": 0}],
)
def test_bad_params(params):
    with pytest.raises(InputError):
        LLMKeywordExtractor(**params).transform(["some text"])


def test_bad_input(llm):
    kw = LLMKeywordExtractor(llm=llm)
    with pytest.raises(InputError):
        kw.transform(["ok", None])
    with pytest.raises(InputError):
        kw.transform("a single string is not a corpus")
    with pytest.raises(InputError):
        kw.extract(None)
    with pytest.raises(EmptyCorpusError):
        kw.fit([])
    before = llm.stats["calls"]
    assert kw.transform([]) == []
    assert kw.transform(["", "   \n\t"]) == [[], []]
    assert kw.extract("  ") == []
    assert llm.stats["calls"] == before  # blank documents never reach the LLM
    assert kw.stats_["llm_calls"] == 0


# ----------------------------------------------------------------------------- with the real LLM


@pytest.fixture(scope="module")
def inspec_docs():
    return [r["text"] for r in read_jsonl("keyphrase/inspec_test.jsonl", limit=4)]


@pytest.fixture(scope="module")
def fitted_run(llm, inspec_docs):
    """One transform over 4 real abstracts + a near-duplicate + a blank doc (max_items = 12)."""
    near_dup = inspec_docs[1].replace(".", "!", 1) + " (Revised)"
    docs = [*inspec_docs, near_dup, "  "]
    kw = LLMKeywordExtractor(llm=llm, top_n=10)
    before = llm.stats["calls"]
    out = kw.fit_transform(docs)
    return kw, docs, out, llm.stats["calls"] - before


def test_outputs_parse_are_grounded_and_typed(fitted_run):
    kw, docs, out, _ = fitted_run
    assert len(out) == len(docs)
    assert kw.stats_["parse_failures"] == 0
    for doc, kws in zip(docs[:4], out[:4]):
        assert 1 <= len(kws) <= 10
        for k in kws:
            assert isinstance(k, Keyword) and isinstance(k.text, str) and isinstance(k.score, float)
            assert k.text and k.text == k.text.strip()
            assert k.text in doc  # grounded: the document's own spelling
        scores = [k.score for k in kws]
        assert scores == sorted(scores, reverse=True)
        keys = [stem_key(k.text) for k in kws]
        assert len(keys) == len(set(keys))  # de-duplicated after stemming
    assert out[5] == []


def test_near_duplicates_share_one_llm_call(fitted_run):
    kw, docs, out, calls = fitted_run
    st = kw.stats_
    assert st["docs"] == 6 and st["groups"] == 4
    assert st["llm_calls"] == 4 and calls == 4  # 5 non-blank docs, one near-duplicate pair
    assert [k.text for k in out[4]] == [k.text for k in out[1]]
    assert 0 < st["grounded_share"] <= 1
    assert st["keywords_grounded"] <= st["keywords_proposed"]


def test_grouping_off_calls_once_per_doc(llm, inspec_docs, fitted_run):
    _, docs, _, _ = fitted_run
    kw = LLMKeywordExtractor(llm=llm, group_threshold=None)
    kw.transform(docs[:2] + [docs[4]])
    assert kw.stats_["llm_calls"] == 3  # (answers come from the response cache: cheap)


def test_ungrounded_keeps_abstractive(llm, fitted_run):
    _, docs, _, _ = fitted_run
    # the same generation (free vocabulary) with and without the grounding filter
    kept = LLMKeywordExtractor(llm=llm, top_n=12, max_items=12, restrict_vocabulary=False).transform(docs[:4])
    free = LLMKeywordExtractor(llm=llm, top_n=12, max_items=12, grounded=False).transform(docs[:4])
    for g, f in zip(kept, free):
        assert {stem_key(k.text) for k in g} <= {stem_key(k.text) for k in f}
    assert sum(len(f) for f in free) > sum(len(g) for g in kept)  # some proposals were not in the text
    # the default restricts the LLM to the document's tokens: more of what it writes is in the text
    restricted = LLMKeywordExtractor(llm=llm, top_n=12, max_items=12)
    restricted.transform(docs[:4])
    unrestricted = LLMKeywordExtractor(llm=llm, top_n=12, max_items=12, restrict_vocabulary=False)
    unrestricted.transform(docs[:4])
    assert restricted.stats_["grounded_share"] > unrestricted.stats_["grounded_share"]


def test_restricted_vocabulary_follows_grounded_and_is_validated(llm, fitted_run):
    _, docs, out, _ = fitted_run
    seen = []
    real = llm.generate_list

    def spy(*args, **kwargs):
        seen.append(kwargs.get("vocabulary"))
        return real(*args, **kwargs)

    llm.generate_list = spy
    try:
        LLMKeywordExtractor(llm=llm, group_threshold=None).transform(docs[:1])
        LLMKeywordExtractor(llm=llm, group_threshold=None, grounded=False).transform(docs[:1])
        LLMKeywordExtractor(llm=llm, group_threshold=None, restrict_vocabulary=False).transform(docs[:1])
        LLMKeywordExtractor(llm=llm, group_threshold=None, grounded=False, restrict_vocabulary=True).transform(docs[:1])
    finally:
        del llm.generate_list
    assert seen == [docs[0], None, None, docs[0]]
    with pytest.raises(InputError, match="restrict_vocabulary"):
        LLMKeywordExtractor(llm=llm, restrict_vocabulary="yes").transform(docs[:1])


def test_one_doc_extract_matches_transform(llm, fitted_run):
    kw, docs, out, _ = fitted_run
    assert kw.extract(docs[0]) == out[0]


def test_parse_failure_is_counted_not_raised(llm, inspec_docs, monkeypatch):
    """Failure injection: the LLM layer reports invalid output for one document."""
    kw = LLMKeywordExtractor(llm=llm, group_threshold=None).fit(inspec_docs[:2])
    real = kw.llm_.generate_list
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise LLMOutputError("injected")
        return real(*args, **kwargs)

    monkeypatch.setattr(kw.llm_, "generate_list", flaky)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = kw.transform(inspec_docs[:2])
    assert out[0] == [] and out[1]
    assert kw.stats_["parse_failures"] == 1
    assert any("failed validation" in str(w.message) for w in caught)
