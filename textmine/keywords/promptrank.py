"""LLM-scored keyphrase candidates (PromptRank's idea on llama.cpp), fused with the embedding score.

PromptRank (Kong et al., ACL 2023) ranks a document's candidates by how likely a language model
finds each one as the completion of a prompt built from the document.  Here the prompt is the
LLM's ordinary task prompt (chat template or completion prompt) for :data:`SCORE_INSTRUCTION`
and the document, followed by :data:`ANSWER_PREFIX`; each candidate's continuation is
``" " + candidate + terminator``.  Its LLM score is the mean log-probability of those tokens
with a length exponent, ``sum(log p) / n_tokens ** length_alpha``; the terminator (``"."`` by
default) makes a phrase cut short of its natural end unlikely.

The final score mixes per-document z-scores of the embedding score and the LLM score:
``(1 - llm_weight) * z(embedding) + llm_weight * z(llm)``.  The defaults were chosen on
development data only (Inspec train+validation, SemEval-2017 dev; ``benchmarks/llm_assist.py
--tune``), never on a test set.

>>> import numpy as np
>>> fuse_scores(np.array([0.9, 0.5, 0.1]), np.array([-3.0, -0.5, -4.0]), llm_weight=0.5).round(2)
array([ 0.44,  0.68, -1.12])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "SCORE_INSTRUCTION", "ANSWER_PREFIX", "SCORE_PROMPTS", "candidate_logprobs", "llm_scores", "fuse_scores",
    "first_offset", "position_scores", "free_frequencies", "render_score_prompt",
]

SCORE_INSTRUCTION = "Read the text and say in a few words what it is mainly about."
ANSWER_PREFIX = "This text mainly talks about"
# name -> (instruction, answer prefix): the prompts HybridKeywordExtractor(score_prompt=...) knows.
# "book" is PromptRank's own wording ("Book: <doc> This book mainly talks about <candidate>").
SCORE_PROMPTS: dict[str, tuple[str, str]] = {
    "text": (SCORE_INSTRUCTION, ANSWER_PREFIX),
    "book": ("Read the text.", "This book mainly talks about"),
}


def candidate_logprobs(
    llm: Any,
    text: str,
    candidates: Sequence[str],
    *,
    terminator: str = ".",
    instruction: str = SCORE_INSTRUCTION,
    answer_prefix: str = ANSWER_PREFIX,
    max_doc_tokens: int | None = 512,
) -> list[np.ndarray]:
    """Token log-probabilities of each candidate (``" " + candidate + terminator``) after the prompt."""
    conts = [f" {c.strip()}{terminator}" for c in candidates]
    return llm.score_continuations(
        instruction, text, conts, answer_prefix=answer_prefix, max_doc_tokens=max_doc_tokens
    )


def llm_scores(logprobs: Sequence[np.ndarray], length_alpha: float = 1.0) -> np.ndarray:
    """``sum(log p) / n ** length_alpha`` per candidate (``-inf`` for an empty one)."""
    out = np.full(len(logprobs), -np.inf)
    for i, lp in enumerate(logprobs):
        if len(lp):
            out[i] = float(np.sum(lp)) / (len(lp) ** float(length_alpha))
    return out


def first_offset(text_lower: str, candidate: str) -> int:
    """Character offset of the candidate's first occurrence in the lower-cased text (its length if absent).

    >>> first_offset("we study graph neural networks", "Graph Neural Networks")
    9
    """
    at = text_lower.find(candidate.strip().lower())
    return at if at >= 0 else len(text_lower)


def position_scores(text: str, candidates: Sequence[str]) -> np.ndarray:
    """``-log(1 + first character offset)`` per candidate: earlier in the text is higher."""
    low = text.lower()
    return -np.log1p(np.asarray([first_offset(low, c) for c in candidates], dtype=np.float64))


def free_frequencies(text: str, candidates: Sequence[str]) -> np.ndarray:
    """Per candidate, its occurrences in the text that are not part of an occurrence of a longer candidate.

    Words are compared lower-cased and Porter-stemmed (:func:`textmine.keywords.llm.stem_key`).  Plain
    frequency favours the sub-phrases of every longer candidate ("field theories" inside "lattice field
    theories" and "gauge field theories"); counting only the free occurrences keeps frequency as evidence
    without that bias (the nesting correction of C-value, Frantzi et al. 2000).

    >>> free_frequencies("Field theories. Lattice field theories and gauge field theories.",
    ...                  ["lattice field theories", "field theories", "gauge field theories"]).tolist()
    [1.0, 1.0, 1.0]
    """
    from .llm import stem_key

    seq = stem_key(text)
    keys = [stem_key(c) for c in candidates]
    unique = set(keys)
    where: dict[tuple[str, ...], list[int]] = {}
    for k in unique:
        n = len(k)
        where[k] = [i for i in range(len(seq) - n + 1) if n and seq[i : i + n] == k]
    out = np.zeros(len(keys), dtype=np.float64)
    for i, k in enumerate(keys):
        n = len(k)
        covered = set()  # start positions of k's occurrences inside an occurrence of a longer candidate
        for o in unique:
            if len(o) <= n:
                continue
            offs = [j for j in range(len(o) - n + 1) if o[j : j + n] == k]
            covered.update(q + j for q in where[o] for j in offs)
        out[i] = sum(1 for p in where[k] if p not in covered)
    return out


def zscore(x: np.ndarray) -> np.ndarray:
    """Standard scores of ``x``; non-finite entries count as the lowest finite one, a constant ``x`` gives zeros.
    Used to fuse scores of different scales (here and in :mod:`textmine.topics.label_select`)."""
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    if not finite.any():
        return np.zeros_like(x)
    lo = x[finite].min()
    x = np.where(finite, x, lo)
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def fuse_scores(
    embedding: np.ndarray,
    llm: np.ndarray,
    llm_weight: float,
    position: np.ndarray | None = None,
    position_weight: float = 0.0,
    frequency: np.ndarray | None = None,
    frequency_weight: float = 0.0,
) -> np.ndarray:
    """``(1 - w - p) * z(embedding) + w * z(llm) + p * z(position) + f * z(frequency)``, z-scores taken
    over one document's candidates (``p = position_weight``, ``f = frequency_weight``; a term with weight 0
    is left out; the frequency term is added on top, it takes no weight from the others)."""
    w, pw, fw = float(llm_weight), float(position_weight), float(frequency_weight)
    out = (1.0 - w - pw) * zscore(embedding) + w * zscore(llm)
    if pw and position is not None:
        out = out + pw * zscore(position)
    if fw and frequency is not None:
        out = out + fw * zscore(frequency)
    return out


def render_score_prompt(text: str, preset: str = "mistral-7b-instruct", score_prompt: str = "text") -> str:
    """The exact prompt text a preset's LLM reads before the candidates (no model loaded).

    Mirrors :meth:`textmine.llm.LLM.score_continuations`: the preset's chat template (or a
    completion prompt for a base model) for :data:`SCORE_INSTRUCTION` and the text, then
    :data:`ANSWER_PREFIX` (``score_prompt``: a name of :data:`SCORE_PROMPTS`, as
    ``HybridKeywordExtractor(score_prompt=...)``); each candidate continues it as ``" " + candidate + "."``.

    >>> p = render_score_prompt("Solar cells convert light.", "mistral-7b-instruct")
    >>> p.startswith("<s>[INST] Read the text") and p.endswith("[/INST]This text mainly talks about")
    True
    """
    from ..llm import prompts as P
    from ..llm.presets import get_preset

    pre = get_preset(preset)
    template = pre.chat_template if pre.chat else None
    instruction, answer_prefix = SCORE_PROMPTS[score_prompt]
    prompt = P.task_prompt(
        instruction, [], text, chat_template=template, bos_token=pre.bos_token, eos_token=pre.eos_token
    )
    return prompt + ("" if template else " ") + answer_prefix  # as LLM._answer_shape: a space after "Answer:"
