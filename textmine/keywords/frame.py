"""Keywords as a pandas DataFrame: one row per (document, keyword).

>>> from textmine import Keyword
>>> from textmine.keywords import keywords_frame
>>> keywords_frame(["a text", "another"], [[Keyword("text", 0.9)], []])
   Document  Rank Keyword  Score
0         0     1    text    0.9
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import DependencyError, InputError

__all__ = ["keywords_frame"]


def keywords_frame(docs: Sequence[Any], keywords: Sequence[Sequence[Any]], *, ids: Sequence[Any] | None = None) -> Any:
    """A long DataFrame of ``keywords`` (one list per document, as ``transform`` returns them):
    columns ``Document`` (the document's id: ``ids``, else the index of a pandas Series ``docs``, else
    its position), ``Rank`` (1 = best), ``Keyword`` and ``Score``. A document without keywords has no row.
    Keywords may be :class:`~textmine.Keyword`, ``(text, score)`` tuples (KeyBERT) or plain strings (score NaN).
    """
    try:
        import pandas as pd
    except ImportError:
        raise DependencyError("keywords_frame needs pandas: pip install pandas") from None
    kws = list(keywords)
    n = len(docs)
    if len(kws) != n:
        raise InputError(f"keywords has {len(kws)} lists for {n} documents")
    if ids is not None:
        ids = list(ids)
        if len(ids) != n:
            raise InputError(f"ids has {len(ids)} entries for {n} documents")
    elif isinstance(docs, pd.Series):
        ids = list(docs.index)
    else:
        ids = list(range(n))
    rows = []
    for doc_id, found in zip(ids, kws):
        if isinstance(found, (str, bytes)):
            raise InputError("each entry of keywords must be a list of keywords, not a str")
        for rank, k in enumerate(found or [], start=1):
            if isinstance(k, str):
                text, score = k, float("nan")
            else:
                try:
                    text, score = str(k[0]), float(k[1])
                except (TypeError, ValueError, IndexError):
                    raise InputError(f"keyword {k!r:.60} is neither a Keyword, a (text, score) pair nor a str") from None
            rows.append((doc_id, rank, text, score))
    return pd.DataFrame(rows, columns=["Document", "Rank", "Keyword", "Score"])
