"""Loading GGUF models into llama.cpp: the import, quiet logs, threads, one ``Llama`` per file and settings.

Used by :class:`~textmine.llm.LLM` (``llm/model.py``) and by the modules that run the loaded model
(:mod:`.decoding`, :mod:`.vocabulary`, :mod:`.scoring`). Nothing here knows about prompts or tasks.

>>> from textmine.llm.loading import default_threads
>>> default_threads() >= 1
True
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import hashlib
import io
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DependencyError, LLMOutputError, ModelLoadError

#: guards the memo tables below and the objects built once per loaded model (head, scorer)
_LOAD_LOCK = threading.Lock()
#: one ``llama_cpp.Llama`` per (file, n_ctx, n_threads, n_batch, seed)
_LLAMAS: dict[tuple[Any, ...], Any] = {}


@atexit.register
def _close_models() -> None:
    """Free the loaded models while llama_cpp's bindings still exist: freed later, during the interpreter's
    teardown, ``Llama.__del__`` prints 'TypeError: NoneType object is not callable' for each one."""
    for llama in list(_LLAMAS.values()):
        with contextlib.suppress(Exception):
            llama.close()


@contextlib.contextmanager
def _quiet() -> Iterator[io.StringIO]:
    """Silence llama.cpp: C-level stderr (fd 2) and Python-level ``sys.stderr``; yields what was written."""
    captured = io.StringIO()
    try:
        fd = sys.stderr.fileno() if hasattr(sys.stderr, "fileno") else 2
    except (OSError, ValueError):
        fd = 2
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no fd 2
        saved = None
    tmp = tempfile.TemporaryFile(mode="w+b")
    old_stderr = sys.stderr
    try:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        if saved is not None:
            os.dup2(tmp.fileno(), 2)
        sys.stderr = captured
        yield captured
    finally:
        sys.stderr = old_stderr
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        captured.write(tmp.read().decode("utf-8", "replace"))
        tmp.close()
        del fd


def _log_tail(log: io.StringIO, n: int) -> str:
    """The last ``n`` characters of what llama.cpp wrote, non-empty lines joined on one line."""
    return " | ".join(ln for ln in log.getvalue().splitlines() if ln.strip())[-n:]


@contextlib.contextmanager
def llama_failures(what: str, model_id: str) -> Iterator[None]:
    """Run llama.cpp calls with its stderr captured (:func:`_quiet`); any failure becomes an
    :class:`~textmine.errors.LLMOutputError` naming ``what``, the model and the tail of llama.cpp's log.

    The log is read after the capture ends: only then does it hold what the C library wrote.
    """
    err: Exception | None = None
    with _quiet() as log:
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - llama.cpp failures become typed errors
            err = exc
    if err is not None:
        tail = _log_tail(log, 400)
        raise LLMOutputError(f"llama.cpp {what} failed with {model_id}: {err}" + (f" ({tail})" if tail else "")) \
            from None


def default_threads() -> int:
    """``$TEXTMINE_LLM_THREADS``, else all cores.

    llama.cpp's OpenMP workers wait at a barrier by spinning up to ``GOMP_SPINCOUNT`` times
    (300,000 unless the user set ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``: see ``textmine/__init__``
    and docs/models.md), then sleep, so all cores can be used even after torch.
    """
    env = os.environ.get("TEXTMINE_LLM_THREADS")
    if env and env.strip().isdigit() and int(env) > 0:
        return int(env)
    return max(1, os.cpu_count() or 1)


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise DependencyError(
            f"llama-cpp-python is needed for LLM features but is not importable ({exc}). "
            "Install it with `pip install llama-cpp-python` (it compiles llama.cpp; see docs/models.md)."
        ) from None
    return llama_cpp


def _file_id(path: Path) -> str:
    """Cheap, stable fingerprint of a (possibly multi-GB) file: size + hash of its head and tail."""
    size = path.stat().st_size
    h = hashlib.blake2b(digest_size=8)
    h.update(str(size).encode())
    with path.open("rb") as fh:
        h.update(fh.read(4 << 20))
        if size > 5 << 20:
            fh.seek(-(1 << 20), os.SEEK_END)
            h.update(fh.read())
    return h.hexdigest()


def _load_llama(path: Path, n_ctx: int, n_threads: int, n_batch: int, seed: int) -> Any:
    """The ``llama_cpp.Llama`` for these settings (loaded once per process; llama.cpp's log kept quiet)."""
    key = (str(path.resolve()), n_ctx, n_threads, n_batch, seed)
    with _LOAD_LOCK:
        if key in _LLAMAS:
            return _LLAMAS[key]
        llama_cpp = _import_llama_cpp()
        with _quiet() as log:
            try:
                llama = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    n_batch=n_batch,
                    seed=seed,
                    verbose=False,
                )
            except Exception as exc:  # noqa: BLE001 - any loader failure -> typed error
                err = exc
            else:
                err = None
        if err is not None:
            tail = _log_tail(log, 600)
            raise ModelLoadError(
                f"llama.cpp could not load {path}: {err}" + (f" (llama.cpp said: {tail})" if tail else "")
            ) from None
        _LLAMAS[key] = llama
        return llama


def token_text(llama: Any, tok: int) -> str:
    """The text of one token of ``llama``'s vocabulary (special tokens spelled out), whatever its length."""
    if tok is None or tok < 0:
        return ""
    try:
        llama_cpp = _import_llama_cpp()
        vocab = llama._model.vocab
        size = 64
        while True:
            buf = ctypes.create_string_buffer(size)
            n = llama_cpp.llama_token_to_piece(vocab, tok, buf, size, 0, True)
            if n >= 0:
                return buf.raw[:n].decode("utf-8", "replace")
            if -n <= size:  # pragma: no cover - llama.cpp asks for more room or succeeds
                return ""
            size = -n  # llama.cpp says how many bytes it needs
    except Exception:  # noqa: BLE001
        return ""


def tokenize(llama: Any, text: str, *, special: bool = False) -> list[int]:
    """Token ids of ``text`` with ``llama``'s tokenizer (no BOS); ``special``: parse control tokens."""
    if not text:
        return []
    return list(llama.tokenize(text.encode("utf-8", "replace"), add_bos=False, special=special))


__all__ = ["default_threads", "token_text", "tokenize"]
