"""Analysis of a fitted topic model: topic info, find_topics, hierarchy, topics per class and over time.

Each function takes a fitted :class:`~textmine.TopicModel` and reads only its public
attributes; the model's methods of the same names call them.

>>> import numpy as np
>>> from types import SimpleNamespace
>>> from textmine.topics.analysis import topics_per_class
>>> fitted = SimpleNamespace(labels_=np.array([0, 0, 1, -1]))
>>> [(r["class"], r["topic"], r["count"]) for r in topics_per_class(fitted, ["a", "a", "b", "b"])]
[('a', 0, 2), ('b', -1, 1), ('b', 1, 1)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._validation import as_documents, is_blank
from ..errors import InputError
from .assignment import cosine_similarities
from .embedding import embed_texts, require_embedder
from .represent import class_tfidf, ctfidf_idf
from .embedding import embedding_model_of
from .terms import TermCounts, make_analyzer, vocabulary_mask

__all__ = ["topic_info", "topic_frame", "find_topics", "hierarchy", "topics_per_class", "topics_over_time", "period_words"]


def topic_info(model: Any) -> list[dict[str, Any]]:
    """One row per topic: id, size, name, label, top 10 words (plus an outlier row with id -1), and for
    :func:`topic_frame`: ``bertopic_name`` (``"3_oil_prices_stocks_profit"``), ``display_label`` (the label,
    else :func:`~textmine.topics.naming.fallback_label`) and the representative documents."""
    from .naming import fallback_label

    rows = [{"id": -1, "size": int((model.labels_ == -1).sum()), "name": "outliers", "label": None, "words": [],
             "bertopic_name": "-1_outliers", "display_label": "Outliers", "representative_docs": []}]
    for t in model.topics_:
        rows.append({"id": t.id, "size": t.size, "name": t.name, "label": t.label, "words": t.top_words(10),
                     "bertopic_name": "_".join([str(t.id), *t.top_words(4)]),
                     "display_label": t.label or fallback_label(t),
                     "representative_docs": list(t.representative_docs)})
    return rows


def topic_frame(model: Any) -> Any:
    """:func:`topic_info` as a pandas DataFrame with BERTopic's columns: Topic, Count, Name (BERTopic's
    ``id_word_word_word_word``), Label (the label, else the fallback label), Representation (top 10 words),
    Representative_Docs."""
    import pandas as pd

    return pd.DataFrame(
        [{"Topic": r["id"], "Count": r["size"], "Name": r["bertopic_name"], "Label": r["display_label"],
          "Representation": r["words"], "Representative_Docs": r["representative_docs"]} for r in topic_info(model)],
        columns=["Topic", "Count", "Name", "Label", "Representation", "Representative_Docs"],
    )


def find_topics(model: Any, query: str, top_n: int = 5) -> list[tuple[int, float]]:
    """Topics most similar to a free-text query: [(topic id, cosine similarity), ...]."""
    if not isinstance(query, str) or is_blank(query):
        raise InputError("query must be a non-empty str")
    require_embedder(model, "find_topics")
    q = embed_texts(embedding_model_of(model), [query], what="find_topics' query", dim=model.topic_embeddings_.shape[1])
    sims = cosine_similarities(q, model.topic_embeddings_)[0]
    order = np.argsort(-sims, kind="stable")[: max(0, int(top_n))]
    return [(int(t), float(sims[t])) for t in order]


def hierarchy(model: Any, method: str = "average") -> dict[str, Any]:
    """Hierarchical clustering of the topic centroids (scipy linkage, cosine distance).

    Returns ``{"linkage": (n_topics-1, 4) array, "labels": [topic names]}``, ready for
    ``scipy.cluster.hierarchy.dendrogram(linkage, labels=labels)``.
    """
    from scipy.cluster.hierarchy import linkage

    if len(model.topics_) < 2:
        raise InputError("a hierarchy needs at least two topics")
    Z = linkage(model.topic_embeddings_, method=method, metric="cosine")
    return {"linkage": Z, "labels": [t.name for t in model.topics_]}


def topics_per_class(model: Any, classes: Sequence[Any], labels: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Counts of topics within each class: rows ``{"class", "topic", "count", "share"}``.

    ``classes`` has one entry per training document (or per entry of ``labels``).
    """
    lab = np.asarray(model.labels_ if labels is None else labels)
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
    model: Any,
    timestamps: Sequence[Any],
    labels: Sequence[int] | None = None,
    *,
    bins: int | str | None = None,
    docs: Sequence[str] | None = None,
    n_words: int = 10,
) -> list[dict[str, Any]]:
    """Topic counts per time stamp, per equal-width bin (``bins`` an integer; numeric or datetime stamps,
    the bin start as the period) or per calendar period of datetime stamps (``bins`` one of :data:`PERIODS`,
    readable labels from :func:`calendar_periods`).

    Rows ``{"time", "topic", "count"}``. With ``docs`` (the training documents, or the documents
    ``labels`` belong to) every row also gets ``"words"``: the topic's top ``n_words`` c-TF-IDF
    words *within that period* -- the counts of the period's documents of the topic, weighted by
    the idf of the whole corpus (BERTopic's ``topics_over_time`` without its tuning options).
    The outlier rows (topic -1) get no words.
    """
    lab = np.asarray(model.labels_ if labels is None else labels)
    if isinstance(timestamps, (str, bytes)) or not isinstance(timestamps, Iterable):
        raise InputError(f"timestamps must be a sequence with one entry per document, got {type(timestamps).__name__}")
    ts = list(timestamps)
    if len(ts) != len(lab):
        raise InputError(f"timestamps has {len(ts)} entries but there are {len(lab)} documents")
    dates = as_datetimes(ts)
    if isinstance(bins, str):
        if dates is None:
            raise InputError(f'bins={bins!r} (a calendar period) needs datetime timestamps')
        ts = calendar_periods(dates, bins)
    elif bins is not None:
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
            raise InputError(f"bins must be an integer >= 1, a calendar period {PERIODS} or None, got {bins!r}")
        try:
            v = dates.astype(np.int64).astype(float) if dates is not None else np.asarray(ts, dtype=float)
        except (TypeError, ValueError):
            raise InputError("bins needs numeric or datetime timestamps") from None
        if len(v) and not np.isfinite(v).all():
            raise InputError("timestamps must be finite numbers when bins is given")
        if len(v):
            edges = np.linspace(v.min(), v.max(), int(bins) + 1)
            which = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, int(bins) - 1)
            ts = [float(edges[b]) for b in which]
            if dates is not None:  # the bin start as a readable date (minutes when bins are shorter than a day)
                unit = "D" if len(edges) < 2 or edges[1] - edges[0] >= 86400e9 else "m"
                ts = [str(np.datetime64(int(x), "ns").astype(f"datetime64[{unit}]")).replace("T", " ") for x in ts]
    words_of: dict[tuple[Any, int], list[str]] = {}
    if docs is not None:
        docs = as_documents(docs, allow_empty_corpus=True)
        if len(docs) != len(lab):
            raise InputError(f"docs has {len(docs)} entries but there are {len(lab)} documents")
        if isinstance(n_words, bool) or not isinstance(n_words, (int, np.integer)) or n_words < 1:
            raise InputError(f"n_words must be an integer >= 1, got {n_words!r}")
        words_of = period_words(model, docs, lab, ts, int(n_words))
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

