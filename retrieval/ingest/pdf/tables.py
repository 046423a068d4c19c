"""Ruled tables: the grid that a page's horizontal and vertical strokes draw.

Strokes that touch each other form one table; its distinct stroke
positions are the row and column boundaries. A merged cell just leaves
the grid cells it covers empty. Tables drawn without vertical rules (only
horizontal ones, as in journals) are not found here: their rows read as
short paragraphs instead.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

TOUCH = 2.0  # points: strokes this close meet (line widths and rounding)


@dataclass(frozen=True)
class Grid:
    xs: tuple[float, ...]  # column boundaries, left to right
    ys: tuple[float, ...]  # row boundaries, top to bottom

    @property
    def x0(self) -> float:
        return self.xs[0]

    @property
    def x1(self) -> float:
        return self.xs[-1]

    @property
    def top(self) -> float:
        return self.ys[0]

    @property
    def bottom(self) -> float:
        return self.ys[-1]

    @property
    def rows(self) -> int:
        return len(self.ys) - 1

    @property
    def columns(self) -> int:
        return len(self.xs) - 1

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        if not (self.x0 <= x <= self.x1 and self.top <= y <= self.bottom):
            return None
        column = min(max(bisect_right(self.xs, x) - 1, 0), self.columns - 1)
        row = min(max(bisect_right(self.ys, y) - 1, 0), self.rows - 1)
        return row, column


def find_grids(rulings) -> list[Grid]:
    """``rulings``: (x0, y0, x1, y1) strokes, each horizontal or vertical."""
    horizontal = [(min(x0, x1), max(x0, x1), y0) for x0, y0, x1, y1 in rulings if abs(y1 - y0) < 0.5]
    vertical = [(min(y0, y1), max(y0, y1), x0) for x0, y0, x1, y1 in rulings if abs(x1 - x0) < 0.5]
    if len(horizontal) < 2 or len(vertical) < 2 or len(horizontal) * len(vertical) > 250_000:
        return []
    parent = list(range(len(horizontal) + len(vertical)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for h, (hx0, hx1, hy) in enumerate(horizontal):
        for v, (vy0, vy1, vx) in enumerate(vertical):
            if hx0 - TOUCH <= vx <= hx1 + TOUCH and vy0 - TOUCH <= hy <= vy1 + TOUCH:
                parent[root(h)] = root(len(horizontal) + v)
    groups: dict[int, tuple[list, list]] = {}
    for h, rule in enumerate(horizontal):
        groups.setdefault(root(h), ([], []))[0].append(rule)
    for v, rule in enumerate(vertical):
        groups.setdefault(root(len(horizontal) + v), ([], []))[1].append(rule)

    grids = []
    for hs, vs in groups.values():
        if len(hs) < 2 or len(vs) < 2:
            continue
        xs = _positions([x for _, _, x in vs] + [min(h[0] for h in hs), max(h[1] for h in hs)])
        ys = _positions([y for _, _, y in hs] + [min(v[0] for v in vs), max(v[1] for v in vs)])
        if len(xs) >= 2 and len(ys) >= 2 and (len(xs) - 1) * (len(ys) - 1) >= 2:
            grids.append(Grid(tuple(xs), tuple(ys)))
    return grids


def _positions(values: list[float]) -> list[float]:
    """Distinct positions: values closer than TOUCH are one stroke."""
    out: list[float] = []
    for value in sorted(values):
        if out and value - out[-1] <= TOUCH:
            continue
        out.append(value)
    return out
