"""Terminal output of the command line and the demo: step messages, progress bars, tables.

Messages and progress bars go to stderr and are silenced by ``STATE.quiet`` (``--quiet``);
tables go to stdout (rich on a terminal, tab-separated text otherwise).

>>> from textmine.console import one_line
>>> one_line("a cell  of a   table")
'a cell of a table'
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import typer

__all__ = ["STATE", "info", "step", "progress", "print_table", "one_line"]


class _State:
    quiet: bool = False
    debug: bool = False

    def reset(self) -> None:
        self.quiet = False
        self.debug = os.environ.get("TEXTMINE_DEBUG", "").lower() in {"1", "true", "yes"}


STATE = _State()


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def info(message: str) -> None:
    """A step message on stderr (silenced by --quiet)."""
    if not STATE.quiet:
        typer.echo(message, err=True)


@contextmanager
def step(message: str) -> Iterator[None]:
    """Print ``message ...`` then the time it took (stderr, silenced by --quiet)."""
    t0 = time.perf_counter()
    if not STATE.quiet:
        typer.echo(f"{message} ...", err=True)
    yield
    if not STATE.quiet:
        typer.echo(f"  done in {time.perf_counter() - t0:.1f} s", err=True)


def progress(total: int, desc: str) -> Any:
    """A tqdm bar on stderr, shown only on a terminal and without --quiet."""
    from tqdm.auto import tqdm

    disable = STATE.quiet or not sys.stderr.isatty()
    return tqdm(total=total, desc=desc, disable=disable, file=sys.stderr, leave=False, unit="doc")


def _stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A readable table on stdout: rich on a terminal, tab-separated text otherwise."""
    if _stdout_is_tty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, title_justify="left", show_lines=False)
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        Console().print(table)
    else:
        if title:
            typer.echo(f"# {title}")
        typer.echo("\t".join(columns))
        for row in rows:
            typer.echo("\t".join("" if v is None else one_line(str(v)) for v in row))
