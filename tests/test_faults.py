"""Fault tests (issue #17): writers killed with SIGKILL at random moments.

A killed ``TopicModel.save(force=True)`` leaves the old or the new model at the path (checksums
valid), a killed output write the old or the new file (never a partial one under the final name),
a killed cache writer a cache that opens and serves correct vectors; the next save / write removes
what the killed one left behind. Three processes filling one embedding cache at once give the
vectors of a cold run. The writers are forked by tests/fault_driver.py (one Python start per test,
then a fork per kill). ``KILLS`` kills per test in the default run, ``SLOW_KILLS`` under ``-m slow``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from textmine import TopicModel
from textmine.errors import PersistenceError

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import fault_driver as FD  # noqa: E402

KILLS = 15
SLOW_KILLS = 120

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the fault driver forks (POSIX)")


class Driver:
    """The fault driver process: ``kill_after(s)`` forks a writer, kills it ``s`` seconds later."""

    def __init__(self, *args: object):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen([sys.executable, str(HERE / "fault_driver.py"), *map(str, args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert self._line() == "ready"

    def _line(self) -> str:
        line = self.proc.stdout.readline().strip()
        assert line, f"the fault driver stopped (exit {self.proc.poll()})"
        return line

    def kill_after(self, seconds: float) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        pid = int(self._line())
        time.sleep(seconds)
        os.kill(pid, signal.SIGKILL)
        assert self._line() == "dead"

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """Two small fitted models (3 and 4 topics; precomputed embeddings: no embedding model is loaded), saved."""
    from textmine.io import load_sample_corpus

    docs = load_sample_corpus().texts[:40]
    E = np.random.default_rng(0).normal(size=(len(docs), 16))
    root = tmp_path_factory.mktemp("fault-models")
    out = []
    for k, name in ((3, "a"), (4, "b")):
        m = TopicModel(n_topics=k, reduction="pca", clustering="kmeans", random_state=0).fit(docs, embeddings=E)
        m.save(root / name)
        out.append((m, root / name))
    return out


def _which(model: TopicModel, saved: list) -> int:
    for i, (m, _) in enumerate(saved):
        if len(model.topics_) == len(m.topics_) and np.array_equal(model.labels_, m.labels_) \
                and np.array_equal(model.topic_embeddings_, m.topic_embeddings_):
            return i
    raise AssertionError("the saved model is neither the old nor the new one")


def _leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}."))


def _kill_saves(saved, tmp_path: Path, mode: str, n: int, seed: int) -> int:
    """``n`` kills of a save loop; returns how many left the path without a model (restored on load)."""
    from textmine.topics.persist import is_model_dir

    (a, a_dir), (b, b_dir) = saved
    target = tmp_path / "model"
    a.save(target)
    rng = random.Random(seed)
    driver = Driver("save", target, a_dir, b_dir, *(["two-rename"] if mode == "two-rename" else []))
    restored = 0
    try:
        for i in range(n):
            driver.kill_after(rng.uniform(0.0, 0.06))
            if mode == "exchange":  # the atomic exchange: a model at the path at every moment
                assert is_model_dir(target), f"kill {i}: no model at the path"
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if i % 2:  # save restores too: a model is there again, so a save without force is refused
                    with pytest.raises(PersistenceError, match="already exists"):
                        a.save(target)
                _which(TopicModel.load(target), saved)  # checksums valid, old or new model
            restored += any("interrupted" in str(w.message) for w in caught)
            saved[i % 2][0].save(target, force=True)
            assert _leftovers(target) == [], f"kill {i}: temporary folders left after the next save"
    finally:
        driver.close()
    return restored


@pytest.mark.parametrize("mode", ["exchange", "two-rename"])
def test_killed_saves_leave_the_old_or_the_new_model(saved_models, tmp_path, mode):
    restored = _kill_saves(saved_models, tmp_path, mode, KILLS, seed=1)
    assert mode == "two-rename" or restored == 0


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["exchange", "two-rename"])
def test_killed_saves_leave_the_old_or_the_new_model_many_times(saved_models, tmp_path, mode):
    restored = _kill_saves(saved_models, tmp_path, mode, SLOW_KILLS, seed=2)
    if mode == "two-rename":
        assert restored > 0  # some kills landed between the two renames (each widened to 2 ms)
    else:
        assert restored == 0
    print(f"{mode}: {SLOW_KILLS} kills, {restored} between the two renames (restored)")


def test_a_save_killed_between_its_two_renames_is_restored(saved_models, tmp_path):
    """Deterministic: the fallback swap is killed once the old model is aside and the new one not in place."""
    (a, a_dir), (b, b_dir) = saved_models
    target = tmp_path / "model"
    b.save(target)
    driver = Driver("save", target, a_dir, b_dir, "two-rename")
    try:
        driver.proc.stdin.write("go\n")
        driver.proc.stdin.flush()
        pid = int(driver._line())
        deadline = time.monotonic() + 30
        while target.exists():  # the 2 ms pause after the first rename
            assert time.monotonic() < deadline
        os.kill(pid, signal.SIGKILL)
        assert driver._line() == "dead"
    finally:
        driver.close()
    assert not target.exists() and any(".textmine-old-" in n for n in _leftovers(target))
    with pytest.warns(RuntimeWarning, match="interrupted"):
        back = TopicModel.load(target)
    assert _which(back, saved_models) in (0, 1)
    b.save(target, force=True)
    assert _leftovers(target) == []


def test_killed_output_writes_leave_the_old_or_the_new_file(tmp_path):
    from textmine.io import write_records

    n = 20000
    refs = []
    for v in "AB":
        ref = write_records(FD.records(n, v), tmp_path / f"ref{v}.jsonl")
        refs.append(ref.read_bytes())
    target = tmp_path / "kw.jsonl"
    write_records(FD.records(n, "A"), target)
    rng = random.Random(3)
    driver = Driver("write", target, n)
    try:
        for i in range(KILLS):
            driver.kill_after(rng.uniform(0.0, 0.3))
            assert target.read_bytes() in refs, f"kill {i}: a partial file under the final name"
            write_records(FD.records(n, "AB"[i % 2]), target, force=True)
            assert _leftovers(target) == [], f"kill {i}: temporary files left after the next write"
    finally:
        driver.close()


def test_killed_cache_writers_leave_a_cache_that_serves_correct_vectors(tmp_path):
    from textmine.embed import EmbeddingCache

    db = tmp_path / "embeddings.sqlite"
    keys = [FD.key(j) for j in range(2000)]
    rng = random.Random(4)
    driver = Driver("cache", db)
    served = 0
    try:
        for i in range(KILLS):
            driver.kill_after(rng.uniform(0.0, 0.3))
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a quarantined (rebuilt) cache would warn: it must not be needed
                cache = EmbeddingCache(db, "fault-test", FD.DIM)
                got = cache.get_many(keys)
            for k, v in got.items():
                np.testing.assert_array_equal(v, FD.vector(k))
            assert len(cache) == len(got)
            assert len(got) >= served  # nothing committed is lost
            served = len(got)
            cache._conn.close()
    finally:
        driver.close()
    assert served > 0


CONCURRENT = """
import random, sys
import numpy as np
from textmine.embed import get_embedder
from textmine.io import load_sample_corpus