#: calendar periods of ``topics_over_time(bins=...)`` for datetime stamps
PERIODS = ("year", "quarter", "month", "week", "day", "hour")


def as_datetimes(ts: list[Any]) -> np.ndarray | None:
    """``datetime64[ns]`` of the stamps when they are datetimes (``datetime``, ``date``, numpy
    ``datetime64``, pandas ``Timestamp``; time zones converted to UTC), else ``None``."""
    import datetime as dt

    if not ts or not all(isinstance(x, (dt.date, np.datetime64)) for x in ts):
        return None
    out = []
    for x in ts:
        if isinstance(x, dt.datetime) and x.tzinfo is not None:
            x = x.astimezone(dt.timezone.utc).replace(tzinfo=None)
        if hasattr(x, "to_datetime64"):
            x = x.to_datetime64()
        out.append(np.datetime64(x, "ns"))
    arr = np.array(out, dtype="datetime64[ns]")
    if np.isnat(arr).any():
        raise InputError("timestamps must not be missing (NaT)")
    return arr


def calendar_periods(dates: np.ndarray, period: str) -> list[str]:
    """The readable calendar period of each date: "2004", "2004-Q3", "2004-07", "2004-W27", "2004-07-05",
    "2004-07-05 13:00" (they sort in time order)."""
    p = period.lower()
    if p not in PERIODS:
        raise InputError(f"bins={period!r}: a calendar period must be one of {PERIODS}")
    if p == "year":
        return [str(d) for d in dates.astype("datetime64[Y]")]
    if p == "quarter":
        m = dates.astype("datetime64[M]").astype(np.int64)
        return [f"{1970 + x // 12}-Q{x % 12 // 3 + 1}" for x in m.tolist()]
    if p == "month":
        return [str(d) for d in dates.astype("datetime64[M]")]
    if p == "week":
        out = []
        for d in dates.astype("datetime64[D]").astype(object):
            y, w, _ = d.isocalendar()
            out.append(f"{y}-W{w:02d}")
        return out
    if p == "day":
        return [str(d) for d in dates.astype("datetime64[D]")]
    return [str(d).replace("T", " ") + ":00" for d in dates.astype("datetime64[h]")]


def period_words(
    model: Any, docs: list[str], lab: np.ndarray, ts: list[Any], n_words: int
) -> dict[tuple[Any, int], list[str]]:
    """Top c-TF-IDF words of each (period, topic): period counts, idf of the whole corpus."""
    n_topics = len(model.topic_embeddings_)
    keep = np.flatnonzero([not is_blank(d) and 0 <= int(t) < n_topics for d, t in zip(docs, lab)])
    nonblank = sum(1 for d in docs if not is_blank(d))
    if len(keep) == 0:
        return {}
    vec, analyzer = make_analyzer(model.vectorizer, nonblank, getattr(model, "language_", "en"))
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
        ct = class_tfidf(P, reduce_frequent_words=model.reduce_frequent_words, idf=idf)
        for t in np.unique(t_of[rows]):
            row = ct.getrow(int(t)).toarray().ravel()
            nz = np.flatnonzero(row > 0)
            order = nz[np.lexsort((vocab[nz], -row[nz]))][:n_words]
            out[(tval, int(t))] = [str(vocab[j]) for j in order]
    return out
