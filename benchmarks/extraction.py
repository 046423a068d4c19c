"""Extraction throughput per format, through the real pipeline, in one run.

Usage: python benchmarks/extraction.py [--articles 60]

Writes the same Chinese articles (DRCD dev, every article with two or more
paragraphs) as PDF (two columns), DOCX, HTML and EPUB with
``scripts/format_samples.py``, then reads them as ``index`` does: the readers
in their isolated worker processes (two, or one per core if fewer). The
workers' start-up (a Python process importing the parser library, once per
build) is timed apart from the steady rate. Each format is also read by a reference that only pulls the raw
text out (no layout, no furniture, no structure), in this process, to show
what the structure costs:

* PDF: pdfminer.six ``extract_text`` and pypdfium2 ``get_text_range``;
* DOCX: python-docx paragraphs; HTML: lxml ``text_content``; EPUB: zipfile + lxml.

Prints pages/s (PDF) or MB/s, per run and per core, and the ratio to each reference.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import format_samples as samples  # noqa: E402

from retrieval.ingest.isolation import IsolatedReaders  # noqa: E402
from retrieval.ingest.model import CorpusFile  # noqa: E402
from retrieval.ingest.readers import Limits  # noqa: E402

DRCD_DEV = ROOT.parent / "shared" / "eval" / "data" / "drcd" / "DRCD_dev.json"


def articles(limit: int) -> list[samples.Article]:
    data = json.loads(DRCD_DEV.read_text(encoding="utf-8"))["data"]
    chosen = [e for e in data if len(e["paragraphs"]) >= 2][:limit]
    return [samples.Article(e["title"], "作者甲", [p["context"] for p in e["paragraphs"]]) for e in chosen]


def pdf_pages(path: Path) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def reference_readers():
    def pdfminer_text(path: Path) -> str:
        from pdfminer.high_level import extract_text

        return extract_text(str(path))

    def pdfium_text(path: Path) -> str:
        import pypdfium2

        document = pypdfium2.PdfDocument(str(path))
        try:
            return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
        finally:
            document.close()

    def docx_text(path: Path) -> str:
        import docx

        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)

    def html_text(path: Path) -> str:
        import lxml.html

        return lxml.html.fromstring(path.read_bytes()).text_content()

    def epub_text(path: Path) -> str:
        import lxml.html

        with zipfile.ZipFile(path) as book:
            return "".join(lxml.html.fromstring(book.read(n)).text_content()
                           for n in book.namelist() if n.endswith(".xhtml"))

    return {
        "pdf": {"pdfminer.six extract_text": pdfminer_text, "pypdfium2 get_text_range": pdfium_text},
        "docx": {"python-docx paragraphs": docx_text},
        "html": {"lxml text_content": html_text},
        "epub": {"zipfile + lxml text_content": epub_text},
    }


WRITERS = {
    "pdf": (".pdf", lambda a: samples.pdf_bytes(a, columns=2)),
    "docx": (".docx", samples.docx_bytes),
    "html": (".html", samples.html_bytes),
    "epub": (".epub", samples.epub_bytes),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=60)
    args = parser.parse_args()
    chosen = articles(args.articles)
    references = reference_readers()
    workers = IsolatedReaders().size
    print(f"{len(chosen)} articles (DRCD dev), {workers} worker processes, {os.cpu_count()} cores")
    print(f"{'format':<7}{'files':>6}{'MB':>7}{'pages':>7}{'start-up':>9}{'seconds':>9}{'rate':>16}{'per core':>16}  reference: ratio (ours ÷ reference time)")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, (suffix, write) in WRITERS.items():
            folder = Path(tmp) / fmt
            folder.mkdir()
            files = []
            for number, article in enumerate(chosen):
                path = folder / f"a{number:03d}{suffix}"
                path.write_bytes(write(article))
                files.append(CorpusFile(path, path.name))
            megabytes = sum(f.path.stat().st_size for f in files) / 2**20
            pages = sum(pdf_pages(f.path) for f in files) if fmt == "pdf" else None

            with IsolatedReaders(Limits(), workers=workers) as readers:
                begun = time.perf_counter()
                list(readers.read_all(files[:workers]))  # starts every worker
                start_up = time.perf_counter() - begun
                started = time.perf_counter()
                outcomes = [outcome for _, outcome in readers.read_all(files)]
                seconds = time.perf_counter() - started
            assert all(documents for documents, _ in outcomes), f"{fmt}: a file gave nothing"

            amount, unit = (pages, "pages/s") if pages else (megabytes, "MB/s")
            rate = amount / seconds
            ratios = []
            for name, reference in references[fmt].items():
                begun = time.perf_counter()
                for corpus_file in files:
                    reference(corpus_file.path)
                ratios.append(f"{name} {seconds / (time.perf_counter() - begun):.2f}")
            print(f"{fmt:<7}{len(files):>6}{megabytes:>7.1f}{pages or '—':>7}{start_up:>9.2f}{seconds:>9.2f}"
                  f"{rate:>10.1f} {unit:<6}{rate / workers:>10.1f} {unit:<6}  {'; '.join(ratios)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
