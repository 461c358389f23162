"""Real Korean text for tests and benchmarks, from the plain-text corpora inside the ``konlpy`` package
(PyPI, GPL-3.0 code; the texts are Korean public documents):

* ``kolaw/constitution.txt``: the Constitution of the Republic of Korea; :func:`constitution_articles`
  gives one document per article (제N조), labelled with its chapter (제N장), deterministic.
* ``kobill/*.txt``: ten bills of the National Assembly (2009-2010); :func:`bills` gives one document each.

Only the text files are read (konlpy's Java-based taggers are not used).
"""

from __future__ import annotations

import re
from pathlib import Path


def _corpus_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("konlpy")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the Korean corpora come from the konlpy package: pip install konlpy")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "corpus"


def constitution_articles() -> tuple[list[str], list[str]]:
    """(articles, chapter of each article): 130 documents, 10 chapters (the supplementary provisions left out)."""
    text = (_corpus_dir() / "kolaw" / "constitution.txt").read_text(encoding="utf-8")
    docs: list[str] = []
    labels: list[str] = []
    chapter = None
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"^제\d+장\s*(.*)$", s)
        if m:
            chapter = m.group(1).strip()
            continue
        if chapter is None or not s:
            continue
        if re.match(r"^제\d+조", s):
            docs.append(re.sub(r"^제\d+조(의\d+)?\s*", "", s))
            labels.append(chapter)
        elif docs and not re.match(r"^제\d+절", s) and "부칙" not in s:
            docs[-1] += " " + s
        if "부칙" in s:
            chapter = None
    return docs, labels


def bills() -> list[str]:
    """The ten bills, one document each (line breaks inside sentences joined)."""
    out = []
    for p in sorted((_corpus_dir() / "kobill").glob("*.txt")):
        out.append(" ".join(p.read_text(encoding="utf-8").split()))
    return out
