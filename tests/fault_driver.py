"""Child side of tests/test_faults.py: forks writers that the test kills with SIGKILL.

    python tests/fault_driver.py JOB ARGS...

For each line ``go`` read on stdin, forks a child that runs JOB's write in a loop forever, prints the
child's pid, waits for it to die (the test kills it at a random moment) and prints ``dead``. The
imports happen once here, so that a kill costs a fork, not a Python start. ``JOB`` is one of

* ``save TARGET A B [two-rename]``: load the saved models A and B, then save them alternately to
  TARGET with ``force=True`` (``two-rename``: without the atomic exchange, each rename slowed by 2 ms
  so that kills land between them);
* ``write TARGET N``: ``write_records`` of two record sets (``N`` rows each, told apart by their
  ``v`` field) alternately to TARGET with ``force=True``;
* ``cache DB``: fill an ``EmbeddingCache`` with vectors that follow from their keys (:func:`vector`).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time

import numpy as np

DIM = 8


def key(i: int) -> bytes:
    return hashlib.blake2b(str(i).encode(), digest_size=16).digest()


def vector(k: bytes) -> np.ndarray:
    """The vector the cache job stores under key ``k`` (a function of the key)."""
    return np.frombuffer(hashlib.sha256(k).digest(), dtype=np.uint8)[:DIM].astype(np.float32) + 1.0


def records(n: int, v: str) -> list[dict]:
    return [{"id": str(i), "v": v, "text": f"row {i} of set {v} " + "x" * 40} for i in range(n)]


def _save_job(args: list[str]):
    from textmine import TopicModel

    target, a, b = args[:3]
    models = [TopicModel.load(a), TopicModel.load(b)]
    if "two-rename" in args[3:]:
        from textmine.topics import swap

        swap.exchange = lambda x, y: False
        real = os.replace

        def slow_replace(src, dst):  # failure injection: widen the window between the renames
            real(src, dst)
            time.sleep(0.002)

        swap.os.replace = slow_replace  # swap's os is the os module: this child only
    return lambda i: models[i % 2].save(target, force=True)


def _write_job(args: list[str]):
    from textmine.io import write_records

    target, n = args[0], int(args[1])
    sets = [records(n, "A"), records(n, "B")]
    return lambda i: write_records(sets[i % 2], target, force=True)


def _cache_job(args: list[str]):
    from textmine.embed import EmbeddingCache

    db = args[0]
    state = {"cache": None, "base": 0}

    def step(i: int) -> None:
        if state["cache"] is None:  # opened in the writer, never before the fork
            state["cache"] = EmbeddingCache(db, "fault-test", DIM)
            state["base"] = os.getpid() % 40  # each writer starts elsewhere
        start = (state["base"] + i) * 50 % 2000
        ks = [key(j) for j in range(start, start + 50)]
        state["cache"].put_many({k: vector(k) for k in ks})

    return step


def main() -> None:
    job, args = sys.argv[1], sys.argv[2:]
    step = {"save": _save_job, "write": _write_job, "cache": _cache_job}[job](args)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        pid = os.fork()
        if pid == 0:  # the writer: runs until it is killed
            try:
                i = 0
                while True:
                    step(i)
                    i += 1
            finally:
                os._exit(1)
        print(pid, flush=True)
        os.waitpid(pid, 0)
        print("dead", flush=True)


if __name__ == "__main__":
    main()
