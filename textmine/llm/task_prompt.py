"""A task's prompt for one loaded model: checked text, chat or completion prompt, tokens that fit the context.

:mod:`.prompts` renders prompts as text (chat templates, few-shot blocks); this module turns a task
(instruction, examples, document) into the token ids a model reads: the document is cleaned
(:func:`document_text`), truncated by tokens until prompt + answer fit ``n_ctx``
(:func:`build_prompt`), and the length of the task's fixed part is found for prompt reuse
(:func:`prefix_length`). The functions take the :class:`~textmine.llm.LLM` (its tokenizer, chat
template, BOS/EOS and ``n_ctx``); ``LLM.build_prompt`` and friends delegate here.

>>> from textmine.llm.task_prompt import check_text
>>> check_text("text", b"caf\\xc3\\xa9")
'café'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .._validation import clean_text
from ..errors import InputError
from . import prompts as P
from .segments import common_prefix

# chat-template control tokens written in document text (ChatML / Llama 3 <|...|>, Gemma turns, Mistral [INST])
_CONTROL_MARKERS = re.compile(r"<\|[A-Za-z0-9_]{1,40}\|>|</?(?:start_of_turn|end_of_turn|s|bos|eos)>|\[/?INST\]")


def check_text(name: str, value: Any) -> str:
    """``value`` as a clean str (bytes decoded as UTF-8); :class:`~textmine.errors.InputError` otherwise."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise InputError(f"{name} must be a str, got {type(value).__name__}")
    return clean_text(value)  # no lone surrogate / control character reaches the tokenizer


def document_text(llm: Any, text: Any) -> str:
    """The user's text, with chat control tokens removed: chat prompts are tokenised with special
    tokens on (for the template's own markers), so a document must not be able to close a turn."""
    text = check_text("text", text)
    if llm.is_chat:
        text = _CONTROL_MARKERS.sub(" ", text)
        for marker in {llm._bos_text, llm._eos_text} - {""}:
            text = text.replace(marker, " ")
    return text


def truncate(llm: Any, text: str, max_tokens: int) -> str:
    """The longest prefix of ``text`` (cut at a token boundary) that has at most ``max_tokens`` tokens."""
    if not isinstance(text, str):
        raise InputError(f"text must be a str, got {type(text).__name__}")
    if max_tokens <= 0:
        return ""
    toks = llm.tokenize(text)
    if len(toks) <= max_tokens:
        return text
    n = max_tokens
    while n > 0:
        out = llm._llama.detokenize(toks[:n]).decode("utf-8", "ignore")
        if not text[:1].isspace():
            out = out.lstrip()
        if llm.count_tokens(out) <= max_tokens:
            return out
        n -= 1
    return ""


def prompt_text(llm: Any, instruction: str, examples: Sequence[tuple[str, str]], text: str) -> str:
    """The task's prompt as text: the chat template's (chat models) or few-shot blocks (:func:`.prompts.task_prompt`)."""
    return P.task_prompt(
        instruction,
        examples,
        text,
        chat_template=llm.chat_template if llm.is_chat else None,
        bos_token=llm._bos_text,
        eos_token=llm._eos_text,
    )


def prompt_tokens(llm: Any, prompt: str) -> list[int]:
    """The tokens of a prompt text: one BOS token (when the model wants one), template markers as special tokens."""
    special = llm.is_chat  # template control tokens (<|im_start|>, [INST] ...) are special tokens
    add_bos = llm._add_bos and llm._bos_id >= 0
    if add_bos and special and llm._bos_text and prompt.startswith(llm._bos_text):
        prompt = prompt[len(llm._bos_text) :]  # the template wrote the BOS text: one BOS token only
    toks = llm.tokenize(prompt, special=special)
    return [llm._bos_id, *toks] if add_bos else toks


def build_prompt(
    llm: Any, instruction: str, text: str, examples: Sequence[tuple[str, str]], max_tokens: int
) -> tuple[str, list[int]]:
    """Prompt text and tokens with ``text`` truncated so that prompt + ``max_tokens`` fits ``llm.n_ctx``.

    Examples are dropped (last first) when even an empty text would not fit.
    """
    budget = llm.n_ctx - max_tokens - 4
    examples = list(examples)
    while True:
        fixed = len(fixed_tokens(llm, instruction, examples))
        if fixed < budget or not examples:
            break
        examples.pop()
    if fixed >= budget:
        raise InputError(
            f"the instruction alone needs {fixed} tokens; with max_tokens={max_tokens} it does not fit "
            f"the context of {llm.n_ctx} tokens"
        )
    room = budget - fixed
    body = text
    for _ in range(8):
        body = llm.truncate(body, room)
        prompt = prompt_text(llm, instruction, examples, body)
        toks = prompt_tokens(llm, prompt)
        if len(toks) <= budget:
            return prompt, toks
        room -= len(toks) - budget + 4
    raise InputError("could not fit the prompt into the context window")  # pragma: no cover


def fixed_tokens(llm: Any, instruction: str, examples: Sequence[tuple[str, str]]) -> list[int]:
    """The tokens of the task's prompt for an empty text (memoised in ``llm._fixed``: every call of a
    task needs them twice, in :func:`build_prompt` and :func:`prefix_length`)."""
    key = (instruction, tuple((str(t), str(a)) for t, a in examples))
    toks = llm._fixed.get(key)
    if toks is None:
        if len(llm._fixed) >= 64:
            llm._fixed.clear()
        toks = llm._fixed[key] = prompt_tokens(llm, prompt_text(llm, instruction, list(examples), ""))
    return toks


def prefix_length(llm: Any, instruction: str, examples: Sequence[tuple[str, str]], prompt_tokens: list[int]) -> int:
    """How many leading tokens of ``prompt_tokens`` are the task's fixed part: those it shares
    with the same prompt for an empty text (a function of the prompt alone)."""
    return common_prefix(fixed_tokens(llm, instruction, examples), prompt_tokens)


__all__ = ["check_text", "document_text", "truncate", "prompt_text", "prompt_tokens", "build_prompt",
           "fixed_tokens", "prefix_length"]
