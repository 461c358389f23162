"""Options shared by the commands (typer ``Annotated`` types) and the parsers of option values."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..console import STATE


def _set_quiet(value: bool) -> bool:
    if value:
        STATE.quiet = True
    return value


def _set_debug(value: bool) -> bool:
    if value:
        STATE.debug = True
    return value


def _set_cache_dir(value: Optional[Path]) -> Optional[Path]:
    if value is not None:
        value = value.expanduser()
        try:
            value.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise typer.BadParameter(f"cannot create {value}: {exc.strerror or exc}") from None
        os.environ["TEXTMINE_CACHE_DIR"] = str(value)
    return value


QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", callback=_set_quiet, is_eager=True, help="No progress bars or step messages."),
]
DebugOpt = Annotated[
    bool,
    typer.Option("--debug", callback=_set_debug, is_eager=True, help="Show full tracebacks on errors."),
]
CacheDirOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--cache-dir",
        callback=_set_cache_dir,
        is_eager=True,
        metavar="DIR",
        help="Cache folder for embeddings and LLM answers (default: $TEXTMINE_CACHE_DIR or ~/.cache/textmine).",
    ),
]
EmbeddingOpt = Annotated[
    str,
    typer.Option(
        "--embedding-model",
        metavar="NAME|PATH",
        help="Embedding model: 'default' (packaged all-MiniLM-L6-v2) or a sentence-transformers folder; "
        "append +onnx-int8 (e.g. default+onnx-int8) for the faster ONNX Runtime int8 backend.",
    ),
]
LLMOpt = Annotated[
    str,
    typer.Option(
        "--llm",
        metavar="PRESET|GGUF",
        help="LLM: a preset name (see `textmine models`) or the path of a GGUF file.",
    ),
]
SeedOpt = Annotated[
    int, typer.Option("--seed", metavar="N", min=0, max=2**32 - 1, help="Random seed (UMAP, clustering).")
]
FieldOpt = Annotated[
    str, typer.Option("--field", metavar="NAME", help="Text field of .jsonl/.csv/.parquet input.")
]
IdFieldOpt = Annotated[
    str, typer.Option("--id-field", metavar="NAME", help="Id field of .jsonl/.csv/.parquet input (kept in outputs).")
]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="Input format: auto (from the extension), txt, dir, jsonl, csv, tsv or parquet.",
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", "-f", help="Overwrite existing output files / model folders.")]
InputArg = Annotated[
    str,
    typer.Argument(
        metavar="INPUT",
        help="A .txt file (one document a line), a folder of .txt/.md files, .jsonl, .csv, .tsv, .parquet, "
        "or - for standard input.",
        show_default=False,
    ),
]


MinTopicSizeOpt = Annotated[
    str,
    typer.Option(
        "--min-topic-size",
        metavar="auto|N",
        help="Smallest topic (HDBSCAN min_cluster_size); 'auto' = max(10, n_docs // 200). Use ~5 for a few dozen docs.",
    ),
]


class KeywordMethod(str, Enum):
    embedding = "embedding"
    llm = "llm"
    hybrid = "hybrid"


def parse_auto_or_int(value: str) -> int | str:
    """``"auto"`` or a whole number >= 2 (``--n-topics``, ``--min-topic-size``)."""
    v = value.strip().lower()
    if v == "auto":
        return "auto"
    try:
        n = int(v)
    except ValueError:
        raise typer.BadParameter(f"expected 'auto' or a whole number >= 2, got {value!r}") from None
    if n < 2:
        raise typer.BadParameter(f"expected 'auto' or a whole number >= 2, got {value!r}")
    return n


def parse_ks(value: str) -> tuple[int, ...]:
    try:
        ks = tuple(int(x) for x in value.split(",") if x.strip())
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated whole numbers such as 5,10, got {value!r}") from None
    if not ks or any(k < 1 for k in ks):
        raise typer.BadParameter(f"expected comma-separated whole numbers >= 1, got {value!r}")
    return ks


SchedulerOpt = Annotated[
    Optional[str],
    typer.Option("--scheduler", metavar="ADDRESS",
                 help="Run on the dask cluster of this scheduler (tcp://host:8786): INPUT is a glob of .parquet/.jsonl/"
                      ".csv files and --output a folder of Parquet files (docs/scale.md). Needs textmine[dask]."),
]
WorkersOpt = Annotated[
    Optional[int],
    typer.Option("--workers", metavar="N", min=1,
                 help="Run on a local dask cluster of N worker processes (as --scheduler, on this machine)."),
]
SchedulerTimeoutOpt = Annotated[
    float, typer.Option("--scheduler-timeout", metavar="SECONDS", min=0.1,
                        help="How long to wait for the --scheduler to answer.")
]
