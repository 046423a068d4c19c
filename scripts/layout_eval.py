"""How well the plain-text paragraph repair survives layout damage.

Usage: python scripts/layout_eval.py [--set drcd-dev|cmrc-dev|cmrc-trial]
                                     [--seed N] [--limit PAGES] [--no-hits] [--show N]

Builds damaged pages from the dev (or trial) articles of CMRC 2018 / DRCD
(``layout_damage.py``: two articles interleaved per page, hard wraps at
30–40 characters, paragraphs cut across blank lines, short content lines put
in between), reads them as ``.txt`` files through the real loader and
chunker, and prints:

* paragraphs whole: the share of body paragraphs (the articles' own and the
  inserted content blocks) whose text, whitespace ignored, is inside one chunk;
* body chars lost: the share of the body's non-space characters that no
  chunk's text holds (as a multiset);
* heading chars: the titles and bylines placed on the page, not in any chunk
  text / not even in a section;
* JSONL records emptied: records (paragraphs and one-phrase records) that
  give no chunk;
* Hit@1 on the damaged pages and on the clean articles, through
  ``retrieval.open_engine``: a question is a hit when the first chunk holds at
  least half of its paragraph's character 8-grams.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from layout_damage import Article, build_page, content_block  # noqa: E402

from retrieval import chunk_documents, load_corpus, open_engine  # noqa: E402
from retrieval.chunking import text_layout  # noqa: E402

DATA = Path("/work/shared/eval/data")
SETS = {
    "cmrc-dev": DATA / "cmrc2018/squad-style-data/cmrc2018_dev.json",
    "cmrc-trial": DATA / "cmrc2018/squad-style-data/cmrc2018_trial.json",
    "drcd-dev": DATA / "drcd/DRCD_dev.json",
}
CMRC_ARTICLE_PARAGRAPHS = 4  # CMRC has one paragraph per article: group them


def load_articles(path: Path) -> tuple[list[Article], list[tuple[str, str]]]:
    """Articles, and (question, paragraph id) for every question."""
    data = json.loads(path.read_text(encoding="utf-8-sig"))["data"]
    articles, questions = [], []
    for number, entry in enumerate(data):
        paragraphs = []
        for index, paragraph in enumerate(entry["paragraphs"]):
            pid = f"{number}-{index}"
            paragraphs.append((pid, paragraph["context"].strip()))
            questions.extend((qa["question"], pid) for qa in paragraph["qas"])
        articles.append(Article(entry.get("title") or f"文章{number}", paragraphs))
    if all(len(a.paragraphs) == 1 for a in articles):
        grouped = []
        for start in range(0, len(articles), CMRC_ARTICLE_PARAGRAPHS):
            group = articles[start:start + CMRC_ARTICLE_PARAGRAPHS]
            grouped.append(Article(group[0].title, [p for a in group for p in a.paragraphs]))
        articles = grouped
    return articles, questions


def squeeze(text: str) -> str:
    return "".join(text.split())


def grams(text: str, n: int = 8) -> set[str]:
    text = squeeze(text)
    return {text[i:i + n] for i in range(max(1, len(text) - n + 1))}


def write_pages(articles, rng, folder: Path, show: int):
    pages, where = [], {}
    for number in range(0, len(articles) - 1, 2):
        page = build_page(articles[number], articles[number + 1], rng, starts_with_title=rng.random() < 0.75)
        name = f"page-{number // 2:04d}.txt"
        (folder / name).write_text(page.text, encoding="utf-8")
        pages.append((name, page))
        where.update({pid: name for pid, _ in page.body if pid})
        if len(pages) <= show:
            print(f"----- {name}\n{page.text}")
    return pages, where


def write_clean(articles, folder: Path):
    where = {}
    for number, article in enumerate(articles):
        name = f"article-{number:04d}.txt"
        body = "\n\n".join(text for _, text in article.paragraphs)
        (folder / name).write_text(f"{article.title}\n\n{body}\n", encoding="utf-8")
        where.update({pid: name for pid, _ in article.paragraphs})
    return where


def layout_scores(pages, chunks_by_file) -> dict:
    whole = total = lost = chars = heading_chars = heading_no_text = heading_nowhere = 0
    misses = []
    for name, page in pages:
        chunks = chunks_by_file.get(name, [])
        texts = [squeeze(c.text) for c in chunks]
        for pid, text in page.body:
            total += 1
            if any(squeeze(text) in t for t in texts):
                whole += 1
            else:
                misses.append((name, text[:40]))
        body = Counter(squeeze("".join(text for _, text in page.body)))
        held = Counter("".join(texts))
        chars += sum(body.values())
        lost += sum((body - held).values())
        sections = Counter(squeeze("".join(dict.fromkeys(c.section for c in chunks))))
        title = Counter(squeeze(chunks[0].title)) if chunks else Counter()
        for heading in page.headings:
            need = Counter(squeeze(heading))
            heading_chars += sum(need.values())
            heading_no_text += sum((need - held).values())
            heading_nowhere += sum((need - held - sections - title).values())
    return {
        "paragraphs whole": whole / max(1, total),
        "body chars lost": lost / max(1, chars),
        "heading chars in no chunk text": heading_no_text / max(1, heading_chars),
        "heading chars nowhere": heading_nowhere / max(1, heading_chars),
        "paragraphs": total,
        "misses": misses,
    }


def jsonl_emptied(articles, rng, folder: Path) -> tuple[int, int]:
    records = []
    for number, article in enumerate(articles[:100]):
        records.append({"id": f"r{number}", "text": article.paragraphs[0][1]})
        records.append({"id": f"s{number}", "text": rng.choice([article.title, content_block(rng)])})
    path = folder / "records.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    chunked = {c.doc_id for c in chunk_documents(load_corpus([path]).documents)}
    return sum(r["id"] not in chunked for r in records), len(records)


def hit_at_1(folder: Path, questions, where, paragraph_text) -> float:
    engine, _ = open_engine([folder])
    targets = {pid: grams(text) for pid, text in paragraph_text.items()}
    hits = 0
    for question, pid in questions:
        answer = engine.ask(question, top_k=5)
        if not answer.hits:
            continue
        chunk = answer.hits[0].chunk
        if not chunk.source_path.endswith(where[pid]):
            continue
        target = targets[pid]
        hits += len(target & grams(chunk.text)) >= 0.5 * len(target)
    return hits / max(1, len(questions))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="drcd-dev")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="pages to build (0: all)")
    parser.add_argument("--no-hits", action="store_true", help="skip the Hit@1 runs")
    parser.add_argument("--show", type=int, default=0, help="print the first N pages")
    parser.add_argument("--misses", type=int, default=0, help="print N paragraphs that did not come back whole")
    parser.add_argument("--heading-text", action="store_true", help="keep guessed headings in the chunk text too")
    args = parser.parse_args()
    text_layout.GUESSED_HEADINGS_IN_TEXT = args.heading_text

    articles, questions = load_articles(SETS[args.set])
    if args.limit:
        articles = articles[: 2 * args.limit]
    rng = random.Random(args.seed)
    paragraph_text = {pid: text for a in articles for pid, text in a.paragraphs}
    questions = [(q, pid) for q, pid in questions if pid in paragraph_text]

    with tempfile.TemporaryDirectory() as tmp:
        damaged, clean, records = Path(tmp, "damaged"), Path(tmp, "clean"), Path(tmp, "records")
        for folder in (damaged, clean, records):
            folder.mkdir()
        pages, damaged_where = write_pages(articles, rng, damaged, args.show)
        clean_where = write_clean(articles, clean)
        chunks_by_file: dict[str, list] = {}
        for chunk in chunk_documents(load_corpus([damaged]).documents):
            chunks_by_file.setdefault(Path(chunk.source_path).name, []).append(chunk)
        scores = layout_scores(pages, chunks_by_file)
        emptied, n_records = jsonl_emptied(articles, rng, records)

        print(f"set {args.set}, seed {args.seed}: {len(pages)} pages, {scores['paragraphs']} body paragraphs")
        for key in ("paragraphs whole", "body chars lost", "heading chars in no chunk text", "heading chars nowhere"):
            print(f"{key:32s} {scores[key]:.4f}")
        print(f"{'JSONL records emptied':32s} {emptied}/{n_records}")
        for name, start in scores["misses"][: args.misses]:
            print(f"  not whole: {name}: {start}")
        if not args.no_hits:
            asked = [(q, pid) for q, pid in questions if pid in damaged_where]
            on_damaged = hit_at_1(damaged, asked, damaged_where, paragraph_text)
            on_clean = hit_at_1(clean, asked, clean_where, paragraph_text)
            print(f"{'Hit@1 clean':32s} {on_clean:.4f}  ({len(asked)} questions)")
            print(f"{'Hit@1 damaged':32s} {on_damaged:.4f}  (ratio {on_damaged / max(on_clean, 1e-9):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
