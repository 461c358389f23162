"""TopicModel: embeddings -> discovered clusters -> centroid topics -> words (-> LLM labels).

One inference path
------------------
UMAP + HDBSCAN (or any reducer/clusterer) are used only to *discover* topics.
Each topic is then defined by its centroid in the full, L2-normalised
embedding space, and every document -- training or new -- is assigned by the
same deterministic rule:

    topic = argmax_t cos(doc, centroid_t); outlier (-1) if that similarity is
    below the topic's threshold.

``labels_`` is that rule applied to the training embeddings, so
``transform(train_docs)`` gives exactly ``labels_`` in any order or subset,
also after ``save``/``load``. Similarities are computed in float64 with a
fixed summation order (no BLAS), so a document's result does not depend on
which other documents are in the batch.

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
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._base import TextmineEstimator
from .._validation import as_documents, is_blank
from ..embed import get_embedder, l2_normalize
from ..errors import EmptyCorpusError, InputError, TextmineError
from .cluster import make_clusterer
from .guided import check_seed_topics, check_zero_shot_min_similarity, check_zero_shot_topics, nudge
from .online import MAX_OUTLIER_BUFFER, TermCounts, make_analyzer
from .reduce import Identity, make_reducer
from .represent import class_tfidf, ctfidf_idf, make_representation

__all__ = ["Topic", "TopicModel", "cosine_similarities", "assign"]

log = logging.getLogger("textmine.topics")

#: representative documents are stored truncated to this many characters
MAX_DOC_CHARS = 1500


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


# ----------------------------------------------------------------------------- assignment rule


def cosine_similarities(X: np.ndarray, centroids: np.ndarray, *, chunk: int = 4096) -> np.ndarray:
    """``X @ centroids.T`` in float64 with a fixed summation order per element.

    float32 inputs multiply exactly in float64 and the sum runs over the
    dimensions in order, so each row's result is bitwise independent of the
    other rows in the batch (a BLAS GEMM does not guarantee that).
    """
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(centroids, dtype=np.float64)
    n, d = X.shape
    out = np.empty((n, C.shape[0]), dtype=np.float64)
    Ct = np.ascontiguousarray(C.T)  # (d, k)
    for start in range(0, n, chunk):
        Xc = X[start : start + chunk]
        acc = np.zeros((Xc.shape[0], C.shape[0]), dtype=np.float64)
        for j in range(d):
            acc += Xc[:, j : j + 1] * Ct[j]
        out[start : start + chunk] = acc
    return out


def assign(
    X: np.ndarray,
    centroids: np.ndarray,
    thresholds: np.ndarray,
    coef: np.ndarray | None = None,
    intercept: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The one assignment rule. Returns (labels, similarity of each document to its topic's centroid).

    The topic is the nearest centroid, or, when a linear classifier is given (``coef`` (k, dim),
    ``intercept`` (k,)), the class with the highest score ``x @ coef.T + intercept``; the document is
    an outlier (-1) when its cosine similarity to that topic's centroid is below the topic's threshold.
    Both products use :func:`cosine_similarities` (fixed summation order), so a document's label
    never depends on the other documents in the batch.
    """
    if len(X) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    S = cosine_similarities(X, centroids)
    if coef is not None:
        scores = cosine_similarities(X, coef) + np.asarray(intercept, dtype=np.float64)[None, :]
        best = scores.argmax(axis=1)
    else:
        best = S.argmax(axis=1)
    best_sim = S[np.arange(len(X)), best]
    return threshold_labels(best, best_sim, thresholds), best_sim


