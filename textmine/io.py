"""Reading corpora from files and writing results, as used by the ``textmine`` command.

Supported inputs (chosen by extension, or by ``fmt=``):

* ``.txt``: one document per line (lines end at ``\\n``, ``\\r\\n`` or ``\\r`` only; U+2028,
  U+0085 and form feeds are kept inside a line); blank lines are skipped, ids are ``<file>:<line>``.
* a folder: every ``.txt`` / ``.md`` file below it (sorted) is one document, id = relative path.
* ``.jsonl`` / ``.ndjson``: one JSON object per line; the text is in ``field``
  (default ``text``), ``id`` and ``label`` are kept when present, and so is any other
  field asked for with ``keep=``.
* ``.csv`` / ``.tsv``: header row, the text in column ``field``.
* ``.parquet``: needs ``pyarrow`` (or ``pandas`` with a parquet engine).
* ``-``: standard input; JSON lines if the first non-blank line is a JSON object,
  else one document per line.

Texts, ids and labels are cleaned as they are read (lone surrogates become U+FFFD,
control characters a space: :func:`textmine._validation.clean_text`).  A CSV cell
whose opening quote is never closed is an error, not a cell that swallows the
following rows; a JSON integer too long for Python (4,300+ digits) is kept as its digits.

Outputs (:func:`write_records`) are chosen by extension: ``.jsonl``, ``.csv``,
``.parquet``. An existing file is never replaced unless ``force=True``, and a
file is written to a temporary name first, so a failure leaves no half-written
output.

>>> from textmine.io import load_sample_corpus
>>> corpus = load_sample_corpus()
>>> len(corpus), sorted(set(corpus.labels))[:2]
(60, ['cooking', 'finance'])
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ._validation import clean_text
from .errors import DependencyError, EmptyCorpusError, InputError, TextmineError

__all__ = [
    "Corpus",
    "read_corpus",
    "write_records",
    "check_output_path",
    "load_sample_corpus",
    "sample_corpus_path",
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
]

INPUT_FORMATS = ("txt", "dir", "jsonl", "csv", "tsv", "parquet")
OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
_EXT_FORMAT = {
    ".txt": "txt",
    ".text": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_FOLDER_SUFFIXES = (".txt", ".md")


@dataclass
class Corpus:
    """Documents read from a file, with their ids and (optional) gold labels."""

    texts: list[str]
    ids: list[str]
    labels: list[str] | None = None
    """Value of the label field for every document, when every document has one."""
    fields: dict[str, list[Any]] = field(default_factory=dict)
    """Other fields kept on request (``keep=``), one value per document (``None`` if absent)."""
    source: str = ""

    def __len__(self) -> int:
        return len(self.texts)


# --------------------------------------------------------------------------- reading


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt and fmt != "auto":
        fmt = fmt.lower().lstrip(".")
        fmt = {"ndjson": "jsonl", "text": "txt", "folder": "dir", "pq": "parquet"}.get(fmt, fmt)
        if fmt not in INPUT_FORMATS:
            raise InputError(f"unknown input format {fmt!r}; choose one of {', '.join(INPUT_FORMATS)}")
        return fmt
    if path.is_dir():
        return "dir"
    suffix = path.suffix.lower()
    if suffix in _EXT_FORMAT:
        return _EXT_FORMAT[suffix]
    if suffix == ".md":
        return "txt"
    raise InputError(
        f"cannot tell the format of {path.name!r} from its extension; use .txt (one document a line), "
        ".jsonl, .csv, .tsv, .parquet or a folder of .txt/.md files (or pass --format)"
    )


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where} is not valid UTF-8 (byte {exc.start}): re-encode it as UTF-8") from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path} is a folder; pass a file or use --format dir") from None
    except PermissionError:
        raise InputError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _as_text(value: Any, where: str, name: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    raise InputError(f"{where}: field {name!r} must be a string, got {type(value).__name__}")


def _records_to_corpus(
    records: Iterable[tuple[str, Mapping[str, Any]]],
    *,
    field: str,
    id_field: str,
    label_field: str,
    keep: Sequence[str],
    source: str,
) -> Corpus:
    texts: list[str] = []
    ids: list[str] = []
    labels: list[Any] = []
    kept: dict[str, list[Any]] = {k: [] for k in keep}
    seen_fields: set[str] = set()
    with_id_at = missing_id_at = ""  # the first records with / without an id (all or none must have one)
    id_key_seen = False
    for where, rec in records:
        if not isinstance(rec, Mapping):
            raise InputError(f"{where}: expected a JSON object, got {type(rec).__name__}")
        seen_fields.update(rec.keys())
        if field not in rec:
            have = ", ".join(sorted(map(str, rec.keys()))[:8]) or "none"
            raise InputError(f"{where}: no field {field!r} (fields: {have}); choose the text field with --field")
        texts.append(clean_text(_as_text(rec[field], where, field)))
        rid = rec.get(id_field)
        id_key_seen = id_key_seen or id_field in rec
        has_id = rid is not None and rid == rid and rid != ""
        if has_id:
            with_id_at = with_id_at or where
        else:
            missing_id_at = missing_id_at or where
        if with_id_at and missing_id_at:
            raise InputError(
                f"{missing_id_at}: no {id_field!r} id, while {with_id_at} has one; give every record an id "
                "(or none, to number them from 0)"
            )
        ids.append(clean_text(str(rid)) if has_id else str(len(ids)))
        lab = rec.get(label_field)
        labels.append(None if lab is None or lab != lab else lab)
        for k in keep:
            value = rec.get(k)
            kept[k].append(clean_text(value) if isinstance(value, str) else value)
    if missing_id_at and id_field != "id" and not id_key_seen:
        raise InputError(
            f"{missing_id_at}: no record has the id field {id_field!r}; check its name (--id-field on the "
            "command line)"
        )
    has_labels = bool(labels) and all(lab is not None for lab in labels)
    return Corpus(
        texts=texts,
        ids=ids,
        labels=[clean_text(str(lab)) for lab in labels] if has_labels else None,
        fields=kept,
        source=source,
    )


_CSV_FIELD_LIMIT = 2**31 - 1


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _split_lines(text: str) -> list[str]:
    """Lines split at ``\\n``, ``\\r\\n`` and ``\\r`` only: U+2028, U+0085, form feed ... stay inside a line
    (``str.splitlines`` would split there too)."""
    return _LINE_BREAK.split(text)


def _parse_int(digits: str) -> int | str:
    """JSON integers: beyond Python's 4,300-digit conversion limit they are kept as their digit string."""
    try:
        return int(digits)
    except ValueError:
        return digits


