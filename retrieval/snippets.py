"""The one to three sentences of a chunk that best answer a question, with matched words marked."""

from __future__ import annotations

from dataclasses import dataclass, field

from retrieval.analyzer import Analyzer
from retrieval.sentences import sentence_spans

MAX_SENTENCES = 3
MAX_SNIPPET_CHARS = 240


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


def highlight_spans(analyzer: Analyzer, text: str, query_terms: set[str]) -> list[tuple[int, int]]:
    """Spans of ``text`` whose tokens are query terms; touching spans are merged.

    Search-mode segmentation yields overlapping sub-words (工作, 机制,
    工作机制), hence the sort before merging.
    """
    spans: list[tuple[int, int]] = []
    matched = sorted((start, end) for token, start, end in analyzer.tokenize_spans(text) if token in query_terms)
    for start, end in matched:
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def best_snippet(analyzer: Analyzer, text: str, term_weights: dict[str, float]) -> Snippet:
    """Pick the densest window of 1–3 consecutive sentences.

    A window is worth the summed weight of the distinct query terms it
    contains; among equally good windows the shorter one wins, so a single
    sentence that says it all is preferred over padding.
    """
    sentences = sentence_spans(text) or [(0, len(text))]
    found = [set(analyzer.tokenize(text[s:e])) & term_weights.keys() for s, e in sentences]
    best_key, best_window = None, (0, 0)
    for first in range(len(sentences)):
        terms: set[str] = set()
        for last in range(first, min(first + MAX_SENTENCES, len(sentences))):
            start, end = sentences[first][0], sentences[last][1]
            if last > first and end - start > MAX_SNIPPET_CHARS:
                break
            if last > first and not (found[last] - terms):
                break  # a sentence that adds no query term is padding
            terms |= found[last]
            key = (sum(term_weights[t] for t in terms), -(end - start))
            if best_key is None or key > best_key:
                best_key, best_window = key, (first, last)
    start, end = sentences[best_window[0]][0], sentences[best_window[1]][1]
    snippet_text = text[start:end]
    return Snippet(snippet_text, highlight_spans(analyzer, snippet_text, set(term_weights)))
