"""Structured documents (PDF, DOCX, HTML, EPUB) → paragraphs.

Their readers have already found the paragraphs, so nothing is re-cut here:
headings build the section path, every body block is one paragraph, and the
pages travel along for the citation.
"""

from __future__ import annotations

from retrieval.chunking.paragraphs import Paragraph, Piece
from retrieval.ingest.model import HEADING, Document

SECTION_SEPARATOR = " / "


def block_paragraphs(doc: Document) -> list[Paragraph]:
    paragraphs: list[Paragraph] = []
    path: list[tuple[int, str]] = []  # (level, heading) from the top down
    title = doc.title.strip()
    for block in doc.blocks:
        text = block.text.strip()
        if not text:
            continue
        if block.kind == HEADING:
            if text == title and not path:
                continue
            level = max(1, block.level)
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, text))
            continue
        paragraphs.append(Paragraph(
            [Piece(text, 0, 0, 0, block.page, block.page_end or block.page, block.page_label,
                   block.page_label_end or block.page_label)],
            SECTION_SEPARATOR.join(heading for _, heading in path),
            separator="\n",
        ))
    return paragraphs
