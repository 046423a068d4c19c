"""Documents → paragraph chunks that carry everything a citation needs.

Layout extraction (PDF, newspaper pages) damages paragraphs in a few typical
ways, and the repair here is generic rather than tuned to one page:

* a paragraph is cut mid-sentence and goes on after a blank line, or after a
  short heading line placed in between: a paragraph that does not end like a
  sentence is joined with the next body line, and headings met on the way
  take effect after it;
* a heading is repeated: a heading already seen in the document is dropped;
* very short fragments are merged into their neighbour, very long
  paragraphs are split at sentence boundaries (the parts keep the paragraph
  number a reader would give them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.ingest.documents import Document, split_lines
from retrieval.sentences import ends_sentence, looks_like_heading, sentence_spans

MIN_PARAGRAPH_CHARS = 12
MAX_PARAGRAPH_CHARS = 1000

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    author: str
    section: str
    paragraph: int  # 1-based, counted within the document as a reader would
    part: int  # 1 unless a long paragraph was split
    text: str
    source_path: str
    line: int  # file line where the paragraph starts (the record's line for JSONL)
    char_start: int | None  # range in the decoded source file; None for JSONL
    char_end: int | None
    publication: str = ""
    url: str = ""

    @property
    def citation(self) -> str:
        parts = [f"《{self.title}》"]
        if self.author:
            parts.append(self.author)
        if self.section:
            parts.append(self.section)
        parts.append(f"第{self.paragraph}段")
        return " · ".join(parts)


@dataclass
class _Piece:
    text: str
    start: int  # offset in document text
    end: int
    line: int


@dataclass
class _Paragraph:
    pieces: list[_Piece]
    section: str

    @property
    def text(self) -> str:
        out = ""
        for piece in self.pieces:
            out = _join(out, piece.text)
        return out


def _join(left: str, right: str) -> str:
    """Glue two pieces of one paragraph: no space in Chinese, one in Latin text
    ("dog," + "and" → "dog, and")."""
    if left and right and left[-1].isascii() and not left[-1].isspace() and right[0].isascii() and right[0].isalnum():
        return f"{left} {right}"
    return left + right


def chunk_document(
    doc: Document,
    *,
    max_chars: int = MAX_PARAGRAPH_CHARS,
    min_chars: int = MIN_PARAGRAPH_CHARS,
) -> list[Chunk]:
    paragraphs = _merge_short(_assemble_paragraphs(doc), min_chars)
    chunks: list[Chunk] = []
    for number, paragraph in enumerate(paragraphs, start=1):
        parts = _split_long(paragraph.text, max_chars)
        first, last = paragraph.pieces[0], paragraph.pieces[-1]
        for part_no, text in enumerate(parts, start=1):
            suffix = f".{part_no}" if len(parts) > 1 else ""
            chunks.append(Chunk(
                chunk_id=f"{doc.doc_id}#p{number}{suffix}",
                doc_id=doc.doc_id,
                title=doc.title,
                author=doc.author,
                section=paragraph.section,
                paragraph=number,
                part=part_no,
                text=text,
                source_path=doc.source_path,
                line=doc.jsonl_line or first.line,
                char_start=None if doc.jsonl_line else doc.text_offset + first.start,
                char_end=None if doc.jsonl_line else doc.text_offset + last.end,
                publication=doc.publication,
                url=doc.url,
            ))
    return chunks


def chunk_documents(docs, **options) -> list[Chunk]:
    chunks: list[Chunk] = []
    for doc in docs:
        chunks.extend(chunk_document(doc, **options))
    return chunks


def _lines(doc: Document):
    """(stripped text, start, end, file line) for every line of the document."""
    offset = 0
    for index, raw in enumerate(split_lines(doc.text)):
        content = raw.rstrip("\r\n")
        left = len(content) - len(content.lstrip())
        stripped = content.strip()
        yield stripped, offset + left, offset + left + len(stripped), doc.first_line + index
        offset += len(raw)


def _assemble_paragraphs(doc: Document) -> list[_Paragraph]:
    paragraphs: list[_Paragraph] = []
    seen_headings = {doc.title.strip()} if doc.title else set()
    section = ""
    pending: _Paragraph | None = None
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
        piece = _Piece(text, start, end, line_no)
        if pending is not None and not ends_sentence(pending.text):
            pending.pieces.append(piece)
            continue
        flush()
        pending = _Paragraph([piece], section)
    flush()
    return paragraphs


def _heading_text(text: str, markdown: bool, pending: _Paragraph | None, previous_blank: bool) -> str | None:
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


def _merge_short(paragraphs: list[_Paragraph], min_chars: int) -> list[_Paragraph]:
    merged: list[_Paragraph] = []
    carry: list[_Piece] = []  # short fragments waiting for a following paragraph
    for paragraph in paragraphs:
        if len(paragraph.text) < min_chars:
            if merged and merged[-1].section == paragraph.section:
                merged[-1].pieces.extend(paragraph.pieces)
            else:
                carry.extend(paragraph.pieces)
            continue
        if carry:
            paragraph.pieces[:0] = carry
            carry = []
        merged.append(paragraph)
    if carry:
        if merged:
            merged[-1].pieces.extend(carry)
        else:
            merged.append(_Paragraph(carry, ""))
    return merged


def _split_long(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    parts: list[str] = []
    current_start = current_end = None
    for start, end in sentence_spans(text):
        while end - start > max_chars:  # a "sentence" with no punctuation at all
            if current_start is not None:
                parts.append(text[current_start:current_end])
                current_start = None
            parts.append(text[start:start + max_chars])
            start += max_chars
        if current_start is None:
            current_start, current_end = start, end
        elif end - current_start <= max_chars:
            current_end = end
        else:
            parts.append(text[current_start:current_end])
            current_start, current_end = start, end
    if current_start is not None:
        parts.append(text[current_start:current_end])
    return [p.strip() for p in parts if p.strip()]
