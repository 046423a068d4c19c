"""What an upload to a chat's library costs, against rebuilding that library from scratch.

    .venv/bin/python benchmarks/library_upload.py [--pages 60] [--documents 5]

A library of ``--documents`` PDFs (generated with reportlab from DRCD dev
articles, ``--pages`` pages each) over the bundled shared corpus, then one
more PDF of the same size. Printed, in one run:

* add one PDF (read, index, example questions) with the library's caches;
* remove it again;
* a full rebuild of the same library without caches (what adding would cost
  if every upload re-read and re-tokenized every file), and the ratio;
* how many paragraphs each step tokenized;
* the latency of questions asked while the upload is being indexed, against
  the same questions with nothing else running.

Wall time on a shared 2-core machine: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.libraries import Libraries, Uploader, scope_for_chat  # noqa: E402
from retrieval import open_engine  # noqa: E402
from retrieval.index import tokenizing  # noqa: E402
from tests.pdf_fixtures import build_pages, split_cjk, text_lines  # noqa: E402

DRCD_DEV = ROOT.parent / "shared" / "eval" / "data" / "drcd" / "DRCD_dev.json"


def articles(count: int, pages: int) -> list[tuple[str, list[list[str]]]]:
    data = json.loads(DRCD_DEV.read_text(encoding="utf-8"))["data"]
    made = []
    for article in data[:count]:
        lines = []
        for paragraph in article["paragraphs"]:
            lines += split_cjk(paragraph["context"], 36) + [""]
        per_page = 40
        chunks = [lines[i:i + per_page] for i in range(0, len(lines), per_page)] or [[article["title"]]]
        while len(chunks) < pages:
            chunks += chunks
        made.append((article["title"], chunks[:pages]))
    return made


def make_pdf(folder: Path, title: str, page_lines: list[list[str]]) -> Path:
    path = folder / f"{title[:20]}.pdf"
    build_pages(path, [text_lines(lines, top=800, leading=18) for lines in page_lines], title=title)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--documents", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="library-bench-"))
    sources = work / "sources"
    sources.mkdir()
    specs = articles(args.documents + 1, args.pages)
    pdfs = [make_pdf(sources, title, pages) for title, pages in specs]
    shared, _ = open_engine()
    libraries = Libraries(work / "data", lambda: shared, [ROOT / "seeds"])
    scope = scope_for_chat("supergroup", -1)
    tokenized = []
    real = tokenizing._tokenize

    def counting(analyzer, texts, workers):
        tokenized.append(len(texts))
        return real(analyzer, texts, workers)

    tokenizing._tokenize = counting

    async def add(pdf: Path):
        staged = libraries.staging_path(scope, pdf.name)
        shutil.copy(pdf, staged)
        return await libraries.add(scope, staged, pdf.name, Uploader(1, "bench"))

    async def run():
        for pdf in pdfs[:-1]:
            await add(pdf)
        questions = [q["question"] for a in json.loads(DRCD_DEV.read_text(encoding="utf-8"))["data"][:args.documents]
                     for p in a["paragraphs"] for q in p["qas"]][:200]
        view = await libraries.view(scope)
        quiet = []
        for q in questions:
            t = time.perf_counter()
            view.engine.ask(q)
            quiet.append(time.perf_counter() - t)

        tokenized.clear()
        started = time.perf_counter()
        added = await add(pdfs[-1])
        add_seconds = time.perf_counter() - started
        add_tokenized = sum(tokenized)

        tokenized.clear()
        started = time.perf_counter()
        await libraries.remove(scope, added.document.doc_id)
        remove_seconds = time.perf_counter() - started
        remove_tokenized = sum(tokenized)

        busy: list[float] = []
        stop = threading.Event()

        def asker():  # another chat's questions, answered from the engine in use
            while not stop.is_set():
                for q in questions:
                    if stop.is_set():
                        break
                    t = time.perf_counter()
                    view.engine.ask(q)
                    busy.append(time.perf_counter() - t)

        thread = threading.Thread(target=asker)
        thread.start()
        started = time.perf_counter()
        await add(pdfs[-1])  # again (its parse is cached now), with questions asked all the while
        busy_add_seconds = time.perf_counter() - started
        stop.set()
        thread.join()
        folder = libraries.folder(scope)
        tokenized.clear()
        scratch = work / "scratch-index"
        started = time.perf_counter()
        open_engine([ROOT / "seeds", folder.files], scratch)
        rebuild_seconds = time.perf_counter() - started
        return (added, add_seconds, add_tokenized, remove_seconds, remove_tokenized, rebuild_seconds, sum(tokenized),
                quiet, busy, busy_add_seconds)

    added, add_s, add_tok, remove_s, remove_tok, rebuild_s, rebuild_tok, quiet, busy, busy_add_s = asyncio.run(run())
    libraries.close()
    print(f"library: bundled corpus + {args.documents} PDFs of {args.pages} pages; then one more ({added.document.paragraphs} paragraphs)")
    print(f"{'step':<34}{'seconds':>9}{'paragraphs tokenized':>22}")
    print(f"{'add one PDF (with caches)':<34}{add_s:>9.2f}{add_tok:>22}")
    print(f"{'remove it':<34}{remove_s:>9.2f}{remove_tok:>22}")
    print(f"{'rebuild the library, no caches':<34}{rebuild_s:>9.2f}{rebuild_tok:>22}")
    print(f"add ÷ full rebuild: {add_s / rebuild_s:.2f}; remove ÷ full rebuild: {remove_s / rebuild_s:.2f}")
    p50q, p50b = statistics.median(quiet) * 1000, statistics.median(busy) * 1000
    p95b = sorted(busy)[int(0.95 * (len(busy) - 1))] * 1000 if busy else float("nan")
    print(f"questions meanwhile: {len(busy)} answered back to back during a re-upload ({busy_add_s:.1f} s), p50 {p50b:.1f} ms (p95 {p95b:.1f}) "
          f"against {p50q:.1f} ms with nothing else running ({p50b / p50q:.1f}×)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
