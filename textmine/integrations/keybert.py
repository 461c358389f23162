"""KeyBERT's ``KeyLLM`` on textmine's local llama.cpp layer.

KeyBERT ships ``KeyLLM`` backends for hosted APIs and Hugging Face pipelines, none for a local
GGUF model.  :class:`TextmineLLM` is a ``keybert.llm.BaseLLM`` that runs textmine's LLM layer
(grammar-constrained output, grounding in the document, response cache):

* without candidates, the LLM writes each document's keyphrases
  (:class:`~textmine.keywords.LLMKeywordExtractor`), grounded in the document;
* with ``candidate_keywords`` (KeyBERT's "KeyLLM + candidates" recipe), the LLM *scores* each
  candidate by its likelihood as the completion of "<document> This text mainly talks about"
  (PromptRank's idea, :mod:`textmine.keywords.promptrank`) and returns the best ``top_n``, in
  that order; it never invents a keyword that is not a candidate.

Example (needs ``pip install "textmine[keybert]"``)::

    from keybert import KeyLLM
    from textmine.integrations.keybert import TextmineLLM

    kw_model = KeyLLM(TextmineLLM("default", top_n=5))
    kw_model.extract_keywords(["The Hubble telescope observed a distant supernova."])
    # [['hubble telescope', 'distant supernova', ...]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keybert.llm import BaseLLM

from .._validation import as_documents, check_int, is_blank
from ..errors import InputError

__all__ = ["TextmineLLM"]


class TextmineLLM(BaseLLM):
    """A ``keybert.llm.BaseLLM`` backed by textmine's local GGUF models.

    Parameters
    ----------
    llm:
        textmine LLM preset (``"default"``, ``"qwen2.5-coder-0.5b"``, ``"mistral-7b-instruct"`` ...),
        a ``.gguf`` path or a :class:`textmine.llm.LLM`.
    top_n:
        keyphrases per document (at most).
    grounded:
        keep only keyphrases found in the document (written keyphrases only; candidates are
        the caller's).
    """

    def __init__(self, llm: Any = "default", top_n: int = 10, grounded: bool = True):
        self.llm = llm
        self.top_n = top_n
        self.grounded = grounded

    def _extractor(self) -> Any:
        from ..keywords import LLMKeywordExtractor

        key = (id(self.llm), self.top_n, self.grounded)
        if getattr(self, "_ext_key", None) != key:
            # KeyLLM groups near-duplicate documents itself (its ``threshold``): no grouping here
            self._ext = LLMKeywordExtractor(self.llm, top_n=self.top_n, grounded=self.grounded, group_threshold=None)
            self._ext_key = key
        return self._ext

    def extract_keywords(
        self, documents: Sequence[str], candidate_keywords: Sequence[Sequence[str]] | None = None
    ) -> list[list[str]]:
        """Keyphrases of each document, best first, as KeyLLM expects (a list of str per document)."""
        check_int(self.top_n, "top_n", minimum=1)
        texts = as_documents(documents, allow_empty_corpus=True)
        if candidate_keywords is None:
            return [[k.text for k in kws] for kws in self._extractor().transform(texts)]
        cands = list(candidate_keywords)
        if len(cands) != len(texts):
            raise InputError(f"candidate_keywords has {len(cands)} lists for {len(texts)} documents")
        return [self._rank(text, c) for text, c in zip(texts, cands)]

    def _rank(self, text: str, candidates: Any) -> list[str]:
        import numpy as np

        from ..keywords.promptrank import candidate_logprobs, llm_scores

        if candidates is None or isinstance(candidates, str):
            raise InputError("each entry of candidate_keywords must be a list of str")
        names = list(dict.fromkeys(str(c).strip() for c in candidates if str(c).strip()))
        if is_blank(text) or not names:
            return []
        from ..llm import load_llm

        llm = load_llm(self.llm, task="scoring")  # "default": the scoring task's default model
        scores = llm_scores(candidate_logprobs(llm, text, names), length_alpha=0.5)
        order = np.argsort(-scores, kind="stable")[: int(self.top_n)]
        return [names[i] for i in order]
