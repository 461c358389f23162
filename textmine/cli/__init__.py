"""The ``textmine`` command line.

Commands: ``keywords``, ``topics``, ``label``, ``transform``, ``evaluate keywords|topics``,
``models`` and ``demo``. Run ``textmine COMMAND --help`` for the options; docs/cli.md is
generated from this package by ``scripts/gen_cli_docs.py``.

Exit codes: 0 success, 2 usage error (bad option, bad or missing input, an output that
already exists without ``--force``), 1 any other failure (a model that cannot be
loaded ...), 130 interrupted. Errors are one line on stderr; ``--debug`` shows the
traceback. Results go to stdout (a table, or the file given with ``--output``);
progress and step messages go to stderr and are silenced by ``--quiet`` (progress
bars only appear when stderr is a terminal).

Layout: :mod:`.app` (the application, error handling, :func:`main`), :mod:`.options`
(shared options), :mod:`.common` (shared helpers), one module per command group:
:mod:`.keywords`, :mod:`.topics` (``topics``, ``label``, ``transform``), :mod:`.evaluate`,
:mod:`.models`, :mod:`.demo`. Terminal output (steps, progress, tables) is :mod:`textmine.console`.
"""

from __future__ import annotations

from .app import app, evaluate_app, main

# the command modules register their commands on ``app`` when imported: this is the order of `textmine --help`
from . import keywords, topics, evaluate, models, demo  # noqa: E402,F401,I001

__all__ = ["app", "evaluate_app", "main"]
