"""textmine: keyword extraction and topic modeling, offline, on a CPU.

>>> import textmine
>>> textmine.Keyword("topic model", 0.8).text
'topic model'

Heavy libraries (torch, sentence-transformers, llama.cpp, UMAP ...) are imported
only when a feature that needs them is first used, so ``import textmine`` is fast.
"""

from __future__ import annotations

import importlib
import os

# llama.cpp and torch share one OpenMP runtime (libgomp), which reads its wait policy once, when it
# is loaded. Fully passive workers sleep at every barrier inside a llama.cpp step (2x slower decoding);
# workers that spin without limit starve the other library's threads. textmine's default: passive,
# but spin up to 300,000 times (well under a millisecond) at a barrier before sleeping. Either
# variable set by the user wins (see docs/models.md).
if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    os.environ["GOMP_SPINCOUNT"] = "300000"
from typing import TYPE_CHECKING, Any

from ._types import Keyword
from .errors import (
    ClusterError,
    DependencyError,
    EmptyCorpusError,
    InputError,
    LLMOutputError,
    ModelLoadError,
    ModelNotFoundError,
    PersistenceError,
    TextmineError,
)

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access)
_LAZY = {
    "KeywordExtractor": "textmine.keywords",
    "LLMKeywordExtractor": "textmine.keywords",
    "HybridKeywordExtractor": "textmine.keywords",
    "keywords_frame": "textmine.keywords",
    "TopicModel": "textmine.topics",
    "Topic": "textmine.topics",
    "TopicLabeler": "textmine.topics",
    "LLM": "textmine.llm",
    "load_llm": "textmine.llm",
    "get_embedder": "textmine.embed",
    "evaluation": "textmine.evaluation",
    "NotFittedError": "textmine.errors",  # a scikit-learn subclass: built on first use (errors.py)
}

if TYPE_CHECKING:  # pragma: no cover
    from . import evaluation
    from .embed import get_embedder
    from .errors import NotFittedError
    from .keywords import HybridKeywordExtractor, KeywordExtractor, LLMKeywordExtractor
    from .llm import LLM, load_llm
    from .topics import Topic, TopicLabeler, TopicModel


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'textmine' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if module.endswith("." + name) else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Keyword",
    "KeywordExtractor",
    "LLMKeywordExtractor",
    "HybridKeywordExtractor",
    "keywords_frame",
    "TopicModel",
    "Topic",
    "TopicLabeler",
    "LLM",
    "load_llm",
    "get_embedder",
    "evaluation",
    "TextmineError",
    "InputError",
    "EmptyCorpusError",
    "NotFittedError",
    "ModelNotFoundError",
    "ModelLoadError",
    "LLMOutputError",
    "PersistenceError",
    "DependencyError",
    "ClusterError",
    "__version__",
]
