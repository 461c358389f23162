"""Candidate labels chosen by scores (textmine.topics.label_select) with the real packaged models."""

from __future__ import annotations

import numpy as np
import pytest

from textmine.topics import Topic, TopicLabeler
from textmine.topics import label_select as S
from textmine.topics.label import label_problem

GUNS = Topic(3, 10, [("gun", 1.0), ("control", 0.9), ("batf", 0.8), ("the", 0.7), ("1993", 0.6), ("fbi", 0.5)],
             representative_docs=["Gun control laws do not stop criminals from getting firearms.",
                                   "The BATF raid in Waco was planned by the FBI."])
HOCKEY = Topic(1, 30, [("hockey", 1.0), ("game", 0.9), ("team", 0.8), ("season", 0.7), ("playoffs", 0.6)],
               representative_docs=["The Bruins won the playoff game in overtime.", "Our team had a great season."])


def test_candidates_written_first_then_phrases_pairs_and_words_all_checked():
    cands = S.candidate_labels(GUNS, written=["Batf agents", "Team"], phrases=["gun control laws", "batf raid",
                                                                            "the", "laws do not stop criminals"],
                                 check=label_problem)
    assert cands[0] == "Batf agents"              # the LLM's answer, as written
    assert "Team" not in cands                   # generic word: rejected
    assert "The" not in cands and "1993" not in cands  # a stop word, a number
    assert "Laws do not stop criminals" not in cands   # a copy of a document's first words (and > 4 words)
    assert "BATF raid" in cands                  # written as the documents write it
    assert "Gun control" in cands                # top words next to each other in a document
    assert cands.index("Gun control") > cands.index("BATF raid")
    assert len({c.casefold() for c in cands}) == len(cands)
    assert all(1 <= len(c.split()) <= S.MAX_WORDS for c in cands)
    assert S.candidate_labels(Topic(0, 1, [("the", 1.0)]), written=["The"], check=label_problem) == []
    assert S.candidate_labels(GUNS, written=["Team"])[0] == "Team"  # no check: kept


def test_select_label_mixes_z_scores():
    cands = ["a", "b", "c"]
    llm = np.array([-1.0, -3.0, -2.0])
    emb = np.array([0.1, 0.9, 0.2])
    assert S.select_label(cands, llm, emb, llm_weight=1.0) == 0
    assert S.select_label(cands, llm, emb, llm_weight=0.0) == 1
    assert S.select_label(cands, llm, emb, n_written=1, llm_weight=0.0, written_bonus=10.0) == 0
    assert S.select_label(cands, np.array([-np.inf, -1.0, -2.0]), emb, llm_weight=1.0) == 1
    assert S.select_label(cands, llm, emb, llm_weight=1.0, field_index=2, field_bonus=3.0) == 2
    with pytest.raises(ValueError):
        S.select_label([], llm[:0], emb[:0])


def test_llm_and_embedding_fit_prefer_the_topic_subject(llm):
    from textmine.embed import get_embedder

    text = TopicLabeler(llm=llm, n_phrases=0).prompt_text(HOCKEY, llm)
    cands = ["Ice hockey", "Tax law", "Cooking recipes"]
    ll = S.llm_fit(llm, text, cands)
    em = S.embedding_fit(get_embedder("default"), HOCKEY, cands)
    assert ll.shape == em.shape == (3,)
    assert np.argmax(ll) == 0 and np.argmax(em) == 0, (ll, em)
    assert np.allclose(S.llm_fit(llm, text, cands[::-1])[::-1], ll)  # independent of the order


