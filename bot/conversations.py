"""Follow-up context per private chat, in memory.

Each private chat has one `retrieval.answer.followup.Conversation` (the last
question and answer) and the id of the answer last shown, for “还有吗”. At
most ``max_chats`` chats are remembered, the least recently active dropped
first; a restart forgets them all, which costs at most one question read
without its context. A group has no running context: a reply to one of the
bot's answers is read in that answer's context, rebuilt from the state
store (`bot.handlers`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from retrieval.answer.followup import Conversation
from retrieval.answer.search import SearchEngine

MAX_CHATS = 10_000


@dataclass
class ChatContext:
    conversation: Conversation
    answer_id: int | None = None  # the state store's id of the last answer shown, for its buttons
    view: object | None = None  # the bot.libraries.LibraryView it was read in (for the origin labels)


class ChatContexts:
    """Chat id → ChatContext, bounded, least recently used dropped first.

    Used from the event loop only (the searching runs in threads, but looking
    up and storing happen between awaits), so it needs no lock.
    """

    def __init__(self, timeout: float, top_k: int, max_chats: int = MAX_CHATS):
        self.timeout = timeout
        self.top_k = top_k
        self.max_chats = max_chats
        self._chats: OrderedDict[int, ChatContext] = OrderedDict()

    def __len__(self) -> int:
        return len(self._chats)

    def new(self, engine: SearchEngine) -> Conversation:
        return Conversation(engine, timeout=self.timeout, top_k=self.top_k)

    def resumed(self, engine: SearchEngine, query: str, answer_id: int) -> ChatContext:
        """The context of an earlier answer (one someone replies to), found
        again by asking what it searched. Searches: run it off the event loop."""
        conversation = Conversation.resume(engine, query, timeout=self.timeout, top_k=self.top_k)
        return ChatContext(conversation, answer_id)

    def get(self, chat_id: int, engine: SearchEngine) -> ChatContext:
        """The chat's context, made on first use; a context over another
        engine (before a /reload) is started afresh."""
        context = self._chats.get(chat_id)
        if context is None or context.conversation.engine is not engine:
            context = ChatContext(self.new(engine))
        self.put(chat_id, context)
        return context

    def put(self, chat_id: int, context: ChatContext) -> None:
        self._chats[chat_id] = context
        self._chats.move_to_end(chat_id)
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)

    def peek(self, chat_id: int) -> ChatContext | None:
        return self._chats.get(chat_id)
