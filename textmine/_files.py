"""Small file-system helpers shared by the writers (outputs, reports, saved models).

* :func:`umask` reads the process umask (so that files written through private temporary
  files still get the usual mode of a new file);
* :func:`owner_alive` / :func:`hold` / :func:`is_stale`: temporary files and folders carry the
  id of the process that made them in their name, and that process holds an ``flock`` on them
  while it writes; one is *stale* (left by a killed writer, safe to remove) only when that
  process is gone and nobody holds the lock.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

try:  # pragma: no cover - always there on POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["umask", "owner_alive", "hold", "is_stale", "LEGACY_AGE"]

#: a temporary name without a process id (written by textmine before 0.x) counts as stale after this many seconds
LEGACY_AGE = 3600.0


def umask() -> int:
    """The process umask (read from ``/proc`` on Linux: setting it to read it back is not thread safe)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def owner_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine); unknown counts as alive."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # exists but is another user's, or cannot tell
        return True
    return True


@contextlib.contextmanager
def hold(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (a file or a folder) for the block (best effort)."""
    fd = _lock(path, blocking=True)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _lock(path: str | os.PathLike[str], *, blocking: bool) -> int | None:
    """An fd holding an exclusive flock on ``path``; ``None`` when locks are unavailable; -1 when taken."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError:
        os.close(fd)
        return -1
    return fd


_PID = re.compile(r"-(\d+)-[^-]*$")


def name_pid(name: str) -> int | None:
    """The process id in a temporary name ``...-<pid>-<random>``, or ``None`` (an older name)."""
    m = _PID.search(name)
    return int(m.group(1)) if m else None


def is_stale(path: Path) -> bool:
    """Whether the temporary file or folder ``path`` was left by a writer that is gone.

    Its process (from the name) must be dead and nobody may hold its lock; a name without a
    process id (older textmine) must also be older than :data:`LEGACY_AGE`.
    """
    try:
        st = path.lstat()
    except OSError:
        return False
    pid = name_pid(path.name)
    if pid is None:
        if time.time() - st.st_mtime < LEGACY_AGE:
            return False
    elif owner_alive(pid):
        return False
    fd = _lock(path, blocking=False)
    if fd == -1:
        return False
    if fd is not None:
        os.close(fd)
    return True
