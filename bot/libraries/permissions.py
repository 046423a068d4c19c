"""Who may add and remove a chat's documents (LIBRARY_UPLOADS).

- ``off``: nobody.
- ``admins`` (the default): in a group, its administrators (an anonymous
  admin posting as the group counts) and the operators (ADMIN_USER_IDS);
  in a private chat, the operators.
- ``members``: everyone in the chat.
"""

from __future__ import annotations

import logging
import time

from telegram.error import TelegramError

log = logging.getLogger(__name__)

ADMINS_TTL = 300.0  # getChatAdministrators is cached this long: admins change rarely
FAILED_TTL = 30.0  # after a failure, ask again soon


def may_manage(
    mode: str,
    *,
    private: bool,
    user_id: int | None,
    operators: frozenset[int],
    chat_admins: frozenset[int] = frozenset(),
    posted_as_the_chat: bool = False,
) -> bool:
    if mode == "off":
        return False
    if mode == "members" or (user_id is not None and user_id in operators):
        return True
    if private:
        return False
    return posted_as_the_chat or (user_id is not None and user_id in chat_admins)


class ChatAdmins:
    """getChatAdministrators per group, cached for a few minutes. A failure
    (the bot was removed, the API is down) means "no admins" for a short
    while: refusing an upload is safe, accepting one is not."""

    def __init__(self, ttl: float = ADMINS_TTL, clock=time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[int, tuple[float, frozenset[int]]] = {}

    async def of(self, bot, chat_id: int) -> frozenset[int]:
        cached = self._cache.get(chat_id)
        now = self.clock()
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            members = await bot.get_chat_administrators(chat_id)
            admins = frozenset(m.user.id for m in members)
            self._cache[chat_id] = (now + self.ttl, admins)
        except (TelegramError, TypeError, ValueError, KeyError) as exc:  # an error, or an answer we cannot read
            log.warning("could not list the administrators of chat %s: %s", chat_id, exc)
            admins = frozenset()
            self._cache[chat_id] = (now + FAILED_TTL, admins)
        return admins

    def forget(self, chat_id: int) -> None:
        self._cache.pop(chat_id, None)
