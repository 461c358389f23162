"""Log-probabilities of short continuations after a shared prompt (an LLM used to *score*).

PromptRank (Kong et al., ACL 2023) ranks a document's candidate keyphrases by how likely a
language model finds each candidate as the completion of a prompt built from the document
("<document> This text mainly talks about <candidate>").  :class:`ContinuationScorer` computes
those likelihoods with llama.cpp:

1. the prompt is evaluated once, in segments fixed by the prompt itself (the task's fixed part,
   then the rest), on a second llama.cpp context of the already loaded model; a fixed part equal
   to the previous call's is kept in the KV cache, and the KV cells of the last few fixed parts are
   kept as saved sequence states (:data:`PREFIX_STATES`), so callers that alternate two tasks
   (TopicLabeler: the topic's score, then each document's) evaluate each fixed part once; since a
   segment is always computed from the same segments before it, the values do not depend on
   earlier calls;
2. the first token of every continuation is scored from the prompt's last logits;
3. the other tokens are evaluated in batches in which each continuation is its own sequence that
   shares the prompt's KV cells (``llama_memory_seq_cp``): continuations are packed in the order
   given into groups of at most ``n_seq - 1`` continuations and ``n_batch`` tokens, so a batch's
   shape is a function of the continuation list alone and never of other prompts or calls.

The result for each continuation is the array of its tokens' natural-log probabilities.

>>> from textmine.llm import load_llm                                      # doctest: +SKIP
>>> llm = load_llm("default")                                              # doctest: +SKIP
>>> lp = llm.score_continuations("The capital of France is", [" Paris", " a banana"])  # doctest: +SKIP
>>> lp[0].sum() > lp[1].sum()                                              # doctest: +SKIP
True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ModelLoadError
from .loading import _LOAD_LOCK, _log_tail, _quiet, llama_failures
from .segments import common_prefix, reusable_prefix
from .task_prompt import check_text

__all__ = ["ContinuationScorer", "log_softmax_at", "logsumexp", "score_continuations", "continuation_scorer",
           "PREFIX_STATES"]

#: fixed prompt parts whose KV cells a scorer keeps as saved sequence states (least recently used dropped)
PREFIX_STATES = 4


def logsumexp(logits: np.ndarray) -> float:
    """``log(sum(exp(logits)))`` computed stably in float64 (the log-softmax normaliser)."""
    x = np.asarray(logits, dtype=np.float64)
    m = float(x.max())
    return m + float(np.log(np.exp(x - m).sum()))


def log_softmax_at(logits: np.ndarray, target: int) -> float:
    """``log softmax(logits)[target]`` computed stably in float64."""
    return float(logits[target]) - logsumexp(logits)


class ContinuationScorer:
    """Token log-probabilities of continuations of one prompt (see the module docs).

    Built by :meth:`textmine.llm.LLM.score_continuations` on first use; the caller holds the
    LLM's lock.  ``n_seq`` bounds the continuations evaluated in one batch (plus the prompt's
    own sequence).
    """

    def __init__(self, llama: Any, *, n_seq: int = 32, n_batch: int = 512):
        import llama_cpp

        self._llama_cpp = llama_cpp
        self.n_vocab = int(llama._n_vocab)
        params = llama_cpp.llama_context_default_params()
        for field, _ in llama_cpp.llama_context_params._fields_:
            setattr(params, field, getattr(llama.context_params, field))
        self.n_seq = max(2, int(n_seq))
        params.n_seq_max = self.n_seq
        params.n_batch = params.n_ubatch = int(n_batch)
        for name, value in (("kv_unified", True), ("swa_full", True)):
            if hasattr(params, name):  # continuations share the prompt's cells; keep every cell of it
                setattr(params, name, value)
        self._ctx = llama_cpp.llama_init_from_model(llama._model.model, params)
        if not self._ctx:
            raise RuntimeError("llama.cpp could not create a context for scoring")
        self.n_ctx = int(llama_cpp.llama_n_ctx(self._ctx))
        self._mem = llama_cpp.llama_get_memory(self._ctx)
        self.n_batch = int(n_batch)
        self._batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        llama._stack.callback(self.close)  # freed before the model
        self.tokens: list[int] = []  # the prompt held by sequence 0
        self.segments: tuple[list[int], int] = ([], 0)
        self.lock = threading.RLock()
        self.stats = {"prompt_tokens": 0, "prompt_tokens_reused": 0, "continuation_tokens": 0, "batches": 0,
                      "prefix_restores": 0}
        # fixed part (token tuple) -> its saved sequence state, most recently used last
        self._states: dict[tuple[int, ...], Any] = {}

    def close(self) -> None:
        """Free the llama.cpp context and batch (idempotent)."""
        if self._ctx is not None:
            self._llama_cpp.llama_free(self._ctx)
            self._llama_cpp.llama_batch_free(self._batch)
            self._ctx = None

    # ------------------------------------------------------------------ llama.cpp

    def _decode(self, items: Sequence[tuple[int, int, int, bool]]) -> list[np.ndarray]:
        """Decode ``(token, position, sequence, want_logits)`` items; the logits asked for, in order."""
        b = self._batch
        b.n_tokens = len(items)
        wanted = []
        for i, (tok, pos, seq, want) in enumerate(items):
            b.token[i] = tok
            b.pos[i] = pos
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = want
            if want:
                wanted.append(i)
        rc = self._llama_cpp.llama_decode(self._ctx, b)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        self.stats["batches"] += 1
        out = []
        for i in wanted:
            ptr = self._llama_cpp.llama_get_logits_ith(self._ctx, i)
            out.append(np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).copy())
        return out

    def _drop(self, seq: int, start: int = 0) -> None:
        self._llama_cpp.llama_memory_seq_rm(self._mem, seq, start, -1)

    def _save_prefix(self, key: tuple[int, ...]) -> None:
        """Keep sequence 0's state (it holds exactly the fixed part ``key``) for a later :meth:`_restore_prefix`."""
        if PREFIX_STATES <= 0 or key in self._states:
            return
        import ctypes

        size = int(self._llama_cpp.llama_state_seq_get_size(self._ctx, 0))
        buf = (ctypes.c_uint8 * size)()
        if int(self._llama_cpp.llama_state_seq_get_data(self._ctx, buf, size, 0)) != size:
            return
        self._states[key] = buf
        while len(self._states) > PREFIX_STATES:
            del self._states[next(iter(self._states))]

    def _restore_prefix(self, key: tuple[int, ...]) -> bool:
        """Sequence 0 := the saved state of fixed part ``key`` (emptied first); False when none is kept."""
        buf = self._states.pop(key, None)
        if buf is None:
            return False
        self._states[key] = buf  # most recently used
        self._drop(0, 0)
        if int(self._llama_cpp.llama_state_seq_set_data(self._ctx, buf, len(buf), 0)) == 0:
            self._drop(0, 0)
            del self._states[key]
            return False
        self.stats["prefix_restores"] += 1
        return True

    def _prompt(self, tokens: list[int], split: int) -> np.ndarray:
        """Evaluate the prompt on sequence 0 (segments ``[0, split)``, ``[split, end)`` in
        ``n_batch`` chunks); its last token's logits."""
        n = len(tokens)
        split = split if 0 < split < n else 0
        starts = sorted({0, split} | set(range(split, n, self.n_batch)) | set(range(0, split, self.n_batch)))
        same = common_prefix(self.tokens, tokens[:-1])  # the last token is always evaluated
        reuse = reusable_prefix(*self.segments, starts, same)
        fixed = tuple(tokens[:split]) if split and split < n - 1 and split <= self.n_batch else None
        if fixed is not None and reuse < split and self._restore_prefix(fixed):
            # the fixed part as evaluated before: one segment [0, split) computed from nothing, as now
            self.tokens = list(fixed)
            reuse = split
        else:
            self._drop(0, reuse)
            del self.tokens[reuse:]
        self.segments = ([], 0)
        last = None
        for st, end in zip(starts, starts[1:] + [n]):
            if st < reuse:
                continue
            items = [(tokens[p], p, 0, p == n - 1) for p in range(st, end)]
            got = self._decode(items)
            self.tokens.extend(tokens[st:end])
            if got:
                last = got[-1]
            if fixed is not None and end == split:
                self._save_prefix(fixed)
        self.segments = (starts, n)
        self.stats["prompt_tokens"] += n
        self.stats["prompt_tokens_reused"] += reuse
        assert last is not None
        return last

    # ------------------------------------------------------------------ public

    def score(self, prompt: list[int], continuations: Sequence[Sequence[int]], split: int = 0) -> list[np.ndarray]:
        """Natural-log probability of each token of each continuation after ``prompt``.

        ``split``: where the prompt's fixed part ends (kept in the KV cache for the next call).
        Empty continuations get an empty array.
        """
        if not prompt:
            raise ValueError("the prompt must have at least one token")
        conts = [list(map(int, c)) for c in continuations]
        longest = max((len(c) for c in conts), default=0)
        if len(prompt) + longest > self.n_ctx:
            raise ValueError(f"prompt ({len(prompt)} tokens) + continuation ({longest}) exceeds n_ctx={self.n_ctx}")
        with self.lock:
            first = self._prompt(list(map(int, prompt)), split)
            lse = logsumexp(first)  # one normaliser for every continuation's first token
            out = [np.array([float(first[c[0]]) - lse] if c else [], dtype=np.float64) for c in conts]
            P = len(prompt)
            # groups in the given order: at most n_seq - 1 continuations and n_batch tokens each
            groups: list[list[int]] = []
            size = 0
            for j, c in enumerate(conts):
                need = len(c) - 1  # the last token is scored, never evaluated
                if need <= 0:
                    continue
                if not groups or len(groups[-1]) >= self.n_seq - 1 or size + need > self.n_batch:
                    groups.append([])
                    size = 0
                groups[-1].append(j)
                size += need
            for group in groups:
                items = []
                for s, j in enumerate(group, start=1):
                    self._llama_cpp.llama_memory_seq_cp(self._mem, 0, s, -1, -1)
                    c = conts[j]
                    items.extend((c[k], P + k, s, True) for k in range(len(c) - 1))
                try:
                    logits = self._decode(items)
                finally:
                    for s in range(1, len(group) + 1):
                        self._drop(s)
                self.stats["continuation_tokens"] += len(items)
                at = 0
                for j in group:
                    c = conts[j]
                    rows = logits[at : at + len(c) - 1]
                    at += len(c) - 1
                    out[j] = np.concatenate([out[j], [log_softmax_at(r, t) for r, t in zip(rows, c[1:])]])
            return out


