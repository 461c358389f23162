"""Evaluation metrics shipped with textmine (keyphrases and topics)."""

from __future__ import annotations

from .keyphrases import *  # noqa: F401,F403
from .topics import *  # noqa: F401,F403
