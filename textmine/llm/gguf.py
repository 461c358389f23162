"""Pure-Python reader of GGUF headers and metadata (no tensor data is read).

GGUF layout (little-endian; versions 1-3)::

    magic "GGUF" | version u32 | tensor_count u64 | kv_count u64 | kv_count x (key, type u32, value) | ...

Strings are ``u64 length + UTF-8 bytes`` (``u32`` in version 1).  Every length
and count is checked against the file size, so a truncated or corrupt file gives
:class:`~textmine.errors.ModelLoadError` with a clear message instead of a
``MemoryError`` or a ``struct.error``.

>>> from textmine.llm.presets import resolve_model_path      # doctest: +SKIP
>>> meta = read_gguf_metadata(resolve_model_path("smollm2-135m"))  # doctest: +SKIP
>>> meta["general.architecture"], meta["context_length"]     # doctest: +SKIP
('llama', 8192)
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path
from typing import Any

from ..errors import ModelLoadError, ModelNotFoundError

GGUF_MAGIC = b"GGUF"

# value types
_UINT8, _INT8, _UINT16, _INT16, _UINT32, _INT32, _FLOAT32, _BOOL, _STRING, _ARRAY, _UINT64, _INT64, _FLOAT64 = range(13)
_SCALAR = {
    _UINT8: "B",
    _INT8: "b",
    _UINT16: "H",
    _INT16: "h",
    _UINT32: "I",
    _INT32: "i",
    _FLOAT32: "f",
    _BOOL: "?",
    _UINT64: "Q",
    _INT64: "q",
    _FLOAT64: "d",
}
_TYPE_NAMES = {
    _UINT8: "uint8",
    _INT8: "int8",
    _UINT16: "uint16",
    _INT16: "int16",
    _UINT32: "uint32",
    _INT32: "int32",
    _FLOAT32: "float32",
    _BOOL: "bool",
    _STRING: "string",
    _ARRAY: "array",
    _UINT64: "uint64",
    _INT64: "int64",
    _FLOAT64: "float64",
}
_MAX_KV = 1_000_000


class GGUFArray(list):
    """A list value read from GGUF metadata; ``count`` is the full length.

    Long arrays (the tokenizer vocabulary, merges, scores) are not fully
    materialised unless asked for: only their first ``max_array`` items are
    kept, ``count`` holds the full length and ``truncated`` is ``True``.
    """

    def __init__(self, items: list[Any], count: int, item_type: str):
        super().__init__(items)
        self.count = count
        self.item_type = item_type
        self.truncated = len(items) < count


class _Reader:
    def __init__(self, buf: Any, size: int, path: Path):
        self.buf = buf
        self.size = size
        self.pos = 0
        self.path = path
        self.u_len = "Q"  # length/count type, "I" in GGUF v1
        self.prefix = "<"

    def fail(self, what: str) -> ModelLoadError:
        return ModelLoadError(
            f"{self.path} is not a valid GGUF file: {what} (at byte {self.pos} of {self.size}); "
            "the file is probably truncated or corrupt - re-download or re-assemble it"
        )

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise self.fail(f"unexpected end of file while reading {what}")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def scalar(self, code: str, what: str) -> Any:
        n = struct.calcsize(code)
        return struct.unpack(self.prefix + code, self.take(n, what))[0]

    def length(self, what: str) -> int:
        return int(self.scalar(self.u_len, what))

    def string(self, what: str) -> str:
        n = self.length(f"length of {what}")
        if n > self.size - self.pos:
            raise self.fail(f"{what} claims {n} bytes, more than the rest of the file")
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="replace")

    def skip_string(self, what: str) -> None:
        n = self.length(f"length of {what}")
        if n > self.size - self.pos:
            raise self.fail(f"{what} claims {n} bytes, more than the rest of the file")
        self.pos += n

    def value(self, vtype: int, key: str, max_array: int | None) -> Any:
        if vtype in _SCALAR:
            v = self.scalar(_SCALAR[vtype], f"value of {key!r}")
            return bool(v) if vtype == _BOOL else v
        if vtype == _STRING:
            return self.string(f"value of {key!r}")
        if vtype == _ARRAY:
            itype = self.scalar("I", f"array type of {key!r}")
            count = self.length(f"array length of {key!r}")
            if itype not in _TYPE_NAMES:
                raise self.fail(f"unknown array item type {itype} for key {key!r}")
            if count > self.size - self.pos:  # every item takes >= 1 byte
                raise self.fail(f"array {key!r} claims {count} items, more than the file can hold")
            keep = count if max_array is None else min(count, max_array)
            if itype in _SCALAR:
                width = struct.calcsize(_SCALAR[itype])
                if count * width > self.size - self.pos:
                    raise self.fail(f"array {key!r} runs past the end of the file")
                items = []
                if keep:
                    raw = self.buf[self.pos : self.pos + keep * width]
                    items = list(struct.unpack(f"{self.prefix}{keep}{_SCALAR[itype]}", raw))
                    if itype == _BOOL:
                        items = [bool(x) for x in items]
                self.pos += count * width
                return GGUFArray(items, count, _TYPE_NAMES[itype])
            items = []
            for i in range(count):
                if i < keep:
                    items.append(self.value(itype, f"{key}[{i}]", max_array))
                elif itype == _STRING:
                    self.skip_string(f"{key}[{i}]")
                else:
                    self.value(itype, f"{key}[{i}]", 0)
            return GGUFArray(items, count, _TYPE_NAMES[itype])
        raise self.fail(f"unknown value type {vtype} for key {key!r}")


def read_gguf_metadata(
    path: str | os.PathLike[str], *, max_array: int | None = 64, check_tensors: bool = True
) -> dict[str, Any]:
    """Read the key/value metadata of a GGUF file, without loading tensors.

    Parameters
    ----------
    path:
        the ``.gguf`` file.
    max_array:
        arrays longer than this (the vocabulary, merges ...) keep only their
        first ``max_array`` items in a :class:`GGUFArray` that still knows its
        full ``count``; ``None`` reads everything.
    check_tensors:
        also walk the tensor-info table and check that every tensor's data lies
        inside the file (this catches truncated downloads).

    Returns
    -------
    dict
        every metadata key (``"general.architecture"``, ``"tokenizer.chat_template"`` ...)
        plus convenience keys: ``gguf.version``, ``gguf.tensor_count``, ``file_size``,
        ``architecture``, ``name``, ``context_length``, ``chat_template`` (or ``None``),
        ``bos_token_id``, ``eos_token_id``, ``vocab_size``; with ``check_tensors``, also
        ``gguf.tensors``: ``{name: (ggml type, dims, absolute byte offset of its data)}``.

    Raises
    ------
    ModelNotFoundError
        the path does not exist.
    ModelLoadError
        not a GGUF file, truncated, or corrupt.
    """
    p = Path(os.fspath(path)).expanduser()
    if not p.exists():
        raise ModelNotFoundError(f"GGUF file {p} does not exist")
    if not p.is_file():
        raise ModelLoadError(f"{p} is not a file")
    size = p.stat().st_size
    if size < 24:
        raise ModelLoadError(f"{p} is not a GGUF file: only {size} bytes (a GGUF header needs at least 24)")
    with p.open("rb") as fh:
        magic = fh.read(4)
        if magic != GGUF_MAGIC:
            raise ModelLoadError(
                f"{p} is not a GGUF file (magic bytes {magic!r}, expected b'GGUF'); "
                "llama.cpp needs a .gguf model file"
            )
        try:
            buf: Any = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # pragma: no cover - mmap unavailable
            fh.seek(0)
            buf = fh.read()
        try:
            return _parse(_Reader(buf, size, p), max_array, check_tensors)
        finally:
            if isinstance(buf, mmap.mmap):
                buf.close()


def _parse(r: _Reader, max_array: int | None, check_tensors: bool) -> dict[str, Any]:
    r.pos = 4
    version = r.scalar("I", "version")
    if version > 0xFFFF:  # a big-endian file read as little-endian
        r.prefix = ">"
        r.pos = 4
        version = r.scalar("I", "version")
    if version not in (1, 2, 3):
        raise r.fail(f"unsupported GGUF version {version}")
    if version == 1:
        r.u_len = "I"
    n_tensors = r.length("tensor count")
    n_kv = r.length("metadata count")
    if n_kv > _MAX_KV or n_tensors > 10_000_000:
        raise r.fail(f"implausible header (tensors={n_tensors}, metadata keys={n_kv})")
    meta: dict[str, Any] = {}
    for i in range(n_kv):
        key = r.string(f"key #{i}")
        vtype = r.scalar("I", f"type of key {key!r}")
        meta[key] = r.value(vtype, key, max_array)
    if check_tensors:
        _check_tensor_table(r, n_tensors, meta)
    meta["gguf.version"] = version
    meta["gguf.tensor_count"] = n_tensors
    meta["file_size"] = r.size
    arch = meta.get("general.architecture")
    meta["architecture"] = arch
    meta["name"] = meta.get("general.name")
    if arch is not None and not isinstance(arch, str):
        raise r.fail(f"general.architecture must be a string, got {_kind(arch)}")
    meta["context_length"] = _int_key(r, meta, f"{arch}.context_length") if arch else None
    template = meta.get("tokenizer.chat_template")
    if template is not None and not isinstance(template, str):
        raise r.fail(f"tokenizer.chat_template must be a string, got {_kind(template)}")
    meta["chat_template"] = template
    meta["bos_token_id"] = _int_key(r, meta, "tokenizer.ggml.bos_token_id")
    meta["eos_token_id"] = _int_key(r, meta, "tokenizer.ggml.eos_token_id")
    tokens = meta.get("tokenizer.ggml.tokens")
    meta["vocab_size"] = (
        tokens.count if isinstance(tokens, GGUFArray) else _int_key(r, meta, f"{arch}.vocab_size") if arch else None
    )
    return meta


def _kind(value: Any) -> str:
    return f"an array of {value.item_type}" if isinstance(value, GGUFArray) else type(value).__name__


def _int_key(r: _Reader, meta: dict[str, Any], key: str) -> int | None:
    """An integer metadata value (``None`` when absent); another type is a corrupt file."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise r.fail(f"metadata {key!r} must be an integer, got {_kind(value)} {str(value)[:40]!r}")
    return value


