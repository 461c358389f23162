"""Location of textmine's on-disk caches.

``TEXTMINE_CACHE_DIR`` overrides the default ``~/.cache/textmine`` (or
``$XDG_CACHE_HOME/textmine``). Every cache can also be given an explicit path.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root(override: str | os.PathLike[str] | None = None) -> Path:
    """Return (and create) the cache root directory."""
    if override is not None:
        root = Path(override).expanduser()
    elif os.environ.get("TEXTMINE_CACHE_DIR"):
        root = Path(os.environ["TEXTMINE_CACHE_DIR"]).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(base) / "textmine"
    root.mkdir(parents=True, exist_ok=True)
    return root
