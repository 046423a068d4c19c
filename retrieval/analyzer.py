"""Text → tokens: the one analyzer used for documents and for questions.

Steps, in order:

1. normalise: NFKC (full-width → half-width), lower case, control characters
   to spaces, and OpenCC ``t2s`` so that 重慶/黨建 meet 重庆/党建;
2. segment with jieba, whose dictionary is extended with the corpus's own
   coined terms (see :func:`corpus_terms`) so that “八张报表” stays one token;
3. drop punctuation and stopwords.

Stopwords are the Chinese list of stopwords-iso (MIT licence, shipped by the
``stopwordsiso`` package), plus a short list of our own for the way people
phrase questions (请问, 介绍一下 …), which carry no content.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba
import opencc
import stopwordsiso

jieba.setLogLevel(logging.WARNING)

# Phrasing that wraps a question without saying what it is about. Ours, so
# under this project's licence.
QUESTION_PHRASING = frozenset("""
请问 请教 一下 告诉 知道 想 想要 介绍 讲讲 谈谈 说说 解释 是不是 是否 有没有
文章 本文 文中 这篇 那篇 里面 里 提及 指的是 具体 主要 有哪些 哪几 几个 几项 呢 吗
""".split())

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_TERM_QUOTES = re.compile(r"[“「『\"]([^“”「」『』\"\n]{2,8})[”」』\"]")
_TERM_CHARS = re.compile(r"^[\w\u4e00-\u9fff]+$")

MIN_TERM_CHARS = 2
MAX_TERM_CHARS = 8


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _fold(text: str) -> str:
    text = _CONTROL.sub(" ", text)
    return unicodedata.normalize("NFKC", text).lower()


def normalize(text: str) -> str:
    """The normal form both documents and questions are matched in."""
    return _converter().convert(_fold(text))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    # English too: Chinese text quotes English, and some users ask in English.
    words = set(stopwordsiso.stopwords(["zh", "en"])) | QUESTION_PHRASING
    return frozenset(normalize(w) for w in words)


_NAME_TAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz", "eng"})


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


def is_place_name(token: str) -> bool:
    """jieba's dictionary tags it as a place (ns); reliable for real places."""
    return not token.isascii() and _word_tags().get(token) == "ns"


def looks_like_name(token: str) -> bool:
    """A person, place or organisation name, a foreign word, or a word jieba
    has never seen (its HMM mostly invents those for names).

    Such a word in a question pins down what is asked about, so a corpus that
    never mentions it cannot answer, however many other words match.
    """
    if token.isascii():
        return not token.isdigit()
    tag = _word_tags().get(token)
    return tag is None or tag in _NAME_TAGS


def is_content_token(token: str) -> bool:
    if not token.strip():
        return False
    if not any(unicodedata.category(ch)[0] in "LN" for ch in token):
        return False  # punctuation, symbols, spaces
    return token not in stopwords()


def corpus_terms(texts: Iterable[str]) -> list[str]:
    """Coined terms a corpus defines for itself.

    Authors put new terms in quotes (“八张报表”, “渝快办”, “一网统管”), and a
    short heading names a topic. Both are taken as whole words, so that the
    same term in a question is not cut differently from the documents.
    """
    found: set[str] = set()
    for text in texts:
        text = normalize(text)
        for match in _TERM_QUOTES.finditer(text):
            found.add(match.group(1).strip())
        stripped = text.strip()
        if MIN_TERM_CHARS <= len(stripped) <= MAX_TERM_CHARS and "\n" not in stripped:
            found.add(stripped)
    return sorted(
        term for term in found
        if MIN_TERM_CHARS <= len(term) <= MAX_TERM_CHARS
        and _TERM_CHARS.match(term)
        and not term.isdigit()
        and not term.isascii()
    )


@lru_cache(maxsize=1)
def _base_dictionary() -> tuple[dict[str, int], int]:
    """jieba's dictionary, loaded once per process (about a second) and then
    copied into each analyzer (a few milliseconds)."""
    base = jieba.Tokenizer()
    base.initialize()
    return base.FREQ, base.total


