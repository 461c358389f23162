"""Progress feedback on long work (issue 16, part 5): tqdm.auto bars and TopicModel's stage messages.

Real models and real data; stderr is captured by pytest (not a terminal), so the automatic
mode shows nothing unless the session is made to look interactive.
"""

from __future__ import annotations

import sys

import pytest

import textmine._progress as P
from conftest import read_jsonl
from textmine import KeywordExtractor, TopicModel
from textmine.errors import InputError
from textmine.keywords import HybridKeywordExtractor, LLMKeywordExtractor

DOCS = [
    "Graph neural networks learn node embeddings by message passing over the molecular graph.",
    "The central bank raised interest rates to fight inflation.",
    "Solar panels convert sunlight into electricity for homes and factories.",
]


def test_keyword_bar_with_progress_on(capfd):
    out = KeywordExtractor(top_n=3, progress=True).transform(DOCS)
    err = capfd.readouterr().err
    assert len(out) == 3
    assert "keywords" in err and "3/3" in err and "100%" in err


@pytest.mark.parametrize("progress", [False, None])
def test_keyword_bar_off_or_automatic_prints_nothing_when_captured(capfd, progress):
    KeywordExtractor(top_n=3, progress=progress).transform(DOCS)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_automatic_bar_shows_in_an_interactive_session(capfd, monkeypatch):
    monkeypatch.setattr(P, "interactive", lambda: True)
    monkeypatch.setattr(P, "AUTO_DELAY", 0.0)  # the run counts as long at once
    KeywordExtractor(top_n=3).transform(DOCS)
    assert "3/3" in capfd.readouterr().err


def test_the_same_keywords_with_and_without_a_bar():
    a = KeywordExtractor(top_n=5, progress=True).transform(DOCS)
    b = KeywordExtractor(top_n=5, progress=False).transform(DOCS)
    assert a == b


def test_interactive_means_a_terminal_or_jupyter(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert P.interactive() is False  # pytest captures stderr: not a terminal
    monkeypatch.setitem(sys.modules, "ipykernel", object())  # a Jupyter kernel is running
    assert P.interactive() is True


def test_embedder_bar_threshold(monkeypatch):
    from textmine.embed import get_embedder

    emb = get_embedder("default", cache=False)
    monkeypatch.setattr(P, "interactive", lambda: True)
    assert emb._progress(300, None) is True  # was: only from 1,000 texts and only on a terminal
    assert emb._progress(10, None) is False
    assert emb._progress(10, True) is True
    monkeypatch.setattr(P, "interactive", lambda: False)
    assert emb._progress(5000, None) is False


@pytest.mark.parametrize("bad", ["yes", 1, 0.5])
def test_bad_progress_values_raise_input_error(bad):
    with pytest.raises(InputError, match="progress"):
        KeywordExtractor(progress=bad).transform(DOCS)
    with pytest.raises(InputError, match="progress"):
        LLMKeywordExtractor(progress=bad).transform(DOCS)


def test_llm_keyword_bar_ticks_per_document(llm, capfd, monkeypatch):
    monkeypatch.setenv("TEXTMINE_LLM_THREADS", "1")
    kx = LLMKeywordExtractor(llm=llm, top_n=3, progress=True, group_threshold=None)
    out = kx.transform(DOCS[:2])
    err = capfd.readouterr().err
    assert len(out) == 2 and "LLM keywords" in err and "2/2" in err
    LLMKeywordExtractor(llm=llm, top_n=3, group_threshold=None).transform(DOCS[:2])  # cached answers
    assert capfd.readouterr().err == ""


def test_hybrid_keyword_bars(llm, capfd):
    hy = HybridKeywordExtractor(llm=llm, top_n=3, n_candidates=6, progress=True)
    hy.transform(DOCS[:1])
    err = capfd.readouterr().err
    assert "keywords" in err and "hybrid keywords (LLM)" in err and "1/1" in err


@pytest.fixture(scope="module")
def news():
    return [r["text"] for r in read_jsonl("topic/ag_news_test.jsonl", limit=120)]


def test_topic_model_verbose_prints_stages_under_default_logging(news, capfd):
    # no logging configured (the default): the stage messages still show
    TopicModel(verbose=True, reduction="pca", clustering="kmeans", n_topics=4, random_state=0).fit(news)
    err = capfd.readouterr().err
    assert "TopicModel: embedding 120 documents" in err
    assert "finding topics" in err and "clusters found" in err and "timings" in err


def test_topic_model_quiet_by_default(news, capfd):
    TopicModel(reduction="pca", clustering="kmeans", n_topics=4, random_state=0).fit(news)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
