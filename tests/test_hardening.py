"""Issue #17 (hardening): one test per reported case, each failing before its fix.

The property-based suite over the same entry points is tests/test_properties.py.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import shutil
import sqlite3
import stat
import struct
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from textmine import KeywordExtractor, TopicModel
from textmine.errors import InputError, ModelLoadError, TextmineError

REPO = Path(__file__).resolve().parents[1]
DOCS = [
    "Graph neural networks learn node embeddings from the structure of a graph.",
    "Solar panels convert sunlight into electricity with photovoltaic cells.",
    "The central bank raised interest rates to slow down inflation.",
    "Keyword extraction finds the key phrases of a document.",
]


# ----------------------------------------------------------------------------- chat templates


@pytest.mark.parametrize(
    "template, why",
    [
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "runs for more"),
        ("{{ 'x' * 4000000000 }}", "multiplies a sequence"),
        ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "recurses"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxx{% endfor %}{% endfor %}", "output"),
        ("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
         "{{ ns.s }}", "joins strings"),
        ("{{ 'x' | center(4000000000) }}", "argument"),
        ("{{ '%4000000000s' | format(1) }}", "huge width"),
    ],
)
def test_hostile_chat_templates_are_refused_quickly(template, why):
    from textmine.llm.prompts import RENDER_SECONDS, ChatTemplateError, check_chat_template

    t0 = time.monotonic()
    with pytest.raises(ChatTemplateError, match=why) as info:
        check_chat_template(template)
    assert time.monotonic() - t0 < RENDER_SECONDS + 3
    assert isinstance(info.value, ModelLoadError) and str(info.value)


def test_chat_template_bounds_leave_real_templates_alone():
    from textmine.llm.presets import get_preset
    from textmine.llm.prompts import check_chat_template, render_chat

    pre = get_preset("mistral-7b-instruct")
    check_chat_template(pre.chat_template)
    long = "word " * 200_000  # a 1 MB message is not an "output too large"
    out = render_chat(pre.chat_template, [{"role": "user", "content": long}], bos_token="<s>")
    assert long.strip() in out


def _smol_path():
    from textmine.llm import resolve_model_path

    try:
        return resolve_model_path("smollm2-135m")
    except TextmineError as exc:
        pytest.skip(f"SmolLM2 not installed: {exc}")


@pytest.mark.parametrize("bad", ["{{ 'x' * 4000000000 }}", 12345])
def test_llm_refuses_a_hostile_or_non_string_template_at_load(monkeypatch, bad):
    """Failure injection: the real SmolLM2 GGUF, its metadata's template replaced."""
    import textmine.llm.model as M

    real = M.read_gguf_metadata

    def patched(path, **kw):
        meta = dict(real(path, **kw))
        meta["chat_template"] = bad
        return meta

    monkeypatch.setattr(M, "read_gguf_metadata", patched)
    with pytest.raises(ModelLoadError, match="chat template"):
        M.LLM(_smol_path(), chat=True, cache=False)


def _s(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _gguf(path: Path, kv: list[tuple[str, int, bytes]]) -> Path:
    body = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kv))
    for key, vtype, payload in kv:
        body += _s(key) + struct.pack("<I", vtype) + payload
    path.write_bytes(body)
    return path


def test_gguf_metadata_of_the_wrong_type_is_a_load_error(tmp_path):
    from textmine.llm import read_gguf_metadata

    arch = ("general.architecture", 8, _s("llama"))
    p = _gguf(tmp_path / "a.gguf", [arch, ("llama.context_length", 8, _s("4096 tokens"))])
    with pytest.raises(ModelLoadError, match="context_length.*must be an integer"):
        read_gguf_metadata(p)
    p = _gguf(tmp_path / "b.gguf", [arch, ("tokenizer.chat_template", 4, struct.pack("<I", 7))])
    with pytest.raises(ModelLoadError, match="chat_template must be a string"):
        read_gguf_metadata(p)
    p = _gguf(tmp_path / "c.gguf", [arch, ("tokenizer.chat_template", 9, struct.pack("<IQ", 8, 1) + _s("x"))])
    with pytest.raises(ModelLoadError, match="array of string"):
        read_gguf_metadata(p)


# ----------------------------------------------------------------------------- embeddings


