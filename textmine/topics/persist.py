"""Saving and loading a TopicModel without pickle.

Layout of the directory written by :func:`save_model` (format version 2)::

    manifest.json        {"format": "textmine.TopicModel", "format_version": 2,
                          "textmine_version": ..., "files": {name: sha256, ...}}
    config.json          parameters (JSON-representable ones), topics, scalar state
    arrays.safetensors   topic_embeddings (float64), thresholds (float64), labels (int64);
                         classifier_coef / classifier_intercept (float64; assignment="classifier");
                         incremental state: centroid_sums (float64), centroid_counts, term_df,
                         term_tf, term_rows/term_cols/term_vals (per-topic word counts, COO; int64),
                         outlier_embeddings (float32)
    online.json          incremental state: the vocabulary of the word counts and the texts of
                         the buffered outlier documents

Version 1 directories (written before ``partial_fit`` existed: no ``online.json``,
no incremental arrays) still load; such a model transforms, saves and merges
like any other, but :meth:`TopicModel.partial_fit` on it raises
:class:`~textmine.errors.InputError` (it has no word counts to update).

Every file listed in the manifest is checked against its sha256 on load; a
missing file, a checksum mismatch, an unknown format version, a malformed
JSON or a value of the wrong type (:mod:`.schema`: checksums catch damage, not a
crafted model) raises :class:`~textmine.errors.PersistenceError`. A save puts its
folder in place atomically and recovers from killed saves (:mod:`.swap`). Parameters that are
Python objects (a custom embedder, reducer, clusterer, labeler ...) are not
saved: they come back as their defaults and are listed in
``model.unsaved_params_`` (with a warning). An embedder object of the packaged
default model comes back as its name instead (``"default+onnx-int8"`` ...).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, PersistenceError
from . import schema, swap
from .params import check_params
from .terms import TermCounts
from .topic import Topic

__all__ = ["save_model", "load_model", "check_save_target", "is_model_dir", "FORMAT", "FORMAT_VERSION"]

FORMAT = "textmine.TopicModel"
FORMAT_VERSION = 2
#: files of each readable format version
_FILES = {1: ("config.json", "arrays.safetensors"), 2: ("config.json", "arrays.safetensors", "online.json")}
_MODEL_FILES = {"manifest.json", *_FILES[1], *_FILES[2]}
_INCREMENTAL_ARRAYS = ("centroid_sums", "centroid_counts", "term_df", "term_tf", "term_rows", "term_cols",
                       "term_vals", "outlier_embeddings")


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


def is_model_dir(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a directory written by :func:`save_model` (its manifest names the format;
    the files are not checked: a damaged model still counts, so that it can be replaced)."""
    man = Path(path) / "manifest.json"
    try:
        data = json.loads(man.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("format") == FORMAT


def check_save_target(path: str | os.PathLike[str], force: bool = False) -> Path:
    """The absolute directory a model may be saved to, or :class:`PersistenceError` saying why not.

    A new path or an empty directory is fine.  A directory that already holds a saved model is
    replaced only with ``force=True``.  Anything else that exists (a file, a directory of other
    files) is never overwritten, ``force`` or not: nothing a user saved is lost.
    """
    out = Path(path).expanduser().resolve()
    if out.parent == out:
        raise PersistenceError(f"cannot save a model to the root directory {out}")
    try:
        cwd = Path.cwd().resolve()
    except OSError:  # pragma: no cover - the working directory was deleted
        cwd = None
    if cwd is not None and (cwd == out or out in cwd.parents):
        raise PersistenceError(f"{path} is the current directory or one above it; save the model to a new folder")
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise PersistenceError(f"{path} exists and is not a directory; choose another path")
        present = {p.name for p in out.iterdir()}
        if present:
            if not is_model_dir(out):
                raise PersistenceError(
                    f"{path} is a directory with other files in it (not a saved textmine model); "
                    "refusing to overwrite it, choose a new or empty directory"
                )
            extra = sorted(present - _MODEL_FILES)
            if extra:
                raise PersistenceError(
                    f"{path} holds a saved model and other files ({', '.join(extra[:3])}"
                    f"{', ...' if len(extra) > 3 else ''}); refusing to replace it, choose a new or empty directory"
                )
            if not force:
                raise PersistenceError(
                    f"model folder {path} already exists; pass force=True to replace it"
                )
    elif not out.parent.is_dir():
        raise PersistenceError(f"cannot save to {path}: directory {out.parent} does not exist")
    return out


def save_model(model: Any, path: str | os.PathLike[str], force: bool = False) -> None:
    """Write ``model`` to the directory ``path`` (see the module docs; :func:`check_save_target` says
    where).  The files are written (and synced) to a new directory next to it first, which then takes
    the place of ``path`` atomically (:mod:`.swap`): a failure or a kill while saving leaves the earlier
    model or the new one at ``path``.  Temporary folders left by killed saves are removed; a model a
    killed save left aside is restored first.  Folders and files get the umask's modes."""
    model._check_fitted("topic_embeddings_")
    try:
        swap.recover(path, is_model_dir)
        target = check_save_target(path, force)
        swap.clean_stale(target)

        def write(tmp: Path) -> None:
            _write_model(model, tmp)
            _sync(tmp)

        swap.publish(write, target)
    except PersistenceError:
        raise
    except OSError as exc:
        raise swap.wrap_os_error(exc, f"save the model to {path}") from None


def _sync(folder: Path) -> None:
    """fsync the files of ``folder`` (best effort), so that the rename never publishes empty files."""
    for f in folder.iterdir():
        try:
            fd = os.open(f, os.O_RDONLY)
        except OSError:  # pragma: no cover
            continue
        try:
            os.fsync(fd)
        except OSError:  # pragma: no cover - a filesystem without fsync
            pass
        finally:
            os.close(fd)


def _write_model(model: Any, out: Path) -> None:
    from safetensors.numpy import save_file

    from .. import __version__

    incremental = hasattr(model, "term_counts_")
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
            "language": str(getattr(model, "language_", "en")),
            "n_clusters_found": int(getattr(model, "n_clusters_found_", 0)),
            "noise_share": float(getattr(model, "noise_share_", 0.0)),
            "outlier_share": float(getattr(model, "outlier_share_", 0.0)),
            "zero_shot_topics": {str(t): name for t, name in getattr(model, "zero_shot_topics_", {}).items()},
            "n_docs_seen": int(getattr(model, "n_docs_seen_", 0)),
            "incremental": incremental,
        },
        "topics": [t.to_dict() for t in model.topics_],
    }
    arrays = {
        "topic_embeddings": np.ascontiguousarray(model.topic_embeddings_, dtype=np.float64),
        "thresholds": np.ascontiguousarray(model.thresholds_, dtype=np.float64),
        "labels": np.ascontiguousarray(model.labels_, dtype=np.int64),
    }
    if getattr(model, "classifier_coef_", None) is not None:
        arrays["classifier_coef"] = np.ascontiguousarray(model.classifier_coef_, dtype=np.float64)
        arrays["classifier_intercept"] = np.ascontiguousarray(model.classifier_intercept_, dtype=np.float64)
    online: dict[str, Any] = {}
    if incremental:
        tc = model.term_counts_
        config["state"].update(
            min_topic_size=int(model.min_topic_size_),
            n_new_outliers=int(model.n_new_outliers_),
            term_n_docs=int(tc.n_docs),
        )
        arrays["centroid_sums"] = np.ascontiguousarray(model.centroid_sums_, dtype=np.float64)
        arrays["centroid_counts"] = np.ascontiguousarray(model.centroid_counts_, dtype=np.int64)
        arrays.update({k: np.ascontiguousarray(v) for k, v in tc.to_arrays().items()})
        arrays["outlier_embeddings"] = np.ascontiguousarray(model.outlier_embeddings_, dtype=np.float32)
        online = {"words": list(tc.words), "outlier_texts": list(model.outlier_texts_)}
    (out / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "online.json").write_text(json.dumps(online, ensure_ascii=False), encoding="utf-8")
    save_file(arrays, str(out / "arrays.safetensors"),
              metadata={"format": FORMAT, "format_version": str(FORMAT_VERSION)})
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "textmine_version": __version__,
        "files": {name: _sha256(out / name) for name in _FILES[FORMAT_VERSION]},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def load_model(path: str | os.PathLike[str], model_class: type) -> Any:
    """Read a directory written by :func:`save_model` into a new ``model_class`` (``TopicModel.load`` passes
    its class); :class:`PersistenceError` when it is missing, damaged or inconsistent (or cannot be read).
    A model that a killed save left aside (:mod:`.swap`) is put back at ``path`` first, with a warning."""
    root = Path(path)
    try:
        if not root.exists():
            swap.recover(root, is_model_dir)
        return _load_model(root, model_class)
    except PersistenceError:
        raise
    except OSError as exc:
        raise swap.wrap_os_error(exc, f"load the model from {root}") from None


