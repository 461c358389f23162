"""Small result types, importable without heavy dependencies."""

from __future__ import annotations

from typing import NamedTuple


class Keyword(NamedTuple):
    """One extracted keyword: ``(text, score)``, tuple-compatible with KeyBERT's output.

    >>> from textmine import Keyword
    >>> kw = Keyword("neural network", 0.71)
    >>> text, score = kw
    >>> kw.text
    'neural network'
    """

    text: str
    score: float
