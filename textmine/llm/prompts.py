"""Prompt construction: chat templates (from the GGUF) and few-shot completion prompts.

Chat models are prompted through the Jinja2 chat template stored in the GGUF
(``tokenizer.chat_template``), rendered in a sandbox exactly like Hugging Face
``transformers`` does (``trim_blocks``, ``lstrip_blocks``, ``raise_exception``,
``bos_token``/``eos_token``, ``add_generation_prompt=True``).  Templates that
reject a ``system`` role (Mistral, Gemma ...) get the system text merged into
the first user turn.  Base models (no template) get a plain few-shot
completion prompt.

>>> tmpl = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
>>> render_chat(tmpl, [{"role": "user", "content": "hi"}])
'<user>hi<assistant>'
>>> print(few_shot_prompt("List fruits.", [("apples and pears", '["apples", "pears"]')], "a kiwi"))
List fruits.
<BLANKLINE>
Text: apples and pears
Answer: ["apples", "pears"]
<BLANKLINE>
Text: a kiwi
Answer:
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..errors import InputError, ModelLoadError

Message = Mapping[str, str]


class ChatTemplateError(ModelLoadError):
    """The chat template in a GGUF cannot be compiled or rendered."""


def _raise_exception(message: str) -> None:
    from jinja2.exceptions import TemplateError

    raise TemplateError(message)


def _tojson(value: Any, indent: int | None = None, ensure_ascii: bool = False, **_: Any) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


@lru_cache(maxsize=32)
def _compile(template: str) -> Any:
    try:
        from jinja2.sandbox import ImmutableSandboxedEnvironment
    except ImportError as exc:  # pragma: no cover - jinja2 is a dependency
        from ..errors import DependencyError

        raise DependencyError(f"jinja2 is needed to render chat templates: {exc}") from None
    from jinja2.exceptions import TemplateError

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    try:
        return env.from_string(template)
    except TemplateError as exc:
        raise ChatTemplateError(f"the model's chat template does not compile: {exc}") from None


def _render(template: str, messages: list[dict[str, str]], bos_token: str, eos_token: str, add_generation_prompt: bool) -> str:
    compiled = _compile(template)
    return compiled.render(
        messages=messages,
        bos_token=bos_token,
        eos_token=eos_token,
        add_generation_prompt=add_generation_prompt,
        tools=None,
        documents=None,
    )


def merge_system(messages: Sequence[Message]) -> list[dict[str, str]]:
    """Fold every ``system`` message into the first user turn (``system + "\\n\\n" + user``)."""
    system = [m["content"] for m in messages if m["role"] == "system"]
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if not system:
        return rest
    sys_text = "\n\n".join(system)
    for m in rest:
        if m["role"] == "user":
            m["content"] = f"{sys_text}\n\n{m['content']}"
            break
    else:
        rest.insert(0, {"role": "user", "content": sys_text})
    return rest


def render_chat(
    template: str,
    messages: Sequence[Message],
    *,
    bos_token: str = "",
    eos_token: str = "",
    add_generation_prompt: bool = True,
) -> str:
    """Render ``messages`` with a Hugging Face style Jinja2 chat template.

    A template that raises on the ``system`` role, or silently drops the
    system text, is re-rendered with the system text merged into the first
    user message.
    """
    from jinja2.exceptions import TemplateError

    msgs = [{"role": str(m["role"]), "content": str(m["content"])} for m in messages]
    if not msgs:
        raise InputError("render_chat needs at least one message")
    has_system = any(m["role"] == "system" for m in msgs)
    if has_system:
        try:
            out = _render(template, msgs, bos_token, eos_token, add_generation_prompt)
        except TemplateError:
            out = None
        sys_text = next(m["content"] for m in msgs if m["role"] == "system")
        if out is not None and sys_text in out:
            return out
        msgs = merge_system(msgs)
    try:
        return _render(template, msgs, bos_token, eos_token, add_generation_prompt)
    except TemplateError as exc:
        raise ChatTemplateError(f"the model's chat template failed to render: {exc}") from None


def few_shot_prompt(
    instruction: str,
    examples: Sequence[tuple[str, str]],
    text: str,
    *,
    input_label: str = "Text:",
    output_label: str = "Answer:",
) -> str:
    """Few-shot completion prompt for a base model; ``examples`` hold already formatted answers."""
    parts = [instruction.strip(), ""]
    for ex_text, ex_answer in examples:
        parts += [f"{input_label} {_one_block(ex_text)}", f"{output_label} {ex_answer}", ""]
    parts += [f"{input_label} {_one_block(text)}", output_label]
    return "\n".join(parts)


def _one_block(text: str) -> str:
    # blank lines inside a document would look like the end of an example
    lines = [ln.strip() for ln in text.strip().splitlines()]
    return "\n".join(ln for ln in lines if ln)


def chat_messages(
    instruction: str,
    examples: Sequence[tuple[str, str]],
    text: str,
    *,
    system: str | None = None,
) -> list[dict[str, str]]:
    """Chat turns for a task: each example is a user turn and an assistant answer."""
    msgs: list[dict[str, str]] = []
    if system:
        msgs.append({"role": "system", "content": system})

    def user(t: str) -> dict[str, str]:
        return {"role": "user", "content": f"{instruction.strip()}\n\nText:\n{t.strip()}"}

    for ex_text, ex_answer in examples:
        msgs.append(user(ex_text))
        msgs.append({"role": "assistant", "content": ex_answer})
    msgs.append(user(text))
    return msgs


def task_prompt(
    instruction: str,
    examples: Sequence[tuple[str, str]],
    text: str,
    *,
    chat_template: str | None,
    bos_token: str = "",
    eos_token: str = "",
) -> str:
    """The exact prompt text an :class:`~textmine.llm.LLM` sends (before tokenisation).

    With a ``chat_template`` the examples become user/assistant turns rendered
    through the template; without one it is a few-shot completion prompt.
    """
    if chat_template:
        msgs = chat_messages(instruction, examples, text)
        return render_chat(chat_template, msgs, bos_token=bos_token, eos_token=eos_token)
    return few_shot_prompt(instruction, examples, text)


def format_list_answer(items: Sequence[str]) -> str:
    """An example answer in the exact shape the list grammar produces."""
    return json.dumps([str(i) for i in items], ensure_ascii=False)


def format_text_answer(text: str) -> str:
    return json.dumps(str(text), ensure_ascii=False)


__all__ = [
    "render_chat",
    "merge_system",
    "few_shot_prompt",
    "chat_messages",
    "task_prompt",
    "format_list_answer",
    "format_text_answer",
    "ChatTemplateError",
]
