"""Progress feedback on long work, in a terminal and in Jupyter (issue 16, part 5).

Bars are ``tqdm.auto`` bars: a widget in Jupyter (a text bar when ipywidgets is missing),
a text bar on stderr elsewhere.  Every long step takes a ``progress`` setting:

``True``
    always show the bar (from the start);
``False``
    never;
``None`` (the default)
    show it only in an interactive session (stderr is a terminal, or a Jupyter kernel runs)
    and only once the work has run for :data:`AUTO_DELAY` seconds, so short calls, scripts
    whose stderr goes to a file and test runs print nothing.

:func:`stage` prints a one-line stage message (``TopicModel(verbose=True)``) to stderr
without breaking a running bar, whatever the logging configuration.
"""

from __future__ import annotations

import sys
from typing import Any

from .errors import InputError

__all__ = ["AUTO_DELAY", "check_progress", "interactive", "progress_bar", "silent", "stage"]

#: seconds a step must run before an automatic (``progress=None``) bar appears
AUTO_DELAY = 2.0


def check_progress(value: Any, name: str = "progress") -> bool | None:
    """``True``, ``False`` or ``None``, else :class:`~textmine.errors.InputError`."""
    if value is None:
        return None
    try:
        import numpy as np

        if isinstance(value, np.bool_):
            return bool(value)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    if not isinstance(value, bool):
        raise InputError(f"{name} must be True, False or None (automatic), got {value!r:.60}")
    return value


def interactive() -> bool:
    """A person is probably watching: a Jupyter kernel, or stderr on a terminal."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


def progress_bar(total: int, desc: str, *, progress: bool | None = None, unit: str = "doc") -> Any:
    """A ``tqdm.auto`` bar over ``total`` items (use as a context manager; ``update(n)`` per item or batch)."""
    from tqdm.auto import tqdm

    if progress is None:
        disable, delay = not interactive(), AUTO_DELAY
    else:
        disable, delay = not progress, 0.0
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, delay=delay, file=sys.stderr)


def stage(message: str) -> None:
    """One stage message on stderr (above any running bar), visible under any logging setup."""
    from tqdm.auto import tqdm

    tqdm.write(message, file=sys.stderr)


def silent(message: str) -> None:
    """The quiet counterpart of :func:`stage` (``verbose=False``)."""