def test_replacing_a_model_folders_weights_gives_new_vectors(tmp_path):
    from safetensors.numpy import load_file, save_file

    from textmine.embed import get_embedder
    from textmine.models import packaged_minilm_path

    folder = tmp_path / "model"
    shutil.copytree(packaged_minilm_path(), folder)
    cache = tmp_path / "cache"
    text = ["replacing weights in place must not serve stale vectors"]
    old = get_embedder(str(folder), cache=cache).encode(text)
    weights = load_file(folder / "model.safetensors")
    name = next(k for k in weights if "word_embeddings" in k)
    weights[name] = weights[name][::-1].copy()  # another model: its token vectors permuted
    save_file(weights, folder / "model.safetensors")
    new = get_embedder(str(folder), cache=cache).encode(text)
    fresh = get_embedder(str(folder), cache=False).encode(text)
    assert float(old[0] @ new[0]) < 0.99
    np.testing.assert_allclose(new, fresh, atol=1e-5)


_RSS_SCRIPT = """
import resource, sys
from textmine.embed import get_embedder
emb = get_embedder("default", cache=False)
emb.encode(["warm up"])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
text = ("Long documents are cut before the tokenizer reads them. " * 80000)[:4_000_000]
v = emb.encode([text])
grow = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(grow // 1024)
"""


def test_a_4mb_document_is_embedded_in_bounded_memory():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", _RSS_SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    grow_mb = int(out.stdout.split()[-1])
    assert grow_mb < 150, f"encoding a 4 MB text grew the process by {grow_mb} MB"


def test_clipping_long_texts_keeps_their_embedding(embedder):
    text = " ".join(f"w{i % 97} alpha{i % 13}" for i in range(60_000))  # ~700 kB, far past 256 tokens
    head = text[:20_000]
    a, b = embedder.encode([text, head])
    assert float(a @ b) > 0.9999


@pytest.mark.parametrize("bad", ["nan", "strings", "raises", "wrong_rows"])
def test_custom_embedder_failures_are_typed(bad):
    class Custom:
        model_id = f"custom-{bad}"
        dim = 3

        def encode(self, texts, show_progress=None):
            if bad == "raises":
                raise RuntimeError("backend exploded")
            if bad == "strings":
                return [["a", "b", "c"] for _ in texts]
            if bad == "wrong_rows":
                return np.ones((len(texts) + 1, 3))
            out = np.ones((len(texts), 3))
            out[0, 1] = np.nan
            return out

    kx = KeywordExtractor(embedding_model=Custom(), top_n=3)
    with pytest.raises(InputError, match=f"custom-{bad}"):
        kx.extract(DOCS[0])
    with pytest.raises(InputError, match=f"custom-{bad}"):
        TopicModel(embedding_model=Custom(), n_topics=2).fit(DOCS * 3)


def test_embedder_encode_none_is_an_input_error(embedder):
    with pytest.raises(InputError, match="list of str"):
        embedder.encode(None)
    with pytest.raises(InputError, match="index 1"):
        embedder.encode(["ok", 3])


# ----------------------------------------------------------------------------- caches


def _filled_cache(path: Path) -> None:
    from textmine.embed import EmbeddingCache

    cache = EmbeddingCache(path, "m", 4)
    cache.put_many({i.to_bytes(2, 'big') * 8: np.full(4, i, np.float32) for i in range(2000)})
    cache._conn.close()


def test_a_scribbled_cache_is_quarantined_and_rebuilt(tmp_path):
    from textmine.embed import EmbeddingCache

    path = tmp_path / "emb.sqlite"
    _filled_cache(path)
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(data) - page, 3 * page):  # scribble over every third page
        data[start : start + page] = os.urandom(page)
    path.write_bytes(bytes(data))
    with pytest.warns(RuntimeWarning, match="unusable"):
        cache = EmbeddingCache(path, "m", 4)
        cache.get_many([i.to_bytes(2, 'big') * 8 for i in range(2000)])
    cache.put_many({b"k" * 16: np.ones(4, np.float32)})
    assert len(cache.get_many([b"k" * 16])) == 1
    assert list(tmp_path.glob("emb.sqlite.corrupt-*"))


def test_a_cache_with_another_schema_is_quarantined(tmp_path):
    from textmine.embed import EmbeddingCache

    path = tmp_path / "emb.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE emb (name TEXT, payload BLOB)")
    conn.execute("INSERT INTO emb VALUES ('x', x'00')")
    conn.commit()
    conn.close()
    with pytest.warns(RuntimeWarning, match="another schema"):
        cache = EmbeddingCache(path, "m", 4)
    cache.put_many({b"k" * 16: np.ones(4, np.float32)})
    assert len(cache) == 1


