"""The :class:`LLM` wrapper around ``llama_cpp.Llama``: constrained, deterministic, cached.

>>> from textmine.llm import load_llm
>>> llm = load_llm("default")                                   # doctest: +SKIP
>>> llm.generate_list("List the sports mentioned.", "Tennis and golf on TV tonight.",
...                   examples=[("A football match.", ["football"])])  # doctest: +SKIP
['tennis', 'golf']
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._cache import cache_root
from .._validation import check_positive_int
from ..errors import InputError, LLMOutputError, ModelLoadError
from . import grammar as G
from . import prompts as P
from . import task_prompt as TP
from . import vocabulary as V
from .cache import _CACHE_VERSION, ResponseCache, cache_key
from .gguf import read_gguf_metadata
from .loading import (  # noqa: F401 - re-exported: textmine.llm.model's names before the split (#14)
    _LLAMAS,
    _LOAD_LOCK,
    _file_id,
    _import_llama_cpp,
    _load_llama,
    _log_tail,
    _quiet,
    default_threads,
    token_text,
    tokenize,
)
from .presets import Preset, canonical_name, get_preset, preset_for_path, resolve_model_path
from .segments import common_prefix, reusable_prefix

_INSTANCES: dict[tuple[Any, ...], LLM] = {}


class LLM:
    """A GGUF model run by llama.cpp, for short grammar-constrained outputs.

    Parameters
    ----------
    model_path:
        the ``.gguf`` file.
    preset:
        a :class:`~textmine.llm.presets.Preset` (settings, fallback chat template).
    n_ctx:
        context size (prompt + answer); defaults to the preset's, capped by the model's.
    n_threads:
        CPU threads (``$TEXTMINE_LLM_THREADS``, else all cores; 1 when an OpenMP runtime with a
        spinning wait policy was loaded before textmine.llm, e.g. ``import torch`` first).
    seed, temperature, repeat_penalty:
        sampling; ``temperature=0`` (default) is greedy and deterministic.
    cache:
        ``True`` (``<cache root>/llm_responses.sqlite``), ``False`` or a directory.
    chat:
        force chat (``True``) or few-shot completion (``False``) prompts;
        ``None`` follows the preset, else whether the GGUF has a chat template.

    Example
    -------
    >>> llm = LLM.from_name("smollm2-135m")                       # doctest: +SKIP
    >>> llm.generate_text("Give a short topic label.", "goal, match, striker, league")  # doctest: +SKIP
    'Football'
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        preset: Preset | None = None,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        n_batch: int = 512,
        seed: int = 0,
        temperature: float = 0.0,
        repeat_penalty: float = 1.1,
        cache: bool | str | os.PathLike[str] = True,
        chat: bool | None = None,
    ):
        self.path = Path(os.fspath(model_path)).expanduser()
        self.metadata = read_gguf_metadata(self.path)  # ModelNotFoundError / ModelLoadError
        self.preset = preset if preset is not None else preset_for_path(self.path)
        train_ctx = int(self.metadata.get("context_length") or 2048)
        want = n_ctx or (self.preset.n_ctx if self.preset else 4096)
        self.n_ctx = int(min(want, train_ctx))
        if self.n_ctx < 256:
            raise InputError(f"n_ctx={self.n_ctx} is too small (need at least 256)")
        self.n_threads = int(n_threads or default_threads())
        self.n_batch = int(n_batch)
        self.seed = int(seed)
        self.temperature = float(temperature)
        self.repeat_penalty = float(repeat_penalty)
        self._llama = _load_llama(self.path, self.n_ctx, self.n_threads, self.n_batch, self.seed)
        self._lock = threading.RLock()
        self._cache_setting = cache
        self._cache: ResponseCache | None = None
        self._grammars: dict[str, Any] = {}
        self._fixed: dict[tuple[Any, ...], list[int]] = {}
        self._stats = {
            "calls": 0,
            "cache_hits": 0,
            "prompt_tokens": 0,
            "prompt_tokens_reused": 0,
            "completion_tokens": 0,
            "restricted_fallbacks": 0,
            "seconds": 0.0,
        }

        name = self.preset.name if self.preset else "gguf"
        self.model_id = f"{name}:{self.metadata.get('general.name') or self.path.stem}:{_file_id(self.path)}"
        template = self.metadata.get("chat_template") or (self.preset.chat_template if self.preset else None)
        if chat is None and self.preset is not None and self.preset.chat is not None:
            chat = self.preset.chat
        if chat is None:
            chat = bool(template)
        if chat and not template:
            raise ModelLoadError(f"{self.path} has no chat template; use chat=False (few-shot completion prompts)")
        self.chat_template: str | None = template if chat else None
        self.is_chat = bool(chat)
        llm = self._llama
        self._bos_id = int(llm.token_bos())
        self._eos_id = int(llm.token_eos())
        self._bos_text = self._token_text(self._bos_id) or (self.preset.bos_token if self.preset else "")
        self._eos_text = self._token_text(self._eos_id) or (self.preset.eos_token if self.preset else "")
        if self.chat_template is not None:  # untrusted code from the model file: refused now, not mid-run
            P.check_chat_template(self.chat_template, bos_token=self._bos_text, eos_token=self._eos_text)
        add_bos = self.metadata.get("tokenizer.ggml.add_bos_token")
        self._add_bos = bool(add_bos) if add_bos is not None else self._bos_id >= 0
        self.stop = tuple(self.preset.stop) if self.preset else ()

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_name(cls, model: str | os.PathLike[str] = "default", **kwargs: Any) -> LLM:
        """Build from a preset name or a GGUF path (see :func:`load_llm`, which memoises)."""
        allow_download = kwargs.pop("allow_download", None)
        task = kwargs.pop("task", None)
        path = resolve_model_path(model, allow_download=allow_download, task=task)
        preset = None
        if isinstance(model, str) and canonical_name(model, task) is not None:
            preset = get_preset(model, task)
        return cls(path, preset=preset, **kwargs)

    def _token_text(self, tok: int) -> str:
        """The text of one token (special tokens spelled out), whatever its length."""
        return token_text(self._llama, tok)

    # ------------------------------------------------------------------ tokens

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        """Token ids of ``text`` (no BOS)."""
        return tokenize(self._llama, text, special=special)

    def count_tokens(self, text: str) -> int:
        """Number of tokens of ``text`` with the model's tokenizer (no BOS)."""
        if not isinstance(text, str):
            raise InputError(f"text must be a str, got {type(text).__name__}")
        return len(self.tokenize(text))

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of ``text`` (cut at a token boundary) that has at most ``max_tokens`` tokens."""
        return TP.truncate(self, text, max_tokens)

    # ------------------------------------------------------------------ prompts (task_prompt.py)

    def _prompt_text(self, instruction: str, examples: Sequence[tuple[str, str]], text: str) -> str:
        return TP.prompt_text(self, instruction, examples, text)

    def _prompt_tokens(self, prompt: str) -> list[int]:
        return TP.prompt_tokens(self, prompt)

    def build_prompt(
        self, instruction: str, text: str, examples: Sequence[tuple[str, str]], max_tokens: int
    ) -> tuple[str, list[int]]:
        """Prompt text and tokens with ``text`` truncated so that prompt + ``max_tokens`` fits ``n_ctx``.

        Examples are dropped (last first) when even an empty text would not fit.
        """
        return TP.build_prompt(self, instruction, text, examples, max_tokens)

    def _fixed_tokens(self, instruction: str, examples: Sequence[tuple[str, str]]) -> list[int]:
        return TP.fixed_tokens(self, instruction, examples)

    def prefix_length(self, instruction: str, examples: Sequence[tuple[str, str]], prompt_tokens: list[int]) -> int:
        """How many leading tokens of ``prompt_tokens`` are the task's fixed part: those it shares
        with the same prompt for an empty text (a function of the prompt alone)."""
        return TP.prefix_length(self, instruction, examples, prompt_tokens)

    # ------------------------------------------------------------------ generation

    @property
    def cache(self) -> ResponseCache | None:
        if self._cache_setting is False:
            return None
        if self._cache is None:
            root = (
                cache_root()
                if self._cache_setting is True
                else Path(os.fspath(self._cache_setting)).expanduser()
            )
            self._cache = ResponseCache(root / "llm_responses.sqlite")
        return self._cache

    def _grammar(self, text: str) -> Any:
        g = self._grammars.get(text)
        if g is not None:
            return g
        llama_cpp = _import_llama_cpp()
        # an invalid grammar makes llama.cpp return NULL (and would crash the sampler chain): check first
        with _quiet() as log:
            smpl = llama_cpp.llama_sampler_init_grammar(self._llama._model.vocab, text.encode("utf-8"), b"root")
        if not smpl:
            raise InputError(f"invalid GBNF grammar: {log.getvalue().strip()[-300:]}\n{text[:500]}")
        llama_cpp.llama_sampler_free(smpl)
        g = llama_cpp.LlamaGrammar.from_string(text, verbose=False)
        self._grammars[text] = g
        return g

    def complete(
        self,
        prompt_tokens: list[int],
        grammar: str | None,
        max_tokens: int,
        shape: G.JSONShape | None = None,
        allowed_ids: Sequence[int] | None = None,
        split: int = 0,
    ) -> str:
        """Raw completion for prompt tokens under a GBNF grammar (disk-cached).

        ``shape`` (for the JSON grammars of :mod:`textmine.llm.grammar`) turns on jump-forward
        decoding: text the grammar fixes is appended without a model step (see ``JSONShape``).
        ``allowed_ids`` restricts the tokens the model may choose (see :meth:`vocabulary_ids`);
        text that jump-forward appends is not restricted.  ``split``: where the prompt's fixed part
        ends (see :attr:`prompt_block`; :meth:`prefix_length`).
        """
        check_positive_int(self.grammar_top_k, "LLM.grammar_top_k", minimum=0)  # 0: whole vocabulary only
        fast = self.temperature == 0.0 and bool(self.greedy_fast)
        jump = shape if (shape is not None and grammar and fast and self.jump_forward) else None
        ids = None
        if allowed_ids is not None:
            if not fast:
                raise InputError("a restricted vocabulary needs greedy decoding (temperature=0, greedy_fast=True)")
            ids = self._check_ids(allowed_ids)
        if not isinstance(split, int) or isinstance(split, bool) or split < 0:
            raise InputError(f"split must be an int >= 0 (a prompt position), got {split!r}")
        settings = {
            "fast": fast,  # textmine's greedy loop, or llama-cpp-python's sampler chain
            "jf": repr(jump) if jump is not None else None,
            "v": _CACHE_VERSION,
            "t": self.temperature,
            "rp": self.repeat_penalty,
            "seed": self.seed,
            "max": max_tokens,
            "n_ctx": self.n_ctx,
        }
        if ids is not None:  # only then, so that the keys of unrestricted calls stay as they were
            settings["vocab"] = hashlib.sha256(ids.tobytes()).hexdigest()
            settings["head"] = self._head() is not None  # equal logits to float rounding, not bit-equal
        if fast and 0 < split < len(prompt_tokens):  # segments change the float rounding a little
            settings["split"] = [int(split), int(self.prompt_block), self.n_batch]
        key = cache_key(self.model_id, prompt_tokens, grammar, settings)
        with self._lock:
            self._stats["calls"] += 1
            cache = self.cache
            hit = cache.get(key) if cache is not None else None
            if hit is not None:
                self._stats["cache_hits"] += 1
                return hit[0]
            if len(prompt_tokens) + max_tokens > self.n_ctx:
                raise InputError(
                    f"prompt ({len(prompt_tokens)} tokens) + max_tokens ({max_tokens}) exceeds n_ctx={self.n_ctx}"
                )
            gram = self._grammar(grammar) if grammar else None
            t0 = time.perf_counter()
            if fast:
                with _quiet() as log:
                    try:
                        text, n_completion = self._greedy(prompt_tokens, grammar, max_tokens, jump, ids, split)
                    except Exception as exc:  # noqa: BLE001 - llama.cpp failures become typed errors
                        tail = _log_tail(log, 400)
                        raise LLMOutputError(
                            f"llama.cpp generation failed with {self.model_id}: {exc}" + (f" ({tail})" if tail else "")
                        ) from None
                self._stats["seconds"] += time.perf_counter() - t0
                self._stats["prompt_tokens"] += len(prompt_tokens)
                self._stats["completion_tokens"] += n_completion
                if cache is not None:
                    cache.put(key, self.model_id, text, len(prompt_tokens), n_completion)
                return text
            # llama-cpp-python would reuse any matching KV prefix with its own batching, which makes
            # the logits (and so the output) depend on earlier calls: evaluate from scratch here
            self._llama.reset()
            with _quiet() as log:
                try:
                    out = self._llama.create_completion(
                        prompt=prompt_tokens,
                        max_tokens=max_tokens,
                        temperature=self.temperature,
                        top_k=40,
                        top_p=1.0,
                        min_p=0.0,
                        repeat_penalty=self.repeat_penalty,
                        seed=self.seed,
                        stop=list(self.stop) or None,
                        grammar=gram,
                    )
                except Exception as exc:  # noqa: BLE001 - llama.cpp failures become typed errors
                    err: Exception | None = exc
                else:
                    err = None
            if err is not None:
                tail = _log_tail(log, 400)
                raise LLMOutputError(
                    f"llama.cpp generation failed with {self.model_id}: {err}" + (f" ({tail})" if tail else "")
                ) from None
            # its KV cache was filled in n_batch chunks, not prompt blocks: never reuse it as a prefix
            self._llama.reset()
            self._stats["seconds"] += time.perf_counter() - t0
            text = out["choices"][0]["text"]
            usage = out.get("usage") or {}
            n_prompt = int(usage.get("prompt_tokens", len(prompt_tokens)))
            n_completion = int(usage.get("completion_tokens", 0))
            self._stats["prompt_tokens"] += n_prompt
            self._stats["completion_tokens"] += n_completion
            if cache is not None:
                cache.put(key, self.model_id, text, n_prompt, n_completion)
            return text

    greedy_fast = True
    """Use textmine's own greedy loop (grammar checked on the best token first; identical output,
    several times faster for large vocabularies such as Gemma's 262k tokens)."""

    prompt_block = 64
    """The greedy loop evaluates prompts in segments at positions fixed by the prompt itself: blocks
    of this many tokens (0, 64, 128, ...) up to the end of the task's fixed part (instruction,
    examples: ``split``), then the rest at once.  Whole segments that equal the previous prompt's
    are kept in the KV cache and not evaluated again, and since a segment is always computed from
    the same segments before it, the output does not depend on earlier calls."""

    split_prompt = True
    """``generate_list`` / ``generate_text`` start a segment at the end of the prompt's fixed part
    (:meth:`prefix_length`), so that all of it is reused by the next call on the same task and the
    document is read in one batch; ``False``: blocks of :attr:`prompt_block` throughout."""

    def _segments(self, n: int, split: int = 0) -> list[int]:
        """Start positions of the prompt segments of an ``n``-token prompt (see :attr:`prompt_block`)."""
        block = max(1, int(self.prompt_block))
        split = split if 0 < split < n else 0
        if not split:
            return list(range(0, n, block))
        return list(range(0, split, block)) + list(range(split, n, max(block, self.n_batch)))

    def _eval_prompt(self, prompt_tokens: list[int], split: int = 0) -> None:
        """Evaluate the prompt segment by segment, reusing the cached segments that a cold evaluation
        would compute the same way (:func:`~textmine.llm.segments.reusable_prefix`)."""
        L = self._llama
        n_prev = int(L.n_tokens)
        # the last prompt token is always evaluated, so its logits are fresh
        same = common_prefix(L.input_ids[:n_prev].tolist(), prompt_tokens[:-1])
        starts = self._segments(len(prompt_tokens), split)
        prev = getattr(L, "_textmine_segments", ([], 0)) if n_prev else ([], 0)
        reuse = reusable_prefix(*prev, starts, same)
        L.n_tokens = reuse  # eval() drops the KV cache after this position
        L._textmine_segments = ([], 0)  # until the new prompt is fully evaluated
        ends = starts[1:] + [len(prompt_tokens)]
        for st, end in zip(starts, ends):
            if st >= reuse:
                L.eval(prompt_tokens[st:end])
        L._textmine_segments = (starts, len(prompt_tokens))
        self._stats["prompt_tokens_reused"] += reuse

    grammar_top_k = 256
    """When the grammar rejects the best token, it is asked about the ``grammar_top_k`` best tokens
    (and any tied with the last of them) before the whole vocabulary: the best allowed token among
    them is the best allowed token overall, so the output is the same, and one grammar pass over
    Gemma's 262k tokens (~50 ms on 2 cores) is avoided on almost every such step."""

    @staticmethod
    def _grammar_pick(gs: Any, ids: Any, values: Any, buf: Any, buf_np: Any) -> int | None:
        """The token among ``ids`` (ascending) with the highest value that the grammar sampler ``gs``
        allows, the lowest id among ties; None if it allows none of them."""
        import ctypes

        import numpy as np

        llama_cpp = _import_llama_cpp()
        n = len(ids)
        buf_np["id"][:n] = ids
        buf_np["logit"][:n] = values
        buf_np["p"][:n] = 0.0
        arr = llama_cpp.llama_token_data_array(data=buf, size=n, selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(gs, ctypes.byref(arr))
        masked = buf_np["logit"][:n]
        return int(buf_np["id"][int(np.argmax(masked))]) if np.isfinite(masked).any() else None

    @staticmethod
    def _grammar_best(gs: Any, logits: Any, buf: Any, buf_np: Any, top_k: int) -> int | None:
        """The highest-logit token the grammar sampler ``gs`` allows (lowest id among ties); None if none.

        Equal to masking the whole vocabulary with the grammar and taking ``argmax``, which is what
        it falls back to when none of the ``top_k`` best tokens is allowed.
        """
        import numpy as np

        n_vocab = len(logits)
        k = min(int(top_k), n_vocab)
        if 0 < k < n_vocab:
            kth = np.partition(logits, n_vocab - k)[n_vocab - k]
            ids = np.flatnonzero(logits >= kth)  # ties with the k-th included
            best = LLM._grammar_pick(gs, ids, logits[ids], buf, buf_np)
            if best is not None:
                return best
        return LLM._grammar_pick(gs, np.arange(n_vocab), logits, buf, buf_np)

    jump_forward = True
    """Jump-forward decoding for the JSON answers of ``generate_list`` / ``generate_text``: the text
    their grammar fixes (the opening ``' ["'``, the ``' "'`` after ``'",'``) is appended without a
    model step and evaluated together with the token before it, and decoding stops once the answer
    is complete. About a quarter fewer model steps for a keyword list; ``False`` turns it off."""

    restricted_head = True
    """With a restricted vocabulary (``generate_list(vocabulary=...)``), compute only the allowed
    tokens' logits, from the GGUF's output rows, instead of llama.cpp's whole output layer
    (:mod:`textmine.llm.head`; about 2.2x faster steps for Gemma 3 270M's 262k-token vocabulary).
    The choices are those of the whole output layer restricted to the same tokens (the logits agree
    to float rounding, checked when the head is built); a model whose output layer cannot be
    computed exactly that way, or ``False`` here, uses the whole layer."""

    def _head(self) -> Any:
        """The model's :class:`~textmine.llm.head.RestrictedHead` (built once per loaded model), or None."""
        if not self.restricted_head:
            return None
        L = self._llama
        head = getattr(L, "_textmine_head", False)
        if head is False:
            from .head import RestrictedHead

            with _LOAD_LOCK, _quiet():
                head = getattr(L, "_textmine_head", False)
                if head is False:
                    head = None
                    try:
                        head = RestrictedHead.create(L, self.path, self.metadata)
                    finally:
                        L._textmine_head = head  # None after a failure: not tried again
        return head

    # ------------------------------------------------------------------ vocabulary (vocabulary.py)

    def _check_ids(self, ids: Sequence[int]) -> Any:
        return V.check_ids(self._llama, ids)

    def _structural_ids(self) -> list[int]:
        return V.structural_ids(self._llama, self._eos_id)

    def vocabulary_ids(self, text: str) -> list[int]:
        """The tokens that write ``text``'s words: those of ``text`` itself and of each word with and
        without a leading space, as written, lower-cased and with the punctuation at its edges
        removed; plus the JSON punctuation and end tokens.  ``generate_list(vocabulary=text)``
        restricts the answer to these tokens, so that its items are made of the text's words."""
        return V.vocabulary_ids(self._llama, self._check_text("vocabulary", text), self._eos_id)

    def _greedy(
        self,
        prompt_tokens: list[int],
        grammar: str | None,
        max_tokens: int,
        shape: G.JSONShape | None = None,
        allowed_ids: Any = None,
        split: int = 0,
    ) -> tuple[str, int]:
        """Greedy decoding equal to llama.cpp's chain penalties -> grammar -> greedy.

        The grammar is first asked about the single best token only (what llama.cpp's own
        ``common_sampler`` does), then about the best ``grammar_top_k``, and the full vocabulary
        goes through it only when none of those is allowed.  Repeat penalty: llama.cpp's rule over
        the last 64 generated tokens.  With ``shape`` (and a grammar), text fixed by the grammar is
        appended without a model step (jump-forward, see :class:`~textmine.llm.grammar.JSONShape`).
        With ``allowed_ids`` (ascending), the model chooses among those tokens only, and their
        logits come from the restricted head when there is one (:attr:`restricted_head`); should
        none of them fit the grammar, the whole vocabulary is used for that step.
        """
        import ctypes

        import numpy as np

        llama_cpp = _import_llama_cpp()
        L = self._llama
        n_vocab = int(L._n_vocab)
        vocab = L._model.vocab
        head = self._head() if allowed_ids is not None else None
        rows = head.rows(allowed_ids) if head is not None else None
        gs = None
        if grammar:
            gs = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
            if not gs:  # pragma: no cover - grammars are validated before
                raise InputError("invalid GBNF grammar")
        else:
            shape = None
        one = (llama_cpp.llama_token_data * 1)()
        one_arr = llama_cpp.llama_token_data_array(data=one, size=1, selected=-1, sorted=False)

        def allowed(tok: int) -> bool:
            one[0].id, one[0].logit, one[0].p = tok, 0.0, 0.0
            one_arr.size, one_arr.selected, one_arr.sorted = 1, -1, False
            llama_cpp.llama_sampler_apply(gs, ctypes.byref(one_arr))
            return bool(np.isfinite(one[0].logit))

        generated: list[int] = []
        text = ""
        full = None
        full_np = None

        def buffers() -> tuple[Any, Any]:
            nonlocal full, full_np
            if full is None:
                full = (llama_cpp.llama_token_data * n_vocab)()
                full_np = np.ctypeslib.as_array(full)
            return full, full_np

        def penalize(ids: Any, values: Any) -> None:
            """llama.cpp's repeat penalty, in place, on ``values`` of the tokens ``ids`` (ascending)."""
            if self.repeat_penalty == 1.0 or not generated:
                return
            recent = np.array(sorted(set(generated[-64:])), dtype=np.int64)
            if ids is None:
                pos = recent
            else:
                pos = np.searchsorted(ids, recent)
                ok = pos < len(ids)
                pos = pos[ok][ids[pos[ok]] == recent[ok]]
            v = values[pos]
            values[pos] = np.where(v <= 0, v * self.repeat_penalty, v / self.repeat_penalty)

        def jump() -> list[int]:
            """Accept the tokens of the text the grammar fixes after ``text``; they still need evaluation."""
            nonlocal text
            out: list[int] = []
            while shape is not None and len(generated) < max_tokens:
                fixed = shape.forced(text)
                if not fixed:
                    break
                toks = self.tokenize(fixed)
                pieces = [self._token_text(t) for t in toks]
                if "".join(pieces) != fixed:
                    break  # e.g. a tokenizer that puts a space before a lone text: let the model choose
                added = 0
                for tok, piece in zip(toks, pieces):
                    if len(generated) >= max_tokens or not allowed(tok):
                        break
                    llama_cpp.llama_sampler_accept(gs, tok)
                    generated.append(tok)
                    out.append(tok)
                    text += piece
                    added += 1
                if not added:
                    break
            return out

        def llama_logits() -> Any:
            """llama.cpp's logits of the last evaluated token (a view: copy or index before changing)."""
            return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(L._ctx.ctx, -1), shape=(n_vocab,))

        def full_logits(hidden: Any) -> Any:
            return head.all_logits(hidden) if head is not None else llama_logits().copy()

        def choose(hidden: Any) -> int | None:
            """The next token; None when the grammar allows nothing."""
            if allowed_ids is not None:
                values = head.logits(hidden, rows) if head is not None else llama_logits()[allowed_ids]
                penalize(allowed_ids, values)
                tok = int(allowed_ids[int(np.argmax(values))])
                if gs is None or allowed(tok):
                    return tok
                best = self._grammar_pick(gs, allowed_ids, values, *buffers())
                if best is not None:
                    return best
                self._stats["restricted_fallbacks"] += 1
            logits = full_logits(hidden)
            penalize(None, logits)
            tok = int(np.argmax(logits))
            if gs is None or allowed(tok):
                return tok
            return self._grammar_best(gs, logits, *buffers(), self.grammar_top_k)

        hidden = None
        # the head's KV cache belongs to this generation until its end
        with head.lock if head is not None else contextlib.nullcontext():
            try:
                start = list(prompt_tokens) + jump()
                if head is not None:
                    hidden, reused = head.prompt(start, self._segments(len(start), split))
                    self._stats["prompt_tokens_reused"] += reused
                    if hidden is None:
                        raise RuntimeError("the restricted head did not get the final hidden state")
                else:
                    self._eval_prompt(start, split)
                while len(generated) < max_tokens:
                    tok = choose(hidden)
                    if tok is None:
                        break  # the grammar allows nothing more (should not happen)
                    if llama_cpp.llama_vocab_is_eog(vocab, tok):
                        break
                    if gs is not None:
                        llama_cpp.llama_sampler_accept(gs, tok)
                    generated.append(tok)
                    if self.stop:
                        so_far = L.detokenize(generated, prev_tokens=prompt_tokens).decode("utf-8", "ignore")
                        if any(st in so_far for st in self.stop):
                            break
                    if shape is not None:
                        text += self._token_text(tok)
                        if shape.complete(text):
                            break  # only the end is allowed now: no step needed to learn that
                    step = [tok] + jump()
                    if len(generated) < max_tokens:
                        if head is not None:
                            hidden = head.step(step)
                            if hidden is None:
                                raise RuntimeError("the restricted head did not get the final hidden state")
                        else:
                            L.eval(step)
            finally:
                if gs is not None:
                    llama_cpp.llama_sampler_free(gs)
        text = L.detokenize(generated, prev_tokens=prompt_tokens).decode("utf-8", "ignore")
        for st in self.stop:
            if st in text:
                text = text[: text.index(st)]
        return text, len(generated)

    _check_text = staticmethod(TP.check_text)

    def _document_text(self, text: Any) -> str:
        return TP.document_text(self, text)

    def _answer_shape(self, kind: str) -> G.JSONShape:
        """The JSON answer's shape for jump-forward: after a completion prompt's "Answer:" it starts
        with a space, in a chat turn without one (as :func:`~textmine.llm.prompts.format_list_answer`
        writes the examples)."""
        return G.JSONShape(kind, "" if self.is_chat else " ")

    def generate_list(
        self,
        instruction: str,
        text: str,
        *,
        examples: Sequence[tuple[str, Sequence[str]]] = (),
        max_items: int = 10,
        max_item_chars: int = 60,
        choices: Sequence[str] | None = None,
        max_tokens: int | None = None,
        vocabulary: str | None = None,
    ) -> list[str]:
        """A grammar-constrained JSON list of short strings about ``text``.

        ``examples`` are ``(text, answer_list)`` pairs shown to the model
        (chat turns for chat models, few-shot blocks for base models).
        ``choices`` restricts every item to exactly one of the given strings.
        ``vocabulary`` restricts the answer to the tokens of that text's words
        (:meth:`vocabulary_ids`): items made of the document's own words, and
        faster steps where the model has a restricted head (:attr:`restricted_head`);
        greedy decoding only (with ``temperature > 0`` it is not applied).
        ``text`` is truncated by tokens to fit the context.  The result is
        validated, whitespace-normalised and de-duplicated; a blank text gives
        ``[]`` without calling the model.
        """
        instruction = self._check_text("instruction", instruction)
        text = self._document_text(text)
        if not text.strip():
            return []
        if choices is not None:
            options = G.normalize_choices(choices)
            g = G.choices_grammar(options, max_items, min_items=1)
            longest = max(self.count_tokens(json.dumps(c, ensure_ascii=False)) for c in options)
            need = min(max_items, len(options)) * (longest + 2) + 4
        else:
            options = None
            g = G.string_list_grammar(max_items, max_item_chars, min_items=1)
            need = max_items * (max_item_chars // 3 + 4) + 4
        if max_tokens is None:
            max_tokens = min(need, max(64, self.n_ctx // 4))
        G._check_bounds(max_items, max_item_chars)
        shots = [(t, P.format_list_answer(list(a))) for t, a in examples]
        _, toks = self.build_prompt(instruction, text, shots, max_tokens)
        plain = options is None or not any('"' in c or "\\" in c for c in options)
        shape = self._answer_shape("list") if plain else None
        ids = None
        if vocabulary is not None:
            vocabulary = self._check_text("vocabulary", vocabulary)
            if self.temperature == 0.0 and self.greedy_fast:  # sampling: no restriction
                ids = self.vocabulary_ids(vocabulary)
        split = self.prefix_length(instruction, shots, toks) if self.split_prompt else 0
        raw = self.complete(toks, g, max_tokens, shape, ids, split)
        try:
            return G.parse_string_list(raw, max_items=max_items, max_item_chars=max_item_chars, choices=options)
        except LLMOutputError:
            raise LLMOutputError(f"{self.model_id} produced an unusable list: {raw[:200]!r}") from None

    def generate_text(
        self,
        instruction: str,
        text: str,
        *,
        examples: Sequence[tuple[str, str]] = (),
        max_chars: int = 60,
        max_tokens: int | None = None,
    ) -> str:
        """One short grammar-bounded string (e.g. a topic label) about ``text``; ``""`` for a blank text."""
        instruction = self._check_text("instruction", instruction)
        text = self._document_text(text)
        if not text.strip():
            return ""
        g = G.single_string_grammar(max_chars)
        if max_tokens is None:
            max_tokens = min(max_chars // 2 + 8, max(32, self.n_ctx // 4))
        shots = [(t, P.format_text_answer(a)) for t, a in examples]
        _, toks = self.build_prompt(instruction, text, shots, max_tokens)
        split = self.prefix_length(instruction, shots, toks) if self.split_prompt else 0
        raw = self.complete(toks, g, max_tokens, self._answer_shape("string"), None, split)
        return G.parse_single_string(raw, max_chars=max_chars)

    def score_continuations(
        self,
        instruction: str,
        text: str,
        continuations: Sequence[str],
        *,
        answer_prefix: str = "",
        max_doc_tokens: int | None = None,
    ) -> list[Any]:
        """How likely each continuation is as the start of the model's answer (an LLM used to score).

        The prompt is the task prompt for ``instruction`` and ``text`` (the same chat-template or
        completion prompt as :meth:`generate_list`, no examples) followed by ``answer_prefix``;
        each continuation is tokenized on its own (give it its leading space).  Returns one numpy
        array per continuation: the natural-log probability of each of its tokens
        (:mod:`textmine.llm.scoring`).  A continuation's values do not depend on the other
        continuations' order or on earlier calls; ``text`` is truncated to ``max_doc_tokens``
        tokens and to the context.
        """
        import numpy as np

        instruction = self._check_text("instruction", instruction)
        answer_prefix = self._check_text("answer_prefix", answer_prefix)
        text = self._document_text(text)
        conts = [self.tokenize(self._check_text("continuation", c)) for c in continuations]
        if not conts:
            return []
        if max_doc_tokens is not None:
            text = self.truncate(text, int(max_doc_tokens))
        longest = max(len(c) for c in conts) + len(self.tokenize(answer_prefix)) + 2
        _, toks = self.build_prompt(instruction, text, [], longest)
        split = self.prefix_length(instruction, [], toks)
        if answer_prefix:  # after a completion prompt's "Answer:" the answer starts with a space (_answer_shape)
            toks = toks + self.tokenize(self._answer_shape("string").lead + answer_prefix, special=False)
        # one canonical order (sorted unique token lists): the batches, and so the values, are a
        # function of the set of continuations, whatever order or repetitions the caller gives
        unique = sorted(set(map(tuple, conts)))
        with self._lock:
            scorer = self._scorer()
            t0 = time.perf_counter()
            with _quiet() as log:
                try:
                    scored = dict(zip(unique, scorer.score(toks, unique, split)))
                except Exception as exc:  # noqa: BLE001 - llama.cpp failures become typed errors
                    tail = _log_tail(log, 400)
                    raise LLMOutputError(
                        f"llama.cpp scoring failed with {self.model_id}: {exc}" + (f" ({tail})" if tail else "")
                    ) from None
            self._stats["seconds"] += time.perf_counter() - t0
            self._stats["prompt_tokens"] += len(toks)
        return [np.asarray(scored[tuple(c)], dtype=np.float64) for c in conts]

    def _scorer(self) -> Any:
        """The model's :class:`~textmine.llm.scoring.ContinuationScorer` (built once per loaded model)."""
        L = self._llama
        scorer = getattr(L, "_textmine_scorer", None)
        if scorer is None:
            from .scoring import ContinuationScorer

            with _LOAD_LOCK, _quiet() as log:
                scorer = getattr(L, "_textmine_scorer", None)
                if scorer is None:
                    try:
                        scorer = ContinuationScorer(L, n_batch=max(512, self.n_batch))
                    except RuntimeError as exc:
                        raise ModelLoadError(f"{exc} ({_log_tail(log, 300)})") from None
                    L._textmine_scorer = scorer
        return scorer

    # ------------------------------------------------------------------ misc

    @property
    def stats(self) -> dict[str, Any]:
        """Counters since load: calls, cache_hits, prompt_tokens, completion_tokens, seconds."""
        return dict(self._stats)

    def reset_stats(self) -> None:
        for k in self._stats:
            self._stats[k] = 0.0 if k == "seconds" else 0

    def __repr__(self) -> str:
        return f"LLM({self.model_id!r}, n_ctx={self.n_ctx}, chat={self.is_chat})"

    # an LLM is shared, not copied (sklearn.clone deep-copies params)
    def __deepcopy__(self, memo: dict[int, Any]) -> LLM:
        return self

    def __copy__(self) -> LLM:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_reload, (str(self.path), self.preset.name if self.preset else None, self._init_kwargs()))

    def _init_kwargs(self) -> dict[str, Any]:
        return {
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "n_batch": self.n_batch,
            "seed": self.seed,
            "temperature": self.temperature,
            "repeat_penalty": self.repeat_penalty,
            "cache": self._cache_setting,
            "chat": self.is_chat,
        }


def _reload(path: str, preset: str | None, kwargs: dict[str, Any]) -> LLM:
    return LLM(path, preset=get_preset(preset) if preset else None, **kwargs)


def load_llm(
    model: str | os.PathLike[str] | LLM | None = "default",
    *,
    allow_download: bool | None = None,
    task: str | None = None,
    **kwargs: Any,
) -> LLM:
    """Return an :class:`LLM` for a preset name, a GGUF path or an existing LLM (memoised per process).

    ``task`` (``"keywords"``, ``"labels"``, ``"scoring"``) picks what ``"default"`` means:
    :data:`textmine.llm.presets.DEFAULT_PRESETS`; other names ignore it.

    >>> llm = load_llm("default", task="labels")  # doctest: +SKIP
    >>> llm.is_chat, llm.n_ctx                    # doctest: +SKIP
    (False, 4096)
    """
    if isinstance(model, LLM):
        return model
    if model is None:
        model = "default"
    if not isinstance(model, (str, os.PathLike)):
        raise InputError(f"llm must be a preset name, a .gguf path or an LLM, got {type(model).__name__}")
    name = os.fspath(model)
    canon = canonical_name(name, task)
    key = (canon or str(Path(name).expanduser().resolve()), tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
    with _LOAD_LOCK:
        inst = _INSTANCES.get(key)
    if inst is not None:
        return inst
    inst = LLM.from_name(canon or name, allow_download=allow_download, **kwargs)
    with _LOAD_LOCK:
        return _INSTANCES.setdefault(key, inst)


__all__ = ["LLM", "load_llm", "ResponseCache"]
