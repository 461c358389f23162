"""Prompt construction: chat templates (from the GGUF) and few-shot completion prompts.

Chat models are prompted through the Jinja2 chat template stored in the GGUF
(``tokenizer.chat_template``), rendered in a sandbox exactly like Hugging Face
``transformers`` does (``trim_blocks``, ``lstrip_blocks``, ``raise_exception``,
``bos_token``/``eos_token``, ``add_generation_prompt=True``).  Templates that
reject a ``system`` role (Mistral, Gemma ...) get the system text merged into
the first user turn.  Base models (no template) get a plain few-shot
completion prompt.

A chat template comes from a model file, so it is untrusted code: besides the
sandbox (no attribute access to internals, no mutation), rendering is bounded
in time (``RENDER_SECONDS``), in output size and in the size of every string or
list it builds (``*``, ``**``, ``+``, ``~``, ``%``, ``replace``, widths of
``center`` / ``format`` ...), and deep recursion is stopped; a template that
exceeds a bound is refused with :class:`ChatTemplateError` (a
:class:`~textmine.errors.ModelLoadError`).  Constants are not folded at
compile time (``'x' * 4000000000`` is refused when rendered, not evaluated).

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
import re
import sys
import threading
import time
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


#: wall-clock seconds one rendering may take
RENDER_SECONDS = 2.0
#: a rendering may build strings / lists of at most this many items, plus 4x its input's size
MAX_RENDER_ITEMS = 1_000_000
#: integer arguments of calls and filters (widths, counts) above this are refused
_MAX_INT_ARG = 100_000
_BIG_WIDTH = re.compile(r"\d{6,}")


class _Exceeded(Exception):
    """A rendering went past one of its bounds (converted to ChatTemplateError)."""


_STATE = threading.local()  # the current rendering's size bound (set by _render), per thread


def _limit() -> int:
    return int(getattr(_STATE, "limit", MAX_RENDER_ITEMS))


def _check_size(value: Any) -> Any:
    if isinstance(value, (str, list, tuple, bytes)) and len(value) > _limit():
        raise _Exceeded(f"it builds a value of {len(value):,} items (limit {_limit():,})")
    return value


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, bytes)) else 1


def _check_args(args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    for a in (*args, *kwargs.values()):
        if isinstance(a, int) and not isinstance(a, bool) and abs(a) > _MAX_INT_ARG:
            raise _Exceeded(f"it passes {a} as an argument (limit {_MAX_INT_ARG:,})")


def _guarded_filter(f: Any) -> Any:
    import functools

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _check_args(args, kwargs)
        if getattr(f, "__name__", "") in ("do_format", "do_replace"):
            _check_format_or_replace(f.__name__, args, kwargs)
        return _check_size(f(*args, **kwargs))

    return wrapper


def _check_format_or_replace(name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    strings = [a for a in args if isinstance(a, str)]
    if name.endswith("format") and any(_BIG_WIDTH.search(s) for s in strings[:1]):
        raise _Exceeded("it formats with a huge width")
    if name.endswith("replace") and len(strings) >= 3:
        s, old, new = strings[-3:] if len(strings) > 3 else strings[:3]
        if len(new) > len(old) and (len(s) + 1) * max(1, len(new)) > _limit():
            raise _Exceeded("it replaces into a huge string")


def _binop(op: str, left: Any, right: Any) -> Any:
    if op in ("*", "**"):
        for a, b in ((left, right), (right, left)):
            if isinstance(a, (str, list, tuple)) and isinstance(b, int) and _size(a) * b > _limit():
                raise _Exceeded(f"it multiplies a sequence to {_size(a) * b:,} items")
        if op == "**" and isinstance(right, (int, float)) and abs(right) > 1000:
            raise _Exceeded(f"it raises to the power {right}")
        if op == "*" and isinstance(left, int) and isinstance(right, int) and \
                left.bit_length() + right.bit_length() > 64_000:
            raise _Exceeded("it multiplies huge integers")
    if op == "%" and isinstance(left, str) and _BIG_WIDTH.search(left):
        raise _Exceeded("it formats with a huge width")
    if op == "+" and _size(left) + _size(right) > _limit():
        raise _Exceeded(f"it concatenates to {_size(left) + _size(right):,} items")
    import operator

    table = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "//": operator.floordiv, "**": operator.pow, "%": operator.mod}
    return _check_size(table[op](left, right))


def _concat(values: Any) -> str:
    parts = [str(v) for v in values]
    if sum(map(len, parts)) > _limit():
        raise _Exceeded(f"it joins strings to {sum(map(len, parts)):,} characters")
    return "".join(parts)


@lru_cache(maxsize=32)
def _compile(template: str) -> Any:
    try:
        from jinja2.compiler import CodeGenerator
        from jinja2.sandbox import ImmutableSandboxedEnvironment
    except ImportError as exc:  # pragma: no cover - jinja2 is a dependency
        from ..errors import DependencyError

        raise DependencyError(f"jinja2 is needed to render chat templates: {exc}") from None
    from jinja2.exceptions import TemplateError

    class _Generator(CodeGenerator):
        def visit_Concat(self, node: Any, frame: Any) -> None:  # "a ~ b": bounded join
            self.write("environment.textmine_concat((")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

    class _Env(ImmutableSandboxedEnvironment):
        code_generator_class = _Generator
        intercepted_binops = frozenset(["+", "-", "*", "/", "//", "**", "%"])
        intercepted_unops = frozenset()

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            return _binop(operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            _check_args(args, kwargs)
            target = getattr(__obj, "__wrapped__", __obj)
            name = getattr(target, "__name__", "")
            if name in ("format", "format_map", "replace") and isinstance(getattr(target, "__self__", None), str):
                _check_format_or_replace(name, [target.__self__, *args], kwargs)
            return _check_size(super().call(__context, __obj, *args, **kwargs))

        @staticmethod
        def textmine_concat(values: Any) -> str:
            return _concat(values)

    env = _Env(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters = {name: _guarded_filter(f) for name, f in env.filters.items()}
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    try:
        return env.from_string(template)
    except TemplateError as exc:
        raise ChatTemplateError(f"the model's chat template does not compile: {exc}") from None


def _render(template: str, messages: list[dict[str, str]], bos_token: str, eos_token: str, add_generation_prompt: bool) -> str:
    """Render in bounded time, output size and value size; :class:`ChatTemplateError` past a bound."""
    from jinja2.exceptions import TemplateError

    limit = MAX_RENDER_ITEMS + 4 * sum(len(m["content"]) + len(m["role"]) for m in messages)
    try:
        compiled = _compile(template)
    except (RecursionError, MemoryError, OverflowError) as exc:
        raise ChatTemplateError(f"the model's chat template cannot be compiled: {type(exc).__name__}") from None
    deadline = time.monotonic() + RENDER_SECONDS
    ticks = [0]

    def local(frame: Any, event: str, arg: Any) -> Any:
        ticks[0] += 1
        if ticks[0] % 256 == 0 and time.monotonic() > deadline:
            raise _Exceeded(f"it runs for more than {RENDER_SECONDS:g} s")
        return local

    previous = sys.gettrace()

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == "<template>":
            return local(frame, event, arg)
        return previous(frame, event, arg) if previous is not None else None

    old_limit = _limit()
    _STATE.limit = limit
    out: list[str] = []
    size = 0
    sys.settrace(tracer)
    try:
        for chunk in compiled.generate(
            messages=messages,
            bos_token=bos_token,
            eos_token=eos_token,
            add_generation_prompt=add_generation_prompt,
            tools=None,
            documents=None,
        ):
            size += len(chunk)
            if size > limit:
                raise _Exceeded(f"its output exceeds {limit:,} characters")
            out.append(chunk)
    except _Exceeded as exc:
        raise ChatTemplateError(f"the model's chat template was stopped: {exc}; refusing this template") from None
    except RecursionError:
        raise ChatTemplateError("the model's chat template recurses too deeply; refusing this template") from None
    except MemoryError:
        raise ChatTemplateError("the model's chat template exhausts memory; refusing this template") from None
    except TemplateError:
        raise
    except Exception as exc:  # noqa: BLE001 - an untrusted template may raise anything
        raise TemplateError(f"{type(exc).__name__}: {exc}") from None
    finally:
        sys.settrace(previous)
        _STATE.limit = old_limit
    return "".join(out)


def check_chat_template(template: Any, *, bos_token: str = "", eos_token: str = "") -> str:
    """Refuse a chat template that is not a string, does not compile, or breaks a bound on a probe chat.

    Called when a model is loaded, so a bad template fails at load time with
    :class:`ChatTemplateError` instead of at the first prompt.

    >>> check_chat_template("{% for m in messages %}{{ m['content'] }}{% endfor %}")[:5]
    '{% fo'
    """
    if not isinstance(template, str):
        raise ChatTemplateError(f"the model's chat template must be a string, got {type(template).__name__}")
    probe = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello."},
        {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": "Name a colour."},
    ]
    render_chat(template, probe, bos_token=bos_token, eos_token=eos_token)
    return template


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
    "check_chat_template",
]
