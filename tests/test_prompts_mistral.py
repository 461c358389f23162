"""Mistral 7B Instruct v0.2 stays first-class: every task's prompt, rendered from its chat template.

The 4.4 GB model is not needed.  An :class:`~textmine.llm.LLM` on the packaged SmolLM2 GGUF gets the
Mistral preset and what ``LLM.__init__`` would read from the Mistral GGUF (its chat template, which is
:data:`~textmine.llm.presets.MISTRAL_V02_CHAT_TEMPLATE`, and the BOS/EOS texts ``<s>`` / ``</s>``).
Each task then runs through its real call site (keyword extractor, hybrid extractor, topic labeler)
and the prompt :meth:`LLM.build_prompt` renders is captured before any generation, and compared
exactly: with the ``[INST]`` format of Mistral's model card written out by hand, and literally.
"""

from __future__ import annotations

import pytest

from textmine.keywords import HybridKeywordExtractor, LLMKeywordExtractor
from textmine.keywords.hybrid import HYBRID_EXAMPLES, HYBRID_INSTRUCTION, format_hybrid_text
from textmine.keywords.llm import MISTRAL_KEYWORD_EXAMPLES, MISTRAL_KEYWORD_INSTRUCTION, render_keyword_prompt
from textmine.llm import LLM, get_preset, resolve_model_path
from textmine.llm import prompts as P
from textmine.llm.presets import MISTRAL_V02_CHAT_TEMPLATE
from textmine.topics import Topic, TopicLabeler
from textmine.topics.label import DEFAULT_EXAMPLES, DEFAULT_INSTRUCTION


class _Captured(Exception):
    pass


def mistral_format(instruction: str, shots: list[tuple[str, str]], text: str) -> str:
    """``<s>[INST] user [/INST]answer</s>[INST] user [/INST]``, by hand (not through Jinja2)."""

    def turn(t: str) -> str:
        return f"[INST] {instruction}\n\nText:\n{t} [/INST]"

    return "<s>" + "".join(turn(t) + a + "</s>" for t, a in shots) + turn(text)


@pytest.fixture
def mistral(monkeypatch):
    """(LLM set up as Mistral 7B, list of the prompts it was asked to build)."""
    preset = get_preset("mistral-7b-instruct")
    assert preset.chat_template == MISTRAL_V02_CHAT_TEMPLATE and preset.chat is True
    llm = LLM(resolve_model_path("smollm2-135m"), preset=preset, cache=False)
    monkeypatch.setattr(llm, "chat_template", preset.chat_template)
    monkeypatch.setattr(llm, "_bos_text", preset.bos_token)
    monkeypatch.setattr(llm, "_eos_text", preset.eos_token)
    seen: list[str] = []
    real = llm.build_prompt

    def capture(*args, **kwargs):
        prompt, _ = real(*args, **kwargs)
        seen.append(prompt)
        raise _Captured

    monkeypatch.setattr(llm, "build_prompt", capture)
    return llm, seen


def test_mistral_keywords_prompt(mistral):
    llm, seen = mistral
    text = "Solar cells convert sunlight into electricity."
    with pytest.raises(_Captured):
        LLMKeywordExtractor(llm=llm).extract(text)
    shots = [(t, P.format_list_answer(k)) for t, k in MISTRAL_KEYWORD_EXAMPLES]
    assert seen == [mistral_format(MISTRAL_KEYWORD_INSTRUCTION, shots, text)]
    # the same string as the no-model renderer (asserted literally in test_keywords_llm.py)
    assert seen[0] == render_keyword_prompt(text, "mistral-7b-instruct")


