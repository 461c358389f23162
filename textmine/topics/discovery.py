"""The discovery stage: reduce + cluster + merge the embeddings into groups of documents.

UMAP + HDBSCAN (or any reducer / clusterer, :mod:`.reduce`, :mod:`.cluster`) are used only to
*find* the groups. :meth:`Discovery.groups` runs the stage on a set of documents: the
(seed-nudged, :mod:`.guided`) embeddings are reduced and clustered, then clusters whose
centroids are more similar than ``merge_threshold`` (or down to ``k`` groups) are merged
agglomeratively (:func:`merge_clusters`). Each group is returned as the sum and count of the
*original* embeddings of its documents: the assignment stage (:mod:`.assignment`) makes
topics of them. ``TopicModel.fit`` runs it on the corpus, ``partial_fit`` on the outlier buffer,
and ``reduce_topics`` uses :func:`merge_clusters` on the topics.

>>> import numpy as np
>>> from textmine.topics.discovery import merge_clusters
>>> sums = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
>>> merge_clusters(sums, np.ones(3), target=2, threshold=None).tolist()
[0, 0, 2]
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..errors import InputError, TextmineError
from .assignment import unit_rows
from .cluster import make_clusterer
from .embedding import embed_texts, embedding_model_of, merge_threshold_of
from .guided import check_seed_topics, nudge, zero_shot_members
from .reduce import Identity, make_reducer

__all__ = ["Discovery", "Groups", "Found", "merge_clusters", "TAG_PENALTY"]

log = logging.getLogger("textmine.topics")

#: subtracted from the similarity of clusters of different seed lists (keeps them apart)
TAG_PENALTY = 4.0


class Groups(NamedTuple):
    """The result of :meth:`Discovery.groups`."""

    group: np.ndarray  #: group of each document (-1 = noise)
    sums: np.ndarray  #: (n_groups, dim) sums of the original embeddings of each group's documents (float64)
    sizes: np.ndarray  #: (n_groups,) documents per group
    n_found: int  #: clusters the clustering found before the merge
    noise_share: float  #: share of documents the clustering left as noise


class Found(NamedTuple):
    """The result of :meth:`Discovery.topics`: the groups that become topics."""

    sums: np.ndarray  #: (n_groups, dim) sums of the original embeddings: zero-shot topics first, then the discovered
    counts: np.ndarray  #: (n_groups,) documents per group
    names: list[str | None]  #: the zero-shot name of each group (None: discovered)
    labels: np.ndarray  #: the group of each document (what the assignment classifier learns)
    n_found: int  #: clusters the clustering found before the merge
    noise_share: float  #: share of the clustered documents the clustering left as noise


def merge_clusters(
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
    C = unit_rows(sums)
    S = C @ C.T
    if tags is not None:
        S = S - TAG_PENALTY * (tags[:, None] != tags[None, :])
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
        C[i] = unit_rows(sums[i])
        row = C[active] @ C[i]
        if tags is not None:
            if tags[i] != tags[j]:
                tags[i] = -1  # a forced merge of two tags: the result belongs to neither
            row = row - TAG_PENALTY * (tags[active] != tags[i])
        S[i, active] = row
        S[active, i] = row
        S[i, i] = -np.inf
        n_active -= 1
    return owner


class Discovery:
    """The discovery stage with its settings (those of :class:`~textmine.TopicModel` of the same names).

    ``embed_seeds(texts, dim)``: unit embeddings of the seed lists (each joined into one text),
    needed only with ``seed_topics``. :meth:`from_model` builds it from a model's parameters.
    """

    def __init__(
        self,
        reduction: Any = "umap",
        clustering: Any = "hdbscan",
        *,
        merge_threshold: float | None = 0.5,
        random_state: Any = None,
        seed_topics: list[list[str]] | None = None,
        embed_seeds: Callable[[Sequence[str], int], np.ndarray] | None = None,
    ):
        self.reduction = reduction
        self.clustering = clustering
        self.merge_threshold = merge_threshold
        self.random_state = random_state
        self.seed_topics = seed_topics
        self.embed_seeds = embed_seeds

    @classmethod
    def from_model(cls, model: Any) -> Discovery:
        """The stage as configured by a :class:`~textmine.TopicModel`'s parameters."""
        def embed_seeds(texts: Sequence[str], dim: int) -> np.ndarray:
            return embed_texts(embedding_model_of(model), texts, what="seed_topics", dim=dim)

        return cls(model.reduction, model.clustering, merge_threshold=merge_threshold_of(model),
                   random_state=model.random_state, seed_topics=model.seed_topics, embed_seeds=embed_seeds)

    def topics(
        self,
        X: np.ndarray,
        texts: list[str],
        k: int | None,
        min_size: int,
        *,
        names: list[str] | None = None,
        name_embeddings: np.ndarray | None = None,
        min_similarity: float = 0.15,
    ) -> Found:
        """The groups of a corpus that become topics: zero-shot topics (documents at least ``min_similarity``
        similar to one of the ``names``, unit ``name_embeddings``; names nobody matches are dropped), then
        :meth:`groups` of the other documents (noise documents join the nearest group)."""
        dim = X.shape[1]
        zs_member = np.full(len(X), -1, dtype=np.int64)
        if names:
            zs_member = zero_shot_members(X, name_embeddings, min_similarity)
        rest = np.flatnonzero(zs_member < 0)
        if len(rest):
            k_rest = None if k is None else min(k, len(rest))
            group, gsums, gcounts, n_found, noise_share = self.groups(
                X[rest], [texts[i] for i in rest], k_rest, min_size, fill_noise=True
            )
        else:
            group = np.zeros(0, dtype=np.int64)
            gsums, gcounts, n_found, noise_share = np.zeros((0, dim)), np.zeros(0, np.int64), 0, 0.0
        zs_ids = [z for z in range(len(names or [])) if (zs_member == z).any()]
        if names and len(zs_ids) < len(names):
            log.info("zero-shot topics with no document above the similarity threshold (dropped): %s",
                     [names[z] for z in range(len(names)) if z not in zs_ids])
        zs_sums = [X[zs_member == z].astype(np.float64).sum(axis=0) for z in zs_ids]
        sums = np.vstack([np.asarray(zs_sums, dtype=np.float64).reshape(-1, dim), gsums]) if zs_ids else gsums
        counts = np.concatenate([[int((zs_member == z).sum()) for z in zs_ids], gcounts]).astype(np.int64)
        labels = np.empty(len(X), dtype=np.int64)
        zs_pos = {z: i for i, z in enumerate(zs_ids)}
        for i in np.flatnonzero(zs_member >= 0):
            labels[i] = zs_pos[int(zs_member[i])]
        labels[rest] = len(zs_ids) + group
        return Found(sums, counts, [names[z] for z in zs_ids] + [None] * len(gsums), labels, int(n_found),
                     float(noise_share))

    def groups(
        self,
        X: np.ndarray,
        texts: list[str],
        k: int | None,
        min_size: int,
        *,
        allow_no_clusters: bool = False,
        fill_noise: bool = False,
    ) -> Groups:
        """(Seed-nudged) clustering of the unit embeddings ``X``, then the centroid merge (down to ``k`` groups).

        With ``fill_noise`` a noise document gets the group whose mean is nearest in the reduced space.
        ``allow_no_clusters`` (outlier buffers): all-noise instead of one group when nothing is found.
        """
        seeds = check_seed_topics(self.seed_topics)
        Xd, seed_of = X, None
        if seeds:
            if self.embed_seeds is None:
                raise InputError("seed_topics need an embedding model (embed_seeds) to embed the seed lists")
            E = self.embed_seeds([" ".join(s) for s in seeds], X.shape[1])
            Xd, seed_of = nudge(X, texts, seeds, E)
        raw, noise_share, Y = self.cluster(Xd, k, min_size, allow_no_clusters=allow_no_clusters)
        cluster_ids = np.unique(raw[raw >= 0])
        dim = X.shape[1]
        if len(cluster_ids) == 0:
            return Groups(np.full(len(X), -1, dtype=np.int64), np.zeros((0, dim)), np.zeros(0, np.int64), 0, noise_share)
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
            owner = merge_clusters(msums, sizes, target=k, threshold=None, tags=tags)
        else:
            owner = merge_clusters(msums, sizes, target=None, threshold=self.merge_threshold, tags=tags)
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
        return Groups(group, gsums, gsizes, len(cluster_ids), noise_share)

    def cluster(
        self, X: np.ndarray, k: int | None, min_size: int, *, allow_no_clusters: bool = False
    ) -> tuple[np.ndarray, float, np.ndarray]:
        """Cluster labels of the embeddings (-1 = noise), the noise share and the reduced embeddings the
        clustering saw. ``allow_no_clusters``: all-noise instead of one cluster when nothing is found."""
        n = len(X)
        if n == 1 or k == 1:
            return np.zeros(n, dtype=np.int64), 0.0, X
        mcs = min_size
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
