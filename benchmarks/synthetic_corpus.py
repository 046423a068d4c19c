"""A realistic Chinese corpus of any size, made by recombining the sentences
of the shared QA sets (CMRC 2018 simplified, DRCD traditional), and
questions to ask it.

    python benchmarks/synthetic_corpus.py --chunks 100000 --out corpus.jsonl

Each line is a document (one chunk): {"id", "title", "text"} with 2-6
sentences drawn from paragraphs of the same source article, so that words
co-occur as they do in real text. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "data"
SOURCES = [
    DATA / "cmrc2018" / "squad-style-data" / "cmrc2018_train.json",
    DATA / "cmrc2018" / "squad-style-data" / "cmrc2018_dev.json",
    DATA / "cmrc2018" / "squad-style-data" / "cmrc2018_trial.json",
    DATA / "drcd" / "DRCD_dev.json",
    DATA / "drcd" / "DRCD_test.json",
    DATA / "drcd" / "DRCD_training.json",
]
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")


@lru_cache(maxsize=1)
def load_articles() -> tuple[list[tuple[str, list[str]]], list[str]]:
    """(title, sentences) per article, and every question, from the sets present.

    Cached: generate() and questions() both need it, and parsing the sets
    takes a noticeable fraction of a second. Callers must not mutate it."""
    articles, questions = [], []
    for path in SOURCES:
        if not path.exists():
            continue
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        for article in data["data"]:
            sentences = []
            for paragraph in article["paragraphs"]:
                sentences += [s.strip() for s in _SENTENCE.findall(paragraph["context"]) if len(s.strip()) >= 8]
                questions += [qa["question"] for qa in paragraph["qas"]]
            if sentences:
                articles.append((str(article.get("title") or "無題"), sentences))
    if not articles:
        raise SystemExit(f"no QA sets found under {DATA}")
    return articles, questions


def generate(n_chunks: int, seed: int = 13):
    articles, _ = load_articles()
    rng = random.Random(seed)
    for number in range(n_chunks):
        title, sentences = articles[rng.randrange(len(articles))]
        start = rng.randrange(len(sentences))
        size = rng.randint(2, 6)
        picked = sentences[start : start + size] or sentences[:size]
        yield {"id": f"c{number:07d}", "title": title, "text": "".join(picked)}


def write_corpus(path: Path, n_chunks: int, seed: int = 13) -> Path:
    """Write ``n_chunks`` documents as JSONL to ``path``, atomically (a file
    that exists is complete, so callers may cache it by name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as out:
            for record in generate(n_chunks, seed):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def questions(n: int, seed: int = 7) -> list[str]:
    _, asked = load_articles()
    rng = random.Random(seed)
    return rng.sample(asked, min(n, len(asked)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--questions", type=Path, help="also write this many questions, one per line, here")
    parser.add_argument("--n-questions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    write_corpus(args.out, args.chunks, args.seed)
    if args.questions:
        args.questions.write_text("\n".join(questions(args.n_questions)) + "\n", encoding="utf-8")
    print(f"{args.chunks} chunks → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
