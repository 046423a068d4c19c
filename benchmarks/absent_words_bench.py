"""What listing a declined question's absent words costs on a saved index,
with the build's character-pair set and without it (reading the chunk file
for every spelling, as before 3 December).

    python benchmarks/absent_words_bench.py INDEX_DIR QUESTIONS.txt [--rounds 3]

Only the questions the engine declines are timed (answered ones never list
absent words). Each round starts from a fresh lexicon, so nothing is
remembered between rounds; CPU time, the minimum over the rounds. Both ways
must list the same words: the benchmark stops if they do not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.answer import near_miss  # noqa: E402
from retrieval.index.building import open_engine  # noqa: E402


def timed(engine, declined, pairs) -> tuple[float, list]:
    chunks = engine.chunks
    saved = chunks.pairs
    chunks.pairs = pairs
    try:
        lexicon = near_miss.Lexicon(chunks, engine.model, engine.analyzer)
        lexicon.absent("热身", ["热身"])  # maps the file and joins the vocabulary outside the timing
        started = time.process_time()
        listed = [lexicon.absent(question, words) for question, words in declined]
        return time.process_time() - started, listed
    finally:
        chunks.pairs = saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine, _ = open_engine(None, args.index)
    if getattr(engine.chunks, "pairs", None) is None:
        print(f"{args.index}: this build has no character-pair set; rebuild it with this version", file=sys.stderr)
        return 2
    questions = [q.strip() for q in args.questions.read_text(encoding="utf-8").splitlines() if q.strip()]
    declined = []
    for question in questions:
        answer = engine.ask(question)
        if not answer.answered:
            declined.append((question, answer.words))
    if not declined:
        print("no question was declined: nothing to time", file=sys.stderr)
        return 2
    with_set, without_set = [], []
    for _ in range(args.rounds):
        seconds, listed_with = timed(engine, declined, engine.chunks.pairs)
        with_set.append(seconds)
        seconds, listed_without = timed(engine, declined, None)
        without_set.append(seconds)
        if listed_with != listed_without:
            print("the two ways listed different words", file=sys.stderr)
            return 1
    per = 1000 / len(declined)
    print(f"chunks               {len(engine.chunks)}")
    print(f"declined questions   {len(declined)} of {len(questions)}, {args.rounds} rounds, CPU ms per declined question, minimum")
    print(f"reading the file     {min(without_set) * per:.2f}")
    print(f"with the pair set    {min(with_set) * per:.2f}   (reading ÷ this: {min(without_set) / min(with_set):.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
