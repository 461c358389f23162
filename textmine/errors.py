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


def _make_not_fitted_error() -> type:
    # scikit-learn's NotFittedError is a base class so ``except sklearn.exceptions.NotFittedError``
    # (and sklearn's own checks) catch textmine's.  ``except`` tests the real class hierarchy, so
    # the base cannot be faked; importing sklearn costs ~0.8 s (numpy + scipy), so the class is
    # built on first access of ``textmine.errors.NotFittedError`` (PEP 562), not at ``import textmine``.
    from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

    class NotFittedError(TextmineError, _SklearnNotFittedError):
        """An estimator was used before ``fit``.

        Subclass of scikit-learn's ``NotFittedError`` (so also ``ValueError`` and
        ``AttributeError``): sklearn-style handling catches it.
        """

    NotFittedError.__module__ = __name__
    NotFittedError.__qualname__ = "NotFittedError"
    return NotFittedError


def __getattr__(name: str) -> type:
    if name == "NotFittedError":
        cls = _make_not_fitted_error()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


class ClusterError(TextmineError, ConnectionError):
    """A dask scheduler cannot be reached, or a local cluster cannot be started (:mod:`textmine.scale`)."""


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
    "ClusterError",
]
