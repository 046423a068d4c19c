"""Reading order: a page's lines → flows (columns), each read top to bottom.

The page is cut into horizontal bands (lines side by side), and
consecutive bands are grouped into sections while they share a gutter, a
vertical strip at least MIN_GUTTER ems wide that no line crosses. A
section with gutters is read column by column, each column in the same
way (columns inside columns); one without is a single flow. So a title
across two columns, which crosses the gutter, is a section of its own and
comes before the columns under it, and a page whose columns are interrupted
by a full-width block reads: columns above it, the block, columns below.
"""

from __future__ import annotations

from retrieval.ingest.pdf.lines import Line

MIN_GUTTER = 0.8  # ems
MAX_DEPTH = 3


def reading_order(lines: list[Line], em: float) -> list[list[Line]]:
    """Flows in reading order; each flow's lines top to bottom."""
    return _order(sorted(lines, key=lambda l: (l.top, l.x0)), em, 0)


def _order(lines: list[Line], em: float, depth: int) -> list[list[Line]]:
    flows: list[list[Line]] = []
    for section in _sections(lines, em):
        columns = _columns(section, em)
        if len(columns) == 1 or depth >= MAX_DEPTH:
            flows.append(_single_flow(section))
        else:
            for column in columns:
                flows.extend(_order(column, em, depth + 1))
    return [flow for flow in flows if flow]


def _bands(lines: list[Line]) -> list[list[Line]]:
    bands: list[list[Line]] = []
    bottom = None
    for line in lines:  # sorted by top
        if bands and line.top < bottom:
            bands[-1].append(line)
            bottom = max(bottom, line.bottom)
        else:
            bands.append([line])
            bottom = line.bottom
    return bands


def _covered(lines: list[Line], spans: list[list[float]] | None = None) -> list[list[float]]:
    """The x ranges the lines cover (added to ``spans``), merged."""
    ranges = sorted([(l.x0, l.x1) for l in lines] + [(a, b) for a, b in spans or ()])
    merged: list[list[float]] = []
    for x0, x1 in ranges:
        if merged and x0 <= merged[-1][1]:
            if x1 > merged[-1][1]:
                merged[-1][1] = x1
        else:
            merged.append([x0, x1])
    return merged


def _gutters(spans: list[list[float]], em: float) -> list[tuple[float, float]]:
    return [(a[1], b[0]) for a, b in zip(spans, spans[1:]) if b[0] - a[1] >= MIN_GUTTER * em]


def _sections(lines: list[Line], em: float) -> list[list[Line]]:
    sections: list[list[Line]] = []
    current: list[Line] = []
    spans: list[list[float]] = []
    for band in _bands(lines):
        own = _covered(band)
        if current:
            joined = _covered([], spans + own)
            has, joins = bool(_gutters(spans, em)), bool(_gutters(joined, em))
            opens = _gutters(own, em)
            # Columns end where a line crosses their gutter; they begin where a
            # band with a gutter follows lines that reach into it (a title
            # centred over the columns, even a short one).
            if (has and not joins) or (not has and opens and not all(
                    _clear(current, gutter) for gutter in opens)):
                sections.append(current)
                current, spans = [], own
            else:
                spans = joined
        else:
            spans = own
        current.extend(band)
    if current:
        sections.append(current)
    return sections


def _clear(lines: list[Line], gutter: tuple[float, float]) -> bool:
    left, right = gutter
    return all(line.x1 <= left + 1 or line.x0 >= right - 1 for line in lines)


def _columns(section: list[Line], em: float) -> list[list[Line]]:
    gutters = _gutters(_covered(section), em)
    if not gutters:
        return [section]
    columns: list[list[Line]] = [[] for _ in range(len(gutters) + 1)]
    for line in section:
        index = sum(1 for _, right in gutters if line.x0 >= right)
        columns[index].append(line)
    return [column for column in columns if column]


def _single_flow(lines: list[Line]) -> list[Line]:
    """One column: pieces of one printed line (split at wide gaps) become one line again."""
    flow: list[Line] = []
    for line in sorted(lines, key=lambda l: (l.top if l.is_table else l.base, l.x0)):
        last = flow[-1] if flow else None
        if (last is not None and not last.is_table and not line.is_table
                and abs(line.base - last.base) <= 0.4 * max(line.size, last.size) and line.x0 >= last.x1):
            flow[-1] = _join(last, line)
        else:
            flow.append(line)
    return flow


def _join(left: Line, right: Line) -> Line:
    longer = left if len(left.text) >= len(right.text) else right
    return Line(
        text=f"{left.text} {right.text}", x0=left.x0, x1=right.x1,
        top=min(left.top, right.top), bottom=max(left.bottom, right.bottom), base=longer.base,
        size=longer.size, bold=longer.bold, first_word=left.first_word, page=left.page,
    )
