"""Sentence and heading shapes, shared by paragraph repair, title detection, long-paragraph splitting and snippets."""

from __future__ import annotations

import re

# Characters that can end a sentence, and the closers that may trail them
# (“……。” ends inside the quote).
SENTENCE_END = "。！？!?；;…"
MAX_HEADING_CHARS = 40
_NOT_HEADING_END = SENTENCE_END + "，,、：:"
CLOSERS = "”’」』）)》】\"'"
_CLAUSE_MARKS = "，,、；;：:"
# A line that ends in one of these goes on in the next line: "……的", "……和"
# (simplified and traditional forms).
_CLAUSE_END = set("的和与及或在对把被了是为于从将让使以而并且但就也都还又其着之" "與對為於從將讓並還著")
# Words that end in such a character and still end headings well.
_WORD_ENDS = {
    "目的", "参与", "普及", "作为", "有为", "行为", "所在", "存在", "现在", "应对", "面对", "针对", "相对", "绝对",
    "參與", "作為", "有為", "行為", "現在", "應對", "針對", "絕對",
}
_BRACKETS = ("“”", "（）", "()", "《》", "「」", "『』", "【】")

_TRAILING_URL = re.compile(r"(?:https?://|www\.)[!-~]+$")

# Runs of ordinary characters are taken at once ([^…]+): the same matches
# as a character at a time, at half the cost, and no backtracking — what
# stops a run is always matched by the ending.
_SENTENCE = re.compile(
    rf"(?:[^{SENTENCE_END}\n.]+|\.(?!\s|$))*"
    rf"(?:[{SENTENCE_END}]+[{re.escape(CLOSERS)}]*|\.+(?=\s|$)|\n|$)"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences in ``text``, surrounding whitespace excluded."""
    if " " not in text and text.isprintable():  # no whitespace at all (every other kind is unprintable)
        # Nothing to strip, as in most paragraphs' normal form, which every
        # snippet splits: the matches as they are, without the empty one at
        # the end (the only empty one: elsewhere a match takes a character).
        spans = list(map(re.Match.span, _SENTENCE.finditer(text)))
        if spans[-1][0] == spans[-1][1]:
            spans.pop()
        return spans
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
    finished: it stands on its own even without a full stop. So does one
    ending in a web address, which sources print after their last sentence.
    """
    stripped = text.rstrip()
    if not stripped:
        return True
    if _wholly_bracketed(stripped) or _TRAILING_URL.search(stripped):
        return True
    core = stripped.rstrip(CLOSERS)
    if not core:
        return True
    if core[-1] in SENTENCE_END or core[-1] in "：:":
        return True
    # A Latin full stop, but not "3." style numbering.
    return core[-1] == "." and len(core) > 1 and not core[-2].isdigit()


def ends_paragraph(text: str) -> bool:
    """Like ``ends_sentence``, but a semicolon goes on: "……；" ends a clause
    of a paragraph, or an item of a list, which the next line continues."""
    return ends_sentence(text) and not text.rstrip().rstrip(CLOSERS).endswith(("；", ";"))


def _wholly_bracketed(text: str) -> bool:
    pairs = {"（": "）", "(": ")", "【": "】", "[": "]"}
    return len(text) > 2 and pairs.get(text[0]) == text[-1]


def looks_like_heading(line: str) -> bool:
    """A short line that does not end like a sentence or read like a clause.

    A cut paragraph's first half or a hard-wrapped line is short and
    unpunctuated at its end too, but it nearly always holds a comma or a
    colon, ends in a word that needs a next one (……的, ……和), or leaves a
    quote open.
    """
    line = line.strip()
    if not line or len(line) > MAX_HEADING_CHARS:
        return False
    if line[-1] in _NOT_HEADING_END or ends_sentence(line):
        return False
    return "。" not in line and not reads_like_clause(line) and _balanced(line)


def reads_like_clause(text: str) -> bool:
    if any(mark in text for mark in _CLAUSE_MARKS):
        return True
    core = text.rstrip(CLOSERS)
    return bool(core) and core[-1] in _CLAUSE_END and core[-2:] not in _WORD_ENDS


def _balanced(text: str) -> bool:
    return all(text.count(a) == text.count(b) for a, b in _BRACKETS)
