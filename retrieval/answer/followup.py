"""Follow-up questions: a short or elliptical question read in the context of
the previous question and answer.

People ask in turns — “885工作机制是什么？” then “那八张报表具体指什么？”
then “谁提出的？”. A :class:`Conversation` remembers the last turn and reads
the next question with its context when, and only when, the question does
not stand on its own:

1. **Form**: it points back (a pronoun, a leading 那/还有/另外, a closing
   呢/吗), or it is a short question (at most :data:`MAX_SHORT_WORDS`
   content words, asking something: bare keywords like “基层治理” are a
   search of their own).
2. **Strength**: asked alone it is declined or matches weakly — its best
   paragraph does not stand out (BM25 score below :attr:`Rule.strong_margin`
   × the next paragraph's). A strong match means a new topic: the question
   is taken alone, and becomes the context — unless it has a pronoun
   (他/她/它/其: “它的制备过程是什么？”), whose subject is in an earlier turn
   however well the rest matches.
3. **Context**: the previous question's key terms (the rarest
   :attr:`Rule.context_terms` words of what was searched last time that
   the question does not already say), restricted to words the previous
   answer's paragraph holds — so a term the last answer did not match is
   not carried on. The question is asked again with them, and that answer
   is taken when it is answered — unless most of the question's own weight
   is in words no paragraph uses (“你们公司的股票代码是多少？”): context
   cannot supply those, so such a question stays declined.

The thresholds (:class:`Rule`) were chosen by ``scripts/conversation_tune.py``
on follow-up conversations built from CMRC 2018 dev and DRCD dev
(``scripts/make_conversations.py``) and checked on ones built from CMRC
trial and DRCD test; README.md (Quality) has the numbers and commands.

The context also lapses after :data:`DEFAULT_TIMEOUT` seconds of silence,
and “还有吗”/“more” pages to the next passages of the previous answer.

What was searched is a plain question (“谁提出的 八张报表”), so asking it
again gives the same answer: the bot's buttons re-ask it, and it is what
the reply shows the question was taken to mean.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, replace

from retrieval.answer.proximity import title_key
from retrieval.answer.search import DEFAULT_TOP_K, Answer, SearchEngine
from retrieval.index.analyzer import is_word_pair, normalize

DEFAULT_TIMEOUT = 300.0  # seconds of silence after which a question starts afresh
MAX_SHORT_WORDS = 2  # content words; a question this short rarely says what it is about
FIRST_PAGE = 3  # hits the first reply shows (the best passage and two more sources)
PAGE_SIZE = 3  # hits each "more" shows after that

# Pointing back: pronouns and demonstratives, as words (其他/因此/那样 are not).
_NOT_POINTING = re.compile(
    r"其他|其它|其中|其实|其余|其次|尤其|极其|与其|应该|该死|因此|此外|如此|彼此|吉他|他人|他乡|利他|刹那|支那|这样|那样"
)
_POINTING = re.compile(r"[他她它其该此这那]")
_PRONOUN = re.compile(r"[他她它其]")
_LEADING = re.compile(r"^(?:那么?|还有|另外|此外|而且?|又|再|and\b|what about\b|how about\b)", re.I)
_TRAILING = re.compile(r"[呢吗][\s?？!！。.…]*$")
# Asking something, as opposed to a bare list of keywords (“基层治理”), which
# is a search of its own.
_ASKING = re.compile(r"[?？]|谁|什么|啥|哪|怎|如何|为何|为什么|多少|几|吗|呢|是否|是不是|有没有|何|\b(?:who|what|which|when|where|why|how)\b", re.I)
# Phrasing trimmed from the question (as written, so traditional too) when
# it is searched and shown with its context.
_TRIM_LEADING = re.compile(r"^(?:那么|那麼|那|还有|還有|另外|此外)[\s，,]*")
_TRIM_TRAILING = re.compile(r"[\s?？!！。.…，,]*(?:呢|吗|嗎)?[\s?？!！。.…，,]*$")

# "Anything more?": the next passages of the previous answer.
_MORE = frozenset("""
还有吗 还有呢 还有 还有没有 还有别的吗 还有其他的吗 还有其他吗 更多 更多结果 再来 继续 下一页 下一个 换一个 别的呢
more more? next anything else
""".split())
_MORE_STRIP = re.compile(r"[\s?？!！。.…~～，,]+")


_MORE_KEYS = frozenset(_MORE_STRIP.sub("", w) for w in _MORE)


def is_more_request(text: str) -> bool:
    """“还有吗”, “还有呢”, “more”: a request for the previous answer's next passages."""
    return _MORE_STRIP.sub("", normalize(text or "")) in _MORE_KEYS


@dataclass(frozen=True)
class Rule:
    """When a question is read with its context (see the module docstring)."""

    strong_margin: float = 2.0  # a strong match scores at least this many times the next paragraph
    context_terms: int = 2  # key terms carried over from the previous turn
    max_short_words: int = MAX_SHORT_WORDS
    # A question whose own words are mostly ones no paragraph uses is about
    # something else; context cannot find those words: at most this share.
    max_unknown_share: float = 0.6