class Analyzer:
    """jieba with the corpus's terms, plus normalisation and filtering.

    Each analyzer owns its jieba tokenizer, so two corpora with different
    coined terms never share (and corrupt) one global dictionary.
    """

    # Bump when tokenization changes in a way that makes saved indexes stale.
    VERSION = 2

    def __init__(
        self,
        terms: Iterable[str] = (),
        *,
        hmm: bool = True,
        search_mode: bool = True,
        word_pairs: bool = True,
    ):
        self.terms = tuple(sorted(set(terms)))
        self._term_set = frozenset(self.terms)
        self.hmm = hmm
        self.search_mode = search_mode
        self.word_pairs = word_pairs
        self._tokenizer = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._ready = False

    def _ensure_ready(self) -> None:
        # jieba loads its dictionary lazily and is not thread-safe while doing so.
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                freq, total = _base_dictionary()
                # A private copy: add_word below must not leak into other analyzers.
                self._tokenizer.FREQ = dict(freq)
                self._tokenizer.total = total
                self._tokenizer.initialized = True
                for term in self.terms:
                    self._tokenizer.add_word(term)
                self._ready = True

    @property
    def config(self) -> dict:
        """Everything needed to rebuild this analyzer exactly (saved with an index)."""
        return {
            "version": self.VERSION,
            "hmm": self.hmm,
            "search_mode": self.search_mode,
            "word_pairs": self.word_pairs,
            "terms": list(self.terms),
        }

    @classmethod
    def from_config(cls, config: dict) -> "Analyzer":
        return cls(
            config["terms"],
            hmm=config["hmm"],
            search_mode=config["search_mode"],
            word_pairs=config.get("word_pairs", False),
        )

    def tokenize(self, text: str) -> list[str]:
        """Words (and their sub-words), then the pairs of neighbouring words."""
        words = self._segment(normalize(text))
        tokens = [word for word, _, _, _ in words]
        if self.word_pairs:
            tokens.extend(_pairs(words))
        return tokens

    def tokenize_spans(self, text: str) -> list[tuple[str, int, int]]:
        """Word tokens with their (start, end) in the original ``text``.

        Used to mark matched words; normalisation can change lengths, so the
        offsets are mapped back character by character.
        """
        normalized, origin = _normalize_with_origin(text)
        return [(word, origin[start], origin[end - 1] + 1) for word, start, end, _ in self._segment(normalized)]

    def _segment(self, normalized: str) -> list[tuple[str, int, int, int]]:
        """Content words as (word, start, end, clause); ``clause`` is -1 for a
        search-mode sub-word, else the number of the sentence it stands in.

        Search mode is jieba's own (2- and 3-character dictionary words inside
        longer words, so 国有企业 also yields 国有 and 企业), except that the
        corpus's coined terms are never taken apart: “八张报表” is one token.
        """
        self._ensure_ready()
        known = self._tokenizer.FREQ
        coined = self._term_set
        out: list[tuple[str, int, int, int]] = []
        sentence = 0
        for word, start, end in self._tokenizer.tokenize(normalized, HMM=self.hmm):
            if any(ch in _PAIR_BREAKS for ch in word):
                sentence += 1
                continue
            if self.search_mode and len(word) > 2 and word not in coined:
                for size in (2, 3):
                    for i in range(len(word) - size + 1):
                        gram = word[i:i + size]
                        if size < len(word) and known.get(gram) and is_content_token(gram):
                            out.append((gram, start + i, start + i + size, -1))
            word = word.strip()
            if is_content_token(word):
                out.append((word, start, end, sentence))
        return out


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


def _normalize_with_origin(text: str) -> tuple[str, list[int]]:
    pieces: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        normal = _fold(ch) if not ch.isspace() else " "
        pieces.append(normal)
        origin.extend([index] * len(normal))
    joined = "".join(pieces)
    converted = _converter().convert(joined)
    if len(converted) == len(joined):
        return converted, origin
    return joined, origin


_default_lock = threading.Lock()
_default: Analyzer | None = None


def default_analyzer() -> Analyzer:
    """The analyzer of the default corpus (its coined terms included)."""
    global _default
    with _default_lock:
        if _default is None:
            from retrieval.corpus import default_corpus_terms

            _default = Analyzer(default_corpus_terms())
        return _default


def tokenize(text: str) -> list[str]:
    """Tokens of ``text`` as the default corpus's index sees them."""
    return default_analyzer().tokenize(text)
