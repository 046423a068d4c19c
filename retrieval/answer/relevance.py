"""Does the best chunk answer the question, or should we say the documents don't?

Two tests, both on the best hit:

* **coverage**: the share of the question's weight that the chunk (with its
  title, author and section) contains. A term the corpus knows weighs its
  idf; an unknown name weighs like the rarest term, because a question about
  深圳 is not answered by a chunk about 重庆; an unknown everyday word weighs
  little, because users paraphrase (老百姓 for 群众, 搞 for 推进).
* **places**: a question about a place the corpus never names (上海, 深圳)
  is about somewhere else, whatever else matches.
* **answer type**: a question asking how many, how much or when is answered
  only by sentences that contain a number the question did not bring itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from retrieval.index.analyzer import is_place_name, looks_like_name

# The highest threshold that still answers 97% of the CMRC 2018 and DRCD dev
# questions (`python -m retrieval calibrate`, docs/retrieval-quality.md); on
# the bundled corpus's questions anything from 0.3 to 0.4 decides the same.
MIN_COVERAGE = 0.4
# An unknown everyday word weighs like a term found in half the chunks.
UNKNOWN_WORD_WEIGHT = 0.75

_QUANTITY_QUESTION = re.compile(
    r"多少|(?<!哪)几(?:个|年|月|天|次|家|种|项|条|位|名|岁|成|倍|万|亿|座|所|张|件|届|批)"
    r"|哪一?年|何年|什么时候|何时|多久|多长时间|how (?:many|much)|\bwhen\b",
    re.IGNORECASE,
)
# A lone 一 is "a/one" (一个人, 一种方式) far more often than a count.
_NUMERAL = r"(?:\d[\d,.]*|(?!一(?![零〇一二两三四五六七八九十百千万亿]))[零〇一二两三四五六七八九十百千万亿]+)"
_NUMBER = re.compile(
    rf"\d|百分之|{_NUMERAL}"
    r"(?:个|年|月|日|天|次|家|种|项|条|位|名|岁|元|万|亿|倍|成|张|座|所|件|届|批|%|％)"
)
# "how many <unit>" wants a number of that unit: 24小时 does not count 书屋.
_ASKED_UNIT = re.compile(r"(?:多少|(?<!哪)几)(个|天|次|家|项|条|位|名|岁|倍|座|所|张|件|届|批|元|钱)")
_UNIT_SPELLINGS = {"钱": "元|块|钱"}
_TIME_QUESTION = re.compile(r"哪一?年|何年|几年|什么时候|何时|哪天|几月|几号|\bwhen\b", re.IGNORECASE)
_TIME = re.compile(rf"{_NUMERAL}\s*(?:年|月|日|号|世纪|年代)|\d{{4}}")


@dataclass(frozen=True)
class Decision:
    answered: bool
    reason: str  # "answered", "low_coverage", "no_number" or "unknown_place"
    coverage: float


def unknown_places(tokens: list[str], vocabulary: dict[str, int]) -> list[str]:
    """Place names the question uses and the corpus never mentions."""
    return [t for t in dict.fromkeys(tokens) if t not in vocabulary and is_place_name(t)]


def term_weights(tokens: list[str], vocabulary: dict[str, int], idf: np.ndarray, n_docs: int) -> dict[str, float]:
    rarest = float(np.log1p((n_docs + 0.5) / 0.5))
    weights: dict[str, float] = {}
    for term in dict.fromkeys(tokens):
        term_id = vocabulary.get(term)
        if term_id is not None:
            weights[term] = float(idf[term_id])
        elif looks_like_name(term):
            weights[term] = rarest
        else:
            weights[term] = UNKNOWN_WORD_WEIGHT
    return weights


def coverage(weights: dict[str, float], found: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in found) / total if total else 0.0


def asks_for_quantity(question: str) -> bool:
    return bool(_QUANTITY_QUESTION.search(question))


def has_new_number(snippet: str, highlights: list[tuple[int, int]], question: str = "") -> bool:
    """A number of the kind ``question`` asks for, in ``snippet`` outside the
    words the question itself used: a date for "when", a count of the asked
    unit for "how many <unit>", any number otherwise."""
    masked = list(snippet)
    for start, end in highlights:
        masked[start:end] = " " * (end - start)
    text = "".join(masked)
    if _TIME_QUESTION.search(question):
        return bool(_TIME.search(text))
    unit = _ASKED_UNIT.search(question)
    if unit:
        spelling = _UNIT_SPELLINGS.get(unit.group(1), re.escape(unit.group(1)))
        return bool(re.search(rf"{_NUMERAL}\s*(?:万|亿)?\s*(?:{spelling})", text))
    return bool(_NUMBER.search(text))


def rule_out(
    question: str,
    snippet: str,
    highlights: list[tuple[int, int]],
    places_unknown: list[str] = (),
) -> str | None:
    """Why the best hit cannot answer whatever its coverage, or None."""
    if places_unknown:
        return "unknown_place"
    if asks_for_quantity(question) and not has_new_number(snippet, highlights, question):
        return "no_number"
    return None


def number_test(question: str):
    """For a how-many or when question, a test of whether a sentence holds a
    number of the asked kind; None for other questions."""
    if not asks_for_quantity(question):
        return None
    return lambda sentence: has_new_number(sentence, [], question)


def decide(
    question: str,
    hit_coverage: float,
    snippet: str,
    highlights: list[tuple[int, int]],
    places_unknown: list[str] = (),
    *,
    min_coverage: float | None = None,
) -> Decision:
    threshold = MIN_COVERAGE if min_coverage is None else min_coverage
    reason = rule_out(question, snippet, highlights, places_unknown)
    if reason == "unknown_place":
        return Decision(False, reason, hit_coverage)
    if hit_coverage < threshold:
        return Decision(False, "low_coverage", hit_coverage)
    if reason:
        return Decision(False, reason, hit_coverage)
    return Decision(True, "answered", hit_coverage)