# bytes per block and elements per block for the ggml tensor types (enough to
# bound the data size; unknown types are skipped from the size check)
_GGML_BLOCK = {
    0: (4, 1), 1: (2, 1), 2: (18, 32), 3: (20, 32), 6: (22, 32), 7: (24, 32), 8: (34, 32), 9: (36, 32),
    10: (84, 256), 11: (110, 256), 12: (144, 256), 13: (176, 256), 14: (210, 256), 15: (292, 256),
    16: (66, 256), 17: (74, 256), 18: (98, 256), 19: (50, 256), 20: (18, 32), 21: (110, 256),
    22: (82, 256), 23: (136, 256), 24: (1, 1), 25: (2, 1), 26: (4, 1), 27: (8, 1), 28: (8, 1),
    29: (56, 256), 30: (2, 1), 34: (54, 256), 35: (66, 256),
}


def _check_tensor_table(r: _Reader, n_tensors: int, meta: dict[str, Any]) -> None:
    """Walk the tensor-info table: every tensor's data must lie inside the file.

    Records ``meta["gguf.tensors"]``: ``{name: (ggml type, dims, absolute byte offset)}``.
    """
    end_of_data = 0
    infos: dict[str, tuple[int, tuple[int, ...], int]] = {}
    for i in range(n_tensors):
        name = r.string(f"name of tensor #{i}")
        n_dims = r.scalar("I", f"dimension count of tensor {name!r}")
        if n_dims > 8:
            raise r.fail(f"tensor {name!r} has {n_dims} dimensions")
        dims = tuple(r.length(f"dimension {d} of tensor {name!r}") for d in range(n_dims))
        n_el = 1
        for d in dims:
            n_el *= d
        ttype = r.scalar("I", f"type of tensor {name!r}")
        offset = r.scalar("Q", f"offset of tensor {name!r}")
        infos[name] = (int(ttype), dims, int(offset))
        if ttype in _GGML_BLOCK:
            nbytes, per = _GGML_BLOCK[ttype]
            end_of_data = max(end_of_data, offset + (n_el // per) * nbytes)
        else:
            end_of_data = max(end_of_data, offset)
    align = meta.get("general.alignment", 32)
    if not isinstance(align, int) or align <= 0:
        align = 32
    data_start = (r.pos + align - 1) // align * align
    meta["gguf.tensors"] = {k: (t, dims, data_start + off) for k, (t, dims, off) in infos.items()}
    if n_tensors and data_start + end_of_data > r.size:
        raise ModelLoadError(
            f"{r.path} is truncated: its tensors need {data_start + end_of_data} bytes "
            f"but the file has {r.size}; re-download or re-assemble it"
        )


__all__ = ["read_gguf_metadata", "GGUFArray", "GGUF_MAGIC"]
