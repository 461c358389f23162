"""The :class:`Topic` record: what a fitted :class:`~textmine.TopicModel` knows about one topic.

>>> from textmine.topics import Topic
>>> t = Topic(id=0, size=12, words=[("rocket", 0.9), ("orbit", 0.7)])
>>> t.name, t.top_words(1)
('rocket_orbit', ['rocket'])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Topic"]


@dataclass
class Topic:
    """One topic: id (>= 0), number of training documents, weighted words, label, example documents."""

    id: int
    size: int
    words: list[tuple[str, float]]
    label: str | None = None
    representative_docs: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The label if there is one, else the top four words joined by ``_``."""
        if self.label:
            return self.label
        return "_".join(w for w, _ in self.words[:4]) or f"topic_{self.id}"

    def top_words(self, n: int = 10) -> list[str]:
        return [w for w, _ in self.words[:n]]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["words"] = [[w, float(s)] for w, s in self.words]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Topic:
        return cls(
            id=int(d["id"]),
            size=int(d["size"]),
            words=[(str(w), float(s)) for w, s in d["words"]],
            label=d.get("label"),
            representative_docs=[str(x) for x in d.get("representative_docs", [])],
        )
