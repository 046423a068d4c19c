"""Answers → Telegram HTML. Pure functions: no Telegram calls, no state.

Every piece of corpus and user text goes through `html.escape`; the only
tags are the ones written here. Telegram's limit is 4096 characters of
*parsed* text; measuring the HTML source instead is stricter, so a message
that fits here fits there.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.texts import Texts
from retrieval.search import MAX_QUESTION_CHARS, Answer, Hit
from retrieval.sentences import sentence_spans

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


def citation(hit: Hit) -> str:
    return f"<i>{escape(hit.citation)}</i>"


def page_count(answer: Answer) -> int:
    """Page 0 is the best passage with two more sources; later pages hold PAGE_SIZE hits each."""
    rest = max(0, len(answer.hits) - 1 - OTHER_SOURCES)
    return 1 + -(-rest // PAGE_SIZE)


def render_answer(answer: Answer, texts: Texts, *, page: int = 0, expanded: bool = False) -> str:
    """One message: an answer page, or the reason nothing is quoted."""
    if not answer.answered:
        return render_not_found(answer, texts)
    parts = [escape(texts.truncated.format(limit=MAX_QUESTION_CHARS))] if answer.truncated else []
    if page == 0:
        parts.append(_best_passage(answer.hits[0], texts, expanded))
        others = answer.hits[1 : 1 + OTHER_SOURCES]
        if others:
            parts.append(escape(texts.answer_more_header) + "\n" + "\n".join(_compact(h) for h in others))
    else:
        first = 1 + OTHER_SOURCES + (page - 1) * PAGE_SIZE
        hits = answer.hits[first : first + PAGE_SIZE]
        header = escape(texts.page_header.format(first=first + 1, last=first + len(hits)))
        parts.append(header)
        parts.extend(f"{h.rank}. {marked(h.snippet)}\n{citation(h)}" for h in hits)
    return fit("\n\n".join(parts))


def _best_passage(hit: Hit, texts: Texts, expanded: bool) -> str:
    if expanded:
        body = f"{marked(hit.snippet)}\n<blockquote expandable>{marked(hit.passage)}</blockquote>"
    else:
        body = marked(hit.snippet)
    return f"{body}\n{escape(texts.source_label)}{citation(hit)}"


def _compact(hit: Hit, chars: int = 40) -> str:
    text = hit.snippet.text
    quote = text if len(text) <= chars else text[:chars] + "…"
    return f"{hit.rank}. {citation(hit)}\n    “{escape(quote)}”"


def render_not_found(answer: Answer, texts: Texts) -> str:
    """Why nothing is quoted, in words a user can act on; never a citation."""
    lines = [escape(texts.truncated.format(limit=MAX_QUESTION_CHARS))] if answer.truncated else []
    terms = "、".join(f"“{t}”" for t in answer.suggestions)
    if answer.status == "empty":
        lines.append(escape(texts.empty_with_terms.format(terms=terms) if terms else texts.not_found_hint))
        return "\n".join(lines)
    lines.append(escape(texts.not_found))
    if answer.status == "no_number":
        lines.append(escape(texts.no_number))
    elif answer.unknown:
        words = "、".join(f"“{w}”" for w in answer.unknown[:5])
        lines.append(escape(texts.unknown_words.format(words=words)))
    hint = texts.not_found_hint_with_terms.format(terms=terms) if terms else texts.not_found_hint
    lines.append(escape(hint))
    return fit("\n".join(lines))


def render_inline_passage(hit: Hit, texts: Texts) -> str:
    """What choosing an inline result posts: the answering sentences and the citation."""
    return fit(f"{marked(hit.snippet)}\n{escape(texts.source_label)}{citation(hit)}")


def inline_description(hit: Hit) -> str:
    text = hit.snippet.text
    return text if len(text) <= INLINE_DESCRIPTION_CHARS else text[:INLINE_DESCRIPTION_CHARS] + "…"


def fit(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message that must stay one message (it is edited in place): cut at a
    line break, ending cleanly. Only reachable with corpus chunks far above the
    chunker's limit, but an over-long edit would fail outright."""
    if len(message) <= limit:
        return message
    pieces = split_message(message, limit - 2)
    return pieces[0] + "\n…"


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
    return out


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
