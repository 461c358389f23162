"""Connecting to a dask scheduler or starting a local cluster (the CLI's ``--scheduler`` / ``--workers``).

:func:`connect` returns a ``distributed.Client`` (which becomes dask's default, so every pass of
:mod:`textmine.scale` runs on it) and the :class:`~distributed.LocalCluster` it started, if any. A
scheduler that does not answer within ``timeout`` seconds, or a local cluster that cannot start, is a
:class:`~textmine.errors.ClusterError` naming the address (the CLI's exit code 1).
"""

from __future__ import annotations

from typing import Any

from ..errors import ClusterError, DependencyError, InputError
from .collections import INSTALL_HINT

__all__ = ["connect", "dashboard_link"]


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise DependencyError(f"a dask cluster needs dask.distributed ({exc}): {INSTALL_HINT}") from None
    return distributed


def connect(scheduler: str | None = None, workers: int | None = None, *, timeout: float = 10.0,
            threads_per_worker: int = 1, dashboard: bool = True) -> tuple[Any, Any]:
    """``(client, local cluster or None)``: the scheduler at ``scheduler`` (``"tcp://host:8786"``), or a new
    LocalCluster of ``workers`` processes (``threads_per_worker`` threads each: the embedding model runs
    torch's own threads, so one per worker is the usual choice)."""
    distributed = _distributed()
    if (scheduler is None) == (workers is None):
        raise InputError("give either a scheduler address or a number of workers")
    if scheduler is not None:
        try:
            return distributed.Client(scheduler, timeout=timeout), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the dask scheduler at {scheduler} within {timeout:g} s: "
                               f"{type(exc).__name__}: {exc}") from None
    if int(workers) < 1:
        raise InputError(f"the number of workers must be >= 1, got {workers}")
    try:
        cluster = distributed.LocalCluster(n_workers=int(workers), threads_per_worker=threads_per_worker,
                                           processes=True, dashboard_address=":0" if dashboard else None)
        return distributed.Client(cluster), cluster
    except (OSError, TimeoutError, RuntimeError) as exc:
        raise ClusterError(f"cannot start a local dask cluster of {workers} workers: {exc}") from None


def dashboard_link(client: Any) -> str | None:
    """The diagnostics dashboard's address, when the scheduler serves one."""
    try:
        return str(client.dashboard_link) if client.dashboard_link else None
    except Exception:  # noqa: BLE001 - no dashboard (bokeh missing, dashboard off)
        return None
