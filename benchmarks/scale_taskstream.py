"""Where a dask keywords run spends its time: the scheduler's task stream, per worker and per task kind.

Runs ``KeywordExtractor(embedding_model=MODEL).transform(texts)`` written to Parquet (the ``keywords-*`` rows of
benchmarks/scale.py) on a fresh ``LocalCluster(n_workers=W, threads_per_worker=1)`` with the workers'
``OMP_NUM_THREADS=1`` (scale.py's ``WORKER_ENV``), and records from ``client.get_task_stream()``: each task's
worker, start, stop and key prefix; per worker its busy seconds, busy fraction of the wall time, and the number
and rows of the partitions it ran; the partition sizes the graph really ran (after dask's optimizer); and the
threads each worker reports (torch, numpy's BLAS via threadpoolctl).

    nice .venv/bin/python benchmarks/scale_taskstream.py --n 100000 --workers 2
    nice .venv/bin/python benchmarks/scale_taskstream.py --n 100000 --workers 1 --json out.json
    nice .venv/bin/python benchmarks/scale_taskstream.py --n 100000 --workers 2 --pieces 1   # one task a partition
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def _threads() -> dict:
    out: dict = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "pid": os.getpid()}
    try:
        import torch

        out["torch_threads"] = torch.get_num_threads()
    except ImportError:
        out["torch_threads"] = None
    try:
        from threadpoolctl import threadpool_info

        out["blas_threads"] = sorted({p["num_threads"] for p in threadpool_info()})
    except ImportError:
        out["blas_threads"] = None
    return out


def _rows(part):
    import pandas as pd

    return pd.Series([len(part)], dtype="int64")


KEY_PREFIX = "keywords_partition"


def summarize(stream: list[dict], wall: float, t_start: float) -> dict:
    per_worker: dict = defaultdict(lambda: {"busy_s": 0.0, "tasks": 0, "by_prefix": defaultdict(float),
                                            "n_by_prefix": defaultdict(int), "spans": defaultdict(list)})
    first = min((s["start"] for t in stream for s in t["startstops"] if s["action"] == "compute"), default=t_start)
    last = max((s["stop"] for t in stream for s in t["startstops"] if s["action"] == "compute"), default=t_start)
    tasks = []
    for t in stream:
        for s in t["startstops"]:
            if s["action"] != "compute":
                continue
            w = t["worker"]
            d = s["stop"] - s["start"]
            prefix = t["key"][0] if isinstance(t["key"], tuple) else str(t["key"])
            prefix = str(prefix).rsplit("-", 1)[0]
            per_worker[w]["busy_s"] += d
            per_worker[w]["tasks"] += 1
            per_worker[w]["by_prefix"][prefix] += d
            per_worker[w]["n_by_prefix"][prefix] += 1
            per_worker[w]["spans"][prefix].append((s["start"], d))
            tasks.append({"worker": w, "prefix": prefix, "start": s["start"] - t_start, "stop": s["stop"] - t_start,
                          "s": d})
    out = {"wall_s": wall, "first_task_at_s": first - t_start, "last_task_end_s": last - t_start, "workers": {}}
    for w, v in per_worker.items():
        out["workers"][w] = {"busy_s": round(v["busy_s"], 2), "busy_fraction_of_wall": round(v["busy_s"] / wall, 3),
                             "tasks": v["tasks"], "by_prefix": {k: round(x, 2) for k, x in v["by_prefix"].items()},
                             "n_by_prefix": dict(v["n_by_prefix"])}
        kw = [d for _, d in sorted(v["spans"].get(KEY_PREFIX, []))]
        if kw:  # the first keyword task of a worker also loads the extractor's models
            out["workers"][w].update({"first_keyword_task_s": round(kw[0], 2),
                                      "median_keyword_task_s": round(float(sorted(kw)[len(kw) // 2]), 2)})
    big = sorted((t for t in tasks if t["s"] > 0.5), key=lambda t: t["start"])
    out["long_tasks"] = [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in t.items()} for t in big]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--model", default="minilm-static")
    ap.add_argument("--pieces", type=int, help="slices per partition (keywords_collection's pieces; 1: one task per "
                    "partition, the behaviour before pieces; default: automatic)")
    ap.add_argument("--json", help="write the summary here too")
    args = ap.parse_args()

    import dask.dataframe as dd
    import pandas as pd
    from dask.distributed import Client, LocalCluster

    from scale import WORKER_ENV, _files, _joined
    from textmine import KeywordExtractor
    from textmine.scale.keywords import keywords_collection

    tmp = Path(tempfile.mkdtemp(prefix="tm-taskstream-"))
    os.environ["TEXTMINE_CACHE_DIR"] = str(tmp / "cache")
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           memory_limit=0, env={**WORKER_ENV, "TEXTMINE_CACHE_DIR": str(tmp / "cache")})
    client = Client(cluster)
    try:
        texts = dd.read_parquet(_files(args.n), columns=["text"])["text"]
        part_rows = [int(x) for x in texts.map_partitions(_rows, meta=pd.Series([], dtype="int64")).compute()]
        client.get_task_stream()  # the scheduler records its task stream from the first call on
        load = os.getloadavg()
        t0 = time.time()
        kws = keywords_collection(KeywordExtractor(embedding_model=args.model), texts, pieces=args.pieces)
        words = kws.map_partitions(_joined, meta=pd.Series([], dtype="string", name="keywords"))
        words.to_frame().to_parquet(str(tmp / "out"))
        wall = time.time() - t0
        stream = client.get_task_stream(start=t0 - 1)
        summary = summarize(stream, wall, t0)
        summary.update({"n": args.n, "workers_n": args.workers, "pieces": args.pieces, "partition_rows": part_rows,
                        "npartitions_reported": int(texts.npartitions), "load_before": list(load),
                        "load_after": list(os.getloadavg()), "docs_per_s": args.n / wall,
                        "worker_threads": list(client.run(_threads).values())})
    finally:
        client.close()
        cluster.close()
    text = json.dumps(summary, indent=1, default=str)
    print(text)
    if args.json:
        Path(args.json).write_text(text)


if __name__ == "__main__":
    main()
