"""The `textmine` command line, end to end, run exactly as a user would in a shell.

    python examples/cli_walkthrough.py                    # on the bundled sample corpus
    python examples/cli_walkthrough.py --out /tmp/walk    # keep the outputs

Each step prints the command, then its output. Steps: list the models; keywords to a JSONL file;
score keywords on SemEval-2017 (if ../shared/data is there); fit topics, save the model, write the
report and the assignments; show that nothing is overwritten without --force; label the topics with
the local LLM; assign new text (from standard input) to the saved topics; score the saved model.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from _common import data_dir, out_dir

from textmine.io import sample_corpus_path


def textmine_command() -> list[str]:
    exe = shutil.which("textmine", path=str(Path(sys.executable).parent)) or shutil.which("textmine")
    if exe:
        return [exe]
    return [sys.executable, "-c", "import sys; from textmine.cli import main; sys.exit(main())"]


def step(title: str, args: list[str], *, expect: int = 0, stdin: str | None = None) -> str:
    cmd = textmine_command() + args
    shown = "textmine " + " ".join(shlex.quote(a) for a in args)
    print(f"\n=== {title}\n$ {shown}" + (" < stdin" if stdin else ""), flush=True)
    res = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    print(res.stdout.rstrip())
    if res.stderr.strip():
        print("[stderr] " + res.stderr.strip().replace("\n", "\n[stderr] "))
    if res.returncode != expect:
        raise SystemExit(f"`{shown}` exited with {res.returncode}, expected {expect}")
    return res.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="folder for the outputs (default: a temporary folder)")
    ap.add_argument("--limit", type=int, default=10, help="SemEval-2017 paragraphs to score keywords on")
    args = ap.parse_args()
    out = out_dir(args.out)
    corpus = str(sample_corpus_path())
    q = ["--quiet"]

    step("installed models", ["models"])
    step("keywords of every document, to a file", ["keywords", corpus, "--top-n", "5",
                                                    "--output", str(out / "keywords.jsonl"), "--force"] + q)
    print("first line of keywords.jsonl:", (out / "keywords.jsonl").read_text(encoding="utf-8").splitlines()[0])
    semeval = data_dir() / "keyphrase" / "semeval2017_dev.jsonl"
    if semeval.is_file():
        step("keyphrase scores on SemEval-2017 dev", ["evaluate", "keywords", str(semeval), "--limit",
                                                       str(args.limit), "--k", "5,10"] + q)
    model = out / "model"
    if model.exists():
        shutil.rmtree(model)
    step("topics: fit, save, report, assignments",
         ["topics", corpus, "--min-topic-size", "5", "--no-label", "--save", str(model),
          "--report", str(out / "report.html"), "--output", str(out / "topics.csv"), "--force"] + q)
    step("nothing is overwritten without --force", ["topics", corpus, "--no-label", "--save", str(model)] + q,
         expect=2)
    step("label the topics with the local LLM (updates the saved model)", ["label", str(model)] + q)
    step("assign new text to the saved topics", ["transform", str(model), "-"] + q,
         stdin="The rover drove across the crater to study layered rocks.\nAdd the garlic to the hot oil.\n")
    step("score the saved model against the sample's themes", ["evaluate", "topics", corpus, "--model", str(model)] + q)
    print(f"\noutputs in {out}: {', '.join(sorted(p.name for p in out.iterdir()))}")


if __name__ == "__main__":
    main()