def threshold_labels(best: np.ndarray, best_sim: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """The outlier half of the rule: topic ``best`` where ``best_sim`` reaches its threshold, else -1."""
    return np.where(best_sim >= thresholds[best], best, -1).astype(np.int64)


def _normalize64(V: np.ndarray) -> np.ndarray:
    V = np.asarray(V, dtype=np.float64)
    norms = np.linalg.norm(V, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return V / norms


def _merge_clusters(
    sums: np.ndarray,
    sizes: np.ndarray,
    *,
    target: int | None,
    threshold: float | None,
    tags: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy agglomerative merge of clusters by centroid cosine similarity.

    Merges the most similar pair until ``target`` clusters remain (if given)
    and no pair is more similar than ``threshold`` (if given).
    ``tags`` (guided topics: the seed list a cluster belongs to, -1 = none): two clusters with
    different tags are never merged by the threshold, and with a ``target`` only after every
    other pair.
    Returns, for each input cluster, the index of the cluster it ends up in.
    """
    m = len(sums)
    owner = np.arange(m)
    if m <= 1:
        return owner
    sums = sums.astype(np.float64).copy()
    sizes = sizes.astype(np.float64).copy()
    tags = None if tags is None else np.asarray(tags, dtype=np.int64).copy()
    C = _normalize64(sums)
    S = C @ C.T
    if tags is not None:
        S = S - _TAG_PENALTY * (tags[:, None] != tags[None, :])
    np.fill_diagonal(S, -np.inf)
    active = np.ones(m, dtype=bool)
    n_active = m
    while n_active > 1:
        flat = int(np.argmax(S))
        i, j = divmod(flat, m)
        best = S[i, j]
        need = target is not None and n_active > target
        want = threshold is not None and best > threshold and (target is None or n_active > target)
        if not (need or want):
            break
        if i > j:
            i, j = j, i
        sums[i] += sums[j]
        sizes[i] += sizes[j]
        active[j] = False
        owner[owner == j] = i
        S[j, :] = -np.inf
        S[:, j] = -np.inf
        C[i] = _normalize64(sums[i])
        row = C[active] @ C[i]
        if tags is not None:
            if tags[i] != tags[j]:
                tags[i] = -1  # a forced merge of two tags: the result belongs to neither
            row = row - _TAG_PENALTY * (tags[active] != tags[i])
        S[i, active] = row
        S[active, i] = row
        S[i, i] = -np.inf
        n_active -= 1
    return owner


def _train_classifier(X: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression (scikit-learn, newton-cg: 1.5 s vs 4.8 s for lbfgs on 20 Newsgroups, same NMI; C=10) of the topic labels ``y`` on the
    embeddings; returns (coef (n_classes, dim), intercept (n_classes,)) in float64, with a row for every
    class id in ``range(n_classes)`` (a class without documents gets a row that never wins)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    present = np.unique(y)
    coef = np.zeros((n_classes, X.shape[1]), dtype=np.float64)
    intercept = np.full(n_classes, -1e6, dtype=np.float64)
    if len(present) < 2:
        intercept[present] = 0.0
        return coef, intercept
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LogisticRegression(C=10.0, solver="newton-cg", max_iter=1000).fit(np.asarray(X, dtype=np.float64), y)
    if len(clf.classes_) == 2:  # binary: one score row w.x + b; class 1 wins where it is > 0
        coef[clf.classes_[0]], intercept[clf.classes_[0]] = 0.0, 0.0
        coef[clf.classes_[1]], intercept[clf.classes_[1]] = clf.coef_[0], clf.intercept_[0]
    else:
        coef[clf.classes_] = clf.coef_
        intercept[clf.classes_] = clf.intercept_
    return coef, intercept


#: subtracted from the similarity of clusters of different seed lists (keeps them apart)
_TAG_PENALTY = 4.0


# ----------------------------------------------------------------------------- the estimator


class TopicModel(TextmineEstimator):
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
        cosine similarity above this are merged. ``None`` keeps every cluster.
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
    random_state:
        seed for UMAP / k-means; the same seed gives the same topics.
    verbose:
        log the stages and their timings (logger ``textmine.topics``).

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
    term_counts_ : :class:`~textmine.topics.online.TermCounts`, word counts per topic (growing vocabulary).
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
        merge_threshold: float | None = 0.5,
        outliers: float | str = 0.05,
        outlier_threshold: float | None = None,
        top_n_words: int = 25,
        reduce_frequent_words: bool = True,
        n_representative_docs: int = 3,
        labeler: Any = None,
        seed_topics: list[list[str]] | None = None,
        zero_shot_topics: list[str] | None = None,
        zero_shot_min_similarity: float = 0.15,
        assignment: str = "classifier",
        random_state: int | None = None,
        verbose: bool = False,
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
        self.n_representative_docs = n_representative_docs
        self.labeler = labeler
        self.seed_topics = seed_topics
        self.zero_shot_topics = zero_shot_topics
        self.zero_shot_min_similarity = zero_shot_min_similarity
        self.assignment = assignment
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ validation helpers

    def _target_k(self) -> int | None:
        k = self.n_topics
        if isinstance(k, str):
            if k != "auto":
                raise InputError(f'n_topics must be "auto" or an integer >= 1, got {k!r}')
            return None
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f'n_topics must be "auto" or an integer >= 1, got {k!r}')
        return int(k)

    def _min_size(self, n: int) -> int:
        m = self.min_topic_size
        if m == "auto":
            # 0.5% of the corpus (tuned on the 20 Newsgroups train split, benchmarks/tune_topics.py),
            # at least 10; small corpora: room for at least 4 clusters
            return max(3, min(max(10, n // 200), n // 4))
        if isinstance(m, (bool, np.bool_)) or not isinstance(m, (int, np.integer)) or m < 2:
            raise InputError(f'min_topic_size must be "auto" or an integer >= 2, got {m!r}')
        return int(m)

    def _outlier_share(self) -> float | str:
        o = self.outliers
        if isinstance(o, str):
            if o != "hdbscan":
                raise InputError(f'outliers must be a share in [0, 1) or "hdbscan", got {o!r}')
            return o
        if isinstance(o, bool) or not isinstance(o, (int, float, np.floating)) or not 0 <= float(o) < 1:
            raise InputError(f'outliers must be a share in [0, 1) or "hdbscan", got {o!r}')
        return float(o)

    def _embedder(self) -> Any:
        return get_embedder(self.embedding_model)

    def _embed(self, docs: list[str], idx: np.ndarray, embeddings: Any, *, fitting: bool) -> np.ndarray:
        if embeddings is not None:
            E = np.asarray(embeddings)
            if E.ndim != 2 or E.shape[0] != len(docs):
                raise InputError(
                    f"embeddings must have shape (n_docs, dim) = ({len(docs)}, dim), got {E.shape}"
                )
            if not np.issubdtype(E.dtype, np.number) or not np.isfinite(E).all():
                raise InputError("embeddings must be a finite numeric matrix")
            X = l2_normalize(E[idx])
            model_id = getattr(self, "embedding_model_id_", None) if not fitting else "precomputed"
        else:
            try:
                emb = self._embedder()
            except TextmineError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise InputError(f"could not load embedding model {self.embedding_model!r}: {exc}") from None
            X = l2_normalize(emb.encode([docs[i] for i in idx])) if len(idx) else np.zeros((0, emb.dim), np.float32)
            model_id = emb.model_id
        if not fitting and X.shape[1] != self.topic_embeddings_.shape[1]:
            raise InputError(
                f"embeddings have dimension {X.shape[1]} but the model was fitted with {self.topic_embeddings_.shape[1]}"
            )
        if fitting:
            self.embedding_model_id_ = model_id
        return X

    # ------------------------------------------------------------------ fit

    def _check_params(self) -> tuple[int | None, float | str]:
        """Validate the parameters fit and partial_fit use; returns (target k, outlier share)."""
        k = self._target_k()
        share = self._outlier_share()
        for name in ("top_n_words", "n_representative_docs"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise InputError(f"{name} must be an integer >= 0, got {v!r}")
        for name in ("outlier_threshold", "merge_threshold"):
            v = getattr(self, name)
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, (int, float, np.floating)) or not -1 <= v <= 1
            ):
                raise InputError(f"{name} must be a cosine similarity in [-1, 1] or None, got {v!r}")
        rs = self.random_state
        if rs is not None and not isinstance(rs, np.random.RandomState) and (
            isinstance(rs, bool) or not isinstance(rs, (int, np.integer)) or not 0 <= rs < 2**32
        ):
            raise InputError(f"random_state must be None or an integer in [0, 2**32), got {rs!r}")
        check_seed_topics(self.seed_topics)
        check_zero_shot_topics(self.zero_shot_topics)
        check_zero_shot_min_similarity(self.zero_shot_min_similarity)
        if self.assignment not in ("classifier", "centroid"):
            raise InputError(f'assignment must be "classifier" or "centroid", got {self.assignment!r}')
        return k, share

    def fit(self, docs: Sequence[str], y: Any = None, *, embeddings: np.ndarray | None = None) -> TopicModel:
        """Discover topics in ``docs``. ``embeddings`` (n_docs, dim) skips the embedding stage."""
        t_start = time.perf_counter()
        timings: dict[str, float] = {}
        docs = as_documents(docs)
        k, share = self._check_params()
        names = check_zero_shot_topics(self.zero_shot_topics)
        blank = np.array([is_blank(d) for d in docs], dtype=bool)
        idx = np.flatnonzero(~blank)
        if len(idx) == 0:
            raise EmptyCorpusError(f"all {len(docs)} documents are empty or blank: there is nothing to model")
        if k is not None and k > len(idx):
            raise InputError(f"n_topics={k} but the corpus has only {len(idx)} non-empty documents")
        texts = [docs[i] for i in idx]

        t0 = time.perf_counter()
        X = self._embed(docs, idx, embeddings, fitting=True)
        timings["embed"] = time.perf_counter() - t0

        # zero-shot topics: documents similar enough to a given name belong to it
        t0 = time.perf_counter()
        zs_member = np.full(len(X), -1, dtype=np.int64)
        if names:
            Z = self._embed_texts(names, what="zero_shot_topics", dim=X.shape[1])
            S = cosine_similarities(X, Z)
            best = S.argmax(axis=1)
            zs_member = np.where(S[np.arange(len(X)), best] >= float(self.zero_shot_min_similarity), best, -1)
        rest = np.flatnonzero(zs_member < 0)

        # discovery on the other documents
        mcs = self._min_size(len(X))
        dim = X.shape[1]
        if len(rest):
            k_rest = None if k is None else min(k, len(rest))
            group, gsums, gcounts, n_found, noise_share = self._discover_groups(
                X[rest], [texts[i] for i in rest], k_rest, mcs, fill_noise=True
            )
        else:
            group = np.zeros(0, dtype=np.int64)
            gsums, gcounts, n_found, noise_share = np.zeros((0, dim)), np.zeros(0, np.int64), 0, 0.0
        timings["discover"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        self.n_clusters_found_ = int(n_found)
        zs_ids = [z for z in range(len(names or [])) if (zs_member == z).any()]
        if names and len(zs_ids) < len(names):
            log.info("zero-shot topics with no document above the similarity threshold (dropped): %s",
                     [names[z] for z in range(len(names)) if z not in zs_ids])
        zs_sums = [X[zs_member == z].astype(np.float64).sum(axis=0) for z in zs_ids]
        sums = np.vstack([np.asarray(zs_sums, dtype=np.float64).reshape(-1, dim), gsums]) if zs_ids else gsums
        def_counts = np.concatenate([[int((zs_member == z).sum()) for z in zs_ids], gcounts]).astype(np.int64)
        topic_name = [names[z] for z in zs_ids] + [None] * len(gsums)
        centroids = _normalize64(sums)

        # the classifier learns the discovery labels of every document (zero-shot topics first)
        coef = intercept = None
        if self.assignment == "classifier" and len(centroids) >= 2:
            teach = np.empty(len(X), dtype=np.int64)
            zs_pos = {z: i for i, z in enumerate(zs_ids)}
            for i in np.flatnonzero(zs_member >= 0):
                teach[i] = zs_pos[int(zs_member[i])]
            teach[rest] = len(zs_ids) + group
            coef, intercept = _train_classifier(X, teach, len(centroids))

        # thresholds from the assignment of the training docs
        no_threshold = np.full(len(centroids), -np.inf)
        near, best_sim = assign(X, centroids, no_threshold, coef, intercept)
        if share == "hdbscan":
            share = float(noise_share)
        thresholds = self._thresholds(near, best_sim, len(centroids), share)
        if self.outlier_threshold is not None:
            thresholds = np.full(len(centroids), float(self.outlier_threshold))
        labels = threshold_labels(near, best_sim, thresholds)  # the rule, without recomputing

        # drop topics nobody is assigned to (cannot change anyone's argmax), order by size
        counts = np.bincount(labels[labels >= 0], minlength=len(centroids))
        nearest = np.bincount(near, minlength=len(centroids))
        keep = [t for t in np.argsort(-counts, kind="stable")
                if nearest[t] > 0 or (k is not None and topic_name[t] is None)]
        self.topic_embeddings_ = centroids[keep]
        self.thresholds_ = thresholds[keep]
        self.classifier_coef_ = None if coef is None else coef[keep]
        self.classifier_intercept_ = None if intercept is None else intercept[keep]
        self.noise_share_ = float(noise_share)
        self.outlier_share_ = float(share)
        self.zero_shot_topics_ = {i: topic_name[t] for i, t in enumerate(keep) if topic_name[t] is not None}
        timings["assign"] = time.perf_counter() - t0

        # labels_ is literally the transform rule on the training embeddings
        labels, _ = self._assign(X)
        full = np.full(len(docs), -1, dtype=np.int64)
        full[idx] = labels
        self.labels_ = full

        t0 = time.perf_counter()
        self.min_topic_size_ = int(mcs)
        self.n_docs_seen_ = len(docs)
        self._init_incremental_state(texts, X, labels, sums[keep], def_counts[keep])
        self.topics_ = self._represent(texts, X, labels)
        for t, name in self.zero_shot_topics_.items():
            self.topics_[t].label = name
        timings["represent"] = time.perf_counter() - t0
        if self.labeler is not None:
            t0 = time.perf_counter()
            self.label_topics(self.labeler)
            timings["label"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_start
        self.timings_ = timings
        if self.verbose:
            log.info(
                "TopicModel: %d docs, %d clusters found, %d topics, %.1f%% outliers, timings %s",
                len(docs), self.n_clusters_found_, len(self.topics_),
                100 * float((self.labels_ == -1).mean()), {k_: round(v, 2) for k_, v in timings.items()},
            )
        return self

    def _assign(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The fitted model's rule (see :func:`assign`)."""
        return assign(
            X, self.topic_embeddings_, self.thresholds_,
            getattr(self, "classifier_coef_", None), getattr(self, "classifier_intercept_", None),
        )

    def _init_incremental_state(
        self, texts: list[str], X: np.ndarray, labels: np.ndarray, sums: np.ndarray, counts: np.ndarray
    ) -> None:
        """Running centroid sums, word counts per topic and the outlier buffer, from a full fit."""
        self.centroid_sums_ = np.asarray(sums, dtype=np.float64).reshape(len(self.topic_embeddings_), X.shape[1])
        self.centroid_counts_ = np.asarray(counts, dtype=np.int64)
        _, analyzer = make_analyzer(self.vectorizer, len(texts))
        tc = TermCounts(len(self.topic_embeddings_))
        D = tc.add_docs(texts, analyzer)
        tc.add_to_topics(labels, D)
        self.term_counts_ = tc
        out = np.flatnonzero(labels < 0)[-MAX_OUTLIER_BUFFER:]
        self.outlier_texts_ = [texts[i] for i in out]
        self.outlier_embeddings_ = np.asarray(X[out], dtype=np.float32).reshape(len(out), X.shape[1])
        self.n_new_outliers_ = 0

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
        from .online import partial_fit

        return partial_fit(self, docs, embeddings)

    @staticmethod
    def _thresholds(near: np.ndarray, best_sim: np.ndarray, n_topics: int, share: float) -> np.ndarray:
        """Per-topic threshold: the ``share`` quantile of its members' similarities, placed between two docs."""
        thr = np.full(n_topics, -np.inf)
        if share <= 0:
            return thr
        for t in range(n_topics):
            s = np.sort(best_sim[near == t])
            m = int(np.floor(share * len(s)))
            if m <= 0 or m >= len(s):
                continue
            thr[t] = (s[m - 1] + s[m]) / 2.0 if s[m] > s[m - 1] else s[m]
        return thr

    def _embed_texts(self, texts: list[str], *, what: str, dim: int) -> np.ndarray:
        """Unit embeddings of seed lists / topic names with the model's embedder (float64)."""
        try:
            E = self._embedder().encode(list(texts))
        except TextmineError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"could not embed {what} with {self.embedding_model!r}: {exc}") from None
        E = _normalize64(E)
        if E.shape[1] != dim:
            raise InputError(
                f"{what} were embedded with dimension {E.shape[1]} but the documents have dimension {dim}: "
                "pass the embedding_model that made the precomputed embeddings"
            )
        return E

    def _discover_groups(
        self,
        X: np.ndarray,
        texts: list[str],
        k: int | None,
        mcs: int,
        *,
        allow_no_clusters: bool = False,
        fill_noise: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, float]:
        """The discovery stage: (seed-nudged) clustering, then the centroid merge.

        Returns the group of each document (-1 = noise; with ``fill_noise`` a noise document gets
        the group whose mean is nearest in the reduced space), the sums of the *original* embeddings of
        each group's documents (float64), the groups' sizes, the number of clusters found before
        merging and the noise share.
        """
        seeds = check_seed_topics(self.seed_topics)
        Xd, seed_of = X, None
        if seeds:
            E = self._embed_texts([" ".join(s) for s in seeds], what="seed_topics", dim=X.shape[1])
            Xd, seed_of = nudge(X, texts, seeds, E)
        raw, noise_share, Y = self._discover(Xd, k, mcs=mcs, allow_no_clusters=allow_no_clusters, return_reduced=True)
        cluster_ids = np.unique(raw[raw >= 0])
        dim = X.shape[1]
        if len(cluster_ids) == 0:
            return np.full(len(X), -1, dtype=np.int64), np.zeros((0, dim)), np.zeros(0, np.int64), 0, noise_share
        sums = np.stack([X[raw == c].astype(np.float64).sum(axis=0) for c in cluster_ids])
        sizes = np.array([(raw == c).sum() for c in cluster_ids])
        # the merge belongs to discovery: it sees the nudged embeddings, and clusters of
        # different seed lists (at least half of their documents) are kept apart
        tags = None
        msums = sums
        if seed_of is not None:
            msums = np.stack([Xd[raw == c].astype(np.float64).sum(axis=0) for c in cluster_ids])
            tags = np.full(len(cluster_ids), -1, dtype=np.int64)
            for i, c in enumerate(cluster_ids):
                hits = np.bincount(seed_of[(raw == c) & (seed_of >= 0)], minlength=len(seeds))
                if hits.max() * 2 >= sizes[i]:
                    tags[i] = int(hits.argmax())
        if k is not None:
            owner = _merge_clusters(msums, sizes, target=k, threshold=None, tags=tags)
        else:
            owner = _merge_clusters(msums, sizes, target=None, threshold=self.merge_threshold, tags=tags)
        groups = np.unique(owner)
        gsums = np.stack([sums[owner == g].sum(axis=0) for g in groups])
        gsizes = np.array([int(sizes[owner == g].sum()) for g in groups], dtype=np.int64)
        pos = {int(c): i for i, c in enumerate(cluster_ids)}
        gpos = {int(g): i for i, g in enumerate(groups)}
        group = np.array([gpos[int(owner[pos[int(r)]])] if r >= 0 else -1 for r in raw], dtype=np.int64)
        if fill_noise and (group < 0).any():
            Y = np.asarray(Y, dtype=np.float64)
            means = np.stack([Y[group == g].mean(axis=0) for g in range(len(groups))])
            noise = np.flatnonzero(group < 0)
            d2 = ((Y[noise, None, :] - means[None, :, :]) ** 2).sum(axis=-1)
            group = group.copy()
            group[noise] = d2.argmin(axis=1)
        return group, gsums, gsizes, len(cluster_ids), noise_share

    def _discover(
        self,
        X: np.ndarray,
        k: int | None,
        *,
        mcs: int | None = None,
        allow_no_clusters: bool = False,
        return_reduced: bool = False,
    ) -> Any:
        """Cluster labels of the training embeddings (-1 = noise) and the noise share
        (and the reduced embeddings the clustering saw, with ``return_reduced``).

        ``allow_no_clusters`` (used on outlier buffers): return all-noise instead of one cluster
        when the clustering finds nothing.
        """
        out = self._discover_reduced(X, k, mcs=mcs, allow_no_clusters=allow_no_clusters)
        return out if return_reduced else out[:2]

    def _discover_reduced(
        self, X: np.ndarray, k: int | None, *, mcs: int | None, allow_no_clusters: bool
    ) -> tuple[np.ndarray, float, np.ndarray]:
        n = len(X)
        if n == 1 or k == 1:
            return np.zeros(n, dtype=np.int64), 0.0, X
        if mcs is None:
            mcs = self._min_size(n)
        clustering = self.clustering
        is_kmeans = isinstance(clustering, str) and clustering.lower() == "kmeans"
        if is_kmeans and k is None:
            raise InputError('clustering="kmeans" needs an integer n_topics')
        if not is_kmeans and n < 2 * mcs:
            # too few documents for density clustering
            if k is None:
                return np.zeros(n, dtype=np.int64), 0.0, X
            return self._kmeans(X, k), 0.0, X
        reducer = make_reducer(self.reduction, n_samples=n, n_features=X.shape[1], random_state=self.random_state)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Y = np.asarray(reducer.fit_transform(X))
        except TextmineError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. UMAP on degenerate data (all duplicates)
            log.warning("reduction %r failed (%s); clustering the embeddings directly", reducer, exc)
            Y = Identity().fit_transform(X)
        if is_kmeans:
            return self._kmeans(Y, k), 0.0, Y
        clusterer = make_clusterer(clustering, min_cluster_size=mcs, n_clusters=k, random_state=self.random_state)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raw = np.asarray(clusterer.fit_predict(Y), dtype=np.int64)
        except TextmineError:
            raise
        except Exception as exc:  # noqa: BLE001
            log.warning("clustering %r failed (%s); using a single cluster", clusterer, exc)
            if allow_no_clusters:
                return np.full(n, -1, dtype=np.int64), 1.0, Y
            raw = np.zeros(n, dtype=np.int64)
        noise = float((raw < 0).mean())
        n_found = len(np.unique(raw[raw >= 0]))
        if n_found == 0:
            if allow_no_clusters:
                return raw, noise, Y
            raw = np.zeros(n, dtype=np.int64)
            n_found = 1
        if k is not None and n_found < k:
            raw = self._kmeans(Y, k)
        return raw, noise, Y

    def _kmeans(self, Y: np.ndarray, k: int) -> np.ndarray:
        from sklearn.cluster import KMeans

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rs = 0 if self.random_state is None else self.random_state
            return KMeans(n_clusters=k, n_init=10, random_state=rs).fit_predict(Y).astype(np.int64)

    # ------------------------------------------------------------------ representation

    def _embed_words(self, words: Sequence[str]) -> np.ndarray:
        return _normalize64(self._embedder().encode(list(words)))

    def _topic_words(self) -> dict[int, list[tuple[str, float]]]:
        """Topic words from the running word counts: c-TF-IDF candidates, then the representation."""
        n_topics = len(self.topic_embeddings_)
        tc: TermCounts = self.term_counts_
        candidates = tc.candidates(self.vectorizer, n_candidates=max(30, self.top_n_words),
                                   reduce_frequent_words=self.reduce_frequent_words)
        if not any(candidates.values()):
            return {t: [] for t in range(n_topics)}
        rep = make_representation(self.representation)
        cents = {t: self.topic_embeddings_[t] for t in range(n_topics)}
        return rep(candidates, cents, self._embed_words, self.top_n_words)

    def _represent(self, texts: list[str], X: np.ndarray, labels: np.ndarray) -> list[Topic]:
        """Topics (words from ``term_counts_``, representative documents) for the non-empty training docs."""
        n_topics = len(self.topic_embeddings_)
        words = self._topic_words() if (labels >= 0).any() and n_topics else {}
        topics = []
        for t in range(n_topics):
            members = np.flatnonzero(labels == t)
            rep_docs = self._representative_docs(texts, X, members, t)
            topics.append(
                Topic(id=t, size=int(len(members)), words=list(words.get(t, []))[: self.top_n_words],
                      representative_docs=rep_docs)
            )
        return topics

    def _representative_docs(self, texts: list[str], X: np.ndarray, members: np.ndarray, t: int) -> list[str]:
        n_rep = self.n_representative_docs
        if n_rep == 0 or len(members) == 0:
            return []
        sims = cosine_similarities(X[members], self.topic_embeddings_[t : t + 1])[:, 0]
        cand = members[np.argsort(-sims, kind="stable")[: max(10, 3 * n_rep)]]
        E = _normalize64(X[cand])
        rel = E @ self.topic_embeddings_[t]
        chosen = [0]
        seen = {texts[cand[0]].strip()}
        while len(chosen) < min(n_rep, len(cand)):
            red = (E @ E[chosen].T).max(axis=1)
            score = 0.5 * rel - 0.5 * red
            score[chosen] = -np.inf
            for j in range(len(cand)):  # exact duplicates are never shown twice
                if texts[cand[j]].strip() in seen:
                    score[j] = -np.inf
            j = int(np.argmax(score))
            if not np.isfinite(score[j]):
                break
            chosen.append(j)
            seen.add(texts[cand[j]].strip())
        return [texts[cand[j]][:MAX_DOC_CHARS] for j in chosen]

    # ------------------------------------------------------------------ inference

    def transform(self, docs: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """Topic id of each document (-1 = outlier or blank), by the same rule that made ``labels_``."""
        self._check_fitted("topic_embeddings_")
        docs = as_documents(docs, allow_empty_corpus=True)
        blank = np.array([is_blank(d) for d in docs], dtype=bool)
        idx = np.flatnonzero(~blank)
        out = np.full(len(docs), -1, dtype=np.int64)
        if len(idx) == 0 or len(self.topic_embeddings_) == 0:
            if embeddings is not None:
                self._embed(docs, idx, embeddings, fitting=False)
            return out
        X = self._embed(docs, idx, embeddings, fitting=False)
        labels, _ = self._assign(X)
        out[idx] = labels
        return out

    def fit_transform(self, docs: Sequence[str], y: Any = None, *, embeddings: np.ndarray | None = None) -> np.ndarray:
        return self.fit(docs, embeddings=embeddings).labels_.copy()

    def similarities(self, docs: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """Cosine similarity of each document to each topic centroid, shape (n_docs, n_topics); blank rows are 0."""
        self._check_fitted("topic_embeddings_")
        docs = as_documents(docs, allow_empty_corpus=True)
        idx = np.flatnonzero([not is_blank(d) for d in docs])
        out = np.zeros((len(docs), len(self.topic_embeddings_)))
        if len(idx):
            out[idx] = cosine_similarities(self._embed(docs, idx, embeddings, fitting=False), self.topic_embeddings_)
        return out

    # ------------------------------------------------------------------ topic-level operations

    @property
    def n_topics_(self) -> int:
        self._check_fitted("topics_")
        return len(self.topics_)

    def get_topic(self, topic_id: int) -> Topic:
        self._check_fitted("topics_")
        if not 0 <= int(topic_id) < len(self.topics_):
            raise InputError(f"no topic {topic_id}; ids run from 0 to {len(self.topics_) - 1}")
        return self.topics_[int(topic_id)]

    def get_topic_info(self) -> list[dict[str, Any]]:
        """One row per topic: id, size, name, label, top 10 words (plus an outlier row with id -1)."""
        self._check_fitted("topics_")
        rows = [{"id": -1, "size": int((self.labels_ == -1).sum()), "name": "outliers", "label": None, "words": []}]
        for t in self.topics_:
            rows.append({"id": t.id, "size": t.size, "name": t.name, "label": t.label, "words": t.top_words(10)})
        return rows

    def find_topics(self, query: str, top_n: int = 5) -> list[tuple[int, float]]:
        """Topics most similar to a free-text query: [(topic id, cosine similarity), ...]."""
        self._check_fitted("topic_embeddings_")
        if not isinstance(query, str) or is_blank(query):
            raise InputError("query must be a non-empty str")
        q = l2_normalize(self._embedder().encode([query]))
        sims = cosine_similarities(q, self.topic_embeddings_)[0]
        order = np.argsort(-sims, kind="stable")[: max(0, int(top_n))]
        return [(int(t), float(sims[t])) for t in order]

    def reduce_topics(
        self, docs: Sequence[str], n_topics: int, *, embeddings: np.ndarray | None = None
    ) -> TopicModel:
        """Merge the most similar topics (by centroid, size-weighted) until ``n_topics`` remain.

        ``docs`` must be the training documents: their assignment, the
        thresholds, words and ``labels_`` are recomputed with the same rule.
        Labels from a labeler are dropped (call :meth:`label_topics` again).
        """
        self._check_fitted("topic_embeddings_")
        docs = as_documents(docs)
        if len(docs) != len(self.labels_):
            raise InputError(f"reduce_topics needs the {len(self.labels_)} training documents, got {len(docs)}")
        if isinstance(n_topics, bool) or not isinstance(n_topics, (int, np.integer)) or n_topics < 1:
            raise InputError(f"n_topics must be an integer >= 1, got {n_topics!r}")
        if n_topics >= len(self.topics_):
            return self
        idx = np.flatnonzero([not is_blank(d) for d in docs])
        X = self._embed(docs, idx, embeddings, fitting=False)
        sizes = np.array([max(t.size, 1) for t in self.topics_], dtype=np.float64)
        sums = self.topic_embeddings_ * sizes[:, None]
        owner = _merge_clusters(sums, sizes, target=int(n_topics), threshold=None)
        groups = np.unique(owner)
        centroids = _normalize64(np.stack([sums[owner == g].sum(axis=0) for g in groups]))
        coef = intercept = None
        if getattr(self, "classifier_coef_", None) is not None:
            # the classifier learns the merged topics of its own current (outlier-free) assignment
            old_near, _ = assign(X, self.topic_embeddings_, np.full(len(self.topics_), -np.inf),
                                 self.classifier_coef_, self.classifier_intercept_)
            new_of_old = np.searchsorted(groups, owner)
            coef, intercept = _train_classifier(X, new_of_old[old_near], len(centroids))
        near, best_sim = assign(X, centroids, np.full(len(centroids), -np.inf), coef, intercept)
        thresholds = self._thresholds(near, best_sim, len(centroids), self.outlier_share_)
        if self.outlier_threshold is not None:
            thresholds = np.full(len(centroids), float(self.outlier_threshold))
        labels = threshold_labels(near, best_sim, thresholds)  # the rule, without recomputing
        counts = np.bincount(labels[labels >= 0], minlength=len(centroids))
        keep = list(np.argsort(-counts, kind="stable"))
        # a merged topic keeps the name of its largest zero-shot member
        zs = getattr(self, "zero_shot_topics_", {})
        names = {}
        for new_id, g in enumerate(groups[keep]):
            members = [t for t in np.flatnonzero(owner == g) if int(t) in zs]
            if members:
                names[new_id] = zs[int(max(members, key=lambda t: (sizes[t], -t)))]
        self.topic_embeddings_ = centroids[keep]
        self.thresholds_ = thresholds[keep]
        self.classifier_coef_ = None if coef is None else coef[keep]
        self.classifier_intercept_ = None if intercept is None else intercept[keep]
        self.zero_shot_topics_ = names
        labels, _ = self._assign(X)
        full = np.full(len(docs), -1, dtype=np.int64)
        full[idx] = labels
        self.labels_ = full
        texts = [docs[i] for i in idx]
        group_sums = np.stack([sums[owner == g].sum(axis=0) for g in groups])
        group_sizes = np.array([int(sizes[owner == g].sum()) for g in groups], dtype=np.int64)
        self._init_incremental_state(texts, X, labels, group_sums[keep], group_sizes[keep])
        self.topics_ = self._represent(texts, X, labels)
        for t, name in names.items():
            self.topics_[t].label = name
        return self

    def hierarchy(self, method: str = "average") -> dict[str, Any]:
        """Hierarchical clustering of the topic centroids (scipy linkage, cosine distance).

        Returns ``{"linkage": (n_topics-1, 4) array, "labels": [topic names]}``, ready for
        ``scipy.cluster.hierarchy.dendrogram(linkage, labels=labels)``.
        """
        self._check_fitted("topic_embeddings_")
        from scipy.cluster.hierarchy import linkage

        if len(self.topics_) < 2:
            raise InputError("a hierarchy needs at least two topics")
        Z = linkage(self.topic_embeddings_, method=method, metric="cosine")
        return {"linkage": Z, "labels": [t.name for t in self.topics_]}

    def topics_per_class(self, classes: Sequence[Any], labels: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """Counts of topics within each class: rows ``{"class", "topic", "count", "share"}``.

        ``classes`` has one entry per training document (or per entry of ``labels``).
        """
        self._check_fitted("labels_")
        lab = np.asarray(self.labels_ if labels is None else labels)
        classes = list(classes)
        if len(classes) != len(lab):
            raise InputError(f"classes has {len(classes)} entries but there are {len(lab)} documents")
        rows = []
        for c in sorted(set(classes), key=str):
            mask = np.array([x == c for x in classes])
            ids, cnt = np.unique(lab[mask], return_counts=True)
            for t, n in sorted(zip(ids.tolist(), cnt.tolist()), key=lambda p: (-p[1], p[0])):
                rows.append({"class": c, "topic": int(t), "count": int(n), "share": n / int(mask.sum())})
        return rows

    def topics_over_time(
        self,
        timestamps: Sequence[Any],
        labels: Sequence[int] | None = None,
        *,
        bins: int | None = None,
        docs: Sequence[str] | None = None,
        n_words: int = 10,
    ) -> list[dict[str, Any]]:
        """Topic counts per time stamp (or per equal-width bin of numeric stamps when ``bins`` is given).

        Rows ``{"time", "topic", "count"}``. With ``docs`` (the training documents, or the documents
        ``labels`` belong to) every row also gets ``"words"``: the topic's top ``n_words`` c-TF-IDF
        words *within that period* -- the counts of the period's documents of the topic, weighted by
        the idf of the whole corpus (BERTopic's ``topics_over_time`` without its tuning options).
        The outlier rows (topic -1) get no words.
        """
        self._check_fitted("labels_")
        lab = np.asarray(self.labels_ if labels is None else labels)
        if isinstance(timestamps, (str, bytes)) or not isinstance(timestamps, Iterable):
            raise InputError(f"timestamps must be a sequence with one entry per document, got {type(timestamps).__name__}")
        ts = list(timestamps)
        if len(ts) != len(lab):
            raise InputError(f"timestamps has {len(ts)} entries but there are {len(lab)} documents")
        if bins is not None:
            if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
                raise InputError(f"bins must be an integer >= 1 or None, got {bins!r}")
            try:
                v = np.asarray(ts, dtype=float)
            except (TypeError, ValueError):
                raise InputError("bins needs numeric timestamps") from None
            if len(v) and not np.isfinite(v).all():
                raise InputError("timestamps must be finite numbers when bins is given")
            if len(v):
                edges = np.linspace(v.min(), v.max(), int(bins) + 1)
                which = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, int(bins) - 1)
                ts = [float(edges[b]) for b in which]
        words_of: dict[tuple[Any, int], list[str]] = {}
        if docs is not None:
            docs = as_documents(docs, allow_empty_corpus=True)
            if len(docs) != len(lab):
                raise InputError(f"docs has {len(docs)} entries but there are {len(lab)} documents")
            if isinstance(n_words, bool) or not isinstance(n_words, (int, np.integer)) or n_words < 1:
                raise InputError(f"n_words must be an integer >= 1, got {n_words!r}")
            words_of = self._period_words(docs, lab, ts, int(n_words))
        try:
            periods = sorted(set(ts))
        except TypeError:
            raise InputError("timestamps must be comparable with each other (all numbers, all dates, ...)") from None
        rows = []
        for tval in periods:
            mask = np.array([x == tval for x in ts])
            ids, cnt = np.unique(lab[mask], return_counts=True)
            for t, n in zip(ids.tolist(), cnt.tolist()):
                row = {"time": tval, "topic": int(t), "count": int(n)}
                if docs is not None:
                    row["words"] = words_of.get((tval, int(t)), [])
                rows.append(row)
        return rows

    def _period_words(
        self, docs: list[str], lab: np.ndarray, ts: list[Any], n_words: int
    ) -> dict[tuple[Any, int], list[str]]:
        """Top c-TF-IDF words of each (period, topic): period counts, idf of the whole corpus."""
        from .online import vocabulary_mask

        n_topics = len(self.topic_embeddings_)
        keep = np.flatnonzero([not is_blank(d) and 0 <= int(t) < n_topics for d, t in zip(docs, lab)])
        nonblank = sum(1 for d in docs if not is_blank(d))
        if len(keep) == 0:
            return {}
        vec, analyzer = make_analyzer(self.vectorizer, nonblank)
        tc = TermCounts(n_topics)
        # document frequencies over all non-empty documents, as at fit time
        tc.add_docs([d for d in docs if not is_blank(d)], analyzer)
        D = tc.doc_term([docs[i] for i in keep], analyzer, grow=False)
        cols = np.flatnonzero(vocabulary_mask(vec, tc.words, tc.df, tc.tf, tc.n_docs))
        if len(cols) == 0:
            return {}
        D = sp.csr_matrix(D[:, cols])
        vocab = np.asarray(tc.words, dtype=object)[cols]
        t_of = lab[keep].astype(np.int64)
        M = sp.csr_matrix((np.ones(len(keep)), (t_of, np.arange(len(keep)))), shape=(n_topics, len(keep)))
        idf = ctfidf_idf(M @ D)
        period = [ts[i] for i in keep]
        out: dict[tuple[Any, int], list[str]] = {}
        for tval in set(period):
            rows = np.flatnonzero([p == tval for p in period])
            P = sp.csr_matrix(
                (np.ones(len(rows)), (t_of[rows], np.arange(len(rows)))), shape=(n_topics, len(rows))
            ) @ D[rows]
            ct = class_tfidf(P, reduce_frequent_words=self.reduce_frequent_words, idf=idf)
            for t in np.unique(t_of[rows]):
                row = ct.getrow(int(t)).toarray().ravel()
                nz = np.flatnonzero(row > 0)
                order = nz[np.lexsort((vocab[nz], -row[nz]))][:n_words]
                out[(tval, int(t))] = [str(vocab[j]) for j in order]
        return out

    # ------------------------------------------------------------------ labels, persistence, report

    def label_topics(self, labeler: Any = None) -> TopicModel:
        """Give every topic a short human-readable label with a :class:`TopicLabeler` (LLM)."""
        self._check_fitted("topics_")
        from .label import TopicLabeler

        labeler = labeler if labeler is not None else (self.labeler or TopicLabeler())
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
        from .merge import merge_models

        return merge_models(models, min_similarity=min_similarity)

    def save(self, path: str | os.PathLike[str], force: bool = False) -> None:
        """Save to a directory (JSON + safetensors, sha256-checked, no pickle).

        ``path`` must be new or an empty directory; a directory holding a saved model is replaced
        only with ``force=True``, and any other existing file or directory is never overwritten
        (:class:`~textmine.errors.PersistenceError`).  The model is written next to ``path`` first
        and then moved into place, so a failed save leaves an earlier model intact.
        """
        from .persist import save_model

        save_model(self, path, force=force)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TopicModel:
        """Load a model written by :meth:`save`; raises :class:`~textmine.errors.PersistenceError` if damaged."""
        from .persist import load_model

        return load_model(path)

    def report(self, path: str | os.PathLike[str], **kwargs: Any) -> Any:
        """Write an HTML/markdown report of the topics (``textmine.report.write_topic_report``)."""
        self._check_fitted("topics_")
        from ..report import write_topic_report

        return write_topic_report(self, path, **kwargs)
