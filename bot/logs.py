"""Logging that can never print the bot token.

The token is part of every Bot API URL (`…/bot<token>/sendMessage`), and
URLs turn up in httpx's INFO lines and in the text of network exceptions.
So the formatter redacts the finished line, traceback included, rather than
trusting every library to keep it out.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

# Any token-shaped string, even one that is not ours (a mistyped .env).
TOKEN_SHAPE = re.compile(r"\d{3,15}:[A-Za-z0-9_-]{30,64}")
REDACTED = "<bot-token>"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: list[str], fmt: str = FORMAT):
        super().__init__(fmt)
        self._secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_SHAPE.sub(REDACTED, text)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def configure_logging(level: str, token: str, stream: TextIO | None = None) -> logging.Handler:
    """One redacting handler on the root logger; returns it (tests read it)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter([token]))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_bot_handler", False):
            root.removeHandler(old)
    handler._bot_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO (token included); its warnings
    # are still worth seeing. apscheduler/tornado chatter is not.
    for noisy in ("httpx", "httpcore", "apscheduler", "tornado.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
