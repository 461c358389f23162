"""The types of the JSON files of a saved TopicModel, checked before anything is taken from them.

A saved model is data from a file: the checksums in its manifest catch damage, not a crafted model
(whoever edits a file can re-hash it). So every value is checked against the schema below before it
is used: a value of the wrong type anywhere (``files`` as a list, a topic label that is a dict, a
word score that is a string ...) is a :class:`~textmine.errors.PersistenceError` naming the field,
never an ``AttributeError`` or a model that fails later. JSON nested deeper than any saved model
is refused the same way (it would be a ``RecursionError``).

>>> check({"id": 0, "label": {"x": 1}}, Obj({"id": INT}, {"label": Opt(STR)}), "topics[0]")
Traceback (most recent call last):
...
textmine.errors.PersistenceError: topics[0].label must be a string or null, not an object
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PersistenceError

__all__ = ["check", "read_json", "Obj", "ListOf", "MapOf", "Opt", "Pair", "MANIFEST", "CONFIG", "ONLINE",
           "INT", "NUM", "STR", "BOOL", "ANY"]

#: JSON nested deeper than this is refused (a saved model's files are at most 5 levels deep; parameters a few more)
MAX_DEPTH = 64


@dataclass(frozen=True)
class _Scalar:
    name: str

    def ok(self, v: Any) -> bool:
        if self.name == "an integer":
            return isinstance(v, int) and not isinstance(v, bool)
        if self.name == "a finite number":
            return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        if self.name == "a string":
            return isinstance(v, str)
        if self.name == "a boolean":
            return isinstance(v, bool)
        return True


INT, NUM, STR, BOOL, ANY = (_Scalar(n) for n in ("an integer", "a finite number", "a string", "a boolean", "any"))


@dataclass(frozen=True)
class Opt:
    """``inner`` or null."""

    inner: Any


@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class Pair:
    """A list of exactly two items."""

    first: Any
    second: Any


@dataclass(frozen=True)
class MapOf:
    """An object with any keys (``int_keys``: keys that are integers written as strings)."""

    value: Any
    int_keys: bool = False


@dataclass(frozen=True)
class Obj:
    """An object with the ``required`` keys and maybe the ``optional`` ones (other keys are ignored)."""

    required: dict[str, Any]
    optional: dict[str, Any] = field(default_factory=dict)


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number" if math.isfinite(v) else repr(v)
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _expected(schema: Any) -> str:
    if isinstance(schema, _Scalar):
        return schema.name
    if isinstance(schema, Opt):
        return f"{_expected(schema.inner)} or null"
    if isinstance(schema, (ListOf, Pair)):
        return "a list" if isinstance(schema, ListOf) else "a list of two items"
    return "an object"


def check(value: Any, schema: Any, where: str) -> None:
    """:class:`PersistenceError` naming the first field of ``value`` (at ``where``) that breaks ``schema``."""
    def fail() -> None:
        raise PersistenceError(f"{where} must be {_expected(schema)}, not {_kind(value)}")

    if isinstance(schema, Opt):
        if value is not None:
            try:
                check(value, schema.inner, where)
            except PersistenceError:
                fail()
        return
    if isinstance(schema, _Scalar):
        if not schema.ok(value):
            fail()
    elif isinstance(schema, ListOf):
        if not isinstance(value, list):
            fail()
        for i, v in enumerate(value):
            check(v, schema.item, f"{where}[{i}]")
    elif isinstance(schema, Pair):
        if not isinstance(value, list) or len(value) != 2:
            fail()
        check(value[0], schema.first, f"{where}[0]")
        check(value[1], schema.second, f"{where}[1]")
    elif isinstance(schema, MapOf):
        if not isinstance(value, dict):
            fail()
        for k, v in value.items():
            if schema.int_keys and not (k.isascii() and k.lstrip("-").isdigit() and len(k) < 10):
                raise PersistenceError(f"{where} must have integer keys, not {k[:40]!r}")
            check(v, schema.value, f"{where}[{k[:40]!r}]")
    elif isinstance(schema, Obj):
        if not isinstance(value, dict):
            fail()
        for k, s in schema.required.items():
            if k not in value:
                raise PersistenceError(f"{where}.{k} is missing")
            check(value[k], s, f"{where}.{k}")
        for k, s in schema.optional.items():
            if k in value:
                check(value[k], s, f"{where}.{k}")
    else:  # pragma: no cover - a schema bug
        raise TypeError(f"unknown schema {schema!r}")


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_DEPTH:
            break
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


def read_json(path: Path, schema: Any, where: str) -> Any:
    """Parse the JSON file ``path`` and check it against ``schema`` (``None``: parse only);
    :class:`PersistenceError` if it cannot be read or does not fit."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise PersistenceError(f"cannot read {path}: JSON nested too deeply") from None
    except ValueError as exc:  # JSON or UTF-8
        raise PersistenceError(f"cannot read {path}: {exc}") from None
    if _depth(value) > MAX_DEPTH:
        raise PersistenceError(f"cannot read {path}: JSON nested deeper than {MAX_DEPTH} levels")
    if schema is not None:
        check(value, schema, where)
    return value


TOPIC = Obj(
    {"id": INT, "size": INT, "words": ListOf(Pair(STR, NUM))},
    {"label": Opt(STR), "representative_docs": ListOf(STR)},
)
MANIFEST = Obj({"format": STR, "format_version": INT, "files": MapOf(STR)}, {"textmine_version": STR})
CONFIG = Obj(
    {
        "params": MapOf(ANY),
        "state": Obj(
            {"embedding_model_id": Opt(STR), "n_clusters_found": INT, "noise_share": NUM, "outlier_share": NUM},
            {"zero_shot_topics": MapOf(STR, int_keys=True), "n_docs_seen": INT, "incremental": BOOL,
             "min_topic_size": INT, "n_new_outliers": INT, "term_n_docs": INT},
        ),
        "topics": ListOf(TOPIC),
    },
    {"unsaved_params": ListOf(STR)},
)
ONLINE = Obj({}, {"words": ListOf(STR), "outlier_texts": ListOf(STR)})
