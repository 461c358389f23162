"""Validation of user-supplied documents and parameters.

Policy (documented in docs/input.md):

* ``docs`` must be an iterable of documents (list, tuple, numpy array, pandas
  Series ...). A bare ``str``/``bytes`` passed as a corpus is an error, since it
  would otherwise be silently split into characters.
* each document must be ``str``; ``bytes`` are decoded as UTF-8 (invalid UTF-8
  is an error). ``None``, numbers, NaN and other objects raise
  :class:`~textmine.errors.InputError` naming the offending index.
* empty and whitespace-only documents are accepted: they get no keywords and
  the outlier topic ``-1``.
* very long documents are accepted: embedding models truncate at their maximum
  sequence length, LLM prompts are truncated by tokens to fit the context.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import EmptyCorpusError, InputError


def as_document(doc: Any, index: int | None = None) -> str:
    """Return ``doc`` as ``str`` or raise :class:`InputError`."""
    where = "" if index is None else f" at index {index}"
    if isinstance(doc, str):
        return doc
    if isinstance(doc, (bytes, bytearray)):
        try:
            return bytes(doc).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"document{where} is bytes that are not valid UTF-8: {exc}") from None
    if doc is None:
        raise InputError(f"document{where} is None; pass an empty string for an empty document")
    raise InputError(f"document{where} must be a str, got {type(doc).__name__}: {doc!r:.60}")


def as_documents(docs: Any, *, allow_empty_corpus: bool = False, name: str = "docs") -> list[str]:
    """Validate a corpus and return it as a list of ``str``."""
    if isinstance(docs, (str, bytes, bytearray)):
        raise InputError(
            f"{name} must be a list of documents, not a single {type(docs).__name__}; "
            "wrap it in a list (or use extract() for one text)"
        )
    if docs is None or not isinstance(docs, Iterable):
        raise InputError(f"{name} must be an iterable of str, got {type(docs).__name__}")
    kind = type(docs).__name__
    if kind == "DataFrame" or (hasattr(docs, "columns") and hasattr(docs, "iloc")):
        raise InputError(
            f"{name} is a DataFrame: iterating over it gives its column names, not documents; "
            f"pass one column, e.g. df['text']"
        )
    if isinstance(docs, Mapping):
        raise InputError(f"{name} is a {kind}: iterating over it gives its keys; pass list(d.values()) or a list")
    if isinstance(docs, (set, frozenset)):
        raise InputError(f"{name} is a {kind}, which has no order: pass a list (e.g. sorted(...))")
    if getattr(docs, "ndim", 1) != 1:
        raise InputError(f"{name} must be one-dimensional, got an array of shape {getattr(docs, 'shape', '?')}")
    out = [as_document(d, i) for i, d in enumerate(docs)]
    if not out and not allow_empty_corpus:
        raise EmptyCorpusError(f"{name} is empty: at least one document is needed")
    return out


def is_blank(doc: str) -> bool:
    """True for an empty or whitespace-only document."""
    return not doc.strip()


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value
