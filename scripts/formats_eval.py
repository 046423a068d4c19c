"""Do real documents come back as clean, cited paragraphs? One run per format.

Usage: python scripts/formats_eval.py [--set DRCD_dev.json] [--articles 40] [--formats pdf,pdf2,docx,html,html-gbk,epub]

Each article of a SQuAD-format set (every article with two or more
paragraphs) is written as a file of each format (``scripts/format_samples.py``)
and as plain text, and the CLI reads them as a user's corpus would:
``python -m retrieval chunks --json`` and ``ask --json``. Printed per format:

* whole: share of the source paragraphs found whole inside one chunk;
* boilerplate: share of chunks holding a header, footer, navigation or copyright line;
* Hit@1 and its ratio to the same paragraphs as plain text (a question is a
  hit when the first hit is a chunk of its own paragraph);
* pages (PDF): share of chunks citing a page their paragraph is really on.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import format_samples as samples  # noqa: E402

DEFAULT_SET = ROOT.parent / "shared" / "eval" / "data" / "drcd" / "DRCD_dev.json"
_SPACE = re.compile(r"\s+")

WRITERS = {
    "txt": (".md", samples.text_bytes),
    "pdf": (".pdf", lambda a, pages: samples.pdf_bytes(a, columns=1, pages_of=pages)),
    "pdf2": (".pdf", lambda a, pages: samples.pdf_bytes(a, columns=2, pages_of=pages)),
    "docx": (".docx", samples.docx_bytes),
    "html": (".html", samples.html_bytes),
    "html-gbk": (".html", lambda a: samples.html_bytes(a, charset="gbk")),
    "html-gbk-equiv": (".htm", lambda a: samples.html_bytes(a, charset="gbk", how="http-equiv")),
    "epub": (".epub", samples.epub_bytes),
}


def squish(text: str) -> str:
    return _SPACE.sub("", text)


def load_articles(path: Path, limit: int):
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles, questions = [], []
    for entry in data:
        paragraphs = entry["paragraphs"]
        if len(paragraphs) < 2:
            continue
        article = samples.Article(entry["title"], "作者甲", [p["context"].strip() for p in paragraphs],
                                  [p["id"] for p in paragraphs])
        articles.append(article)
        for index, paragraph in enumerate(paragraphs):
            for qa in paragraph["qas"]:
                questions.append((qa["question"], len(articles) - 1, index))
        if len(articles) >= limit:
            break
    return articles, questions


def cli(*args: str, stdin: str | None = None) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "retrieval", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"retrieval {' '.join(args)} failed:\n{done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def measure(fmt: str, articles, questions, workdir: Path) -> dict:
    suffix, write = WRITERS[fmt]
    folder = workdir / fmt
    folder.mkdir(parents=True)
    pages_by_article = []
    for number, article in enumerate(articles):
        pages: dict = {}
        data = write(article, pages) if fmt.startswith("pdf") else write(article)
        (folder / f"a{number:03d}{suffix}").write_bytes(data)
        pages_by_article.append(pages)
    chunks = cli("chunks", "--corpus", str(folder), "--json")
    by_article: dict[int, list[dict]] = {}
    for chunk in chunks:
        number = int(Path(chunk["source_path"]).stem[1:])
        by_article.setdefault(number, []).append(chunk)

    whole = total = 0
    for number, article in enumerate(articles):
        texts = [squish(c["text"]) for c in by_article.get(number, [])]
        for paragraph in article.paragraphs:
            total += 1
            whole += any(squish(paragraph) in text for text in texts)
    boiler = sum(any(b in c["text"] for b in samples.BOILERPLATE + samples.NAV[:0]) or c["text"].strip() in samples.NAV
                 for c in chunks)

    page_right = page_total = 0
    if fmt.startswith("pdf"):
        for number, article in enumerate(articles):
            for chunk in by_article.get(number, []):
                text = squish(chunk["text"])
                owners = [i for i, p in enumerate(article.paragraphs) if text[:30] and text[:30] in squish(p)]
                if not owners:
                    continue
                page_total += 1
                true_pages = set(pages_by_article[number].get(owners[0], []))
                cited = set(range(chunk.get("page_start") or -1, (chunk.get("page_end") or -2) + 1))
                page_right += bool(true_pages & cited)

    answers = cli("ask", "--corpus", str(folder), "--json", "--top-k", "1",
                  stdin="\n".join(q for q, _, _ in questions) + "\n")
    hits = 0
    for (question, number, index), answer in zip(questions, answers):
        if not answer["hits"]:
            continue
        first = answer["hits"][0]
        own = squish(articles[number].paragraphs[index])
        text = squish(first["text"])
        hits += int(Path(first["source"]).stem[1:]) == number and (text in own or own in text)
    return {
        "format": fmt, "files": len(articles), "chunks": len(chunks),
        "whole": whole / total if total else 0.0,
        "boilerplate": boiler / len(chunks) if chunks else 0.0,
        "hit_at_1": hits / len(questions) if questions else 0.0,
        "pages_right": page_right / page_total if page_total else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--formats", default="pdf,pdf2,docx,html,html-gbk,html-gbk-equiv,epub")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    articles, questions = load_articles(args.set, args.articles)
    with tempfile.TemporaryDirectory() as tmp:
        baseline = measure("txt", articles, questions, Path(tmp))
        rows = [baseline] + [measure(fmt, articles, questions, Path(tmp)) for fmt in args.formats.split(",")]
    for row in rows:
        row["hit_ratio"] = row["hit_at_1"] / baseline["hit_at_1"] if baseline["hit_at_1"] else None
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    print(f"{len(articles)} articles, {len(questions)} questions from {args.set.name}")
    print(f"{'format':<15}{'chunks':>7}{'whole':>8}{'boiler':>8}{'Hit@1':>8}{'ratio':>7}{'pages':>7}")
    for r in rows:
        pages = f"{r['pages_right']:.3f}" if r["pages_right"] is not None else "—"
        print(f"{r['format']:<15}{r['chunks']:>7}{r['whole']:>8.3f}{r['boilerplate']:>8.3f}"
              f"{r['hit_at_1']:>8.3f}{r['hit_ratio']:>7.3f}{pages:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