def test_nan_vectors_in_a_valid_cache_are_not_served(tmp_path, embedder):
    from textmine.embed import _text_key, get_embedder

    emb = get_embedder("default", cache=tmp_path)
    text = "a text whose cached vector was damaged"
    good = emb.encode([text])
    conn = sqlite3.connect(tmp_path / "embeddings.sqlite")
    bad = np.full(good.shape[1], np.nan, np.float32).tobytes()
    conn.execute("UPDATE emb SET vec=? WHERE key=?", (bad, _text_key(text)))
    conn.commit()
    conn.close()
    again = emb.encode([text])
    assert np.isfinite(again).all()
    np.testing.assert_allclose(again, good, atol=1e-6)
    emb.cache.put_many({b"n" * 16: np.full(good.shape[1], np.nan, np.float32)})  # never stored either
    assert emb.cache.get_many([b"n" * 16]) == {}


# ----------------------------------------------------------------------------- report


@pytest.fixture(scope="module")
def small_topics():
    from textmine.io import load_sample_corpus

    docs = load_sample_corpus().texts
    return TopicModel(n_topics=3, random_state=0).fit(docs), docs


def test_report_never_writes_through_a_planted_link(small_topics, tmp_path):
    model, docs = small_topics
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / ".r.html.tmp").symlink_to(victim)
    out = model.report(tmp_path / "r.html", docs=docs)
    assert victim.read_text() == "precious"
    assert "<html" in out.read_text(encoding="utf-8").lower()


def test_outputs_follow_the_umask(small_topics, tmp_path):
    from textmine.io import write_records

    model, docs = small_topics
    old = os.umask(0o022)
    try:
        rec = write_records([{"id": "a", "x": 1}], tmp_path / "o.jsonl")
        rep = model.report(tmp_path / "r.html", docs=docs)
        os.umask(0o077)
        private = write_records([{"id": "a"}], tmp_path / "p.csv")
    finally:
        os.umask(old)
    assert stat.S_IMODE(rec.stat().st_mode) == 0o644
    assert stat.S_IMODE(rep.stat().st_mode) == 0o644
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


# ----------------------------------------------------------------------------- lone surrogates


SURROGATE_DOCS = ["Solar \ud800 panels convert sunlight into electricity.", "Interest \udfff rates rose again.",
                  "nul\x00 and form\x0cfeed \x85 inside", "pair \ud83d\ude00 joined"]


def test_lone_surrogates_and_controls_reach_no_tokenizer():
    from textmine._validation import as_documents

    clean = as_documents(SURROGATE_DOCS)
    assert clean[0] == "Solar \ufffd panels convert sunlight into electricity."
    assert clean[2] == "nul  and form feed   inside"
    assert clean[3] == "pair \U0001F600 joined"
    kws = KeywordExtractor(top_n=3).fit_transform(SURROGATE_DOCS)
    assert kws[0] and kws[1] and kws[3]
    for k in kws:
        for w in k:
            w.text.encode("utf-8")  # never a surrogate in the output


def test_topic_model_fits_documents_with_lone_surrogates():
    docs = [d + " \ud800" for d in DOCS] * 4
    model = TopicModel(n_topics=2, random_state=0).fit(docs)
    assert len(model.labels_) == len(docs)


def test_cli_reads_a_jsonl_line_with_an_escaped_surrogate(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "Solar panels \\ud800 convert sunlight into electricity."}\n'
                   '{"id": "b\\udfff", "text": "Interest rates rose again."}\n', encoding="utf-8")
    out = tmp_path / "kw.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-m", "textmine", "keywords", str(src), "-o", str(out), "--top-n", "3",
                          "--method", "embedding"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b\ufffd"] and rows[0]["keywords"]


# ----------------------------------------------------------------------------- scikit-learn contract


def test_grid_search_over_numpy_integers():
    from sklearn.model_selection import GridSearchCV

    def n_keywords(est, X, y=None):
        return float(sum(len(k) for k in est.transform(X)))

    search = GridSearchCV(KeywordExtractor(), {"top_n": np.arange(2, 4)}, scoring=n_keywords, cv=2)
    search.fit(DOCS)
    assert int(search.best_params_["top_n"]) == 3
    kx = KeywordExtractor(top_n=np.int64(2), ngram_range=(np.int32(1), np.int64(2)), diversity=np.float32(0.5),
                          max_candidates=np.uint16(50))
    assert [len(k) for k in kx.transform(DOCS)] == [2, 2, 2, 2]
    with pytest.raises(InputError, match="top_n"):
        KeywordExtractor(top_n=np.float64(2.0)).transform(DOCS)
    with pytest.raises(InputError, match="top_n"):
        KeywordExtractor(top_n=True).transform(DOCS)


