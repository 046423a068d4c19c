"""The buttons under an answer, and the callback data they carry.

Callback data holds only the answer's id in the state store and the action,
so it stays far below Telegram's 64 bytes whatever the question was, and a
button still works after the bot restarts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import Texts

MAX_CALLBACK_BYTES = 64
_PATTERN = re.compile(r"a:(\d{1,19}):(full|page|vote):(\d{1,3}|up|down)")


@dataclass(frozen=True)
class Action:
    answer_id: int
    kind: str  # "full" (arg 1 expand / 0 collapse), "page" (arg page number), "vote" (arg up/down)
    arg: str

    def encode(self) -> str:
        data = f"a:{self.answer_id}:{self.kind}:{self.arg}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def decode(cls, data: str | None) -> "Action | None":
        """None for anything this bot did not make (old clients, other bots' buttons)."""
        match = _PATTERN.fullmatch(data or "")
        if not match:
            return None
        answer_id, kind, arg = match.groups()
        if (kind == "vote") != (arg in {"up", "down"}):
            return None
        return cls(int(answer_id), kind, arg)


def answer_keyboard(answer_id: int, texts: Texts, *, page: int, pages: int, expanded: bool) -> InlineKeyboardMarkup:
    def button(text: str, kind: str, arg: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text, callback_data=Action(answer_id, kind, arg).encode())

    navigation = []
    if page == 0:
        navigation.append(
            button(texts.button_collapse, "full", "0") if expanded else button(texts.button_full, "full", "1")
        )
    if page > 0:
        navigation.append(button(texts.button_previous, "page", str(page - 1)))
    if page + 1 < pages:
        navigation.append(button(texts.button_more, "page", str(page + 1)))
    feedback = [button("👍", "vote", "up"), button("👎", "vote", "down")]
    return InlineKeyboardMarkup([navigation, feedback])
