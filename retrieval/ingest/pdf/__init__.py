"""``.pdf``: text PDFs → paragraphs, headings and table rows with their pages.

The steps, one module each:

* ``extract``: pdfium gives every glyph with its box, size and weight; they
  become lines (``lines``), and glyphs inside ruled tables become cells
  (``tables``).
* ``furniture``: running headers, footers and page numbers are dropped.
* ``layout``: each page's lines are put in reading order, column by column.
* ``paragraphs``: lines become paragraphs by indent, spacing and short last
  lines, across columns and pages (joined as ``text`` says: no space in
  Chinese); larger or bold short lines become headings.

Problems name the pages: scanned pages without text, pages whose fonts have
no Unicode map, pages whose text is turned sideways, pages pdfium cannot
load, files over RETRIEVAL_MAX_PAGES.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from retrieval.ingest.characters import CID_JUNK, cid_share
from retrieval.ingest.model import Document, Problem, blocks_text
from retrieval.ingest.pdf.extract import Page, read_page
from retrieval.ingest.pdf.furniture import remove_furniture
from retrieval.ingest.pdf.layout import reading_order
from retrieval.ingest.pdf.lines import body_size
from retrieval.ingest.pdf.paragraphs import Flow, assemble
from retrieval.ingest.readers import Limits


ENCRYPTED = "is encrypted; nothing indexed (remove the password and add it again)"
_LOAD_ERRORS = {
    pdfium_c.FPDF_ERR_FILE: "the file could not be opened",
    pdfium_c.FPDF_ERR_FORMAT: "no readable PDF structure in it",
    pdfium_c.FPDF_ERR_PAGE: "its pages cannot be found",
}
# What generators write when nobody set a title or an author (reportlab:
# "untitled", "(anonymous)"), and file names standing in for a title.
_PLACEHOLDER_META = re.compile(
    r"^[(\[]?(untitled|anonymous|unknown|unspecified|none|title|document|author|无标题|未命名)[)\]]?$"
    r"|^microsoft word\s*-|\.(docx?|pdf|tex|rtf|indd|wps)$",
    re.I,
)
_BYLINE_PREFIX = re.compile(r"^(作者|撰文|文|记者|作\s*者)\s*[:：/／|｜]\s*")


def read(path: Path, name: str, limits: Limits | None = None, progress=None) -> tuple[list[Document], list[Problem]]:
    limits = limits or Limits()
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            return [], [Problem(name, ENCRYPTED)]
        reason = _damage(path) or _LOAD_ERRORS.get(exc.err_code, str(exc))
        return [], [Problem(name, f"is damaged or not a PDF: {reason}; nothing indexed from it")]
    except OSError as exc:
        return [], [Problem(name, f"cannot read: {exc.strerror or exc}")]
    try:
        return _read(pdf, name, limits, progress)
    except MemoryError:
        raise  # the worker reports the memory limit
    except Exception as exc:  # noqa: BLE001 - a layout bug on odd content costs this file, not the run
        return [], [Problem(name, f"could not be read ({type(exc).__name__}: {exc}); nothing indexed from it")]
    finally:
        pdf.close()


def _read(pdf, name: str, limits: Limits, progress) -> tuple[list[Document], list[Problem]]:
    problems: list[Problem] = []
    total = len(pdf)
    if total <= 0:
        return [], [Problem(name, "is damaged or not a PDF: it has no pages; nothing indexed from it")]
    count = min(total, limits.max_pages)
    if count < total:
        problems.append(Problem(
            name, f"has {total} pages, more than the limit of {limits.max_pages}; only pages 1–{count} "
            "were indexed (raise RETRIEVAL_MAX_PAGES to read them all)", page=count + 1))

    pages: list[Page] = []
    failed: list[tuple[int, str]] = []
    fonts: dict = {}
    for index in range(count):
        try:
            pages.append(read_page(pdf.raw, index, fonts))
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - one odd page is skipped, not the file
            failed.append((index + 1, str(exc) or type(exc).__name__))
        if progress:
            progress(index + 1, count)

    for first, last, reason in _ranges(failed):
        problems.append(Problem(name, f"{_pages(first, last)} could not be read ({reason}); "
                                f"nothing indexed from {_it(first, last)}", page=first))
    scanned = [(p.number, "") for p in pages if p.glyphs == 0 and p.junk == 0 and p.images]
    for first, last, _ in _ranges(scanned):
        problems.append(Problem(name, f"{_pages(first, last)} {_have(first, last)} no text layer (scanned?); "
                                f"nothing indexed from {_it(first, last)}", page=first))
    undecodable = [(p.number, "") for p in pages if _mostly_junk(p)]
    for first, last, _ in _ranges(undecodable):
        problems.append(Problem(
            name, f"{_pages(first, last)}: most characters have no Unicode mapping in the fonts "
            f"(they read as (cid:N)); nothing indexed from {_it(first, last)} (a PDF printed with "
            "embedded Unicode fonts, or OCR, would fix it)", page=first))
    sideways = [(p.number, "") for p in pages if p.rotated > max(p.glyphs, 20)]
    for first, last, _ in _ranges(sideways):
        problems.append(Problem(
            name, f"{_pages(first, last)}: the text is turned sideways; nothing indexed from "
            f"{_it(first, last)} (turned text is left out, as watermarks are)", page=first))
    junk_pages = {number for number, _ in undecodable}
    for page in pages:
        if page.number in junk_pages:
            page.lines = []

    remove_furniture(pages)
    em = body_size(line for page in pages for line in page.lines) or 10.0
    flows = [Flow(lines, page.number) for page in pages for lines in reading_order(page.lines, em)]
    labels = _labels(pdf, count)
    blocks, heading_title, byline = assemble(flows, labels)
    blocks = [b for b in map(_without_cid, blocks) if b.text]
    if not blocks:
        if not problems:
            problems.append(Problem(name, "has no text (only drawings, or text drawn as outlines); "
                                    "nothing indexed from it"))
        return [], problems

    meta = _metadata(pdf)
    title = meta.get("Title") or heading_title or Path(name).stem
    author = meta.get("Author") or _BYLINE_PREFIX.sub("", byline)
    document = Document(
        doc_id=Path(name).with_suffix("").as_posix(), text=blocks_text(blocks), source_path=name,
        title=title, author=author, blocks=tuple(blocks), pages=total,
    )
    return [document], problems


def _damage(path: Path) -> str:
    """What is visibly wrong with a file pdfium cannot open, if anything."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
            handle.seek(max(0, handle.seek(0, 2) - 2048))
            tail = handle.read()
    except OSError:
        return ""
    if not head:
        return "the file is empty"
    if b"%PDF" not in head:
        return "it does not start with %PDF"
    if b"%%EOF" not in tail:
        return "it ends early (truncated?)"
    return ""


