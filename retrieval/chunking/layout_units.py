"""Blocks → units: the paragraphs, rows and headings one block holds.

Inside a block the lines of one paragraph are joined back: a line that does
not end a sentence always goes on in the next one, and a line as wide as the
wrap goes on even after a full stop, unless the next line is indented as a
paragraph's first line is. Short lines that stand together (verse, a list, a
contact block, a table) and fenced code keep their line breaks as one unit.
Whether a block that is a single line is a heading is decided later, with the
blocks around it in view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.chunking.layout_lines import Block, Line, is_full, tolerance
from retrieval.chunking.line_shapes import (
    LINE_END_PUNCTUATION,
    heading_shape,
    is_bullet,
    is_field,
    is_name_list,
    is_table_row,
    list_style,
    numbering,
)
from retrieval.chunking.paragraphs import Piece
from retrieval.sentences import ends_paragraph

PROSE, ROWS, HEADING = "prose", "rows", "heading"
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
VERSE_MAX_WIDTH = 16
FIELD_MAX_WIDTH = 30
_HYPHENATED = re.compile(r"[a-z]-$")


@dataclass
class Unit:
    kind: str
    pieces: list[Piece]
    heading: str = ""  # the heading's text, for HEADING units and single-line blocks
    candidate: bool = False  # a block's only line, not indented: a heading if its neighbours agree
    style: str | None = None  # numbering style of a heading
    explicit: bool = False  # a Markdown "#" heading, not a guess

    @property
    def first_text(self) -> str:
        return self.pieces[0].text if self.pieces else ""


def block_units(block: Block, doc_text: str, widths: tuple[int, ...], markdown: bool) -> list[Unit]:
    lines = block.lines
    if block.code:
        first, last = lines[0], lines[-1]
        start = first.start - first.indent
        return [Unit(ROWS, [Piece(doc_text[start:last.end], start, last.end, first.number)])]
    if len(lines) == 1:
        return [_single(lines[0], markdown)]
    if _is_verse(lines, widths) and not any(_md_heading(line, markdown) for line in lines):
        return [_rows(lines)]
    return list(_segment(lines, widths, markdown))


def _single(line: Line, markdown: bool) -> Unit:
    md = _md_heading(line, markdown)
    if md:
        return Unit(HEADING, [_piece(line)], heading=md, explicit=True)
    # A table row, a list item or a list of names stands alone: it does not
    # carry on a cut sentence before it.
    if is_table_row(line.text) or is_bullet(line.text) or is_name_list(line.text):
        return _rows([line])
    number = numbering(line.text)
    # Indented as a paragraph's first line is, it is one (the first half of a
    # cut paragraph), whatever it looks like.
    candidate = line.indent < 2
    return Unit(PROSE, [_piece(line)], heading=line.text, candidate=candidate, style=number[0] if number else None)


def _segment(lines: list[Line], widths, markdown: bool):
    i = 0
    while i < len(lines):
        line = lines[i]
        md = _md_heading(line, markdown)
        if md:
            yield Unit(HEADING, [_piece(line)], heading=md, explicit=True)
            i += 1
            continue
        run = _row_run(lines, i, widths)
        if run > 1:
            yield _rows(lines[i:i + run])
            i += run
            continue
        number = numbering(line.text)
        if number and heading_shape(line.text):
            yield Unit(HEADING, [_piece(line)], heading=line.text, style=number[0])
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and _goes_on(lines, j, i, widths, markdown):
            j += 1
        yield Unit(PROSE, _prose_pieces(lines[i:j + 1]))
        i = j + 1


def _md_heading(line: Line, markdown: bool) -> str:
    match = MD_HEADING.match(line.text) if markdown else None
    return match.group(2).strip() if match else ""


def _row_run(lines: list[Line], i: int, widths) -> int:
    """How many lines from ``i`` on form a table, a list, a contact block or verse."""
    kind = _row_kind(lines[i], widths)
    if kind is not None:
        n = 1
        while i + n < len(lines) and _row_kind(lines[i + n], widths) == kind:
            n += 1
        return n
    n = 0
    while i + n < len(lines) and _short(lines[i + n], widths):
        n += 1
    return n if n >= 3 and _is_verse(lines[i:i + n], widths) else 0


def _row_kind(line: Line, widths) -> str | None:
    if is_table_row(line.text):
        return "table"
    return list_style(line.text) or ("field" if _field_line(line, widths) else None)


def _field_line(line: Line, widths) -> bool:
    return line.width <= FIELD_MAX_WIDTH and is_field(line.text) and not is_full(line, widths)


def _short(line: Line, widths) -> bool:
    narrowest = min(widths, default=None)
    return line.width <= VERSE_MAX_WIDTH and (narrowest is None or line.width < narrowest - tolerance(narrowest))


def _is_verse(lines: list[Line], widths) -> bool:
    """Short lines together, not all of them whole sentences (one-sentence
    paragraphs one per line are paragraphs, not verse), unless they are cut
    to one pattern as regulated verse is ("床前明月光，疑是地上霜。")."""
    if len(lines) < 2 or not all(_short(line, widths) for line in lines):
        return False
    return not all(ends_paragraph(line.text) for line in lines) or _regular(lines)


def _regular(lines: list[Line]) -> bool:
    marks = {tuple(i for i, c in enumerate(line.text) if c in LINE_END_PUNCTUATION) for line in lines}
    return len({len(line.text) for line in lines}) == 1 and len(marks) == 1 and len(next(iter(marks))) >= 2


def _goes_on(lines: list[Line], j: int, start: int, widths, markdown: bool) -> bool:
    """Whether line ``j + 1`` is still the paragraph that began at ``start``."""
    line, following = lines[j], lines[j + 1]
    after = lines[j + 2] if j + 2 < len(lines) else None
    if _md_heading(following, markdown) or is_table_row(following.text):
        return False
    kind = _row_kind(following, widths)
    if kind is not None and after is not None and _row_kind(after, widths) == kind:
        return False  # a list or a contact block starts
    if not ends_paragraph(line.text):
        return True
    if numbering(following.text) and heading_shape(following.text):
        return False
    # A line as wide as the wrap, or as the paragraph's line before it, or
    # as a next line that breaks mid-sentence, was broken by the layout even
    # at a full stop. A paragraph's first line is indented by two characters
    # or more; one space at a line's start is the space before a word that
    # wrapped there.
    wrapped = (
        is_full(line, widths)
        or j > start and _as_wide(lines[j - 1], line)
        or _as_wide(line, following) and not ends_paragraph(following.text)
    )
    return wrapped and following.indent < line.indent + 2


def _as_wide(a: Line, b: Line) -> bool:
    return min(len(a.text), len(b.text)) >= VERSE_MAX_WIDTH and (
        abs(a.width - b.width) <= 1 or abs(len(a.text) - len(b.text)) <= 1
    )


def _hyphenated(text: str) -> bool:
    """"…hyphen-" in a Latin line; "zh-" in Chinese text is markup, not a word split."""
    if not _HYPHENATED.search(text):
        return False
    letters = sum(c.isascii() and c.isalpha() for c in text)
    return 2 * letters >= len(text.replace(" ", ""))


def _rows(lines: list[Line]) -> Unit:
    first, last = lines[0], lines[-1]
    return Unit(ROWS, [Piece("\n".join(line.text for line in lines), first.start, last.end, first.number)])


def _piece(line: Line) -> Piece:
    return Piece(line.text, line.start, line.end, line.number)


def _prose_pieces(lines: list[Line]) -> list[Piece]:
    """One piece per line, except that a word hyphenated at a line's end
    ("hyphen-" + "ation") is one piece again, without the hyphen."""
    pieces: list[Piece] = []
    for line in lines:
        previous = pieces[-1] if pieces else None
        if previous is not None and _hyphenated(previous.text) and line.text[:1].islower():
            pieces[-1] = Piece(previous.text[:-1] + line.text, previous.start, line.end, previous.line)
        else:
            pieces.append(_piece(line))
    return pieces
