"""Evaluation metrics shipped with textmine (keyphrases, topics and topic labels)."""

from __future__ import annotations

from .keyphrases import *  # noqa: F401,F403
from .labels import *  # noqa: F401,F403
from .topics import *  # noqa: F401,F403
