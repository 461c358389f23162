"""Corpus input and result output (textmine.io): formats, errors, no silent overwrite."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import data_dir
from textmine.errors import DependencyError, EmptyCorpusError, InputError
from textmine.io import check_output_path, load_sample_corpus, read_corpus, write_records


def test_sample_corpus_is_bundled_and_balanced():
    c = load_sample_corpus()
    assert len(c) == 60
    assert c.labels is not None and len(set(c.labels)) == 5
    assert all(c.labels.count(lab) == 12 for lab in set(c.labels))
    assert len(set(c.ids)) == 60
    assert all(len(t.split()) >= 10 for t in c.texts)
    assert len(set(c.texts)) == 60


def test_txt_one_document_per_line_skips_blank_lines(tmp_path):
    p = tmp_path / "docs.txt"
    p.write_text("first doc\n\n   \nsecond doc\r\nthird doc", encoding="utf-8")
    c = read_corpus(p)
    assert c.texts == ["first doc", "second doc", "third doc"]
    assert c.ids == ["docs.txt:1", "docs.txt:4", "docs.txt:5"]
    assert c.labels is None


def test_txt_with_bom_and_unicode(tmp_path):
    p = tmp_path / "u.txt"
    p.write_bytes("\ufeffcafé crème\n東京の天気\n".encode("utf-8"))
    assert read_corpus(p).texts == ["café crème", "東京の天気"]


def test_invalid_utf8_is_a_clear_input_error(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"good line\n\xff\xfe broken\n")
    with pytest.raises(InputError, match="not valid UTF-8"):
        read_corpus(p)


def test_folder_of_txt_and_md(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.txt").write_text("alpha text\nsecond line", encoding="utf-8")
    (tmp_path / "b" / "c.md").write_text("# gamma\nmarkdown", encoding="utf-8")
    (tmp_path / "skip.csv").write_text("x", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("hidden", encoding="utf-8")
    c = read_corpus(tmp_path)
    assert c.ids == ["a.txt", "b/c.md"]
    assert c.texts == ["alpha text\nsecond line", "# gamma\nmarkdown"]


def test_empty_folder_is_empty_corpus(tmp_path):
    with pytest.raises(EmptyCorpusError):
        read_corpus(tmp_path)


def test_jsonl_fields_ids_labels_and_keep(tmp_path):
    p = tmp_path / "d.jsonl"
    rows = [
        {"id": "x1", "body": "one", "label": "a", "keyphrases": ["k1"]},
        {"id": 7, "body": "two", "label": "b", "keyphrases": []},
    ]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    c = read_corpus(p, field="body", keep=["keyphrases"])
    assert c.texts == ["one", "two"]
    assert c.ids == ["x1", "7"]
    assert c.labels == ["a", "b"]
    assert c.fields["keyphrases"] == [["k1"], []]


def test_jsonl_missing_id_uses_position_and_partial_labels_are_dropped(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text('{"text": "a", "label": "x"}\n{"text": "b"}\n', encoding="utf-8")
    c = read_corpus(p)
    assert c.ids == ["0", "1"]
    assert c.labels is None


def test_ids_are_all_given_or_all_numbered(tmp_path):
    """A record without an id among records with one (or a misspelt --id-field) is an error: numbered
    rows would collide with real ids, and evaluation matches documents by id."""
    p = tmp_path / "d.jsonl"
    p.write_text('{"id": "7", "text": "a"}\n{"text": "b"}\n{"id": "1", "text": "c"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"d.jsonl line 2: no 'id' id, while d.jsonl line 1 has one"):
        read_corpus(p)
    p.write_text('{"doc": "7", "text": "a"}\n{"doc": "8", "text": "b"}\n', encoding="utf-8")
    assert read_corpus(p, id_field="doc").ids == ["7", "8"]
    with pytest.raises(InputError, match=r"no record has the id field 'nosuch'.*--id-field"):
        read_corpus(p, id_field="nosuch")
    e = tmp_path / "e.csv"
    e.write_text("doc,text\n,a\n,b\n", encoding="utf-8")  # the column is there, empty everywhere: numbered
    assert read_corpus(e, id_field="doc").ids == ["0", "1"]
    c = tmp_path / "d.csv"
    c.write_text("id,text\n1,a\n,b\n", encoding="utf-8")  # an empty cell is no id
    with pytest.raises(InputError, match="no 'id' id"):
        read_corpus(c)


def test_csv_cells_longer_than_the_csv_module_default(tmp_path):
    long = "word " * 40_000  # 200k characters, above csv's 131,072 default
    p = tmp_path / "long.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["id", "text"], ["a", "short"], ["b", long]])
    assert read_corpus(p).texts == ["short", long]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"text": "ok"}\n{"text": broken}\n', r"d.jsonl line 2: invalid JSON"),
        ('{"body": "no text field"}\n', r"no field 'text'.*--field"),
        ('["not", "an", "object"]\n', r"expected a JSON object"),
        ('{"text": 42}\n', r"field 'text' must be a string"),
    ],
)
def test_jsonl_errors_name_the_line(tmp_path, content, message):
    p = tmp_path / "d.jsonl"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_corpus(p)


def test_csv_and_tsv(tmp_path):
    p = tmp_path / "d.csv"
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "label"])
        w.writerow(["r1", 'a "quoted", comma text', "x"])
        w.writerow(["r2", "multi\nline", "y"])
    c = read_corpus(p)
    assert c.texts == ['a "quoted", comma text', "multi\nline"]
    assert c.ids == ["r1", "r2"] and c.labels == ["x", "y"]
    t = tmp_path / "d.tsv"
    t.write_text("text\tid\nhello world\tq\n", encoding="utf-8")
    assert read_corpus(t).ids == ["q"]


def test_stdin_autodetects_jsonl_and_lines():
    lines = io.BytesIO(b"doc one\ndoc two\n")
    assert read_corpus("-", stdin=lines).texts == ["doc one", "doc two"]
    js = io.BytesIO(b'{"text": "a", "id": "z"}\n{"text": "b", "id": "y"}\n')
    c = read_corpus("-", stdin=js)
    assert c.ids == ["z", "y"]
    braces = io.BytesIO(b"{not json} just text\n")
    assert read_corpus("-", stdin=braces).texts == ["{not json} just text"]


def test_missing_unknown_and_empty_inputs(tmp_path):
    with pytest.raises(InputError, match="input not found"):
        read_corpus(tmp_path / "nope.txt")
    odd = tmp_path / "file.xyz"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="cannot tell the format"):
        read_corpus(odd)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(EmptyCorpusError):
        read_corpus(empty)
    assert read_corpus(empty, allow_empty=True).texts == []
    with pytest.raises(InputError, match="unknown input format"):
        read_corpus(odd, fmt="docx")


def test_parquet_roundtrip_or_clear_dependency_error(tmp_path):
    rows = [{"id": "a", "text": "first", "keywords": ["x", "y"]}, {"id": "b", "text": "second", "keywords": []}]
    out = tmp_path / "d.parquet"
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(DependencyError, match="pip install pyarrow"):
            write_records(rows, out)
        fake = tmp_path / "x.parquet"
        fake.write_bytes(b"PAR1 not really")
        with pytest.raises((DependencyError, InputError)):
            read_corpus(fake)
        return
    write_records(rows, out)
    c = read_corpus(out)
    assert c.texts == ["first", "second"] and c.ids == ["a", "b"]


def test_write_jsonl_csv_and_refuse_overwrite(tmp_path):
    rows = [{"id": "a", "keywords": ["k1", "k2"], "scores": [0.5, 0.25]}, {"id": "b", "keywords": []}]
    j = write_records(rows, tmp_path / "o.jsonl")
    assert [json.loads(x) for x in j.read_text(encoding="utf-8").splitlines()] == rows
    c = write_records(rows, tmp_path / "o.csv")
    got = list(csv.DictReader(c.open(encoding="utf-8", newline="")))
    assert got[0] == {"id": "a", "keywords": "k1; k2", "scores": "0.5; 0.25"}
    assert got[1]["scores"] == ""
    before = j.read_bytes()
    with pytest.raises(InputError, match="already exists.*--force"):
        write_records([{"id": "z"}], j)
    assert j.read_bytes() == before
    write_records([{"id": "z"}], j, force=True)
    assert json.loads(j.read_text(encoding="utf-8")) == {"id": "z"}
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(InputError, match="output format"):
        write_records(rows, tmp_path / "o.txt")
    with pytest.raises(InputError, match="does not exist"):
        check_output_path(tmp_path / "no" / "dir" / "o.jsonl")


def test_reads_the_real_benchmark_files():
    inspec = data_dir() / "keyphrase" / "semeval2017_dev.jsonl"
    news = data_dir() / "topic" / "20newsgroups.jsonl"
    if not inspec.is_file() or not news.is_file():
        pytest.skip("benchmark data not found (set TEXTMINE_DATA_DIR)")
    c = read_corpus(inspec, keep=["keyphrases"])
    assert len(c) == 50 and all(isinstance(k, list) and k for k in c.fields["keyphrases"])
    n = read_corpus(news)  # 18,846 rows, 515 empty texts kept as empty documents
    assert len(n) == 18846 and sum(1 for t in n.texts if not t.strip()) == 515
    assert n.labels is not None and len(set(n.labels)) == 20
