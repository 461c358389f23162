"""``TopicModel.fit`` / ``transform`` on a dask collection (the client side; :mod:`.partitions` runs on workers).

fit, in four passes over the partitions, none of which brings the corpus to the client:

1. sampling keys: each non-blank document gets a 64-bit hash of ``(random_state, text)``; the sample is
   the ``max_fit_docs`` documents with the smallest ``(key, place)`` -- reproducible and independent of
   the partitioning; every document when the corpus is no larger than ``max_fit_docs``;
2. embedding: every partition is embedded on the workers (model loaded once per worker, vectors
   written to the shard store, :mod:`.store`); only the sample's texts and vectors come back, in corpus order;
3. discovery and the assignment rule on the sample, on the client -- the in-memory fit's own code
   (:func:`textmine.topics.fitting.discover_and_rule`); the sample's vocabulary for the topic words;
4. assignment of every document by that rule (``transform``'s path) and additive aggregates per
   partition, summed in a tree: topic sizes, word counts (c-TF-IDF, :mod:`textmine.topics.represent`),
   the candidates for representative documents.

With ``max_fit_docs`` >= the number of documents, the sample is the corpus in its order and the result
is the in-memory ``fit`` of the same documents and vectors. After a dask fit, ``labels_`` holds the
labels of the sample (the corpus's are ``transform(collection)``, lazy) and ``scale_`` says what ran.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .._progress import silent, stage
from .._validation import check_int
from ..embed import get_embedder
from ..errors import EmptyCorpusError, InputError
from ..lang import resolve_language
from ..topics import online
from ..topics.assignment import assign_fitted
from ..topics.embedding import embedding_model_of, require_embedder
from ..topics.fitting import discover_and_rule
from ..topics.guided import check_zero_shot_topics
from ..topics.params import check_params
from ..topics.represent import model_topic_words, representative_docs
from ..topics.topic import Topic
from .collections import as_text_series, require_dask
from .compute import compute, tree_reduce
from .partitions import Vocabulary, assign_partition, merge_keys, merge_stats, pick_sample, smallest_keys, topic_stats
from .workers import EmbedSpec

__all__ = ["fit_collection", "transform_collection", "embed_spec", "rule_of"]


def embed_spec(model: Any) -> EmbedSpec:
    """How the workers embed for ``model`` (its embedding model and the id its shards are stored under)."""
    emb = embedding_model_of(model)
    return EmbedSpec(emb, str(get_embedder(emb).model_id))


def rule_of(model: Any) -> tuple[Any, ...]:
    """The fitted assignment rule's arrays (what :func:`textmine.topics.assignment.assign` takes)."""
    return (model.topic_embeddings_, model.thresholds_, getattr(model, "classifier_coef_", None),
            getattr(model, "classifier_intercept_", None))


def _seed(model: Any) -> int:
    rs = model.random_state
    return int(rs) if isinstance(rs, (int, np.integer)) and not isinstance(rs, bool) else 0


def _sample(series: Any, seed: int, m: int, spec: EmbedSpec | None, progress: bool) -> dict[str, Any]:
    """The sample's texts (and vectors with ``spec``), in corpus order (see the module docs)."""
    from dask import delayed

    parts = series.to_delayed()
    keys = [delayed(smallest_keys)(p, i, seed, m + 1) for i, p in enumerate(parts)]
    (top,) = compute(tree_reduce(keys, merge_keys, m + 1), progress=progress)
    last = None if len(top) <= m else tuple(int(x) for x in top[m - 1].tolist())
    picks = compute(*[delayed(pick_sample)(p, i, seed, last, spec) for i, p in enumerate(parts)], progress=progress)
    picks = [p for p in picks if len(p["row"])]
    texts = [t for p in picks for t in p["texts"]]  # partitions in order, rows in order: corpus order
    X = np.concatenate([p["X"] for p in picks]) if spec is not None and picks else None
    return {"texts": texts, "X": X, "n_keys": len(top)}


