"""Which library reads Chinese PDFs: speed and correctness of the candidates.

    .venv/bin/python benchmarks/extract_pdf.py [--copies N] [--runs N]

Generates Chinese PDFs with reportlab from the bundled seed articles (one
and two columns; the built-in STSong-Light CID font, and a TrueType font
embedded as a subset when the machine has one), then for each candidate:

* pages/s: pages per CPU second of this process (one core; CPU time, not
  wall time, so other work on the machine does not count), best of --runs;
* whole: the share of source paragraphs found unbroken in the output, with
  line breaks removed (so it measures characters, spurious spaces and
  reading order: a two-column page read across the columns breaks nearly
  every paragraph);
* chars: the share of source characters that come out (a multiset overlap,
  so wrong or missing glyphs of a CID font show, whatever the order).

The first four rows time what a layout step needs, every glyph with its
box and size (pypdf only has text runs with their matrix); their order is
the content stream's, so only their characters are scored. The next rows
are each library's own plain-text output.

The candidates are the permissively licensed ones (PyMuPDF is AGPL): pypdfium2
(Apache-2.0 / BSD-3-Clause, PDFium BSD-3-Clause), pdfminer.six (MIT),
pdfplumber (MIT, on pdfminer.six), pypdf (BSD-3-Clause). The last row is this
project's reader (pypdfium2's glyphs + its own layout), on the same files.
The PDFs carry no running headers, so the raw libraries are not marked
down for what only a layout step can remove. Two layouts test what the
easy ones cannot: one writes its content stream row by row across both
columns (reading order must come from the glyphs' positions, not the
stream), one spreads each line's characters with TJ offsets as word
processors justify Chinese (an extractor that takes every gap for a space
breaks the paragraphs apart).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pdf_fixtures import (  # noqa: E402
    Article,
    build_article,
    build_hand_wrapped,
    build_tj_justified,
    cjk_ttf,
    seed_article,
)


def build_corpus(folder: Path, copies: int) -> list[tuple[Path, str, list[str], int]]:
    """(path, layout name, paragraphs, pages) for every generated PDF."""
    articles = [seed_article(n) for n in (1, 2, 3)]
    # One long article: the three seeds, ``copies`` times over, so each file has many pages.
    items = [item for _ in range(copies) for article in articles for item in article.items]
    article = Article(articles[0].title, articles[0].author, items)
    layouts = [("1 column, STSong-Light (CID)", {}), ("2 columns, STSong-Light (CID)", {"columns": 2})]
    ttf = cjk_ttf()
    if ttf:
        layouts += [(f"1 column, {ttf} (TrueType subset)", {"font": ttf}),
                    (f"2 columns, {ttf} (TrueType subset)", {"font": ttf, "columns": 2})]
    corpus = []
    for n, (name, options) in enumerate(layouts):
        built = build_article(folder / f"layout{n}.pdf", article, **options)
        corpus.append((built.path, name, built.paragraphs, built.page_count))
    # Content streams need not follow the reading order: this one writes each
    # row of both columns before the next row, as some typesetters do.
    built = build_hand_wrapped(folder / "rows.pdf", article, per_line=19, columns=2, row_order=True)
    corpus.append((built.path, "2 columns written row by row, STSong-Light", built.paragraphs, built.page_count))
    # Word processors justify Chinese by spreading the characters (TJ offsets):
    # gaps between ideographs that are no spaces.
    built = build_tj_justified(folder / "justified.pdf", article)
    corpus.append((built.path, "1 column justified with TJ offsets, STSong-Light", built.paragraphs, built.page_count))
    return corpus


def with_pypdfium2(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        texts = []
        for page in pdf:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(texts)
    finally:
        pdf.close()


def with_pdfminer(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(str(path))


def with_pdfplumber(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def with_pypdf(path: Path) -> str:
    import pypdf

    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)


def with_reader(path: Path) -> str:
    from retrieval.ingest.pdf import read
    from retrieval.ingest.readers import Limits

    documents, _ = read(path, path.name, Limits())
    return "\n\n".join(document.text for document in documents)


# Layout needs every glyph with its box and size; these give just that,
# concatenated in the order the library yields them.
def glyphs_pypdfium2(path: Path) -> str:
    import pypdfium2 as pdfium

    from retrieval.ingest.pdf.extract import read_page

    pdf = pdfium.PdfDocument(str(path))
    try:
        fonts: dict = {}
        pages = [read_page(pdf.raw, index, fonts) for index in range(len(pdf))]
    finally:
        pdf.close()
    return "\n".join(line.text for page in pages for line in page.lines)


def glyphs_pdfplumber(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        return "".join(char["text"] for page in pdf.pages for char in page.chars)


def glyphs_pdfminer(path: Path) -> str:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTContainer

    out: list[str] = []

    def walk(item) -> None:
        if isinstance(item, LTChar):
            out.append(item.get_text())
        elif isinstance(item, LTContainer):
            for child in item:
                walk(child)

    for page in extract_pages(str(path)):
        walk(page)
    return "".join(out)


def glyphs_pypdf(path: Path) -> str:
    import pypdf

    out: list[str] = []
    for page in pypdf.PdfReader(str(path)).pages:
        # pypdf reports text runs with their matrix, not glyphs with boxes.
        page.extract_text(visitor_text=lambda text, cm, tm, font, size: out.append(text))
    return "".join(out)


CANDIDATES = {
    "pypdfium2 glyphs+boxes→lines (raw)": glyphs_pypdfium2,
    "pdfminer.six glyphs+boxes (LTChar)": glyphs_pdfminer,
    "pdfplumber glyphs+boxes (.chars)": glyphs_pdfplumber,
    "pypdf text runs+matrix (visitor)": glyphs_pypdf,

    "pypdfium2 (get_text_range)": with_pypdfium2,
    "pdfminer.six (extract_text)": with_pdfminer,
    "pdfplumber (extract_text)": with_pdfplumber,
    "pypdf (extract_text)": with_pypdf,
    "this reader (pypdfium2 + layout)": with_reader,
}


GLYPH_CANDIDATES = frozenset(list(CANDIDATES)[:4])


def unbroken(text: str) -> str:
    return re.sub(r"[\r\n\x0c]+", "", text)


def whole_share(text: str, paragraphs: list[str]) -> float:
    flat = unbroken(text)
    return sum(paragraph in flat for paragraph in paragraphs) / len(paragraphs)


def char_share(text: str, paragraphs: list[str]) -> float:
    expected = Counter("".join(paragraphs))
    found = Counter(unbroken(text))
    return sum(min(count, found[ch]) for ch, count in expected.items()) / sum(expected.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=4, help="times the three seed articles are repeated per file")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per candidate (the best counts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = build_corpus(Path(folder), args.copies)
        pages = sum(count for *_, count in corpus)
        print(f"{len(corpus)} PDFs, {pages} pages, "
              f"{sum(len(''.join(p)) for _, _, p, _ in corpus)} characters of body text\n")
        header = f"{'candidate':36} {'pages/s':>8}  " + "  ".join(f"{'L' + str(n)} whole/chars" for n in range(len(corpus)))
        print(header)
        for name, extract in CANDIDATES.items():
            try:
                extract(corpus[0][0])  # imports and first-call set-up are not measured
            except ImportError as exc:
                print(f"{name:36} not installed ({exc.name})")
                continue
            best = float("inf")
            outputs: list[str] = []
            for _ in range(args.runs):
                started = time.process_time()
                outputs = [extract(path) for path, *_ in corpus]
                best = min(best, time.process_time() - started)
            # Glyphs come in content order, before any layout: only their characters are scored.
            glyphs = name in GLYPH_CANDIDATES
            scores = "  ".join(
                f"{'-' if glyphs else format(whole_share(text, paragraphs), '.2f'):>8}/{char_share(text, paragraphs):.3f}"
                for text, (_, _, paragraphs, _) in zip(outputs, corpus))
            print(f"{name:36} {pages / best:8.1f}  {scores}")
        print("\nlayouts:")
        for n, (_, layout, paragraphs, count) in enumerate(corpus):
            print(f"  L{n}: {layout}, {count} pages, {len(paragraphs)} paragraphs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
