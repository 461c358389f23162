"""LLM scoring of continuations (PromptRank's idea) and the scoring hybrid, with the real packaged GGUF."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import read_jsonl
from textmine.errors import InputError
from textmine.keywords import HybridKeywordExtractor
from textmine.keywords.llm import ground_keyword, stem_key
from textmine.keywords.promptrank import (
    ANSWER_PREFIX,
    SCORE_INSTRUCTION,
    SCORE_PROMPTS,
    candidate_logprobs,
    first_offset,
    free_frequencies,
    fuse_scores,
    llm_scores,
    position_scores,
    render_score_prompt,
)

TEXT = (
    "Support vector machines for text classification. We train support vector machines on "
    "bag-of-words features and compare them with naive Bayes classifiers."
)
CANDS = ["support vector machines", "text classification", "naive bayes classifiers", "bag", "support vector"]


def _reference(llm, text, cont):
    """Token log-probs of one continuation, one token at a time through llama-cpp-python's own eval."""
    import llama_cpp

    _, toks = llm.build_prompt(SCORE_INSTRUCTION, text, [], 32)
    toks = toks + llm.tokenize(" " + ANSWER_PREFIX)
    L = llm._llama
    L.reset()
    L.eval(toks)
    out = []
    for t in llm.tokenize(cont):
        x = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(L._ctx.ctx, -1), shape=(L._n_vocab,)).astype(float)
        out.append(x[t] - x.max() - np.log(np.exp(x - x.max()).sum()))
        L.eval([t])
    L.reset()
    return np.array(out)


def test_logprobs_are_probabilities_and_match_a_token_by_token_reference(llm):
    lps = candidate_logprobs(llm, TEXT, CANDS)
    assert len(lps) == len(CANDS)
    for c, lp in zip(CANDS, lps):
        assert lp.shape == (len(llm.tokenize(f" {c}.")),) and np.all(lp <= 0) and np.all(np.isfinite(lp))
    ref = _reference(llm, TEXT, " naive bayes classifiers.")
    # batched evaluation rounds a little differently from one token at a time (quantised activations)
    assert np.allclose(lps[2], ref, atol=0.5), (lps[2], ref)
    # the whole phrase of the text is far more likely than a phrase cut short or a stray word
    s = llm_scores(lps, 1.0)
    assert s[0] > s[4] and s[0] > s[3]


def test_values_depend_on_the_set_only_not_order_repetition_or_earlier_calls(llm):
    a = candidate_logprobs(llm, TEXT, CANDS)
    candidate_logprobs(llm, "Protein folding with deep learning.", ["protein folding", "deep learning"])
    b = candidate_logprobs(llm, TEXT, [*CANDS[::-1], CANDS[0]])
    for x, y in zip(a, b[:-1][::-1]):
        assert np.array_equal(x, y)
    assert np.array_equal(a[0], b[-1])
    assert candidate_logprobs(llm, TEXT, []) == []


def test_a_saved_fixed_part_gives_the_values_of_evaluating_it_again(llm, monkeypatch):
    """Two tasks alternating (TopicLabeler: a topic's score, then its documents'): each task's fixed prompt part is
    restored from a saved sequence state, with exactly the values of evaluating it again."""
    import textmine.llm.scoring as SC

    other = "Read one document and name its subject in 1 to 4 words."
    conts = [" support vector machines.", " text classification.", " bag."]

    def run():
        return [llm.score_continuations(instr, f"{TEXT} ({i})", conts, answer_prefix=ANSWER_PREFIX)
                for i, instr in enumerate([SCORE_INSTRUCTION, other] * 3)]

    scorer = SC.continuation_scorer(llm)
    before = scorer.stats["prefix_restores"]
    saved = run()
    assert scorer.stats["prefix_restores"] >= before + 4  # calls 3-6 restore their fixed part
    monkeypatch.setattr(SC, "PREFIX_STATES", 0)
    scorer._states.clear()
    fresh = run()
    assert scorer.stats["prefix_restores"] == before + (len(saved) - 2)
    for a, b in zip(saved, fresh):
        for x, y in zip(a, b):
            assert np.array_equal(x, y)