DEFAULT_RULE = Rule()


@dataclass(frozen=True)
class Turn:
    """One question and what was answered."""

    question: str  # as asked
    query: str  # what was searched: the question, or it with its context
    interpreted_as: str | None  # the query when the context was used, else None
    answer: Answer
    at: float
    page: int = 0  # the page of the answer shown last (0: the first reply)


class Conversation:
    """The context of one chat: ``ask`` answers a question, reading it with the
    previous turn when it does not stand on its own.

    Thread-safe: one chat's messages may be handled concurrently.
    """

    def __init__(
        self,
        engine: SearchEngine,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        top_k: int = DEFAULT_TOP_K,
        rule: Rule = DEFAULT_RULE,
        clock=time.monotonic,
    ):
        self.engine = engine
        self.timeout = timeout
        self.top_k = top_k
        self.rule = rule
        self._clock = clock
        self._last: Turn | None = None
        self._lock = threading.Lock()

    @classmethod
    def resume(cls, engine: SearchEngine, query: str, *, now: float | None = None, **options) -> "Conversation":
        """A conversation whose last turn asked ``query`` (e.g. the answer a
        group message replies to): the answer is found again by asking it."""
        conversation = cls(engine, **options)
        at = conversation._clock() if now is None else now
        answer = engine.ask(query, conversation.top_k)
        conversation._last = Turn(query, query, None, answer, at)
        return conversation

    @property
    def last(self) -> Turn | None:
        return self._last

    def reset(self) -> None:
        with self._lock:
            self._last = None

    def context(self, now: float | None = None) -> Turn | None:
        """The last turn if it is still the context (not silent too long)."""
        now = self._clock() if now is None else now
        last = self._last
        if last is None or now - last.at > self.timeout:
            return None
        return last

    def wants_more(self, question: str, now: float | None = None) -> bool:
        """Whether ``ask(question)`` pages the previous answer (“还有吗” after an answer)."""
        previous = self.context(now)
        return previous is not None and previous.answer.answered and is_more_request(question)

    def ask(self, question: str, now: float | None = None) -> tuple[Answer, str | None]:
        """The answer, and what the question was taken to mean when the context
        was used (None when it was read on its own)."""
        now = self._clock() if now is None else now
        with self._lock:
            previous = self.context(now)
            if self.wants_more(question, now):
                return self._more(previous, now)
            answer, interpreted = self._interpret(question, previous)
            self._last = Turn(question, interpreted or question, interpreted, answer, now)
            return answer, interpreted

    def _more(self, previous: Turn, now: float) -> tuple[Answer, str | None]:
        """The previous answer's next page; an answer without hits past the last page."""
        page = previous.page + 1
        start = FIRST_PAGE + (page - 1) * PAGE_SIZE
        hits = previous.answer.hits[start:start + PAGE_SIZE]
        self._last = replace(previous, page=page if hits else previous.page, at=now)
        answer = replace(previous.answer, hits=hits, answered=bool(hits), status="answered" if hits else "no_more")
        return answer, previous.interpreted_as

    # ------------------------------------------------------------ deciding

    def _interpret(self, question: str, previous: Turn | None) -> tuple[Answer, str | None]:
        alone = self.engine.ask(question, self.top_k)
        if previous is None or stands_alone(question, self.engine, self.rule):
            return alone, None
        if is_strong(alone, self.rule) and not has_pronoun(question, self.engine):
            return alone, None
        query = with_context(question, previous, self.engine, self.rule)
        if query is None:
            return alone, None
        read = self.engine.ask(query, self.top_k)
        if (
            read.answered
            and unknown_share(question, self.engine) <= self.rule.max_unknown_share
        ):
            return read, query
        return alone, None


def content_words(question: str, engine: SearchEngine) -> list[str]:
    """The question's words as written (no sub-words, pairs or stopwords), once each."""
    return list(dict.fromkeys(engine.analyzer.analyze(question).words))


def _outside_words(question: str, engine: SearchEngine) -> str:
    """The question's normal form with its content words blanked out, and
    the words that only look like pointing back (其他, 因此)."""
    analyzer = engine.analyzer
    text = analyzer.normalize(question).strip()
    masked = list(text)
    for _, start, end in analyzer.tokenize_spans(text):
        masked[start:end] = " " * (end - start)
    return _NOT_POINTING.sub(" ", "".join(masked))


def points_back(question: str, engine: SearchEngine) -> bool:
    """A pronoun, a leading 那/还有/另外 or a closing 呢/吗 — outside the
    question's content words, so 那不勒斯 and 其他 do not count."""
    rest = _outside_words(question, engine)
    return bool(_POINTING.search(rest) or _LEADING.search(rest) or _TRAILING.search(rest) or "还有" in rest)


