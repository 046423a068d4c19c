"""Lines in reading order → paragraphs, headings and table rows.

Where a paragraph ends is read from how it is set, never from the printed
line breaks: a first line indented against its column, a wider gap than
the usual line pitch, or a line that stops short although the next line's
first word would have fitted after it. Each cue alone is enough; the cues
are measured against the whole document (the body size, the pitch of
each size, the edges of the columns), so one page's layout does not
decide. The same test runs where a column or a page ends, so a paragraph
carried over keeps going.

Headings are short blocks in a larger size than the body, or bold when
the body is not; their levels follow their sizes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from retrieval.ingest.characters import repair_characters
from retrieval.ingest.model import HEADING, PARAGRAPH, TABLE_ROW, Block
from retrieval.ingest.pdf.lines import Line, body_size
from retrieval.ingest.table_rows import header_value_rows, plain_grid
from retrieval.ingest.pdf.text import CLOSING, join_lines, latin_end, latin_start

HEADING_RATIO = 1.12  # a size this much larger than the body's is a heading's
INDENT = 0.6  # ems
GAP_RATIO = 1.25  # a pitch this much wider than usual separates paragraphs
MAX_HEADING_LINES = 3
MAX_HEADING_CHARS = 80
_SENTENCE_END = set("。！？；：，、…!?;:,")


@dataclass
class Flow:
    lines: list[Line]
    page: int
    left: float = 0.0  # the column's edges, once measured
    right: float = 0.0
    capacity: int = 0  # characters in a full line, for text wrapped by count

    def text_lines(self) -> list[Line]:
        return [line for line in self.lines if not line.is_table]


@dataclass
class Style:
    body: float
    body_bold: bool
    pitch: dict[float, float]
    columns: list[tuple[float, float]]
    by_count: bool = False  # lines were wrapped after N characters, not at the column's edge
    capacity: int = 0

    def usual_pitch(self, size: float) -> float:
        return self.pitch.get(round(size * 2) / 2, size * 1.5)


def measure(flows: list[Flow]) -> Style:
    """Body size and weight, each size's line pitch, and the columns' edges,
    over the whole document."""
    bold = total = 0
    pitches: dict[float, Counter] = {}
    columns: Counter = Counter()
    for flow in flows:
        lines = flow.text_lines()
        for line in lines:
            total += len(line.text)
            bold += len(line.text) if line.bold else 0
        for a, b in zip(lines, lines[1:]):
            key = round(a.size * 2) / 2
            if round(b.size * 2) / 2 == key and 0 < b.base - a.base < 3 * a.size:
                pitches.setdefault(key, Counter())[round(b.base - a.base, 1)] += 1
        if len(lines) >= 4:
            columns[(round(min(l.x0 for l in lines)), round(right_edge(lines)))] += 1
    body = body_size(line for flow in flows for line in flow.lines) or 10.0
    pitch = {size: counter.most_common(1)[0][0] for size, counter in pitches.items()}
    return Style(body, bold * 2 > max(total, 1), pitch, [edges for edges, _ in columns.most_common()])


def frame(flow: Flow, style: Style) -> None:
    """The flow's column edges: its own, widened to a measured column it
    lies in (a flow of two lines does not show where its column ends)."""
    lines = flow.text_lines()
    if not lines:
        return
    left, right = min(l.x0 for l in lines), right_edge(lines)
    em = style.body
    fits = [(r - l, l, r) for l, r in style.columns if l - em <= left and right <= r + em]
    if fits:
        _, l, r = min(fits)
        left, right = min(left, l), max(right, r)
    flow.left, flow.right = left, right
    counts = Counter(_chars(line, flow) for line in lines)
    flow.capacity = counts.most_common(1)[0][0] if len(lines) >= 3 else style.capacity


def _chars(line: Line, flow: Flow) -> int:
    """Characters on the line, an indent counted as the characters it replaces."""
    return len(line.text) + max(0, round((line.x0 - flow.left) / line.size))


def _full_by_count(line: Line, flow: Flow, capacity: int) -> bool:
    # An indent drawn as spaces took characters; one drawn as an offset did not.
    return _chars(line, flow) >= capacity or len(line.text) >= capacity


def _wrapped_by_count(flows: list[Flow], style: Style) -> bool:
    """Were lines cut after a fixed number of characters? Then a line with
    narrow digits or Latin ends short of the edge without ending anything,
    and only a line with fewer characters than the others is a last line.
    A line full by count that stops short of the edge says so; a line with
    more characters than that count (narrow ones, set to the edge) says not."""
    by_count = by_width = 0
    counts: Counter = Counter()
    for flow in flows:
        lines = flow.text_lines()
        if len(lines) < 3:
            continue
        for a, b in zip(lines, lines[1:]):
            if abs(a.size - style.body) > 0.5 or not 0 < b.base - a.base <= style.usual_pitch(a.size) * 1.1:
                continue
            counts[_chars(a, flow)] += 1
            if len(a.text) > flow.capacity and _chars(a, flow) > flow.capacity:
                by_width += 1
            elif flow.capacity in (_chars(a, flow), len(a.text)) and _short_by_width(a, flow, b):
                by_count += 1
    style.capacity = counts.most_common(1)[0][0] if counts else 0
    return by_count > 2 * by_width


def right_edge(lines: list[Line]) -> float:
    """Where the column's full lines end: the furthest end that two lines
    share. Lines ending in an ideograph are asked first (its box is exactly
    its advance), then any but those ending in punctuation, which may hang
    past the edge. (A Latin letter's box may be wider than its advance when
    the font is not embedded; one line alone may overshoot: a long URL.)"""
    em = sorted(line.size for line in lines)[len(lines) // 2]
    for keep in (_ideograph, lambda ch: ch not in CLOSING):
        ends = sorted(line.x1 for line in lines if line.text and keep(line.text[-1]))
        for lower, upper in zip(reversed(ends[:-1]), reversed(ends[1:])):
            if upper - lower <= 0.5 * em:
                return upper
    ends = sorted(line.x1 for line in lines)
    return ends[-1] if len(ends) < 3 else ends[int(0.8 * (len(ends) - 1))]


def _ideograph(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@dataclass
class _Block:
    lines: list[Line]
    flows: list[Flow]
    table: Line | None = None


def assemble(flows: list[Flow], labels: dict[int, str] | None = None) -> tuple[list[Block], str, str]:
    """Blocks in reading order, the title (the first big heading) and a byline found under it."""
    style = measure(flows)
    for flow in flows:
        frame(flow, style)
    style.by_count = _wrapped_by_count(flows, style)
    for flow in flows:
        flow.capacity = flow.capacity or style.capacity
    raw = _raw_blocks(flows, style)
    headings = [b for b in raw if b.table is None and _is_heading(b.lines, style)]
    sizes = sorted({round(b.lines[0].size * 2) / 2 for b in headings}, reverse=True)
    heading_ids = {id(b) for b in headings}
    title, byline = _title(raw, heading_ids, sizes)

    labels = labels or {}
    blocks: list[Block] = []
    header: list[str] | None = None
    for block in raw:
        if block is byline:
            continue
        if block.table is not None:
            rows = block.table.rows
            if header is not None and rows and rows[0] == header:
                texts = header_value_rows(plain_grid(rows[1:]), header=plain_grid([header])[0])  # a table continued, its header repeated
            else:
                header = rows[0] if len(rows) > 1 else None
                texts = header_value_rows(plain_grid(rows))
            page = block.table.page
            for text in texts:
                blocks.append(Block(repair_characters(text), TABLE_ROW, 0, page, page,
                                    labels.get(page), labels.get(page), (block.table.x0, block.table.top)))
            continue
        text = repair_characters(_join(block.lines, style.by_count)).strip()
        if not text:
            continue
        first, last = block.lines[0], block.lines[-1]
        if id(block) in heading_ids:
            kind, level = HEADING, sizes.index(round(first.size * 2) / 2) + 1
        else:
            kind, level = PARAGRAPH, 0
        blocks.append(Block(text, kind, level, first.page, last.page, labels.get(first.page),
                            labels.get(last.page), (round(first.x0, 1), round(first.top, 1))))
    title_text = repair_characters(_join(title.lines, style.by_count)).strip() if title else ""
    byline_text = repair_characters(_join(byline.lines)).strip() if byline else ""
    return blocks, title_text, byline_text


def _raw_blocks(flows: list[Flow], style: Style) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for flow in flows:
        lines = flow.lines
        for i, line in enumerate(lines):
            if line.is_table:
                current = None
                blocks.append(_Block([], [flow], line))
                continue
            following = lines[i + 1] if i + 1 < len(lines) and not lines[i + 1].is_table else None
            if current is not None and not _breaks(current, line, flow, following, style):
                current.lines.append(line)
                if current.flows[-1] is not flow:
                    current.flows.append(flow)
                continue
            current = _Block([line], [flow])
            blocks.append(current)
    return blocks


def _breaks(block: _Block, line: Line, flow: Flow, following: Line | None, style: Style) -> bool:
    """Does ``line`` start a new block after ``block``?"""
    prev, prev_flow = block.lines[-1], block.flows[-1]
    if abs(prev.size - line.size) > 0.1 * min(prev.size, line.size):
        return True
    if line.page > prev.page + 1:
        return True  # pages without text (scanned, blank) lie between them
    em = line.size
    stacked = flow is prev_flow or (
        flow.page == prev_flow.page and line.top >= prev.bottom - 1
        and min(flow.right, prev_flow.right) - max(flow.left, prev_flow.left) > 2 * em)
    if stacked and line.base - prev.base > style.usual_pitch(line.size) * GAP_RATIO + 0.5:
        return True
    if line.x0 - flow.left >= INDENT * em and (following is None or following.x0 <= line.x0 - INDENT * em):
        return True  # a first-line indent (the next line starts further left)
    if style.by_count and prev_flow.capacity and abs(prev.size - style.body) <= 0.5:
        return not _full_by_count(prev, prev_flow, prev_flow.capacity)
    return _short_by_width(prev, prev_flow, line)


def _short_by_width(prev: Line, prev_flow: Flow, line: Line) -> bool:
    """Did ``prev`` stop short, though the first word of ``line`` would have fitted after it?"""
    em = line.size
    room = prev_flow.right - prev.x1
    needed = line.first_word + (0.3 * em if latin_end(prev.text) and latin_start(line.text) else 0)
    return room > needed + 0.4 * em


def _is_heading(lines: list[Line], style: Style) -> bool:
    text = _join(lines).strip()
    if not text or len(lines) > MAX_HEADING_LINES or len(text) > MAX_HEADING_CHARS:
        return False
    if lines[0].size >= style.body * HEADING_RATIO:
        return True
    return (all(line.bold for line in lines) and not style.body_bold and len(text) <= 40
            and text[-1] not in _SENTENCE_END)


def _title(raw: list[_Block], heading_ids: set[int], sizes: list[float]) -> tuple[_Block | None, _Block | None]:
    """The first heading in the largest size, if it is on the first page with
    text; and a short centred line right under it (the byline)."""
    text_blocks = [b for b in raw if b.table is None]
    if not text_blocks or not sizes:
        return None, None
    first_page = text_blocks[0].lines[0].page
    for n, block in enumerate(text_blocks):
        if block.lines[0].page != first_page:
            break
        if id(block) in heading_ids and round(block.lines[0].size * 2) / 2 == sizes[0]:
            after = text_blocks[n + 1:n + 3]
            byline = after[0] if after and _is_byline(after[0], block, after[1:], heading_ids) else None
            return block, byline
    return None, None


_NUMBERED = re.compile(r"^([一二三四五六七八九十]+、|第.{1,4}[章节部分篇]|\d+[.、．\s]|[（(][一二三四五六七八九十\d]+[）)])")


def _is_byline(block: _Block, title: _Block, following: list[_Block], heading_ids: set[int]) -> bool:
    """One short centred line between the title and the text, smaller than the
    title: the author (and maybe a date or a unit), not a heading of the text."""
    if len(block.lines) != 1 or block.lines[0].size >= title.lines[0].size:
        return False
    line = block.lines[0]
    text = line.text.strip()
    # Centred under the title (whose own flow may be no wider than itself).
    centre = (title.lines[-1].x0 + title.lines[-1].x1) / 2
    if not (0 < len(text) <= 30 and text[-1] not in "。！？：:"
            and abs((line.x0 + line.x1) / 2 - centre) <= 1.5 * line.size):
        return False
    if id(block) in heading_ids:
        # Set like a heading: a byline only if text follows it, and it is not numbered.
        return bool(following) and id(following[0]) not in heading_ids and not _NUMBERED.match(text)
    return True


# --------------------------------------------------------------- joining lines


def _join(lines: list[Line], by_count: bool = False) -> str:
    text = ""
    for line in lines:
        text = join_lines(text, line.text.strip(), by_count)
    return text