def fit_collection(model: Any, collection: Any, *, progress: bool | None = None) -> Any:
    """``model.fit(collection)`` for a dask collection of texts (see the module docs). ``progress``: dask's
    progress bar for each pass (default: the model's ``verbose``)."""
    require_dask()
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    k, share = check_params(model)
    names = check_zero_shot_topics(model.zero_shot_topics)
    m = int(check_int(model.max_fit_docs, "max_fit_docs", minimum=2))
    series = as_text_series(collection)
    seed = _seed(model)
    show = model.verbose if progress is None else progress
    say = stage if model.verbose else silent

    t0 = time.perf_counter()
    if model.language == "auto":  # the language (and with it the embedding model) from the sample's texts
        first = _sample(series, seed, m, None, show)["texts"]
        model.language_ = resolve_language(model.language, lambda: first)
    else:
        model.language_ = resolve_language(model.language, lambda: [])
    spec = embed_spec(model)
    say(f"TopicModel: embedding the corpus on the workers, a sample of at most {m:,} documents for discovery")
    sample = _sample(series, seed, m, spec, show)
    texts, X = sample["texts"], sample["X"]
    timings["embed"] = time.perf_counter() - t0
    if not texts:
        raise EmptyCorpusError("every document of the collection is empty, blank or missing: nothing to model")
    if k is not None and k > len(texts):
        raise InputError(f"n_topics={k} but the sample has only {len(texts)} non-empty documents")
    model.embedding_model_id_ = spec.model_id

    say(f"TopicModel: finding topics on a sample of {len(texts):,} documents")
    found, keep, _ = discover_and_rule(model, X, texts, k, share, names, timings)
    labels, _ = assign_fitted(model, X)
    model.labels_ = labels
    online.init_state(model, texts, X, labels, found.sums[keep], found.counts[keep])

    t0 = time.perf_counter()
    say("TopicModel: assigning every document and counting its words on the workers")
    from dask import delayed

    n_cand = max(10, 3 * int(model.n_representative_docs))
    tc = model.term_counts_
    rule = delayed(rule_of(model), pure=True)
    vocab = delayed(Vocabulary(list(tc.words), model.vectorizer, model.language_), pure=True)
    stats = [delayed(topic_stats)(p, i, spec, rule, vocab, n_cand) for i, p in enumerate(series.to_delayed())]
    (total,) = compute(tree_reduce(stats, merge_stats, n_cand), progress=show)
    tc.df, tc.tf, tc.n_docs, tc.counts = total.df, total.tf, int(total.n_docs), total.counts
    model.n_docs_seen_ = int(total.n_total)
    timings["assign_all"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_topics = len(model.topic_embeddings_)
    words = model_topic_words(model) if total.sizes.sum() > 0 and n_topics else {}
    topics = []
    for t in range(n_topics):
        c = total.cands[t]
        order = np.lexsort((c["row"], c["part"]))  # corpus order, as the in-memory fit sees its members
        rep = representative_docs([c["texts"][i] for i in order], c["X"][order], np.arange(len(order)),
                                  model.topic_embeddings_[t], model.n_representative_docs)
        topics.append(Topic(id=t, size=int(total.sizes[t]), words=list(words.get(t, []))[: model.top_n_words],
                            representative_docs=rep))
    model.topics_ = topics
    for t, name in model.zero_shot_topics_.items():
        model.topics_[t].label = name
    timings["represent"] = time.perf_counter() - t0
    if model.labeler is not None:
        t0 = time.perf_counter()
        model.label_topics(model.labeler)
        timings["label"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    model.timings_ = timings
    model.scale_ = {"n_docs": int(total.n_total), "n_nonblank": int(total.n_docs), "n_sample": len(texts),
                    "max_fit_docs": m, "npartitions": int(series.npartitions), "sample_seed": seed,
                    "outliers": int(total.n_docs - total.sizes.sum())}
    return model


def transform_collection(model: Any, collection: Any) -> Any:
    """Topic ids of a dask collection: a lazy dask Series (int64, -1 = outlier or blank), same partitions."""
    require_dask()
    model._check_fitted("topic_embeddings_")
    if model.transform_output != "labels":
        raise InputError('a dask collection is transformed to topic ids only: use transform_output="labels"')
    require_embedder(model, "transform")
    import pandas as pd
    from dask import delayed

    series = as_text_series(collection)
    spec = embed_spec(model)
    rule = delayed(rule_of(model), pure=True)
    return series.map_partitions(assign_partition, spec, rule, meta=pd.Series([], dtype="int64", name="topic"))
