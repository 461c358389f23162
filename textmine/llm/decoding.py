"""Decoding: one completion of a prompt under a GBNF grammar, greedy and deterministic.

:func:`complete` is what ``LLM.complete`` runs: it looks the request up in the response cache
(:mod:`.cache`), then decodes with textmine's own greedy loop (:func:`greedy`, the default) or with
llama-cpp-python's sampler chain (``temperature > 0`` or ``LLM.greedy_fast = False``).

The greedy loop, step by step:

- the prompt is evaluated in segments at positions fixed by the prompt itself (:func:`segments`,
  :func:`eval_prompt`; :mod:`.segments`), so cached segments are reused and the output never
  depends on earlier calls;
- the grammar is asked about the best token first, then the best ``grammar_top_k``, and only then
  about the whole vocabulary (:func:`grammar_best`): the same choice as masking everything;
- text the grammar fixes (``JSONShape``, :mod:`.grammar`) is appended without a model step
  (jump-forward);
- with a restricted vocabulary (:mod:`.vocabulary`) only the allowed tokens' logits are computed,
  by the model's :class:`~textmine.llm.head.RestrictedHead` (:func:`restricted_head`).

The functions take the :class:`~textmine.llm.LLM` (its loaded ``llama_cpp.Llama``, settings and
counters); ``LLM`` keeps thin methods (``_greedy``, ``_head``, ``_segments`` ...) that call them.

>>> from textmine.llm.decoding import segments
>>> segments(200, 0, 64, 512), segments(200, 100, 64, 512)
([0, 64, 128, 192], [0, 64, 100])
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Sequence
from typing import Any

from .._validation import check_positive_int
from ..errors import InputError
from . import grammar as G
from . import vocabulary as V
from .cache import _CACHE_VERSION, cache_key
from .loading import _LOAD_LOCK, _import_llama_cpp, _quiet, llama_failures
from .segments import common_prefix, reusable_prefix


class DecodingSettings:
    """The decoding settings of :class:`~textmine.llm.LLM` (which inherits them): class attributes
    that an instance may override (``llm.jump_forward = False``); the functions below read them."""

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
    (``LLM.prefix_length``), so that all of it is reused by the next call on the same task and the
    document is read in one batch; ``False``: blocks of :attr:`prompt_block` throughout."""

    grammar_top_k = 256
    """When the grammar rejects the best token, it is asked about the ``grammar_top_k`` best tokens
    (and any tied with the last of them) before the whole vocabulary: the best allowed token among
    them is the best allowed token overall, so the output is the same, and one grammar pass over
    Gemma's 262k tokens (~50 ms on 2 cores) is avoided on almost every such step."""

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


def compile_grammar(llm: Any, text: str) -> Any:
    """The ``LlamaGrammar`` of a GBNF text, checked first (memoised in ``llm._grammars``)."""
    g = llm._grammars.get(text)
    if g is not None:
        return g
    llama_cpp = _import_llama_cpp()
    # an invalid grammar makes llama.cpp return NULL (and would crash the sampler chain): check first
    with _quiet() as log:
        smpl = llama_cpp.llama_sampler_init_grammar(llm._llama._model.vocab, text.encode("utf-8"), b"root")
    if not smpl:
        raise InputError(f"invalid GBNF grammar: {log.getvalue().strip()[-300:]}\n{text[:500]}")
    llama_cpp.llama_sampler_free(smpl)
    g = llama_cpp.LlamaGrammar.from_string(text, verbose=False)
    llm._grammars[text] = g
    return g


