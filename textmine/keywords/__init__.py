"""Keyword / keyphrase extraction.

>>> from textmine.keywords import KeywordExtractor
>>> KeywordExtractor(top_n=5).top_n
5
"""

from __future__ import annotations

from .embedding import KeywordExtractor

__all__ = ["KeywordExtractor"]
# The LLM-based extractors (llm.py, hybrid.py) add their imports below.
from .hybrid import HybridKeywordExtractor  # noqa: E402
from .llm import LLMKeywordExtractor  # noqa: E402

from .frame import keywords_frame  # noqa: E402

__all__ += ["LLMKeywordExtractor", "HybridKeywordExtractor", "keywords_frame"]
