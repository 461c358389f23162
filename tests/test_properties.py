"""Property-based robustness suite (hypothesis) over textmine's public entry points.

Property, for every generated input: textmine returns a documented result, or
raises a :class:`~textmine.errors.TextmineError` with a clear one-paragraph
message; never another exception, and never a hang (each example runs under an
alarm).

Profiles (``TEXTMINE_HYPOTHESIS_PROFILE``): ``default`` is small (a few tens of
seconds in all, documents up to 1 MB); ``slow`` tries many more examples and
documents up to 20 MB::

    TEXTMINE_HYPOTHESIS_PROFILE=slow python -m pytest tests/test_properties.py -p no:cacheprovider

The counts per profile are listed in docs/reliability.md (the ``EXAMPLES`` table below).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sqlite3
import string
import tempfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from textmine import KeywordExtractor  # noqa: E402
from textmine.errors import TextmineError  # noqa: E402

PROFILE = os.environ.get("TEXTMINE_HYPOTHESIS_PROFILE", "default")
SLOW = PROFILE == "slow"
_COMMON = dict(deadline=None, derandomize=not SLOW, suppress_health_check=list(HealthCheck), database=None)
settings.register_profile("default", max_examples=10, **_COMMON)
settings.register_profile("slow", max_examples=150, **_COMMON)
settings.load_profile(PROFILE)

#: examples per property: (default profile, slow profile); docs/reliability.md shows this table
EXAMPLES = {
    "clean_text": (200, 2000),
    "validation": (200, 2000),
    "read_corpus": (60, 600),
    "render_chat": (40, 400),
    "templates": (40, 400),
    "keywords": (5, 80),
    "big_docs": (2, 6),
    "embeddings": (12, 150),
    "cache": (20, 200),
    "llm_keywords": (3, 20),
}
MAX_BYTES = 20_000_000 if SLOW else 1_000_000
ALARM_S = 120 if SLOW else 60


def examples(name: str) -> settings:
    return settings(max_examples=EXAMPLES[name][1 if SLOW else 0])


@contextlib.contextmanager
def no_hang(seconds: int = ALARM_S):
    def boom(*_):
        raise TimeoutError(f"example ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def outcome(fn, *args, **kwargs):
    """Run ``fn``: its result, or the TextmineError it raised (checked to have a clear message)."""
    with no_hang():
        try:
            return fn(*args, **kwargs)
        except TextmineError as exc:
            msg = str(exc)
            assert msg.strip() and len(msg) < 2000, f"unclear error message: {msg[:200]!r}"
            assert "Traceback" not in msg
            return exc


# --------------------------------------------------------------------------- strategies

# every kind of code point the issue names: surrogates, C0/C1 controls, format characters (ZWJ, RTL marks,
# BOM), line/paragraph separators, RTL scripts, CJK, emoji, combining marks
SPECIAL = ["\ud800", "\udfff", "\ud83d", "\x00", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\u200b", "\u200d",
           "\u200e", "\u200f", "\u202e", "\u2066", "\ufeff", "\u2028", "\u2029", "\ufffd", "\u0301"]
SCRIPTS = ["mixed Latin text", "שלום עולם", "مرحبا بالعالم", "数据挖掘与主题模型", "トピックモデル", "한국어 문서",
           "👩‍💻🚀🎉", "Ελληνικά", "Кириллица"]
any_char = st.one_of(st.characters(codec=None, categories=None), st.sampled_from(SPECIAL))
words = st.one_of(st.sampled_from(SCRIPTS), st.text(string.ascii_letters, min_size=1, max_size=12))
hostile_text = st.lists(st.one_of(any_char, words, st.just(" "), st.just("\n")), max_size=60).map("".join)
documents = st.one_of(st.just(""), st.just("   \n\t"), hostile_text, st.lists(words, min_size=1, max_size=40).map(" ".join))


def big_document(n_bytes: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    vocab = ["topic", "model", "neural", "graph", "数据", "שלום", "🚀", "x" * 200, "\ud800", "\x00", "\u2028", " "]
    parts = rng.choice(vocab, size=max(1, n_bytes // 5))
    return " ".join(parts.tolist())[:n_bytes]


# --------------------------------------------------------------------------- input boundary


@examples("clean_text")
@given(hostile_text)
def test_clean_text_output_always_encodes_and_is_idempotent(text):
    from textmine._validation import as_document, clean_text

    out = clean_text(text)
    out.encode("utf-8")  # no surrogate left
    assert clean_text(out) == out
    assert as_document(text) == out
    assert not any(ord(c) < 32 and c not in "\t\n\r" for c in out)


@examples("validation")
@given(st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                 st.none(), st.text(max_size=5), st.sampled_from([np.int8(3), np.uint64(7), np.int64(-2),
                                                                  np.float32(0.5), np.float64("nan"), np.bool_(True),
                                                                  np.array(3), np.array([1, 2])])))
def test_parameter_helpers_accept_numbers_refuse_the_rest(value):
    from textmine._validation import check_float, check_int

    got = outcome(check_int, value, "p", minimum=1, maximum=10**6)
    if not isinstance(got, TextmineError):
        assert type(got) is int and 1 <= got <= 10**6
        assert got == value
    got = outcome(check_float, value, "q", low=0.0, high=1.0)
    if not isinstance(got, TextmineError):
        assert type(got) is float and 0.0 <= got <= 1.0 and math.isfinite(got)


corpus_inputs = st.one_of(
    st.lists(documents, max_size=6),
    st.lists(documents, max_size=6).map(lambda d: np.array(d, dtype=object)),
    st.lists(documents, min_size=1, max_size=6).map(lambda d: (x for x in d)),
    st.lists(st.one_of(documents, st.none(), st.integers(), st.binary(max_size=8), st.floats()), max_size=5),
    st.one_of(st.none(), st.integers(), documents, st.dictionaries(st.text(max_size=3), documents, max_size=3)),
)


@examples("validation")
@given(corpus_inputs)
def test_as_documents_accepts_corpora_or_says_why(docs):
    from textmine._validation import as_documents

    got = outcome(as_documents, docs, allow_empty_corpus=True)
    if not isinstance(got, TextmineError):
        assert isinstance(got, list) and all(isinstance(d, str) for d in got)
        for d in got:
            d.encode("utf-8")


file_bodies = st.one_of(
    st.binary(max_size=300),
    hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(hostile_text, max_size=5).map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass")),
    st.lists(st.tuples(st.integers(-10**6, 10**6), hostile_text), max_size=5).map(
        lambda rows: "\n".join('{"id": %d, "text": %s}' % (i, __import__("json").dumps(t)) for i, t in rows).encode()),
    st.lists(hostile_text, max_size=5).map(lambda ls: ("id,text\n" + "\n".join(
        f"{i},{t}" for i, t in enumerate(ls))).encode("utf-8", "surrogatepass")),
)


@examples("read_corpus")
@given(file_bodies, st.sampled_from(["txt", "jsonl", "csv", "tsv"]))
def test_read_corpus_reads_or_says_why(body, fmt):
    from textmine.io import read_corpus

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"in.{fmt}"
        p.write_bytes(body)
        got = outcome(read_corpus, p, allow_empty=True)
    if not isinstance(got, TextmineError):
        assert len(got.texts) == len(got.ids)
        for t in [*got.texts, *got.ids]:
            t.encode("utf-8")
        if fmt == "txt":  # one document per non-blank line; lines end at \n, \r\n or \r only
            import re

            from textmine._validation import clean_text

            lines = re.split(r"\r\n|\r|\n", body.decode("utf-8-sig"))
            assert len(got.texts) == sum(1 for ln in lines if clean_text(ln).strip())


# --------------------------------------------------------------------------- chat templates

TEMPLATES = [
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<|a|>{% endif %}",
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}[INST] {{ m['content'] | trim }} [/INST]"
    "{% else %}{{ m['content'] }}{{ eos_token }}{% endif %}{% endfor %}",
]


@examples("render_chat")
@given(st.lists(st.tuples(st.sampled_from(["system", "user", "assistant", "tool", ""]), hostile_text),
                min_size=0, max_size=5), st.sampled_from(TEMPLATES))
def test_render_chat_renders_any_conversation(turns, template):
    from textmine.llm.prompts import render_chat

    msgs = [{"role": r, "content": c} for r, c in turns]
    got = outcome(render_chat, template, msgs)
    if not isinstance(got, TextmineError):
        assert isinstance(got, str)


template_parts = st.sampled_from([
    "{{ messages[0]['content'] }}", "{% for m in messages %}{{ m.content }}{% endfor %}", "{{ 'x' * 10 }}",
    "{{ 'x' * 100000000 }}", "{% for i in range(100000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "{{ raise_exception('no') }}", "{{ 9 ** 9 }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "{{ ''.__class__ }}", "{{ x.y.z }}", "{% if %}", "{{ 'a' | center(10**7) }}", "{{ range(10**6) | list }}",
    "{{ messages | tojson }}", "{{ (messages * 100000) | length }}", "{{ '%0*d' % (10**7, 1) }}",
])


@examples("templates")
@given(st.lists(template_parts, min_size=1, max_size=3).map("".join))
def test_any_template_renders_or_is_refused_in_bounded_time(template):
    import time

    from textmine.llm.prompts import RENDER_SECONDS, check_chat_template

    t0 = time.monotonic()
    got = outcome(check_chat_template, template)
    assert time.monotonic() - t0 < 3 * RENDER_SECONDS + 5
    if isinstance(got, TextmineError):
        from textmine.errors import ModelLoadError

        assert isinstance(got, ModelLoadError)


# --------------------------------------------------------------------------- keyword extraction (real model)


@pytest.fixture(scope="module")
def kx():
    return KeywordExtractor(top_n=3, cache=False)


@examples("keywords")
@given(st.lists(documents, min_size=0, max_size=4))
def test_keyword_extractor_on_any_unicode(kx, docs):
    got = outcome(kx.transform, docs)
    assert not isinstance(got, TextmineError)
    assert len(got) == len(docs)
    for kws in got:
        assert len(kws) <= 3
        for k in kws:
            k.text.encode("utf-8")
            assert math.isfinite(k.score)


@examples("big_docs")
@given(st.integers(0, MAX_BYTES), st.integers(0, 2**32 - 1))
def test_keyword_extractor_on_documents_up_to_the_profile_size(kx, n_bytes, seed):
    doc = big_document(n_bytes, seed)
    got = outcome(kx.extract, doc)
    assert isinstance(got, list) and len(got) <= 3


@examples("embeddings")
@given(st.lists(st.sampled_from([0.0, 1.0, -1.0, 1e-30, 1e30, 1e39, np.nan, np.inf, -np.inf]), min_size=3,
                max_size=3), st.integers(0, 3), st.sampled_from(["floats", "ints", "strings", "objects", "ragged"]))
def test_custom_embedders_returning_anything(row, n_docs, kind):
    class Custom:
        model_id = "prop-custom"
        dim = 3

        def encode(self, texts, show_progress=None):
            n = len(texts)
            if kind == "strings":
                return [["a"] * 3] * n
            if kind == "objects":
                return [object()] * n
            if kind == "ragged":
                return [[1.0] * (i + 1) for i in range(n)]
            arr = np.tile(np.array(row, dtype=np.float64), (n, 1))
            if kind == "ints" and np.isfinite(arr).all() and np.abs(arr).max(initial=0) < 2**62:
                return arr.astype(np.int64)
            return arr

    docs = ["Graph neural networks learn node embeddings.", "Solar panels make electricity."][: max(1, n_docs)]
    got = outcome(KeywordExtractor(top_n=2, embedding_model=Custom()).transform, docs)
    if not isinstance(got, TextmineError):
        assert all(math.isfinite(k.score) for kws in got for k in kws)
        assert kind in ("floats", "ints")


@examples("cache")
@given(st.lists(st.tuples(st.binary(min_size=16, max_size=16),
                          st.lists(st.floats(width=32, allow_nan=True, allow_infinity=True), min_size=4, max_size=4)),
                max_size=8), st.sampled_from(["ok", "garbage", "foreign", "truncated"]))
@example(items=[(b"k" * 16, [1.0, 2.0, 3.0, 4.0]), (b"k" * 16, [float("nan")] * 4)], damage="ok")
def test_embedding_cache_never_serves_non_finite_vectors(items, damage):
    from textmine.embed import EmbeddingCache

    items = list(dict(items).items())  # a key given twice is stored once, with its last vector (as put_many does)

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.sqlite"
        cache = EmbeddingCache(path, "m", 4)
        cache.put_many({k: np.array(v, np.float32) for k, v in items})
        cache._conn.close()
        if damage == "garbage":
            path.write_bytes(os.urandom(5000))
        elif damage == "foreign":
            path.unlink()
            conn = sqlite3.connect(path)
            conn.execute("CREATE TABLE emb (a INTEGER)")
            conn.commit()
            conn.close()
        elif damage == "truncated" and path.stat().st_size > 1024:
            path.write_bytes(path.read_bytes()[:1024])
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cache = outcome(EmbeddingCache, path, "m", 4)
            assert not isinstance(cache, TextmineError)
            got = cache.get_many([k for k, _ in items])
        for vec in got.values():
            assert vec.shape == (4,) and np.isfinite(vec).all()
        if damage == "ok":
            want = {k for k, v in items if np.isfinite(np.array(v, np.float32)).all()}
            assert set(got) == want


# --------------------------------------------------------------------------- LLM keywords (real model)


@pytest.fixture(scope="module")
def llm_kx(llm):
    from textmine.keywords import LLMKeywordExtractor

    return LLMKeywordExtractor(llm, top_n=3, group_threshold=None)


@examples("llm_keywords")
@given(st.lists(documents, min_size=1, max_size=2))
def test_llm_keyword_extractor_on_any_unicode(llm_kx, docs):
    got = outcome(llm_kx.transform, docs)
    assert not isinstance(got, TextmineError)
    assert len(got) == len(docs)
    for kws, doc in zip(got, docs):
        for k in kws:
            k.text.encode("utf-8")
