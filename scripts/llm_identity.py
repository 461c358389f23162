"""Dump deterministic outputs of the LLM layer to JSON, to prove a refactoring changed nothing.

Run it before and after a change and ``diff`` the two files (issue #14, the split of
``textmine/llm/model.py``; docs/architecture.md quotes the result)::

    TEXTMINE_LLM_THREADS=1 nice python scripts/llm_identity.py /tmp/before.json
    ... change the code ...
    TEXTMINE_LLM_THREADS=1 nice python scripts/llm_identity.py /tmp/after.json
    diff /tmp/before.json /tmp/after.json && echo identical

What it records (every LLM is loaded with ``cache=False`` where the layer would cache answers, so each
answer is decoded again, not read back from the response cache):

- ``LLMKeywordExtractor`` (default model) on the first 15 Inspec test documents, and its ``stats_``;
- ``HybridKeywordExtractor()`` (defaults: ``method="score"``, Gemma 3 270M) on the same documents,
  scores rounded to 6 decimals;
- ``TopicLabeler`` labels of the topics of the bundled demo corpus (as ``textmine demo`` builds them:
  ``TopicModel(n_topics="auto", min_topic_size=5, random_state=42)``);
- direct calls of the ``LLM`` API: grammar-constrained ``generate_list`` (free, ``vocabulary=``,
  ``choices=``), ``generate_text``, a custom GBNF JSON grammar through ``complete``, the sampler-chain
  path (``greedy_fast=False``), ``score_continuations`` (rounded), token helpers, and a chat model
  (SmolLM2 135M) when installed;
- each LLM's ``stats`` counters except wall time.

Benchmark data: ``$TEXTMINE_DATA_DIR`` or /work/shared/data (``keyphrase/inspec_test.jsonl``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

N_DOCS = 15
ROUND = 6


def _inspec(n: int) -> list[str]:
    root = Path(os.environ.get("TEXTMINE_DATA_DIR", "/work/shared/data"))
    out = []
    with (root / "keyphrase" / "inspec_test.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line)["text"])
            if len(out) == n:
                break
    return out


def _kws(rows: Any) -> list[list[list[Any]]]:
    return [[[k.text, round(float(k.score), ROUND)] for k in row] for row in rows]


def _stats(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sorted(d.items()) if k != "seconds"}


def _h(tokens: list[int]) -> str:
    return hashlib.sha256(json.dumps(list(map(int, tokens))).encode()).hexdigest()[:16]


def api_calls(llm: Any) -> dict[str, Any]:
    from textmine.llm import grammar as G

    doc = "Solar panels convert sunlight into electricity; wind turbines turn moving air into power."
    shots = [("Tennis and golf are on TV tonight.", ["tennis", "golf"])]
    out: dict[str, Any] = {"model_id": llm.model_id, "is_chat": llm.is_chat, "n_ctx": llm.n_ctx}
    out["count_tokens"] = llm.count_tokens(doc)
    out["truncate_7"] = llm.truncate(doc, 7)
    prompt, toks = llm.build_prompt("Extract keywords.", doc, [(t, json.dumps(a)) for t, a in shots], 64)
    out["build_prompt"] = [len(prompt), len(toks), _h(toks)]
    out["vocabulary_ids"] = _h(llm.vocabulary_ids(doc))
    out["generate_list"] = llm.generate_list("Extract keywords.", doc, examples=shots, max_items=5)
    out["generate_list_vocabulary"] = llm.generate_list(
        "Extract keywords.", doc, examples=shots, max_items=5, vocabulary=doc
    )
    out["generate_list_choices"] = llm.generate_list(
        "Which energy sources are mentioned?", doc, choices=["solar", "wind", "coal", "nuclear"], max_items=3
    )
    out["generate_text"] = llm.generate_text(
        "Give a short topic label.", "goal, match, striker, league, referee", examples=[("orbit, rocket, nasa", "Space flight")]
    )
    # a grammar of the caller's own: a JSON object {"topic": "...", "score": digit}
    gbnf = (
        'root ::= "{\\"topic\\": " str ", \\"score\\": " [0-9] "}"\n'
        'str ::= "\\"" [a-z ]{1,20} "\\""\n'
    )
    _, toks = llm.build_prompt("Answer in JSON with a topic and a score from 0 to 9.", doc, [], 48)
    raw = llm.complete(toks, gbnf, 48)
    out["complete_json_grammar"] = raw
    out["complete_json_parsed"] = json.loads(raw)
    out["json_shape_list"] = repr(G.JSONShape("list", "" if llm.is_chat else " "))
    cont = llm.score_continuations("Extract keywords.", doc, [" solar panels.", " wind turbines.", " coal."])
    out["score_continuations"] = [[round(float(x), ROUND) for x in c] for c in cont]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="JSON file to write")
    ap.add_argument("--n-docs", type=int, default=N_DOCS)
    args = ap.parse_args(argv)

    from textmine.io import load_sample_corpus
    from textmine.keywords import HybridKeywordExtractor, LLMKeywordExtractor
    from textmine.llm import LLM, load_llm, resolve_model_path
    from textmine.topics import TopicLabeler, TopicModel

    docs = _inspec(args.n_docs)
    result: dict[str, Any] = {"n_docs": len(docs), "threads": os.environ.get("TEXTMINE_LLM_THREADS")}

    kw_llm = load_llm("default", task="keywords", cache=False)
    ext = LLMKeywordExtractor(llm=kw_llm)
    result["llm_keywords"] = _kws(ext.fit_transform(docs))
    result["llm_keywords_stats"] = _stats(ext.stats_)
    print("llm keywords done", file=sys.stderr)

    hy = HybridKeywordExtractor()
    result["hybrid_keywords"] = _kws(hy.fit_transform(docs))
    result["hybrid_stats"] = _stats(hy.stats_)
    print("hybrid keywords done", file=sys.stderr)

    corpus = load_sample_corpus()
    model = TopicModel(n_topics="auto", min_topic_size=5, random_state=42).fit(corpus.texts)
    lab_llm = load_llm("default", task="labels", cache=False)
    labeler = TopicLabeler(llm=lab_llm)
    model.label_topics(labeler)
    result["demo_topics"] = [[t.id, t.size, t.label, [w for w, _ in list(t.words)[:6]]] for t in model.topics_]
    result["demo_labeler"] = {
        "raw_labels": list(labeler.raw_labels_),
        "fallbacks": list(labeler.fallbacks_),
        "rejected": {str(k): v for k, v in sorted(labeler.rejected_.items())},
    }
    print("topic labels done", file=sys.stderr)

    result["api_default"] = api_calls(kw_llm)
    gemma = load_llm("default", task="scoring", cache=False)
    result["api_gemma"] = api_calls(gemma)
    sampler = LLM(gemma.path, preset=gemma.preset, cache=False)
    sampler.greedy_fast = False  # llama-cpp-python's sampler chain (no restricted vocabulary there)
    result["sampler_chain_generate_list"] = sampler.generate_list(
        "Extract keywords.", docs[0], examples=[("Tennis and golf on TV.", ["tennis", "golf"])], max_items=5
    )
    try:
        resolve_model_path("smollm2-135m")  # installed?
        smol = load_llm("smollm2-135m", cache=False)
    except Exception as exc:  # noqa: BLE001 - optional model
        result["api_smollm2"] = f"not installed: {type(exc).__name__}"
    else:
        result["api_smollm2"] = api_calls(smol)
        smol_stats = _stats(smol.stats)
        result["stats_smollm2"] = smol_stats
    result["stats_default_keywords"] = _stats(kw_llm.stats)
    result["stats_default_labels"] = _stats(lab_llm.stats)
    result["stats_gemma"] = _stats(gemma.stats)
    result["stats_sampler"] = _stats(sampler.stats)

    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
