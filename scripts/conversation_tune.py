"""The sweep behind `retrieval.answer.followup.Rule`: every combination of
its thresholds, run over follow-up conversations, scored by the mean of the
follow-up and the new-topic shares answered right (so that reading more
questions with their context cannot win by misreading new topics).

Usage:
  python scripts/conversation_tune.py CONVERSATIONS.jsonl ... [--data DIR] [--top 15]

Run it on conversations built from dev sets (scripts/make_conversations.py),
never on tests/data/blind2/conversations.jsonl.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from conversation_eval import engine_for, run  # noqa: E402
from retrieval.answer.followup import DEFAULT_RULE, Rule  # noqa: E402

GRID = {
    "strong_margin": [1.0, 1.5, 2.0, 2.5, 3.0, 1e9],  # 1e9: never strong
    "context_terms": [1, 2, 3],
    "max_short_words": [2, 3],
    "max_unknown_share": [1.0, 0.8, 0.6, 0.5],  # 1.0: off
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("EVAL_DATA", ROOT.parent / "shared/eval/data")))
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    conversations = [json.loads(line) for path in args.files for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    cache: dict = {}
    engines = lambda corpus: engine_for(corpus, args.data, cache)  # noqa: E731
    rows = []
    for values in itertools.product(*GRID.values()):
        rule = Rule(**dict(zip(GRID, values)))
        counts = run(conversations, engines, rule)
        n_f, alone_f, right_f, _ = counts["follow-up"]
        n_t, alone_t, right_t, _ = counts.get("new topic", [1, 0, 0, 0])
        rows.append(((right_f / n_f + right_t / n_t) / 2, right_f / n_f, right_t / n_t, rule))
    rows.sort(key=lambda r: -r[0])
    print(f"alone: follow-up {alone_f / n_f:.3f}, new topic {alone_t / n_t:.3f}; {n_f} follow-ups, {n_t} new topics")
    print(f"{'score':>6s} {'follow-up':>9s} {'new topic':>9s}  rule")
    for score, follow, new, rule in rows[: args.top]:
        mark = "  <- default" if rule == DEFAULT_RULE else ""
        print(f"{score:6.3f} {follow:9.3f} {new:9.3f}  {rule}{mark}")
    default = next(r for r in rows if r[3] == DEFAULT_RULE)
    print(f"default rank {rows.index(default) + 1} of {len(rows)}: {default[0]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
