"""Follow-up questions, measured: how often a later turn of a conversation is
answered right when it is read with its context, and when it is asked alone.

Usage:
  python scripts/conversation_eval.py [CONVERSATIONS.jsonl ...] [--data DIR] [--rule NAME=VALUE ...] [-v]

Default file: tests/data/blind2/conversations.jsonl (the blind set: report
only, never tune on it). Each line: {"id", "corpus", "context_id",
"turns": [{"question", "evidence", "new_topic"?}]}. ``corpus`` is "seeds"
(the bundled corpus) or a SQuAD set — cmrc_dev, cmrc_trial, drcd_dev,
drcd_test — under DIR (default ../shared/eval/data or $EVAL_DATA), where,
as in ``python -m retrieval eval``, every paragraph of the set is a
document.

A turn is right when the first hit's paragraph contains its evidence and
the question is answered, or, when evidence is null, when it is declined.
"Alone" asks each turn by itself; "with context" asks the turns in order
through one ``retrieval.answer.followup.Conversation`` (a turn a minute
apart, inside its silence timeout). Follow-up turns are the later turns;
those marked ``new_topic`` are counted apart as well.

``--rule strong_coverage=0.9`` etc. overrides the decision's thresholds
(``retrieval.answer.followup.Rule``), for tuning on your own conversations.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from dataclasses import fields, replace
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval import open_engine  # noqa: E402
from retrieval.answer.followup import DEFAULT_RULE, Conversation, Rule  # noqa: E402
from retrieval.answer.search import Answer  # noqa: E402
from retrieval.evaluation.squad import load_squad  # noqa: E402
from retrieval.index.building import build_engine  # noqa: E402

SQUAD_FILES = {
    "cmrc_dev": "cmrc2018/squad-style-data/cmrc2018_dev.json",
    "cmrc_trial": "cmrc2018/squad-style-data/cmrc2018_trial.json",
    "drcd_dev": "drcd/DRCD_dev.json",
    "drcd_test": "drcd/DRCD_test.json",
}
TOP_K = 15
TURN_SECONDS = 60.0


class CachedEngine:
    """An engine whose answers are remembered by question: a rule sweep asks
    the same questions many times."""

    def __init__(self, engine):
        self._engine = engine
        self.ask = lru_cache(maxsize=None)(engine.ask)

    def __getattr__(self, name):
        return getattr(self._engine, name)


def engine_for(corpus: str, data: Path, cache: dict):
    if corpus not in cache:
        if corpus == "seeds":
            engine, _ = open_engine()
        else:
            engine, _ = build_engine(load_squad(data / SQUAD_FILES[corpus]).documents)
        cache[corpus] = CachedEngine(engine)
    return cache[corpus]


def right(answer: Answer, evidence: str | None) -> bool:
    if evidence is None:
        return not answer.answered
    return answer.answered and bool(answer.hits) and evidence in answer.hits[0].chunk.text


def run(conversations: list[dict], engines, rule: Rule, verbose: bool = False) -> dict:
    """Counts per group: (turns, right alone, right with context, read with context)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for conv in conversations:
        engine = engines(conv["corpus"])
        conversation = Conversation(engine, top_k=TOP_K, rule=rule)
        for i, turn in enumerate(conv["turns"]):
            answer, interpreted = conversation.ask(turn["question"], now=i * TURN_SECONDS)
            if i == 0:
                continue
            alone = engine.ask(turn["question"], TOP_K)
            ok_alone, ok_context = right(alone, turn["evidence"]), right(answer, turn["evidence"])
            kind = "new topic" if turn.get("new_topic") else "follow-up"
            for group in (kind, f"{kind} · {conv['corpus']}", "all later turns"):
                c = counts[group]
                c[0] += 1
                c[1] += ok_alone
                c[2] += ok_context
                c[3] += interpreted is not None
            if verbose and ok_alone != ok_context:
                sign = "+" if ok_context else "-"
                print(f"{sign} {conv['id']}#{i} {turn['question']!r} read as {interpreted!r}")
    return counts


def table(counts: dict) -> str:
    lines = [f"{'':28s} {'turns':>5s}  {'alone':>6s}  {'context':>7s}  {'gain':>6s}  {'read with context':>17s}"]
    order = sorted(counts, key=lambda g: (g == "all later turns", g.split(" · ")[0] != "follow-up", g))
    for group in order:
        n, alone, context, read = counts[group]
        lines.append(
            f"{group:28s} {n:5d}  {alone / n:6.3f}  {context / n:7.3f}  {100 * (context - alone) / n:+6.1f}  {read / n:17.3f}"
        )
    return "\n".join(lines)


def parse_rule(items: list[str]) -> Rule:
    rule = DEFAULT_RULE
    types = {f.name: type(getattr(DEFAULT_RULE, f.name)) for f in fields(Rule)}
    for item in items:
        name, _, value = item.partition("=")
        if name not in types:
            raise SystemExit(f"--rule: unknown name {name!r}; known: {', '.join(types)}")
        rule = replace(rule, **{name: types[name](value)})
    return rule


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, default=[ROOT / "tests/data/blind2/conversations.jsonl"])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("EVAL_DATA", ROOT.parent / "shared/eval/data")))
    parser.add_argument("--rule", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the turns the context changed")
    args = parser.parse_args()
    conversations = [json.loads(line) for path in args.files for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    cache: dict = {}
    rule = parse_rule(args.rule)
    counts = run(conversations, lambda corpus: engine_for(corpus, args.data, cache), rule, args.verbose)
    print(f"{len(conversations)} conversations from {', '.join(str(p) for p in args.files)}; rule {rule}")
    print(table(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
