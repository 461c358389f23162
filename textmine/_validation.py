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
* every document goes through :func:`clean_text` once, here at the input
  boundary: lone UTF-16 surrogates (``"\\ud800"`` from a JSON line) become
  U+FFFD and control characters other than tab / newline / carriage return
  become a space, so no tokenizer or C library downstream sees them.
* numeric parameters accept numpy scalars (``np.int64(5)``) wherever Python
  numbers are accepted (:func:`check_int`, :func:`check_float`).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import EmptyCorpusError, InputError


# C0 and C1 control characters except \t \n \r, and UTF-16 surrogate code points
_UNSAFE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Make ``text`` safe for tokenizers, UTF-8 encoders and C libraries.

    A surrogate pair written as two code points is joined into its character,
    a lone surrogate becomes U+FFFD and every control character other than tab,
    newline and carriage return (NUL, form feed, U+0085 ...) becomes a space.
    Everything else (format characters, RTL marks, emoji, CJK) is kept as is.

    >>> clean_text("a\\x00b\\x0cc\\ud800d") == "a b c\\ufffdd"
    True
    >>> clean_text("\\ud83d\\ude00") == "\\U0001F600"
    True
    """
    if not _UNSAFE_RE.search(text):
        return text
    if _SURROGATE_RE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROL_RE.sub(" ", text)


def as_document(doc: Any, index: int | None = None) -> str:
    """Return ``doc`` as a cleaned ``str`` (see :func:`clean_text`) or raise :class:`InputError`."""
    where = "" if index is None else f" at index {index}"
    if isinstance(doc, str):
        return clean_text(doc)
    if isinstance(doc, (bytes, bytearray)):
        try:
            return clean_text(bytes(doc).decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise InputError(f"document{where} is bytes that are not valid UTF-8: {exc}") from None
    if doc is None:
        raise InputError(f"document{where} is None; pass an empty string for an empty document")
    raise InputError(f"document{where} must be a str, got {type(doc).__name__}: {doc!r:.60}")


def is_dask_collection(obj: Any) -> bool:
    """True for a dask Series / DataFrame / Bag (checked without importing dask; :mod:`textmine.scale`)."""
    return (type(obj).__module__ or "").startswith("dask") and hasattr(obj, "__dask_graph__") \
        and hasattr(obj, "npartitions")


def as_documents(docs: Any, *, allow_empty_corpus: bool = False, name: str = "docs") -> list[str]:
    """Validate a corpus and return it as a list of ``str``."""
    if is_dask_collection(docs):  # never collect a corpus that may not fit in memory
        raise InputError(
            f"{name} is a dask collection: only TopicModel.fit / transform and the keyword extractors' transform "
            "take one (docs/scale.md); pass a list here"
        )
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


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def check_int(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """``value`` as a Python ``int`` (numpy integers accepted, bools refused) within bounds.

    >>> import numpy as np
    >>> check_int(np.int64(3), "top_n", minimum=1)
    3
    """
    if value is None and allow_none:
        return None
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer{_bounds(minimum, maximum)}{' or None' if allow_none else ''}, "
                         f"got {value!r:.60}")
    out = int(value)
    if (minimum is not None and out < minimum) or (maximum is not None and out > maximum):
        raise InputError(f"{name} must be an integer{_bounds(minimum, maximum)}, got {out}")
    return out


def check_float(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_none: bool = False,
) -> float | None:
    """``value`` as a finite Python ``float`` (numpy numbers accepted, bools refused) within bounds.

    >>> import numpy as np
    >>> check_float(np.float32(0.5), "diversity", low=0, high=1)
    0.5
    """
    if value is None and allow_none:
        return None
    lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
    hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
    rule = " and ".join(x for x in (lo, hi) if x)
    what = f"{name} must be a finite number{' ' + rule if rule else ''}{' or None' if allow_none else ''}"
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise InputError(f"{what}, got {value!r:.60}")
    out = float(value)
    if (
        not math.isfinite(out)
        or (low is not None and (out < low or (low_open and out == low)))
        or (high is not None and (out > high or (high_open and out == high)))
    ):
        raise InputError(f"{what}, got {value!r:.60}")
    return out


def _bounds(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f" in [{minimum}, {maximum}]"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """``value`` as an ``int`` >= ``minimum`` (numpy integers accepted)."""
    out = check_int(value, name, minimum=minimum)
    assert out is not None
    return out
