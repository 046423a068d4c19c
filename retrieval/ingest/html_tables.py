"""HTML tables: data becomes one "header: value; header: value" line per row;
layout (old government sites are tables inside tables) is not a table at all.
"""

from __future__ import annotations

from retrieval.ingest.html_text import BLOCK_TAGS, SKIPPED, normalize, raw_chars
from retrieval.ingest.table_rows import header_value_rows

_LAYOUT_INSIDE = ("table", "div", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "section",
                  "article", "form", "iframe", "blockquote", "header", "footer", "nav", "aside")
# A cell longer than this is a column of the page, not of a table.
MAX_CELL_CHARS = 300


def is_data_table(table) -> bool:
    """Rows of short cells. A table holding blocks, long text or a single
    column is a frame around the page, and its cells are read as blocks."""
    for inner in table.iter(*_LAYOUT_INSIDE):
        if inner is not table:
            return False
    widest = 0
    for row in table.iter("tr"):
        cells = [cell for cell in row if cell.tag in ("td", "th")]
        widest = max(widest, len(cells))
        for cell in cells:
            if sum(1 for _ in cell.iter("p")) > 1 or raw_chars("".join(cell.itertext())) > MAX_CELL_CHARS:
                return False
    return widest >= 2


def table_rows(table) -> list[tuple[str, int]]:
    """(line, link characters) per row. The first row names the columns,
    unless every row starts with a <th>: then that cell names its row."""
    grid = []
    for row in table.iter("tr"):
        column, entries = 0, []
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            text, links = _cell_text(cell)
            span = _span(cell)
            entries.append((column, span, text, links, cell.tag == "th"))
            column += span
        if any(entry[2] for entry in entries):
            grid.append(entries)
    if not grid:
        return []
    named_rows = len(grid) > 1 and all(row[0][4] for row in grid) and not all(e[4] for e in grid[0])
    lines = header_value_rows([[e[:3] for e in row] for row in grid], named_rows=named_rows)
    body = grid if named_rows or len(grid) == 1 else grid[1:]
    return [(line, sum(e[3] for e in row if e[2])) for line, row in zip(lines, body)]


def _span(cell) -> int:
    try:
        return max(1, min(int(cell.get("colspan") or 1), 100))
    except ValueError:
        return 1


def _cell_text(cell) -> tuple[str, int]:
    parts: list[str] = []
    links = 0

    def add(text, in_link):
        nonlocal links
        if text:
            parts.append(text)
            links += raw_chars(text) if in_link else 0

    add(cell.text, False)
    # (node, inside a link where it sits, leaving); a tail sits in the parent.
    stack = [(child, False, False) for child in reversed(cell)]
    while stack:
        element, in_link, leaving = stack.pop()
        tag = element.tag if isinstance(element.tag, str) else ""
        if leaving:
            if tag in BLOCK_TAGS:
                parts.append(" ")
            add(element.tail, in_link)
            continue
        if not tag or tag in SKIPPED or tag == "br":
            parts.append(" " if tag == "br" else "")
            add(element.tail, in_link)
            continue
        inside = in_link or tag == "a"
        if tag in BLOCK_TAGS:
            parts.append(" ")
        add(element.text, inside)
        stack.append((element, in_link, True))
        stack.extend((child, inside, False) for child in reversed(element))
    return normalize("".join(parts)), links
