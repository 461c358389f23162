"""BERTopic interop: textmine's labeler as a representation model, textmine's topics as a BERTopic object.

* :class:`LLMLabels` is a BERTopic representation model: ``BERTopic(representation_model=LLMLabels())``
  names each topic with :class:`~textmine.topics.TopicLabeler` (local GGUF model, grammar-constrained,
  checked labels, key phrases from the topic's representative documents).
* :func:`to_bertopic` (also ``TopicModel.to_bertopic``) returns a ``BERTopic`` object that holds a fitted
  :class:`~textmine.TopicModel`'s topics -- the same documents in the same topics, under the same ids,
  with textmine's words, labels and representative documents -- so BERTopic's ``visualize_*`` plots,
  ``get_topic_info`` and its users' code run on textmine's topics.

Example (needs ``pip install "textmine[bertopic]"``)::

    from textmine import TopicModel
    tm = TopicModel(random_state=42).fit(docs)
    bt = tm.to_bertopic(docs)
    bt.get_topic_info()            # BERTopic's table, textmine's topics
    bt.visualize_barchart()        # plotly figure
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bertopic.representation import BaseRepresentation

from .._validation import check_int
from ..topics.interop import to_bertopic

__all__ = ["LLMLabels", "to_bertopic"]


class LLMLabels(BaseRepresentation):
    """BERTopic representation model: one label per topic, written by textmine's :class:`TopicLabeler`.

    Parameters
    ----------
    llm:
        textmine LLM preset, ``.gguf`` path or :class:`textmine.llm.LLM` (``"default"``: the
        labels task's default model, docs/models.md).
    nr_docs:
        representative documents per topic taken from BERTopic (its ``_extract_representative_docs``,
        as BERTopic's own LLM representations do); the labeler draws key phrases from them.
    diversity:
        passed to BERTopic's representative-document selection.
    labeler_kwargs:
        further :class:`~textmine.topics.TopicLabeler` parameters (``n_words``, ``n_phrases`` ...).

    After ``fit``, each topic's representation is ``[(label, 1), ("", 0), ...]`` (BERTopic's convention
    for LLM labels); the outlier topic -1 keeps its c-TF-IDF words. ``labels_`` maps topic id to label.
    """

    def __init__(self, llm: Any = "default", nr_docs: int = 4, diversity: float | None = None,
                 labeler_kwargs: Mapping[str, Any] | None = None):
        self.llm = llm
        self.nr_docs = nr_docs
        self.diversity = diversity
        self.labeler_kwargs = labeler_kwargs

    def extract_topics(self, topic_model: Any, documents: Any, c_tf_idf: Any,
                       topics: Mapping[int, list[tuple[str, float]]]) -> dict[int, list[tuple[str, float]]]:
        from ..topics import Topic, TopicLabeler

        check_int(self.nr_docs, "nr_docs", minimum=0)
        repr_docs, _, _, _ = topic_model._extract_representative_docs(
            c_tf_idf, documents, topics, 500, int(self.nr_docs), self.diversity
        )
        sizes = documents["Topic"].value_counts().to_dict()
        ids = [t for t in topics if int(t) != -1]
        records = [
            Topic(id=int(t), size=int(sizes.get(t, 0)),
                  words=[(str(w), float(s)) for w, s in topics[t] if str(w)],
                  representative_docs=[str(d) for d in repr_docs.get(t, [])])
            for t in ids
        ]
        labeler = TopicLabeler(self.llm, **dict(self.labeler_kwargs or {}))
        labels = labeler.label(records) if records else []
        self.labels_ = {int(t): lab for t, lab in zip(ids, labels)}
        out = {t: list(words) for t, words in topics.items()}
        for t, lab in zip(ids, labels):
            out[t] = [(lab, 1)] + [("", 0)] * 9
        return out
