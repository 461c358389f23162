"""Helpers the dask workers of tests/test_scale.py import (a worker unpickles them by module name).

:class:`CountingEmbedder` is the packaged MiniLM (real vectors, no cache of its own) that appends one line
per ``encode`` call to a log file, so a test can count the model's calls across worker processes; with
``die_marker`` it is failure injection: the first call in the whole cluster creates the marker and kills
its worker process (``os._exit``), later calls run normally.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np


class CountingEmbedder:
    dim = 384

    def __init__(self, log: str, tag: str, die_marker: str | None = None):
        self.log = log
        self.tag = tag
        self.die_marker = die_marker
        self.model_id = f"counting-minilm-{tag}"

    def encode(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray:
        if self.die_marker is not None and not os.path.exists(self.die_marker):
            with open(self.die_marker, "w") as fh:
                fh.write(str(os.getpid()))
            os._exit(1)  # the worker process dies mid-task
        with open(self.log, "a") as fh:
            fh.write(f"{os.getpid()} {len(texts)}\n")
        from textmine.embed import get_embedder

        return get_embedder("default", cache=False).encode(list(texts))


def encode_calls(log: str) -> list[tuple[int, int]]:
    """(worker pid, number of texts) of every ``encode`` call logged so far."""
    if not os.path.exists(log):
        return []
    with open(log) as fh:
        return [tuple(map(int, line.split())) for line in fh if line.strip()]
