"""Plain text → paragraphs: the repair of layout damage in ``.txt``, ``.md``
and JSONL records.

Layout extraction (PDF, newspaper pages) damages paragraphs in a few typical
ways, and the repair is generic rather than tuned to one page:

* lines are hard-wrapped: they are joined back (``layout_units``);
* a paragraph is cut mid-sentence and goes on after a blank line, or after a
  short heading line placed in between: a paragraph that does not end like a
  sentence is joined with the next body paragraph, and headings met on the
  way take effect after it;
* a heading is repeated: a heading whose text the document already keeps (as
  its title or a section) is dropped.

No text is dropped otherwise. A single line between blank lines is a heading
only if it is shaped like one (``line_shapes.heading_shape``) and what
follows does not carry on its sentence; headings in a row make one section
path ("专栏 / 作者"), and headings with no paragraph after them (a record that
is one short phrase, a list of numbered lines) are text after all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice

from retrieval.chunking.layout_lines import block_wrap_width, document_blocks, non_final_lines, wrap_widths
from retrieval.chunking.layout_units import HEADING, PROSE, Unit, block_units
from retrieval.chunking.line_shapes import heading_shape, starts_mid_sentence
from retrieval.chunking.paragraphs import Paragraph, Piece
from retrieval.ingest.model import Document
from retrieval.sentences import ends_paragraph

SECTION_SEPARATOR = " / "
# = chunks.MAX_PARAGRAPH_CHARS, which splits a longer paragraph at any sentence.
LONG_PARAGRAPH = 1000
SHORT_HALF = 100  # a cut's first half is often short; a paragraph lacking its full stop rarely
MAX_HEADINGS_IN_A_ROW = 3  # more, with nothing between them, is a list (a table of contents)
# A guessed heading is the section of what follows it, not text, as
# tests/test_chunking.py pins; True also keeps it as the first line of the
# paragraph it heads, so that a wrong guess costs no text
# (scripts/layout_eval.py --heading-text measures the difference).
GUESSED_HEADINGS_IN_TEXT = False


def text_paragraphs(doc: Document) -> list[Paragraph]:
    blocks = document_blocks(doc)
    widths = wrap_widths(non_final_lines(blocks))
    units: list[Unit] = []
    for block in blocks:
        own = block_wrap_width(block)
        units.extend(block_units(block, doc.text, widths + (own,) if own else widths, doc.markdown))
    return _Assembly(doc.title).run(units)


@dataclass
class _Assembly:
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    section: str = ""
    pending: Paragraph | None = None  # the paragraph a cut may still continue
    deferred: list[Unit] = field(default_factory=list)  # headings met inside a cut paragraph
    headings: list[Unit] = field(default_factory=list)  # since the last paragraph
    kept: set[str] = field(default_factory=set)  # heading texts the document keeps
    joins: list[int] = field(default_factory=list)  # where ``pending`` was joined across a cut

    def run(self, units: list[Unit]) -> list[Paragraph]:
        if self.title.strip():
            self.kept.add(self.title.strip())
        for index, unit in enumerate(units):
            after = islice(units, index + 1, None)
            if unit.kind == HEADING or unit.candidate and _heading_here(unit, after, self._cut()):
                self._heading(unit)
            elif unit.kind == PROSE:
                if self._cut():
                    self.joins.append(len(self.pending.pieces))
                    self.pending.pieces.extend(unit.pieces)
                else:
                    self._flush()
                    self.pending = self._paragraph(unit.pieces)
            else:
                self._flush()
                self.paragraphs.append(self._paragraph(unit.pieces))
        self._flush()
        for unit in self.headings:  # nothing came after them: they are text
            self.paragraphs.append(Paragraph(list(unit.pieces), self.section))
        return self.paragraphs

    def _cut(self) -> bool:
        return self.pending is not None and not ends_paragraph(self.pending.text)

    def _heading(self, unit: Unit) -> None:
        if unit.heading in self.kept:
            return
        self.kept.add(unit.heading)
        if self._cut():
            self.deferred.append(unit)
        else:
            self._flush()
            self.headings.append(unit)

    def _flush(self) -> None:
        if self.pending is not None:
            self.paragraphs.extend(_parted(self.pending, self.joins))
            self.pending = None
            self.joins = []
        self.headings.extend(self.deferred)
        self.deferred.clear()

    def _paragraph(self, pieces: list[Piece]) -> Paragraph:
        if self.headings:
            if _is_list(self.headings):
                rows = "\n".join(unit.heading for unit in self.headings)
                first, last = self.headings[0].pieces[0], self.headings[-1].pieces[-1]
                self.paragraphs.append(Paragraph([Piece(rows, first.start, last.end, first.line)], self.section))
            else:
                self.section = SECTION_SEPARATOR.join(unit.heading for unit in self.headings)
                if GUESSED_HEADINGS_IN_TEXT:
                    guessed = [unit.pieces[0] for unit in self.headings if not unit.explicit]
                    pieces = [Piece(p.text + "\n", p.start, p.end, p.line) for p in guessed] + list(pieces)
            self.headings = []
        return Paragraph(list(pieces), self.section)


def _parted(paragraph: Paragraph, joins: list[int]) -> list[Paragraph]:
    """A paragraph too long to be one most likely holds two: one that merely
    lacks its full stop, joined to the next as if cut, or paragraphs set
    without a blank line whose line break fell after a full stop. Part it at
    the first join after a paragraph's worth of text, else at the last full
    stop at a line's end, else at the first join the length allows (the order
    that kept most CMRC/DRCD paragraphs whole of those tried)."""
    pieces = paragraph.pieces
    if len(pieces) < 2 or _length(pieces) <= LONG_PARAGRAPH:
        return [paragraph]
    stops = [k for k in range(1, len(pieces)) if ends_paragraph(pieces[k - 1].text)]
    parts: list[list[Piece]] = []
    start = 0
    while _length(pieces[start:]) > LONG_PARAGRAPH:
        fits = [k for k in sorted(set(joins) | set(stops)) if k > start and _length(pieces[start:k]) <= LONG_PARAGRAPH]
        after_paragraph = [k for k in fits if k in joins and _length(pieces[start:k]) >= SHORT_HALF]
        fitting = after_paragraph[:1] or [k for k in fits if k in stops][-1:] or fits[:1]
        if not fitting:
            break
        parts.append(pieces[start:fitting[0]])
        start = fitting[0]
    parts.append(pieces[start:])
    return [Paragraph(part, paragraph.section) for part in parts]


def _length(pieces: list[Piece]) -> int:
    return len(Paragraph(pieces, "").text)


def _heading_here(unit: Unit, after: Iterable[Unit], inside_cut: bool) -> bool:
    if not heading_shape(unit.heading):
        return False
    if inside_cut:  # a title dropped between the halves of a cut paragraph, as on newspaper pages
        return True
    # "……地区" then "，西起……", "……起源於197" then "4年……": the first half
    # of a cut sentence, not a title, even with a byline put in between.
    following = next((u for u in after if not (u.candidate and heading_shape(u.heading))), None)
    if following is None or following.kind == HEADING:
        return True
    rest = following.first_text
    return not (starts_mid_sentence(rest) or unit.heading[-1].isdigit() and rest[:1].isdigit())


def _is_list(headings: list[Unit]) -> bool:
    if len(headings) > MAX_HEADINGS_IN_A_ROW:
        return True
    styles = [unit.style for unit in headings]
    return any(a is not None and a == b for a, b in zip(styles, styles[1:]))