docs = load_sample_corpus().texts
order = list(range(len(docs)))
random.Random(int(sys.argv[2])).shuffle(order)
emb = get_embedder("default", cache=sys.argv[1])
out = np.zeros((len(docs), emb.dim), np.float32)
for s in range(0, len(order), 5):
    chunk = order[s : s + 5]
    out[chunk] = emb.encode([docs[i] for i in chunk])
np.save(sys.argv[3], out)
print(emb.cache_hits, emb.cache_misses)
"""


def test_three_concurrent_cache_writers_store_what_each_computed(tmp_path):
    """Three writers fill one cache at once (killed after a while): every stored vector is the one computed."""
    from textmine.embed import EmbeddingCache

    db = tmp_path / "embeddings.sqlite"
    drivers = [Driver("cache", db) for _ in range(3)]
    try:
        pids = []
        for d in drivers:
            d.proc.stdin.write("go\n")
            d.proc.stdin.flush()
            pids.append(int(d._line()))
        time.sleep(1.0)
        for d, pid in zip(drivers, pids):
            os.kill(pid, signal.SIGKILL)
            assert d._line() == "dead"
    finally:
        for d in drivers:
            d.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache = EmbeddingCache(db, "fault-test", FD.DIM)
    got = cache.get_many([FD.key(j) for j in range(2000)])
    assert len(got) == len(cache) > 50
    for k, v in got.items():
        np.testing.assert_array_equal(v, FD.vector(k))


@pytest.mark.slow
def test_three_processes_filling_one_cache_agree_with_a_cold_run(tmp_path, embedder):
    from textmine.embed import get_embedder
    from textmine.io import load_sample_corpus

    docs = load_sample_corpus().texts
    cache_dir = tmp_path / "shared-cache"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TEXTMINE_CACHE_DIR": str(tmp_path / "unused")}
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(cache_dir), str(seed),
                               str(tmp_path / f"{seed}.npy")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for seed in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
    cold = np.stack([embedder.encode([d])[0] for d in docs])  # one document at a time, no cache
    for seed in range(3):
        np.testing.assert_allclose(np.load(tmp_path / f"{seed}.npy"), cold, atol=2e-6)
    warm = get_embedder("default", cache=cache_dir)
    again = warm.encode(docs)
    assert warm.cache_misses == 0  # every vector came from the shared cache
    np.testing.assert_allclose(again, cold, atol=2e-6)
