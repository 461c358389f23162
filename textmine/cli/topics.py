"""``textmine topics``, ``label`` and ``transform``: fit, label and apply topic models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..console import info, print_table, step
from .app import app
from .common import (
    build_topic_model,
    check_model_dir,
    check_output,
    check_report,
    corpus_metrics,
    label_topics,
    load_llm_early,
    load_model,
    print_metrics,
    print_topics,
    read_input,
    save_model,
    snippet,
    topic_label_map,
)
from .options import (
    CacheDirOpt,
    DebugOpt,
    EmbeddingOpt,
    FieldOpt,
    ForceOpt,
    FormatOpt,
    IdFieldOpt,
    InputArg,
    LLMOpt,
    MinTopicSizeOpt,
    QuietOpt,
    SchedulerOpt,
    SchedulerTimeoutOpt,
    SeedOpt,
    WorkersOpt,
    parse_auto_or_int,
)

@app.command("topics")
def topics_cmd(
    input: InputArg,
    n_topics: Annotated[
        str, typer.Option("--n-topics", "-k", metavar="auto|K", help="Number of topics, or 'auto'.")
    ] = "auto",
    min_topic_size: MinTopicSizeOpt = "auto",
    label: Annotated[bool, typer.Option("--label/--no-label", help="Name the topics with the local LLM.")] = True,
    save: Annotated[
        Optional[Path], typer.Option("--save", metavar="DIR", help="Save the fitted model to this folder.")
    ] = None,
    report: Annotated[
        Optional[Path],
        typer.Option("--report", metavar="FILE.html", help="Write a self-contained interactive HTML report."),
    ] = None,
    report_plotly: Annotated[
        str,
        typer.Option("--report-plotly", metavar="inline|shared|cdn",
                     help="Where the report gets plotly.js: inline (self-contained, ~5 MB), shared (one "
                          "plotly-<version>.min.js beside the report, reused by every report there) or cdn."),
    ] = "inline",
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Write each document's topic to .jsonl/.csv/.parquet."),
    ] = None,
    label_field: Annotated[
        str, typer.Option("--label-field", metavar="NAME", help="Gold label field: when present, NMI/ARI are reported.")
    ] = "label",
    field: FieldOpt = "text",
    id_field: IdFieldOpt = "id",
    fmt: FormatOpt = "auto",
    force: ForceOpt = False,
    embedding_model: EmbeddingOpt = "default",
    llm: LLMOpt = "default",
    cache_dir: CacheDirOpt = None,
    seed: SeedOpt = 42,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    scheduler_timeout: SchedulerTimeoutOpt = 10.0,
    max_fit_docs: Annotated[int, typer.Option("--max-fit-docs", metavar="N", min=2,
                                              help="With --scheduler/--workers: documents in the discovery sample.")
                            ] = 50_000,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Fit a topic model, optionally label the topics with the LLM, save it and write a report.

    Example: textmine topics news.jsonl --n-topics auto --label --save model_dir --report report.html

    Large corpora: textmine topics 'corpus/*.parquet' --scheduler tcp://host:8786 --output out/ --save model/
    """
    k = parse_auto_or_int(n_topics)
    mts = parse_auto_or_int(min_topic_size)
    if scheduler is not None or workers is not None:
        from .scale import check_output_dir, cluster_session, topics_at_scale

        if report is not None:
            raise typer.BadParameter("a report needs the documents in memory: not with --scheduler / --workers",
                                     param_hint="--report")
        check_output_dir(output, force)
        check_model_dir(save, force)
        if label:
            load_llm_early(llm)
        model = build_topic_model(k, seed, embedding_model, mts)
        model.set_params(max_fit_docs=max_fit_docs)
        with cluster_session(scheduler, workers, scheduler_timeout):
            topics_at_scale(input, model=model, field=field, id_field=id_field, output=output, label=label, llm=llm,
                            save=save, force=force)
        print_topics(model)
        return
    check_output(output, force)
    check_model_dir(save, force)
    check_report(report, force)
    if report_plotly not in ("inline", "shared", "cdn"):
        raise typer.BadParameter("must be inline, shared or cdn", param_hint="--report-plotly")
    from ..io import read_corpus

    corpus = read_corpus(input, field=field, id_field=id_field, label_field=label_field, fmt=fmt)
    info(f"read {len(corpus)} documents from {corpus.source}")
    if label:
        load_llm_early(llm)
    model = build_topic_model(k, seed, embedding_model, mts)
    with step(f"fitting topics on {len(corpus)} documents"):
        model.fit(corpus.texts)
    if label:
        label_topics(model, llm)
    assigned = [int(x) for x in model.labels_]
    metrics = corpus_metrics(model, corpus.texts, assigned, corpus.labels)
    if save is not None:
        with step(f"saving the model to {save}"):
            save_model(model, save, force)
    if report is not None:
        from ..report import write_topic_report

        with step(f"writing the report {report}"):
            write_topic_report(
                model,
                report,
                docs=corpus.texts,
                ids=corpus.ids,
                gold_labels=corpus.labels,
                metrics=metrics or None,
                settings={"input": corpus.source, "n_topics": str(k), "seed": seed, "llm": llm if label else None},
                force=force,
                plotly=report_plotly,
            )
    if output is not None:
        from ..io import write_records

        names = topic_label_map(model)
        records = [
            {"id": i, "topic": t, "topic_label": names.get(t, "")} for i, t in zip(corpus.ids, assigned)
        ]
        write_records(records, output, force=force)
        info(f"wrote {len(records)} rows to {output}")
    print_topics(model)
    if metrics:
        print_metrics(metrics)


