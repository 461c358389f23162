"""The examples of docs/topics.md for partial_fit, guided and zero-shot topics, merge_models and
per-period words run as written (bundled sample corpus, real packaged embedding model)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "topics.md"
SECTIONS = ("## Streaming: `partial_fit`", "## Guided topics: `seed_topics`",
            "## Zero-shot topics: `zero_shot_topics`", "## Merging models: `TopicModel.merge_models`",
            "## Topic words per period: `topics_over_time`")


def _examples() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    out = {}
    for head in SECTIONS:
        assert head in text, f"docs/topics.md lost the section {head!r}"
        body = text.split(head, 1)[1].split("\n## ", 1)[0]
        blocks = re.findall(r"```python\n(.*?)```", body, flags=re.S)
        assert len(blocks) == 1, head
        out[head] = blocks[0]
    return out


EXAMPLES = _examples()


def _run(code: str) -> tuple[dict, str]:
    ns: dict = {"__name__": "__docs__"}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, str(DOC), "exec"), ns)  # noqa: S102 - our own documentation
    return ns, buf.getvalue()


@pytest.mark.parametrize("head", SECTIONS)
def test_topics_doc_example_runs(head):
    ns, out = _run(EXAMPLES[head])
    tm = ns.get("tm") or ns.get("merged")
    assert tm is not None and out.strip()
    if "partial_fit" in head:
        assert tm.n_docs_seen_ == 66 and len(tm.topics_) >= 3
        assert (tm.transform(ns["batch"]) == tm.labels_).all()
    elif "seed_topics" in head:
        assert any({"telescope", "galaxy", "orbit"} & set(t.top_words(5)) for t in tm.topics_)
    elif "zero_shot" in head:
        assert set(tm.zero_shot_topics_.values()) == {"Space exploration", "Cooking", "Music"}
        assert "'Music'" in out
    elif "merge_models" in head:
        a, b = ns["a"], ns["b"]
        assert len(a.topics_) < len(tm.topics_) < len(a.topics_) + len(b.topics_)  # the shared theme once
        cooking = [t.id for t in tm.topics_ if {"dough", "eggs", "flour"} & set(t.top_words(5))]
        assert cooking and tm.transform(["Whisk the eggs with sugar"])[0] == cooking[0]
    else:
        assert "'words': [" in out
