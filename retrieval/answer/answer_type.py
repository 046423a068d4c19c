"""What a question asks, for the second stage: its asking words, its numbers, the kind of answer.

The second stage (``second_stage``) weighs where a question's words stand in
a candidate. Three things about the question itself sharpen that, all found
in its normal form without segmenting anything at question time:

* **asking words** (``asking_spans``): 哪一年, 何人, 多久, 哪一座 … say what
  is asked, not what the answer is about; matched in a paragraph (过没多久,
  一座, 一年多) they only add noise, so the positional features leave them
  out (``without_asking``);
* **numbers** (``QuestionNumbers``): a number the question states (约9000人,
  九成, 十度) is a hard constraint, and paragraphs write it in another form
  (九千, 90%, 10°; 25% for 四分之一): the share of the question's numbers a
  candidate holds in any form;
* **answer type** (``asked_numbers``, ``best_sentence_typed``): a question
  asking when, which year or how many is answered by a sentence holding its
  words *and* a number of the asked kind (the patterns are the not-found
  decision's, ``relevance``).

Weights and measurements: ``second_stage`` and docs/retrieval-quality.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from retrieval.answer import relevance

# Classifiers and nouns that 哪/几 ask with: 哪一座, 哪个, 几年, 哪国.
_ASKED_WITH = "个位种座门条所家部本首场项年天些类支间次届名件张块只头匹棵株艘架辆国州省市县城"
ASKING = re.compile(
    rf"哪(?:一)?(?:[{_ASKED_WITH}]|方面|儿|里|边|些)?"
    rf"|何(?:年|时|人|处|地|种|者|在)?|为何|如何|几(?:[{_ASKED_WITH}]|岁|成|倍|月|号)?"
    r"|多少|多久|多长(?:时间)?|多大|多高|多远|多重|多深|多宽|多快"
    r"|什么(?:时候|时间|样|地方)?|啥(?:时候)?|甚么|谁|是否"
)
# Dropped when the question's character pairs are formed a second time, so
# that 发球的权力 also meets 发球权 (球权) and 中国的首都 meets 中国首都.
_LINKING = "的"


def asking_spans(question: str) -> list[tuple[int, int]]:
    """Where ``question`` (normal form) says what it asks: 哪一年, 多久, 谁."""
    return [m.span() for m in ASKING.finditer(question) if m.end() > m.start()]


def _only_inside(word: str, question: str, spans: list[tuple[int, int]]) -> bool:
    """Whether every occurrence of ``word`` in ``question`` lies in one of ``spans``."""
    position = question.find(word)
    if position < 0:
        return False
    while position >= 0:
        if not any(a <= position and position + len(word) <= b for a, b in spans):
            return False
        position = question.find(word, position + 1)
    return True


def without_asking(weights: dict[str, float], question: str) -> dict[str, float]:
    """``weights`` less the words the question uses only in its asking words
    (一年 of 哪一年, 多久, 一座 of 哪一座); all of them if nothing would remain."""
    spans = asking_spans(question)
    if not spans:
        return weights
    kept = {w: v for w, v in weights.items() if not _only_inside(w, question, spans)}
    return kept if kept else weights


def content_text(question: str) -> str:
    """``question`` with its asking words blanked out."""
    for start, end in reversed(asking_spans(question)):
        question = question[:start] + " " + question[end:]
    return question


def pair_sources(question: str) -> tuple[str, str]:
    """The texts the question's character pairs are taken from: its words
    without the asking ones, and the same without 的 (发球的权力 → 发球权力)."""
    content = content_text(question)
    return content, content.replace(_LINKING, "")


# --- numbers -----------------------------------------------------------------

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_DIGITS.update({"〇": 0, "两": 2})
_UNITS = {"十": 10, "百": 100, "千": 1000}
_MAGNITUDES = {"万": 10 ** 4, "亿": 10 ** 8}
_CN = "零〇一二两三四五六七八九十百千万亿"
_NUMBER = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s*(万|亿)?\s*(%|成)?"  # 9000, 1.25亿, 90%
    rf"|百分之([{_CN}]+)"  # 百分之九十
    rf"|([{_CN}]+)分之([{_CN}]+)"  # 十六分之一
    rf"|([{_CN}]{{1,8}})(成)?"  # 九千, 两千一百五十四, 九成
)
# A lone 一, 两, 百, 千, 万 or 亿 is a word far more often than a number
# (一种, 百年, 千家万户); 一一 (one by one) and 万一 (in case) are none.
_NOT_NUMBERS = frozenset("一两百千万亿") | {"一一", "万一"}


def chinese_value(numeral: str) -> int | None:
    """两千一百五十四 → 2154, 十六 → 16, 一九九七 → 1997; None if it is no numeral."""
    if all(c in _DIGITS for c in numeral):
        return int("".join(str(_DIGITS[c]) for c in numeral))
    total = section = digit = 0
    for c in numeral:
        if c in _DIGITS:
            digit = _DIGITS[c]
        elif c in _UNITS:
            section += (digit or 1) * _UNITS[c]
            digit = 0
        elif c in _MAGNITUDES:
            total += (section + digit) * _MAGNITUDES[c]
            section = digit = 0
        else:
            return None
    return total + section + digit


def numbers(text: str) -> Iterable[tuple[str, float | tuple[str, int, int]]]:
    """(as written, value) of each number in ``text`` (normal form): 九成 and
    90% are both 90, 九千 and 9,000 both 9000, 十六分之一 is ("of", 1, 16)."""
    for match in _NUMBER.finditer(text):
        digits, magnitude, percent, hundredths, whole, part, numeral, tenths = match.groups()
        value: float | tuple[str, int, int] | None
        if digits:
            try:
                value = float(digits.replace(",", ""))
            except ValueError:
                continue
            if magnitude:
                value *= _MAGNITUDES[magnitude]
            if percent == "成":
                value *= 10
        elif hundredths:
            value = chinese_value(hundredths)
        elif whole:
            of, share = chinese_value(whole), chinese_value(part)
            value = ("of", share, of) if of and share is not None else None
        else:
            if numeral in _NOT_NUMBERS:
                continue
            value = chinese_value(numeral)
            if value is not None and tenths:
                value *= 10
        if value is None:
            continue
        yield match.group(), (value if isinstance(value, tuple) else round(float(value), 6))


def _forms(value: float | tuple[str, int, int] | None) -> tuple:
    """A value and, for a fraction, the percentage it is: 四分之一 is 25%."""
    if value is None:
        return ()
    if isinstance(value, tuple):
        _, share, whole = value
        return (value, round(100.0 * share / whole, 6))
    return (value,)


@lru_cache(maxsize=1024)
def _values(text: str) -> frozenset:
    """The values of the numbers in ``text``, in every form: candidates recur across questions."""
    return frozenset(form for _, v in numbers(text) for form in _forms(v))


class QuestionNumbers:
    """The numbers a question states, and how many of them a text holds in any form."""

    def __init__(self, question: str):
        self.numbers = [
            (written, frozenset(_forms(value) + _forms(complement(written, value))))
            for written, value in numbers(question)
        ]

    def __bool__(self) -> bool:
        return bool(self.numbers)

    def share(self, text: str) -> float:
        """The share of the question's numbers ``text`` holds, as written, in
        another form (九千 for 9000, 90% for 九成) or, for a proportion, as
        the rest of the whole (九成 asked, 10% written); 0 without numbers."""
        if not self.numbers:
            return 0.0
        values = None
        held = 0
        for written, forms in self.numbers:
            if written in text:
                held += 1
                continue
            if values is None:  # only when a number is not there as written
                values = _values(text)
            held += not forms.isdisjoint(values)
        return held / len(self.numbers)


_PROPORTION = re.compile(r"%|成|百分之")


def complement(written: str, value: float | tuple[str, int, int]) -> float | tuple[str, int, int] | None:
    """The rest of the whole for a proportion: 九成 → 10 (%), 百分之三 → 97,
    四分之三 → 四分之一. Questions are often asked from the other side (韩国
    只有百分之三的能源不是……, the text: 97%的能源依赖进口): on DRCD dev, +2.
    None for a number that is no proportion."""
    if isinstance(value, tuple):
        _, share, whole = value
        return ("of", whole - share, whole) if whole and share is not None and 0 < share < whole else None
    if _PROPORTION.search(written) and 0 < value < 100:
        return round(100.0 - value, 6)
    return None


# --- answer type --------------------------------------------------------------

def asked_numbers(question: str) -> tuple[re.Pattern, ...] | None:
    """For a question asking when, which year or how many (``relevance``'s
    test), the patterns of the numbers that answer it; None for others."""
    if not relevance.asks_for_quantity(question):
        return None
    return relevance.wanted_numbers(question)


def _holds_new_number(piece: str, patterns: tuple[re.Pattern, ...], question: str) -> bool:
    """A number of the asked kind in ``piece`` that the question did not
    bring itself. Unlike the decline's test (``relevance.has_new_number``) a
    number in a quoted term counts here: that rule was set for declines
    (tune3's near-topic questions); leaving such numbers out of ranking too
    was tried and not kept."""
    for pattern in patterns:
        for match in pattern.finditer(piece):
            start, end = relevance.number_span(pattern, match)
            if piece[start:end] not in question:
                return True
    return False


def best_sentence_typed(
    text: str,
    weights: dict[str, float],
    patterns: tuple[re.Pattern, ...],
    question: str,
    ends: list[int],
) -> float:
    """1.0 when a sentence of ``text`` that holds the most of the question's
    weight also holds a number of the asked kind (``patterns``), else 0."""
    present = [w for w in weights if w in text]
    if not present:
        return 0.0
    starts = [0, *ends[:-1]]
    pieces = [text[s:e] for s, e in zip(starts, ends)]
    shares = [sum(weights[w] for w in present if w in piece) for piece in pieces]
    best = max(shares)
    if best <= 0:
        return 0.0
    return float(any(
        share >= best - 1e-9 and _holds_new_number(piece, patterns, question)
        for piece, share in zip(pieces, shares)
    ))