def test_labeler_chooses_among_candidates_and_replaces_a_fallback(llm):
    labeler = TopicLabeler(llm=llm)
    labels = labeler.label([GUNS, HOCKEY])
    for t, lab in zip([GUNS, HOCKEY], labels):
        assert lab in [c for c, _, _ in labeler.candidates_[t.id]]
    assert labeler.written_labels_[0] == [c for c, _, _ in labeler.candidates_[GUNS.id]][0]
    # failure injection: every written answer is rejected ("Team"); the label is still a checked candidate
    examples = [("Keywords: apple, pear", "Team"), ("Keywords: car, road", "Team")]
    bad = TopicLabeler(llm=llm, instruction="Answer with the word Team.", examples=examples, n_phrases=0)
    label = bad.label([HOCKEY])[0]
    assert bad.fallbacks_ == [1]
    assert " / " not in label and label in ("Hockey", "Game", "Season", "Playoffs")
    assert TopicLabeler(llm=llm, select=False).label([HOCKEY]) == TopicLabeler(llm=llm, select=False).label([HOCKEY])


def test_field_label_is_the_second_written_candidate(llm):
    labeler = TopicLabeler(llm=llm)
    labeler.label([HOCKEY])
    field = labeler.field_label(HOCKEY, labeler.key_phrases([HOCKEY])[0])
    names = [c for c, _, _ in labeler.candidates_[HOCKEY.id]]
    assert field and label_problem(field) is None and len(field.split()) <= S.MAX_WORDS
    assert field.casefold() in [c.casefold() for c in names]
    without = TopicLabeler(llm=llm, field=False)
    without.label([HOCKEY])
    assert len(without.candidates_[HOCKEY.id]) <= len(names)
    assert names[0] == labeler.written_labels_[0] == without.written_labels_[0]  # the written label comes first


def test_a_candidate_that_is_a_whole_document_is_rejected_at_any_length():
    """StackOverflow: the SharePoint topic's label was "Magento development", the whole title of one of its
    documents (a 2-word copy passed the old check of >= 4 words); a label must not quote one document."""
    from conftest import read_jsonl

    titles = {r["id"]: r["text"] for r in read_jsonl("topic/stackoverflow.jsonl")}
    docs = [titles["19727"], titles["69"], titles["70"]]
    assert docs[:2] == ["Magento development", "Sharepoint Wikis"]  # the real titles
    sharepoint = Topic(19, 3, [("sharepoint", 1.0), ("development", 0.9), ("magento", 0.8), ("wikis", 0.7),
                                ("environment", 0.6)], representative_docs=docs)
    assert label_problem("Magento development", docs) == "copy of a document"
    assert label_problem("magento DEVELOPMENT!", docs) == "copy of a document"  # case, punctuation ignored
    assert label_problem("SharePoint wikis", docs) == "copy of a document"
    assert label_problem("SharePoint development", docs) is None  # describes, quotes no whole title
    assert label_problem("Magento", docs) is None and label_problem("Development environment", docs) is None
    assert label_problem("Ice hockey", ["Ice hockey. The Bruins won in overtime."]) == "copy of a document"
    assert label_problem("Ice hockey", ["Ice hockey tickets for sale"]) is None
    cands = S.candidate_labels(sharepoint, written=["Magento development", "SharePoint"],
                               phrases=["sharepoint wikis", "development environment"], check=label_problem)
    assert "Magento development" not in cands and "Sharepoint Wikis" not in cands
    assert cands[0] == "SharePoint" and "Development environment" in cands


COOKING_DOCS = ["Knead the pizza dough, let it rise and bake it on a hot stone for a crisp pizza crust.",
                "Brown the chicken thighs with onions and garlic, then simmer them in stock for an hour.",
                "Whisk the eggs with sugar and flour, fold in the butter and bake the cake for forty minutes."]


def test_select_label_takes_the_field_label_when_it_covers_every_document():
    cands = ["a", "b", "Field"]
    llm, emb = np.array([-1.0, -3.0, -2.0]), np.array([0.9, 0.1, 0.2])
    assert S.select_label(cands, llm, emb) == 0
    cov = np.array([-1.0, -2.0, 0.3])
    assert S.select_label(cands, llm, emb, field_index=2, coverage=cov, field_coverage=0.0) == 2
    assert S.select_label(cands, llm, emb, field_index=2, coverage=cov, field_coverage=0.5) == 0
    assert S.select_label(cands, llm, emb, field_index=2, coverage=cov) == 0  # no threshold: the score alone
    assert S.select_label(cands, llm, emb, field_index=None, coverage=cov, field_coverage=0.0) == 0
    assert np.isneginf(S.coverage(np.zeros((0, 3)))).all()  # no documents: no evidence of coverage


