"""``textmine demo``: the whole pipeline on the bundled sample corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .common import check_report
from .options import CacheDirOpt, DebugOpt, ForceOpt, LLMOpt, QuietOpt, SeedOpt


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
    check_report(report, force)
    from ..demo import run_demo

    run_demo(llm=llm, seed=seed, report=report, force=force)
