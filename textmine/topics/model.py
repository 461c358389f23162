"""TopicModel: embeddings -> discovered groups -> assignment rule -> words (-> LLM labels).

:class:`TopicModel` is the orchestrator: it checks its parameters (:mod:`.params`) and runs the
stages, each a module with a small public API (docs/architecture.md): embedding (:mod:`.embedding`),
discovery (:mod:`.discovery`: reduce + cluster + merge into groups; :mod:`.guided` for seed words and
zero-shot names), assignment (:mod:`.assignment`: centroids, classifier, thresholds -- the one
inference path of ``fit``, ``transform``, ``partial_fit``, ``reduce_topics`` and ``merge_models``),
representation (:mod:`.terms`, :mod:`.represent`: word counts, c-TF-IDF words, representative
documents), analysis (:mod:`.analysis`), streaming (:mod:`.online`), merging (:mod:`.merge`),
persistence (:mod:`.persist`) and labeling (:mod:`.label`). ``labels_`` is the assignment rule applied
to the training embeddings, so ``transform(train_docs)`` gives exactly ``labels_`` in any order or
subset, also after ``save``/``load``.

>>> from textmine import TopicModel
>>> docs = ["the cat sat on the mat", "dogs and cats are pets", "stock markets fell",
...         "shares and bonds rallied", "", "my cat chases the dog"]
>>> tm = TopicModel(n_topics=2, random_state=0).fit(docs)
>>> len(tm.topics_), int(tm.labels_[4])
(2, -1)
>>> bool((tm.transform(docs) == tm.labels_).all())
True
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._base import TextmineEstimator
from .._progress import silent, stage
from .._validation import as_documents, is_blank, is_dask_collection
from ..errors import EmptyCorpusError, InputError
from . import analysis, merge, online, persist
from .assignment import assign, assign_fitted, cosine_similarities, threshold_labels
from .curation import CurationMixin
from .fitting import discover_and_rule
from ..lang import resolve_language
from .embedding import embed_documents, embed_for, embedding_model_of
from .guided import check_zero_shot_topics
from .interop import BertopicMixin
from .views import PlotsMixin
from .params import check_params
from .represent import MAX_DOC_CHARS, represent_topics
from .topic import Topic

__all__ = ["Topic", "TopicModel", "cosine_similarities", "assign", "threshold_labels", "MAX_DOC_CHARS"]

log = logging.getLogger("textmine.topics")


class TopicModel(CurationMixin, BertopicMixin, PlotsMixin, TextmineEstimator):
    """Embedding-based topic model with one deterministic inference path.

    Parameters
    ----------
    n_topics:
        ``"auto"`` (default): discover the number of topics (fine-grained
        HDBSCAN clusters, then clusters whose centroids are more similar than
        ``merge_threshold`` are merged agglomeratively). An integer ``k``: exactly ``k`` topics (discovered clusters
        are merged agglomeratively by centroid similarity; k-means on the
        reduced embeddings when fewer than ``k`` were found).
    embedding_model:
        ``"default"`` (packaged all-MiniLM-L6-v2), a path, or an
        :class:`~textmine.embed.Embedder`. Embeddings are cached on disk.
    reduction:
        ``"umap"`` (default), ``"pca"``, ``"none"`` or an object with ``fit_transform``.
    clustering:
        ``"hdbscan"`` (default), ``"fast_hdbscan"``, ``"kmeans"`` or an object with ``fit_predict``.
    representation:
        ``"ctfidf"`` (default), ``"keybert"``, ``"mmr"`` or a callable (see
        :mod:`textmine.topics.represent`).
    vectorizer:
        a scikit-learn ``CountVectorizer`` for the topic words (default:
        English stop words removed, tokens of 2+ characters starting with a letter).
    min_topic_size:
        HDBSCAN's ``min_cluster_size``; ``"auto"`` = ``max(10, n_docs // 200)``
        (at most ``n_docs // 4`` on small corpora, at least 3).
    merge_threshold:
        with ``n_topics="auto"``: discovered clusters whose centroids have a
        cosine similarity above this are merged. ``None`` keeps every cluster. ``"auto"`` (default): 0.5
        for MiniLM and other models, 0.9856 for multilingual-e5-small and 0.9607 for ``"minilm-static"``
        (the same strictness in each space,
        calibrated on training data: ``textmine.topics.embedding.AUTO_MERGE_THRESHOLD``).
    outliers:
        share of each topic's training documents (the least similar ones) that
        become outliers (-1); the same per-topic similarity threshold then
        applies to new documents. ``0`` = no outliers. ``"hdbscan"`` = use
        the share of documents HDBSCAN left as noise (BERTopic-like).
    outlier_threshold:
        a fixed cosine-similarity threshold for every topic; overrides ``outliers``.
    top_n_words:
        words kept per topic (25, the depth used by the diversity metric).
    reduce_frequent_words:
        square-root the term frequencies in c-TF-IDF (BERTopic's option of the same name), so words
        frequent everywhere ("people", "use") stop topping many topics. On 20 Newsgroups it raised
        diversity from 0.71 to 0.90 and NPMI from 0.373 to 0.399 (see docs/benchmarks.md).
    drop_filler_words:
        leave out of the topic words the words every topic uses at an even rate ("said", "people", "edu";
        :func:`~textmine.topics.terms.filler_mask`; docs/benchmarks/topic_filler.md).
    n_representative_docs:
        example documents kept per topic (diverse, close to the centroid).
    labeler:
        a :class:`~textmine.topics.TopicLabeler` to label topics at the end of ``fit``.
    seed_topics:
        guided topic modeling: a list of seed-word lists, e.g. ``[["rocket", "orbit"], ["goal", "hockey"]]``.
        Documents containing seed words are pulled toward the embedding of their seed list *for the
        discovery stage only* (clustering and centroid merge), so topics about the seeds emerge;
        centroids and assignment stay in the original embedding space. ``None`` (default): unguided.
    zero_shot_topics:
        a list of topic names or descriptions, e.g. ``["Sports", "Business"]``. Documents whose cosine
        similarity to a name's embedding is at least ``zero_shot_min_similarity`` become members of that
        topic (its label is the name; topics that get no documents are dropped); the other documents are
        clustered as usual. With ``n_topics=k``, ``k`` counts the discovered topics only.
    zero_shot_min_similarity:
        the similarity threshold for ``zero_shot_topics`` (0.15: measured for the packaged MiniLM
        model on AG News, whose document-to-name similarities are low; see docs/topics.md).
    assignment:
        how documents (training and new) get their topic, one rule for both:
        ``"classifier"`` (default): a multinomial logistic regression on the embeddings, trained at
        fit time on the discovery labels (HDBSCAN clusters after the merge; documents HDBSCAN left
        as noise take the nearest cluster in the reduced UMAP space). It carries the cluster
        structure UMAP sees to new documents without running UMAP on them: with the same discovery,
        NMI 0.515 -> 0.552 on 20 Newsgroups (mean of four seeds; docs/benchmarks/topic_seeds.md).
        ``"centroid"``: the nearest topic centroid (cosine); needed by :meth:`partial_fit`, whose
        streaming updates move centroids but cannot retrain a classifier.
        Either way a document is an outlier when its similarity to its topic's centroid is below
        the topic's threshold.
    transform_output:
        what ``transform`` / ``fit_transform`` return: ``"labels"`` (default) topic ids, as
        :meth:`predict`; ``"proba"`` the ``(n_docs, n_topics)`` :meth:`predict_proba` matrix, a feature
        matrix for ``make_pipeline(TopicModel(transform_output="proba"), LogisticRegression())``.
    random_state:
        seed for UMAP / k-means; the same seed gives the same topics.
    max_fit_docs:
        a dask collection (:mod:`textmine.scale`, docs/scale.md): topics are discovered on a reproducible
        sample of at most this many documents, then every document is assigned. Ignored for lists.
    verbose:
        print each stage and a timing summary on stderr, under any logging setup (docs/topics.md).
    language:
        ``"en"``, another ISO 639-1 code (``"ko"`` ...) or ``"auto"`` (detected on the corpus; the result is
        ``language_``): the topic words' tokens and stop words, and with ``embedding_model="default"``
        multilingual-e5-small instead of the English-only MiniLM (:mod:`textmine.lang`, docs/multilingual.md).

    Attributes
    ----------
    labels_ : ndarray of int, topic id per training document (-1 = outlier or blank).
    topics_ : list of :class:`Topic`, ordered by id (id 0 is the largest topic).
    topic_embeddings_ : ndarray (n_topics, dim), unit centroids in embedding space.
    thresholds_ : ndarray (n_topics,), per-topic outlier similarity thresholds.
    classifier_coef_, classifier_intercept_ : ndarrays (n_topics, dim) and (n_topics,) of the
        ``assignment="classifier"`` rule; ``None`` when topics are assigned by nearest centroid.
    n_clusters_found_ : number of clusters the clustering stage found before merging.
    centroid_sums_ : ndarray (n_topics, dim), unnormalised sums of the embeddings that define each
        centroid (``topic_embeddings_`` is their normalised value); updated by :meth:`partial_fit`.
    centroid_counts_ : ndarray (n_topics,), number of embeddings in each sum.
    term_counts_ : :class:`~textmine.topics.terms.TermCounts`, word counts per topic (growing vocabulary).
    outlier_texts_, outlier_embeddings_ : outlier documents kept for topic discovery in :meth:`partial_fit`.
    n_new_outliers_ : outliers added to the buffer since the last discovery attempt.
    min_topic_size_ : the minimum topic size used by the discovery stage.
    zero_shot_topics_ : dict topic id -> name, for the topics made from ``zero_shot_topics``.
    n_docs_seen_ : number of documents given to ``fit`` and ``partial_fit`` since the last ``fit``.
    timings_ : dict of seconds per stage.

    Examples
    --------
    >>> from textmine import TopicModel
    >>> docs = ["nasa launched a rocket to orbit", "the shuttle reached orbit", "the team won the game",
    ...         "a great hockey game tonight", "the rocket engine failed", "fans cheered the team"]
    >>> tm = TopicModel(n_topics=2, random_state=42).fit(docs)
    >>> sorted(t.size for t in tm.topics_)
    [3, 3]
    >>> int(tm.transform(["the orbit of the rocket"])[0]) == int(tm.labels_[0])
    True
    """

    def __init__(
        self,
        n_topics: int | str = "auto",
        *,
        embedding_model: Any = "default",
        reduction: Any = "umap",
        clustering: Any = "hdbscan",
        representation: Any = "ctfidf",
        vectorizer: Any = None,
        min_topic_size: int | str = "auto",
        merge_threshold: float | str | None = "auto",
        outliers: float | str = 0.05,
        outlier_threshold: float | None = None,
        top_n_words: int = 25,
        reduce_frequent_words: bool = True,
        drop_filler_words: bool = True,
        n_representative_docs: int = 3,
        labeler: Any = None,
        seed_topics: list[list[str]] | None = None,
        zero_shot_topics: list[str] | None = None,
        zero_shot_min_similarity: float = 0.15,
        assignment: str = "classifier",
        transform_output: str = "labels",
        random_state: int | None = None,
        verbose: bool = False,
        language: str = "en",
        max_fit_docs: int = 50_000,
    ):
        self.n_topics = n_topics
        self.embedding_model = embedding_model
        self.reduction = reduction
        self.clustering = clustering
        self.representation = representation
        self.vectorizer = vectorizer
        self.min_topic_size = min_topic_size
        self.merge_threshold = merge_threshold
        self.outliers = outliers
        self.outlier_threshold = outlier_threshold
        self.top_n_words = top_n_words
        self.reduce_frequent_words = reduce_frequent_words
        self.drop_filler_words = drop_filler_words
        self.n_representative_docs = n_representative_docs
        self.labeler = labeler
        self.seed_topics = seed_topics
        self.zero_shot_topics = zero_shot_topics
        self.zero_shot_min_similarity = zero_shot_min_similarity
        self.assignment = assignment
        self.transform_output = transform_output
        self.random_state = random_state
        self.verbose = verbose
        self.language = language
        self.max_fit_docs = max_fit_docs

    # ------------------------------------------------------------------ fit

    def fit(self, docs: Sequence[str], y: Any = None, *, embeddings: np.ndarray | None = None) -> TopicModel:
        """Discover topics in ``docs`` (a list, or a dask collection: :mod:`textmine.scale`).
        ``embeddings`` (n_docs, dim) skips the embedding stage."""
        if is_dask_collection(docs):
            from ..scale.fit import fit_collection

            return fit_collection(self, docs)
        t_start = time.perf_counter()
        timings: dict[str, float] = {}
        docs = as_documents(docs)
        k, share = check_params(self)
        names = check_zero_shot_topics(self.zero_shot_topics)
        blank = np.array([is_blank(d) for d in docs], dtype=bool)
        idx = np.flatnonzero(~blank)
        if len(idx) == 0:
            raise EmptyCorpusError(f"all {len(docs)} documents are empty or blank: there is nothing to model")
        if k is not None and k > len(idx):
            raise InputError(f"n_topics={k} but the corpus has only {len(idx)} non-empty documents")
        texts = [docs[i] for i in idx]
        self.language_ = resolve_language(self.language, lambda: texts)  # "auto": detected on the corpus
        say = stage if self.verbose else silent  # stage messages on stderr, whatever the logging setup

        t0 = time.perf_counter()
        say(f"TopicModel: embedding {len(idx):,} documents")
        X, self.embedding_model_id_ = embed_documents(embedding_model_of(self), docs, idx, embeddings)
        timings["embed"] = time.perf_counter() - t0
        say(f"TopicModel: finding topics (reduce, cluster, merge) after {timings['embed']:.1f} s of embedding")

        found, keep, mcs = discover_and_rule(self, X, texts, k, share, names, timings)

        # labels_ is literally the transform rule on the training embeddings
        labels, _ = assign_fitted(self, X)
        full = np.full(len(docs), -1, dtype=np.int64)
        full[idx] = labels
        self.labels_ = full

        t0 = time.perf_counter()
        self.n_docs_seen_ = len(docs)
        online.init_state(self, texts, X, labels, found.sums[keep], found.counts[keep])
        self.topics_ = represent_topics(self, texts, X, labels)
        for t, name in self.zero_shot_topics_.items():
            self.topics_[t].label = name
        timings["represent"] = time.perf_counter() - t0
        if self.labeler is not None:
            t0 = time.perf_counter()
            say(f"TopicModel: labelling {len(self.topics_)} topics with the LLM")
            self.label_topics(self.labeler)
            timings["label"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_start
        self.timings_ = timings
        if self.verbose:
            log.info(summary := "TopicModel: %d docs, %d clusters found, %d topics, %.1f%% outliers, timings %s" % (
                len(docs), self.n_clusters_found_, len(self.topics_),
                100 * float((self.labels_ == -1).mean()), {k_: round(v, 2) for k_, v in timings.items()},
            ))
            say(summary)
        return self

    def partial_fit(self, docs: Sequence[str], y: Any = None, *, embeddings: np.ndarray | None = None) -> TopicModel:
        """Update the model with a new batch of documents (streaming corpora).

        The first call (on an unfitted model) is :meth:`fit`. Later calls assign the new
        documents by the one rule, move the centroids (running size-weighted means) and the topic
        words (running c-TF-IDF counts, growing vocabulary), and discover new topics among the
        accumulated outliers once there are at least ``2 * min_topic_size_`` of them (not with an
        integer ``n_topics``). Existing topic ids never change; new topics get the next ids.
        Afterwards ``labels_`` holds the labels of *this batch* under the final centroids, so
        ``transform(batch) == labels_``. See :mod:`textmine.topics.online`.
        """
        return online.partial_fit(self, docs, embeddings)

    # ------------------------------------------------------------------ inference

    def _embed(self, docs: list[str], idx: np.ndarray, embeddings: Any, what: str = "transform") -> np.ndarray:
        """Unit embeddings of the documents ``idx`` for a fitted model (see :func:`.embedding.embed_for`)."""
        return embed_for(self, docs, idx, embeddings, what)

    def transform(self, docs: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """Topic id of each document (-1 = outlier or blank), by the same rule that made ``labels_``;
        with ``transform_output="proba"`` the :meth:`predict_proba` matrix instead. A dask collection gives a
        lazy dask Series of topic ids with its partitions (:mod:`textmine.scale`)."""
        if is_dask_collection(docs):
            from ..scale.fit import transform_collection

            return transform_collection(self, docs)
        if self.transform_output == "proba":
            return self.predict_proba(docs, embeddings=embeddings)
        if self.transform_output != "labels":
            raise InputError(f'transform_output must be "labels" or "proba", got {self.transform_output!r}')
        return self.predict(docs, embeddings=embeddings)

    def fit_transform(self, docs: Sequence[str], y: Any = None, *, embeddings: np.ndarray | None = None) -> np.ndarray:
        if is_dask_collection(docs):  # labels_ holds the sample's labels: the corpus's are transform's (lazy)
            return self.fit(docs).transform(docs)
        self.fit(docs, embeddings=embeddings)
        return self.labels_.copy() if self.transform_output == "labels" else self.transform(docs, embeddings=embeddings)

    def similarities(self, docs: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """Cosine similarity of each document to each topic centroid, shape (n_docs, n_topics); blank rows are 0."""
        self._check_fitted("topic_embeddings_")
        docs = as_documents(docs, allow_empty_corpus=True)
        idx = np.flatnonzero([not is_blank(d) for d in docs])
        out = np.zeros((len(docs), len(self.topic_embeddings_)))
        if len(idx):
            out[idx] = cosine_similarities(self._embed(docs, idx, embeddings, "similarities"), self.topic_embeddings_)
        return out

    # ------------------------------------------------------------------ topic-level operations (see .analysis, .merge)

    @property
    def n_topics_(self) -> int:
        self._check_fitted("topics_")
        return len(self.topics_)

    def get_topic(self, topic_id: int) -> Topic:
        self._check_fitted("topics_")
        if not 0 <= int(topic_id) < len(self.topics_):
            raise InputError(f"no topic {topic_id}; ids run from 0 to {len(self.topics_) - 1}")
        return self.topics_[int(topic_id)]

    def get_topic_info(self, as_frame: bool = True) -> Any:
        """One row per topic plus an outlier row (-1): a pandas DataFrame with BERTopic's columns
        (:func:`.analysis.topic_frame`); ``as_frame=False``: dicts with id, size, name, label, top 10 words."""
        self._check_fitted("topics_")
        return analysis.topic_frame(self) if as_frame else analysis.topic_info(self)

    def find_topics(self, query: str, top_n: int = 5) -> list[tuple[int, float]]:
        """Topics most similar to a free-text query: [(topic id, cosine similarity), ...]."""
        self._check_fitted("topic_embeddings_")
        return analysis.find_topics(self, query, top_n)

    def reduce_topics(self, docs: Sequence[str], n_topics: int, *, embeddings: np.ndarray | None = None) -> TopicModel:
        """Merge the most similar topics (by centroid, size-weighted) until ``n_topics`` remain.

        ``docs`` must be the training documents: their assignment, the
        thresholds, words and ``labels_`` are recomputed with the same rule.
        Labels from a labeler are dropped (call :meth:`label_topics` again).
        """
        self._check_fitted("topic_embeddings_")
        return merge.reduce_topics(self, docs, n_topics, embeddings=embeddings)

    def topics_per_class(self, classes: Sequence[Any], labels: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """Counts of topics within each class: rows ``{"class", "topic", "count", "share"}``.

        ``classes`` has one entry per training document (or per entry of ``labels``).
        """
        self._check_fitted("labels_")
        return analysis.topics_per_class(self, classes, labels)

    # ------------------------------------------------------------------ labels, persistence, report

    def label_topics(self, labeler: Any = None) -> TopicModel:
        """Give every topic a short human-readable label with a :class:`TopicLabeler` (LLM)."""
        self._check_fitted("topics_")
        from .label import TopicLabeler  # the LLM layer is imported only when labels are asked for

        labeler = labeler if labeler is not None else (self.labeler or TopicLabeler())
        if isinstance(labeler, TopicLabeler):  # candidates are scored by this model's own embedding model
            labels = labeler.label(self.topics_, embedding_model=embedding_model_of(self))
        else:
            labels = labeler.label(self.topics_)
        for topic, lab in zip(self.topics_, labels):
            topic.label = lab
        for t, name in getattr(self, "zero_shot_topics_", {}).items():  # zero-shot topics keep their given names
            self.topics_[t].label = name
        return self

    @classmethod
    def merge_models(cls, models: Sequence[TopicModel], min_similarity: float = 0.7) -> TopicModel:
        """Combine fitted models: all topics of the first, plus the topics of each later model whose
        centroid is less similar than ``min_similarity`` to every topic kept before that model
        (BERTopic's ``merge_models``). See :func:`textmine.topics.merge.merge_models`.
        """
        return merge.merge_models(models, min_similarity=min_similarity, model_class=cls)

    def save(self, path: str | os.PathLike[str], force: bool = False) -> None:
        """Save to a directory (JSON + safetensors, sha256-checked, no pickle).

        ``path`` must be new or an empty directory; a directory holding a saved model is replaced
        only with ``force=True``, and any other existing file or directory is never overwritten
        (:class:`~textmine.errors.PersistenceError`).  The model is written next to ``path`` first
        and then swapped in atomically (:mod:`.swap`), so a failed or killed save leaves the earlier model.
        """
        persist.save_model(self, path, force=force)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TopicModel:
        """Load a model written by :meth:`save`; raises :class:`~textmine.errors.PersistenceError` if damaged."""
        return persist.load_model(path, cls)

    def report(self, path: str | os.PathLike[str], **kwargs: Any) -> Any:
        """Write an HTML/markdown report of the topics (``textmine.report.write_topic_report``)."""
        self._check_fitted("topics_")
        from ..report import write_topic_report

        return write_topic_report(self, path, **kwargs)
