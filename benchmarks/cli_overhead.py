"""What `python -m retrieval ask --index DIR --json` costs per question, with
the questions on stdin, against the same work in process.

    python benchmarks/cli_overhead.py INDEX_DIR QUESTIONS.txt [--rounds 3] [--top-k 5]

* cli: the real command in a child process, answers to a pipe; CPU time of
  the child (user + system, from wait4), for all the questions minus for the
  first one alone, divided by the rest: start-up and opening the index fall
  out, what each further question costs stays.
* in process: ``engine.ask`` alone, and ``engine.ask`` + ``answer_to_json``
  + encoding, over the same questions, each in a fresh child process of
  its own (``time.process_time`` after the first question), so that both
  sides start with the same cold caches.

CPU time rather than wall time: on a shared 2-core machine wall time of the
same run varied threefold. Each figure is the minimum over the rounds; the ratios are
also given per round (median), a round's two runs being back to back.
Also prints how many times the analyzer ran per question in process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child_cpu(args: list[str], stdin: bytes) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli_ms(index: Path, questions: list[str], top_k: int) -> float:
    command = [sys.executable, "-m", "retrieval", "ask", "--index", str(index), "--json", "--top-k", str(top_k)]
    one = child_cpu(command, (questions[0] + "\n").encode())
    everything = child_cpu(command, "".join(q + "\n" for q in questions).encode())
    return 1000 * (everything - one) / (len(questions) - 1)


def in_process_ms(index: Path, questions: list[str], top_k: int) -> dict[str, float]:
    """Each way in a fresh child process, as the command is: caches kept at
    module level (normal forms, analyses) would otherwise be warm from the
    rounds before and flatter the in-process side."""
    figures = {}
    for mode in ("ask", "ask_json"):
        command = [sys.executable, str(Path(__file__).resolve()), str(index), "-", "--top-k", str(top_k), "--measure", mode]
        done = subprocess.run(command, input="".join(q + "\n" for q in questions).encode(),
                              stdout=subprocess.PIPE, check=True, cwd=ROOT)
        figures.update(json.loads(done.stdout))
    return figures


def measure(index: Path, questions: list[str], top_k: int, mode: str) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from retrieval.index.analyzer import Analyzer
    from retrieval.index.building import open_engine
    from retrieval.present.render import answer_to_json

    engine, _ = open_engine(None, index)
    engine.ask(questions[0], top_k=top_k)  # as the cli run: the first question pays for loading
    encode = json.JSONEncoder(ensure_ascii=False).encode
    calls = [0]
    real = Analyzer.analyze

    def counted(self, text):
        calls[0] += 1
        return real(self, text)

    Analyzer.analyze = counted
    rest = questions[1:]
    started = time.process_time()
    if mode == "ask":
        for question in rest:
            engine.ask(question, top_k=top_k)
    else:
        for question in rest:
            encode(answer_to_json(engine.ask(question, top_k=top_k)))
    spent = time.process_time() - started
    Analyzer.analyze = real
    figures = {mode: 1000 * spent / len(rest)}
    if mode == "ask":
        figures["analyze"] = calls[0] / len(rest)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--top-k", type=int, default=5)
    # Internal: one in-process measurement, questions on stdin, JSON out.
    parser.add_argument("--measure", choices=("ask", "ask_json"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    text = sys.stdin.read() if str(args.questions) == "-" else args.questions.read_text(encoding="utf-8")
    questions = [q.strip() for q in text.splitlines() if q.strip()]
    if args.measure:
        print(json.dumps(measure(args.index, questions, args.top_k, args.measure)))
        return 0
    rounds = [(cli_ms(args.index, questions, args.top_k), in_process_ms(args.index, questions, args.top_k))
              for _ in range(args.rounds)]
    cli = min(r[0] for r in rounds)
    ask = min(r[1]["ask"] for r in rounds)
    ask_json = min(r[1]["ask_json"] for r in rounds)
    # The machine's speed drifts between rounds (a shared host's steal time):
    # each round's own ratio, its two halves run back to back, drifts less.
    paired = sorted(r[0] / r[1]["ask"] for r in rounds)
    paired_json = sorted(r[0] / r[1]["ask_json"] for r in rounds)
    print(f"questions            {len(questions)} (top-k {args.top_k}), {args.rounds} rounds, CPU ms/question, minimum")
    print(f"cli ask --json       {cli:.3f}")
    print(f"in process ask+JSON  {ask_json:.3f}   (cli ÷ this: {cli / ask_json:.2f}; per round, median {statistics.median(paired_json):.2f})")
    print(f"in process ask       {ask:.3f}   (cli ÷ this: {cli / ask:.2f}; per round, median {statistics.median(paired):.2f}: "
          + " ".join(f"{r:.2f}" for r in paired) + ")")
    print(f"analyze per question {rounds[-1][1]['analyze']:.2f} (in process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
