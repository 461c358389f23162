"""Peak memory of embedding one very long document (docs/input.md, docs/reliability.md).

    PYTHONPATH=. python scripts/long_text_memory.py 4000000 20000000

Each size runs in a fresh process; prints the growth of the peak RSS while encoding.
"""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import resource, sys, time
from textmine.embed import get_embedder
emb = get_embedder("default", cache=False)
emb.encode(["warm up"])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = int(sys.argv[1])
text = ("Long documents are cut before the tokenizer reads them. " * (n // 50 + 1))[:n]
t0 = time.time()
emb.encode([text])
grow = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024
print(f"{n:>11,} bytes: peak RSS +{grow} MB, {time.time() - t0:.1f} s")
"""


def main(argv: list[str]) -> int:
    for size in argv or ["4000000", "20000000"]:
        out = subprocess.run([sys.executable, "-c", CHILD, size], capture_output=True, text=True)
        print(out.stdout.strip() or out.stderr.strip()[-500:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
