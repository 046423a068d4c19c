"""The paragraph under assembly, shared by the text repair and the block reader."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Piece:
    text: str
    start: int  # offset in the document's text (text documents)
    end: int
    line: int  # file line (text documents); 0 for structured ones
    page: int | None = None
    page_end: int | None = None
    page_label: str | None = None
    page_label_end: str | None = None


@dataclass
class Paragraph:
    pieces: list[Piece]
    section: str
    separator: str | None = None  # between pieces; None: joined as one cut paragraph

    @property
    def text(self) -> str:
        if self.separator is not None:
            return self.separator.join(piece.text for piece in self.pieces)
        out = ""
        for piece in self.pieces:
            out = join_lines(out, piece.text)
        return out


def join_lines(left: str, right: str) -> str:
    """Glue two pieces of one paragraph: no space in Chinese, one in Latin text
    ("dog," + "and" → "dog, and")."""
    if left and right and left[-1].isascii() and not left[-1].isspace() and right[0].isascii() and right[0].isalnum():
        return f"{left} {right}"
    return left + right