def test_doc_fit_finds_that_the_field_covers_documents_a_phrase_of_one_does_not():
    """The demo's cooking topic was labelled "Crisp pizza crust" (a phrase of one of its documents): the
    per-document fit finds that "Cooking" names each document fairly well and the phrase only one."""
    from textmine.llm import load_llm

    qwen = load_llm("default", task="labels")
    cands = ["Crisp pizza crust", "Cooking", "Chicken thighs", "Tax law"]
    Z = S.doc_fit(qwen, COOKING_DOCS, cands)
    assert Z.shape == (3, 4)
    assert np.allclose(Z.mean(axis=1), 0.0)  # z-scored per document
    assert np.argmax(Z[0]) == 0 and np.argmax(Z[1]) in (1, 2)  # the phrase names its own document best
    cov = S.coverage(Z)
    assert np.argmax(cov) == 1, (Z, cov)  # only the field names all three
    assert cov[1] >= 0.0 > max(cov[0], cov[3])  # field_coverage=0.0 would take it, not the phrase
    assert np.allclose(S.doc_fit(qwen, COOKING_DOCS, cands[::-1])[:, ::-1], Z)  # independent of the order
    # stop_below: the rows up to the first document the candidate names worse than the threshold
    assert np.allclose(S.doc_fit(qwen, COOKING_DOCS, cands, stop_below=(1, -np.inf)), Z)
    first_low = int(np.argmax(Z[:, 0] < 0.0))  # the phrase names a document below 0
    part = S.doc_fit(qwen, COOKING_DOCS, cands, stop_below=(0, 0.0))
    assert part.shape == (first_low + 1, 4) and np.allclose(part, Z[: first_low + 1])
    assert (S.coverage(part)[0] < 0.0) == (S.coverage(Z)[0] < 0.0)  # the same decision


def test_labeler_field_coverage_is_checked(llm):
    from textmine.errors import InputError

    for bad in ("high", True, float("nan")):
        with pytest.raises(InputError, match="field_coverage"):
            TopicLabeler(llm=llm, field_coverage=bad).label([HOCKEY])


@pytest.mark.slow
def test_default_labeler_gives_the_demo_the_labels_a_person_writes():
    """Issue 13: ``textmine demo``'s five themes labelled as a person would ("Football", not "League match";
    "Music", not "Band lineup mix") by the default labeler (its coverage rule, ``field_coverage=0.0``)."""
    from textmine.demo import DEMO_MIN_TOPIC_SIZE
    from textmine.io import load_sample_corpus
    from textmine.llm import load_llm
    from textmine.topics import TopicModel

    corpus = load_sample_corpus()
    tm = TopicModel(n_topics="auto", min_topic_size=DEMO_MIN_TOPIC_SIZE, random_state=42).fit(corpus.texts)
    labeler = TopicLabeler(llm=load_llm("default", task="labels"))
    tm.label_topics(labeler)
    person = {"football": ("football", "soccer"), "cooking": ("cooking", "food", "baking", "recipes"),
              "music": ("music",), "finance": ("finance", "money"), "space": ("space", "astronomy")}
    for t in tm.topics_:
        members = [corpus.labels[i] for i, a in enumerate(tm.labels_) if a == t.id]
        theme = max(set(members), key=members.count)
        assert any(w in t.label.casefold() for w in person[theme]), (theme, t.label, labeler.coverage_)
        # the field label was chosen by its coverage, or by the score before the coverage was asked
        assert t.id not in labeler.coverage_ or max(labeler.coverage_[t.id]) >= 0.0
