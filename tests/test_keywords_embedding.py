"""KeywordExtractor on the real packaged model and a real data subset."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from conftest import read_jsonl
from textmine import Keyword, KeywordExtractor
from textmine.errors import EmptyCorpusError, InputError
from textmine.evaluation import evaluate_keyphrases, normalize_keyphrase
from textmine.keywords._tagger import get_tagger
from textmine.keywords.candidates import extract_candidates, match_candidates
from textmine.keywords.embedding import maxsum_select, mmr_select

DOC_A = (
    "Graph neural networks for molecular property prediction\n"
    "Graph neural networks learn node embeddings by message passing over the molecular graph. "
    "We apply graph neural networks to molecular property prediction and compare them with "
    "fingerprint-based random forests on toxicity benchmarks."
)
DOC_B = (
    "Interest rates and inflation\n"
    "The central bank raised interest rates to fight inflation. Higher interest rates slow "
    "consumer spending, while bond yields and mortgage costs go up."
)
DOC_C = "Solar panels convert sunlight into electricity. Battery storage keeps solar power for the night."


@pytest.fixture(scope="module")
def kx():
    return KeywordExtractor(top_n=5)


@pytest.fixture(scope="module")
def inspec30():
    return read_jsonl("keyphrase/inspec_test.jsonl", limit=30)


# ----------------------------------------------------------------------------- candidates
def test_pos_tagger_installed():
    tagger = get_tagger()
    assert tagger is not None, "textblob-aptagger (the POS model) must be installed: pip install textblob-aptagger"
    assert tagger.tag("The central bank raised interest rates to fight inflation .".split()) == [
        "DT", "JJ", "NN", "VBD", "NN", "NNS", "TO", "VB", "NN", ".",
    ]


def test_candidates_never_cross_breaks_or_start_with_stop_words():
    # KeyBERT's CountVectorizer builds "services wavelength services" from text like this
    text = "Waiting for the wave to crest [wavelength services]\nWavelength services have been hyped, for years."
    cands = extract_candidates(text)
    texts = {c.text for c in cands}
    assert "wavelength services" in texts
    assert not any("services wavelength" in t for t in texts)
    assert not any("crest wavelength" in t for t in texts)
    assert not any("hyped years" in t for t in texts)
    for c in cands:
        words = c.text.split()
        assert words[0] not in {"the", "for", "to", "have", "been"} and words[-1] not in {"the", "for", "to"}
    merged = {c.key: c for c in cands}[normalize_keyphrase("wavelength services")]
    assert merged.count == 2  # one candidate for both occurrences


def test_candidates_respect_ngram_range():
    cands = extract_candidates(DOC_A, ngram_range=(2, 2))
    assert cands and all(c.n_words == 2 for c in cands)
    ng = extract_candidates(DOC_A, ngram_range=(1, 3), method="ngrams")
    assert ng and all(1 <= c.n_words <= 3 for c in ng)
    assert "graph neural networks" in {c.text for c in ng}


def test_match_candidates_uses_stems_and_keeps_user_spelling():
    found = match_candidates(DOC_A, ["Graph Neural Network", "random forest", "quantum computing"])
    assert [c.text for c in found] == ["Graph Neural Network", "random forest"]
    assert found[0].count == 3


# ----------------------------------------------------------------------------- extraction
def test_extract_returns_ranked_keywords(kx):
    kws = kx.extract(DOC_A)
    assert 1 <= len(kws) <= 5
    assert all(isinstance(k, Keyword) and isinstance(k.score, float) for k in kws)
    scores = [k.score for k in kws]
    assert scores == sorted(scores, reverse=True)
    keys = [normalize_keyphrase(k.text) for k in kws]
    assert len(set(keys)) == len(keys)  # no stemmed duplicates
    assert normalize_keyphrase("graph neural networks") in keys[:3]
    assert all(1 <= len(k.text.split()) <= 3 for k in kws)


def test_transform_matches_extract_and_top_n(kx):
    batch = kx.transform([DOC_A, DOC_B])
    assert batch[0] == kx.extract(DOC_A)
    assert len(batch[1]) == 5
    assert any("interest rates" == k.text for k in batch[1])
    assert len(KeywordExtractor(top_n=2).extract(DOC_B)) == 2


def test_batch_independence_unfitted_and_fitted():
    docs = [DOC_A, DOC_B, DOC_C]
    kx = KeywordExtractor(top_n=6)
    alone = [kx.transform([d])[0] for d in docs]
    together = kx.transform(docs)
    shuffled = kx.transform([DOC_C, DOC_A, DOC_B])
    assert [[k.text for k in x] for x in alone] == [[k.text for k in x] for x in together]
    assert [k.text for k in shuffled[1]] == [k.text for k in alone[0]]
    for a, b in zip(alone, together):
        np.testing.assert_allclose([k.score for k in a], [k.score for k in b], atol=1e-5)
    # after fit, the corpus statistics are fixed: batches still do not interact
    kf = KeywordExtractor(top_n=6).fit(docs)
    assert [k.text for k in kf.transform([DOC_B])[0]] == [k.text for k in kf.transform(docs)[1]]


def test_quality_on_inspec_subset_beats_trivial_baseline(inspec30):
    docs = [r["text"] for r in inspec30]
    gold = [r["keyphrases"] for r in inspec30]
    preds = KeywordExtractor(top_n=10).transform(docs)
    ours = evaluate_keyphrases(preds, gold)["F1@10"]
    # trivial baseline: the first 10 candidate phrases in document order
    first = [[c.text for c in extract_candidates(d)][:10] for d in docs]
    base = evaluate_keyphrases(first, gold)["F1@10"]
    assert ours >= 0.25, ours
    assert ours >= base + 0.05, (ours, base)


def test_fit_learns_document_frequencies_and_changes_scores():
    docs = [DOC_A, DOC_B, DOC_C, DOC_A.replace("toxicity", "solubility")]
    kx = KeywordExtractor(top_n=8, idf_weight=1.0)
    assert not hasattr(kx, "document_frequency_")
    kx.fit(docs)
    assert kx.n_documents_ == 4
    assert kx.document_frequency_[normalize_keyphrase("graph neural networks")] == 2
    assert kx.document_frequency_[normalize_keyphrase("interest rates")] == 1  # not a stop word here
    fitted = {k.text: k.score for k in kx.transform([DOC_A])[0]}
    plain = {k.text: k.score for k in KeywordExtractor(top_n=8, idf_weight=1.0).transform([DOC_A])[0]}
    assert fitted != plain
    assert kx.fit_transform(docs) == kx.fit(docs).transform(docs)


def test_clone_and_params():
    kx = KeywordExtractor(top_n=7, ngram_range=(1, 2), diversity=0.3, seed_keywords=["graph"])
    kx.fit([DOC_A])
    c = clone(kx)
    assert c.get_params() == kx.get_params()
    assert not hasattr(c, "document_frequency_")
    assert c.transform([DOC_B])[0] == clone(c).transform([DOC_B])[0]
    assert set(KeywordExtractor().get_params()) >= {"top_n", "ngram_range", "diversity", "candidates", "seed_keywords"}


def test_diversity_mmr_and_maxsum_reduce_redundancy():
    text = DOC_A + " " + DOC_C
    plain = KeywordExtractor(top_n=5).extract(text)
    mmr = KeywordExtractor(top_n=5, diversity=0.8).extract(text)
    maxsum = KeywordExtractor(top_n=5, diversity=0.8, diversity_method="maxsum").extract(text)
    assert len(mmr) == len(maxsum) == 5
    for kws in (mmr, maxsum):
        assert [k.score for k in kws] == sorted((k.score for k in kws), reverse=True)
    from textmine.embed import get_embedder

    emb = get_embedder("default")

    def redundancy(kws):
        E = emb.encode([k.text for k in kws])
        S = E @ E.T
        return (S.sum() - np.trace(S)) / (len(kws) * (len(kws) - 1))

    assert redundancy(mmr) < redundancy(plain)
    assert redundancy(maxsum) < redundancy(plain)
    # diversity 0 is the plain ranking
    assert [k.text for k in KeywordExtractor(top_n=5, diversity=0.0).extract(text)] == [k.text for k in plain]


def test_mmr_matches_keybert_with_cosine_relevance():
    from keybert._mmr import mmr as keybert_mmr

    rng = np.random.default_rng(0)
    E = rng.normal(size=(25, 16))
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    doc = rng.normal(size=16)
    doc /= np.linalg.norm(doc)
    words = [f"w{i}" for i in range(25)]
    for diversity in (0.2, 0.5, 0.8):
        ref = [w for w, _ in keybert_mmr(doc.reshape(1, -1), E, words, top_n=6, diversity=diversity)]
        picked = mmr_select(E, E @ doc, 6, diversity)
        # same selection; KeyBERT reports it sorted by similarity, as the extractor does
        assert [words[i] for i in sorted(picked, key=lambda i: -(E @ doc)[i])] == ref


def test_maxsum_select_exhaustive_choice():
    # 3 near-duplicates and 2 distinct vectors: picking 3 of the best 5 keeps one duplicate only
    E = np.array([[1, 0, 0], [0.99, 0.14, 0], [0.98, 0.2, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    picked = maxsum_select(E, 3, 1.0, [0, 1, 2, 3, 4])
    assert sorted(picked) == [0, 3, 4] or sorted(picked) in ([1, 3, 4], [2, 3, 4])


def test_seed_keywords_steer_the_ranking():
    text = DOC_A + "\n" + DOC_B
    plain = [k.text for k in KeywordExtractor(top_n=10).extract(text)]
    seeded = [k.text for k in KeywordExtractor(top_n=10, seed_weight=0.6).extract(
        text, seed_keywords=["monetary policy", "economics"])]
    finance = {"interest rates", "inflation", "central bank", "bond yields", "mortgage costs", "consumer spending"}

    def first_rank(lst):
        return min(i for i, t in enumerate(lst) if t in finance)

    assert first_rank(seeded) < first_rank(plain)
    assert sum(t in finance for t in seeded[:5]) > sum(t in finance for t in plain[:5])
    # the constructor parameter does the same
    assert [k.text for k in KeywordExtractor(top_n=10, seed_weight=0.6, seed_keywords=[
        "monetary policy", "economics"]).extract(text)] == seeded


def test_user_candidates():
    kx = KeywordExtractor(top_n=5, candidates=["Random Forests", "graph neural network", "blockchain"])
    kws = kx.extract(DOC_A)
    assert {k.text for k in kws} == {"Random Forests", "graph neural network"}
    assert kx.extract(DOC_B) == []
    over = KeywordExtractor(top_n=5).extract(DOC_B, candidates=["inflation", "bond yields"])
    assert {k.text for k in over} == {"inflation", "bond yields"}


def test_ngram_candidates_without_tagger_work():
    kws = KeywordExtractor(top_n=5, candidate_method="ngrams").extract(DOC_B)
    assert len(kws) == 5 and any("interest rates" in k.text for k in kws)


# ----------------------------------------------------------------------------- bad input
def test_bad_documents(kx):
    with pytest.raises(InputError, match="index 1"):
        kx.transform([DOC_A, None])
    with pytest.raises(InputError):
        kx.transform(DOC_A)  # a bare string is not a corpus
    with pytest.raises(InputError):
        kx.extract(None)
    with pytest.raises(InputError):
        kx.transform([b"\xff\xfe bad utf-8"])
    with pytest.raises(EmptyCorpusError):
        KeywordExtractor().fit([])
    assert kx.transform([]) == []
    assert kx.transform(["", "   \n\t", DOC_C]) [:2] == [[], []]
    assert kx.extract(DOC_C.encode("utf-8")) == kx.extract(DOC_C)
    assert kx.extract("the of and") == []  # stop words only
    assert kx.extract("x" * 5000) == []  # no 5,000-letter "keyword"
    assert KeywordExtractor().fit(["", "  "]).transform([""]) == [[]]


@pytest.mark.parametrize(
    "params",
    [
        {"top_n": 0},
        {"top_n": "5"},
        {"ngram_range": (3, 1)},
        {"ngram_range": 2},
        {"diversity": 1.5},
        {"diversity": "high"},
        {"diversity_method": "random"},
        {"candidate_method": "spacy"},
        {"stop_words": "french"},
        {"seed_weight": 1.0},
        {"position_weight": -1},
        {"max_candidates": 0},
        {"candidates": "just one string"},
    ],
)
def test_bad_parameters_raise_input_error(params):
    with pytest.raises(InputError):
        KeywordExtractor(**params).transform([DOC_C])


def test_very_long_document_is_capped(inspec30):
    long_doc = "\n".join(r["text"] for r in inspec30[:12]) * 3  # ~ 5,000 words
    kx = KeywordExtractor(top_n=10, max_candidates=150)
    kws = kx.extract(long_doc)
    assert len(kws) == 10
    assert len({k.text for k in kws}) == 10
