"""Putting a saved model's folder in place atomically, and recovering from a save that was killed.

:func:`save_model <textmine.topics.persist.save_model>` writes the new model into a temporary folder
next to the target, ``.<name>.textmine-tmp-<pid>-<random>``, then :func:`replace_dir` puts it in place:

* on Linux the two folders are exchanged in one step (``renameat2(RENAME_EXCHANGE)``): at every
  moment the path holds the old or the new model; the old one, now under the temporary name, is
  then removed;
* elsewhere (or on a file system without the exchange) the old model is renamed to
  ``.<name>.textmine-old-<pid>-<random>`` and the new one renamed into place. A kill between these two
  renames leaves no model at the path; :func:`recover` (called by every ``save`` and ``load`` of the
  path) then puts the old one back, with a warning.

The writer holds an ``flock`` on its temporary folder and its id is in the name, so
:func:`clean_stale` (called by every ``save``) removes only the folders of writers that are gone.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from .._files import hold, is_stale, name_pid, owner_alive, umask
from ..errors import PersistenceError

__all__ = ["exchange", "replace_dir", "recover", "clean_stale", "make_temp_dir", "TMP", "OLD"]

TMP = "textmine-tmp"
OLD = "textmine-old"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_renameat2 = None


def _libc_renameat2():
    global _renameat2
    if _renameat2 is None:
        try:
            fn = ctypes.CDLL(None, use_errno=True).renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            fn.restype = ctypes.c_int
            _renameat2 = fn
        except (OSError, AttributeError):  # an older C library
            _renameat2 = False
    return _renameat2


def exchange(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Swap the paths ``a`` and ``b`` atomically (Linux ``renameat2(RENAME_EXCHANGE)``).

    ``False`` when the system cannot (not Linux, an old kernel or C library, a file system
    without it): the caller falls back to two renames. Other failures are an ``OSError``.
    """
    if not sys.platform.startswith("linux"):
        return False
    fn = _libc_renameat2()
    if not fn:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(b))


def make_temp_dir(target: Path, kind: str = TMP) -> Path:
    """A new empty folder ``.<target name>.<kind>-<pid>-<random>`` beside ``target``."""
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.{kind}-{os.getpid()}-"))


def _siblings(target: Path, kind: str) -> list[Path]:
    prefix = f".{target.name}.{kind}-"
    try:
        return [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - a file system without fsync on folders
        pass
    finally:
        os.close(fd)


def replace_dir(new: Path, target: Path) -> None:
    """Put the folder ``new`` at ``target`` (missing, an empty folder or a saved model), replacing it."""
    has_old = target.is_dir() and not target.is_symlink() and any(target.iterdir())
    if not has_old:
        os.replace(new, target)  # onto nothing or an empty folder: one rename
    elif exchange(new, target):
        _sync_dir(target.parent)
        _remove(new)  # the old model, now under the temporary name
        return
    else:
        old = make_temp_dir(target, OLD)  # our process id in its name tells recover() we are alive
        os.replace(target, old)  # a saved model onto an empty folder
        try:
            os.replace(new, target)
        except BaseException:
            if not target.exists():
                os.replace(old, target)  # put the earlier model back
            raise
        _remove(old)
    _sync_dir(target.parent)


def recover(path: str | os.PathLike[str], is_model: Callable[[Path], bool], *, wait: float = 2.0) -> bool:
    """Put back the model a killed save left at ``.<name>.textmine-old-*`` when ``path`` has none.

    Returns whether a model was restored (with a warning). A save still running (its process is
    alive) is given ``wait`` seconds to finish instead. ``is_model(folder)``: whether a folder holds a model.
    """
    target = Path(path).expanduser().resolve()
    deadline = time.monotonic() + wait
    while not target.exists() and not target.is_symlink():
        olds = [p for p in _siblings(target, OLD) if is_model(p)]
        if not olds:
            return False
        dead = [p for p in olds if not owner_alive(name_pid(p.name) or 0)]  # no id: an older textmine's
        if not dead:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)  # another process is between its two renames
            continue
        best = max(dead, key=lambda p: (p / "manifest.json").stat().st_mtime)
        try:
            os.rename(best, target)
        except OSError:
            if target.exists() or not best.exists():
                continue  # someone else restored it (or saved) first: look again
            raise  # cannot be moved back (permissions ...): the caller reports it
        warnings.warn(
            f"{target} had no model: a save to it was interrupted; the earlier model was restored from {best.name}",
            RuntimeWarning,
            stacklevel=3,
        )
        return True
    return False


def clean_stale(target: Path) -> list[Path]:
    """Remove the temporary folders of killed saves to ``target`` (only those whose writer is gone)."""
    removed = []
    for kind in (TMP, OLD):
        for p in _siblings(target, kind):
            if is_stale(p):
                _remove(p)
                removed.append(p)
    return removed


def publish(write: Callable[[Path], None], target: Path) -> None:
    """Write a model into a new temporary folder with ``write(folder)`` and put it at ``target``."""
    tmp = make_temp_dir(target)
    try:
        with hold(tmp):
            mask = umask()
            os.chmod(tmp, 0o777 & ~mask)  # mkdtemp makes 0700 folders: follow the umask like any tool
            write(tmp)
            for f in tmp.iterdir():  # and so do the files (safetensors writes 0600 ones)
                os.chmod(f, 0o666 & ~mask)
            replace_dir(tmp, target)
    except BaseException:
        _remove(tmp)
        raise


def wrap_os_error(exc: OSError, what: str) -> PersistenceError:
    """A :class:`PersistenceError` for an ``OSError`` while saving / loading (permissions, disk full ...)."""
    reason = exc.strerror or str(exc)
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    return PersistenceError(f"cannot {what}: {reason}{where}")
