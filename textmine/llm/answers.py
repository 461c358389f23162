"""The answers of the LLM facade: a JSON list of short strings, or one short string, about a text.

``LLM.generate_list`` and ``LLM.generate_text`` run these: check the text, pick the GBNF grammar
(:mod:`.grammar`), build the prompt with the examples (``LLM.build_prompt``, :mod:`.task_prompt`),
decode (``LLM.complete``, :mod:`.decoding`) and parse the answer. The functions take the
:class:`~textmine.llm.LLM` and call its methods, so a subclass or a test that replaces one is followed.

>>> from textmine.llm.answers import answer_shape
>>> answer_shape(False, "list").lead, answer_shape(True, "list").lead
(' ', '')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..errors import LLMOutputError
from . import grammar as G
from . import prompts as P


def answer_shape(is_chat: bool, kind: str) -> G.JSONShape:
    """The JSON answer's shape for jump-forward: after a completion prompt's "Answer:" it starts
    with a space, in a chat turn without one (as :func:`~textmine.llm.prompts.format_list_answer`
    writes the examples)."""
    return G.JSONShape(kind, "" if is_chat else " ")


def generate_list(
    llm: Any,
    instruction: str,
    text: str,
    *,
    examples: Sequence[tuple[str, Sequence[str]]] = (),
    max_items: int = 10,
    max_item_chars: int = 60,
    choices: Sequence[str] | None = None,
    max_tokens: int | None = None,
    vocabulary: str | None = None,
) -> list[str]:
    """What ``LLM.generate_list`` runs (see its documentation)."""
    instruction = llm._check_text("instruction", instruction)
    text = llm._document_text(text)
    if not text.strip():
        return []
    if choices is not None:
        options = G.normalize_choices(choices)
        g = G.choices_grammar(options, max_items, min_items=1)
        longest = max(llm.count_tokens(json.dumps(c, ensure_ascii=False)) for c in options)
        need = min(max_items, len(options)) * (longest + 2) + 4
    else:
        options = None
        g = G.string_list_grammar(max_items, max_item_chars, min_items=1)
        need = max_items * (max_item_chars // 3 + 4) + 4
    if max_tokens is None:
        max_tokens = min(need, max(64, llm.n_ctx // 4))
    G._check_bounds(max_items, max_item_chars)
    shots = [(t, P.format_list_answer(list(a))) for t, a in examples]
    _, toks = llm.build_prompt(instruction, text, shots, max_tokens)
    plain = options is None or not any('"' in c or "\\" in c for c in options)
    shape = llm._answer_shape("list") if plain else None
    ids = None
    if vocabulary is not None:
        vocabulary = llm._check_text("vocabulary", vocabulary)
        if llm.temperature == 0.0 and llm.greedy_fast:  # sampling: no restriction
            ids = llm.vocabulary_ids(vocabulary)
    split = llm.prefix_length(instruction, shots, toks) if llm.split_prompt else 0
    raw = llm.complete(toks, g, max_tokens, shape, ids, split)
    try:
        return G.parse_string_list(raw, max_items=max_items, max_item_chars=max_item_chars, choices=options)
    except LLMOutputError:
        raise LLMOutputError(f"{llm.model_id} produced an unusable list: {raw[:200]!r}") from None


def generate_text(
    llm: Any,
    instruction: str,
    text: str,
    *,
    examples: Sequence[tuple[str, str]] = (),
    max_chars: int = 60,
    max_tokens: int | None = None,
) -> str:
    """What ``LLM.generate_text`` runs (see its documentation)."""
    instruction = llm._check_text("instruction", instruction)
    text = llm._document_text(text)
    if not text.strip():
        return ""
    g = G.single_string_grammar(max_chars)
    if max_tokens is None:
        max_tokens = min(max_chars // 2 + 8, max(32, llm.n_ctx // 4))
    shots = [(t, P.format_text_answer(a)) for t, a in examples]
    _, toks = llm.build_prompt(instruction, text, shots, max_tokens)
    split = llm.prefix_length(instruction, shots, toks) if llm.split_prompt else 0
    raw = llm.complete(toks, g, max_tokens, llm._answer_shape("string"), None, split)
    return G.parse_single_string(raw, max_chars=max_chars)


__all__ = ["answer_shape", "generate_list", "generate_text"]
