"""The console chat: what `make run` opens when there is no Telegram token."""

from __future__ import annotations

import sys
from typing import TextIO

from retrieval.present.render import answer_to_text
from retrieval.answer.search import SearchEngine

WELCOME = "中文文档问答 · 共 {docs} 篇文档、{chunks} 个段落。输入问题后回车；输入 exit 或按 Ctrl-D 退出。"
EXAMPLES = "可以试试：{terms}"
PROMPT = "问> "
EXIT_WORDS = {"exit", "quit", ":q", "退出"}


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
        print(answer_to_text(engine.ask(question), color=interactive), file=stdout, flush=True)
        if interactive:
            print(file=stdout)
        first = False


def _enable_line_editing() -> None:
    try:
        import readline  # noqa: F401  (importing it gives input() history and editing)
    except ImportError:
        pass
