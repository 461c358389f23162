"""After-fit operations of a :class:`~textmine.TopicModel`: soft assignments, manual curation, inspection.

:class:`CurationMixin` is mixed into ``TopicModel`` (model.py stays the orchestrator). It gives what
BERTopic users rely on, without refitting:

* soft assignments that fit scikit-learn: :meth:`~CurationMixin.predict` (topic ids, the same as
  ``transform``'s default output) and :meth:`~CurationMixin.predict_proba` (an ``(n_docs, n_topics)``
  matrix whose rows sum to 1, from the assignment stage: the topic classifier's softmax, or a softmax of
  the centroid similarities for ``assignment="centroid"``); ``TopicModel(transform_output="proba")``
  makes ``transform`` return it, so ``make_pipeline(TopicModel(transform_output="proba"),
  LogisticRegression())`` works;
* curation: :meth:`~CurationMixin.merge_topics`, :meth:`~CurationMixin.set_topic_labels`,
  :meth:`~CurationMixin.update_topics` (new words from new counting settings or new assignments) and
  :meth:`~CurationMixin.reduce_outliers` (BERTopic's strategies). What they change is saved by ``save``;
* inspection: ``hierarchy`` / :meth:`~CurationMixin.get_topic_tree` (a text tree), ``topics_over_time``
  (numbers or datetimes, calendar periods with readable labels), :meth:`~CurationMixin.get_document_info`
  (a pandas DataFrame; pandas is imported only there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import as_documents, is_blank
from ..errors import InputError
from . import analysis
from .assignment import assign_fitted, cosine_similarities
from .represent import MAX_DOC_CHARS

__all__ = ["CurationMixin", "topic_probabilities", "OUTLIER_STRATEGIES", "CENTROID_TEMPERATURE"]

#: softmax temperature of the centroid similarities for ``assignment="centroid"`` models
CENTROID_TEMPERATURE = 0.05
OUTLIER_STRATEGIES = ("distributions", "probabilities", "embeddings", "c-tf-idf")


def topic_probabilities(model: Any, X: np.ndarray) -> np.ndarray:
    """``(len(X), n_topics)`` probabilities of the unit embeddings ``X`` under the model's assignment rule."""
    coef = getattr(model, "classifier_coef_", None)
    if coef is not None:
        scores = cosine_similarities(X, coef) + np.asarray(model.classifier_intercept_, dtype=np.float64)[None, :]
    else:
        scores = cosine_similarities(X, model.topic_embeddings_) / CENTROID_TEMPERATURE
    scores = scores - scores.max(axis=1, keepdims=True)
    P = np.exp(scores)
    return P / P.sum(axis=1, keepdims=True)


def _index(docs: Any) -> Any:
    """The pandas index of ``docs`` when it is a Series, else ``None``."""
    return getattr(docs, "index", None) if type(docs).__name__ == "Series" else None


