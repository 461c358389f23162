"""The :class:`LLM` facade over ``llama_cpp.Llama``: constrained, deterministic, cached.

``LLM`` holds one loaded model and its settings; the work is done by one module per job (see
docs/architecture.md, "LLM layer"): ``loading`` (llama.cpp, threads), ``task_prompt`` (prompt
tokens), ``vocabulary`` (restricted vocabularies), ``answers`` (``generate_list`` /
``generate_text``), ``decoding`` (``complete``: cache, greedy grammar loop), ``cache``, ``scoring``.

>>> from textmine.llm import load_llm
>>> llm = load_llm("default")                                   # doctest: +SKIP
>>> llm.generate_list("List the sports mentioned.", "Tennis and golf on TV tonight.",
...                   examples=[("A football match.", ["football"])])  # doctest: +SKIP
['tennis', 'golf']
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError, ModelLoadError
from . import answers as A
from . import decoding as D
from . import grammar as G
from . import prompts as P
from . import task_prompt as TP
from . import vocabulary as V
from .cache import _CACHE_VERSION, ResponseCache, open_response_cache  # noqa: F401 - _CACHE_VERSION: re-exported
from .gguf import read_gguf_metadata
# the names textmine.llm.model had before the split (#14) stay importable from here
from .loading import _LLAMAS, _LOAD_LOCK, _file_id, _import_llama_cpp, _load_llama, _log_tail, _quiet  # noqa: F401
from .loading import default_threads, token_text, tokenize
from .presets import Preset, canonical_name, get_preset, preset_for_path, resolve_model_path

_INSTANCES: dict[tuple[Any, ...], LLM] = {}


class LLM(D.DecodingSettings):
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
        self._stats = {"calls": 0, "cache_hits": 0, "prompt_tokens": 0, "prompt_tokens_reused": 0,
                       "completion_tokens": 0, "restricted_fallbacks": 0, "seconds": 0.0}

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

    # ------------------------------------------------------------------ tokens and prompts (task_prompt.py)

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

    def build_prompt(
        self, instruction: str, text: str, examples: Sequence[tuple[str, str]], max_tokens: int
    ) -> tuple[str, list[int]]:
        """Prompt text and tokens with ``text`` truncated so that prompt + ``max_tokens`` fits ``n_ctx``.

        Examples are dropped (last first) when even an empty text would not fit.
        """
        return TP.build_prompt(self, instruction, text, examples, max_tokens)

    def prefix_length(self, instruction: str, examples: Sequence[tuple[str, str]], prompt_tokens: list[int]) -> int:
        """How many leading tokens of ``prompt_tokens`` are the task's fixed part: those it shares
        with the same prompt for an empty text (a function of the prompt alone)."""
        return TP.prefix_length(self, instruction, examples, prompt_tokens)

    def vocabulary_ids(self, text: str) -> list[int]:
        """The tokens that write ``text``'s words: those of ``text`` itself and of each word with and
        without a leading space, as written, lower-cased and with the punctuation at its edges
        removed; plus the JSON punctuation and end tokens.  ``generate_list(vocabulary=text)``
        restricts the answer to these tokens, so that its items are made of the text's words."""
        return V.vocabulary_ids(self._llama, self._check_text("vocabulary", text), self._eos_id)

    # ------------------------------------------------------------------ answers (answers.py, scoring.py)

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
        return A.generate_list(
            self, instruction, text, examples=examples, max_items=max_items, max_item_chars=max_item_chars,
            choices=choices, max_tokens=max_tokens, vocabulary=vocabulary,
        )

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
        return A.generate_text(self, instruction, text, examples=examples, max_chars=max_chars, max_tokens=max_tokens)

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
        from .scoring import score_continuations  # numpy is imported only when scores are asked for

        return score_continuations(
            self, instruction, text, continuations, answer_prefix=answer_prefix, max_doc_tokens=max_doc_tokens
        )

    # ------------------------------------------------------------------ decoding (decoding.py, cache.py)

    @property
    def cache(self) -> ResponseCache | None:
        """The response cache (:mod:`textmine.llm.cache`), opened on first use; None with ``cache=False``."""
        if self._cache_setting is False:
            return None
        if self._cache is None:
            self._cache = open_response_cache(self._cache_setting)
        return self._cache

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

    # ------------------------------------------------------------------ private steps
    # thin calls of the modules above, kept as methods for the tests and benchmarks that use them

    def _token_text(self, tok: int) -> str:
        return token_text(self._llama, tok)

    _check_text = staticmethod(TP.check_text)

    def _document_text(self, text: Any) -> str:
        return TP.document_text(self, text)

    def _prompt_text(self, instruction: str, examples: Sequence[tuple[str, str]], text: str) -> str:
        return TP.prompt_text(self, instruction, examples, text)

    def _prompt_tokens(self, prompt: str) -> list[int]:
        return TP.prompt_tokens(self, prompt)

    def _fixed_tokens(self, instruction: str, examples: Sequence[tuple[str, str]]) -> list[int]:
        return TP.fixed_tokens(self, instruction, examples)

    def _answer_shape(self, kind: str) -> G.JSONShape:
        return A.answer_shape(self.is_chat, kind)

    def _check_ids(self, ids: Sequence[int]) -> Any:
        return V.check_ids(self._llama, ids)

    def _structural_ids(self) -> list[int]:
        return V.structural_ids(self._llama, self._eos_id)

    def _grammar(self, text: str) -> Any:
        return D.compile_grammar(self, text)

    def _head(self) -> Any:
        return D.restricted_head(self)

    def _segments(self, n: int, split: int = 0) -> list[int]:
        return D.segments(n, split, self.prompt_block, self.n_batch)

    def _eval_prompt(self, prompt_tokens: list[int], split: int = 0) -> None:
        starts = self._segments(len(prompt_tokens), split)
        self._stats["prompt_tokens_reused"] += D.eval_prompt(self._llama, prompt_tokens, starts)

    def _greedy(self, *args: Any, **kwargs: Any) -> tuple[str, int]:
        return D.greedy(self, *args, **kwargs)

    _grammar_pick = staticmethod(D.grammar_pick)
    _grammar_best = staticmethod(D.grammar_best)

    def _scorer(self) -> Any:
        from .scoring import continuation_scorer  # numpy is imported only when scores are asked for

        return continuation_scorer(self)

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
        names = ("n_ctx", "n_threads", "n_batch", "seed", "temperature", "repeat_penalty")
        return {**{k: getattr(self, k) for k in names}, "cache": self._cache_setting, "chat": self.is_chat}


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
