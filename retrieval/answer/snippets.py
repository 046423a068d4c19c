"""The one to three sentences of a chunk that best answer a question, with matched words marked."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from retrieval.index.analyzer import PAIR_SEPARATOR, Analyzer, is_word_pair
from retrieval.sentences import sentence_spans

MAX_SENTENCES = 3
MAX_SNIPPET_CHARS = 240
TOPIC_SHARE = 0.2
# A second, separate sentence joins the snippet when it matches at least this
# share of the best one: on CMRC 2018 dev it lifts "the snippet holds the
# answer" from 0.88 to 0.92 (DRCD dev 0.92 → 0.93) for 13 more characters
# on average (docs/retrieval-quality.md).
SECOND_SHARE = 0.5
MAX_SNIPPET_WITH_SECOND = 360
GAP = "……"  # between sentences that are not next to each other in the paragraph


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)  # spans in ``text``

    def marked(self, open_mark: str = "【", close_mark: str = "】", escape=lambda s: s) -> str:
        """The snippet with every highlight wrapped; ``escape`` applies to the text between."""
        out, position = [], 0
        for start, end in self.highlights:
            out.append(escape(self.text[position:start]))
            out.append(open_mark + escape(self.text[start:end]) + close_mark)
            position = end
        out.append(escape(self.text[position:]))
        return "".join(out)


def highlight_spans(analyzer: Analyzer, text: str, query_terms) -> list[tuple[int, int]]:
    """Spans of ``text`` where a query word occurs (in normal form, so 國企
    is found for 国企); touching spans are merged.

    Substring search rather than segmentation: it costs microseconds where
    segmenting a paragraph costs milliseconds, and a word the question and
    the paragraph share is the same string either way.
    """
    normalized, origin = analyzer.normalize_with_origin(text)
    return [(origin[a], origin[b - 1] + 1) for a, b in _occurrences(normalized, 0, len(normalized), query_terms)]


def _occurrences(normalized: str, start: int, end: int, words) -> list[tuple[int, int]]:
    found = []
    for word in words:
        if not word or is_word_pair(word):
            continue
        position = normalized.find(word, start, end)
        while position != -1:
            found.append((position, position + len(word)))
            position = normalized.find(word, position + 1, end)
    merged: list[tuple[int, int]] = []
    for a, b in sorted(found):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _occurs(first: str, second: str, sentence: str) -> bool:
    """``first`` and then ``second`` after it, in ``sentence``."""
    at = sentence.find(first)
    return at != -1 and sentence.find(second, at + len(first)) != -1


def _terms_by_sentence(normalized: str, spans: list[tuple[int, int]], terms) -> list[set[str]]:
    """For each sentence, the query terms it holds (a word pair: both words, in order).

    Only the terms the paragraph holds at all are looked for sentence by
    sentence: most of a question's terms are absent from any one hit, and
    this runs for every hit shown.
    """
    words, pairs = [], []
    for term in terms:
        if is_word_pair(term):
            first, second = term.split(PAIR_SEPARATOR, 1)
            if first in normalized and second in normalized:
                pairs.append((term, first, second))
        elif term in normalized:
            words.append(term)
    found = []
    for a, b in spans:
        sentence = normalized[a:b]
        held = {word for word in words if word in sentence}
        held.update(term for term, first, second in pairs if _occurs(first, second, sentence))
        found.append(held)
    return found


def best_snippet(
    analyzer: Analyzer,
    text: str,
    term_weights: dict[str, float],
    topic_terms: frozenset[str] = frozenset(),
    wants_number: Callable[[str], bool] | None = None,
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
    the others lack. The second-best sentence, when it matches at least half
    as well, is added too, after a "……" if it is not next to the others:
    questions are often answered by the sentence that matches second best.

    Words of the document's title (``topic_terms``) say which paragraph, not
    which sentence, and count a fifth. For a how-many or when question
    (``wants_number``), a sentence holding such a number wins among those
    that match at least half as well as the best.

    Terms are found by substring search in the normal form of the text (see
    ``highlight_spans``), so a snippet never segments the paragraph.
    """
    normalized, origin = analyzer.normalize_with_origin(text)
    spans = sentence_spans(normalized) or [(0, len(normalized))]
    found = _terms_by_sentence(normalized, spans, term_weights)
    # Back to the original text: what is shown and what numbers are read from.
    sentences = [(origin[a], origin[b - 1] + 1) for a, b in spans] if normalized else [(0, len(text))]
    spread = Counter(term for terms in found for term in terms)
    local = {
        t: w * math.log(1 + len(sentences) / spread[t]) * (TOPIC_SHARE if t in topic_terms else 1.0)
        for t, w in term_weights.items()
        if spread[t]
    }
    scores = [sum(local[t] for t in terms) for terms in found]
    if wants_number is not None:
        # Among sentences that match about as well as the best, the one with
        # the number; a sentence that barely matches does not win by a number.
        top = max(scores, default=0.0)
        scores = [
            score + top * (score >= top / 2 and wants_number(text[s:e]))
            for score, (s, e) in zip(scores, sentences)
        ]
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    best = order[0]
    first = last = best

    def length(a: int, b: int) -> int:
        return sentences[b][1] - sentences[a][0]

    if last + 1 < len(sentences) and length(first, last + 1) <= MAX_SNIPPET_CHARS:
        last += 1
    if first > 0 and found[first - 1] - found[first] - found[last] and length(first - 1, last) <= MAX_SNIPPET_CHARS:
        first -= 1
    runs = [[first, last]]
    second = next((i for i in order[1:] if not first <= i <= last), None)
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

    words = [t for t in spread if not is_word_pair(t)]  # the words the paragraph holds
    pieces: list[str] = []
    highlights: list[tuple[int, int]] = []
    shift = 0
    for a, b in runs:
        start, end = sentences[a][0], sentences[b][1]
        if pieces:
            shift += len(GAP)
        n_start, n_end = spans[a][0], spans[b][1]
        for x, y in _occurrences(normalized, n_start, n_end, words):
            highlights.append((origin[x] - start + shift, origin[y - 1] + 1 - start + shift))
        pieces.append(text[start:end])
        shift += end - start
    return Snippet(GAP.join(pieces), highlights)


def whole_passage(analyzer: Analyzer, text: str, term_weights: dict[str, float]) -> Snippet:
    """The whole chunk with the question's words marked, for "show the full passage"."""
    return Snippet(text, highlight_spans(analyzer, text, [t for t in term_weights if not is_word_pair(t)]))