def test_more_candidates_than_one_batch_holds(llm):
    many = [f"support vector machines {i}" for i in range(45)] + CANDS  # > n_seq - 1 continuations
    lps = candidate_logprobs(llm, TEXT, many)
    alone = candidate_logprobs(llm, TEXT, CANDS)
    assert len(lps) == 50
    for x, y in zip(lps[45:], alone):  # other groups, other batch rows: equal up to float rounding
        assert np.allclose(x, y, atol=0.5)


def test_bad_input_is_a_textmine_error(llm):
    with pytest.raises(InputError):
        llm.score_continuations(SCORE_INSTRUCTION, None, [" a"])
    with pytest.raises(InputError):
        llm.score_continuations(SCORE_INSTRUCTION, TEXT, [" a", 3])


def test_fuse_scores():
    emb = np.array([0.9, 0.5, 0.1])
    ll = np.array([-3.0, -0.5, -np.inf])
    assert np.array_equal(np.argsort(-fuse_scores(emb, ll, 0.0)), [0, 1, 2])
    assert np.argmax(fuse_scores(emb, ll, 1.0)) == 1
    assert np.all(np.isfinite(fuse_scores(emb, ll, 0.5)))
    assert np.array_equal(fuse_scores(np.ones(3), np.ones(3), 0.3), np.zeros(3))


def test_mistral_scoring_prompt_exact_string():
    assert render_score_prompt("Solar cells convert sunlight into electricity.", "mistral-7b-instruct") == (
        "<s>[INST] Read the text and say in a few words what it is mainly about.\n\nText:\n"
        "Solar cells convert sunlight into electricity. [/INST]This text mainly talks about"
    )
    assert render_score_prompt("Solar cells.", "gemma3-270m").endswith("Text: Solar cells.\nAnswer: This text mainly talks about")
    book = render_score_prompt("Solar cells.", "mistral-7b-instruct", score_prompt="book")
    assert book == "<s>[INST] Read the text.\n\nText:\nSolar cells. [/INST]This book mainly talks about"
    assert render_score_prompt("Solar cells.", "gemma3-270m", "book").endswith("Answer: This book mainly talks about")


def test_position_term():
    text = "Graph neural networks. We train graph neural networks on citation graphs."
    assert first_offset(text.lower(), "Citation graphs") == text.lower().index("citation")
    assert first_offset(text.lower(), "absent phrase") == len(text)  # absent: last
    pos = position_scores(text, ["citation graphs", "graph neural networks", "absent phrase"])
    assert np.argsort(-pos).tolist() == [1, 0, 2]
    emb, ll = np.array([0.9, 0.5, 0.1]), np.array([-1.0, -2.0, -3.0])
    assert np.array_equal(fuse_scores(emb, ll, 0.5, pos, 0.0), fuse_scores(emb, ll, 0.5))
    only_pos = fuse_scores(emb, ll, 0.0, pos, 1.0)
    assert np.argsort(-only_pos).tolist() == [1, 0, 2]


def test_free_frequency_counts_occurrences_outside_longer_candidates():
    text = ("Lattice field theories are studied. Field theories on a lattice: gauge field theories and "
            "lattice field theories. Field Theory matters.")
    cands = ["lattice field theories", "field theories", "gauge field theories", "lattice", "absent phrase"]
    # "field theories" occurs 4 times (stems: "field theori" also matches "Field Theory"), 3 of them inside a
    # longer candidate; "lattice" twice inside "lattice field theories", once alone
    assert free_frequencies(text, cands).tolist() == [2.0, 2.0, 1.0, 1.0, 0.0]
    assert free_frequencies("", ["x"]).tolist() == [0.0] and free_frequencies(text, []).shape == (0,)
    emb, ll = np.zeros(5), np.zeros(5)
    fused = fuse_scores(emb, ll, 0.5, None, 0.0, free_frequencies(text, cands), 0.3)
    assert np.argsort(-fused, kind="stable").tolist() == [0, 1, 2, 3, 4]
    assert np.array_equal(fuse_scores(emb, ll, 0.5, None, 0.0, free_frequencies(text, cands), 0.0), np.zeros(5))


