"""Which part of a cached prompt a new prompt may reuse (pure Python, shared by the llama.cpp
context of :class:`~textmine.llm.LLM` and the restricted head's, :mod:`textmine.llm.head`).

A prompt is evaluated in segments at positions fixed by the prompt itself (``LLM._segments``).
Its KV values depend on how it was cut (llama.cpp's kernels round differently for other batch
sizes), so a cached part may only be reused where the cached prompt was cut the same way.
"""

from __future__ import annotations

from collections.abc import Sequence


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading items ``a`` and ``b`` share."""
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)


def reusable_prefix(prev_starts: list[int], prev_len: int, starts: list[int], same: int) -> int:
    """How much of a cached prompt a new prompt may reuse: up to a segment boundary of both prompts
    below which both were cut into the same segments (so the cached KV values are what a cold
    evaluation of the new prompt computes), within their ``same`` equal leading tokens and within the
    cached prompt (tokens generated after it were evaluated one step at a time)."""
    bounds = list(prev_starts) + [prev_len]
    reuse = 0
    for i, b in enumerate(starts):
        if i >= len(bounds) or bounds[i] != b or b > same:
            break
        reuse = b
    return reuse


__all__ = ["common_prefix", "reusable_prefix"]
