"""What one line of plain text looks like: a heading, a list item, a table
row, a field of a contact block.

A line wrongly taken for a heading loses its text to the section, while a
heading wrongly kept as text only costs the section label, so the heading
test leans towards text: anything that reads like a clause, a field, a list
or a number is content.
"""

from __future__ import annotations

import re

from retrieval.sentences import CLOSERS, MAX_HEADING_CHARS, SENTENCE_END, looks_like_heading

# Numbering that opens a heading or a list item; the index is its style, so
# that "1." after "1." reads as a list and "（一）" after "一、" as a sub-heading.
_CHAPTER = 2  # "第一章": numbers chapters and sections, never list items
_NUMBERINGS = [
    re.compile(r"[一二三四五六七八九十百]+、"),
    re.compile(r"[（(][一二三四五六七八九十百]+[）)]"),
    re.compile(r"第[一二三四五六七八九十百千\d]+[章节部分篇编讲卷回]"),
    re.compile(r"\d{1,2}(?:\.\d{1,2})+(?=\s)"),  # "1.1 背景", not "1.7公斤" or "80.1%"
    re.compile(r"\d{1,2}[.．、](?!\d)"),
    re.compile(r"[（(]\d{1,2}[）)]"),
    re.compile(r"[①-⑳]"),
]
_NUMBER_STARTS = set("一二三四五六七八九十百（(第0123456789") | {chr(c) for c in range(ord("①"), ord("⑳") + 1)}
# "-", "*" and "+" only with a space after them: "-1" or "*强调*" are text.
_BULLET = re.compile(r"[-*+]\s+\S|[•·●○■□◆◇▪▶►✓✔]\s*\S")
_FIELD = re.compile(r"[\w\u4e00-\u9fff（）()/ -]{1,10}[：:]\s*\S")
_CJK_GAP = re.compile(r"[\u4e00-\u9fff][ \t\u3000]+[\u4e00-\u9fff]")

# A line starting with these is the rest of a sentence begun before it.
_CONTINUATION_START = "，。、；：？！）」』”’》】,.;:!?)的们"
LINE_END_PUNCTUATION = SENTENCE_END + "，,、：:" + CLOSERS
_PUNCTUATION = set(LINE_END_PUNCTUATION)


def numbering(text: str) -> tuple[str, str] | None:
    """(style, rest of the line) when the line opens with a heading or item
    number; "第一章" and "第一节" are styles of their own."""
    if not text or text[0] not in _NUMBER_STARTS:  # most lines: spare the patterns
        return None
    for index, pattern in enumerate(_NUMBERINGS):
        match = pattern.match(text)
        if match:
            style = f"number{index}" + (match.group(0)[-1] if index == _CHAPTER else "")
            return style, text[match.end():].strip().lstrip("：:.．、 ").strip()
    return None


def is_bullet(text: str) -> bool:
    return bool(_BULLET.match(text))


def list_style(text: str) -> str | None:
    """A key shared by the items of one list (bullet or numbering style)."""
    if _BULLET.match(text):
        return "bullet" + text[0]
    number = numbering(text)
    # "第二篇文章……" and "第三章……" open sentences and chapters, not list items.
    return number[0] if number and number[1] and not number[0].startswith(f"number{_CHAPTER}") else None


def is_table_row(text: str) -> bool:
    return len(text) > 1 and text.startswith("|")


def is_name_list(text: str) -> bool:
    """"陈秀 宋红 徐杰": short words between spaces, no sentence around them."""
    words = text.split()
    return len(words) >= 3 and all(len(word) <= 4 and not set(word) & _PUNCTUATION for word in words)


def is_field(text: str) -> bool:
    """"电话：023-…", "地址：…": a label and its value."""
    return bool(_FIELD.match(text)) and not text.rstrip().endswith(("：", ":"))


def starts_mid_sentence(text: str) -> bool:
    """"，西起……", "分，但由於……" (a word cut in two: no clause is one character long)."""
    if not text:
        return False
    if text[0] in _CONTINUATION_START or text[0].isascii() and text[0].islower():
        return True
    return len(text) > 1 and text[1] in LINE_END_PUNCTUATION and text[1] not in CLOSERS


def heading_shape(text: str) -> bool:
    """Short, title-like, and none of the content shapes."""
    if _BULLET.match(text) or is_table_row(text) or len(text) > MAX_HEADING_CHARS:
        return False
    number = numbering(text)
    rest = number[1] if number else text
    if not looks_like_heading(rest) or is_field(rest):  # the rest: "一、" is no clause
        return False
    if _CJK_GAP.search(rest) or "://" in text or "@" in text or not any(c.isalpha() for c in rest):
        return False
    if sum(c.isdigit() for c in rest) * 10 >= 3 * len(rest):  # dates, phone numbers, figures
        return False
    return True