def _load_model(root: Path, model_class: type) -> Any:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    man_path = root / "manifest.json"
    if not man_path.is_file():
        raise PersistenceError(f"{root} is not a saved TopicModel: {man_path.name} is missing")
    manifest = schema.read_json(man_path, None, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PersistenceError(f"{man_path} does not describe a {FORMAT}")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in _FILES:
        raise PersistenceError(
            f"{root} has format version {version!r}; this textmine reads versions {sorted(_FILES)}"
            + (" (it was written by a newer textmine: upgrade textmine to load it)"
               if isinstance(version, int) and version > FORMAT_VERSION else "")
        )
    schema.check(manifest, schema.MANIFEST, "manifest.json")
    files = manifest["files"]
    for name in _FILES[version]:
        f = root / name
        if not f.is_file():
            raise PersistenceError(f"{root} is incomplete: {name} is missing")
        if files.get(name) != _sha256(f):
            raise PersistenceError(f"checksum mismatch for {f}: the file was modified or damaged")
    config = schema.read_json(root / "config.json", schema.CONFIG, "config.json")
    try:
        arrays = load_file(str(root / "arrays.safetensors"))
        params = dict(config["params"])
        valid = model_class().get_params(deep=False)
        unknown = set(params) - set(valid)
        if unknown:
            warnings.warn(f"ignoring unknown saved parameters {sorted(unknown)}", stacklevel=4)
        # models saved before the assignment parameter existed assigned by nearest centroid
        params.setdefault("assignment", "centroid")
        params.setdefault("drop_filler_words", False)  # saved before filler words were dropped: same words
        model = model_class(**{k: v for k, v in params.items() if k in valid})
        try:
            check_params(model)
        except InputError as exc:
            raise PersistenceError(f"{root} has an invalid parameter in config.json: {exc}") from None
        state = config["state"]
        model.embedding_model_id_ = state["embedding_model_id"]
        model.language_ = str(state.get("language", "en"))
        model.n_clusters_found_ = int(state["n_clusters_found"])
        model.noise_share_ = float(state["noise_share"])
        model.outlier_share_ = float(state["outlier_share"])
        model.unsaved_params_ = list(config.get("unsaved_params", []))
        model.topics_ = [Topic.from_dict(d) for d in config["topics"]]
        model.topic_embeddings_ = np.asarray(arrays["topic_embeddings"], dtype=np.float64)
        model.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64)
        model.labels_ = np.asarray(arrays["labels"], dtype=np.int64)
        has_coef = "classifier_coef" in arrays
        if has_coef != ("classifier_intercept" in arrays):
            raise PersistenceError(f"{root} is malformed: half of the topic classifier is missing")
        model.classifier_coef_ = np.asarray(arrays["classifier_coef"], dtype=np.float64) if has_coef else None
        model.classifier_intercept_ = np.asarray(arrays["classifier_intercept"], dtype=np.float64) if has_coef else None
        model.zero_shot_topics_ = {int(t): str(n) for t, n in state.get("zero_shot_topics", {}).items()}
        if version >= 2:
            model.n_docs_seen_ = int(state.get("n_docs_seen", 0))
        if version >= 2 and state.get("incremental"):
            _load_incremental(model, root, state, arrays)
    except PersistenceError:
        raise
    except (KeyError, TypeError, ValueError, SafetensorError, OSError) as exc:
        raise PersistenceError(f"{root} is malformed: {exc!r}") from None
    k = len(model.topics_)
    if [t.id for t in model.topics_] != list(range(k)) or any(t.size < 0 for t in model.topics_):
        raise PersistenceError(f"{root} is inconsistent: config.json topics must have ids 0 .. {k - 1} in order "
                               "and sizes >= 0")
    if model.labels_.ndim != 1 or (len(model.labels_) and not -1 <= model.labels_.min() <= model.labels_.max() < k):
        raise PersistenceError(f"{root} is inconsistent: labels must be topic ids -1 .. {k - 1}")
    for name in ("topic_embeddings_", "thresholds_", "classifier_coef_", "classifier_intercept_"):
        value = getattr(model, name)  # a threshold of -inf: a topic without outliers
        finite = np.where(value == -np.inf, 0, value) if name == "thresholds_" and value is not None else value
        if value is not None and not np.isfinite(finite).all():
            raise PersistenceError(f"{root} is malformed: {name.rstrip('_')} holds NaN or infinite values")
    if model.topic_embeddings_.ndim != 2 or model.topic_embeddings_.shape[0] != k or model.thresholds_.shape != (k,):
        raise PersistenceError(f"{root} is inconsistent: {k} topics but arrays of shape "
                               f"{model.topic_embeddings_.shape} and {model.thresholds_.shape}")
    if model.classifier_coef_ is not None and (
        model.classifier_coef_.shape != model.topic_embeddings_.shape or model.classifier_intercept_.shape != (k,)
    ):
        raise PersistenceError(f"{root} is inconsistent: a topic classifier of shape {model.classifier_coef_.shape} "
                               f"for {k} topics of dimension {model.topic_embeddings_.shape[1]}")
    if any(not 0 <= t < k for t in model.zero_shot_topics_):
        raise PersistenceError(f"{root} is inconsistent: zero-shot topic ids {sorted(model.zero_shot_topics_)} for {k} topics")
    if "embedding_model" in model.unsaved_params_:
        name = _embedding_name(model.embedding_model_id_)
        if name is not None:  # an embedder object built from a name: the same name does
            model.embedding_model = name
            model.unsaved_params_.remove("embedding_model")
    if model.unsaved_params_:
        warnings.warn(
            f"parameters {model.unsaved_params_} were Python objects and were not saved; defaults are used",
            stacklevel=4,
        )
    return model


