"""Dev check of the whole-document copy rule of ``label_problem`` (issue #13), on the 20 Newsgroups development
topics of ``benchmarks/llm_assist_labels_tune.py`` (never the reported ones), from the features that script saved
(``benchmarks/results/llm_assist_labels_tune_dev.json``: candidates, LLM and embedding scores; no LLM run here):
every saved candidate is re-checked by the current ``label_problem`` against its topic's representative documents,
the selection at the defaults is recomputed from the saved scores over the surviving candidates, and both
selections are judged. Exact as long as no written label is rejected (the labeler would then ask again);
the script prints each topic's written label and what the check says of it.

    TEXTMINE_LLM_THREADS=1 python benchmarks/llm_assist_labels_copycheck_dev.py
"""
import json
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from llm_assist_labels import DESCRIPTIONS, topics_for
from llm_assist_labels_tune import choose
from textmine.evaluation import label_accuracy
from textmine.topics.label import label_problem
out = json.loads(Path("benchmarks/results/llm_assist_labels_tune_dev.json").read_text())
topics, assign, gold = topics_for("20newsgroups", "dev")
topics = [t for t in topics if t.size > 0]
rows = out["datasets"]["20newsgroups"]
assert [r["topic"] for r in rows] == [int(t.id) for t in topics]
before, after = [], []
for t, r in zip(topics, rows):
    r["llm"] = {str(k): v for k, v in r["llm"].items()}
    before.append(choose(r, 0, 0.5, 0.5, 1.0, 0.5, True, 0.0))
    bad = [i for i, c in enumerate(r["cands"]) if label_problem(c, t.representative_docs) is not None]
    wr = label_problem(r["written"], t.representative_docs)
    print(t.id, "rejected now:", [r["cands"][i] for i in bad], "| written:", r["written"], wr)
    keep = [i for i in range(len(r["cands"])) if i not in bad]
    r2 = dict(r)
    r2["cands"] = [r["cands"][i] for i in keep]
    r2["llm"] = {"0": [r["llm"]["0"][i] for i in keep]}
    r2["emb"] = {k: [v[i] for i in keep] for k, v in r["emb"].items()}
    r2["n_written"] = sum(1 for i in keep if i < r["n_written"])
    after.append(choose(r2, 0, 0.5, 0.5, 1.0, 0.5, True, 0.0))
acc = lambda labels: label_accuracy(topics, gold, DESCRIPTIONS["20newsgroups"], labels=labels, assignments=assign)
b, a = acc(before), acc(after)
print(f"dev 20NG ({len(rows)} topics): top words {b.words_accuracy:.3f}; "
      f"selected before {b.accuracy:.3f}, after {a.accuracy:.3f}")
print("changed:", [(x, y) for x, y in zip(before, after) if x != y])
