"""Example questions a corpus (or one document in it) really answers.

Shown by /start and /help, and after an upload ("you can ask: …"). Each
example is checked by asking it: an example that the engine declines, or
answers from another document, is worse than none.
"""

from __future__ import annotations

from collections import Counter

from retrieval.answer.search import SearchEngine

MAX_TRIES = 24  # each try is one `ask`: milliseconds, but not free on a large corpus


def example_questions(engine: SearchEngine, n: int = 3, *, source_path: str | None = None) -> list[str]:
    """Up to ``n`` questions answered (from ``source_path``'s document when
    given): the corpus's own coined terms first, then a document's headings,
    then its most distinctive words."""
    found: list[str] = []
    tried = 0
    for term in _candidates(engine, source_path):
        if tried >= MAX_TRIES or len(found) == n:
            break
        for question in (f"{term}是什么？", term):
            tried += 1
            answer = engine.ask(question)
            if answer.answered and (source_path is None or answer.hits[0].chunk.source_path == source_path):
                if question not in found:
                    found.append(question)
                break
    return found


def _candidates(engine: SearchEngine, source_path: str | None):
    if source_path is None:
        yield from engine.suggestions(4 * 3)
        return
    chunks = [c for c in engine.chunks if c.source_path == source_path]
    if not chunks:
        return
    text = "\n".join(c.text for c in chunks)
    seen = set()

    def fresh(term: str) -> bool:
        if term in seen:
            return False
        seen.add(term)
        return True

    for term in engine.suggestions(len(engine.analyzer.terms)):
        if len(term) >= 3 and term in text and fresh(term):  # two-character coinages are mostly ordinary words
            yield term
    for section in dict.fromkeys(c.section for c in chunks if c.section):
        if 2 <= len(section) <= 16 and fresh(section):
            yield section
    yield from (t for t in _distinctive_words(engine, chunks) if fresh(t))


def _distinctive_words(engine: SearchEngine, chunks) -> list[str]:
    """The document's nouns and two-noun compounds by tf × idf over the whole
    index, longer ones first among equals: what it is about, as opposed to
    what every document says ("计划" makes a poor example, "穹顶温室" a good
    one). jieba's part-of-speech tagger tells nouns from the rest."""
    import jieba.posseg  # loaded on first use: most callers never need it

    model = engine.model
    vocabulary = model.vocabulary
    idf = model.positive_idf()
    counts: Counter[str] = Counter()
    weight: dict[str, float] = {}
    for chunk in chunks[:60]:
        previous = None
        for pair in jieba.posseg.cut(chunk.text, HMM=False):  # its HMM pass costs seconds a page
            word = engine.analyzer.normalize(pair.word)
            noun = (pair.flag[:1] == "n" or pair.flag == "vn") and len(word) >= 2 and not word.isdigit()
            if not noun or word not in vocabulary:
                previous = None
                continue
            counts[word] += 1
            weight[word] = float(idf[vocabulary[word]])
            if previous is not None and len(previous + word) <= 8:
                compound = previous + word  # 火星 + 基地: the analyzer's word pair, written as one
                counts[compound] += 1
                weight[compound] = weight[previous] + weight[word]
            previous = word
    scored = sorted(((counts[t] * weight[t] * min(len(t), 4), t) for t in counts), reverse=True)
    return [term for _, term in scored[:12]]
