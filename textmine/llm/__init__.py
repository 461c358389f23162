"""Local LLMs (GGUF through llama-cpp-python) for keywords and topic labels.

>>> from textmine.llm import load_llm, list_presets
>>> list_presets()
['default', 'gemma3-270m', 'smollm2-135m', 'qwen2.5-coder-0.5b', 'qwen2.5-coder-1.5b', 'mistral-7b-instruct']
>>> llm = load_llm("default")                                      # doctest: +SKIP
>>> llm.generate_list("Extract keywords.", "Solar panels convert sunlight into electricity.",
...                   examples=[("Wind turbines produce power.", ["wind turbines", "power"])])  # doctest: +SKIP
['solar panels', 'sunlight', 'electricity']

See docs/models.md for the embedded models, Mistral 7B and any other GGUF.
"""

from __future__ import annotations

from .gguf import read_gguf_metadata
from .model import LLM, load_llm
from .presets import (
    DEFAULT_PRESET,
    DEFAULT_PRESETS,
    PRESETS,
    Preset,
    default_preset,
    describe_models,
    get_preset,
    list_presets,
    models_dir,
    resolve_model_path,
)

__all__ = [
    "LLM",
    "load_llm",
    "read_gguf_metadata",
    "Preset",
    "PRESETS",
    "DEFAULT_PRESET",
    "DEFAULT_PRESETS",
    "default_preset",
    "list_presets",
    "get_preset",
    "describe_models",
    "resolve_model_path",
    "models_dir",
]
