"""Token ids for a restricted vocabulary: the tokens that write a text's words, plus JSON punctuation.

``LLM.generate_list(vocabulary=text)`` lets the model write only :func:`vocabulary_ids` of ``text``
(its keyphrases are then made of the document's words); :mod:`.decoding` chooses among them, with
the logits of those rows only when the model has a restricted head (:mod:`.head`). Functions here
take the loaded ``llama_cpp.Llama``; what they compute once per model is memoised on it.

>>> from textmine.llm.vocabulary import check_ids
>>> class Llama: _n_vocab = 10
>>> check_ids(Llama(), [3, 1, 3]).tolist()
[1, 3]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

from ..errors import InputError
from .loading import _import_llama_cpp, token_text, tokenize

_WORD = re.compile(r"\S+")
_EDGE = re.compile(r"^\W+|\W+$")


def check_ids(llama: Any, ids: Sequence[int]) -> Any:
    """``ids`` as a sorted, de-duplicated int64 array of token ids of ``llama``'s vocabulary."""
    import numpy as np

    try:
        arr = np.unique(np.asarray(list(ids), dtype=np.int64))
    except (TypeError, ValueError, OverflowError):
        raise InputError("allowed_ids must be a sequence of token ids (ints)") from None
    n_vocab = int(llama._n_vocab)
    if arr.size == 0:
        raise InputError("allowed_ids is empty")
    if arr[0] < 0 or arr[-1] >= n_vocab:
        raise InputError(f"allowed_ids must be token ids in [0, {n_vocab}), got {int(arr[0])}..{int(arr[-1])}")
    return arr


def structural_ids(llama: Any, eos_id: int) -> list[int]:
    """Tokens made only of spaces and the JSON punctuation ``[ ] " ,``, and the end-of-generation
    tokens: what a JSON list of strings needs besides the words (once per loaded model)."""
    cached = getattr(llama, "_textmine_structural", None)
    if cached is not None:
        return cached
    llama_cpp = _import_llama_cpp()
    alphabet = ' []",'
    found: set[int] = set()
    for n in range(1, 5):
        for combo in itertools.product(alphabet, repeat=n):
            found.update(tokenize(llama, "".join(combo)))
    out = {t for t in found if (p := token_text(llama, t)) and all(c in alphabet for c in p)}
    vocab = llama._model.vocab
    for t in (eos_id, int(llama_cpp.llama_vocab_eot(vocab))):
        if t >= 0 and llama_cpp.llama_vocab_is_eog(vocab, t):
            out.add(t)
    result = sorted(out)
    llama._textmine_structural = result
    return result


def vocabulary_ids(llama: Any, text: str, eos_id: int) -> list[int]:
    """The tokens that write ``text``'s words: those of ``text`` itself and of each word with and
    without a leading space, as written, lower-cased and with the punctuation at its edges
    removed; plus :func:`structural_ids` (``text``: already checked, see ``LLM.vocabulary_ids``)."""
    words = set(_WORD.findall(text))
    words |= {_EDGE.sub("", w) for w in words} - {""}
    words |= {w.lower() for w in words}
    ids = set(structural_ids(llama, eos_id))
    ids.update(tokenize(llama, text))
    ids.update(tokenize(llama, text.lower()))
    ordered = sorted(words)
    ids.update(tokenize(llama, " " + " ".join(ordered)))  # each word after a space
    ids.update(tokenize(llama, "\n".join(ordered)))  # and at the start of a line: without one
    # the first word of an item follows '"'; memoised per loaded model (words recur across documents)
    memo = llama.__dict__.setdefault("_textmine_quoted_ids", {})
    if len(memo) > 200_000:
        memo.clear()
    for w in ordered:
        quoted = memo.get(w)
        if quoted is None:
            quoted = memo[w] = tuple(tokenize(llama, '"' + w))
        ids.update(quoted)
    return sorted(ids)


__all__ = ["check_ids", "structural_ids", "vocabulary_ids"]
