"""The ``textmine`` application: the command group, its error handling and the entry point.

Every error of a command becomes a one-line message and an exit code (see :mod:`textmine.cli`).
The commands are registered by the modules of this package (:mod:`.keywords`, :mod:`.topics`,
:mod:`.evaluate`, :mod:`.models`, :mod:`.demo`), which ``textmine.cli`` imports.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ..console import STATE, one_line
from ..errors import InputError, TextmineError

__all__ = ["app", "evaluate_app", "main"]


def _silence_library_progress() -> None:
    """No "Loading weights" bars from transformers / huggingface_hub: textmine reports its own steps."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if "transformers" in sys.modules:
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except Exception:  # noqa: BLE001 - cosmetic only
            pass
    elif "huggingface_hub" in sys.modules:
        try:
            from huggingface_hub.utils import disable_progress_bars

            disable_progress_bars()
        except Exception:  # noqa: BLE001
            pass


class _Group(TyperGroup):
    """Turns every error of a command into a one-line message and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        STATE.reset()
        _silence_library_progress()
        cache_env = os.environ.get("TEXTMINE_CACHE_DIR")  # --cache-dir sets it for this command only
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            if STATE.debug:
                raise
            typer.echo("textmine: interrupted", err=True)
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # the reader of our output went away (`textmine ... | head`): stop quietly, like Unix tools
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            raise typer.Exit(0) from None
        except InputError as exc:
            if STATE.debug:
                raise
            typer.echo(f"textmine: error: {one_line(str(exc))}", err=True)
            raise typer.Exit(2) from None
        except TextmineError as exc:
            if STATE.debug:
                raise
            typer.echo(f"textmine: error: {one_line(str(exc))}", err=True)
            raise typer.Exit(1) from None
        except MemoryError:
            if STATE.debug:
                raise
            typer.echo("textmine: error: out of memory; try a smaller input or batch size", err=True)
            raise typer.Exit(1) from None
        except Exception as exc:  # noqa: BLE001 - the CLI boundary
            if STATE.debug:
                raise
            msg = one_line(str(exc)) or type(exc).__name__
            typer.echo(
                f"textmine: error: {type(exc).__name__}: {msg} (run again with --debug for the traceback)",
                err=True,
            )
            raise typer.Exit(1) from None
        finally:
            if cache_env is None:
                os.environ.pop("TEXTMINE_CACHE_DIR", None)
            else:
                os.environ["TEXTMINE_CACHE_DIR"] = cache_env



app = typer.Typer(
    name="textmine",
    cls=_Group,
    help="Keyword extraction and topic modeling with local LLM topic labels: offline, on a CPU.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
evaluate_app = typer.Typer(
    name="evaluate",
    cls=_Group,
    help="Score keywords or topics with the shipped metrics against gold data in a JSONL/CSV file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(evaluate_app, name="evaluate")


def _version_callback(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"textmine {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Keyword extraction and topic modeling with local LLM topic labels: offline, on a CPU."""



def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``textmine`` script; returns the exit code."""
    command = typer.main.get_command(app)
    try:
        command.main(args=list(argv) if argv is not None else None, prog_name="textmine", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        typer.echo(str(code), err=True)
        return 1
    return 0
