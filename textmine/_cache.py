"""Location of textmine's on-disk caches.

``TEXTMINE_CACHE_DIR`` overrides the default ``~/.cache/textmine`` (or
``$XDG_CACHE_HOME/textmine``). Every cache can also be given an explicit path.
"""

from __future__ import annotations

import os
import sqlite3
import time
import warnings
from pathlib import Path


def default_cache_root() -> Path:
    """``$XDG_CACHE_HOME/textmine`` or ``~/.cache/textmine``, whatever ``TEXTMINE_CACHE_DIR`` says (not created)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "textmine"


def cache_root(override: str | os.PathLike[str] | None = None) -> Path:
    """Return (and create) the cache root directory."""
    if override is not None:
        root = Path(override).expanduser()
    elif os.environ.get("TEXTMINE_CACHE_DIR"):
        root = Path(os.environ["TEXTMINE_CACHE_DIR"]).expanduser()
    else:
        root = default_cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from .errors import InputError

        how = "the cache argument" if override is not None else (
            "TEXTMINE_CACHE_DIR" if os.environ.get("TEXTMINE_CACHE_DIR")
            else "TEXTMINE_CACHE_DIR (or XDG_CACHE_HOME)")
        raise InputError(
            f"cannot use {root} as the cache directory ({exc.strerror or exc}); set {how} to a writable folder"
        ) from None
    return root


_QUICK_CHECK_BYTES = 256 << 20  # larger caches skip the open-time check (errors at query time still rebuild)


def _table_layout(conn: sqlite3.Connection, table: str) -> list[tuple[str, str, int]]:
    return [(str(r[1]).lower(), str(r[2]).upper(), int(r[5])) for r in conn.execute(f"PRAGMA table_info({table})")]


def _expected_layout(schema: str) -> tuple[str, list[tuple[str, str, int]]]:
    """Table name and columns (name, type, primary-key position) that ``schema`` creates."""
    mem = sqlite3.connect(":memory:")
    try:
        mem.execute(schema)
        table = mem.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchone()[0]
        return table, _table_layout(mem, table)
    finally:
        mem.close()


def quarantine(path: str | os.PathLike[str], reason: str) -> Path:
    """Move a broken cache database (and its -wal / -shm files) aside, with a warning; returns the new name."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}-{os.getpid()}")
    for suffix in ("", "-wal", "-shm", "-journal"):
        src = Path(f"{path}{suffix}")
        if src.exists():
            try:
                os.replace(src, f"{target}{suffix}")
            except OSError:
                src.unlink(missing_ok=True)
    warnings.warn(
        f"the cache database {path} is unusable ({reason}); it was moved to {target.name} and a new, empty "
        "cache is used (delete the old file when you no longer need it)",
        RuntimeWarning,
        stacklevel=3,
    )
    return target


def open_sqlite(path: str | os.PathLike[str], schema: str) -> sqlite3.Connection:
    """Open (creating if needed) a cache database with ``schema`` (a ``CREATE TABLE IF NOT EXISTS``).

    A cache is never trusted over a rebuild: a file that is not a database, fails SQLite's
    ``quick_check`` (run on files up to 256 MiB) or holds a table of another layout is quarantined (renamed
    ``<name>.corrupt-<time>``, with a :class:`RuntimeWarning`) and a new cache is created.
    A database that cannot be opened at all (permissions, locked) is an
    :class:`~textmine.errors.InputError` and is left alone.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from .errors import InputError

        raise InputError(f"cannot create the cache folder {path.parent} ({exc.strerror or exc}); "
                         "pass a writable cache directory (cache=..., --cache-dir or TEXTMINE_CACHE_DIR)") from None
    table, expected = _expected_layout(schema)

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(schema)
            layout = _table_layout(conn, table)
            if layout != expected:
                raise _Foreign(f"table {table!r} has columns {[c[0] for c in layout]}, expected "
                               f"{[c[0] for c in expected]}")
            size = path.stat().st_size if path.exists() else 0
            check = conn.execute("PRAGMA quick_check(1)").fetchone() if size <= _QUICK_CHECK_BYTES else ("ok",)
            if not check or str(check[0]).lower() != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {check[0] if check else 'no answer'}")
        except BaseException:
            conn.close()
            raise
        return conn

    try:
        return connect()
    except _Foreign as exc:
        quarantine(path, f"another schema: {exc}")
    except sqlite3.OperationalError as exc:  # cannot open / write / locked: not a corrupt file, keep it
        if "malformed" not in str(exc) and "not a database" not in str(exc):
            from .errors import InputError

            raise InputError(
                f"cannot use the cache database {path} ({exc}); pass a writable cache directory "
                "(cache=..., --cache-dir or TEXTMINE_CACHE_DIR)"
            ) from None
        quarantine(path, str(exc))
    except sqlite3.DatabaseError as exc:  # not a database / malformed: rebuild it
        quarantine(path, str(exc))
    return connect()


class _Foreign(Exception):
    """A cache database whose table has another layout."""