def test_fitted_llm_keyword_extractor_pickles_and_deep_copies(llm):
    from textmine.keywords import LLMKeywordExtractor

    kx = LLMKeywordExtractor(llm, top_n=3).fit(DOCS[:2])
    first = kx.transform(DOCS[:1])
    twin = copy.deepcopy(kx)
    assert twin.llm_ is kx.llm_ and twin.transform(DOCS[:1]) == first
    back = pickle.loads(pickle.dumps(kx))
    assert back.transform(DOCS[:1]) == first


@pytest.mark.parametrize("make", [lambda: KeywordExtractor(), lambda: TopicModel()])
def test_estimator_tags_and_the_checks_that_apply_to_text_input(make):
    from sklearn.utils import get_tags
    from sklearn.utils import estimator_checks as C

    est = make()
    tags = get_tags(est)
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.requires_fit == isinstance(est, TopicModel)
    name = type(est).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        C.check_estimator(est)  # runs cloning, then skips the numeric-array checks (text input)
    for check in (C.check_estimator_cloneable, C.check_estimator_repr, C.check_no_attributes_set_in_init,
                  C.check_parameters_default_constructible, C.check_get_params_invariance, C.check_set_params,
                  C.check_valid_tag_types, C.check_estimator_tags_renamed):
        check(name, make())


def test_keyword_extractors_follow_the_text_contract():
    """What check_estimator cannot feed them: fit returns self, params untouched, batch independence."""
    kx = KeywordExtractor(top_n=3)
    before = kx.get_params()
    assert kx.fit(DOCS) is kx
    assert kx.get_params() == before
    full = kx.transform(DOCS)
    assert kx.transform(DOCS[::-1]) == full[::-1]
    assert [kx.transform([d])[0] for d in DOCS] == full
    assert pickle.loads(pickle.dumps(kx)).transform(DOCS) == full


# ----------------------------------------------------------------------------- LLM keyword extractor


@pytest.mark.parametrize(
    "examples, where",
    [
        ([("text only",)], r"examples\[0\]"),
        (["a string"], r"examples\[0\]"),
        ([("text", "not a list")], r"examples\[0\]\[1\]"),
        ([("ok", ["fine"]), (3, ["x"])], r"examples\[1\]\[0\]"),
        ([("ok", ["fine", 4])], r"examples\[0\]\[1\]"),
        (5, "examples must be"),
    ],
)
def test_malformed_llm_examples_are_input_errors(examples, where):
    from textmine.keywords import LLMKeywordExtractor

    with pytest.raises(InputError, match=where):
        LLMKeywordExtractor(examples=examples)._validate_params()


def test_llm_fit_transform_reads_a_generator_once(llm):
    from textmine.keywords import LLMKeywordExtractor

    out = LLMKeywordExtractor(llm, top_n=3, group_threshold=None).fit_transform(d for d in DOCS[:2])
    assert len(out) == 2 and all(out)
    assert len(KeywordExtractor(top_n=2).fit_transform(d for d in DOCS)) == 4


# ----------------------------------------------------------------------------- input files


def test_csv_with_an_unbalanced_quote_is_an_error(tmp_path):
    from textmine.io import read_corpus

    p = tmp_path / "c.csv"
    p.write_text('id,text\n1,"an unclosed quote\n2,second row\n3,third row\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"c\.csv line 2: bad CSV.*quote"):
        read_corpus(p)
    p.write_text('id,text\n1,"multi\nline, fine"\n2,"say ""hi"""\n', encoding="utf-8")
    assert read_corpus(p).texts == ["multi\nline, fine", 'say "hi"']


def test_txt_lines_split_only_at_line_feeds(tmp_path):
    from textmine.io import read_corpus

    p = tmp_path / "d.txt"
    p.write_bytes("one\u2028still one\x85still\x0cone\r\ntwo\rthree\n".encode())
    corpus = read_corpus(p)
    assert corpus.texts == ["one\u2028still one still one", "two", "three"]
    assert corpus.ids == ["d.txt:1", "d.txt:2", "d.txt:3"]
    j = tmp_path / "d.jsonl"
    j.write_text('{"text": "a\u2028b"}\n{"text": "c"}\n', encoding="utf-8")
    assert read_corpus(j).texts == ["a\u2028b", "c"]


def test_a_5000_digit_id_is_kept_as_its_digits(tmp_path):
    from textmine.io import read_corpus

    digits = "7" * 5000
    p = tmp_path / "big.jsonl"
    p.write_text(f'{{"id": {digits}, "text": "hello"}}\n{{"id": 1, "text": "x"}}\n', encoding="utf-8")
    assert read_corpus(p).ids == [digits, "1"]
