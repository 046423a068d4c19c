"""What to tell someone whose question the documents do not answer: which of
their words the documents truly never use, and what they may have meant.

Only a declined question comes here: an answered one costs nothing extra.

* **Absent words.** A question word the index has no token for may still be
  in the text: 红 of 数字红沟 is inside 红岩, 企 of 国有企叶 inside 企业,
  a name may stand only in a byline or the front matter. A word is listed
  as absent only if it is in no indexed word (the vocabulary, as one string)
  and nowhere in the corpus's text and citations (the saved chunks, read
  where they lie: an index's memory-mapped chunk file, or the chunks of an
  index built in memory). The raw text may be traditional or full-width
  where the question's normal form is not, so the word is looked for in its
  spellings that normalise to it (the question's own, OpenCC s2t and s2tw,
  ASCII case and width). A saved index's character-pair set
  (``retrieval.index.char_pairs``) proves most absent spellings absent
  without reading the file; the rest are read. On a corpus too large to
  read at question time only what the pair set proves is listed: better
  silent than wrong.
* **Near misses.** A stretch of the question around a word the index lacks
  is changed by one edit — a character replaced by one that sounds the same
  (pinyin, toneless: 红/鸿, 叶/业; pypinyin's character table), one deleted,
  two swapped — and kept if the corpus has the result as a word or as a pair
  of neighbouring words: 数字红沟 → 数字鸿沟, 国有企叶改革 → 国有企业改革.
  Longer stretches first, then the more common term.

The vocabulary string and the pinyin table are made on first use, once per
engine and once per process.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import unicodedata
import weakref
from functools import lru_cache
from pathlib import Path

from retrieval.index.analyzer import PAIR_SEPARATOR, is_word_pair

MAX_SPAN = 8  # characters of the question one near miss may cover
MAX_NEAR_MISSES = 2
MAX_ABSENT = 5
# Above this many bytes of text, looking a word up in it takes too long for
# a reply (about 50 ms per 100 MB and spelling): absent words go unlisted.
MAX_SCANNED_BYTES = 256 * 1024 * 1024
_SEPARATOR = "\x00"


def explain(engine, question: str, words: list[str]) -> tuple[list[str], list[str]]:
    """(the question's words the corpus never uses, as the user wrote them;
    near misses the corpus does use)."""
    lexicon = _lexicon(engine)
    return lexicon.absent(question, words), lexicon.near_misses(question, words)


_LEXICONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_LEXICONS_LOCK = threading.Lock()


def _lexicon(engine) -> "Lexicon":
    with _LEXICONS_LOCK:
        lexicon = _LEXICONS.get(engine)
        if lexicon is None:
            lexicon = _LEXICONS[engine] = Lexicon(engine.chunks, engine.model, engine.analyzer)
        return lexicon


class Lexicon:
    """A corpus's words and text, as the not-found reply needs them."""

    def __init__(self, chunks, model, analyzer):
        self._chunks = chunks
        self._model = model
        self._analyzer = analyzer
        self._lock = threading.Lock()
        self._words_text: str | None = None
        self._raw = None
        self._occurs: dict[str, bool] = {}

    # ------------------------------------------------------------ absent words

    def absent(self, question: str, words: list[str]) -> list[str]:
        vocabulary = self._model.vocabulary
        candidates = [w for w in dict.fromkeys(words) if w not in vocabulary]
        if not candidates:
            return []
        normalized, origin = self._analyzer.normalize_with_origin(question)
        out = []
        for word in candidates:
            if self._in_vocabulary_words(word):
                continue
            written = _as_written(word, question, normalized, origin)
            if not self._occurs_in_text(word, written):
                out.append(written)
            if len(out) == MAX_ABSENT:
                break
        return out

    def _in_vocabulary_words(self, word: str) -> bool:
        """Part of some indexed word: certainly in the text."""
        return word in self._vocabulary_words()

    def _vocabulary_words(self) -> str:
        if self._words_text is None:
            with self._lock:
                if self._words_text is None:
                    self._words_text = _SEPARATOR.join(
                        t for t in self._model.vocabulary if not is_word_pair(t)
                    )
        return self._words_text

    def _occurs_in_text(self, word: str, written: str) -> bool:
        """Somewhere in the chunks' text or citations; True when the corpus is
        too large to read now (never claim absence without looking)."""
        known = self._occurs.get(word)
        if known is not None:
            return known
        needles = _spellings(word, written)
        pairs = getattr(self._chunks, "pairs", None)
        if pairs is not None:  # a saved index's pair set rules most spellings out unread
            needles = [n for n in needles if pairs.may_contain(n)]
        if needles:
            raw = self._raw_text()
            if raw is None:
                return True
            if isinstance(raw, str):
                found = any(n in raw for n in needles)
            else:
                found = any(raw.find(n.encode("utf-8")) != -1 for n in needles)
        else:
            found = False
        if len(self._occurs) < 10_000:
            self._occurs[word] = found
        return found

    def _raw_text(self):
        """The corpus as it lies: a saved index's chunk file (bytes, mapped),
        or the texts and citations of chunks built in memory, joined; None
        above MAX_SCANNED_BYTES."""
        if self._raw is None:
            with self._lock:
                if self._raw is None:
                    data = getattr(self._chunks, "data", None)
                    if data is None:
                        data = _SEPARATOR.join(
                            f"{c.text}\n{c.title}\n{c.author}\n{c.section}\n{c.publication}" for c in self._chunks
                        )
                    self._raw = data if len(data) <= MAX_SCANNED_BYTES else False
        return self._raw or None

    # ------------------------------------------------------------ near misses

    def near_misses(self, question: str, words: list[str]) -> list[str]:
        vocabulary = self._model.vocabulary
        if not any(w not in vocabulary and _is_cjk(w) for w in words):
            return []
        normalized = self._analyzer.normalize(question)
        # The question's words where they stand, so that a stretch to edit
        # is a run of whole, adjacent words (国有|企|叶|改革).
        segments: list[tuple[int, int, bool]] = []  # start, end, the index lacks the word
        position = 0
        for word in words:
            at = normalized.find(word, position)
            if at == -1:
                continue
            segments.append((at, at + len(word), word not in vocabulary and _is_cjk(word)))
            position = at + len(word)
        found: dict[str, tuple[int, int]] = {}  # term → (stretch length, document frequency)
        for i in range(len(segments)):
            for j in range(i, len(segments)):
                if j > i and segments[j][0] != segments[j - 1][1]:
                    break  # not adjacent: a stopword or punctuation between
                a, b = segments[i][0], segments[j][1]
                if b - a > MAX_SPAN:
                    break
                unknown = [k - a for s, e, lacks in segments[i:j + 1] if lacks for k in range(s, e)]
                if not unknown or b - a < 2:
                    continue
                span = normalized[a:b]
                if self._corpus_term(span) is not None:
                    continue  # the corpus has this stretch as it is
                # The typo may sit beside the word jieba could not place
                # (八张报标: 报 is unknown, 标 is the typo for 表).
                near = sorted({k + d for k in unknown for d in (-1, 0, 1) if 0 <= k + d < b - a})
                for candidate in _edits(span, near, unknown):
                    if candidate in found or candidate in normalized:
                        continue  # already seen, or the question says it as it is
                    frequency = self._corpus_term(candidate)
                    if frequency is not None:
                        found[candidate] = (b - a, frequency)
        ranked = sorted(found, key=lambda t: (-found[t][0], -len(t), -found[t][1], t))
        out: list[str] = []
        for term in ranked:
            if not any(term in other or other in term for other in out):
                out.append(term)
            if len(out) == MAX_NEAR_MISSES:
                break
        return out

    def _corpus_term(self, text: str) -> int | None:
        """How many chunks hold ``text`` as a word, or as two neighbouring
        words (a word pair); None if the index has it neither way."""
        vocabulary = self._model.vocabulary
        doc_freq = self._model.doc_freq
        if len(text) < 2:
            return None
        term_id = vocabulary.get(text)
        if term_id is not None:
            return int(doc_freq[term_id])
        for cut in range(1, len(text)):
            first, second = text[:cut], text[cut:]
            if first in vocabulary and second in vocabulary:
                term_id = vocabulary.get(f"{first}{PAIR_SEPARATOR}{second}")
                if term_id is not None:
                    return int(doc_freq[term_id])
        return None


