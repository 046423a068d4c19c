"""Score the engine on a question file about the bundled corpus.

Usage: python scripts/seed_eval.py [tests/data/seed_questions.jsonl] [-v]

A question with ``evidence`` is answered right when the first hit's paragraph
contains that text; one without is right when it is declined.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from retrieval import open_engine

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    verbose = "-v" in sys.argv
    path = Path(args[0]) if args else ROOT / "tests/data/seed_questions.jsonl"
    engine, _ = open_engine()
    totals, right = Counter(), Counter()
    top3 = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        answer = engine.ask(q["question"])
        kind = q["kind"]
        totals[kind] += 1
        if q["evidence"] is None:
            ok = not answer.answered
        else:
            texts = [h.chunk.text for h in answer.hits]
            ok = answer.answered and bool(texts) and q["evidence"] in texts[0]
            top3[kind] += any(q["evidence"] in t for t in texts[:3])
        right[kind] += ok
        if verbose and not ok:
            best = answer.hits[0] if answer.hits else None
            print(f"MISS [{kind}] {q['question']}  answered={answer.answered} tokens={answer.tokens}"
                  f" cov={best.coverage if best else None:.2f} top={best.chunk.chunk_id if best else None}"
                  if best else f"MISS [{kind}] {q['question']} answered={answer.answered} tokens={answer.tokens}")
    answerable = [k for k in totals if k != "unanswerable"]
    for kind in sorted(totals):
        extra = f"  top3 {top3[kind]}/{totals[kind]}" if kind != "unanswerable" else ""
        print(f"{kind:13s} {right[kind]:3d}/{totals[kind]:3d} = {right[kind] / totals[kind]:.3f}{extra}")
    a_right = sum(right[k] for k in answerable)
    a_total = sum(totals[k] for k in answerable)
    print(f"{'answerable':13s} {a_right:3d}/{a_total:3d} = {a_right / a_total:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
