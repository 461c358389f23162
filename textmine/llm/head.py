"""Logits of a few chosen tokens without llama.cpp's full output layer.

A decoding step of a small model with a large vocabulary is mostly its output layer: Gemma 3 270M
multiplies the final hidden state by a 262,144 x 640 matrix (63% of its weights), 8.3 of the 13 ms a
step takes on 2 cores.  When the answer may only use a known set of tokens (keyphrases written with
the words of their document, see ``LLM.generate_list(vocabulary=...)``), only those rows are needed.

:class:`RestrictedHead` runs a second llama.cpp context on the same loaded model whose evaluation
callback stops the graph right after the final norm (``result_norm``), and computes the logits of the
allowed tokens here from the GGUF's output rows with the arithmetic of ggml's CPU kernel: for a Q8_0
matrix the hidden state is quantized to Q8_0 blocks first, as ggml does, so the logits equal
llama.cpp's own to float rounding (about 1e-6).  That is checked against the full output layer when
the head is built; a model whose head does not match (another output type, a logit scale or cap)
gets no restricted head and :class:`~textmine.llm.LLM` computes the full logits instead.
"""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .segments import common_prefix, reusable_prefix

# ggml type ids this module computes exactly (the CPU kernel's activation format in brackets)
_F32, _F16, _Q8_0, _BF16 = 0, 1, 8, 30
_SUPPORTED = {_F32: "F32", _F16: "F16", _Q8_0: "Q8_0", _BF16: "BF16"}
_TARGET = b"result_norm"  # llama.cpp's name for the final hidden state (after the output norm)


def _ggml_base() -> Any:
    import llama_cpp

    lib = ctypes.CDLL(os.path.join(os.path.dirname(llama_cpp.__file__), "lib", "libggml-base.so"))
    lib.ggml_get_name.restype = ctypes.c_char_p
    lib.ggml_get_name.argtypes = [ctypes.c_void_p]
    lib.ggml_get_data_f32.restype = ctypes.POINTER(ctypes.c_float)
    lib.ggml_get_data_f32.argtypes = [ctypes.c_void_p]
    lib.ggml_nelements.restype = ctypes.c_int64
    lib.ggml_nelements.argtypes = [ctypes.c_void_p]
    return lib


