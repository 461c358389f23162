"""GBNF grammars for constrained generation, and the matching output parsers.

llama.cpp's grammar sampler only lets the model emit text the grammar accepts,
so the output of :func:`string_list_grammar` is always a JSON array of short
strings.  Everything here is bounded: item length uses ``{m,n}`` repetition
(supported by llama.cpp GBNF since 2024), item count uses a bounded repetition
of the ``", " item`` tail, so the grammar engine never faces unbounded nested
repetition.

Strings may not contain control characters, double quotes or backslashes, so
the JSON never needs escape sequences: ``json.loads`` of a complete output
always succeeds.

>>> print(string_list_grammar(max_items=3, max_item_chars=20))  # doctest: +NORMALIZE_WHITESPACE
root ::= " "? "[" ( item ( ", " item ){0,2} )? "]"
item ::= "\\"" first char{0,19} "\\""
first ::= [^"\\\\\\x00-\\x20\\x7f]
char ::= [^"\\\\\\x00-\\x1f\\x7f]
>>> parse_string_list('["alpha", "beta gamma"]')
['alpha', 'beta gamma']
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence

from ..errors import InputError, LLMOutputError

# first character: no space, quote, backslash or control character; later ones may be spaces
_FIRST = r'first ::= [^"\\\x00-\x20\x7f]'
_CHAR = r'char ::= [^"\\\x00-\x1f\x7f]'


def _check_bounds(max_items: int, max_item_chars: int, min_items: int = 0) -> None:
    if not isinstance(max_items, int) or isinstance(max_items, bool) or max_items < 1:
        raise InputError(f"max_items must be a positive int, got {max_items!r}")
    if not isinstance(max_item_chars, int) or isinstance(max_item_chars, bool) or max_item_chars < 1:
        raise InputError(f"max_item_chars must be a positive int, got {max_item_chars!r}")
    if max_items > 200:
        raise InputError(f"max_items={max_items} is too large for a grammar (max 200)")
    if max_item_chars > 500:
        raise InputError(f"max_item_chars={max_item_chars} is too large for a grammar (max 500)")
    if not 0 <= min_items <= max_items:
        raise InputError(f"min_items must be between 0 and max_items, got {min_items!r}")


def _array_rule(max_items: int, min_items: int) -> str:
    if min_items == 0:
        tail = f'( ", " item ){{0,{max_items - 1}}}' if max_items > 1 else ""
        body = f"( item {tail} )?" if tail else "item?"
    else:
        parts = ["item"] + ['", " item'] * (min_items - 1)
        extra = max_items - min_items
        body = " ".join(parts) + (f' ( ", " item ){{0,{extra}}}' if extra else "")
    return f'root ::= " "? "[" {body} "]"'


def string_list_grammar(max_items: int = 10, max_item_chars: int = 60, *, min_items: int = 0) -> str:
    """GBNF for a JSON array of ``min_items..max_items`` strings of 1..``max_item_chars`` characters."""
    _check_bounds(max_items, max_item_chars, min_items)
    rest = f"char{{0,{max_item_chars - 1}}}" if max_item_chars > 1 else ""
    item = f'item ::= "\\"" first {rest} "\\""'.replace("  ", " ")
    return "\n".join([_array_rule(max_items, min_items), item, _FIRST, _CHAR])


def gbnf_literal(text: str) -> str:
    """``text`` as a GBNF double-quoted literal (escapes quotes, backslashes and control characters)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def normalize_choices(choices: Sequence[str]) -> list[str]:
    """Validate ``choices``: strings, blank ones dropped, duplicates removed, order and spelling kept."""
    if isinstance(choices, str):
        raise InputError("choices must be a sequence of strings, not a single str")
    out: list[str] = []
    seen: set[str] = set()
    for i, c in enumerate(choices):
        if not isinstance(c, str):
            raise InputError(f"choice at index {i} must be a str, got {type(c).__name__}")
        if c.strip() and c not in seen:
            seen.add(c)
            out.append(c)
    if not out:
        raise InputError("choices must contain at least one non-blank string")
    return out


