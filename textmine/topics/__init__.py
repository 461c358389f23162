"""Topic modeling: :class:`TopicModel`, :class:`Topic`, :class:`TopicLabeler`.

See docs/topics.md, and docs/architecture.md for the map. :class:`TopicModel` (:mod:`.model`)
composes the stages, each a module with a small public API: embedding (:mod:`.embedding`),
discovery (:mod:`.discovery`: reduction :mod:`.reduce`, clustering :mod:`.cluster`, the centroid
merge; seed words and zero-shot topic names in :mod:`.guided`), assignment (:mod:`.assignment`:
centroids, classifier, thresholds -- the one inference path), representation (:mod:`.terms`,
:mod:`.represent`), analysis (:mod:`.analysis`), labeling (:mod:`.label`); streaming updates
(``partial_fit``) in :mod:`.online`; ``reduce_topics`` and merging fitted models in :mod:`.merge`;
persistence in :mod:`.persist`; parameter checks in :mod:`.params`.
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