def complete(
    llm: Any,
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
    ``allowed_ids`` restricts the tokens the model may choose (see ``LLM.vocabulary_ids``);
    text that jump-forward appends is not restricted.  ``split``: where the prompt's fixed part
    ends (see ``LLM.prompt_block``; ``LLM.prefix_length``).
    """
    check_positive_int(llm.grammar_top_k, "LLM.grammar_top_k", minimum=0)  # 0: whole vocabulary only
    fast = llm.temperature == 0.0 and bool(llm.greedy_fast)
    jump = shape if (shape is not None and grammar and fast and llm.jump_forward) else None
    ids = None
    if allowed_ids is not None:
        if not fast:
            raise InputError("a restricted vocabulary needs greedy decoding (temperature=0, greedy_fast=True)")
        ids = V.check_ids(llm._llama, allowed_ids)
    if not isinstance(split, int) or isinstance(split, bool) or split < 0:
        raise InputError(f"split must be an int >= 0 (a prompt position), got {split!r}")
    settings = {
        "fast": fast,  # textmine's greedy loop, or llama-cpp-python's sampler chain
        "jf": repr(jump) if jump is not None else None,
        "v": _CACHE_VERSION,
        "t": llm.temperature,
        "rp": llm.repeat_penalty,
        "seed": llm.seed,
        "max": max_tokens,
        "n_ctx": llm.n_ctx,
    }
    if ids is not None:  # only then, so that the keys of unrestricted calls stay as they were
        settings["vocab"] = hashlib.sha256(ids.tobytes()).hexdigest()
        settings["head"] = restricted_head(llm) is not None  # equal logits to float rounding, not bit-equal
    if fast and 0 < split < len(prompt_tokens):  # segments change the float rounding a little
        settings["split"] = [int(split), int(llm.prompt_block), llm.n_batch]
    key = cache_key(llm.model_id, prompt_tokens, grammar, settings)
    with llm._lock:
        llm._stats["calls"] += 1
        cache = llm.cache
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            llm._stats["cache_hits"] += 1
            return hit[0]
        if len(prompt_tokens) + max_tokens > llm.n_ctx:
            raise InputError(
                f"prompt ({len(prompt_tokens)} tokens) + max_tokens ({max_tokens}) exceeds n_ctx={llm.n_ctx}"
            )
        gram = compile_grammar(llm, grammar) if grammar else None
        t0 = time.perf_counter()
        if fast:
            with llama_failures("generation", llm.model_id):
                text, n_completion = greedy(llm, prompt_tokens, grammar, max_tokens, jump, ids, split)
            llm._stats["seconds"] += time.perf_counter() - t0
            llm._stats["prompt_tokens"] += len(prompt_tokens)
            llm._stats["completion_tokens"] += n_completion
            if cache is not None:
                cache.put(key, llm.model_id, text, len(prompt_tokens), n_completion)
            return text
        # llama-cpp-python would reuse any matching KV prefix with its own batching, which makes
        # the logits (and so the output) depend on earlier calls: evaluate from scratch here
        llm._llama.reset()
        with llama_failures("generation", llm.model_id):
            out = llm._llama.create_completion(
                prompt=prompt_tokens,
                max_tokens=max_tokens,
                temperature=llm.temperature,
                top_k=40,
                top_p=1.0,
                min_p=0.0,
                repeat_penalty=llm.repeat_penalty,
                seed=llm.seed,
                stop=list(llm.stop) or None,
                grammar=gram,
            )
        # its KV cache was filled in n_batch chunks, not prompt blocks: never reuse it as a prefix
        llm._llama.reset()
        llm._stats["seconds"] += time.perf_counter() - t0
        text = out["choices"][0]["text"]
        usage = out.get("usage") or {}
        n_prompt = int(usage.get("prompt_tokens", len(prompt_tokens)))
        n_completion = int(usage.get("completion_tokens", 0))
        llm._stats["prompt_tokens"] += n_prompt
        llm._stats["completion_tokens"] += n_completion
        if cache is not None:
            cache.put(key, llm.model_id, text, n_prompt, n_completion)
        return text


def segments(n: int, split: int, prompt_block: int, n_batch: int) -> list[int]:
    """Start positions of the prompt segments of an ``n``-token prompt (see ``LLM.prompt_block``)."""
    block = max(1, int(prompt_block))
    split = split if 0 < split < n else 0
    if not split:
        return list(range(0, n, block))
    return list(range(0, split, block)) + list(range(split, n, max(block, n_batch)))


def eval_prompt(llama: Any, prompt_tokens: list[int], starts: list[int]) -> int:
    """Evaluate the prompt segment by segment, reusing the cached segments that a cold evaluation
    would compute the same way (:func:`~textmine.llm.segments.reusable_prefix`)."""
    L = llama
    n_prev = int(L.n_tokens)
    # the last prompt token is always evaluated, so its logits are fresh
    same = common_prefix(L.input_ids[:n_prev].tolist(), prompt_tokens[:-1])
    prev = getattr(L, "_textmine_segments", ([], 0)) if n_prev else ([], 0)
    reuse = reusable_prefix(*prev, starts, same)
    L.n_tokens = reuse  # eval() drops the KV cache after this position
    L._textmine_segments = ([], 0)  # until the new prompt is fully evaluated
    ends = starts[1:] + [len(prompt_tokens)]
    for st, end in zip(starts, ends):
        if st >= reuse:
            L.eval(prompt_tokens[st:end])
    L._textmine_segments = (starts, len(prompt_tokens))
    return reuse


def grammar_pick(gs: Any, ids: Any, values: Any, buf: Any, buf_np: Any) -> int | None:
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


def grammar_best(gs: Any, logits: Any, buf: Any, buf_np: Any, top_k: int) -> int | None:
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
        best = grammar_pick(gs, ids, logits[ids], buf, buf_np)
        if best is not None:
            return best
    return grammar_pick(gs, np.arange(n_vocab), logits, buf, buf_np)


def restricted_head(llm: Any) -> Any:
    """The model's :class:`~textmine.llm.head.RestrictedHead` (built once per loaded model), or None."""
    if not llm.restricted_head:
        return None
    L = llm._llama
    head = getattr(L, "_textmine_head", False)
    if head is False:
        from .head import RestrictedHead

        with _LOAD_LOCK, _quiet():
            head = getattr(L, "_textmine_head", False)
            if head is False:
                head = None
                try:
                    head = RestrictedHead.create(L, llm.path, llm.metadata)
                finally:
                    L._textmine_head = head  # None after a failure: not tried again
    return head


def greedy(
    llm: Any,
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
    logits come from the restricted head when there is one (``LLM.restricted_head``); should
    none of them fit the grammar, the whole vocabulary is used for that step.
    """
    import ctypes

    import numpy as np

    llama_cpp = _import_llama_cpp()
    L = llm._llama
    n_vocab = int(L._n_vocab)
    vocab = L._model.vocab
    head = restricted_head(llm) if allowed_ids is not None else None
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
        if llm.repeat_penalty == 1.0 or not generated:
            return
        recent = np.array(sorted(set(generated[-64:])), dtype=np.int64)
        if ids is None:
            pos = recent
        else:
            pos = np.searchsorted(ids, recent)
            ok = pos < len(ids)
            pos = pos[ok][ids[pos[ok]] == recent[ok]]
        v = values[pos]
        values[pos] = np.where(v <= 0, v * llm.repeat_penalty, v / llm.repeat_penalty)

    def jump() -> list[int]:
        """Accept the tokens of the text the grammar fixes after ``text``; they still need evaluation."""
        nonlocal text
        out: list[int] = []
        while shape is not None and len(generated) < max_tokens:
            fixed = shape.forced(text)
            if not fixed:
                break
            toks = llm.tokenize(fixed)
            pieces = [llm._token_text(t) for t in toks]
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
            best = grammar_pick(gs, allowed_ids, values, *buffers())
            if best is not None:
                return best
            llm._stats["restricted_fallbacks"] += 1
        logits = full_logits(hidden)
        penalize(None, logits)
        tok = int(np.argmax(logits))
        if gs is None or allowed(tok):
            return tok
        return grammar_best(gs, logits, *buffers(), llm.grammar_top_k)

    hidden = None
    # the head's KV cache belongs to this generation until its end
    with head.lock if head is not None else contextlib.nullcontext():
        try:
            start = list(prompt_tokens) + jump()
            if head is not None:
                hidden, reused = head.prompt(start, segments(len(start), split, llm.prompt_block, llm.n_batch))
                llm._stats["prompt_tokens_reused"] += reused
                if hidden is None:
                    raise RuntimeError("the restricted head did not get the final hidden state")
            else:
                llm._stats["prompt_tokens_reused"] += eval_prompt(
                    L, start, segments(len(start), split, llm.prompt_block, llm.n_batch)
                )
            while len(generated) < max_tokens:
                tok = choose(hidden)
                if tok is None:
                    break  # the grammar allows nothing more (should not happen)
                if llama_cpp.llama_vocab_is_eog(vocab, tok):
                    break
                if gs is not None:
                    llama_cpp.llama_sampler_accept(gs, tok)
                generated.append(tok)
                if llm.stop:
                    so_far = L.detokenize(generated, prev_tokens=prompt_tokens).decode("utf-8", "ignore")
                    if any(st in so_far for st in llm.stop):
                        break
                if shape is not None:
                    text += llm._token_text(tok)
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
    for st in llm.stop:
        if st in text:
            text = text[: text.index(st)]
    return text, len(generated)


__all__ = ["DecodingSettings", "complete", "greedy", "compile_grammar", "segments", "eval_prompt", "grammar_pick", "grammar_best",
           "restricted_head"]
