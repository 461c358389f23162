"""Running dask graphs: on the active ``dask.distributed`` client when there is one (with task retries and
an optional progress bar), else on dask's local scheduler; and tree reductions of per-partition results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["compute", "tree_reduce", "active_client", "RETRIES", "SPLIT_EVERY"]

#: a task that raises is run again this many times (a worker that dies is handled by the scheduler:
#: its tasks go to another worker, up to ``distributed.scheduler.allowed-failures`` times)
RETRIES = 2
#: results merged per node of a tree reduction
SPLIT_EVERY = 8


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


