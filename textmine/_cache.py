"""Location of textmine's on-disk caches.

``TEXTMINE_CACHE_DIR`` overrides the default ``~/.cache/textmine`` (or
``$XDG_CACHE_HOME/textmine``). Every cache can also be given an explicit path.
"""

from __future__ import annotations

import os
import sqlite3
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


def open_sqlite(path: str | os.PathLike[str], schema: str) -> sqlite3.Connection:
    """Open (creating if needed) a cache database with ``schema`` (a ``CREATE TABLE IF NOT EXISTS``).

    A cache is never trusted over a rebuild: a corrupt file is deleted and created afresh.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from .errors import InputError

        raise InputError(f"cannot create the cache folder {path.parent} ({exc.strerror or exc}); "
                         "pass a writable cache directory (cache=..., --cache-dir or TEXTMINE_CACHE_DIR)") from None

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(schema)
        return conn

    try:
        return connect()
    except sqlite3.OperationalError as exc:  # cannot open / write / locked: not a corrupt file, keep it
        from .errors import InputError

        raise InputError(
            f"cannot use the cache database {path} ({exc}); pass a writable cache directory "
            "(cache=..., --cache-dir or TEXTMINE_CACHE_DIR)"
        ) from None
    except sqlite3.DatabaseError:  # not a database / malformed: rebuild it
        path.unlink(missing_ok=True)
        return connect()
