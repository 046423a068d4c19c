"""A plain-text document as lines and blocks, and the width it was wrapped at.

A block is a run of lines between blank lines; a fenced code block (``` …
```) is one block whatever it holds. The wrap width is what tells a hard
line break from a paragraph's end: lines broken by a layout tool are all
about as wide, and end anywhere, mostly not at punctuation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from retrieval.chunking.line_shapes import LINE_END_PUNCTUATION, is_table_row
from retrieval.ingest.model import Document
from retrieval.ingest.text import split_lines

_FENCES = ("```", "~~~")
_MIN_WRAP = 10  # narrower "wrapping" is verse or a list, not layout
_SURE_WRAP = 20  # lines this wide and exactly as wide as each other are no coincidence


@dataclass(frozen=True)
class Line:
    text: str  # stripped
    start: int  # offset of the stripped text in the document's text
    end: int
    number: int  # file line
    indent: int  # leading whitespace, in characters
    width: int  # indent and text


@dataclass
class Block:
    lines: list[Line]
    code: bool = False


def document_blocks(doc: Document) -> list[Block]:
    blocks: list[Block] = []
    current: list[Line] = []
    fence: str | None = None
    lines = list(_lines(doc))
    closes = _closed_fences(lines)
    for index, line in enumerate(lines):
        if fence is not None:
            current.append(line)
            if line.text.startswith(fence) and line.text.strip("`~ ") == "":
                blocks.append(Block(current, code=True))
                current, fence = [], None
            continue
        if line.text.startswith(_FENCES) and index in closes:
            if current:
                blocks.append(Block(current))
            current, fence = [line], line.text[:3]
            continue
        if not line.text:
            if current:
                blocks.append(Block(current))
            current = []
            continue
        current.append(line)
    if current:  # only fences that close are opened: this is text
        blocks.append(Block(current))
    return blocks


def _lines(doc: Document):
    offset = 0
    for index, raw in enumerate(split_lines(doc.text)):
        content = raw.rstrip("\r\n")
        indent = len(content) - len(content.lstrip())
        stripped = content.strip()
        start = offset + indent
        yield Line(stripped, start, start + len(stripped), doc.first_line + index, indent, indent + len(stripped))
        offset += len(raw)


def _closed_fences(lines: list[Line]) -> set[int]:
    """Indexes of the lines that open a fence some later line closes: an
    unclosed ``` is text, not the start of a code block that eats the rest."""
    opened: set[int] = set()
    start: int | None = None
    for index, line in enumerate(lines):
        if not line.text.startswith(_FENCES):
            continue
        if start is None:
            start = index
        elif line.text.strip("`~ ") == "" and line.text[:3] == lines[start].text[:3]:
            opened.add(start)
            start = None
    return opened


def tolerance(width: int) -> int:
    """How much narrower than the wrap width a wrapped line may be: kinsoku
    (no comma at a line's start) and Latin words moved down make a ragged edge."""
    return max(2, width // 8)


def wrap_widths(lines: list[Line], *, min_lines: int = 2) -> tuple[int, ...]:
    """The widths lines that go on to a next line were broken at, when they
    look broken by a layout tool rather than ended by the writer. A page may
    have several: each paragraph of a pasted page can be wrapped at its own."""
    going_on = [line for line in lines if line.width >= _MIN_WRAP and not is_table_row(line.text)]
    if len(going_on) < min_lines:
        return ()
    every = Counter(line.width for line in going_on)
    plain = Counter(line.width for line in going_on if line.text[-1] not in LINE_END_PUNCTUATION)
    found = []
    for width in sorted(every):
        span = range(width - tolerance(width), width + 1)
        in_window, mid_word = sum(every[w] for w in span), sum(plain[w] for w in span)
        # One in three breaking mid-word is plenty: a writer's own line ends
        # are nearly all at punctuation, a tool's nearly all are not.
        if mid_word >= min_lines and 3 * mid_word >= in_window:
            found.append(width)
    # Many lines of one exact width are a wrap even where the breaks
    # happened to fall at punctuation.
    for measure in (lambda line: line.width, lambda line: len(line.text)):
        counts = Counter(measure(line) for line in going_on)
        for width, count in counts.items():
            if width >= _SURE_WRAP and count >= 3 and 4 * count >= len(going_on):
                found.extend({line.width for line in going_on if measure(line) == width})
    return tuple(sorted(set(found)))


def block_wrap_width(block: Block) -> int | None:
    """A paragraph alone on its page still shows its wrap: all its lines but
    the last as wide as each other (give or take one, with or without the
    first line's indent), not all of them ending at punctuation, or, if they
    do, exactly as wide and too wide for that to be chance."""
    going_on = block.lines[:-1]
    if block.code or len(going_on) < 2:
        return None
    punctuated = all(line.text[-1] in LINE_END_PUNCTUATION for line in going_on)
    for measure in (lambda line: line.width, lambda line: len(line.text)):
        widths = {measure(line) for line in going_on}
        widest = max(widths)
        if widest < _MIN_WRAP or min(widths) < widest - 1 or measure(block.lines[-1]) > widest + 1:
            continue
        if not punctuated or len(widths) == 1 and widest >= _SURE_WRAP:
            return max(line.width for line in going_on)
    return None


def non_final_lines(blocks: list[Block]) -> list[Line]:
    return [line for block in blocks if not block.code for line in block.lines[:-1]]


def is_full(line: Line, widths: tuple[int, ...]) -> bool:
    """As wide as the wrap: its line break may fall anywhere, even after a full stop."""
    return any(w - tolerance(w) <= line.width <= w + 2 for w in widths)
