"""``textmine evaluate keywords|topics``: score extractors and topic models against gold data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..console import info, step
from ..errors import InputError
from .app import evaluate_app
from .common import (
    build_keyword_extractor,
    build_topic_model,
    corpus_metrics,
    extract_keywords,
    load_llm_early,
    load_model,
    print_metrics,
    read_input,
    write_json,
)
from .options import (
    CacheDirOpt,
    DebugOpt,
    EmbeddingOpt,
    FieldOpt,
    ForceOpt,
    FormatOpt,
    IdFieldOpt,
    KeywordMethod,
    LLMOpt,
    MinTopicSizeOpt,
    QuietOpt,
    SeedOpt,
    parse_auto_or_int,
    parse_ks,
)

@evaluate_app.command("keywords")
def evaluate_keywords_cmd(
    input: Annotated[
        str,
        typer.Argument(metavar="GOLD", help="JSONL/CSV with the text and the gold keyphrases of each document."),
    ],
    predictions: Annotated[
        Optional[Path],
        typer.Option(
            "--predictions",
            metavar="FILE",
            help="Score these predictions (a `textmine keywords --output` .jsonl, matched by id) "
            "instead of extracting keywords.",
        ),
    ] = None,
    method: Annotated[KeywordMethod, typer.Option("--method", "-m", help="Extractor to evaluate.")] = (
        KeywordMethod.embedding
    ),
    gold_field: Annotated[str, typer.Option("--gold-field", metavar="NAME", help="Field with the gold keyphrases.")] = "keyphrases",
    ks: Annotated[str, typer.Option("--k", metavar="K1,K2", help="Cut-offs for P/R/F1@k.")] = "5,10",
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, metavar="N", help="Use only the first N documents.")] = None,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", metavar="FILE.json", help="Also write the scores as JSON.")
    ] = None,
    field: FieldOpt = "text",
    id_field: IdFieldOpt = "id",
    fmt: FormatOpt = "auto",
    force: ForceOpt = False,
    embedding_model: EmbeddingOpt = "default",
    llm: LLMOpt = "default",
    cache_dir: CacheDirOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Precision, recall and F1@k of keyphrases (lower-cased, Porter-stemmed exact match).

    Example: textmine evaluate keywords inspec_test.jsonl --method embedding --k 5,10
    """
    cutoffs = parse_ks(ks)
    if output is not None:
        from ..io import check_output_path

        check_output_path(output, force=force)
    from ..evaluation import evaluate_keyphrases

    corpus = read_input(input, field, id_field, fmt, keep=[gold_field])
    gold = _gold_lists(corpus.fields[gold_field], gold_field)
    texts, ids = corpus.texts, corpus.ids
    if limit is not None:
        texts, ids, gold = texts[:limit], ids[:limit], gold[:limit]
    if predictions is not None:
        by_id = _read_predictions(predictions)
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise InputError(f"{len(missing)} gold documents have no prediction (first id: {missing[0]!r})")
        preds = [by_id[i] for i in ids]
        name = predictions.name
    else:
        extractor = build_keyword_extractor(method.value, max(cutoffs), embedding_model, llm)
        if method is not KeywordMethod.embedding:
            load_llm_early(llm)
        with step(f"extracting keywords ({method.value}) from {len(texts)} documents"):
            preds = [[k.text for k in kws] for kws in extract_keywords(extractor, texts)]
        name = method.value
    scores = dict(evaluate_keyphrases(preds, gold, ks=cutoffs))
    print_metrics(scores, title=f"keyphrase scores: {name} on {len(texts)} documents")
    if output is not None:
        write_json({"input": str(input), "predictions": name, "n_docs": len(texts), "scores": scores}, output, force)


def _gold_lists(values: Sequence[Any], name: str) -> list[list[str]]:
    out = []
    for i, v in enumerate(values):
        if v is None:
            raise InputError(f"document {i} has no {name!r} field (choose it with --gold-field)")
        if isinstance(v, str):
            v = [p.strip() for p in v.replace(";", ",").split(",") if p.strip()] if not v.startswith("[") else json.loads(v)
        out.append([str(p) for p in v])
    return out


def _read_predictions(path: Path) -> dict[str, list[str]]:
    """id -> keyword list from a `textmine keywords --output x.jsonl` file."""
    if not path.is_file():
        raise InputError(f"predictions file not found: {path}")
    out: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path.name} line {lineno}: invalid JSON ({exc.msg})") from None
            if not isinstance(rec, dict) or "id" not in rec or not isinstance(rec.get("keywords"), list):
                raise InputError(f"{path.name} line {lineno}: expected {{\"id\": ..., \"keywords\": [...]}}")
            out[str(rec["id"])] = [k if isinstance(k, str) else str(k[0]) for k in rec["keywords"]]
    return out


@evaluate_app.command("topics")
def evaluate_topics_cmd(
    input: Annotated[str, typer.Argument(metavar="GOLD", help="JSONL/CSV with the text and a gold label per document.")],
    model_dir: Annotated[
        Optional[Path],
        typer.Option("--model", metavar="DIR", help="Evaluate this saved model (transform) instead of fitting one."),
    ] = None,
    n_topics: Annotated[str, typer.Option("--n-topics", "-k", metavar="auto|K", help="Topics to fit.")] = "auto",
    min_topic_size: MinTopicSizeOpt = "auto",
    label_field: Annotated[str, typer.Option("--label-field", metavar="NAME", help="Gold label field.")] = "label",
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, metavar="N", help="Use only the first N documents.")] = None,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", metavar="FILE.json", help="Also write the scores as JSON.")
    ] = None,
    field: FieldOpt = "text",
    id_field: IdFieldOpt = "id",
    fmt: FormatOpt = "auto",
    force: ForceOpt = False,
    embedding_model: EmbeddingOpt = "default",
    cache_dir: CacheDirOpt = None,
    seed: SeedOpt = 42,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """NPMI coherence, topic diversity, NMI/ARI against gold labels and the outlier share.

    Example: textmine evaluate topics ag_news_test.jsonl --limit 2000
    """
    k = parse_auto_or_int(n_topics)
    mts = parse_auto_or_int(min_topic_size)
    if output is not None:
        from ..io import check_output_path

        check_output_path(output, force=force)
    from ..io import read_corpus

    corpus = read_corpus(input, field=field, id_field=id_field, label_field=label_field, fmt=fmt)
    if corpus.labels is None:
        raise InputError(f"every document needs a gold {label_field!r} field (choose it with --label-field)")
    texts, gold = corpus.texts, corpus.labels
    if limit is not None:
        texts, gold = texts[:limit], gold[:limit]
    info(f"read {len(texts)} documents from {corpus.source}")
    if model_dir is not None:
        model = load_model(model_dir)
        with step(f"assigning {len(texts)} documents to topics"):
            assigned = [int(x) for x in model.transform(texts)]
    else:
        model = build_topic_model(k, seed, embedding_model, mts)
        with step(f"fitting topics on {len(texts)} documents"):
            model.fit(texts)
        assigned = [int(x) for x in model.labels_]
    metrics = corpus_metrics(model, texts, assigned, gold)
    print_metrics(metrics, title=f"topic scores on {len(texts)} documents")
    if output is not None:
        write_json({"input": str(input), "n_docs": len(texts), "scores": metrics}, output, force)