def _to_bf16(x: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 -> float32 with round-to-nearest-even (ggml's conversion)."""
    b = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
    return (b.astype(np.uint32) << 16).view(np.float32)


class Rows:
    """The output rows of a set of token ids, ready for :meth:`RestrictedHead.logits`."""

    def __init__(self, ids: np.ndarray, quant: np.ndarray | None, scale: np.ndarray | None, dense: np.ndarray | None):
        self.ids = ids
        self.quant = quant  # Q8_0: (n, blocks, 32) float32 holding the int8 values
        self.scale = scale  # Q8_0: (n, blocks) float32
        self.dense = dense  # F32/F16/BF16: (n, n_embd) float32


class RestrictedHead:
    """Hidden states from llama.cpp, logits of chosen rows computed here (see the module docs).

    Single sequence; the caller serialises access (``LLM`` holds its lock during a generation).
    Build it with :meth:`create`, which returns ``None`` where it cannot be exact.
    """

    def __init__(self, llama: Any, path: Path, tensor: tuple[int, tuple[int, ...], int]):
        import llama_cpp

        self._llama_cpp = llama_cpp
        ttype, dims, offset = tensor
        self.type = ttype
        self.n_embd, self.n_vocab = int(dims[0]), int(dims[1])
        if ttype == _Q8_0:
            if self.n_embd % 32:
                raise ValueError("Q8_0 rows must be whole blocks")
            self._blocks = self.n_embd // 32
            self._raw = np.memmap(path, dtype=np.uint8, mode="r", offset=offset, shape=(self.n_vocab, self._blocks * 34))
        else:
            width = 4 if ttype == _F32 else 2
            self._raw = np.memmap(
                path, dtype=np.uint8, mode="r", offset=offset, shape=(self.n_vocab, self.n_embd * width)
            )
        self._lib = _ggml_base()
        self._hidden: np.ndarray | None = None
        self._n_hidden = 0  # how many hidden states the callback has captured (a decode that missed it is seen)
        self._cb = llama_cpp.ggml_backend_sched_eval_callback(self._callback)
        params = llama_cpp.llama_context_default_params()
        for field, _ in llama_cpp.llama_context_params._fields_:
            setattr(params, field, getattr(llama.context_params, field))
        params.cb_eval = self._cb
        params.cb_eval_user_data = None
        self._ctx = llama_cpp.llama_init_from_model(llama._model.model, params)
        if not self._ctx:
            raise RuntimeError("llama.cpp could not create a context for the restricted head")
        self._mem = llama_cpp.llama_get_memory(self._ctx)
        self._n_batch = int(params.n_batch)
        self._batch = llama_cpp.llama_batch_init(self._n_batch, 0, 1)
        llama._stack.callback(self.close)  # before the model (the exit stack runs last-in first-out)
        self.tokens: list[int] = []  # what the KV cache of this context holds, in order
        self.segments: tuple[list[int], int] = ([], 0)  # the cached prompt's segment starts and length
        self.lock = threading.RLock()

    def close(self) -> None:
        """Free the llama.cpp context and batch (idempotent; the model's own close calls it too)."""
        if self._ctx is not None:
            self._llama_cpp.llama_free(self._ctx)
            self._llama_cpp.llama_batch_free(self._batch)
            self._ctx = None

    # ------------------------------------------------------------------ construction

    MIN_SHARE = 0.4
    """Build a head only for a model whose output matrix holds at least this share of its weights:
    each step pays for an evaluation callback on every graph node (~1 ms on 2 cores), which a small
    output layer does not repay (SmolLM2 135M, 21%: no faster; Gemma 3 270M, 63%: 2.2x faster;
    ``benchmarks/llm_head.py``)."""

    @classmethod
    def create(
        cls, llama: Any, path: Path, metadata: dict[str, Any], min_share: float | None = None
    ) -> RestrictedHead | None:
        """The head for a loaded model, or ``None`` when its output layer cannot be computed exactly
        here or is less than ``min_share`` (default :attr:`MIN_SHARE`) of the model's weights."""
        tensors = metadata.get("gguf.tensors") or {}
        tensor = tensors.get("output.weight") or tensors.get("token_embd.weight")
        if tensor is None or tensor[0] not in _SUPPORTED or len(tensor[1]) != 2:
            return None
        if int(tensor[1][1]) != int(llama._n_vocab):
            return None
        total = sum(int(np.prod(dims, dtype=np.float64)) for _, dims, _ in tensors.values())
        share = int(tensor[1][0]) * int(tensor[1][1]) / max(1, total)
        if share < (cls.MIN_SHARE if min_share is None else float(min_share)):
            return None
        try:
            head = cls(llama, path, tensor)
        except (OSError, ValueError, RuntimeError, AttributeError):
            return None
        try:
            ok = head._matches_full_head(llama)
        except RuntimeError:  # a failed probe decode: no head, the whole output layer works as before
            ok = False
        if not ok:
            head.close()
            return None
        return head

    def _matches_full_head(self, llama: Any) -> bool:
        """Do this head's logits equal llama.cpp's full output layer on a probe?"""
        probe = list(llama.tokenize(b"Keyphrases: graph neural networks, protein folding, and", add_bos=True))
        llama.reset()
        llama.eval(probe)
        ptr = self._llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1)
        full = np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float32)
        llama.reset()
        hidden, _ = self.prompt(probe, [0])
        self.clear()
        if hidden is None:
            return False
        ids = np.unique(np.concatenate([np.argsort(-full)[:64], np.arange(0, self.n_vocab, max(1, self.n_vocab // 64))]))
        mine = self.logits(hidden, self.rows(ids))
        return bool(np.all(np.abs(mine - full[ids]) <= 1e-3 + 1e-4 * np.abs(full[ids])))

    # ------------------------------------------------------------------ llama.cpp side

    def _callback(self, tensor: int, ask: bool, user_data: Any) -> bool:
        if self._lib.ggml_get_name(tensor) != _TARGET:
            return False
        if ask:
            return True  # compute up to here, then let us see it
        n = int(self._lib.ggml_nelements(tensor))
        if n >= self.n_embd:
            data = np.ctypeslib.as_array(self._lib.ggml_get_data_f32(tensor), shape=(n,))
            self._hidden = data[n - self.n_embd :].copy()
            self._n_hidden += 1
        return False  # stop the graph here: the output layer is not computed

    def clear(self, keep: int = 0) -> None:
        """Drop the KV cache from position ``keep`` on."""
        self._llama_cpp.llama_memory_seq_rm(self._mem, 0, keep, -1)
        del self.tokens[keep:]
        if keep == 0:
            self.segments = ([], 0)

    def prompt(self, tokens: list[int], starts: list[int]) -> tuple[np.ndarray | None, int]:
        """Evaluate a prompt in segments starting at ``starts`` (``LLM._segments``: positions fixed
        by the prompt), reusing the cached segments that a cold evaluation would compute the same
        way (:func:`~textmine.llm.segments.reusable_prefix`).

        Returns the last token's hidden state (``None`` if llama.cpp did not stop at the final norm)
        and how many tokens were reused.
        """
        same = common_prefix(self.tokens, tokens[:-1])  # the last token is always evaluated
        reuse = reusable_prefix(*self.segments, starts, same)
        self.clear(reuse)
        self.segments = ([], 0)  # until the new prompt is fully evaluated
        hidden = None
        for st, end in zip(starts, starts[1:] + [len(tokens)]):
            if st < reuse:
                continue
            for sub in range(st, end, self._n_batch):
                chunk = tokens[sub : min(end, sub + self._n_batch)]
                hidden = self._decode(chunk, want=sub + len(chunk) == len(tokens))
        self.segments = (list(starts), len(tokens))
        return hidden, reuse

    def step(self, tokens: list[int]) -> np.ndarray | None:
        """Append ``tokens`` (one decoding step); the last one's hidden state."""
        return self._decode(tokens, want=True)

    def _decode(self, tokens: list[int], *, want: bool) -> np.ndarray | None:
        b = self._batch
        pos0 = len(self.tokens)
        n = len(tokens)
        b.n_tokens = n
        for i, tok in enumerate(tokens):
            b.token[i] = tok
            b.pos[i] = pos0 + i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = 0
            b.logits[i] = want and i == n - 1
        before = self._n_hidden
        rc = self._llama_cpp.llama_decode(self._ctx, b)
        if rc != 0:
            self.clear(pos0)
            raise RuntimeError(f"llama_decode returned {rc}")
        self.tokens.extend(int(t) for t in tokens)
        if not want:
            return None
        return self._hidden if self._n_hidden > before else None

    # ------------------------------------------------------------------ numpy side

    def rows(self, ids: Any) -> Rows:
        """The output rows of ``ids`` (ascending token ids), dequantized for :meth:`logits`."""
        ids = np.asarray(ids, dtype=np.int64)
        raw = np.asarray(self._raw[ids])
        if self.type == _Q8_0:
            blocks = raw.reshape(len(ids), self._blocks, 34)
            scale = blocks[:, :, :2].copy().view(np.float16)[..., 0].astype(np.float32)
            quant = blocks[:, :, 2:].copy().view(np.int8).astype(np.float32)
            return Rows(ids, quant, scale, None)
        if self.type == _F32:
            dense = raw.copy().view(np.float32)
        elif self.type == _F16:
            dense = raw.copy().view(np.float16).astype(np.float32)
        else:  # BF16
            dense = (raw.copy().view(np.uint16).astype(np.uint32) << 16).view(np.float32)
        return Rows(ids, None, None, dense.reshape(len(ids), self.n_embd))

    def logits(self, hidden: np.ndarray, rows: Rows) -> np.ndarray:
        """The logits of ``rows`` for ``hidden``, as ggml's CPU matrix-vector kernel computes them."""
        h = np.asarray(hidden, dtype=np.float32)
        if rows.quant is not None:
            x = h.reshape(self._blocks, 32)
            amax = np.abs(x).max(axis=1)
            d = (amax / np.float32(127.0)).astype(np.float16).astype(np.float32)
            inv = np.divide(np.float32(127.0), amax, out=np.zeros_like(amax), where=amax > 0)
            q = np.rint(x * inv[:, None])  # ties to even, like _mm256_round_ps
            sums = np.einsum("nbk,bk->nb", rows.quant, q)  # exact: |sum| < 2**24
            return (sums * (rows.scale * d[None, :])).sum(axis=1, dtype=np.float32)
        if self.type == _F16:
            h = h.astype(np.float16).astype(np.float32)
        elif self.type == _BF16:
            h = _to_bf16(h)
        assert rows.dense is not None
        return rows.dense @ h

    def all_logits(self, hidden: np.ndarray, chunk: int = 16384) -> np.ndarray:
        """Every token's logit (slow path, for a step where none of the allowed tokens fits the grammar)."""
        out = np.empty(self.n_vocab, dtype=np.float32)
        for start in range(0, self.n_vocab, chunk):
            ids = np.arange(start, min(self.n_vocab, start + chunk))
            out[ids] = self.logits(hidden, self.rows(ids))
        return out


__all__ = ["RestrictedHead", "Rows"]
