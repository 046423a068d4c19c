"""Plain text → paragraphs: the repair of layout damage in ``.txt`` and ``.md``.

Layout extraction (PDF, newspaper pages) damages paragraphs in a few typical
ways, and the repair here is generic rather than tuned to one page:

* a paragraph is cut mid-sentence and goes on after a blank line, or after a
  short heading line placed in between: a paragraph that does not end like a
  sentence is joined with the next body line, and headings met on the way
  take effect after it;
* a heading is repeated: a heading already seen in the document is dropped.
"""

from __future__ import annotations

import re

from retrieval.chunking.paragraphs import Paragraph, Piece
from retrieval.ingest.model import Document
from retrieval.ingest.text import split_lines
from retrieval.sentences import ends_sentence, looks_like_heading

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def text_paragraphs(doc: Document) -> list[Paragraph]:
    return _assemble_paragraphs(doc)


def _lines(doc: Document):
    """(stripped text, start, end, file line) for every line of the document."""
    offset = 0
    for index, raw in enumerate(split_lines(doc.text)):
        content = raw.rstrip("\r\n")
        left = len(content) - len(content.lstrip())
        stripped = content.strip()
        yield stripped, offset + left, offset + left + len(stripped), doc.first_line + index
        offset += len(raw)


def _assemble_paragraphs(doc: Document) -> list[Paragraph]:
    paragraphs: list[Paragraph] = []
    seen_headings = {doc.title.strip()} if doc.title else set()
    section = ""
    pending: Paragraph | None = None
    deferred: list[str] = []  # headings met inside a cut paragraph
    previous_blank = True

    def flush() -> None:
        nonlocal pending, section
        if pending is not None:
            paragraphs.append(pending)
            pending = None
        for heading in deferred:
            section = heading
        deferred.clear()

    for text, start, end, line_no in _lines(doc):
        if not text:
            previous_blank = True
            continue
        heading = _heading_text(text, doc.markdown, pending, previous_blank)
        previous_blank = False
        if heading is not None:
            if heading in seen_headings:
                continue
            seen_headings.add(heading)
            if pending is not None and not ends_sentence(pending.text):
                deferred.append(heading)
            else:
                flush()
                section = heading
            continue
        piece = Piece(text, start, end, line_no)
        if pending is not None and not ends_sentence(pending.text):
            pending.pieces.append(piece)
            continue
        flush()
        pending = Paragraph([piece], section)
    flush()
    return paragraphs


def _heading_text(text: str, markdown: bool, pending: Paragraph | None, previous_blank: bool) -> str | None:
    if markdown:
        match = _MD_HEADING.match(text)
        if match:
            return match.group(2).strip() or None
    # A short unpunctuated line right under a cut line (no blank between) is
    # that paragraph's wrapped tail, not a heading.
    directly_continues = pending is not None and not previous_blank and not ends_sentence(pending.text)
    if not directly_continues and looks_like_heading(text):
        return text
    return None