def test_mistral_hybrid_prompt(mistral):
    llm, seen = mistral
    hy = HybridKeywordExtractor(llm=llm, top_n=2)
    hy._prepare()
    text = "Support vector machines for text classification."
    names = ["support vector machines", "text classification"]
    with pytest.raises(_Captured):
        hy._ask(text, names)
    shots = [(format_hybrid_text(t, c), P.format_list_answer(ch)) for t, c, ch in HYBRID_EXAMPLES]
    assert seen == [mistral_format(HYBRID_INSTRUCTION, shots, format_hybrid_text(text, names))]
    assert seen[0].startswith(
        "<s>[INST] Choose the keyphrases of the text from its candidate list: the specific technical terms "
        "that best describe what the text is about. Most important first.\n\nText:\nAdaptive cruise control"
    )
    assert seen[0].endswith(
        '"fake product reviews", "e-commerce datasets", "text classifiers"]</s>'
        "[INST] Choose the keyphrases of the text from its candidate list: the specific technical terms that "
        "best describe what the text is about. Most important first.\n\nText:\nSupport vector machines for "
        "text classification.\n\nCandidates: support vector machines; text classification [/INST]"
    )


def test_mistral_labels_prompt(mistral, monkeypatch):
    llm, seen = mistral
    # the Mistral GGUF is 4.4 GB: n_docs="auto" shows it 3 documents per topic (this stand-in is 98 MB)
    monkeypatch.setattr(TopicLabeler, "BIG_MODEL_BYTES", 0)
    topic = Topic(
        0, 3, [("orbit", 1.0), ("nasa", 0.9), ("launch", 0.8)],
        representative_docs=["NASA launched a probe.", "The rocket reached orbit.", "A satellite  failed."],
    )
    with pytest.raises(_Captured):
        TopicLabeler(llm=llm).label_one(topic)
    text = TopicLabeler(llm=llm).prompt_text(topic, llm)  # the labeler's own text: words, key phrases, documents
    assert text.startswith("Keywords: orbit, nasa, launch\nKey phrases: ")
    assert text.endswith("\nDocuments:\n- NASA launched a probe.\n- The rocket reached orbit.\n- A satellite failed.")
    shots = [(t, P.format_text_answer(a)) for t, a in DEFAULT_EXAMPLES]
    assert seen == [mistral_format(DEFAULT_INSTRUCTION, shots, text)]
    turn = f"[INST] {DEFAULT_INSTRUCTION}\n\nText:\n"
    assert seen[0].startswith("<s>" + turn + DEFAULT_EXAMPLES[0][0] + f' [/INST]"{DEFAULT_EXAMPLES[0][1]}"</s>')
    assert seen[0].endswith(f"</s>{turn}{text} [/INST]") and seen[0].count("<s>") == 1


def test_mistral_label_selection_prompts(mistral):
    """The labeler's other prompts: the field label (written) and the two it scores candidates with (the topic,
    then each representative document: the coverage rule), rendered from Mistral's chat template."""
    from textmine.topics import label_select as S

    llm, seen = mistral
    topic = Topic(0, 3, [("orbit", 1.0), ("nasa", 0.9)], representative_docs=["NASA launched a probe."])
    labeler = TopicLabeler(llm=llm)
    with pytest.raises(_Captured):
        labeler.field_label(topic, ["space probe"])
    text = "Keywords: orbit, nasa\nKey phrases: space probe"
    shots = [(t, P.format_text_answer(a)) for t, a in S.FIELD_EXAMPLES]
    assert seen[-1] == mistral_format(S.FIELD_INSTRUCTION, shots, text)
    assert "the most specific name that covers all of them" in seen[-1]
    with pytest.raises(_Captured):
        S.llm_fit(llm, text, ["Space probes", "Astronomy"])
    assert seen[-1] == f"<s>[INST] {S.SCORE_INSTRUCTION}\n\nText:\n{text} [/INST]"
    with pytest.raises(_Captured):
        S.doc_fit(llm, ["NASA  launched a probe."], ["Space probes", "Astronomy"])
    assert seen[-1] == f"<s>[INST] {S.DOC_INSTRUCTION}\n\nText:\nDocument: NASA launched a probe. [/INST]"
