"""Sentence and heading shapes, shared by paragraph repair, title detection, long-paragraph splitting and snippets."""

from __future__ import annotations

import re

# Characters that can end a sentence, and the closers that may trail them
# (“……。” ends inside the quote).
SENTENCE_END = "。！？!?；;…"
MAX_HEADING_CHARS = 40
_NOT_HEADING_END = SENTENCE_END + "，,、：:"
CLOSERS = "”’」』）)》】\"'"

_SENTENCE = re.compile(
    rf"(?:[^{SENTENCE_END}\n.]|\.(?!\s|$))*"
    rf"(?:[{SENTENCE_END}]+[{re.escape(CLOSERS)}]*|\.+(?=\s|$)|\n|$)"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences in ``text``, surrounding whitespace excluded."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends the way a finished sentence or paragraph does.

    A line wholly in brackets, such as a byline “（作者单位：……）”, counts as
    finished: it stands on its own even without a full stop.
    """
    stripped = text.rstrip()
    if not stripped:
        return True
    if _wholly_bracketed(stripped):
        return True
    core = stripped.rstrip(CLOSERS)
    if not core:
        return True
    if core[-1] in SENTENCE_END or core[-1] in "：:":
        return True
    # A Latin full stop, but not "3." style numbering.
    return core[-1] == "." and len(core) > 1 and not core[-2].isdigit()


def _wholly_bracketed(text: str) -> bool:
    pairs = {"（": "）", "(": ")", "【": "】", "[": "]"}
    return len(text) > 2 and pairs.get(text[0]) == text[-1]


def looks_like_heading(line: str) -> bool:
    """A short line that does not end like a sentence or a clause."""
    line = line.strip()
    if not line or len(line) > MAX_HEADING_CHARS:
        return False
    if line[-1] in _NOT_HEADING_END or ends_sentence(line):
        return False
    return "。" not in line
