"""Chats' own libraries: uploads, scopes, permissions, quotas and storage.

`bot.handlers_library` adapts Telegram to this; nothing here sends a message.
"""

from bot.libraries.registry import (
    Added,
    Duplicate,
    Libraries,
    LibraryView,
    NeedsConfirmation,
    Rejected,
    Uploader,
)
from bot.libraries.scopes import Scope, scope_for_chat, scope_for_inline

__all__ = [
    "Added", "Duplicate", "Libraries", "LibraryView", "NeedsConfirmation", "Rejected", "Scope", "Uploader",
    "scope_for_chat", "scope_for_inline",
]
