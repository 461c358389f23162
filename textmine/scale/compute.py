"""Running dask graphs: on the active ``dask.distributed`` client when there is one (with task retries and
an optional progress bar), else on dask's local scheduler; tree reductions of per-partition results; and
:func:`map_pieces`, a ``map_partitions`` whose large partitions are cut into pieces to keep every worker busy.

Why :func:`map_pieces`: a task's dependencies decide where dask runs it, so the work of one partition stays
on the worker that read it (unless an idle worker steals it), and a few large partitions leave workers idle
-- dask's optimizer may also fuse small Parquet files into fewer, larger partitions than ``npartitions``
says (10 files of 10,000 rows ran as 5 partitions of 20,000). With fewer partitions than
:data:`TASKS_PER_THREAD` per worker thread, each partition is cut into consecutive slices, one task each
(idle workers steal them), and the slices' results are joined again in order: one output partition per
partition that ran, same index. Only for per-document work whose result for a document does not depend on
the other documents of its partition (keywords); not for the topic passes, whose vector shards are keyed by
the partition's texts. Measured in docs/benchmarks/scale.md ('1 vs 2 workers')."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

__all__ = ["compute", "tree_reduce", "active_client", "map_pieces", "pieces_per_partition", "RETRIES", "SPLIT_EVERY",
           "TASKS_PER_THREAD", "MAX_PIECES"]

#: a task that raises is run again this many times (a worker that dies is handled by the scheduler:
#: its tasks go to another worker, up to ``distributed.scheduler.allowed-failures`` times)
RETRIES = 2
#: results merged per node of a tree reduction
SPLIT_EVERY = 8
#: :func:`map_pieces` aims at (at least) this many tasks per worker thread
TASKS_PER_THREAD = 8
#: :func:`map_pieces` cuts a partition into at most this many pieces
MAX_PIECES = 64


def active_client() -> Any:
    """The default ``dask.distributed`` client, or None (none started, or distributed not installed)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


def compute(*objs: Any, progress: bool = False, retries: int = RETRIES) -> tuple[Any, ...]:
    """The values of dask objects, computed together."""
    client = active_client()
    if client is None:
        import dask

        return tuple(dask.compute(*objs))
    futures = client.compute(list(objs), retries=retries)
    if progress:
        from distributed import progress as show

        show(futures)
    return tuple(client.gather(futures))


def _merge(items: list[Any], combine: Callable[..., Any], *args: Any) -> Any:
    return combine(list(items), *args)


def tree_reduce(items: list[Any], combine: Callable[..., Any], *args: Any, every: int = SPLIT_EVERY) -> Any:
    """A delayed ``combine(list of results, *args)`` over ``items`` in a tree of fan-in ``every``."""
    from dask import delayed

    items = list(items)
    if len(items) == 1:
        return delayed(_merge)(items, combine, *args)
    while len(items) > 1:
        items = [delayed(_merge)(items[i : i + every], combine, *args) for i in range(0, len(items), every)]
    return items[0]


def worker_threads() -> int:
    """Worker threads of the active dask.distributed client (dask's local scheduler: this machine's cores)."""
    client = active_client()
    if client is None:
        return os.cpu_count() or 1
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - a client that cannot answer: no cutting
        return 1


def pieces_per_partition(npartitions: int, threads: int) -> int:
    """Pieces a partition is cut into so that ``npartitions`` give at least :data:`TASKS_PER_THREAD` tasks per
    thread (1: not cut), at most :data:`MAX_PIECES`."""
    return max(1, min(MAX_PIECES, math.ceil(TASKS_PER_THREAD * threads / max(1, npartitions))))


def _piece(part: Any, j: int, k: int) -> Any:
    """The ``j``-th of ``k`` consecutive, nearly equal slices of a partition (pandas Series or DataFrame)."""
    n = len(part)
    return part.iloc[n * j // k : n * (j + 1) // k]


def _join(pieces: list[Any]) -> Any:
    import pandas as pd

    return pd.concat(pieces) if len(pieces) > 1 else pieces[0]


def map_pieces(collection: Any, fn: Callable[..., Any], *args: Any, meta: Any, pieces: int | None = None) -> Any:
    """``collection.map_partitions(fn, *args, meta=meta)``, each partition cut into ``pieces`` slices run as
    tasks of their own and joined again (see the module docs). ``pieces``: None -- :func:`pieces_per_partition`
    of the partitions that will really run and the active client's worker threads; 1 -- not cut; anything but an
    integer >= 1: :class:`~textmine.errors.InputError`. ``fn`` must
    map a slice to the slice's rows of what it maps the whole partition to."""
    if pieces is None:
        collection = collection.optimize()  # the partitions that will run (dask may fuse small files)
        pieces = pieces_per_partition(collection.npartitions, worker_threads())
    from .._validation import check_positive_int

    k = check_positive_int(pieces, "pieces")  # a non-integer or < 1: InputError
    if k <= 1:
        return collection.map_partitions(fn, *args, meta=meta)
    import dask
    import dask.dataframe as dd
    from dask import delayed

    run, cut, join = delayed(fn, pure=True), delayed(_piece, pure=True), delayed(_join, pure=True)
    parts = [join([run(cut(p, j, k), *args) for j in range(k)]) for p in collection.to_delayed()]
    divisions = collection.divisions if collection.known_divisions else None
    with dask.config.set({"dataframe.convert-string": False}):  # object columns stay objects, as map_partitions's
        return dd.from_delayed(parts, meta=meta, divisions=divisions, verify_meta=False)
