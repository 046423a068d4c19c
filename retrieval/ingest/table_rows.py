"""Tables → one line per row, "header: value; header: value", for every reader.

A row of cells is ``(first grid column, columns spanned, text)``, so merged
cells find their header by the columns they cover. The first row names the
columns, unless ``named_rows``: then each row's first cell names its row
(tables whose header is a column of <th>).
"""

from __future__ import annotations

Cell = tuple[int, int, str]


def header_value_rows(grid: list[list[Cell]], *, header: list[Cell] | None = None, named_rows: bool = False) -> list[str]:
    """One line per body row. ``header`` is a continued table's header
    (repeated on the next page); without it the first row is the header."""
    grid = [row for row in grid if any(text for _, _, text in row)]
    if not grid:
        return []
    if named_rows:
        return [_named_row([cell for cell in row if cell[2]]) for row in grid]
    if header is None:
        if len(grid) == 1:
            return ["; ".join(text for _, _, text in grid[0] if text)]
        header, grid = grid[0], grid[1:]
    out = []
    for row in grid:
        pairs = []
        for column, _, text in row:
            if not text:
                continue
            name = next((h for c, span, h in header if c <= column < c + span), "")
            pairs.append(f"{name}: {text}" if name and name != text else text)
        out.append("; ".join(pairs))
    return out


def _named_row(cells: list[Cell]) -> str:
    name, values = cells[0][2], "; ".join(text for _, _, text in cells[1:])
    return f"{name}: {values}" if name and values else name or values


def plain_grid(rows: list[list[str]]) -> list[list[Cell]]:
    """Rows of cell texts, one column each."""
    return [[(n, 1, text) for n, text in enumerate(row)] for row in rows]
