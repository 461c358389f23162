"""Saving and loading a TopicModel without pickle.

Layout of the directory written by :func:`save_model`::

    manifest.json        {"format": "textmine.TopicModel", "format_version": 1,
                          "textmine_version": ..., "files": {name: sha256, ...}}
    config.json          parameters (JSON-representable ones), topics, scalar state
    arrays.safetensors   topic_embeddings (float64), thresholds (float64), labels (int64)

Every file listed in the manifest is checked against its sha256 on load; a
missing file, a checksum mismatch, an unknown format version or a malformed
JSON raises :class:`~textmine.errors.PersistenceError`. Parameters that are
Python objects (a custom embedder, reducer, clusterer, labeler ...) are not
saved: they come back as their defaults and are listed in
``model.unsaved_params_``.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import PersistenceError

__all__ = ["save_model", "load_model", "FORMAT", "FORMAT_VERSION"]

FORMAT = "textmine.TopicModel"
FORMAT_VERSION = 1
_FILES = ("config.json", "arrays.safetensors")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _jsonable(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_jsonable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    return False


def save_model(model: Any, path: str | os.PathLike[str]) -> None:
    from safetensors.numpy import save_file

    from .. import __version__

    model._check_fitted("topic_embeddings_")
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise PersistenceError(f"{out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    params, unsaved = {}, []
    for name, value in model.get_params(deep=False).items():
        if isinstance(value, np.integer):
            value = int(value)
        if isinstance(value, np.floating):
            value = float(value)
        if _jsonable(value):
            params[name] = value
        else:
            unsaved.append(name)
    config = {
        "params": params,
        "unsaved_params": unsaved,
        "state": {
            "embedding_model_id": getattr(model, "embedding_model_id_", None),
            "n_clusters_found": int(getattr(model, "n_clusters_found_", 0)),
            "noise_share": float(getattr(model, "noise_share_", 0.0)),
            "outlier_share": float(getattr(model, "outlier_share_", 0.0)),
        },
        "topics": [t.to_dict() for t in model.topics_],
    }
    tmp_cfg = out / "config.json.tmp"
    tmp_cfg.write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp_arr = out / "arrays.safetensors.tmp"
    save_file(
        {
            "topic_embeddings": np.ascontiguousarray(model.topic_embeddings_, dtype=np.float64),
            "thresholds": np.ascontiguousarray(model.thresholds_, dtype=np.float64),
            "labels": np.ascontiguousarray(model.labels_, dtype=np.int64),
        },
        str(tmp_arr),
        metadata={"format": FORMAT, "format_version": str(FORMAT_VERSION)},
    )
    os.replace(tmp_cfg, out / "config.json")
    os.replace(tmp_arr, out / "arrays.safetensors")
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "textmine_version": __version__,
        "files": {name: _sha256(out / name) for name in _FILES},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def load_model(path: str | os.PathLike[str]) -> Any:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    from .model import Topic, TopicModel

    root = Path(path)
    man_path = root / "manifest.json"
    if not man_path.is_file():
        raise PersistenceError(f"{root} is not a saved TopicModel: {man_path.name} is missing")
    try:
        manifest = json.loads(man_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PersistenceError(f"cannot read {man_path}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PersistenceError(f"{man_path} does not describe a {FORMAT}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise PersistenceError(
            f"{root} has format version {manifest.get('format_version')!r}; this textmine reads version {FORMAT_VERSION}"
        )
    files = manifest.get("files") or {}
    for name in _FILES:
        f = root / name
        if not f.is_file():
            raise PersistenceError(f"{root} is incomplete: {name} is missing")
        if files.get(name) != _sha256(f):
            raise PersistenceError(f"checksum mismatch for {f}: the file was modified or damaged")
    try:
        config = json.loads((root / "config.json").read_text(encoding="utf-8"))
        arrays = load_file(str(root / "arrays.safetensors"))
        params = dict(config["params"])
        valid = TopicModel().get_params(deep=False)
        unknown = set(params) - set(valid)
        if unknown:
            warnings.warn(f"ignoring unknown saved parameters {sorted(unknown)}", stacklevel=2)
        model = TopicModel(**{k: v for k, v in params.items() if k in valid})
        state = config["state"]
        model.embedding_model_id_ = state["embedding_model_id"]
        model.n_clusters_found_ = int(state["n_clusters_found"])
        model.noise_share_ = float(state["noise_share"])
        model.outlier_share_ = float(state["outlier_share"])
        model.unsaved_params_ = list(config.get("unsaved_params", []))
        model.topics_ = [Topic.from_dict(d) for d in config["topics"]]
        model.topic_embeddings_ = np.asarray(arrays["topic_embeddings"], dtype=np.float64)
        model.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64)
        model.labels_ = np.asarray(arrays["labels"], dtype=np.int64)
    except PersistenceError:
        raise
    except (KeyError, TypeError, ValueError, SafetensorError, OSError) as exc:
        raise PersistenceError(f"{root} is malformed: {exc!r}") from None
    k = len(model.topics_)
    if model.topic_embeddings_.ndim != 2 or model.topic_embeddings_.shape[0] != k or model.thresholds_.shape != (k,):
        raise PersistenceError(f"{root} is inconsistent: {k} topics but arrays of shape "
                               f"{model.topic_embeddings_.shape} and {model.thresholds_.shape}")
    if model.unsaved_params_:
        warnings.warn(
            f"parameters {model.unsaved_params_} were Python objects and were not saved; defaults are used",
            stacklevel=2,
        )
    return model
