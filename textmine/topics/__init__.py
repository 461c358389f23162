"""Topic modeling: :class:`TopicModel`, :class:`Topic`, :class:`TopicLabeler`.

See docs/topics.md. Stages (each swappable): embedding (:mod:`textmine.embed`),
reduction (:mod:`.reduce`), clustering (:mod:`.cluster`), representation
(:mod:`.represent`), labeling (:mod:`.label`); persistence in :mod:`.persist`;
streaming updates (``partial_fit``) in :mod:`.online`; seed words and zero-shot
topic names in :mod:`.guided`; merging fitted models in :mod:`.merge`.
"""

from __future__ import annotations

from typing import Any

from .model import Topic, TopicModel

__all__ = ["TopicModel", "Topic", "TopicLabeler"]


def __getattr__(name: str) -> Any:
    if name == "TopicLabeler":  # imports the LLM layer only when asked for
        from .label import TopicLabeler

        globals()["TopicLabeler"] = TopicLabeler
        return TopicLabeler
    raise AttributeError(f"module 'textmine.topics' has no attribute {name!r}")
