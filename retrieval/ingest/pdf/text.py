"""Characters and how printed lines of one paragraph are glued together."""

from __future__ import annotations


def is_cjk(ch: str) -> bool:
    """Ideographs, kana, hangul and full-width forms: written without spaces."""
    if not ch:
        return False
    code = ord(ch)
    return (0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
            or 0xFE30 <= code <= 0xFE4F or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x3FFFF)


# Punctuation that may not begin a line: it goes with the character before.
CLOSING = set("，。、；：？！）》」』】〕〉”’…—·,.;:?!)]}%")


def join_lines(left: str, right: str, by_count: bool = False) -> str:
    """Glue two printed lines of one paragraph: Chinese with nothing between,
    Latin words with a space, and a word hyphenated at the line end whole again.
    Text cut after N characters (``by_count``) is cut inside words and numbers:
    nothing goes between its lines."""
    if not left or not right:
        return left or right
    if by_count:
        return left + right
    if left.endswith("-") and len(left) >= 2 and left[-2].isalpha() and not is_cjk(left[-2]) \
            and right[0].islower():
        return left[:-1] + right
    if latin_end(left) and latin_start(right) and not left.endswith(("-", "/")):
        return f"{left} {right}"
    return left + right


def _latin(ch: str) -> bool:
    return ch.isalnum() and not is_cjk(ch)


def latin_end(text: str) -> bool:
    ch = text[-1]
    if _latin(ch) or ch in ".,;:!?)]}%'\"":
        return True
    return ch in "”’" and len(text) > 1 and _latin(text[-2])


def latin_start(text: str) -> bool:
    ch = text[0]
    if _latin(ch):
        return True
    return ch in "([{\"'“‘" and len(text) > 1 and _latin(text[1])