def has_pronoun(question: str, engine: SearchEngine) -> bool:
    """他/她/它/其 outside the content words: the question's subject is in an
    earlier turn, however well it matches alone."""
    return bool(_PRONOUN.search(_outside_words(question, engine)))


def stands_alone(question: str, engine: SearchEngine, rule: Rule = DEFAULT_RULE) -> bool:
    """Never read with a context: not pointing back, and either long enough
    or not a question at all (bare keywords are a search of their own)."""
    if points_back(question, engine):
        return False
    long_enough = len(content_words(question, engine)) > rule.max_short_words
    return long_enough or not _ASKING.search(engine.analyzer.normalize(question))


def unknown_share(question: str, engine: SearchEngine) -> float:
    """The share of the question's own weight in words no paragraph uses."""
    model = engine.model
    terms = {t for t in engine.analyzer.tokenize(question) if not is_word_pair(t)}
    weights = {t: _rarity(model, t) for t in terms}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t not in model.vocabulary) / total if total else 0.0


def _rarity(model, term: str) -> float:
    """The positive idf ranking uses; a term no chunk has weighs the most."""
    term_id = model.vocabulary.get(term)
    df = float(model.doc_freq[term_id]) if term_id is not None else 0.0
    return math.log1p((model.n_docs - df + 0.5) / (df + 0.5))


def is_strong(answer: Answer, rule: Rule = DEFAULT_RULE) -> bool:
    """Answered, by a paragraph that stands out from the rest."""
    if not answer.answered or not answer.hits:
        return False
    best = answer.hits[0]
    second = max((h.score for h in answer.hits[1:]), default=0.0)
    return best.score >= rule.strong_margin * second


def context_terms(question: str, previous: Turn, engine: SearchEngine, n: int) -> list[str]:
    """The ``n`` rarest words of the previous query that the question lacks and
    the previous answer's paragraph holds, as written there and in its order
    (neighbours joined: 整体 + 构架 → 整体构架)."""
    analyzer = engine.analyzer
    asked = set(analyzer.tokenize(question))
    model = engine.model
    vocabulary = model.vocabulary
    best = previous.answer.hits[0].chunk if previous.answer.answered and previous.answer.hits else None
    held = None
    if best is not None:
        held = set(analyzer.tokenize(best.text)) | set(analyzer.tokenize(f"{best.title}\n{best.section}"))
    text = previous.query
    candidates: dict[str, tuple[float, int, int]] = {}
    for token, start, end in analyzer.tokenize_spans(text):
        if token in asked or token not in vocabulary or len(token) < 2 or (held is not None and token not in held):
            continue
        candidates.setdefault(token, (_rarity(model, token), start, end))
    chosen: list[tuple[int, int]] = []
    for _, start, end in sorted(candidates.values(), key=lambda c: (-c[0], c[1])):
        if any(start < e and s < end for s, e in chosen):
            continue  # inside a chosen word, or around one
        chosen.append((start, end))
        if len(chosen) == n:
            break
    pieces: list[list[int]] = []
    for start, end in sorted(chosen):
        if pieces and text[pieces[-1][1]:start].strip() == "":
            pieces[-1][1] = end
        else:
            pieces.append([start, end])
    return [text[start:end].strip() for start, end in pieces]


def named_subject(question: str, previous: Turn, engine: SearchEngine) -> str | None:
    """The title of the previous answer's document when the previous query
    named it and the question does not: “上海轨道交通17号线在2010年改名为什么？”
    → “那编号是多少？” is still about 《上海轨道交通17号线》, which the rarest
    words alone (上海轨道交通, 改名) do not pin down."""
    answer = previous.answer
    if not (answer.answered and answer.hits):
        return None
    normalize = engine.analyzer.normalize
    subject = title_key(normalize(answer.hits[0].chunk.title))
    if len(subject) < 2 or subject not in normalize(previous.query) or subject in normalize(question):
        return None
    return subject


def with_context(question: str, previous: Turn, engine: SearchEngine, rule: Rule = DEFAULT_RULE) -> str | None:
    """The question with the previous turn's subject and key terms, as one
    plain query; None when the previous turn adds nothing."""
    subject = named_subject(question, previous, engine)
    terms = context_terms(question, previous, engine, rule.context_terms)
    if subject is not None:
        normalize = engine.analyzer.normalize
        terms = [subject] + [t for t in terms if normalize(t) not in subject]
    if not terms:
        return None
    core = _trimmed(question.strip(), engine)
    return " ".join([core, *terms])


def _trimmed(question: str, engine: SearchEngine) -> str:
    """The question without a leading 那/还有 or a closing 呢/吗 (not 那 of 那不勒斯)."""
    spans = engine.analyzer.tokenize_spans(question)
    first = min((start for _, start, _ in spans), default=len(question))
    leading = _TRIM_LEADING.match(question)
    if leading and leading.end() <= first:
        question = question[leading.end():]
    return _TRIM_TRAILING.sub("", question) or question
