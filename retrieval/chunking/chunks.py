"""Documents → paragraph chunks that carry everything a citation needs.

Paragraphs come from the text repair (``text_layout``) or, for structured
documents, from the reader's blocks (``blocks``). Then, for both: very short
fragments are merged into their neighbour, and very long paragraphs are split
at sentence boundaries (the parts keep the paragraph number a reader would
give them).
"""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.chunking.blocks import block_paragraphs
from retrieval.chunking.paragraphs import Paragraph, Piece
from retrieval.chunking.text_layout import text_paragraphs
from retrieval.ingest.model import Document
from retrieval.sentences import sentence_spans

MIN_PARAGRAPH_CHARS = 12
MAX_PARAGRAPH_CHARS = 1000


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
    # Pages, for formats that have them: physical (1-based) for checking the
    # file, and the printed labels, which the citation shows when there are.
    page_start: int | None = None
    page_end: int | None = None
    page_label: str | None = None
    page_label_end: str | None = None

    @property
    def citation(self) -> str:
        parts = [f"《{self.title}》"]
        if self.author:
            parts.append(self.author)
        if self.section:
            parts.append(self.section)
        if self.pages:
            parts.append(f"第{self.pages}页")
        parts.append(f"第{self.paragraph}段")
        return " · ".join(parts)

    @property
    def pages(self) -> str:
        """"12", or "12–13" for a paragraph that crosses a page; "" without pages."""
        if self.page_start is None:
            return ""
        first = self.page_label or str(self.page_start)
        last = self.page_label_end or str(self.page_end or self.page_start)
        return first if first == last else f"{first}–{last}"




def chunk_document(
    doc: Document,
    *,
    max_chars: int = MAX_PARAGRAPH_CHARS,
    min_chars: int = MIN_PARAGRAPH_CHARS,
) -> list[Chunk]:
    assembled = block_paragraphs(doc) if doc.blocks else text_paragraphs(doc)
    paragraphs = _merge_short(assembled, min_chars)
    by_offset = not doc.blocks and not doc.jsonl_line
    chunks: list[Chunk] = []
    for number, paragraph in enumerate(paragraphs, start=1):
        parts = _split_long(paragraph.text, max_chars)
        first, last = paragraph.pieces[0], paragraph.pieces[-1]
        paged = [piece for piece in paragraph.pieces if piece.page is not None]
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
                char_start=doc.text_offset + first.start if by_offset else None,
                char_end=doc.text_offset + last.end if by_offset else None,
                publication=doc.publication,
                url=doc.url,
                page_start=paged[0].page if paged else None,
                page_end=paged[-1].page_end if paged else None,
                page_label=paged[0].page_label if paged else None,
                page_label_end=paged[-1].page_label_end if paged else None,
            ))
    return chunks


def chunk_documents(docs, **options) -> list[Chunk]:
    chunks: list[Chunk] = []
    for doc in docs:
        chunks.extend(chunk_document(doc, **options))
    return chunks


def _merge_short(paragraphs: list[Paragraph], min_chars: int) -> list[Paragraph]:
    """Fragments shorter than ``min_chars`` join a neighbour of their own
    section, the previous one first; one whose section has no other paragraph
    stays a paragraph of its own, since merged away it would take the
    neighbour's section and the heading would cite nothing."""
    merged: list[Paragraph] = []
    carry: list[Piece] = []  # short fragments waiting for a following paragraph
    carry_section = ""
    separator = paragraphs[0].separator if paragraphs else None
    for paragraph in paragraphs:
        if carry and paragraph.section != carry_section:
            merged.append(Paragraph(carry, carry_section, separator))
            carry = []
        if len(paragraph.text) < min_chars:
            if not carry and merged and merged[-1].section == paragraph.section:
                merged[-1].pieces.extend(paragraph.pieces)
            else:
                carry.extend(paragraph.pieces)
                carry_section = paragraph.section
            continue
        if carry:
            paragraph.pieces[:0] = carry
            carry = []
        merged.append(paragraph)
    if carry:
        if merged and merged[-1].section == carry_section:
            merged[-1].pieces.extend(carry)
        else:
            merged.append(Paragraph(carry, carry_section, separator))
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
