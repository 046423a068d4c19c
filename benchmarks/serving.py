"""Serving a saved index, in one process: how long opening it and the first
answer take, per-question latency (ask + JSON of 10 hits) and peak RSS.

    python benchmarks/serving.py INDEX_DIR [QUESTIONS.txt]

For corpora too large to run benchmarks/bench.py's reference libraries
beside ours; questions default to the shared QA sets'. Prints one JSON object.
"""

import json
import resource
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()  # before the imports: they are part of start-up

from retrieval.index.building import open_engine  # noqa: E402
from retrieval.present.render import answer_to_json  # noqa: E402

QUESTIONS = 300


def read_questions(argv: list[str]) -> list[str]:
    if len(argv) > 2:
        with open(argv[2], encoding="utf-8") as lines:
            return [line.strip() for line in lines if line.strip()][:QUESTIONS]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from synthetic_corpus import questions

    return questions(QUESTIONS)


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(int(len(sorted_values) * share), len(sorted_values) - 1)]


def main(argv: list[str]) -> dict:
    imported = time.perf_counter()
    engine, _ = open_engine(None, argv[1])
    opened = time.perf_counter()
    questions = read_questions(argv)
    engine.ask(questions[0])
    first_answer = time.perf_counter()
    latencies_ms = []
    for question in questions[1:]:
        start = time.perf_counter()
        json.dumps(answer_to_json(engine.ask(question, top_k=10)), ensure_ascii=False)
        latencies_ms.append((time.perf_counter() - start) * 1000)
    latencies_ms.sort()
    return {
        "import_s": round(imported - STARTED, 2),
        "open_s": round(opened - imported, 2),
        "first_answer_s": round(first_answer - opened, 2),
        "since_start_first_answer_s": round(first_answer - STARTED, 2),
        "questions": len(latencies_ms),
        "p50_ms": round(percentile(latencies_ms, 0.50), 2),
        "p99_ms": round(percentile(latencies_ms, 0.99), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv)))