def _edits(span: str, near: list[int], unknown: list[int]):
    """One edit: a character at or beside a word the index lacks (``near``)
    replaced by a homophone; a character of that word (``unknown``) deleted,
    or swapped with its neighbour."""
    homophones = _homophones()
    for i in near:
        for other in homophones.get(span[i], ()):
            yield span[:i] + other + span[i + 1:]
    for i in unknown:
        if len(span) > 2:
            yield span[:i] + span[i + 1:]
        for j in (i - 1, i):
            if 0 <= j < len(span) - 1 and span[j] != span[j + 1]:
                yield span[:j] + span[j + 1] + span[j] + span[j + 2:]


class _Homophones:
    """Character → the characters that share a toneless pinyin reading with
    it, from pypinyin's character table (MIT), read as data without
    importing pypinyin (its import loads a phrase table too). Empty without
    pypinyin: then only deletions and swaps are tried."""

    def __init__(self):
        self.readings: dict[str, tuple[str, ...]] = {}
        self.by_sound: dict[str, str] = {}
        spec = importlib.util.find_spec("pypinyin")  # finds the package without importing it
        if spec is None or not spec.submodule_search_locations:
            return
        try:
            path = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.json"
            table = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        by_sound: dict[str, list[str]] = {}
        toneless = lru_cache(maxsize=None)(_toneless)
        for code, pinyins in table.items():
            char = chr(int(code))
            if not "\u4e00" <= char <= "\u9fff":
                continue
            sounds = tuple(dict.fromkeys(toneless(p) for p in pinyins.split(",")))
            self.readings[char] = sounds
            for sound in sounds:
                by_sound.setdefault(sound, []).append(char)
        self.by_sound = {sound: "".join(chars) for sound, chars in by_sound.items()}

    def get(self, char: str, default=()):
        sounds = self.readings.get(char)
        if not sounds:
            return default
        return "".join(self.by_sound[s] for s in sounds).replace(char, "")


@lru_cache(maxsize=1)
def _homophones() -> _Homophones:
    return _Homophones()


def _toneless(pinyin: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", pinyin) if not unicodedata.combining(c))


def _is_cjk(word: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in word)


def _as_written(word: str, question: str, normalized: str, origin) -> str:
    """The word as the question spells it (AI, 數位), where the normal form
    maps back; else its normal form."""
    at = normalized.find(word)
    if at == -1:
        return word
    return question[origin[at]:origin[at + len(word) - 1] + 1]


def _spellings(word: str, written: str) -> list[str]:
    """Spellings of ``word`` that normalise to it, as raw text may hold them."""
    spellings = [word, written]
    if word.isascii():
        spellings += [word.upper(), word.capitalize(), written.lower(), written.upper()]
        spellings += [_full_width(s) for s in list(spellings)]
    else:
        spellings += [_converter(config).convert(word) for config in ("s2t", "s2tw")]
    return list(dict.fromkeys(s for s in spellings if s))


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@lru_cache(maxsize=None)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)
