"""Which libraries a question may be answered from: the rules, and nothing else.

- The shared library (the operator's CORPUS_PATHS) is answered everywhere.
- A group's library, only in that group (a forum's, in all its topics).
- A person's private library, only for them: in their private chat and in
  inline mode, which has no chat and so never sees a group's library.

Every path that shows passages (answers, "more" pages, buttons, replies,
inline results) asks `scope_for_*` and gets exactly one own library or
none: there is no way to name another chat's.
"""

from __future__ import annotations

from dataclasses import dataclass

PRIVATE, GROUP = "private", "group"


@dataclass(frozen=True)
class Scope:
    kind: str  # PRIVATE or GROUP
    key: str  # the folder name of the chat's own library under DATA_DIR/libraries
    chat_id: int


def scope_for_chat(chat_type: str, chat_id: int) -> Scope:
    """A chat's own library. In a private chat the chat id is the person's id."""
    if chat_type == "private":
        return Scope(PRIVATE, private_key(chat_id), chat_id)
    return Scope(GROUP, group_key(chat_id), chat_id)


def scope_for_inline(user_id: int) -> Scope:
    """Inline mode has no chat: the asker's private library."""
    return Scope(PRIVATE, private_key(user_id), user_id)


def private_key(user_id: int) -> str:
    return f"user{int(user_id)}"


def group_key(chat_id: int) -> str:
    return f"group{int(chat_id)}"