def _radix(strings: list[str]) -> list[tuple[str, list | None]]:
    """Radix tree of strings none of which is a prefix of another: ``[(edge label, child or None)]``."""
    groups: dict[str, list[str]] = {}
    for st in strings:
        groups.setdefault(st[0], []).append(st)
    out: list[tuple[str, list | None]] = []
    for grp in groups.values():
        if len(grp) == 1:
            out.append((grp[0], None))
            continue
        prefix = os.path.commonprefix(grp)
        out.append((prefix, _radix([g[len(prefix) :] for g in grp])))
    return out


def choices_grammar(choices: Sequence[str], max_items: int = 10, *, min_items: int = 0) -> str:
    """GBNF for a JSON array whose items are each exactly one of ``choices``.

    Each choice is JSON-encoded (so a choice containing quotes or backslashes
    round-trips through ``json.loads``) and then escaped as a GBNF literal.
    The alternatives are factored into a prefix tree, so hundreds of choices
    keep the grammar engine fast (few live parse stacks per token).
    """
    options = normalize_choices(choices)
    max_items = min(max_items, len(options)) if max_items else len(options)
    _check_bounds(max_items, 1, min(min_items, max_items))
    # A JSON-encoded string ends with its only unescaped quote, so none is a prefix of another.
    encoded = [json.dumps(c, ensure_ascii=False) for c in options]
    rules: list[str] = []

    def emit(node: list[tuple[str, list | None]]) -> str:
        name = f"c{len(rules)}"
        rules.append("")
        alts = [gbnf_literal(label) + ("" if child is None else " " + emit(child)) for label, child in node]
        # one alternative a line; GBNF continues a rule after a trailing "|"
        rules[int(name[1:])] = f"{name} ::= " + " |\n    ".join(alts)
        return name

    emit(_radix(encoded))
    return "\n".join([_array_rule(max_items, min(min_items, max_items)), "item ::= c0", *rules])


def single_string_grammar(max_chars: int = 60) -> str:
    """GBNF for one JSON string of 1..``max_chars`` characters (e.g. a topic label)."""
    _check_bounds(1, max_chars)
    rest = f" char{{0,{max_chars - 1}}}" if max_chars > 1 else ""
    return "\n".join([f'root ::= " "? "\\"" first{rest} "\\""', _FIRST, _CHAR])


_WS = re.compile(r"\s+")


def normalize_item(text: str) -> str:
    """Collapse whitespace runs and strip; drop control characters."""
    text = "".join(ch for ch in text if ch >= " " or ch in "\t\n\r")
    return _WS.sub(" ", text).strip()


def dedupe(items: Sequence[str]) -> list[str]:
    """Case-insensitive de-duplication keeping the first spelling and the order."""
    seen: set[str] = set()
    out: list[str] = []
    for it in items:
        key = it.casefold()
        if it and key not in seen:
            seen.add(key)
            out.append(it)
    return out


def _salvage_array(text: str) -> list | None:
    """Items of a JSON array cut off by ``max_tokens``: keep the complete strings."""
    start = text.find("[")
    if start < 0:
        return None
    body = text[start:]
    # close after the last complete string item
    for end in range(len(body), 0, -1):
        if body[end - 1] == '"':
            try:
                val = json.loads(body[:end] + "]")
            except ValueError:
                continue
            if isinstance(val, list):
                return val
    return []


def parse_string_list(
    text: str,
    *,
    max_items: int | None = None,
    max_item_chars: int | None = None,
    choices: Sequence[str] | None = None,
    allow_truncated: bool = True,
) -> list[str]:
    """Parse and validate a JSON array of strings produced under a grammar.

    Items are whitespace-normalised, blank ones dropped, duplicates removed
    (case-insensitively); with ``choices`` every item must be one of them.
    An array cut short by the token limit keeps its complete items when
    ``allow_truncated`` is set.  Anything else raises
    :class:`~textmine.errors.LLMOutputError` - free text is never comma-split.
    """
    raw = text.strip()
    try:
        value = json.loads(raw)
    except ValueError:
        value = _salvage_array(raw) if allow_truncated else None
        if value is None:
            raise LLMOutputError(f"LLM output is not a JSON array: {text[:200]!r}") from None
    if not isinstance(value, list):
        raise LLMOutputError(f"LLM output is not a JSON array: {text[:200]!r}")
    items: list[str] = []
    for v in value:
        if not isinstance(v, str):
            raise LLMOutputError(f"LLM output array holds a non-string item {v!r}")
        if choices is not None:
            items.append(v)
            continue
        v = normalize_item(v)
        if max_item_chars is not None and len(v) > max_item_chars:
            v = v[:max_item_chars].rstrip()
        if v:
            items.append(v)
    if choices is not None:
        allowed = set(normalize_choices(choices))
        bad = [v for v in items if v not in allowed]
        if bad:
            raise LLMOutputError(f"LLM output {bad[:3]!r} is not among the allowed choices")
        seen: set[str] = set()
        items = [v for v in items if not (v in seen or seen.add(v))]
    else:
        items = dedupe(items)
    if max_items is not None:
        items = items[:max_items]
    return items


