"""What every reader produces: documents with structure, and the problems met.

A plain-text document keeps its decoded ``text`` (with offsets into the
file, so chunks can point back at characters). A structured document (PDF,
DOCX, HTML, EPUB) also carries ``blocks``: the reader has already found its
paragraphs, headings and table rows, and where each sits on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PARAGRAPH = "paragraph"
HEADING = "heading"
TABLE_ROW = "table_row"  # "header: value; header: value"
BLOCK_KINDS = (PARAGRAPH, HEADING, TABLE_ROW)


@dataclass(frozen=True)
class Block:
    text: str
    kind: str = PARAGRAPH
    level: int = 0  # 1 for a top heading, 2 below it…; 0 for body blocks
    page: int | None = None  # physical page (1-based) where the block starts
    page_end: int | None = None  # physical page where it ends (a paragraph may cross)
    page_label: str | None = None  # printed labels of those pages, when the file has them
    page_label_end: str | None = None
    position: tuple[float, float] | None = None  # (x, y) of its first line in points, top-left origin

    def __post_init__(self):
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"unknown block kind {self.kind!r}")


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    source_path: str  # relative, posix style: what a citation shows
    title: str = ""
    author: str = ""
    publication: str = ""  # the ``source`` metadata: column, newspaper, site
    url: str = ""
    affiliation: str = ""
    markdown: bool = False
    text_offset: int = 0  # where ``text`` starts in the decoded file
    first_line: int = 1  # the file line on which ``text`` starts
    jsonl_line: int | None = None
    extra: dict = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()  # set by structured readers; chunking then follows them
    pages: int | None = None  # page count, for formats that have pages


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None
    page: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        if self.page and "page" not in self.message:
            where += f" (page {self.page})"
        return f"{where}: {self.message}"


@dataclass
class LoadResult:
    documents: list[Document]
    problems: list[Problem]
    files: list[Path]


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    relative: str  # how the file is named in citations


def blocks_text(blocks) -> str:
    """A structured document's body as plain text, one block per paragraph."""
    return "\n\n".join(block.text for block in blocks)
