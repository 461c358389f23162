"""Would prompt-lookup speculative decoding speed up LLMKeywordExtractor? A simulation.

For the first 40 Inspec test documents, the default GGUF's greedy answer (LLMKeywordExtractor's prompt
and grammar) is generated, then the decoding is replayed with prompt-lookup drafts: after each
accepted token, the last 3, 2 or 1 generated tokens are looked up in the prompt and the K tokens that
follow there are proposed; a verification step accepts the longest matching prefix plus one token.
Reports generated tokens per verification step (1.0 = no gain). A verification of K+1 tokens costs
more than a one-token step (measured with llama.cpp on this machine: 1 token 24 ms, 2 tokens 40 ms,
4 tokens 48 ms, 8 tokens 59 ms), so speculation pays only well above ~1.7 tokens per step.

    flock /tmp/textmine-bench.lock .venv/bin/python benchmarks/investigations/spec_lookup_sim.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]  # benchmarks/: the shared helpers (_fresh, _embcache)
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _embcache import data_dir  # noqa: E402


def main() -> None:
    from textmine.keywords.llm import keyword_prompt_parts
    from textmine.llm import LLM, load_llm
    from textmine.llm import grammar as G
    from textmine.llm import prompts as P

    path = data_dir() / "keyphrase" / "inspec_test.jsonl"
    docs = [json.loads(line)["text"] for line in path.open()][:40]
    base = load_llm("default")
    llm = LLM(base.path, preset=base.preset, cache=False)
    instr, ex = keyword_prompt_parts(llm)
    shots = [(t, P.format_list_answer(list(a))) for t, a in ex]
    grammar = G.string_list_grammar(12, 60, min_items=1)
    total = 0
    steps = {k: 0 for k in (2, 4, 6, 8)}
    for d in docs:
        _, toks = llm.build_prompt(instr, d, shots, 200)
        text, _ = llm._greedy(toks, grammar, 200)
        gen = llm._llama.tokenize(text.encode(), add_bos=False, special=False)
        total += len(gen)
        for k in steps:
            i = 0
            while i < len(gen):
                draft: list[int] = []
                for ng in (3, 2, 1):
                    if i >= ng:
                        pat = gen[i - ng : i]
                        for j in range(len(toks) - ng, -1, -1):
                            if toks[j : j + ng] == pat:
                                draft = toks[j + ng : j + ng + k]
                                break
                    if draft:
                        break
                acc = 0
                while acc < len(draft) and i + acc < len(gen) and draft[acc] == gen[i + acc]:
                    acc += 1
                i += acc + 1
                steps[k] += 1
    print(f"{len(docs)} Inspec documents, {total} generated tokens")
    for k, s in steps.items():
        print(f"K={k}: {s} verification steps, {total / s:.2f} tokens per step")


if __name__ == "__main__":
    main()
