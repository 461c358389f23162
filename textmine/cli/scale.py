"""``textmine topics`` / ``keywords`` with ``--scheduler ADDR`` or ``--workers N``: the corpus on a dask cluster.

The input is a glob or file of Parquet / JSON-lines / CSV (``'corpus/*.parquet'``); it is read by the
workers, and ``--output`` is a folder of Parquet files written by the workers, one per partition
(``id``, when the input has the ``--id-field`` column, as text; ``topic`` and ``topic_label``, or
``keywords`` and ``scores``). Nothing of the corpus comes to this process: only the topic model's
sample and aggregates (docs/scale.md). dask's progress bar shows each pass of the cluster's work, and
the diagnostics dashboard's address is printed when the scheduler serves one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Optional

from ..console import STATE, info, step
from ..errors import InputError

__all__ = ["check_output_dir", "cluster_session", "topics_at_scale", "assign_at_scale", "keywords_at_scale"]


def check_output_dir(path: Optional[Path], force: bool) -> None:
    """``--output`` at scale is a folder: new, empty, or (with --force) replaced."""
    if path is None:
        return
    if path.suffix.lower() in (".jsonl", ".csv", ".json", ".tsv"):
        raise InputError(f"with --scheduler / --workers the output is a folder of Parquet files, not {path.name!r}")
    if path.exists() and (not path.is_dir() or any(path.iterdir())) and not force:
        raise InputError(f"{path} exists and is not an empty folder: pass --force to replace it")


class cluster_session:
    """``with cluster_session(scheduler, workers, timeout) as client:`` connect (or start a LocalCluster), close after."""

    def __init__(self, scheduler: Optional[str], workers: Optional[int], timeout: float):
        self.scheduler, self.workers, self.timeout = scheduler, workers, timeout
        self.client: Any = None
        self.cluster: Any = None

    def __enter__(self) -> Any:
        from ..scale.cluster import connect, dashboard_link

        where = self.scheduler or f"a local cluster of {self.workers} workers"
        with step(f"connecting to {where}"):
            self.client, self.cluster = connect(self.scheduler, self.workers, timeout=self.timeout)
        link = dashboard_link(self.client)
        if link:
            info(f"dask dashboard: {link}")
        return self.client

    def __exit__(self, *exc: Any) -> None:
        for obj in (self.client, self.cluster):
            if obj is not None:
                try:
                    obj.close()
                except Exception:  # noqa: BLE001 - closing must not hide the command's own error
                    pass


def _write(frame: Any, output: Path, force: bool, schema: Any) -> None:
    from ..scale.compute import compute

    if force and output.exists():
        shutil.rmtree(output) if output.is_dir() else output.unlink()
    with step(f"writing {output}/ (one Parquet file per partition)"):
        compute(frame.to_parquet(str(output), write_index=False, schema=schema, compute=False),
                progress=not STATE.quiet)


def _rows(part: Any, field: str, id_field: str, make: Any, *args: Any) -> Any:
    """One output partition: ``id`` (as text, when the input has it) and the columns ``make`` gives for the texts."""
    from ..scale.collections import clean_partition

    out = make(clean_partition(part[field]), *args)
    if id_field in part.columns and id_field != field:
        out.insert(0, "id", part[id_field].astype(str).to_numpy())
    return out


def _topic_columns(texts: Any, spec: Any, rule: Any, names: dict[int, str]) -> Any:
    import pandas as pd

    from ..scale.partitions import assign_partition  # the transform path

    topics = assign_partition(texts, spec, rule)
    return pd.DataFrame({"topic": topics, "topic_label": [names.get(int(t), "") for t in topics]}, index=texts.index)


def _meta(table: Any, field: str, id_field: str, columns: dict[str, Any]) -> Any:
    import pandas as pd

    cols = {"id": pd.Series([], dtype=object)} if id_field in table.columns and id_field != field else {}
    return pd.DataFrame({**cols, **{c: pd.Series([], dtype=d) for c, d in columns.items()}})


def assign_at_scale(table: Any, *, model: Any, field: str, id_field: str, output: Path, force: bool) -> None:
    """Each document's topic (the fitted rule, on the workers) written by the workers to ``output``."""
    import pyarrow as pa
    from dask import delayed

    from ..scale import read_table
    from ..scale.fit import embed_spec, rule_of
    from .common import topic_label_map

    if isinstance(table, str):
        table = read_table(table, field=field, id_field=id_field)
        info(f"reading the input in {table.npartitions} partitions")
    model._check_fitted("topic_embeddings_")
    meta = _meta(table, field, id_field, {"topic": "int64", "topic_label": object})
    out = table.map_partitions(_rows, field, id_field, _topic_columns, embed_spec(model),
                               delayed(rule_of(model), pure=True), topic_label_map(model), meta=meta)
    fields = [("id", pa.string()), ("topic", pa.int64()), ("topic_label", pa.string())]
    _write(out, output, force, pa.schema(fields[-len(meta.columns):]))


def topics_at_scale(input: str, *, model: Any, field: str, id_field: str, output: Optional[Path],
                    label: bool, llm: str, save: Optional[Path], force: bool) -> Any:
    """Fit ``model`` on the files' texts on the connected cluster, label, save, write each document's topic."""
    from ..scale import read_table
    from ..scale.fit import fit_collection
    from .common import label_topics, save_model

    table = read_table(input, field=field, id_field=id_field)
    info(f"reading {input} in {table.npartitions} partitions")
    with step("fitting topics on the cluster"):
        fit_collection(model, table[field], progress=not STATE.quiet)
    s = model.scale_
    info(f"{s['n_docs']:,} documents, {s['n_sample']:,} in the discovery sample, {len(model.topics_)} topics")
    if label:
        label_topics(model, llm)
    if save is not None:
        with step(f"saving the model to {save}"):
            save_model(model, save, force)
    if output is not None:
        assign_at_scale(table, model=model, field=field, id_field=id_field, output=output, force=force)
    return model


def _keyword_columns(texts: Any, blob: Any) -> Any:
    import pandas as pd

    from ..scale.keywords import keywords_partition

    kws = keywords_partition(texts, blob)
    return pd.DataFrame({"keywords": [[k.text for k in ks] for ks in kws],
                         "scores": [[round(float(k.score), 4) for k in ks] for ks in kws]}, index=texts.index)


def keywords_at_scale(input: str, *, extractor: Any, field: str, id_field: str, output: Optional[Path],
                      force: bool) -> None:
    """Each document's keywords, computed by the workers and written by them to ``output``."""
    import pickle

    import pyarrow as pa
    from dask import delayed

    from ..scale import read_table
    from ..scale.compute import map_pieces

    table = read_table(input, field=field, id_field=id_field)
    info(f"reading {input} in {table.npartitions} partitions")
    blob = delayed(pickle.dumps(extractor, protocol=pickle.HIGHEST_PROTOCOL), pure=True)
    meta = _meta(table, field, id_field, {"keywords": object, "scores": object})
    out = map_pieces(table, _rows, field, id_field, _keyword_columns, blob, meta=meta)  # few partitions: cut
    fields = [("id", pa.string()), ("keywords", pa.list_(pa.string())), ("scores", pa.list_(pa.float64()))]
    _write(out, output, force, pa.schema(fields[-len(meta.columns):]))
