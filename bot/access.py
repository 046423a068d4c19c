"""Whether the person behind a message may manage the chat's library
(LIBRARY_UPLOADS), asked of Telegram where it must be: the rules themselves
are `bot.libraries.permissions`."""

from __future__ import annotations

from telegram.constants import ChatType

from bot.libraries.permissions import may_manage


async def manages(d, bot, chat, user, sender_chat=None) -> bool:
    """``d`` is the handlers' Deps (settings, the admins cache)."""
    mode = d.settings.library_uploads
    private = chat.type == ChatType.PRIVATE
    user_id = user.id if user is not None else None
    admins = frozenset()
    if mode == "admins" and not private and user_id not in d.settings.admin_user_ids:
        admins = await d.admins.of(bot, chat.id)
    return may_manage(
        mode, private=private, user_id=user_id, operators=d.settings.admin_user_ids, chat_admins=admins,
        posted_as_the_chat=sender_chat is not None and sender_chat.id == chat.id,
    )