# ---------------------------------------------------------------------- the LLM's glue


def continuation_scorer(llm: Any) -> ContinuationScorer:
    """The :class:`ContinuationScorer` of ``llm``'s loaded model (built once per loaded model)."""
    L = llm._llama
    scorer = getattr(L, "_textmine_scorer", None)
    if scorer is None:
        err: RuntimeError | None = None
        with _LOAD_LOCK, _quiet() as log:
            scorer = getattr(L, "_textmine_scorer", None)
            if scorer is None:
                try:
                    scorer = ContinuationScorer(L, n_batch=max(512, llm.n_batch))
                except RuntimeError as exc:
                    err = exc
                else:
                    L._textmine_scorer = scorer
        if err is not None:  # the log holds llama.cpp's output only once the capture has ended
            raise ModelLoadError(f"{err} ({_log_tail(log, 300)})") from None
    return scorer


def score_continuations(
    llm: Any,
    instruction: str,
    text: str,
    continuations: Sequence[str],
    *,
    answer_prefix: str = "",
    max_doc_tokens: int | None = None,
) -> list[Any]:
    """What ``LLM.score_continuations`` runs: the task prompt (no examples) + ``answer_prefix``, then
    the log-probabilities of each continuation's tokens, as float64 arrays in the caller's order."""
    instruction = check_text("instruction", instruction)
    answer_prefix = check_text("answer_prefix", answer_prefix)
    text = llm._document_text(text)
    conts = [llm.tokenize(check_text("continuation", c)) for c in continuations]
    if not conts:
        return []
    if max_doc_tokens is not None:
        text = llm.truncate(text, int(max_doc_tokens))
    longest = max(len(c) for c in conts) + len(llm.tokenize(answer_prefix)) + 2
    _, toks = llm.build_prompt(instruction, text, [], longest)
    split = llm.prefix_length(instruction, [], toks)
    if answer_prefix:  # after a completion prompt's "Answer:" the answer starts with a space (LLM._answer_shape)
        toks = toks + llm.tokenize(llm._answer_shape("string").lead + answer_prefix, special=False)
    # one canonical order (sorted unique token lists): the batches, and so the values, are a
    # function of the set of continuations, whatever order or repetitions the caller gives
    unique = sorted(set(map(tuple, conts)))
    with llm._lock:
        scorer = llm._scorer()
        t0 = time.perf_counter()
        with llama_failures("scoring", llm.model_id):
            scored = dict(zip(unique, scorer.score(toks, unique, split)))
        llm._stats["seconds"] += time.perf_counter() - t0
        llm._stats["prompt_tokens"] += len(toks)
    return [np.asarray(scored[tuple(c)], dtype=np.float64) for c in conts]
