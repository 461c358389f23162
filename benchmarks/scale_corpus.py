"""Build the deterministic 1,000,000-document real-text Parquet corpus of the scale benchmark (issue 15).

Every sentence comes from the shared benchmark data (``$TEXTMINE_DATA_DIR``, else ``../shared/data``);
nothing is generated. How a document is made, exactly:

1. **Sources** (all of them, in this order): 20 Newsgroups (18,846; cleaned ``text``), AG News test
   (7,600; title and description), StackOverflow (20,000 titles), Inspec (all 2,000 abstracts) and
   SemEval-2017 (test + dev, 150 paragraphs). Each source document is split into sentences at
   ``.``/``!``/``?`` followed by white space and at line breaks; white space is collapsed; sentences of
   3 to 80 words are kept. A source document with no such sentence is dropped. Its group is
   ``<dataset>:<label>`` (the newsgroup, AG class or StackOverflow tag; ``inspec`` / ``semeval`` for
   the keyphrase sets).
2. **Documents**: ``numpy.random.default_rng(SEED)`` draws, for document ``i``, a source document
   (uniformly among all, so short StackOverflow titles are ~40% of the corpus), a window of 1 to 3
   consecutive sentences of it (start and length uniform, clipped at its end), and one more sentence
   from another source document of the same group (topically coherent, and it makes the texts almost
   all distinct: the count of distinct texts is written to the manifest). The text is the window,
   then that sentence, joined by a space.
3. **Files**: ``part-000.parquet`` ... ``part-099.parquet``, 10,000 rows each (columns ``id`` =
   ``doc-0000000`` ..., ``text``, ``group``), zstd, one row group per file; the first ``n / 10,000``
   files are the corpus of size ``n`` (100k = parts 0-9). ``manifest.json`` records the recipe,
   counts, distinct texts and a sha256 of every file's texts.

The corpus goes to ``$TEXTMINE_BENCH_DIR/scale-corpus-v1`` (default ``~/.cache/textmine-bench``), never
into the repository. Rebuilding with the same data gives the same texts (checked against the manifest).

    python benchmarks/scale_corpus.py             # ~1-2 min, ~100 MB
    python benchmarks/scale_corpus.py --check     # rebuild in memory and compare with the manifest
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

SEED = 15
N_DOCS = 1_000_000
PER_FILE = 10_000
VERSION = 1
SOURCES = (
    ("20ng", "topic/20newsgroups.jsonl"),
    ("agnews", "topic/ag_news_test.jsonl"),
    ("stackoverflow", "topic/stackoverflow.jsonl"),
    ("inspec", "keyphrase/inspec_all.jsonl"),
    ("semeval", "keyphrase/semeval2017_test.jsonl"),
    ("semeval", "keyphrase/semeval2017_dev.jsonl"),
)
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def data_dir() -> Path:
    env = os.environ.get("TEXTMINE_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def bench_dir() -> Path:
    env = os.environ.get("TEXTMINE_BENCH_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "textmine-bench"


def corpus_dir() -> Path:
    return bench_dir() / f"scale-corpus-v{VERSION}"


def sentences(text: str) -> list[str]:
    out = []
    for s in _SPLIT.split(text):
        s = " ".join(s.split())
        if 3 <= len(s.split()) <= 80:
            out.append(s)
    return out


def load_sources() -> tuple[list[list[str]], list[str]]:
    """Sentences of every usable source document, and its group."""
    docs, groups = [], []
    for name, rel in SOURCES:
        with (data_dir() / rel).open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                sents = sentences(row["text"])
                if sents:
                    docs.append(sents)
                    groups.append(f"{name}:{row['label']}" if "label" in row else name)
    return docs, groups


def build_texts(n: int = N_DOCS) -> tuple[list[str], list[str]]:
    docs, groups = load_sources()
    rng = np.random.default_rng(SEED)
    by_group: dict[str, np.ndarray] = {}
    for g in sorted(set(groups)):
        by_group[g] = np.array([i for i, x in enumerate(groups) if x == g])
    src = rng.integers(0, len(docs), n)
    starts = rng.random(n)
    lengths = rng.integers(1, 4, n)
    partner_u = rng.random(n)
    sent_u = rng.random(n)
    texts, out_groups = [], []
    for i in range(n):
        d = docs[src[i]]
        s = int(starts[i] * len(d))
        window = d[s:s + int(lengths[i])]
        pool = by_group[groups[src[i]]]
        other = docs[int(pool[int(partner_u[i] * len(pool))])]
        texts.append(" ".join(window + [other[int(sent_u[i] * len(other))]]))
        out_groups.append(groups[src[i]])
    return texts, out_groups


def _digest(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def build(out: Path, n: int = N_DOCS) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = time.time()
    texts, groups = build_texts(n)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for k, start in enumerate(range(0, n, PER_FILE)):
        part = texts[start:start + PER_FILE]
        table = pa.table({
            "id": [f"doc-{i:07d}" for i in range(start, start + len(part))],
            "text": part,
            "group": groups[start:start + PER_FILE],
        })
        name = f"part-{k:03d}.parquet"
        tmp = out / (name + ".tmp")
        pq.write_table(table, tmp, compression="zstd", row_group_size=PER_FILE)
        os.replace(tmp, out / name)
        files.append({"file": name, "rows": len(part), "texts_sha256": _digest(part)})
    words = np.array([len(t.split()) for t in texts[:100_000]])
    manifest = {
        "version": VERSION, "seed": SEED, "n_docs": n, "per_file": PER_FILE,
        "sources": [rel for _, rel in SOURCES], "distinct_texts": len(set(texts)),
        "words_per_doc_first_100k": {"mean": float(words.mean()), "median": float(np.median(words)),
                                      "p95": float(np.percentile(words, 95))},
        "groups": len(set(groups)), "files": files, "build_seconds": round(time.time() - t0, 1),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def ensure_corpus() -> Path:
    """The corpus folder, built first if its manifest is missing."""
    out = corpus_dir()
    if not (out / "manifest.json").is_file():
        build(out)
    return out


def files_for(n: int) -> list[str]:
    out = ensure_corpus()
    if n % PER_FILE or not 0 < n <= N_DOCS:
        raise SystemExit(f"size must be a multiple of {PER_FILE} up to {N_DOCS}, got {n}")
    return [str(out / f"part-{k:03d}.parquet") for k in range(n // PER_FILE)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="rebuild the texts in memory and compare with the manifest")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    out = corpus_dir()
    if args.check:
        manifest = json.loads((out / "manifest.json").read_text())
        texts, _ = build_texts(manifest["n_docs"])
        bad = [f["file"] for k, f in enumerate(manifest["files"])
               if _digest(texts[k * PER_FILE:(k + 1) * PER_FILE]) != f["texts_sha256"]]
        print("identical" if not bad else f"DIFFERENT: {bad}")
        sys.exit(1 if bad else 0)
    if (out / "manifest.json").is_file() and not args.force:
        print(f"{out} exists (--force to rebuild)")
        return
    m = build(out)
    print(json.dumps({k: v for k, v in m.items() if k != "files"}, indent=1))
    print(out)


if __name__ == "__main__":
    main()
