"""Text as a page shows it, shared by the HTML reader's modules: which tags
hold text, whitespace, and what counts as a sentence's end."""

from __future__ import annotations

import re

# Not text a reader sees (or not text at all).
SKIPPED = frozenset({
    "script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "frame", "frameset",
    "object", "embed", "applet", "audio", "video", "select", "option", "optgroup", "button", "input",
    "textarea", "map", "head", "title", "meta", "link", "base", "marquee", "datalist",
})
BLOCK_TAGS = frozenset({
    "html", "body", "address", "article", "aside", "blockquote", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "hr", "legend", "li", "main", "menu", "nav", "ol", "p",
    "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "ul",
})

_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f"
_CJK_CHAR = re.compile(f"[{_CJK}]")
# A line break beside a Chinese character is the source's line wrapping, not
# a space: Chinese text has none between words, nor before "2024年" or "AI".
_WRAP = "[ \\t\\f\\v]*[\\r\\n][ \\t\\n\\r\\f\\v]*"
_WRAP_BESIDE_CJK = re.compile(f"(?<=[{_CJK}]){_WRAP}|{_WRAP}(?=[{_CJK}])")
# &nbsp; is kept inside a paragraph (it is the text's own character, in
# numbers and units "150 °C" too) and stripped only at its edges.
_SPACES = re.compile("[ \\t\\n\\r\\f\\v]+")
_SENTENCE_ENDS = frozenset("。！？!?…」』”\"）)")
PUNCTUATION = re.compile("[，。！？；、,;!?]")


def normalize(raw: str) -> str:
    """Whitespace as a browser shows it, minus the spaces that line wrapping
    puts beside Chinese characters, and minus the paragraph's indent
    (&nbsp; or full-width spaces)."""
    if "\n" in raw or "\r" in raw:
        raw = _WRAP_BESIDE_CJK.sub("", raw)
    return _SPACES.sub(" ", raw).strip()


def counted(text: str) -> int:
    """Characters other than spaces, in normalized text (whose only
    whitespace is single spaces and full-width ones)."""
    return len(text) - text.count(" ") - text.count("\u3000")


def raw_chars(text: str) -> int:
    """``counted`` for text not yet normalized."""
    return len("".join(text.split()))


def is_cjk(ch: str) -> bool:
    return bool(_CJK_CHAR.match(ch))


def ends_sentence(text: str) -> bool:
    """Ends as a sentence or a closing bracket or quote does."""
    return bool(text) and text[-1] in _SENTENCE_ENDS


def ends_statement(text: str) -> bool:
    """Ends with a full stop, question or exclamation mark (inside quotes or
    brackets or not): "版权所有 (2024)" does not, "他说：“好。”" does."""
    text = text.rstrip("」』”\"）)")
    return bool(text) and text[-1] in "。！？!?…"
