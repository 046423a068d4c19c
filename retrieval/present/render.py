"""Answers → console text and JSON. (Telegram HTML lives with the bot.)"""

from __future__ import annotations

from retrieval.answer.search import Answer, Hit

BOLD_RED = "\x1b[1;31m"
RESET = "\x1b[0m"
PLAIN_MARKS = ("【", "】")

NOT_FOUND = "文档中没有找到能回答这个问题的段落。"
NOT_FOUND_HINT = "提示：换个说法，或只用几个关键词再问。"
NOT_FOUND_HINT_WITH_TERMS = "提示：换个说法，或只用几个关键词再问，例如{terms}。"
UNKNOWN_WORDS = "文档中没有出现：{words}。"
DID_YOU_MEAN = "你是不是要找：{terms}？"
WEAK_MATCH = "最接近的段落只对上了“{word}”一个词。"
NO_NUMBER = "相关段落里没有给出这个数字或时间。"
EMPTY = "请输入一个问题，或几个关键词。"
EMPTY_WITH_TERMS = "请输入一个问题，或几个关键词，例如{terms}。"
TRUNCATED = "（问题太长，只按前 {limit} 个字检索。）"


def hit_to_json(hit: Hit) -> dict:
    chunk = hit.chunk
    return {
        "rank": hit.rank,
        "score": hit.score,  # BM25Okapi; the order also weighs coverage (see retrieval.answer.search)
        "coverage": hit.coverage,
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "title": chunk.title,
        "author": chunk.author,
        "section": chunk.section,
        "paragraph": chunk.paragraph,
        "source": chunk.source_path,
        "line": chunk.line,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "page_start": chunk.page_start,  # physical pages, for formats that have them
        "page_end": chunk.page_end,
        "page_label": chunk.page_label,  # the printed labels, which the citation shows
        "page_label_end": chunk.page_label_end,
        "text": chunk.text,
        "snippet": hit.snippet.marked(*PLAIN_MARKS),
        "citation": hit.citation,
    }


def answer_to_json(answer: Answer) -> dict:
    """The ``ask --json`` object. Unanswered questions still list their near
    misses, so a caller can see why nothing was good enough."""
    record = {
        "question": answer.question,
        "answered": answer.answered,
        "status": answer.status,
        "hits": [hit_to_json(hit) for hit in answer.hits],
    }
    note = _note(answer)
    if note:
        record["note"] = note  # what the documents do say ("author_only") or why the match is weak
    if answer.near_misses:
        record["did_you_mean"] = list(answer.near_misses)
    return record


def _note(answer: Answer) -> str:
    if answer.status == "author_only" and answer.claim is not None:
        return answer.claim.sentence()
    if answer.status == "weak_match" and answer.matched_word:
        return WEAK_MATCH.format(word=answer.matched_word)
    return ""


def not_found_lines(answer: Answer) -> list[str]:
    """Why nothing is quoted, in words a user can act on."""
    lines = [NOT_FOUND]
    note = _note(answer)
    if note:
        lines.append(note)
    if answer.status == "author_only":
        return lines  # the note says what there is; another wording would not find more
    if answer.status == "no_number":
        lines.append(NO_NUMBER)
    elif answer.unknown:  # only words the corpus's text truly never uses (retrieval.answer.near_miss)
        lines.append(UNKNOWN_WORDS.format(words="、".join(f"“{w}”" for w in answer.unknown[:5])))
    if answer.near_misses:
        lines.append(DID_YOU_MEAN.format(terms="、".join(answer.near_misses)))
    lines.append(_with_terms(NOT_FOUND_HINT, NOT_FOUND_HINT_WITH_TERMS, answer.suggestions))
    return lines


def _with_terms(plain: str, with_terms: str, terms: list[str]) -> str:
    """Examples from the user's own corpus, when it has coined terms."""
    if not terms:
        return plain
    return with_terms.format(terms="".join(f"“{t}”" for t in terms))


def answer_to_text(answer: Answer, *, color: bool = False, max_sources: int = 3) -> str:
    """A console answer: the answering sentences, the citation, the paragraph, more sources."""
    open_mark, close_mark = (BOLD_RED, RESET) if color else PLAIN_MARKS
    lines: list[str] = []
    if answer.truncated:
        from retrieval.answer.search import MAX_QUESTION_CHARS

        lines.append(TRUNCATED.format(limit=MAX_QUESTION_CHARS))
    if answer.status == "empty":
        lines.append(_with_terms(EMPTY, EMPTY_WITH_TERMS, answer.suggestions))
        return "\n".join(lines)
    if not answer.answered:
        lines += not_found_lines(answer)
        return "\n".join(lines)

    best = answer.hits[0]
    lines.append(f"答：{best.snippet.marked(open_mark, close_mark)}")
    lines.append(f"出处：{best.citation}")
    lines.append("")
    lines.append("原文：")
    lines.append(best.chunk.text)
    others = answer.hits[1:max_sources]
    if others:
        lines.append("")
        lines.append("其他相关段落：")
        lines.extend(f"  {hit.rank}. {hit.citation}" for hit in others)
    return "\n".join(lines)
