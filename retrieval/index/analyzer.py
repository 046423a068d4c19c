"""Text → tokens: the one analyzer used for documents and for questions.

Steps, in order:

1. normalise: NFKC (full-width → half-width), lower case, control characters
   to spaces, and OpenCC ``t2s`` so that 重慶/黨建 meet 重庆/党建;
2. segment with jieba, whose dictionary is extended with the corpus's own
   coined terms (see :func:`corpus_terms`) so that “八张报表” stays one token;
3. drop punctuation and stopwords.

Stopwords are the Chinese list of stopwords-iso (MIT licence, shipped by the
``stopwordsiso`` package), a short list of our own of English function words
(articles, pronouns, auxiliaries, prepositions, conjunctions), and a short
list of our own for the way people phrase questions (请问, 介绍一下 …), which
carry no content. stopwords-iso's English list is not used: its 1,298 words
include content words (ai, system, research, information, world, home,
problem), so "AI是什么" came out empty.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

import opencc
import stopwordsiso

from retrieval.index import dictionary
from retrieval.index.dictionary import jieba

jieba.setLogLevel(logging.WARNING)

# Phrasing that wraps a question without saying what it is about. Ours, so
# under this project's licence.
QUESTION_PHRASING = frozenset("""
请问 请教 一下 告诉 知道 想 想要 介绍 讲讲 谈谈 说说 解释 是不是 是否 有没有
文章 本文 文中 这篇 那篇 里面 里 提及 指的是 具体 主要 有哪些 哪几 几个 几项 呢 吗
""".split())

# English function words: what Chinese text quoting English, or a question in
# English, says around its content words. Ours, so under this project's
# licence; deliberately short (stopwords-iso's English list drops content words).
ENGLISH_FUNCTION_WORDS = frozenset("""
a an the
i me my mine myself we us our ours ourselves you your yours yourself yourselves
he him his himself she her hers herself it its itself they them their theirs themselves
this that these those who whom whose which what
am is are was were be been being have has had having do does did doing done
will would shall should can could may might must ought
s t d ll m re ve don doesn didn isn aren wasn weren wouldn shouldn cannot
of in on at by for with about against between into onto through during before after
above below to from up down out off over under upon within without via per than as
and or but nor so yet if then because while although though whether unless until since
not no there here where when why how also just very too
""".split()) | frozenset("abcdefghijklmnopqrstuvwxyz")  # single letters: markup (<b>), list marks, initials

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
# Quoted coinages, and the titles of works in book-title marks (《政府论》,
# 《论自由》): a question naming a work then meets it as one word, not as
# 政府 + 论 scattered over the corpus (DRCD dev +2, CMRC unchanged; titles
# up to 12 characters did worse than 8).
def quoted(min_chars: int, max_chars: int) -> re.Pattern:
    """A term of ``min_chars``–``max_chars`` characters in quotation or
    book-title marks (normal form), as its group 1."""
    return re.compile(rf"[“「『\"《]([^“”「」『』《》\"\n]{{{min_chars},{max_chars}}})[”」』\"》]")


_TERM_QUOTES = quoted(2, 8)
# Anything that normalises to one of _TERM_QUOTES' opening quotes.
_MAY_QUOTE = re.compile(r"[“「『\"＂﹁﹃〝‘《]")
_TERM_CHARS = re.compile(r"^[\w\u4e00-\u9fff]+$")

MIN_TERM_CHARS = 2
MAX_TERM_CHARS = 8


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


# The full-width punctuation of nearly every Chinese sentence, which NFKC
# maps to ASCII. Replaced first, most paragraphs are then already in NFKC,
# which is a fast check; normalizing them costs seven times more.
_FULL_WIDTH_PUNCTUATION = "，：；？！（）"


def _fold(text: str) -> str:
    text = _CONTROL.sub(" ", text)
    for mark in _FULL_WIDTH_PUNCTUATION:
        text = text.replace(mark, chr(ord(mark) - 0xFEE0))  # exactly what NFKC does to it
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def normalize(text: str) -> str:
    """The normal form both documents and questions are matched in."""
    return _converter().convert(_fold(text))


@lru_cache(maxsize=1)
def _iso_stopwords() -> frozenset[str]:
    # English too (Chinese text quotes English, some users ask in English),
    # but only its function words: see ENGLISH_FUNCTION_WORDS.
    return frozenset(normalize(w) for w in stopwordsiso.stopwords("zh")) | ENGLISH_FUNCTION_WORDS


def is_place_name(token: str) -> bool:
    """jieba's dictionary tags it as a place (ns); reliable for real places."""
    return not token.isascii() and token in dictionary.load().place_words


def looks_like_name(token: str) -> bool:
    """A person, place or organisation name by jieba's tags, a foreign word,
    or a word outside jieba's dictionary (a coined term of some corpus).

    Such a word in a question pins down what is asked about, so a corpus that
    never mentions it cannot answer, however many other words match.
    """
    if token.isascii():
        return not token.isdigit()
    base = dictionary.load()
    return not base.knows(token) or token in base.name_words