@app.command("label")
def label_cmd(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="A model saved with --save.")],
    save: Annotated[
        Optional[Path],
        typer.Option("--save", metavar="DIR", help="Save the labelled model here instead of updating MODEL_DIR."),
    ] = None,
    llm: LLMOpt = "default",
    force: ForceOpt = False,
    cache_dir: CacheDirOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Label (or relabel) the topics of a saved model with an LLM.

    The labels are written back into MODEL_DIR (that is what the command is for), or into a new
    folder with --save (which must be new or empty, or a saved model with --force).

    Example: textmine label model_dir --llm mistral-7b-instruct
    """
    # the target is checked before the LLM runs (in place: MODEL_DIR must hold only the model's files)
    if save is not None:
        check_model_dir(save, force)
    else:
        check_model_dir(model_dir, True)
    model = load_model(model_dir)
    load_llm_early(llm)
    label_topics(model, llm)
    target = save if save is not None else model_dir
    with step(f"saving the model to {target}"):
        save_model(model, target, force=True if save is None else force)
    print_topics(model)


@app.command("transform")
def transform_cmd(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="A model saved with --save.")],
    input: InputArg,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Write .jsonl, .csv or .parquet instead of a table."),
    ] = None,
    field: FieldOpt = "text",
    id_field: IdFieldOpt = "id",
    fmt: FormatOpt = "auto",
    force: ForceOpt = False,
    cache_dir: CacheDirOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    scheduler_timeout: SchedulerTimeoutOpt = 10.0,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Assign new documents to the topics of a saved model.

    Example: textmine transform model_dir new_docs.txt --output assignments.csv

    Large corpora: textmine transform model_dir 'corpus/*.parquet' --workers 2 --output out/
    """
    if scheduler is not None or workers is not None:
        from .scale import assign_at_scale, check_output_dir, cluster_session

        if output is None:
            raise typer.BadParameter("with --scheduler / --workers the workers write the topics: give --output FOLDER",
                                     param_hint="--output")
        check_output_dir(output, force)
        model = load_model(model_dir)
        with cluster_session(scheduler, workers, scheduler_timeout):
            assign_at_scale(input, model=model, field=field, id_field=id_field, output=output, force=force)
        info(f"wrote the topics to {output}/")
        return
    check_output(output, force)
    model = load_model(model_dir)
    corpus = read_input(input, field, id_field, fmt)
    with step(f"assigning {len(corpus)} documents to topics"):
        assigned = [int(x) for x in model.transform(corpus.texts)]
    names = topic_label_map(model)
    if output is not None:
        from ..io import write_records

        records = [{"id": i, "topic": t, "topic_label": names.get(t, "")} for i, t in zip(corpus.ids, assigned)]
        write_records(records, output, force=force)
        info(f"wrote {len(records)} rows to {output}")
        return
    rows = [[i, t, names.get(t, ""), snippet(text)] for i, t, text in zip(corpus.ids, assigned, corpus.texts)]
    print_table("topic assignments", ["id", "topic", "label", "text"], rows)
