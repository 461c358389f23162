"""The :class:`LLM` wrapper around ``llama_cpp.Llama``: constrained, deterministic, cached.

>>> from textmine.llm import load_llm
>>> llm = load_llm("default")                                   # doctest: +SKIP
>>> llm.generate_list("List the sports mentioned.", "Tennis and golf on TV tonight.",
...                   examples=[("A football match.", ["football"])])  # doctest: +SKIP
['tennis', 'golf']
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._cache import cache_root
from ..errors import InputError, LLMOutputError, ModelLoadError
from . import decoding as D
from . import grammar as G
from . import prompts as P
from . import task_prompt as TP
from . import vocabulary as V
from .cache import _CACHE_VERSION, ResponseCache  # noqa: F401 - _CACHE_VERSION: re-exported
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
        return D.compile_grammar(self, text)

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
        return D.complete(self, prompt_tokens, grammar, max_tokens, shape, allowed_ids, split)

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
        return D.segments(n, split, self.prompt_block, self.n_batch)

    def _eval_prompt(self, prompt_tokens: list[int], split: int = 0) -> None:
        """Evaluate the prompt segment by segment, reusing the cached segments (:func:`.decoding.eval_prompt`)."""
        starts = self._segments(len(prompt_tokens), split)
        self._stats["prompt_tokens_reused"] += D.eval_prompt(self._llama, prompt_tokens, starts)

    grammar_top_k = 256
    """When the grammar rejects the best token, it is asked about the ``grammar_top_k`` best tokens
    (and any tied with the last of them) before the whole vocabulary: the best allowed token among
    them is the best allowed token overall, so the output is the same, and one grammar pass over
    Gemma's 262k tokens (~50 ms on 2 cores) is avoided on almost every such step."""

    _grammar_pick = staticmethod(D.grammar_pick)
    _grammar_best = staticmethod(D.grammar_best)

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
        return D.restricted_head(self)

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
        """Greedy decoding equal to llama.cpp's chain penalties -> grammar -> greedy (:func:`.decoding.greedy`)."""
        return D.greedy(self, prompt_tokens, grammar, max_tokens, shape, allowed_ids, split)

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