def stopwords() -> frozenset[str]:
    """What the default analyzer drops: stopwords-iso zh, English function
    words, and question phrasing."""
    return _iso_stopwords() | QUESTION_PHRASING


def _is_cjk(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in text)


def _is_word(token: str) -> bool:
    """Has a letter or a digit: not punctuation, symbols or spaces."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def corpus_terms(texts: Iterable[str], headings: Iterable[str] = ()) -> list[str]:
    """Coined terms a corpus defines for itself.

    Authors put new terms in quotes (“八张报表”, “渝快办”, “一网统管”) and
    the works they cite in book-title marks (《政府论》), and a
    short section heading names a topic. Both are taken as whole words, so
    that the same term in a question is not cut differently from the
    documents. Short document *titles* are not: on CMRC 2018 dev, where most
    titles are entity names jieba already knows, adding them cost 0.5
    points of Hit@1.
    """
    found: set[str] = set()
    headings = [normalize(h).strip() for h in headings]
    for text in [*texts, *headings]:
        if not _MAY_QUOTE.search(text):
            continue  # most paragraphs quote nothing: skip normalising them
        for match in _TERM_QUOTES.finditer(normalize(text)):
            found.add(match.group(1).strip())
    found.update(h for h in headings if "\n" not in h)
    return sorted(
        term for term in found
        if MIN_TERM_CHARS <= len(term) <= MAX_TERM_CHARS
        and _TERM_CHARS.match(term)
        and not term.isdigit()
        and not term.isascii()
    )


class Analysis(NamedTuple):
    tokens: list[str]  # what BM25 scores: words, sub-words, word pairs
    words: list[str]  # the words as written, without sub-words or pairs


class Analyzer:
    """jieba with the corpus's terms, plus normalisation and filtering.

    Each analyzer owns its jieba tokenizer, so two corpora with different
    coined terms never share (and corrupt) one global dictionary.
    """

    # Bump when tokenization changes in a way that makes saved indexes stale.
    # 4: English stopwords are function words only (ENGLISH_FUNCTION_WORDS);
    # 5: single letters dropped again, as stopwords-iso did (<b>渝快办</b>).
    # 6: titles in book-title marks are corpus terms (_TERM_QUOTES).
    VERSION = 6

    # The defaults are the measured best; docs/retrieval-quality.md has the study.
    OPTIONS = {
        "hmm": False,
        "search_mode": True,
        "word_pairs": True,
        "t2s": True,
        "stopwords": True,
        "question_words": True,
        "oov_bigrams": False,
    }

    def __init__(
        self,
        terms: Iterable[str] = (),
        *,
        hmm: bool = False,
        search_mode: bool = True,
        word_pairs: bool = True,
        t2s: bool = True,
        stopwords: bool = True,
        question_words: bool = True,
        oov_bigrams: bool = False,
    ):
        self.terms = tuple(sorted(set(terms)))
        self.hmm = hmm
        self.search_mode = search_mode
        self.word_pairs = word_pairs
        self.t2s = t2s
        self.stopwords = stopwords
        self.question_words = question_words
        self.oov_bigrams = oov_bigrams
        self._drop = (_iso_stopwords() if stopwords else frozenset()) | (QUESTION_PHRASING if question_words else frozenset())
        self._tokenizer = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._ready = False

    def _ensure_ready(self) -> None:
        # jieba loads its dictionary lazily and is not thread-safe while doing so.
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                base = dictionary.load()
                total = base.total
                # A private copy: add_word below must not leak into other analyzers.
                self._tokenizer.FREQ = dict(base.frequencies)
                self._tokenizer.total = total
                self._tokenizer.initialized = True
                for term in self.terms:
                    self._tokenizer.add_word(term)
                    # jieba adds each word's frequency to its total, which
                    # shifts every route's probability a little; kept fixed,
                    # a term changes the segmentation only of text that
                    # contains it, so cached tokens of other files stay exact.
                    self._tokenizer.total = total
                self._ready = True

    @property
    def config(self) -> dict:
        """Everything needed to rebuild this analyzer exactly (saved with an index)."""
        return {"version": self.VERSION, **self.options, "terms": list(self.terms)}

    @property
    def options(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in self.OPTIONS}

    @classmethod
    def from_config(cls, config: dict) -> "Analyzer":
        return cls(config["terms"], **{name: config[name] for name in cls.OPTIONS})

    def is_common_word(self, word: str) -> bool:
        """In jieba's own dictionary, i.e. not a coinage of this corpus."""
        return dictionary.load().knows(word)

    def normalize(self, text: str) -> str:
        return normalize(text) if self.t2s else _fold(text)

    def normalize_with_origin(self, text: str) -> tuple[str, list[int]]:
        """The normal form, and for each of its characters the index of the
        original character it came from (for marking matches in the original)."""
        return _normalize_with_origin(text, self.t2s)

    def _is_content(self, token: str) -> bool:
        return _is_word(token) and token not in self._drop

    def tokenize(self, text: str) -> list[str]:
        """Words (and their sub-words), then the pairs of neighbouring words."""
        return self.analyze(text).tokens

    def analyze(self, text: str) -> "Analysis":
        segments = self._segment(self.normalize(text))
        tokens = [word for word, _, _, _ in segments]
        if self.word_pairs:
            tokens.extend(_pairs(segments))
        words = [word for word, _, _, sentence in segments if sentence >= 0]
        return Analysis(tokens, words)

    def tokenize_spans(self, text: str) -> list[tuple[str, int, int]]:
        """Word tokens with their (start, end) in the original ``text``.

        Used to mark matched words; normalisation can change lengths, so the
        offsets are mapped back character by character.
        """
        normalized, origin = _normalize_with_origin(text, self.t2s)
        return [(word, origin[start], origin[end - 1] + 1) for word, start, end, _ in self._segment(normalized)]

    def _segment(self, normalized: str) -> list[tuple[str, int, int, int]]:
        """Content words as (word, start, end, clause); ``clause`` is -1 for a
        search-mode sub-word, else the number of the sentence it stands in.

        Search mode is jieba's own: a long word also yields the 2- and
        3-character dictionary words inside it, so 国有企业 yields 国有 and 企业
        too. A coined term is one token like any other word (“八张报表”), and
        its known sub-words come with it, so a question that says 报表 still
        meets it (keeping coined terms unsplit cost 1.4 points of Hit@1 on
        CMRC 2018 trial).
        """
        self._ensure_ready()
        known = self._tokenizer.FREQ
        out: list[tuple[str, int, int, int]] = []
        sentence = 0
        for word, start, end in self._tokenizer.tokenize(normalized, HMM=self.hmm):
            if any(ch in _PAIR_BREAKS for ch in word):
                sentence += 1
                continue
            if len(word) > 2:
                out.extend(self._sub_words(word, start, known))
            word = word.strip()
            if self._is_content(word):
                out.append((word, start, end, sentence))
        return out


    def _sub_words(self, word: str, start: int, known: dict) -> list[tuple[str, int, int, int]]:
        grams = []
        if self.search_mode:
            grams += [(i, size) for size in (2, 3) for i in range(len(word) - size + 1)
                      if size < len(word) and known.get(word[i:i + size])]
        if self.oov_bigrams and not known.get(word) and _is_cjk(word):
            # A word jieba's HMM made up: its character pairs can still meet
            # the same name written inside a longer or shorter word.
            grams += [(i, 2) for i in range(len(word) - 1) if not known.get(word[i:i + 2])]
        return [
            (word[i:i + size], start + i, start + i + size, -1)
            for i, size in grams
            if self._is_content(word[i:i + size])
        ]


