"""Page furniture: running headers and footers, page numbers.

A line is furniture when it sits in the first or last rows of its page and
either reads as a page number ("— 12 —", "第 3 页", "Page 3 of 9", a bare
number) or repeats on many pages once its digits are masked (a journal's
name and issue, "第3期", the article's short title). Body text does not
repeat at the same edge of page after page.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from retrieval.ingest.pdf.extract import Page
from retrieval.ingest.pdf.lines import Line, body_size

_ROMAN = r"(?=[ivxlcdm]+$)m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
PAGE_NUMBER = re.compile(
    r"^(?:"
    r"[-–—−_~·•*\s]*[(\[（]?\d{1,4}[)\]）]?[-–—−_~·•*\s]*"  # 12, - 12 -, — 12 —, (12)
    r"|第\s*\d{1,4}\s*页(?:\s*[/,，、]?\s*共\s*\d{1,4}\s*页)?"  # 第 3 页, 第3页/共9页
    r"|共\s*\d{1,4}\s*页\s*[,，、]?\s*第\s*\d{1,4}\s*页"
    r"|(?:page|p\.?)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?"  # Page 3, Page 3 of 9
    r"|\d{1,4}\s*(?:/|of)\s*\d{1,4}"  # 3 / 9
    rf"|[-–—\s]*{_ROMAN}[-–—\s]*"  # front matter: iv
    r")$",
    re.I,
)
EDGE_ROWS = 2  # rows at the top and at the bottom of a page that may be furniture
EDGE_SHARE = 0.15  # … and only within this share of the page height from its edge
REPEAT_SHARE = 0.3  # a line on at least this share of the pages repeats
MARGIN_SHARE = 0.08  # small type this close to the edge, set apart, is furniture even once


def is_page_number(text: str) -> bool:
    text = text.strip()
    return bool(text) and len(text) <= 24 and bool(PAGE_NUMBER.match(text))


def remove_furniture(pages: list[Page]) -> int:
    """Drop headers, footers and page numbers from ``pages`` in place; how many lines went."""
    edges = {page.number: _edge_lines(page) for page in pages}
    seen = Counter()
    for lines in edges.values():
        seen.update({_key(line, zone) for line, zone in lines})
    with_text = sum(1 for page in pages if page.lines)
    repeated = max(2, math.ceil(REPEAT_SHARE * with_text))
    body = body_size(line for page in pages for line in page.lines)
    removed = 0
    for page in pages:
        # A running header may change with the chapter: then it repeats on
        # fewer pages, but it is still set smaller than the body.
        drop = {id(line) for line, zone in edges[page.number]
                if is_page_number(line.text) or seen[_key(line, zone)] >= repeated
                or (line.size < body - 0.5 and (seen[_key(line, zone)] >= 2 or _in_margin(line, zone, page, body)))}
        if drop:
            removed += len(drop)
            page.lines = [line for line in page.lines if id(line) not in drop]
    return removed


def _in_margin(line: Line, zone: str, page: Page, body: float) -> bool:
    """Small type in the page's top or bottom margin, a clear gap away from
    the text: a header or footer, which a one-page file cannot show by repeating."""
    if zone == "top" and line.top > page.height * MARGIN_SHARE:
        return False
    if zone == "bottom" and line.bottom < page.height * (1 - MARGIN_SHARE):
        return False
    gap = 1.2 * body
    for other in page.lines:
        if other is line or (other.size < body - 0.5 and _near_edge(other, zone, page)):
            continue  # the rest of the header or footer
        if other.top - gap < line.bottom and line.top < other.bottom + gap:
            return False
    return True


def _near_edge(line: Line, zone: str, page: Page) -> bool:
    if zone == "top":
        return line.top <= page.height * MARGIN_SHARE
    return line.bottom >= page.height * (1 - MARGIN_SHARE)


def _edge_lines(page: Page) -> list[tuple[Line, str]]:
    text_lines = [line for line in page.lines if not line.is_table and line.text.strip()]
    rows: list[float] = []
    for base in sorted(line.base for line in text_lines):
        if not rows or base - rows[-1] > 2.0:
            rows.append(base)
    if not rows:
        return []
    top_limit = rows[min(EDGE_ROWS, len(rows)) - 1]
    bottom_limit = rows[max(len(rows) - EDGE_ROWS, 0)]
    out = []
    for line in text_lines:
        if line.base <= top_limit + 2.0 and line.top <= page.height * EDGE_SHARE:
            out.append((line, "top"))
        elif line.base >= bottom_limit - 2.0 and line.bottom >= page.height * (1 - EDGE_SHARE):
            out.append((line, "bottom"))
    return out


def _key(line: Line, zone: str) -> tuple[str, str, int]:
    masked = re.sub(r"\d+", "#", "".join(line.text.split())).lower()
    return zone, masked, round(line.size)