def _embedding_name(model_id: Any) -> str | None:
    """The ``embedding_model`` string that builds the embedder whose ``model_id`` was saved, for the
    packaged default model and its backends (``"default"``, ``"default+onnx-int8"``); else ``None``."""
    if not isinstance(model_id, str):
        return None
    from ..embed_static import StaticEmbedder

    if model_id == StaticEmbedder.model_id:
        return "minilm-static"
    from ..embed import resolve_embedding_model
    from ..embed_onnx import BACKENDS

    base, plus, backend = model_id.rpartition("+")
    if not plus or backend not in BACKENDS:
        base, backend = model_id, "torch"
    try:
        default_id = resolve_embedding_model("default").model_id
    except Exception:  # noqa: BLE001 - the default model is not installed: nothing to restore
        return None
    if base != default_id:
        return None
    return "default" if backend == "torch" else f"default+{backend}"


def _load_incremental(model: Any, root: Path, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """The partial_fit state of a version-2 directory; PersistenceError when it does not fit together."""
    online = schema.read_json(root / "online.json", schema.ONLINE, "online.json")
    missing = [a for a in _INCREMENTAL_ARRAYS if a not in arrays]
    if missing or not isinstance(online, dict) or not isinstance(online.get("words"), list) \
            or not isinstance(online.get("outlier_texts"), list):
        raise PersistenceError(f"{root} is malformed: incomplete incremental state (missing {missing or 'online.json keys'})")
    k, dim = model.topic_embeddings_.shape
    model.min_topic_size_ = int(state["min_topic_size"])
    model.n_new_outliers_ = int(state["n_new_outliers"])
    model.centroid_sums_ = np.asarray(arrays["centroid_sums"], dtype=np.float64)
    model.centroid_counts_ = np.asarray(arrays["centroid_counts"], dtype=np.int64)
    model.outlier_texts_ = [str(t) for t in online["outlier_texts"]]
    model.outlier_embeddings_ = np.asarray(arrays["outlier_embeddings"], dtype=np.float32)
    V = len(online["words"])
    rows, cols = arrays["term_rows"], arrays["term_cols"]
    if (
        model.centroid_sums_.shape != (k, dim)
        or model.centroid_counts_.shape != (k,)
        or model.outlier_embeddings_.shape != (len(model.outlier_texts_), dim)
        or rows.shape != cols.shape
        or rows.shape != arrays["term_vals"].shape
        or (len(rows) and (rows.min() < 0 or rows.max() >= k or cols.min() < 0 or cols.max() >= V))
    ):
        raise PersistenceError(f"{root} is inconsistent: the incremental state does not match {k} topics of dimension {dim}")
    model.term_counts_ = TermCounts.from_arrays(online["words"], int(state["term_n_docs"]), k, arrays)