class CurationMixin:
    """Soft assignments, manual curation and inspection for ``TopicModel`` (see the module docs)."""

    # ------------------------------------------------------------------ soft assignments

    def _nonblank(self, docs: Any) -> tuple[list[str], np.ndarray]:
        docs = as_documents(docs, allow_empty_corpus=True)
        return docs, np.flatnonzero([not is_blank(d) for d in docs])

    def predict(self, docs: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """Topic id of each document (-1 = outlier or blank): the rule that made ``labels_``."""
        self._check_fitted("topic_embeddings_")
        docs, idx = self._nonblank(docs)
        out = np.full(len(docs), -1, dtype=np.int64)
        if len(idx) == 0 or len(self.topic_embeddings_) == 0:
            if embeddings is not None:
                self._embed(docs, idx, embeddings)
            return out
        out[idx] = assign_fitted(self, self._embed(docs, idx, embeddings))[0]
        return out

    def predict_proba(self, docs: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """``(n_docs, n_topics)`` topic probabilities; each row sums to 1 (column ``j`` is topic ``j``).

        From the assignment stage: the softmax of the topic classifier (``assignment="classifier"``) or
        of the cosine similarities to the centroids divided by :data:`CENTROID_TEMPERATURE`. Outliers
        get their probabilities like any document (:meth:`predict` says -1 because the document is less
        similar to its topic's centroid than the topic's threshold, so ``predict`` is the argmax of a row
        except for outliers); blank documents get a uniform row.
        """
        self._check_fitted("topic_embeddings_")
        docs, idx = self._nonblank(docs)
        k = len(self.topic_embeddings_)
        out = np.full((len(docs), k), 1.0 / k if k else 0.0)
        if len(idx) and k:
            out[idx] = topic_probabilities(self, self._embed(docs, idx, embeddings))
        elif embeddings is not None:
            self._embed(docs, idx, embeddings)
        return out

    # ------------------------------------------------------------------ curation

    def set_topic_labels(self, labels: dict[int, str] | Sequence[str]) -> Any:
        """Set topic labels by hand: ``{topic id: label}`` or one label per topic (``None`` clears one)."""
        self._check_fitted("topics_")
        items = labels.items() if isinstance(labels, dict) else enumerate(labels)
        if not isinstance(labels, dict) and len(list(labels)) != len(self.topics_):
            raise InputError(f"set_topic_labels got {len(list(labels))} labels for {len(self.topics_)} topics; "
                             "pass a list with one label per topic or a dict {topic id: label}")
        new = {}
        for t, lab in items:
            if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= int(t) < len(self.topics_):
                raise InputError(f"no topic {t!r}; ids run from 0 to {len(self.topics_) - 1}")
            if lab is not None and (not isinstance(lab, str) or not lab.strip()):
                raise InputError(f"the label of topic {t} must be a non-empty str or None, got {lab!r}")
            new[int(t)] = None if lab is None else " ".join(lab.split())
        for t, lab in new.items():
            self.topics_[t].label = lab
        return self

    def _training_docs(self, docs: Any, what: str) -> tuple[list[str], np.ndarray]:
        docs, idx = self._nonblank(docs)
        if len(docs) != len(self.labels_):
            raise InputError(f"{what} needs the {len(self.labels_)} training documents, got {len(docs)}")
        return docs, idx

    def merge_topics(self, docs: Sequence[str], topics_to_merge: Sequence[Any], *,
                     embeddings: np.ndarray | None = None) -> Any:
        """Merge topics by hand: ``[[1, 4], [2, 3, 7]]`` (or one list ``[1, 4]``) on the training ``docs``.

        Each group becomes one topic (its centroid the size-weighted mean); the assignment rule is learned
        again and the words, sizes and ids recomputed as in ``reduce_topics`` (ids stay ordered by size).
        Topics outside the groups keep their labels; a merged topic has none (set it with
        :meth:`set_topic_labels`).
        """
        self._check_fitted("topic_embeddings_")
        from .merge import merge_groups

        docs, idx = self._training_docs(docs, "merge_topics")
        groups = topics_to_merge
        if isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence) or not len(groups):
            raise InputError("topics_to_merge must be a list of topic ids or a list of such lists, e.g. [[1, 4], [2, 3]]")
        if all(isinstance(g, (int, np.integer)) and not isinstance(g, bool) for g in groups):
            groups = [groups]
        k = len(self.topics_)
        owner = np.arange(k)
        seen: set[int] = set()
        for g in groups:
            ids = list(g) if isinstance(g, Sequence) and not isinstance(g, (str, bytes)) else [g]
            for t in ids:
                if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= int(t) < k:
                    raise InputError(f"no topic {t!r} to merge; ids run from 0 to {k - 1}")
                if int(t) in seen:
                    raise InputError(f"topic {t} is in more than one group of topics_to_merge")
                seen.add(int(t))
            owner[[int(t) for t in ids]] = int(ids[0])
        if len(np.unique(owner)) == k:
            return self
        old = [t.label for t in self.topics_]
        X = self._embed(docs, idx, embeddings)
        single = merge_groups(self, docs, idx, X, owner)
        for o, n in single.items():
            if old[o] and not self.topics_[n].label:
                self.topics_[n].label = old[o]
        return self

    def update_topics(
        self,
        docs: Sequence[str],
        topics: Sequence[int] | None = None,
        *,
        top_n_words: int | None = None,
        n_gram_range: tuple[int, int] | None = None,
        stop_words: Any = None,
        vectorizer: Any = None,
        representation: Any = None,
        embeddings: np.ndarray | None = None,
    ) -> Any:
        """Recompute the topic words (and sizes, representative documents) without refitting.

        ``docs`` are the training documents. ``topics``: new topic ids per document (e.g. from
        :meth:`reduce_outliers`); they become ``labels_`` (the centroids and the assignment rule stay, so
        ``transform`` of the training documents no longer equals ``labels_`` where they differ).
        ``n_gram_range`` / ``stop_words`` build a CountVectorizer like the default one with these settings
        (``stop_words="english"`` unless given); or pass a ``vectorizer``. ``top_n_words``, ``vectorizer``
        and ``representation`` become the model's parameters (a vectorizer object is not saved by ``save``:
        the saved words stay, later ``partial_fit`` counts with the default). Labels are kept.
        """
        self._check_fitted("topic_embeddings_")
        from .online import init_state
        from .represent import TOKEN_PATTERN, represent_topics

        docs, idx = self._training_docs(docs, "update_topics")
        labels = self.labels_.copy()
        if topics is not None:
            labels = np.asarray(list(topics))
            if labels.shape != (len(docs),) or not np.issubdtype(labels.dtype, np.integer) \
                    or labels.min(initial=0) < -1 or labels.max(initial=-1) >= len(self.topics_):
                raise InputError(f"topics must hold one topic id in -1..{len(self.topics_) - 1} per document")
            labels = np.where([is_blank(d) for d in docs], -1, labels).astype(np.int64)
        if n_gram_range is not None or stop_words is not None:
            if vectorizer is not None:
                raise InputError("pass either vectorizer or n_gram_range / stop_words, not both")
            from sklearn.feature_extraction.text import CountVectorizer

            ok = n_gram_range is None or (isinstance(n_gram_range, (tuple, list)) and len(n_gram_range) == 2 and all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in n_gram_range)
                and 1 <= n_gram_range[0] <= n_gram_range[1])
            if not ok:
                raise InputError(f"n_gram_range must be a pair (min_n, max_n) with 1 <= min_n <= max_n, got {n_gram_range!r}")

            vectorizer = CountVectorizer(ngram_range=tuple(n_gram_range or (1, 1)), token_pattern=TOKEN_PATTERN,
                                         stop_words="english" if stop_words is None else stop_words,
                                         min_df=2 if len(idx) >= 50 else 1)
        if top_n_words is not None and (
                isinstance(top_n_words, bool) or not isinstance(top_n_words, (int, np.integer)) or top_n_words < 1):
            raise InputError(f"top_n_words must be an integer >= 1, got {top_n_words!r}")
        if vectorizer is not None:
            from .terms import make_analyzer

            make_analyzer(vectorizer, len(idx))[1]("check")  # InputError before anything changes
            self.vectorizer = vectorizer
        if top_n_words is not None:
            self.top_n_words = int(top_n_words)
        if representation is not None:
            self.representation = representation
        X = self._embed(docs, idx, embeddings)
        kept = [t.label for t in self.topics_]
        self.labels_ = labels
        sizes = np.array([max(t.size, 1) for t in self.topics_], dtype=np.int64)  # format-1 models have no sums
        sums = getattr(self, "centroid_sums_", self.topic_embeddings_ * sizes[:, None])
        init_state(self, [docs[i] for i in idx], X, labels[idx], sums, getattr(self, "centroid_counts_", sizes))
        self.topics_ = represent_topics(self, [docs[i] for i in idx], X, labels[idx])
        for t, lab in zip(self.topics_, kept):
            t.label = lab
        return self

    def reduce_outliers(
        self,
        docs: Sequence[str],
        topics: Sequence[int] | None = None,
        *,
        strategy: str = "distributions",
        threshold: float = 0.0,
        embeddings: np.ndarray | None = None,
    ) -> np.ndarray:
        """New topic ids where the outliers (-1) of ``topics`` (default ``labels_``) get a topic; the model is
        not changed (pass the result to :meth:`update_topics` to keep it, as in BERTopic).

        ``strategy``: ``"distributions"`` / ``"probabilities"``: the most probable topic of
        :meth:`predict_proba`, when its probability is at least ``threshold``; ``"embeddings"``: the topic
        with the most similar centroid (cosine >= ``threshold``); ``"c-tf-idf"``: the topic whose c-TF-IDF
        word weights are most similar (cosine >= ``threshold``) to the document's own word counts weighted
        by the same idf. Blank documents stay -1.
        """
        self._check_fitted("topic_embeddings_")
        docs, idx = self._nonblank(docs)
        labels = np.asarray(self.labels_ if topics is None else list(topics), dtype=np.int64)
        if labels.shape != (len(docs),):
            raise InputError(f"topics has {labels.size} entries for {len(docs)} documents")
        if strategy not in OUTLIER_STRATEGIES:
            raise InputError(f"strategy must be one of {OUTLIER_STRATEGIES}, got {strategy!r}")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)):
            raise InputError(f"threshold must be a number, got {threshold!r}")
        out = labels.copy()
        todo = np.array([i for i in idx if labels[i] == -1], dtype=np.int64)
        if len(todo) == 0 or len(self.topics_) == 0:
            return out
        sub = [docs[i] for i in todo]
        E = None if embeddings is None else np.asarray(embeddings)[todo]
        if strategy == "c-tf-idf":
            S = self._ctfidf_similarities(sub)
        elif strategy == "embeddings":
            S = cosine_similarities(self._embed(sub, np.arange(len(sub)), E), self.topic_embeddings_)
        else:
            S = topic_probabilities(self, self._embed(sub, np.arange(len(sub)), E))
        best = S.argmax(axis=1)
        ok = S[np.arange(len(todo)), best] >= float(threshold)
        out[todo[ok]] = best[ok]
        return out

    def _ctfidf_similarities(self, texts: list[str]) -> np.ndarray:
        from .represent import class_tfidf, ctfidf_idf
        from .terms import make_analyzer

        if not hasattr(self, "term_counts_"):
            raise InputError('strategy="c-tf-idf" needs the word counts of a model fitted or saved by this textmine')
        tc = self.term_counts_
        _, analyzer = make_analyzer(self.vectorizer, tc.n_docs)
        D = tc.doc_term(texts, analyzer, grow=False)
        idf = ctfidf_idf(tc.counts)
        T = class_tfidf(tc.counts, idf=idf).toarray()
        Dw = class_tfidf(D, idf=idf).toarray()
        return cosine_similarities(_unit(Dw), _unit(T))

    # ------------------------------------------------------------------ inspection

    def hierarchy(self, method: str = "average") -> dict[str, Any]:
        """Hierarchical clustering of the topic centroids (scipy linkage, cosine distance).

        Returns ``{"linkage": (n_topics-1, 4) array, "labels": [topic names]}``, ready for
        ``scipy.cluster.hierarchy.dendrogram(linkage, labels=labels)``; :meth:`get_topic_tree` prints it.
        """
        self._check_fitted("topic_embeddings_")
        return analysis.hierarchy(self, method)

    def get_topic_tree(self, method: str = "average") -> str:
        """The :meth:`hierarchy` as a text tree: merges with their cosine distance, leaves ``id: label``."""
        from scipy.cluster.hierarchy import to_tree

        from .naming import fallback_label

        h = self.hierarchy(method)
        names = [f"{t.id}: {t.label or fallback_label(t)}" for t in self.topics_]
        lines: list[str] = []

        def walk(node: Any, prefix: str, last: bool, root: bool) -> None:
            text = names[node.id] if node.is_leaf() else f"[{node.dist:.2f}] {node.get_count()} topics"
            lines.append(text if root else prefix + ("└── " if last else "├── ") + text)
            if not node.is_leaf():
                child = prefix if root else prefix + ("    " if last else "│   ")
                walk(node.get_left(), child, False, False)
                walk(node.get_right(), child, True, False)

        walk(to_tree(h["linkage"]), "", True, True)
        return "\n".join(lines)

    def topics_over_time(
        self,
        timestamps: Sequence[Any],
        labels: Sequence[int] | None = None,
        *,
        bins: int | str | None = None,
        docs: Sequence[str] | None = None,
        n_words: int = 10,
    ) -> list[dict[str, Any]]:
        """Topic counts per period: rows ``{"time", "topic", "count"}`` (+ ``"words"`` with ``docs``).

        ``timestamps``: numbers or datetimes (``datetime``/``date``, numpy ``datetime64``, pandas
        ``Timestamp``; a list, array or Series). ``bins``: ``None`` = every distinct stamp is a period;
        an integer = equal-width bins (``"time"`` is the bin start: a float, or for datetimes a readable
        date such as ``"2004-07-05"``); for datetimes a calendar period ``"year"``, ``"quarter"``,
        ``"month"``, ``"week"``, ``"day"`` or ``"hour"``, labelled ``"2004"``, ``"2004-Q3"``, ``"2004-07"``,
        ``"2004-W27"``, ``"2004-07-05"``, ``"2004-07-05 13:00"`` (labels sort in time order). With ``docs``
        (the documents ``labels`` belong to) each row also gets the topic's top ``n_words`` c-TF-IDF words
        *within that period* (period counts, idf of the whole corpus; BERTopic's ``topics_over_time``);
        the outlier rows (topic -1) get none.
        """
        self._check_fitted("labels_")
        return analysis.topics_over_time(self, timestamps, labels, bins=bins, docs=docs, n_words=n_words)

    def get_document_info(self, docs: Sequence[str], *, embeddings: np.ndarray | None = None) -> Any:
        """A pandas DataFrame, one row per document (BERTopic's columns): Document, Topic, Name, Label,
        Representation (top 10 words), Representative_Docs, Top_n_words, Probability (of the document's most
        probable topic, :meth:`predict_proba`), Representative_document (whether it is one of its topic's
        examples). The index is that of ``docs`` when it is a pandas Series."""
        self._check_fitted("topics_")
        import pandas as pd

        index = _index(docs)
        docs_l, idx = self._nonblank(docs)
        k = len(self.topic_embeddings_)
        topics = np.full(len(docs_l), -1, dtype=np.int64)
        prob = np.zeros(len(docs_l))
        if len(idx) and k:
            X = self._embed(docs_l, idx, embeddings)
            topics[idx] = assign_fitted(self, X)[0]
            prob[idx] = topic_probabilities(self, X).max(axis=1)
        info = {r["id"]: r for r in analysis.topic_info(self)}
        rows = []
        for d, t, p in zip(docs_l, topics.tolist(), prob.tolist()):
            r = info[t]
            examples = [] if t < 0 else list(self.topics_[t].representative_docs)
            rows.append({
                "Document": d, "Topic": t, "Name": r["bertopic_name"], "Label": r["display_label"],
                "Representation": r["words"], "Representative_Docs": examples,
                "Top_n_words": " - ".join(r["words"]), "Probability": p,
                "Representative_document": d[:MAX_DOC_CHARS] in examples,
            })
        return pd.DataFrame(rows, index=index)


def _unit(M: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(M, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return M / n
