"""The console chat: what `make run` opens when there is no Telegram token."""

from __future__ import annotations

import sys
from typing import TextIO

from retrieval.answer.followup import Conversation
from retrieval.answer.search import Answer, SearchEngine
from retrieval.present.render import BOLD_RED, PLAIN_MARKS, RESET, answer_to_text

WELCOME = "中文文档问答 · 共 {docs} 篇文档、{chunks} 个段落。输入问题后回车；输入 exit 或按 Ctrl-D 退出。"
EXAMPLES = "可以试试：{terms}"
PROMPT = "问> "
EXIT_WORDS = {"exit", "quit", ":q", "退出"}
INTERPRETED_AS = "（按“{query}”理解）"
PAGE_HEADER = "更多结果（第{first}–{last}条）："
NO_MORE = "上一个回答没有更多结果了。"
CONSOLE_TOP_K = 15  # the first reply shows three passages; “还有吗” pages through the rest


def run_chat(engine: SearchEngine, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Interactive on a terminal; on piped input, one answer per line until EOF."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        _enable_line_editing()
        docs = len({c.doc_id for c in engine.chunks})
        print(WELCOME.format(docs=docs, chunks=len(engine.chunks)), file=stdout)
        if suggestions := engine.suggestions(3):
            print(EXAMPLES.format(terms=" / ".join(suggestions)), file=stdout)
    conversation = Conversation(engine, top_k=CONSOLE_TOP_K)  # follow-ups (“那……呢？”, “还有吗”) read with the previous turn
    first = True
    while True:
        try:
            line = input(PROMPT) if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            print(file=stdout)
            return 0
        if not interactive and line == "":
            return 0  # end of input
        question = line.strip()
        if interactive and question.lower() in EXIT_WORDS:
            return 0
        if not interactive and not question:
            continue
        if not first or interactive:
            print(file=stdout)
        if not interactive:
            print(f"问：{question}", file=stdout)
        paging = conversation.wants_more(question)
        answer, interpreted = conversation.ask(question)
        print(reply_text(answer, interpreted, paging=paging, color=interactive), file=stdout, flush=True)
        if interactive:
            print(file=stdout)
        first = False


def reply_text(answer: Answer, interpreted_as: str | None, *, paging: bool = False, color: bool = False) -> str:
    """One reply: the answer (or, for “还有吗”, the next passages), after a
    line saying how a follow-up was read."""
    if paging and not answer.hits:
        return NO_MORE
    lines = [INTERPRETED_AS.format(query=interpreted_as)] if interpreted_as else []
    if paging:
        lines.append(page_text(answer, color=color))
    else:
        lines.append(answer_to_text(answer, color=color))
    return "\n".join(lines)


def page_text(answer: Answer, *, color: bool = False) -> str:
    """Further passages of an answer: each one's answering sentences and citation."""
    open_mark, close_mark = (BOLD_RED, RESET) if color else PLAIN_MARKS
    lines = [PAGE_HEADER.format(first=answer.hits[0].rank, last=answer.hits[-1].rank)]
    for hit in answer.hits:
        lines.append(f"{hit.rank}. {hit.snippet.marked(open_mark, close_mark)}")
        lines.append(f"   出处：{hit.citation}")
    return "\n".join(lines)


def _enable_line_editing() -> None:
    try:
        import readline  # noqa: F401  (importing it gives input() history and editing)
    except ImportError:
        pass
