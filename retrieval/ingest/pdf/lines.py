"""Glyphs → lines: runs of glyphs on one baseline, with what the layout
needs to know about each (box, size, weight, the width of its first word).

Positions are PDF points, origin at the page's top-left corner.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from retrieval.ingest.pdf.text import CLOSING, is_cjk

# A gap wider than this (in ems) between two glyphs on one baseline is a
# column gutter or a table cell boundary, never a word space.
SPLIT_GAP = 1.0


@dataclass(slots=True)
class Glyph:
    ch: str
    x0: float
    x1: float
    base: float  # baseline
    size: float
    bold: bool
    space: str  # what comes before it: "" nothing, "~" a gap pdfium read as a space, else the space drawn


@dataclass
class Line:
    """One run of glyphs on a baseline, or a table (``rows`` set)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    base: float
    size: float
    bold: bool = False
    first_word: float = 0.0  # width that had to fit at the end of the line above for it to be there
    page: int = 0
    rows: list[list[str]] | None = None

    @property
    def is_table(self) -> bool:
        return self.rows is not None


def body_size(lines) -> float:
    """The size most of the text is set in (0 without text)."""
    sizes: Counter = Counter()
    for line in lines:
        if not line.is_table:
            sizes[round(line.size * 2) / 2] += len(line.text)
    return max(sizes, key=sizes.get) if sizes else 0.0


class _Run:
    """Glyphs on their way to becoming a line, with the baseline and size of
    the largest of them (a superscript does not move the line)."""

    __slots__ = ("glyphs", "base", "size")

    def __init__(self, glyph: Glyph):
        self.glyphs, self.base, self.size = [glyph], glyph.base, glyph.size

    def add(self, glyph: Glyph) -> None:
        self.glyphs.append(glyph)
        if glyph.size > self.size:
            self.base, self.size = glyph.base, glyph.size

    def text(self) -> str:
        return "".join(g.ch for g in self.glyphs)


def lines_of(glyphs: list[Glyph]) -> list[Line]:
    """Glyphs in content order → lines. A line breaks where the baseline
    moves, the text goes backwards, or a gap wider than SPLIT_GAP opens."""
    runs: list[_Run] = []
    run: _Run | None = None
    for g in glyphs:
        if run is not None:
            last = run.glyphs[-1]
            em = run.size if run.size > g.size else g.size
            gap = g.x0 - last.x1
            rise = g.base - run.base
            same = -0.3 * em <= rise <= 0.3 * em or (
                # super- and subscripts stay on their line
                (g.size < 0.85 * run.size or last.size < 0.85 * run.size) and -0.6 * em <= rise <= 0.35 * em)
            if same and -0.5 * em <= gap <= SPLIT_GAP * em:
                run.add(g)
                continue
            runs.append(run)
        run = _Run(g)
    if run is not None:
        runs.append(run)
    return [_line(run.glyphs) for run in _merge_runs(runs)]


def _merge_runs(runs: list[_Run]) -> list[_Run]:
    """Join runs that one baseline split (text drawn out of order) and drop
    a run drawn twice over itself (bold faked by overprinting)."""
    runs.sort(key=lambda r: (round(r.base), r.glyphs[0].x0))
    merged: list[_Run] = []
    for run in runs:
        if merged:
            last = merged[-1]
            em = max(last.size, run.size)
            if abs(run.base - last.base) <= 0.3 * em:
                start, end = run.glyphs[0].x0, last.glyphs[-1].x1
                if start < end - 0.3 * em:
                    text = run.text()
                    if text and text in last.text():
                        for g in last.glyphs:
                            g.bold = True
                        continue
                elif start - end <= SPLIT_GAP * em:
                    for g in run.glyphs:
                        last.add(g)
                    continue
        merged.append(run)
    return merged


def _line(run: list[Glyph]) -> Line:
    parts = []
    previous = None
    sizes: Counter = Counter()
    bold = 0
    x1 = run[0].x1
    usual_gap = _usual_gap(run)
    for g in run:
        if previous is not None and g.space:
            if g.space != "~":
                parts.append(g.space)
            elif not (is_cjk(previous.ch) or is_cjk(g.ch)) and g.x0 - previous.x1 > usual_gap + 0.15 * g.size:
                # A gap next to a Chinese character is justification, not a word
                # break; so is one no wider than the gaps between all the letters.
                parts.append(" ")
        parts.append(g.ch)
        previous = g
        sizes[g.size] += 1
        bold += g.bold
        if g.x1 > x1:
            x1 = g.x1
    size = sizes.most_common(1)[0][0]
    base = next(g.base for g in run if g.size == size)
    return Line(
        text="".join(parts), x0=run[0].x0, x1=x1, top=base - 0.85 * size, bottom=base + 0.2 * size,
        base=base, size=round(size, 2), bold=bold * 2 > len(run),
        first_word=_first_word(run),
    )


def _usual_gap(run: list[Glyph]) -> float:
    """The median gap between neighbouring glyphs: about zero, unless the
    line was justified by spreading its characters."""
    if len(run) < 3:
        return 0.0
    gaps = sorted(b.x0 - a.x1 for a, b in zip(run, run[1:]))
    return max(0.0, gaps[len(gaps) // 2])


def _first_word(run: list[Glyph]) -> float:
    """How wide the line's first unbreakable piece is: a Latin word, or an
    ideograph with the punctuation that may not begin a line after it."""
    end = 1
    if is_cjk(run[0].ch):
        while end < len(run) and run[end].ch in CLOSING:
            end += 1
    else:
        while end < len(run) and not run[end].space and not is_cjk(run[end].ch):
            end += 1
    return run[end - 1].x1 - run[0].x0
