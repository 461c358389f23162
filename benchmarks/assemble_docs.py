"""Assemble docs/benchmarks.md from the sections the benchmark scripts write.

Each script in benchmarks/ writes docs/benchmarks/<name>.md (with the command that produced it, the machine and
the date). This script concatenates them, in a fixed order, under a common header:

    python benchmarks/assemble_docs.py
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["embedding_llm", "llm_models", "embedding_backends", "embedding_fast", "keywords", "keywords_llm", "keywords_llm_full", "keywords_backends", "llm_assist", "llm_assist_tune", "llm_assist_quiet", "llm_assist_speed", "llm_assist_llm_qwen", "llm_threads", "llm_decoding", "llm_floor", "llm_head", "batch_invariance", "topics", "topic_seeds", "knn_umap", "knn_scaling", "labels", "labels_docs3", "llm_assist_labels", "multilingual", "scale"]

HEADER = """# Benchmarks

Every number here was produced by a script in `benchmarks/` on the project's standard machine
(2 CPU cores, 24 GiB, no GPU), with the peers (KeyBERT, YAKE, KeyLLM, BERTopic, LDA) re-measured in the same run.
Each section gives the command that produced it. Data: `../shared/data` (see its README for provenance).
Regenerate this page with `python benchmarks/assemble_docs.py` after running the benchmarks.
"""


def main() -> None:
    sections_dir = ROOT / "docs" / "benchmarks"
    names = [n for n in ORDER if (sections_dir / f"{n}.md").is_file()]
    names += sorted(p.stem for p in sections_dir.glob("*.md") if p.stem not in ORDER)
    parts = [HEADER]
    for name in names:
        text = (sections_dir / f"{name}.md").read_text(encoding="utf-8").strip()
        # demote the section's own title levels by one so the page has a single H1
        lines, fenced = [], False
        for ln in text.splitlines():
            if ln.startswith("```"):
                fenced = not fenced
            lines.append("#" + ln if ln.startswith("#") and not fenced else ln)
        parts.append("\n".join(lines))
    (ROOT / "docs" / "benchmarks.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    print(f"wrote docs/benchmarks.md from {len(names)} sections: {', '.join(names)}")


if __name__ == "__main__":
    main()