def _mostly_junk(page: Page) -> bool:
    # Ideographs of CJK Extension A are rare in real text but common in CIDs
    # read through the wrong map, so they count against a page.
    if page.junk + page.rare and page.junk + page.rare >= 0.5 * (page.glyphs + page.junk):
        return True
    text = "".join(line.text for line in page.lines if not line.is_table)
    return cid_share(text) > 0.5


def _without_cid(block):
    if "(cid:" not in block.text:
        return block
    return replace(block, text=" ".join(CID_JUNK.sub(" ", block.text).split()))


def _labels(pdf, count: int) -> dict[int, str]:
    """Printed page labels by physical page, when the file defines them."""
    labels = {}
    for index in range(count):
        try:
            label = pdf.get_page_label(index)
        except (pdfium.PdfiumError, UnicodeDecodeError, ValueError):
            label = ""
        if label:
            labels[index + 1] = label
    return labels


def _metadata(pdf) -> dict[str, str]:
    try:
        meta = pdf.get_metadata_dict(skip_empty=True)
    except (pdfium.PdfiumError, UnicodeDecodeError, ValueError):
        return {}
    out = {}
    for key in ("Title", "Author"):
        value = " ".join(str(meta.get(key, "")).split())
        if value and "\ufffd" not in value and not _PLACEHOLDER_META.search(value):
            out[key] = value
    return out


def _ranges(numbers: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """(page, reason) pairs → runs of consecutive pages (first, last, first reason)."""
    runs: list[tuple[int, int, str]] = []
    for number, reason in sorted(numbers):
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number, runs[-1][2])
        else:
            runs.append((number, number, reason))
    return runs


def _pages(first: int, last: int) -> str:
    return f"page {first}" if first == last else f"pages {first}–{last}"


def _have(first: int, last: int) -> str:
    return "has" if first == last else "have"


def _it(first: int, last: int) -> str:
    return "it" if first == last else "them"
