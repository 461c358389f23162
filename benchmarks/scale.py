"""Scale benchmark (issue 15): topics and keywords on Dask (LocalCluster) at 100k / 300k / 1M documents.

The corpus is benchmarks/scale_corpus.py's (1,000,000 real-text documents recombined from the shared data,
Parquet, 10,000 rows a file, outside the repository); the first ``n / 10,000`` files are the corpus of
size ``n``. Every row runs in a fresh child process (so the client's peak RSS is that row's), on a
``LocalCluster(n_workers=W, threads_per_worker=1)`` whose workers run with ``OMP_NUM_THREADS=1`` (one
torch / BLAS / numba thread each, ``WORKER_ENV``; the client process keeps the defaults, for discovery;
the number of torch threads the workers report is recorded), with a fresh
``TEXTMINE_CACHE_DIR`` (an empty embedding store: every document is embedded in the row). A sampler
thread reads the RSS of the client and of every worker process (psutil) every 0.25 s.

Rows (``--only`` picks some; ``--sizes`` filters the sized ones; rows already in the results are skipped
unless ``--force``; each row is written to the results as soon as it finishes):

* ``topics-<n>``: ``TopicModel(embedding_model=MODEL, random_state=42).fit(texts)`` (embeds every
  partition on the workers, discovers on a sample of ``max_fit_docs`` = 50,000, assigns all) then
  ``tm.transform(texts).to_frame().to_parquet(out)`` (the assignment pass: vectors from the store);
* ``keywords-<n>``: ``KeywordExtractor(embedding_model=MODEL).transform(texts)`` written to Parquet (the
  keywords as lists of strings);
* ``*-1w``: the same 100k on one worker, for the 2-workers / 1-worker throughput ratio;
* ``bertopic-100k``: BERTopic defaults on the same 100k in this one process (embeddings of the same
  model computed inside the timing), ``fit_transform`` then ``transform``: time and peak RSS;
* ``quality-*``: 20 Newsgroups (18,846; NMI over the non-empty documents) fitted in memory and through
  the dask path with ``max_fit_docs`` = the whole corpus and = 5,000 (2 workers, 8 partitions).

    python benchmarks/scale_corpus.py                                  # once: builds the corpus
    nice .venv/bin/python benchmarks/scale.py --only quality           # rows whose name contains "quality"
    nice .venv/bin/python benchmarks/scale.py --sizes 100000 300000
    nice .venv/bin/python benchmarks/scale.py --markdown               # docs/benchmarks/scale.md from the results
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

RESULTS = HERE / "results" / "scale.json"
DOC = HERE.parent / "docs" / "benchmarks" / "scale.md"
MAX_FIT_DOCS = 50_000
ROWS: dict[str, dict] = {}
for _n, _tag in ((100_000, "100k"), (300_000, "300k"), (1_000_000, "1m")):
    ROWS[f"topics-{_tag}"] = {"kind": "topics", "n": _n, "workers": 2}
for _n, _tag in ((100_000, "100k"), (300_000, "300k"), (1_000_000, "1m")):
    ROWS[f"keywords-{_tag}"] = {"kind": "keywords", "n": _n, "workers": 2}
ROWS["smoke-topics-20k"] = {"kind": "topics", "n": 20_000, "workers": 2}  # only with --only smoke
ROWS["smoke-keywords-20k"] = {"kind": "keywords", "n": 20_000, "workers": 2}
ROWS["topics-100k-1w"] = {"kind": "topics", "n": 100_000, "workers": 1}
ROWS["keywords-100k-1w"] = {"kind": "keywords", "n": 100_000, "workers": 1}
ROWS["bertopic-100k"] = {"kind": "bertopic", "n": 100_000, "workers": 0}
ROWS["quality-inmemory"] = {"kind": "quality", "max_fit_docs": None}
ROWS["quality-dask-all"] = {"kind": "quality", "max_fit_docs": 18_846}
ROWS["quality-dask-5000"] = {"kind": "quality", "max_fit_docs": 5_000}
ORDER = ["smoke-topics-20k", "smoke-keywords-20k", "quality-inmemory", "quality-dask-all", "quality-dask-5000",
         "topics-100k", "topics-100k-1w", "keywords-100k", "keywords-100k-1w", "topics-300k", "topics-1m",
         "bertopic-100k", "keywords-300k", "keywords-1m"]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _load_results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}


# ----------------------------------------------------------------------------- child side


class Sampler(threading.Thread):
    """Peak RSS of this process and of the given worker pids, sampled every ``interval`` seconds."""

    def __init__(self, pids: list[int] | None = None, interval: float = 0.25):
        super().__init__(daemon=True)
        import psutil

        self.me = psutil.Process()
        self.workers = {pid: psutil.Process(pid) for pid in (pids or [])}
        self.peak_client = 0
        self.peak_workers = {pid: 0 for pid in self.workers}
        self.interval = interval
        self._halt = threading.Event()

    def sample(self) -> None:
        self.peak_client = max(self.peak_client, self.me.memory_info().rss)
        for pid, p in self.workers.items():
            try:
                self.peak_workers[pid] = max(self.peak_workers[pid], p.memory_info().rss)
            except Exception:  # noqa: BLE001 - a worker that died and was restarted
                pass

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            time.sleep(self.interval)

    def stop(self) -> dict:
        self._halt.set()
        self.join()
        self.sample()
        mb = 1 << 20
        return {"client_peak_rss_mb": round(self.peak_client / mb, 1),
                "client_ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "worker_peak_rss_mb": [round(v / mb, 1) for v in self.peak_workers.values()]}


def _cluster(workers: int):
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           memory_limit=0, env=WORKER_ENV)
    client = Client(cluster)
    pids = list(client.run(os.getpid).values())
    return cluster, client, pids


#: one torch / BLAS / OpenMP thread per worker process (each worker has one task thread)
WORKER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "TOKENIZERS_PARALLELISM": "false", "NUMBA_NUM_THREADS": "1"}


def _worker_threads(client) -> list:
    def threads():
        import sys as _sys

        torch = _sys.modules.get("torch")
        kw = _sys.modules.get("textmine.scale.keywords")
        wk = _sys.modules.get("textmine.scale.workers")
        return {"torch_threads": torch.get_num_threads() if torch else None,
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                # did this worker run any partition? (the extractors / embedders it built)
                "keyword_extractors": len(getattr(kw, "_EXTRACTORS", {})) if kw else 0,
                "embedders": len(getattr(wk, "_EMBEDDERS", {})) if wk else 0}

    return list(client.run(threads).values())


def _files(n: int) -> list[str]:
    from scale_corpus import files_for

    return files_for(n)


def child_sized(name: str, spec: dict, model: str, workdir: Path) -> dict:
    import dask.dataframe as dd

    from textmine import KeywordExtractor, TopicModel

    cluster, client, pids = _cluster(spec["workers"])
    out: dict = {"row": name, **spec, "embedding_model": model, "load_before": list(os.getloadavg())}
    try:
        texts = dd.read_parquet(_files(spec["n"]), columns=["text"])["text"]
        out["npartitions"] = int(texts.npartitions)
        out["npartitions_run"] = int(texts.optimize().npartitions)  # after dask's optimizer fused small files
        sampler = Sampler(pids)
        sampler.start()
        if spec["kind"] == "topics":
            t0 = time.perf_counter()
            tm = TopicModel(embedding_model=model, random_state=42, max_fit_docs=MAX_FIT_DOCS).fit(texts)
            out["fit_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            tm.transform(texts).to_frame().to_parquet(str(workdir / "topics"))
            out["transform_s"] = time.perf_counter() - t0
            out["fit_docs_per_s"] = spec["n"] / out["fit_s"]
            out["transform_docs_per_s"] = spec["n"] / out["transform_s"]
            out["timings"] = {k: round(float(v), 2) for k, v in getattr(tm, "timings_", {}).items()}
            out["scale"] = getattr(tm, "scale_", None)
            out["n_topics"] = len(tm.topics_)
        else:
            kx = KeywordExtractor(embedding_model=model)
            client.get_task_stream()  # the scheduler records its task stream from the first call on
            import psutil

            cpu0 = sum(psutil.Process().cpu_times()[:2])  # this process: the client and the scheduler
            t0, wall0 = time.perf_counter(), time.time()
            kws = kx.transform(texts)
            import pandas as pd

            words = kws.map_partitions(_joined, meta=pd.Series([], dtype="string", name="keywords"))
            words.to_frame().to_parquet(str(workdir / "keywords"))
            out["keywords_s"] = time.perf_counter() - t0
            out["keywords_docs_per_s"] = spec["n"] / out["keywords_s"]
            out["client_scheduler_cpu_s"] = sum(psutil.Process().cpu_times()[:2]) - cpu0
            out["task_stream"] = _task_stream(client, wall0, out["keywords_s"])
        out.update(sampler.stop())
        out["workers_threads"] = _worker_threads(client)
    finally:
        client.close()
        cluster.close()
    out["load_after"] = list(os.getloadavg())
    return out


def _task_stream(client, wall0: float, wall: float) -> dict:
    """Per worker (in worker order): busy share of the run, keyword tasks, first / median keyword task seconds
    (benchmarks/scale_taskstream.py's summary of the scheduler's task stream)."""
    from scale_taskstream import KEY_PREFIX, summarize

    s = summarize(client.get_task_stream(start=wall0 - 1), wall, wall0)
    ws = [s["workers"][w] for w in sorted(s["workers"])]
    return {"busy_fraction": [w["busy_fraction_of_wall"] for w in ws],
            "keyword_tasks": [w["n_by_prefix"].get(KEY_PREFIX, 0) for w in ws],
            "first_keyword_task_s": [w.get("first_keyword_task_s") for w in ws],
            "median_keyword_task_s": [w.get("median_keyword_task_s") for w in ws]}


def _joined(part):
    """Keyword lists as one string per document ("; "-separated), for Parquet."""
    return part.map(lambda ks: "; ".join(k[0] for k in ks)).astype("string")


def child_bertopic(name: str, spec: dict, model: str, workdir: Path) -> dict:
    import pandas as pd
    from bertopic import BERTopic

    from textmine.embed import get_embedder

    docs = pd.concat([pd.read_parquet(f, columns=["text"]) for f in _files(spec["n"])])["text"].tolist()
    out: dict = {"row": name, **spec, "embedding_model": model, "load_before": list(os.getloadavg())}
    sampler = Sampler()
    sampler.start()
    t0 = time.perf_counter()
    X = get_embedder(model).encode(docs)
    out["embed_s"] = time.perf_counter() - t0
    bt = BERTopic()
    topics, _ = bt.fit_transform(docs, embeddings=X)
    out["fit_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    bt.transform(docs, embeddings=X)
    out["transform_s"] = time.perf_counter() - t0
    out["n_topics"] = len(set(topics) - {-1})
    out["outliers"] = sum(1 for t in topics if t == -1) / len(topics)
    out.update(sampler.stop())
    out["load_after"] = list(os.getloadavg())
    return out


def child_quality(name: str, spec: dict, model: str, workdir: Path) -> dict:
    import numpy as np
    import pandas as pd

    from _embcache import load_dataset
    from textmine import TopicModel
    from textmine.evaluation import clustering_scores, outlier_share

    texts, gold = load_dataset("20newsgroups")
    keep = np.array([bool(t.strip()) for t in texts])
    gold_kept = [g for g, k in zip(gold, keep) if k]
    out: dict = {"row": name, **spec, "embedding_model": model, "n_docs": len(texts),
                 "load_before": list(os.getloadavg())}
    t0 = time.perf_counter()
    if spec["max_fit_docs"] is None:
        tm = TopicModel(embedding_model=model, random_state=42).fit(texts)
        labels = np.asarray(tm.labels_)
        out["fit_s"] = time.perf_counter() - t0
    else:
        import dask.dataframe as dd

        cluster, client, _ = _cluster(2)
        try:
            series = dd.from_pandas(pd.Series(texts, name="text"), npartitions=8)
            tm = TopicModel(embedding_model=model, random_state=42, max_fit_docs=spec["max_fit_docs"]).fit(series)
            out["fit_s"] = time.perf_counter() - t0
            labels = tm.transform(series).compute().to_numpy()
            out["scale"] = getattr(tm, "scale_", None)
        finally:
            client.close()
            cluster.close()
    np.save(workdir / "labels.npy", labels)
    sc = clustering_scores(labels[keep], gold_kept)
    out.update({"n_topics": len(tm.topics_), "outliers": outlier_share(labels[keep]), "nmi": sc["nmi"],
                "ari": sc["ari"], "labels_file": str(workdir / "labels.npy")})
    out["load_after"] = list(os.getloadavg())
    return out


def run_child(name: str, model: str, out_json: Path) -> None:
    spec = ROWS[name]
    workdir = Path(os.environ["TEXTMINE_BENCH_ROW_DIR"])
    fn = {"topics": child_sized, "keywords": child_sized, "bertopic": child_bertopic,
          "quality": child_quality}[spec["kind"]]
    t0 = time.perf_counter()
    row = fn(name, spec, model, workdir)
    row["wall_s"] = time.perf_counter() - t0
    row["when"] = _now()
    out_json.write_text(json.dumps(row, default=str))


# ----------------------------------------------------------------------------- parent side


def bench_root() -> Path:
    from scale_corpus import bench_dir

    return bench_dir()


def run_row(name: str, model: str) -> dict:
    root = bench_root() / "scale-runs" / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    env = dict(os.environ)
    env.update({"TEXTMINE_CACHE_DIR": str(root / "cache"), "TEXTMINE_BENCH_ROW_DIR": str(root),
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})  # the client keeps both cores (discovery)
    out_json = root / "row.json"
    cmd = [sys.executable, __file__, "--child", name, "--model", model, "--child-out", str(out_json)]
    print(f"[{_now()}] {name}: {' '.join(cmd[1:])}", flush=True)
    proc = subprocess.run(cmd, env=env)
    if proc.returncode != 0 or not out_json.is_file():
        return {"row": name, "error": f"exit code {proc.returncode}", "when": _now()}
    return json.loads(out_json.read_text())


def _record(name: str, model: str, row: dict) -> dict:
    results = _load_results()  # another run may have written meanwhile
    results.setdefault("rows", {})[f"{name}|{model}"] = row
    results["machine"] = {"machine": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1, default=str))
    os.replace(tmp, RESULTS)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", help="run rows whose name contains any of these")
    ap.add_argument("--sizes", nargs="+", type=int, help="run only sized rows of these sizes")
    ap.add_argument("--rows", nargs="+", help="exact row names, run in this order")
    ap.add_argument("--collect", nargs="+", help="record rows whose child finished after its parent was stopped")
    ap.add_argument("--model", default="minilm-static", help="embedding model of every row")
    ap.add_argument("--force", action="store_true", help="run rows already in the results again")
    ap.add_argument("--markdown", action="store_true", help="only write docs/benchmarks/scale.md")
    ap.add_argument("--child")
    ap.add_argument("--child-out")
    args = ap.parse_args()
    if args.child:
        run_child(args.child, args.model, Path(args.child_out))
        return
    if args.collect:
        for name in args.collect:
            path = bench_root() / "scale-runs" / name / "row.json"
            if path.is_file():
                _record(name, args.model, json.loads(path.read_text()))
        args.markdown = True
    if not args.markdown:
        results = _load_results()
        for name in (args.rows or ORDER):
            spec = ROWS[name]
            if args.only and not args.rows and not any(o in name for o in args.only):
                continue
            if args.sizes and spec.get("n") not in args.sizes:
                continue
            if name.startswith("smoke") and not (args.only and "smoke" in args.only):
                continue
            key = f"{name}|{args.model}"
            if key in results.get("rows", {}) and "error" not in results["rows"][key] and not args.force:
                print(f"{name}: done already (--force to rerun)")
                continue
            row = run_row(name, args.model)
            results = _record(name, args.model, row)
            print(json.dumps(row, default=str), flush=True)
    from _scale_report import write_markdown

    write_markdown(_load_results(), DOC)


if __name__ == "__main__":
    main()