def _jsonl_records(text: str, name: str) -> Iterable[tuple[str, Any]]:
    for lineno, line in enumerate(_split_lines(text), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line, parse_int=_parse_int)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name} line {lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        except (ValueError, RecursionError) as exc:
            raise InputError(f"{name} line {lineno}: unreadable JSON ({type(exc).__name__}: {exc})") from None
        yield f"{name} line {lineno}", rec


def _csv_records(text: str, name: str, delimiter: str) -> Iterable[tuple[str, Any]]:
    # long documents are welcome: lift the csv module's 128 KiB cell limit
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    # strict: a quote left open (or text after a closing quote) is an error, not a cell that silently
    # swallows the following rows
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 2  # first line of the record being read
    try:
        for rec in reader:
            # DictReader stores surplus cells under None; drop them
            rec.pop(None, None)  # type: ignore[call-overload]
            yield f"{name} row {reader.line_num}", rec
            start = reader.line_num + 1
    except csv.Error as exc:
        hint = ""
        if "end of data" in str(exc) or "expected after" in str(exc):
            hint = ('; a cell that starts with a quote must end with one, and a quote inside a quoted cell '
                    'is written twice ("")')
        raise InputError(f"{name} line {start}: bad CSV ({exc}){hint}") from None


def _parquet_records(path: Path) -> Iterable[tuple[str, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        pq = None
    if pq is not None:
        try:
            rows = pq.read_table(path).to_pylist()
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many types
            raise InputError(f"cannot read parquet file {path}: {exc}") from None
    else:
        try:
            import pandas as pd
        except ImportError:
            raise DependencyError(
                "reading .parquet needs pyarrow: `pip install pyarrow` (or use .jsonl / .csv)"
            ) from None
        try:
            rows = pd.read_parquet(path).to_dict("records")
        except ImportError:
            raise DependencyError(
                "reading .parquet needs pyarrow: `pip install pyarrow` (or use .jsonl / .csv)"
            ) from None
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"cannot read parquet file {path}: {exc}") from None
    for i, rec in enumerate(rows, 1):
        yield f"{path.name} row {i}", rec


def _lines_corpus(text: str, name: str) -> Corpus:
    texts, ids = [], []
    for lineno, line in enumerate(_split_lines(text), 1):
        line = clean_text(line).strip()
        if line:
            texts.append(line)
            ids.append(f"{name}:{lineno}")
    return Corpus(texts=texts, ids=ids, source=name)


def _folder_corpus(path: Path) -> Corpus:
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _FOLDER_SUFFIXES)
    files = [p for p in files if not any(part.startswith(".") for part in p.relative_to(path).parts)]
    texts, ids = [], []
    for p in files:
        rel = p.relative_to(path).as_posix()
        texts.append(clean_text(_decode(_read_bytes(p), str(rel))).strip())
        ids.append(clean_text(rel))
    if not files:
        raise EmptyCorpusError(f"folder {path} holds no .txt or .md files")
    return Corpus(texts=texts, ids=ids, source=str(path))


def read_corpus(
    source: str | os.PathLike[str],
    *,
    field: str = "text",
    id_field: str = "id",
    label_field: str = "label",
    keep: Sequence[str] = (),
    fmt: str | None = None,
    stdin: IO[bytes] | IO[str] | None = None,
    allow_empty: bool = False,
) -> Corpus:
    """Read a corpus from a file, a folder or standard input (``"-"``).

    Raises :class:`~textmine.errors.InputError` with a one-line message (file and
    line) for a missing file, an unknown format, invalid UTF-8 / JSON / CSV, or
    a record without the text field; :class:`~textmine.errors.EmptyCorpusError`
    when no document is found (unless ``allow_empty``).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "docs.txt"
    >>> _ = p.write_text("first document\\n\\nsecond document\\n")
    >>> read_corpus(p).texts
    ['first document', 'second document']
    """
    keep = [k for k in keep if k not in (field,)]
    if os.fspath(source) == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        raw = stream.read()
        text = raw if isinstance(raw, str) else _decode(raw, "standard input")
        name = "<stdin>"
        chosen = (fmt or "auto").lower()
        if chosen == "auto":
            first = next((ln for ln in _split_lines(text) if ln.strip()), "")
            chosen = "txt"
            if first.lstrip().startswith("{"):
                try:
                    chosen = "jsonl" if isinstance(json.loads(first, parse_int=_parse_int), dict) else "txt"
                except (ValueError, RecursionError):
                    chosen = "txt"
        chosen = _format_of(Path("stdin"), chosen)
        if chosen == "jsonl":
            corpus = _records_to_corpus(
                _jsonl_records(text, name), field=field, id_field=id_field,
                label_field=label_field, keep=keep, source=name,
            )
        elif chosen in ("csv", "tsv"):
            corpus = _records_to_corpus(
                _csv_records(text, name, "," if chosen == "csv" else "\t"), field=field,
                id_field=id_field, label_field=label_field, keep=keep, source=name,
            )
        elif chosen == "txt":
            corpus = _lines_corpus(text, name)
        else:
            raise InputError(f"format {chosen!r} cannot be read from standard input")
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise InputError(f"input not found: {path}")
        chosen = _format_of(path, fmt)
        name = path.name
        if chosen == "dir":
            if not path.is_dir():
                raise InputError(f"{path} is not a folder")
            corpus = _folder_corpus(path)
        elif chosen == "parquet":
            corpus = _records_to_corpus(
                _parquet_records(path), field=field, id_field=id_field,
                label_field=label_field, keep=keep, source=str(path),
            )
        else:
            text = _decode(_read_bytes(path), str(path))
            if chosen == "txt":
                corpus = _lines_corpus(text, name)
                corpus.source = str(path)
            elif chosen == "jsonl":
                corpus = _records_to_corpus(
                    _jsonl_records(text, name), field=field, id_field=id_field,
                    label_field=label_field, keep=keep, source=str(path),
                )
            else:
                corpus = _records_to_corpus(
                    _csv_records(text, name, "," if chosen == "csv" else "\t"), field=field,
                    id_field=id_field, label_field=label_field, keep=keep, source=str(path),
                )
    if not corpus.texts and not allow_empty:
        raise EmptyCorpusError(f"no documents found in {corpus.source or source}")
    return corpus


# --------------------------------------------------------------------------- writing


def output_format(path: str | os.PathLike[str]) -> str:
    """Output format for ``path`` from its extension (``jsonl``, ``csv`` or ``parquet``)."""
    suffix = Path(path).suffix.lower()
    fmt = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(suffix)
    if fmt is None:
        raise InputError(f"cannot tell the output format of {os.fspath(path)!r}: use .jsonl, .csv or .parquet")
    return fmt


def require_pyarrow() -> None:
    """:class:`DependencyError` unless pyarrow (needed to write .parquet) can be imported."""
    import importlib

    try:
        importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise DependencyError(
            "writing .parquet needs pyarrow: `pip install pyarrow` (or write .jsonl / .csv)"
        ) from None


def check_output_path(path: str | os.PathLike[str], *, force: bool = False, kind: str = "output") -> Path:
    """Refuse to replace an existing file or folder unless ``force``; check the parent folder exists."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise InputError(f"{kind} {p} is a folder; name a file{' (--force replaces files only)' if force else ''}")
    if p.exists() and not force:
        raise InputError(f"{kind} {p} already exists; pass --force to overwrite it")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"cannot write {p}: folder {parent} does not exist")
    return p


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(_csv_cell(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return value


def _umask() -> int:
    from ._files import umask

    return umask()


def _clean_stale_temps(path: Path) -> None:
    """Remove the temporary files that killed writes of ``path`` left beside it (their writer is gone)."""
    from ._files import is_stale

    prefix = f".{path.name}.textmine-"
    try:
        stale = [p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return
    for p in stale:
        if not p.is_dir() and is_stale(p):
            p.unlink(missing_ok=True)


def _atomic_write(path: Path, write: Any, binary: bool = False) -> None:
    """Write ``path`` through an unpredictable, exclusively created temporary file in its folder, then
    rename it into place; the file gets the usual mode for a new file (``0o666`` less the umask).

    A kill leaves the earlier file (or none) at ``path``, never a partial one; the temporary file it
    leaves (``.<name>.textmine-<pid>-<random>.tmp``) is removed by the next write of ``path``. A folder
    at ``path`` or a file system error (permissions, disk full) is an :class:`InputError`.
    """
    from ._files import hold

    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a folder; name a file")
    try:
        _clean_stale_temps(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.textmine-{os.getpid()}-", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with hold(tmp):
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600 files: follow the umask like any tool
            with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8",
                           newline=None if binary else "") as fh:
                write(fh)
            os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, TextmineError):
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def write_records(
    records: Sequence[Mapping[str, Any]],
    path: str | os.PathLike[str],
    *,
    force: bool = False,
) -> Path:
    """Write a list of flat records to ``.jsonl``, ``.csv`` or ``.parquet`` (by extension).

    Lists are kept as JSON arrays in JSONL and parquet, and joined with ``"; "`` in CSV.

    >>> import tempfile, pathlib, json
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "kw.jsonl"
    >>> _ = write_records([{"id": "a", "keywords": ["x", "y"]}], out)
    >>> json.loads(out.read_text())["keywords"]
    ['x', 'y']
    """
    fmt = output_format(path)
    p = check_output_path(path, force=force)
    columns: list[str] = []
    for rec in records:
        for k in rec:
            if k not in columns:
                columns.append(k)
    if fmt == "jsonl":
        def _w(fh: Any) -> None:
            for rec in records:
                fh.write(json.dumps(dict(rec), ensure_ascii=False) + "\n")

        _atomic_write(p, _w)
    elif fmt == "csv":
        def _w(fh: Any) -> None:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for rec in records:
                writer.writerow({k: _csv_cell(rec.get(k)) for k in columns})

        _atomic_write(p, _w)
    else:
        require_pyarrow()
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([{k: rec.get(k) for k in columns} for rec in records])
        _atomic_write(p, lambda fh: pq.write_table(table, fh), binary=True)
    return p


# --------------------------------------------------------------------------- sample corpus


def sample_corpus_path() -> Path:
    """Path of the small corpus bundled with textmine (60 short documents, 5 themes, ``label`` field)."""
    return Path(__file__).resolve().parent / "data" / "sample_corpus.jsonl"


def load_sample_corpus() -> Corpus:
    """The bundled sample corpus: 60 original short texts on space, cooking, football, finance, gardening."""
    return read_corpus(sample_corpus_path())
