"""The one to three sentences of a chunk that best answer a question, with matched words marked."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from retrieval.index.analyzer import PAIR_SEPARATOR, Analyzer, is_word_pair, stopwords
from retrieval.sentences import sentence_spans

MAX_SENTENCES = 3
MAX_SNIPPET_CHARS = 240
# Words of the document's title say which paragraph, not which sentence.
TOPIC_SHARE = 0.1
# A second, separate sentence joins the snippet when it matches at least this
# share of the best one (docs/retrieval-quality.md has the study: 0.5 → 0.2
# lifts "the snippet holds the answer" by 1–2 points for ~15 characters).
SECOND_SHARE = 0.2
MAX_SNIPPET_WITH_SECOND = 360
# A best sentence shorter than this brings the next one too, whatever its length.
SHORT_SNIPPET_CHARS = 60
# A question word the paragraph does not have is looked for by its characters,
# at this share of its weight: 谥号 asked, 追谥文毅 written; 导演 and 执导.
CHARACTER_SHARE = 0.5
# A sentence that starts like this leans on the one before it (its subject,
# or what it answers), which then joins the snippet. Simplified forms: the
# test is on the normal form.
LEANS_BACK = (
    "它", "其", "他", "她", "牠", "此", "这", "但", "而", "并", "因此", "所以", "同时",
    "此外", "另外", "然而", "不过", "于是", "且", "又", "也", "后", "之后", "随后", "当时", "因为", "由于",
)
GAP = "……"  # between sentences that are not next to each other in the paragraph
_CHINESE = re.compile("[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)  # spans in ``text``

    def marked(self, open_mark: str = "【", close_mark: str = "】", escape: Callable[[str], str] | None = None) -> str:
        """The snippet with every highlight wrapped; ``escape`` applies to the text between."""
        text, out, position = self.text, [], 0
        for start, end in self.highlights:
            out += (text[position:start], open_mark, text[start:end], close_mark)
            position = end
        out.append(text[position:])
        if escape is not None:  # the text is every other piece, the marks between
            out[::2] = [escape(piece) for piece in out[::2]]
        return "".join(out)


def highlight_spans(analyzer: Analyzer, text: str, query_terms, normalize_with_origin=None) -> list[tuple[int, int]]:
    """Spans of ``text`` where a query word occurs (in normal form, so 國企
    is found for 国企); touching spans are merged.

    Substring search rather than segmentation: it costs microseconds where
    segmenting a paragraph costs milliseconds, and a word the question and
    the paragraph share is the same string either way.
    """
    normalized, origin = (normalize_with_origin or analyzer.normalize_with_origin)(text)
    return [(origin[a], origin[b - 1] + 1) for a, b in _occurrences(normalized, 0, len(normalized), query_terms)]


def _occurrences(normalized: str, start: int, end: int, words) -> list[tuple[int, int]]:
    return _merged(_found(normalized, start, end, [w for w in words if w and not is_word_pair(w)]))


def _found(normalized: str, start: int, end: int, words) -> list[tuple[int, int]]:
    """Every occurrence of each of ``words`` (non-empty, no word pairs)."""
    found = []
    for word in words:
        position = normalized.find(word, start, end)
        while position != -1:
            found.append((position, position + len(word)))
            position = normalized.find(word, position + 1, end)
    return found


def _merged(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(found):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _sentences_holding(normalized: str, spans, question_terms, term_weights):
    """Which sentences hold which of the question's terms (a word pair: both
    words, in order), as {term: indexes of the sentences, ascending}, and
    the characters of the question's words the paragraph lacks
    (``_characters_absent``), which count as terms too; and the words held,
    which the snippet marks (characters are not). Terms the paragraph lacks
    are dropped first: most of a question's terms are absent from any one
    hit, and this runs for every hit shown."""
    words, pairs, by_character = question_terms
    sentences = [normalized[a:b] for a, b in spans]
    held: dict[str, list[int]] = {}
    shown = []
    absent = set()
    for word in words:
        if word not in normalized:
            absent.add(word)
        elif holding := _sentences_with(word, sentences):
            held[word] = holding
            if word:
                shown.append(word)
    characters = _characters_absent(normalized, term_weights, by_character, absent)
    for character in characters:
        if holding := _sentences_with(character, sentences):
            held[character] = holding
    for term, first, second in pairs:
        firsts = held.get(first) if first in words else _sentences_with(first, sentences)
        seconds = held.get(second) if second in words else _sentences_with(second, sentences)
        if firsts and seconds:
            holding = []
            for i in firsts:
                if i in seconds:
                    sentence = sentences[i]
                    if sentence.find(second, sentence.find(first) + len(first)) != -1:
                        holding.append(i)
            if holding:
                held[term] = holding
    return held, characters, shown


def _sentences_with(word: str, sentences: list[str]) -> list[int]:
    """The indexes of the ``sentences`` that hold ``word``, ascending."""
    return [i for i, sentence in enumerate(sentences) if word in sentence]


@lru_cache(maxsize=64)
def _question_terms(terms: tuple[str, ...]):
    """A question's terms sorted out once for all its hits, in their order:
    the words, the word pairs (term, first word, second word), and for each
    Chinese word of two characters or more the characters ``_characters_absent``
    may look for (stopword characters and the question's own single-character
    words left out)."""
    words, pairs, by_character = [], [], []
    stop = _stop_characters()
    keys = set(terms)
    for term in terms:
        if is_word_pair(term):
            first, second = term.split(PAIR_SEPARATOR, 1)
            pairs.append((term, first, second))
            continue
        words.append(term)  # even "": an empty term was always taken
        if len(term) >= 2 and _CHINESE.fullmatch(term):
            by_character.append((term, tuple(c for c in term if c not in stop and c not in keys)))
    return tuple(words), tuple(pairs), tuple(by_character)


def best_snippet(
    analyzer: Analyzer,
    text: str,
    term_weights: dict[str, float],
    topic_terms: frozenset[str] = frozenset(),
    wants_number: Callable[[str], bool] | None = None,
    *,
    normalize_with_origin: Callable[[str], tuple[str, Sequence[int]]] | None = None,
) -> Snippet:
    """The sentence that best matches the question, and the one after it.

    A sentence is worth the weight of the distinct query terms (words and
    word pairs) it contains, each weighed again by how few sentences of this
    paragraph contain it: the paragraph's topic (黄鳍紫鱼, named in every
    sentence) says little about where the answer is, a word only one sentence
    has (体长) says a lot. The next sentence is added while the snippet stays
    short, because answers often follow the sentence that names the subject
    (on CMRC 2018 trial that lifts "the snippet holds the answer" from 70% to
    79%). A third sentence is added before them only if it has query terms
    the others lack. The second-best sentence, when it matches at least a
    fifth as well (``SECOND_SHARE``), is added too, after a "……" if it is
    not next to the others: questions are often answered by the sentence
    that matches second best.

    Words of the document's title (``topic_terms``) say which paragraph, not
    which sentence, and count a tenth. For a how-many or when question
    (``wants_number``), a sentence holding such a number wins among those
    that match at least half as well as the best.

    A question word the paragraph lacks is looked for by its characters
    (``CHARACTER_SHARE``); such matches count but are not marked. A best
    sentence that leans on the one before it (它……, 但……: ``LEANS_BACK``)
    brings that one, and a short one (``SHORT_SNIPPET_CHARS``) the next.

    Terms are found by substring search in the normal form of the text (see
    ``highlight_spans``), so a snippet never segments the paragraph.
    ``normalize_with_origin`` (default the analyzer's) may give a normal
    form already made, the same as the analyzer's.
    """
    normalized, origin = (normalize_with_origin or analyzer.normalize_with_origin)(text)
    spans = sentence_spans(normalized) or [(0, len(normalized))]
    held, characters, words = _sentences_holding(normalized, spans, _question_terms(tuple(term_weights)), term_weights)
    if characters:
        term_weights = {**term_weights, **characters}
    # Back to the original text: what is shown and what numbers are read from.
    if origin == range(len(text)):  # a normal form with every character in place, as nearly always
        sentences = spans
    else:
        sentences = [(origin[a], origin[b - 1] + 1) for a, b in spans] if normalized else [(0, len(text))]
    count = len(sentences)
    scores = [0.0] * count
    # Summed in the question's order of terms, not a set's: the same floats,
    # so the same choice on a near tie, whatever the hash seed.
    for term, weight in term_weights.items():
        holding = held.get(term)
        if holding:
            weight *= math.log(1 + count / len(holding))
            if term in topic_terms:
                weight *= TOPIC_SHARE
            for i in holding:
                scores[i] += weight
    if wants_number is not None:
        # Among sentences that match about as well as the best, the one with
        # the number; a sentence that barely matches does not win by a number.
        top = max(scores, default=0.0)
        scores = [
            score + top * (score >= top / 2 and wants_number(text[s:e]))
            for score, (s, e) in zip(scores, sentences)
        ]
    order = sorted(range(count), key=scores.__getitem__, reverse=True)  # stable: ties by position
    best = order[0]
    first = last = best

    def length(a: int, b: int) -> int:
        return sentences[b][1] - sentences[a][0]

    if last + 1 < count and length(first, last + 1) <= MAX_SNIPPET_CHARS:
        last += 1
    if first > 0 and normalized.startswith(LEANS_BACK, spans[first][0]) and length(first - 1, last) <= MAX_SNIPPET_WITH_SECOND:
        first -= 1
    elif first > 0 and _adds_terms(held, first - 1, first, last) and length(first - 1, last) <= MAX_SNIPPET_CHARS:
        first -= 1
    if (
        last + 1 < count
        and length(first, last) < SHORT_SNIPPET_CHARS
        and length(first, last + 1) <= MAX_SNIPPET_WITH_SECOND
    ):
        last += 1
    runs = [[first, last]]
    second = next((i for i in order if not first <= i <= last), None)  # order[0], the best, is in
    if (
        second is not None
        and scores[second] > 0
        and scores[second] >= SECOND_SHARE * scores[best]
        and length(first, last) + length(second, second) <= MAX_SNIPPET_WITH_SECOND
    ):
        if second == last + 1:
            runs[0][1] = second
        elif second == first - 1:
            runs[0][0] = second
        else:
            runs.append([second, second])
            runs.sort()

    pieces: list[str] = []
    highlights: list[tuple[int, int]] = []
    shift = 0
    for a, b in runs:
        start, end = sentences[a][0], sentences[b][1]
        if pieces:
            shift += len(GAP)
        marks = _merged(_found(normalized, spans[a][0], spans[b][1], words))
        highlights += [(origin[x] - start + shift, origin[y - 1] + 1 - start + shift) for x, y in marks]
        pieces.append(text[start:end])
        shift += end - start
    return Snippet(GAP.join(pieces), highlights)


def _adds_terms(held: dict[str, list[int]], sentence: int, first: int, last: int) -> bool:
    """Whether ``sentence`` holds a term that neither ``first`` nor ``last`` holds."""
    return any(sentence in holding and first not in holding and last not in holding for holding in held.values())


@lru_cache(maxsize=1)
def _stop_characters() -> frozenset[str]:
    return frozenset(w for w in stopwords() if len(w) == 1)


def _characters_absent(normalized: str, term_weights: dict[str, float], by_character, absent) -> dict[str, float]:
    """The characters of the question's words ``absent`` from the paragraph
    that it has (``CHARACTER_SHARE``), with their weights."""
    characters: dict[str, float] = {}
    for term, candidates in by_character:
        if term not in absent:
            continue
        for character in candidates:
            if character in normalized:
                characters[character] = max(characters.get(character, 0.0), term_weights[term] * CHARACTER_SHARE)
    return characters


def whole_passage(analyzer: Analyzer, text: str, term_weights: dict[str, float], *, normalize_with_origin=None) -> Snippet:
    """The whole chunk with the question's words marked, for "show the full passage"."""
    terms = [t for t in term_weights if not is_word_pair(t)]
    return Snippet(text, highlight_spans(analyzer, text, terms, normalize_with_origin))
