"""The bot's view of the retrieval library: async, off the event loop, swappable.

Searching is CPU work (jieba, sparse products). It runs in a small thread
pool so that one slow question never stalls the other chats' updates.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bot.rendering import MAX_HITS
from retrieval import Answer, IndexReport, SearchEngine, open_engine
from retrieval.answer.examples import example_questions
from retrieval.backends import SearchUnavailable
from retrieval.backends.configure import attach
from retrieval.answer.followup import Conversation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    title: str
    author: str
    chunks: int


class QaService:
    def __init__(self, engine: SearchEngine, corpus: list[Path] | None = None, index_dir: Path | None = None,
                 backend=None):
        # A search backend (SolrCloud) behind the shared engine, kept across /reload.
        self._backend = backend
        if backend is not None:
            attach(engine, backend)
        self._engine = engine
        self._corpus = corpus
        self._index_dir = index_dir
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search")
        self._examples: list[str] | None = None

    @classmethod
    def open(cls, corpus: list[Path] | None, index_dir: Path | None, progress=None, backend=None) -> tuple["QaService", IndexReport]:
        engine, report = open_engine(corpus, index_dir, progress=progress)
        return cls(engine, corpus, index_dir, backend), report

    @property
    def engine(self) -> SearchEngine:
        return self._engine

    async def ask(self, question: str, top_k: int = MAX_HITS, *, engine: SearchEngine | None = None) -> Answer:
        """Ask the shared engine, or ``engine`` (a chat's library)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, (engine or self._engine).ask, question, top_k)

    async def converse(self, conversation: Conversation, question: str) -> tuple[Answer, str | None]:
        """``conversation.ask``: the answer, and what a follow-up was taken to mean."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, conversation.ask, question)

    async def run(self, work, *args):
        """Other searching work (``work(*args)``) off the event loop, in the same pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, work, *args)

    def sources(self) -> list[Source]:
        """Documents in corpus order, with their chunk counts."""
        counts = Counter(c.doc_id for c in self._engine.chunks)
        seen: dict[str, Source] = {}
        for chunk in self._engine.chunks:
            if chunk.doc_id not in seen:
                seen[chunk.doc_id] = Source(chunk.title, chunk.author, counts[chunk.doc_id])
        return list(seen.values())

    def examples(self, n: int = 3) -> list[str]:
        """Questions this corpus really answers, built from its own coined
        terms and checked by asking them; shown by /start and /help."""
        if self._examples is None:
            found = example_questions(self._engine, n)
            if not found and self._engine.chunks:
                found.append(self._engine.chunks[0].title)
            self._examples = found
        return self._examples

    def warm_up(self) -> None:
        """Load jieba's lazily loaded tables now rather than on a user's first question."""
        try:
            self._engine.ask("北京的天气怎么样")
            self.examples()
        except SearchUnavailable as exc:  # the bot starts anyway; questions are answered once search is back
            log.warning("search is unavailable at start: %s", exc)

    async def reload(self) -> IndexReport:
        """Re-read the corpus (reusing the saved index if nothing changed) and swap engines."""
        loop = asyncio.get_running_loop()
        engine, report = await loop.run_in_executor(
            self._executor, lambda: open_engine(self._corpus, self._index_dir)
        )
        if self._backend is not None:
            attach(engine, self._backend)
        self._engine = engine
        self._examples = None
        return report

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._backend is not None:
            self._backend.close()