# Word pairs do not reach across these: the words on either side belong to
# different sentences.
_PAIR_BREAKS = frozenset("。！？!?；;\n")
PAIR_SEPARATOR = " "


def _pairs(words: list[tuple[str, int, int, int]]) -> list[str]:
    """Neighbouring words of one sentence, stopwords and punctuation skipped.

    A pair like “创新 党建” rewards a passage that says the words together,
    the way the question does, over one that merely contains both.
    """
    main = [(word, sentence) for word, _, _, sentence in words if sentence >= 0]
    return [
        f"{first}{PAIR_SEPARATOR}{second}"
        for (first, s1), (second, s2) in zip(main, main[1:])
        if s1 == s2
    ]


def is_word_pair(token: str) -> bool:
    return PAIR_SEPARATOR in token


# Every kind of space becomes " " (a regex: str.translate with a dict is
# seven times slower, and this runs for every snippet).
_SPACES = re.compile("[" + "".join(re.escape(chr(cp)) for cp in range(0x3001) if chr(cp).isspace()) + "]")


def _normalize_with_origin(text: str, t2s: bool = True) -> tuple[str, list[int]]:
    # Fast path: folding nearly always keeps every character in place, and
    # then no per-character bookkeeping is needed (this runs for every snippet).
    folded = _fold(_SPACES.sub(" ", text))
    if len(folded) == len(text):
        converted = _converter().convert(folded) if t2s else folded
        if len(converted) == len(folded):
            return converted, range(len(text))
    pieces: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        normal = _fold(ch) if not ch.isspace() else " "
        pieces.append(normal)
        origin.extend([index] * len(normal))
    joined = "".join(pieces)
    if not t2s:
        return joined, origin
    converted = _converter().convert(joined)
    if len(converted) == len(joined):
        return converted, origin
    return joined, origin
