"""Dask collections of texts: recognise them and turn them into one dask Series of clean ``str``.

Accepted: a dask ``Series``, a dask ``DataFrame`` with one column (or a ``text`` column) and a dask
``Bag`` of strings. Files (a glob such as ``"corpus/*.parquet"`` or a list of paths) become such a Series
with :func:`read_texts`; a plain list of strings is always a list of documents (the in-memory path). dask is imported only here and in the other modules of
:mod:`textmine.scale`, never by textmine's in-memory path; without it a
:class:`~textmine.errors.DependencyError` says how to install it.

Missing texts (``None``, ``NaN``, ``pd.NA``) become ``""`` and every text is cleaned as the in-memory
path cleans it (:func:`~textmine._validation.clean_text`), so an empty, blank or missing text gets
what a blank text gets in memory: topic ``-1`` and no keywords. A value that is neither text nor
missing (a number, a list) is an :class:`~textmine.errors.InputError` naming its partition.
"""

from __future__ import annotations

import glob
import os
from typing import Any

from .._validation import clean_text
from ..errors import DependencyError, InputError

__all__ = ["is_dask_collection", "require_dask", "as_text_series", "read_texts", "clean_partition", "INSTALL_HINT"]

INSTALL_HINT = 'pip install "textmine[dask]"'


def require_dask() -> Any:
    """The ``dask.dataframe`` module, or a :class:`DependencyError` with the install hint."""
    try:
        import dask.dataframe as dd
    except ImportError as exc:
        raise DependencyError(f"large corpora on dask need dask[dataframe] and pandas ({exc}): {INSTALL_HINT}") from None
    return dd


def is_dask_collection(obj: Any) -> bool:
    """True for a dask Series / DataFrame / Bag (checked without importing dask)."""
    module = type(obj).__module__ or ""
    if not module.startswith("dask"):
        return False
    return hasattr(obj, "__dask_graph__") and hasattr(obj, "npartitions")


def clean_partition(part: Any) -> Any:
    """A pandas Series of texts -> a Series of clean ``str`` (missing -> ``""``), same index."""
    import pandas as pd

    def one(value: Any) -> str:
        if isinstance(value, str):
            return clean_text(value)
        if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
            return ""
        if isinstance(value, (bytes, bytearray)):
            try:
                return clean_text(bytes(value).decode("utf-8"))
            except UnicodeDecodeError:
                raise InputError("a document is bytes that are not valid UTF-8") from None
        raise InputError(f"documents must be str (or missing), got {type(value).__name__}: {value!r:.60}")

    return pd.Series([one(v) for v in part.tolist()], index=part.index, dtype=object, name=part.name or "text")


def read_texts(paths: str | os.PathLike[str] | list[Any], *, field: str = "text", blocksize: Any = None) -> Any:
    """A dask Series of the ``field`` column of Parquet, JSON-lines or CSV files (a glob or a list of paths)."""
    dd = require_dask()
    if isinstance(paths, (str, os.PathLike)):
        spec = os.fspath(paths)
        files = sorted(glob.glob(spec)) if any(c in spec for c in "*?[") else [spec]
    else:
        files = [os.fspath(p) for p in paths]
    if not files:
        raise InputError(f"no file matches {paths!r}")
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        raise InputError(f"file not found: {missing[0]}")
    suffixes = {os.path.splitext(f.removesuffix(".gz"))[1].lower() for f in files}
    if len(suffixes) != 1:
        raise InputError(f"the files mix formats {sorted(suffixes)}: give files of one format")
    suffix = suffixes.pop()
    try:
        if suffix in (".parquet", ".pq"):
            frame = dd.read_parquet(files)  # only the text column is read (column projection)
        elif suffix in (".jsonl", ".json", ".ndjson"):
            frame = dd.read_json(files, lines=True, blocksize=blocksize or 2**26)
        elif suffix in (".csv", ".tsv"):
            frame = dd.read_csv(files, sep="\t" if suffix == ".tsv" else ",", dtype={field: object},
                                blocksize=blocksize or 2**26)
        else:
            raise InputError(f"cannot read {suffix or 'extension-less'} files on dask: use .parquet, .jsonl or .csv")
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a reader's error names the file; keep it on one line
        raise InputError(f"cannot read {files[0]}{' ...' if len(files) > 1 else ''}: {exc}") from None
    if field not in frame.columns:
        raise InputError(f"the files have no {field!r} column (columns: {list(frame.columns)})")
    return frame[field]


def as_text_series(obj: Any, *, field: str = "text") -> Any:
    """One dask Series of clean ``str`` (missing -> ``""``) with the partitions of ``obj``."""
    dd = require_dask()
    if is_dask_collection(obj) and type(obj).__name__ == "Bag":
        obj = obj.to_dataframe(meta={field: object})[field]
    if isinstance(obj, dd.DataFrame):
        cols = list(obj.columns)
        if len(cols) == 1:
            obj = obj[cols[0]]
        elif field in cols:
            obj = obj[field]
        else:
            raise InputError(f"a dask DataFrame of texts needs one column or a {field!r} column, got {cols}")
    if not isinstance(obj, dd.Series):
        raise InputError(f"expected a dask Series, DataFrame or Bag of texts, got {type(obj).__name__}")
    import pandas as pd

    return obj.map_partitions(clean_partition, meta=pd.Series([], dtype=object, name=obj.name or "text"))

