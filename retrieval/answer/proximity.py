"""Where a question's words stand in a candidate chunk: the features of the second stage.

BM25 scores a bag of words: a paragraph that names the question's words far
apart, in different sentences, scores as well as one that says them
together. These features look at positions, all by substring search in the
normal form of the text (as snippets do), so nothing is segmented at
question time:

* ``window_share``: the largest share of the question's weight whose words
  all start within ``WINDOW_CHARS`` characters of each other;
* ``longest_run``: the longest stretch of the question found verbatim in the
  chunk (a name, a phrase the question copies);
* ``sentence_pair_share``: the share of the question's character pairs that
  the best two neighbouring sentences hold (robust to segmentation: 至道三年
  is matched whether jieba cuts it 至道/三年 or 至/道/三年);
* ``sentence_char_share``: the same for the question's characters, each
  weighed by its rarity (策畫 asked, 計畫人 cut apart in the text);
* ``title_share``: how much of the document's title the question names
  (“鑫诺卫星通信有限公司哪年成立？” names 《鑫诺卫星通信》).
"""

from __future__ import annotations

import re
from functools import lru_cache

WINDOW_CHARS = 40
_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W_\u3400-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"[。！？!?；;…\n]+")
# Disambiguation in titles: 《HBO (频道)》, 《黑龙江龙 (Sahaliyania)》.
_BRACKETED = re.compile(r"\s*[(（\[【][^)）\]】]*[)）\]】]\s*")


def occurrences(text: str, words) -> list[tuple[int, str]]:
    """(start, word) of every occurrence of ``words`` in ``text``, by start."""
    found = []
    for word in words:
        position = text.find(word)
        while position != -1:
            found.append((position, word))
            position = text.find(word, position + 1)
    found.sort()
    return found


def window_share(text: str, weights: dict[str, float], total: float, width: int = WINDOW_CHARS) -> float:
    """The largest share of ``total`` whose distinct words all stand within
    ``width`` characters (from the first one's start to the last one's
    end): the question's words said together."""
    if total <= 0:
        return 0.0
    found = occurrences(text, [w for w in weights if w and w in text])
    best = current = 0.0
    counts: dict[str, int] = {}
    left = 0
    for start, word in found:
        if not counts.get(word):
            current += weights[word]
        counts[word] = counts.get(word, 0) + 1
        while found[left][0] < start + len(word) - width:
            gone = found[left][1]
            counts[gone] -= 1
            if not counts[gone]:
                current -= weights[gone]
            left += 1
        if current > best:
            best = current
    return min(1.0, best / total)


def longest_run(question: str, text: str) -> int:
    """Length of the longest substring of ``question`` that ``text`` contains.

    Each start extends a match only past the best so far, so this costs
    about one substring search per question character.
    """
    best = 0
    for start in range(len(question)):
        length = best + 1
        while start + length <= len(question) and question[start:start + length] in text:
            best = length
            length += 1
    return best


def question_pairs(question: str) -> frozenset[str]:
    """Neighbouring characters of the question's Chinese runs, and its Latin
    words and numbers whole."""
    pairs = set()
    for match in _RUNS.finditer(question):
        run = match.group()
        if _CJK.match(run):
            pairs.update(run[i:i + 2] for i in range(len(run) - 1))
        else:
            pairs.add(run)
    return frozenset(pairs)


def sentence_ends(text: str) -> list[int]:
    """Where each sentence of ``text`` (in normal form) ends: one regular
    expression pass, for scoring; snippets cut sentences more carefully."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if not ends or ends[-1] < len(text):
        ends.append(len(text))
    return ends


def sentence_pair_share(pairs: frozenset[str], text: str, ends: list[int] | None = None) -> float:
    """The largest share of ``pairs`` that two neighbouring sentences of
    ``text`` (or one, at the end) hold between them."""
    return _neighbouring_share(dict.fromkeys(pairs, 1.0), len(pairs), text, ends)


def question_chars(text: str) -> frozenset[str]:
    """The Chinese characters of ``text``."""
    return frozenset(_CJK.findall(text))


def sentence_char_share(weights: dict[str, float], total: float, text: str, ends: list[int] | None = None) -> float:
    """The largest share of ``total`` that the characters in ``weights``
    found in two neighbouring sentences of ``text`` (or one, at the end)
    carry between them."""
    return _neighbouring_share(weights, total, text, ends)


def _neighbouring_share(weights: dict[str, float], total: float, text: str, ends: list[int] | None) -> float:
    """The largest share of ``total`` that the strings in ``weights``
    (pairs or characters) found in two neighbouring sentences carry."""
    if total <= 0:
        return 0.0
    held = {c: v for c, v in weights.items() if c in text}
    if not held:
        return 0.0
    ends = ends if ends is not None else sentence_ends(text)
    everything = sum(held.values())
    if len(ends) <= 2:
        return everything / total
    best = 0.0
    starts = [0, *ends[:-1]]
    for i in range(len(ends)):
        piece = text[starts[i]:ends[min(i + 1, len(ends) - 1)]]
        found = sum(v for c, v in held.items() if c in piece)
        if found > best:
            best = found
            if best >= everything:
                break
    return best / total


MAX_GAP = 2  # characters between two of an abbreviation's: 国企 in 国有企业, 高校 in 高等学校


def spells_out(text: str, word: str) -> bool:
    r"""Whether ``text`` has ``word``'s characters in order, each 1 to
    MAX_GAP letters after the one before (国企 in 国有企业), as the pattern
    国[^\W\d_]{1,2}企 would find; only for words of 2-4 Chinese characters (a
    Chinese abbreviation keeps a character of each part of the full name).
    By hand: a stream of questions brings new words, and compiling a
    pattern for each cost more than the search."""
    if not 2 <= len(word) <= 4 or not all(_CJK.match(ch) for ch in word):
        return False
    at = text.find(word[0])
    while at != -1:
        if _spelled_from(text, at, word, 1):
            return True
        at = text.find(word[0], at + 1)
    return False


def _spelled_from(text: str, at: int, word: str, k: int) -> bool:
    """word[k:] follows word[k - 1], which stands at ``at``."""
    if k == len(word):
        return True
    for gap in range(1, MAX_GAP + 1):
        between = text[at + gap] if at + gap < len(text) else ""
        if not (between.isalnum() and not between.isdecimal()):  # [^\W\d_]: a letter
            return False
        following = at + gap + 1
        if following < len(text) and text[following] == word[k] and _spelled_from(text, following, word, k + 1):
            return True
    return False


def spelled_out_share(text: str, weights: dict[str, float], total: float) -> float:
    """The share of ``total`` whose words ``text`` lacks but spells out:
    国企 asked, 国有企业 written."""
    if total <= 0:
        return 0.0
    found = 0.0
    for word, weight in weights.items():
        if word not in text and spells_out(text, word):
            found += weight
    return found / total


@lru_cache(maxsize=8192)
def title_key(title: str) -> str:
    """A normal-form title without its bracketed disambiguation."""
    return _BRACKETED.sub("", title).strip() or title.strip()


def title_share(title: str, question: str) -> float:
    """How much of ``title`` (normal form, see ``title_key``) the question
    names verbatim: its longest common run over the title's length, 0 below
    two characters."""
    key = title_key(title)
    if len(key) < 2:
        return 0.0
    run = longest_run(key, question)
    return run / len(key) if run >= 2 else 0.0
