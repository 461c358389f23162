"""``textmine keywords``: keywords of every document."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..console import info, print_table, step
from .app import app
from .common import build_keyword_extractor, check_output, extract_keywords, fmt_keywords, load_llm_early, read_input
from .options import (
    CacheDirOpt,
    DebugOpt,
    EmbeddingOpt,
    FieldOpt,
    ForceOpt,
    FormatOpt,
    IdFieldOpt,
    InputArg,
    KeywordMethod,
    LLMOpt,
    QuietOpt,
    SchedulerOpt,
    SchedulerTimeoutOpt,
    SeedOpt,
    WorkersOpt,
)

@app.command("keywords")
def keywords_cmd(
    input: InputArg,
    method: Annotated[
        KeywordMethod, typer.Option("--method", "-m", help="embedding (fast), llm (local LLM) or hybrid.")
    ] = KeywordMethod.embedding,
    top_n: Annotated[int, typer.Option("--top-n", "-n", min=1, max=100, metavar="N", help="Keywords per document.")] = 10,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Write .jsonl, .csv or .parquet instead of a table."),
    ] = None,
    show_scores: Annotated[bool, typer.Option("--scores", help="Show scores in the terminal table.")] = False,
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
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Extract keywords from every document.

    Example: textmine keywords abstracts.jsonl --method hybrid --top-n 10 --output keywords.jsonl

    Large corpora: textmine keywords 'corpus/*.parquet' --workers 2 --output out/
    """
    if scheduler is not None or workers is not None:
        from .scale import check_output_dir, cluster_session, keywords_at_scale

        if output is None:
            raise typer.BadParameter("with --scheduler / --workers the workers write the keywords: give --output FOLDER",
                                     param_hint="--output")
        check_output_dir(output, force)
        extractor = build_keyword_extractor(method.value, top_n, embedding_model, llm)
        with cluster_session(scheduler, workers, scheduler_timeout):
            keywords_at_scale(input, extractor=extractor, field=field, id_field=id_field, output=output, force=force)
        info(f"wrote the keywords to {output}/")
        return
    check_output(output, force)
    corpus = read_input(input, field, id_field, fmt)
    extractor = build_keyword_extractor(method.value, top_n, embedding_model, llm)
    if method is not KeywordMethod.embedding:
        load_llm_early(llm)
    with step(f"extracting keywords ({method.value}) from {len(corpus)} documents"):
        keywords = extract_keywords(extractor, corpus.texts)
    if output is not None:
        from ..io import write_records

        records = [
            {"id": i, "keywords": [k.text for k in kws], "scores": [round(float(k.score), 4) for k in kws]}
            for i, kws in zip(corpus.ids, keywords)
        ]
        write_records(records, output, force=force)
        info(f"wrote {len(records)} rows to {output}")
        return
    rows = [[i, fmt_keywords(kws, scores=show_scores)] for i, kws in zip(corpus.ids, keywords)]
    print_table(f"keywords ({method.value})", ["id", "keywords"], rows)
