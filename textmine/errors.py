"""Error types raised by textmine.

Every error textmine raises on purpose derives from :class:`TextmineError`, so
``except textmine.TextmineError`` catches them all.  Most also derive from the
matching built-in (``ValueError``, ``FileNotFoundError`` ...) so generic
handlers keep working.
"""

from __future__ import annotations


class TextmineError(Exception):
    """Base class of every error textmine raises on purpose."""


class InputError(TextmineError, ValueError):
    """Bad user input: wrong type, empty corpus, invalid parameter value."""


class EmptyCorpusError(InputError):
    """A corpus with no (usable) documents was given where documents are needed."""


class NotFittedError(TextmineError, ValueError, AttributeError):
    """An estimator was used before ``fit``.

    Derives from ``ValueError`` and ``AttributeError`` like scikit-learn's
    ``NotFittedError``.
    """


class ModelNotFoundError(TextmineError, FileNotFoundError):
    """A model (embedding model or GGUF) could not be found; the message says how to get it."""


class ModelLoadError(TextmineError, RuntimeError):
    """A model file exists but cannot be loaded (corrupt, truncated, wrong format)."""


class LLMOutputError(TextmineError, RuntimeError):
    """The LLM produced output that failed validation even under a grammar."""


class PersistenceError(TextmineError, OSError):
    """A saved model cannot be read back: missing files, bad checksum, unknown version."""


class DependencyError(TextmineError, ImportError):
    """An optional dependency needed for a feature is not installed."""


__all__ = [
    "TextmineError",
    "InputError",
    "EmptyCorpusError",
    "NotFittedError",
    "ModelNotFoundError",
    "ModelLoadError",
    "LLMOutputError",
    "PersistenceError",
    "DependencyError",
]