def parse_single_string(text: str, *, max_chars: int | None = None) -> str:
    """Parse a JSON string produced under :func:`single_string_grammar`."""
    raw = text.strip()
    try:
        value = json.loads(raw)
    except ValueError:
        if raw.startswith('"') and '"' not in raw[1:]:  # cut off by the token limit
            value = raw[1:]
        else:
            raise LLMOutputError(f"LLM output is not a JSON string: {text[:200]!r}") from None
    if not isinstance(value, str):
        raise LLMOutputError(f"LLM output is not a JSON string: {text[:200]!r}")
    value = normalize_item(value)
    if max_chars is not None and len(value) > max_chars:
        value = value[:max_chars].rstrip()
    return value


__all__ = [
    "string_list_grammar",
    "choices_grammar",
    "single_string_grammar",
    "gbnf_literal",
    "parse_string_list",
    "parse_single_string",
    "normalize_item",
    "normalize_choices",
    "dedupe",
]


class JSONShape:
    """Fixed text of a grammar-constrained JSON answer, for jump-forward decoding.

    ``string_list_grammar`` and ``single_string_grammar`` (and ``choices_grammar`` when no choice
    holds a quote or backslash) produce JSON whose strings hold no quote, so the quote count tells
    whether a text ends inside a string. Some continuations are then fixed by the grammar: the
    opening ``' ["'`` of a list of at least one item (``' "'`` for a single string) and the
    ``' "'`` that must follow ``'",'``. The decoder appends such text without asking the model
    (and evaluates it together with the token before), and stops as soon as the answer is complete
    instead of running one more step to learn that only the end is allowed. The decoder checks every
    such token with the grammar itself, so this never lets through text the grammar rejects.

    ``lead`` is what the answer starts with before ``[`` or ``"``: ``" "`` after a completion
    prompt's ``"Answer:"``, ``""`` in a chat turn (the grammar allows both; the examples in the
    prompt show which one the model expects).

    >>> s = JSONShape("list")
    >>> s.forced(""), s.forced(' ["a",'), s.forced(' ["a"'), s.complete(' ["a", "b"]'), s.complete(' ["a]')
    (' ["', ' "', None, True, False)
    >>> JSONShape("string", lead="").forced("")
    '"'
    """

    def __init__(self, kind: str, lead: str = " "):
        if kind not in ("list", "string"):
            raise InputError(f"kind must be 'list' or 'string', got {kind!r}")
        if lead not in (" ", ""):
            raise InputError(f"lead must be ' ' or '', got {lead!r}")
        self.kind = kind
        self.lead = lead

    def forced(self, text: str) -> str | None:
        """The text the answer must continue with after ``text``, when the grammar fixes it."""
        if not text:
            return self.lead + ('["' if self.kind == "list" else '"')
        if self.kind == "list" and text.endswith('",') and text.count('"') % 2 == 0:
            return ' "'
        return None

    def complete(self, text: str) -> bool:
        """Whether ``text`` is a whole answer (the grammar then allows nothing but the end)."""
        if text.count('"') % 2:
            return False
        end = text.rstrip()
        return end.endswith("]") if self.kind == "list" else end.endswith('"') and end.count('"') == 2

    def __repr__(self) -> str:
        return f"JSONShape({self.kind!r}, lead={self.lead!r})"
