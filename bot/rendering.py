"""Answers → Telegram HTML. Pure functions: no Telegram calls, no state.

Every piece of corpus and user text goes through `html.escape`; the only
tags are the ones written here. Telegram's limit is 4096 characters of
*parsed* text; measuring the HTML source instead is stricter, so a message
that fits here fits there.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.texts import Texts
from retrieval.answer.claims import author_only_sentence
from retrieval.answer.search import MAX_QUESTION_CHARS, Answer, Hit
from retrieval.sentences import sentence_spans
from retrieval.answer.snippets import Snippet

MESSAGE_LIMIT = 4096
OTHER_SOURCES = 2  # the compact list under the best passage
PAGE_SIZE = 3  # hits per "more results" page
MAX_HITS = 1 + OTHER_SOURCES + 4 * PAGE_SIZE  # what one question fetches
INLINE_RESULTS = 10
INLINE_DESCRIPTION_CHARS = 120


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def marked(snippet) -> str:
    return snippet.marked("<b>", "</b>", escape=escape)


# Which library a hit came from, when the chat has one of its own
# ("本群文档" / "共享文档"); None when there is only the shared one.
Origin = Callable[[Hit], str] | None


def citation(hit: Hit, origin: Origin = None) -> str:
    label = f" · {escape(origin(hit))}" if origin is not None else ""
    return f"<i>{escape(hit.citation)}{label}</i>"


def origin_labels(own: frozenset[str], own_label: str, shared_label: str) -> Origin:
    """The labels for a chat with documents of its own; None without."""
    if not own:
        return None
    return lambda hit: own_label if hit.chunk.source_path in own else shared_label


def page_count(answer: Answer) -> int:
    """Page 0 is the best passage with two more sources; later pages hold PAGE_SIZE hits each."""
    rest = max(0, len(answer.hits) - 1 - OTHER_SOURCES)
    return 1 + -(-rest // PAGE_SIZE)


def render_answer(
    answer: Answer, texts: Texts, *, page: int = 0, expanded: bool = False, interpreted_as: str | None = None,
    origin: Origin = None,
) -> str:
    """One message: an answer page, or the reason nothing is quoted.

    ``interpreted_as``: a follow-up question was read with its context as
    this; one line above the answer says so.

    A passage too long for one message is shortened as text, before it is
    escaped and marked, so the citation and every closing tag survive.
    """
    if not answer.answered:
        return render_not_found(answer, texts)
    for budget in PASSAGE_BUDGETS:
        message = _answer_page(answer, texts, page, expanded, budget, interpreted_as, origin)
        if len(message) <= MESSAGE_LIMIT:
            return message
    return fit(message)


# Characters of quoted text per passage, tried in turn until the message fits.
PASSAGE_BUDGETS = (None, 2000, 1000, 500, 240, 120)


def _answer_page(
    answer: Answer, texts: Texts, page: int, expanded: bool, budget: int | None, interpreted_as: str | None = None,
    origin: Origin = None,
) -> str:
    parts = [escape(texts.truncated.format(limit=MAX_QUESTION_CHARS))] if answer.truncated else []
    if interpreted_as:
        parts.append(render_interpretation(interpreted_as, texts, budget))
    if page == 0:
        parts.append(_best_passage(answer.hits[0], texts, expanded, budget, origin))
        others = answer.hits[1 : 1 + OTHER_SOURCES]
        if others:
            parts.append(escape(texts.answer_more_header) + "\n" + "\n".join(_compact(h, origin) for h in others))
    else:
        first = 1 + OTHER_SOURCES + (page - 1) * PAGE_SIZE
        hits = answer.hits[first : first + PAGE_SIZE]
        header = escape(texts.page_header.format(first=first + 1, last=first + len(hits)))
        parts.append(header)
        parts.extend(f"{h.rank}. {marked(shorten(h.snippet, budget))}\n{citation(h, origin)}" for h in hits)
    return "\n\n".join(parts)


def render_interpretation(interpreted_as: str, texts: Texts, budget: int | None = None) -> str:
    """The one line saying what a follow-up was taken to mean, e.g. （按“八张报表 885工作机制”理解）."""
    limit = 200 if budget is None else max(40, budget // 4)
    query = " ".join(interpreted_as.split())
    if len(query) > limit:
        query = query[:limit] + "…"
    return f"<i>{escape(texts.interpreted_as.format(query=query))}</i>"


def _best_passage(hit: Hit, texts: Texts, expanded: bool, budget: int | None = None, origin: Origin = None) -> str:
    body = marked(shorten(hit.snippet, budget))
    if expanded:
        body += f"\n<blockquote expandable>{marked(shorten(hit.passage, budget))}</blockquote>"
    return f"{body}\n{escape(texts.source_label)}{citation(hit, origin)}"


def shorten(snippet: Snippet, budget: int | None) -> Snippet:
    """At most ``budget`` characters, cut at a sentence end when one is near,
    marked "…"; highlights past the cut are dropped."""
    if budget is None or len(snippet.text) <= budget:
        return snippet
    ends = [end for _, end in sentence_spans(snippet.text) if end <= budget]
    cut = ends[-1] if ends and ends[-1] >= budget // 2 else budget
    return Snippet(snippet.text[:cut] + "…", [(a, b) for a, b in snippet.highlights if b <= cut])


def _compact(hit: Hit, origin: Origin = None, chars: int = 40) -> str:
    text = hit.snippet.text
    quote = text if len(text) <= chars else text[:chars] + "…"
    return f"{hit.rank}. {citation(hit, origin)}\n    “{escape(quote)}”"


def render_not_found(answer: Answer, texts: Texts) -> str:
    """Why nothing is quoted, in words a user can act on; never a citation."""
    lines = [escape(texts.truncated.format(limit=MAX_QUESTION_CHARS))] if answer.truncated else []
    terms = "、".join(f"“{t}”" for t in answer.suggestions)
    if answer.status == "empty":
        lines.append(escape(texts.empty_with_terms.format(terms=terms) if terms else texts.not_found_hint))
        return "\n".join(lines)
    lines.append(escape(texts.not_found))
    if answer.status == "author_only" and answer.claim is not None:
        # What the documents do say of the person; another wording would not find more.
        lines.append(escape(author_only_sentence(
            answer.claim, texts.author_only, texts.author_details, (texts.author_details["one"], texts.author_details["many"]),
        )))
        return fit("\n".join(lines))
    if answer.status == "weak_match" and answer.matched_word:
        lines.append(escape(texts.weak_match.format(word=answer.matched_word)))
    if answer.status == "no_number":
        lines.append(escape(texts.no_number))
    elif answer.unknown:  # only words the corpus's text truly never uses
        words = "、".join(f"“{w}”" for w in answer.unknown[:5])
        lines.append(escape(texts.unknown_words.format(words=words)))
    if answer.near_misses:
        lines.append(escape(texts.did_you_mean.format(terms="、".join(answer.near_misses))))
    hint = texts.not_found_hint_with_terms.format(terms=terms) if terms else texts.not_found_hint
    lines.append(escape(hint))
    return fit("\n".join(lines))


def render_inline_passage(hit: Hit, texts: Texts, origin: Origin = None) -> str:
    """What choosing an inline result posts: the answering sentences and the citation."""
    for budget in PASSAGE_BUDGETS:
        message = _best_passage(hit, texts, False, budget, origin)
        if len(message) <= MESSAGE_LIMIT:
            return message
    return fit(message)


def inline_description(hit: Hit) -> str:
    text = hit.snippet.text
    return text if len(text) <= INLINE_DESCRIPTION_CHARS else text[:INLINE_DESCRIPTION_CHARS] + "…"


def fit(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message that must stay one message (it is edited in place), for text
    the renderers could not shorten (a title of thousands of characters): cut
    at a line break if the tags there are balanced, else as plain text."""
    if len(message) <= limit:
        return message
    first = split_message(message, limit - 2)[0] + "\n…"
    if _balanced(first):
        return first
    text = html.unescape(_TAG.sub("", message))
    while len(escape(text)) > limit - 1:
        text = text[: len(text) * 9 // 10]
    return escape(text) + "…"


_TAG = re.compile(r"<(/?)([a-z-]+)[^>]*>")


def _balanced(fragment: str) -> bool:
    open_tags: list[str] = []
    for closing, name in _TAG.findall(fragment):
        if not closing:
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            return False
    return not open_tags


@dataclass(frozen=True)
class _Piece:
    text: str
    joiner: str


def split_message(message: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at paragraph breaks, then line breaks, then sentence ends, so no
    piece exceeds ``limit``. Tags never span a line here, so a split between
    lines or sentences of plain text leaves every piece well-formed."""
    if len(message) <= limit:
        return [message]
    pieces = _pieces(message, limit)
    out: list[str] = []
    current = ""
    for piece in pieces:
        candidate = current + piece.joiner + piece.text if current else piece.text
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                out.append(current)
            current = piece.text
    if current:
        out.append(current)
    return [piece for piece in out if piece.strip()]  # Telegram rejects a blank message


def _pieces(message: str, limit: int) -> list[_Piece]:
    pieces: list[_Piece] = []
    for p, paragraph in enumerate(message.split("\n\n")):
        for l, line in enumerate(paragraph.split("\n")):
            joiner = "\n\n" if l == 0 else "\n"
            if len(line) <= limit:
                pieces.append(_Piece(line, joiner))
                continue
            for s, part in enumerate(_sentences(line, limit)):
                pieces.append(_Piece(part, joiner if s == 0 else ""))
    return pieces


def _sentences(line: str, limit: int) -> list[str]:
    """A line longer than a message: by sentence, and hard cuts only for a
    sentence that is itself too long (never inside a tag or an entity)."""
    # Cut at sentence ends rather than keeping the spans, so nothing between
    # sentences is lost.
    ends = [end for _, end in sentence_spans(line)[:-1]]
    parts: list[str] = []
    for start, end in zip([0, *ends], [*ends, len(line)]):
        sentence = line[start:end]
        if len(sentence) > limit:
            # A hard cut could separate <b> from </b>; the marks go, the words stay.
            sentence = _TAG.sub("", sentence)
        while len(sentence) > limit:
            cut = _safe_cut(sentence, limit)
            parts.append(sentence[:cut])
            sentence = sentence[cut:]
        parts.append(sentence)
    return [p for p in parts if p]


def _safe_cut(text: str, limit: int) -> int:
    cut = limit
    for opener, closer in (("<", ">"), ("&", ";")):
        start = text.rfind(opener, 0, cut)
        if start != -1 and text.find(closer, start) >= cut:
            cut = start
    return max(cut, 1)