@pytest.fixture(scope="module")
def docs():
    return [r["text"] for r in read_jsonl("keyphrase/inspec_test.jsonl", limit=3)]


def test_scoring_hybrid_keeps_candidates_and_is_independent_of_other_documents(llm, docs):
    hy = HybridKeywordExtractor(llm=llm, top_n=6, n_candidates=12)
    assert hy.method == "score"
    out = hy.fit_transform([*docs, " "])
    cands = hy.extractor_.transform(docs)
    assert out[3] == []
    for doc, kws, cs in zip(docs, out, cands):
        assert len(kws) == 6
        names = {c.text for c in cs}
        assert all(k.text in names and ground_keyword(k.text, doc) is not None for k in kws)
        scores = [k.score for k in kws]
        assert scores == sorted(scores, reverse=True) and all(0 < s < 1 for s in scores)
        assert len({stem_key(k.text) for k in kws}) == len(kws)
    assert hy.transform([docs[1]])[0] == out[1]  # alone or with others: the same keyphrases
    assert hy.stats_["parse_failures"] == 0
    # the LLM changes the embedding order somewhere (else it would not be doing anything)
    emb_only = hy.set_params(llm_weight=0.0, position_weight=0.0, frequency_weight=0.0).transform(docs)
    assert [[k.text for k in ks] for ks in emb_only] != [[k.text for k in ks] for ks in out[:3]]

    def dedup(names):
        seen, out = set(), []
        for n in names:
            if stem_key(n) not in seen:
                seen.add(stem_key(n))
                out.append(n)
        return out[:6]

    assert [[k.text for k in ks] for ks in emb_only] == [dedup([c.text for c in cs]) for cs in cands]


def test_score_prompt_and_position_weight_reach_the_scores(llm, docs):
    base = HybridKeywordExtractor(llm=llm, top_n=8, n_candidates=12, score_prompt="text").fit(docs)
    out = base.transform(docs)
    # the "book" prompt: other log-probabilities, so another fused order somewhere
    instr, prefix = SCORE_PROMPTS["book"]
    names = [c.text for c in base.extractor_.transform(docs[:1])[0]]
    a = candidate_logprobs(llm, docs[0], names, max_doc_tokens=1024)  # "text", the module's default prompt
    b = candidate_logprobs(llm, docs[0], names, instruction=instr, answer_prefix=prefix, max_doc_tokens=1024)
    assert any(not np.allclose(x, y) for x, y in zip(a, b))
    book = base.set_params(score_prompt="book").transform(docs)
    assert [[k.text for k in ks] for ks in book] != [[k.text for k in ks] for ks in out]
    # position only: the candidates in the order of their first occurrence in the text
    by_pos = base.set_params(llm_weight=0.0, position_weight=1.0, frequency_weight=0.0).transform(docs)
    for doc, kws in zip(docs, by_pos):
        offsets = [first_offset(doc.lower(), k.text) for k in kws]
        assert offsets == sorted(offsets)
    # the free-frequency term (default 0.3) changes the fused order somewhere; 0 switches it off
    with_f = base.set_params(llm_weight=0.8, position_weight=0.1, frequency_weight=0.3).transform(docs)
    without = base.set_params(frequency_weight=0.0).transform(docs)
    assert [[k.text for k in ks] for ks in with_f] != [[k.text for k in ks] for ks in without]


@pytest.mark.parametrize("params", [{"score_prompt": "poem"}, {"score_prompt": None}, {"position_weight": -0.1},
                                    {"position_weight": 1.5}, {"llm_weight": 0.8, "position_weight": 0.3},
                                    {"frequency_weight": -0.1}, {"frequency_weight": 1.5},
                                    {"frequency_weight": "0.3"}])
def test_bad_scoring_params(params):
    d = HybridKeywordExtractor()  # the defaults chosen on dev data (benchmarks/llm_assist_hybtune.py, _hybfeat.py)
    got = (d.score_prompt, d.n_candidates, d.llm_weight, d.length_alpha, d.position_weight, d.frequency_weight)
    assert got == ("book", 40, 0.8, 1.0, 0.1, 0.3)
    with pytest.raises(InputError):
        HybridKeywordExtractor(**params)._validate_params()
