"""Helpers shared by the commands: input and output checks, model builders, topic tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from ..console import info, one_line, print_table, progress, step
from ..errors import InputError, PersistenceError


def fmt_keywords(kws: Sequence[Any], n: int | None = None, scores: bool = False) -> str:
    items = list(kws)[:n] if n else list(kws)
    if scores:
        return ", ".join(f"{k.text} ({k.score:.2f})" for k in items)
    return ", ".join(k.text for k in items)


def check_output(path: Optional[Path], force: bool) -> None:
    """Fail fast (before any model work) on an output that exists or cannot be written."""
    if path is None:
        return
    from ..io import check_output_path, output_format, require_pyarrow

    if output_format(path) == "parquet":
        require_pyarrow()
    check_output_path(path, force=force)


def check_model_dir(path: Optional[Path], force: bool) -> None:
    """Fail fast (before any model work) on a --save folder that may not be written."""
    if path is None:
        return
    from ..topics.persist import check_save_target

    try:
        check_save_target(path, force=force)
    except PersistenceError as exc:
        raise InputError(str(exc).replace("pass force=True", "pass --force")) from None


def check_report(path: Optional[Path], force: bool) -> None:
    if path is None:
        return
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"the report is an HTML file: use a .html name, not {path.name!r}")
    from ..io import check_output_path

    check_output_path(path, force=force, kind="report")


def read_input(input: str, field: str, id_field: str, fmt: str, keep: Sequence[str] = ()) -> Any:
    from ..io import read_corpus

    corpus = read_corpus(input, field=field, id_field=id_field, fmt=fmt, keep=keep)
    info(f"read {len(corpus)} documents from {corpus.source}")
    return corpus


def build_keyword_extractor(method: str, top_n: int, embedding_model: str, llm: str) -> Any:
    """The keyword extractor for ``--method``."""
    if method == "embedding":
        from ..keywords import KeywordExtractor

        return KeywordExtractor(top_n=top_n, embedding_model=embedding_model)
    if method == "llm":
        from ..keywords import LLMKeywordExtractor

        return LLMKeywordExtractor(llm=llm, top_n=top_n, embedding_model=embedding_model)
    from ..keywords import HybridKeywordExtractor

    return HybridKeywordExtractor(llm=llm, top_n=top_n, embedding_model=embedding_model)


def extract_keywords(extractor: Any, texts: list[str], desc: str = "keywords", batch: int = 16) -> list[list[Any]]:
    """``fit`` on the corpus, then ``transform`` in batches with a progress bar."""
    extractor.fit(texts)
    out: list[list[Any]] = []
    with progress(len(texts), desc) as bar:
        for start in range(0, len(texts), batch):
            chunk = texts[start : start + batch]
            out.extend(extractor.transform(chunk))
            bar.update(len(chunk))
    return out


def build_topic_model(n_topics: int | str, seed: int, embedding_model: str, min_topic_size: int | str = "auto") -> Any:
    from ..topics import TopicModel

    return TopicModel(
        n_topics=n_topics, random_state=seed, embedding_model=embedding_model, min_topic_size=min_topic_size
    )


def build_labeler(llm: str) -> Any:
    from ..topics import TopicLabeler

    return TopicLabeler(llm=llm)


def label_topics(model: Any, llm: str) -> None:
    """Label the topics with the LLM, with a progress bar per topic on a terminal."""
    labeler = build_labeler(llm)
    n = sum(1 for t in model.topics_ if t.id != -1)
    with step(f"labelling {n} topics with the LLM"), progress(n, "labels") as bar:
        one = getattr(labeler, "label_one", None)
        if callable(one):

            def counted(topic: Any) -> str:
                try:
                    return one(topic)
                finally:
                    bar.update(1)

            labeler.label_one = counted  # type: ignore[method-assign]
        model.label_topics(labeler)


def load_llm_early(llm: str) -> Any:
    """Load the LLM before long steps, so a bad --llm fails in seconds."""
    from ..llm import load_llm

    with step(f"loading LLM {llm}"):
        return load_llm(llm)


def topic_rows(model: Any, n_words: int = 6) -> list[list[Any]]:
    rows = []
    for t in sorted(model.topics_, key=lambda t: (t.id == -1, -t.size, t.id)):
        words = ", ".join(w for w, _ in list(t.words)[:n_words])
        rows.append([t.id, t.size, t.label or "", words])
    return rows


def print_topics(model: Any, title: str = "topics", assigned: Sequence[int] | None = None) -> None:
    rows = topic_rows(model)
    labels = assigned if assigned is not None else getattr(model, "labels_", None)
    if labels is not None:
        n_out = sum(1 for x in labels if int(x) < 0)
        if n_out:
            rows.append([-1, n_out, "(outliers)", ""])
    print_table(title, ["topic", "size", "label", "top words"], rows)


def topic_label_map(model: Any) -> dict[int, str]:
    return {int(t.id): (t.label or "") for t in model.topics_}


def corpus_metrics(model: Any, texts: list[str], assigned: Sequence[int], gold: Sequence[str] | None) -> dict[str, float]:
    from ..report import topic_metrics

    return topic_metrics(model, texts, assigned, gold)


def print_metrics(metrics: dict[str, Any], title: str = "metrics") -> None:
    rows = [[k, str(int(v)) if k in ("n_topics", "n_docs") else f"{v:.4f}" if isinstance(v, float) else v]
            for k, v in metrics.items()]
    print_table(title, ["metric", "value"], rows)


def save_model(model: Any, path: Path, force: bool) -> None:
    check_model_dir(path, force)
    model.save(path, force=force)


def load_model(path: Path) -> Any:
    from ..topics import TopicModel

    if not path.exists():
        raise InputError(f"model folder not found: {path}")
    from ..topics.persist import is_model_dir

    if not path.is_dir() or not is_model_dir(path):
        raise InputError(f"{path} is not a model folder (save one with `textmine topics ... --save DIR`)")
    try:
        return TopicModel.load(path)
    except PersistenceError as exc:  # a damaged model folder is bad input (exit code 2)
        raise InputError(str(exc)) from None


def snippet(text: str, n: int = 70) -> str:
    text = one_line(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def write_json(obj: Any, path: Path, force: bool) -> None:
    from ..io import _atomic_write, check_output_path

    p = check_output_path(path, force=force)
    text = json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
    _atomic_write(p, lambda fh: fh.write(text))  # never a partial file under the final name; the umask's mode
