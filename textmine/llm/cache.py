"""The disk cache of LLM answers: raw completions keyed by a hash of (model, prompt, grammar, settings).

:meth:`textmine.llm.LLM.complete` looks every request up here before decoding (:func:`cache_key`);
``LLM(cache=False)`` turns it off.

>>> import tempfile
>>> from textmine.llm.cache import ResponseCache, cache_key
>>> c = ResponseCache(tempfile.mkdtemp() + "/llm.sqlite")
>>> key = cache_key("model", [1, 2, 3], None, {"max": 8})
>>> c.put(key, "model", '["a"]', 3, 4)
>>> c.get(key), len(c)
(('["a"]', 3, 4), 1)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from .._cache import cache_root, open_sqlite

#: part of every key: bump it when the same request would decode to a different answer
_CACHE_VERSION = "3"


def cache_key(model_id: str, prompt_tokens: list[int], grammar: str | None, settings: dict[str, Any]) -> str:
    """The key of one request: sha256 of the model, the prompt's tokens, the grammar and the settings."""
    return hashlib.sha256(
        json.dumps([model_id, prompt_tokens, grammar, settings], separators=(",", ":")).encode()
    ).hexdigest()


class ResponseCache:
    """SQLite cache of raw LLM completions keyed by a hash of (model, prompt, grammar, settings)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn = open_sqlite(
            self.path,
            "CREATE TABLE IF NOT EXISTS llm (key TEXT PRIMARY KEY, model TEXT, text TEXT, "
            "prompt_tokens INTEGER, completion_tokens INTEGER, created REAL)",
        )

    def get(self, key: str) -> tuple[str, int, int] | None:
        with self._lock:
            try:
                row = self._conn.execute(
                    "SELECT text, prompt_tokens, completion_tokens FROM llm WHERE key=?", (key,)
                ).fetchone()
            except sqlite3.DatabaseError:
                return None
        return (row[0], int(row[1]), int(row[2])) if row else None

    def put(self, key: str, model: str, text: str, prompt_tokens: int, completion_tokens: int) -> None:
        with self._lock:
            try:
                with self._conn:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO llm VALUES (?, ?, ?, ?, ?, ?)",
                        (key, model, text, prompt_tokens, completion_tokens, time.time()),
                    )
            except sqlite3.DatabaseError:  # a read-only or broken cache must not break generation
                pass

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM llm").fetchone()[0]


def open_response_cache(setting: bool | str | os.PathLike[str]) -> ResponseCache | None:
    """The cache for ``LLM(cache=setting)``: ``True``: ``<cache root>/llm_responses.sqlite``; ``False``:
    none; a directory: ``llm_responses.sqlite`` in it."""
    if setting is False:
        return None
    root = cache_root() if setting is True else Path(os.fspath(setting)).expanduser()
    return ResponseCache(root / "llm_responses.sqlite")


__all__ = ["ResponseCache", "cache_key", "open_response_cache"]
