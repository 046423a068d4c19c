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

# Any token-shaped string, even one that is not ours (a mistyped .env), in
# any case, also with its colon URL-encoded.
TOKEN_SHAPE = re.compile(r"\d{3,15}(?::|%3A)[A-Za-z0-9_-]{30,64}", re.IGNORECASE)
SECRET_PART_MIN = 8  # pieces of a token's secret this long are never ordinary text
REDACTED = "<bot-token>"
# A file download URL holds the token and names the user's file: never logged,
# whatever server it is on (TELEGRAM_API_FILE_URL), token redacted or not.
FILE_URL = re.compile(r"\b\w+://[^\s'\"<>]*/file/bot[^\s'\"]*")
FILE_URL_REDACTED = "<file-url>"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Redacts each secret in any letter case, a token's secret half and its
    longer pieces on their own, and anything token-shaped. (A token pasted
    into a chat comes back in the not-found reply lower-cased and split by
    the analyzer, and PTB logs every reply at DEBUG.)"""

    def __init__(self, secrets: list[str], fmt: str = FORMAT):
        super().__init__(fmt)
        patterns = set()
        for secret in secrets:
            if not secret:
                continue
            patterns.add(secret)
            _, colon, rest = secret.partition(":")
            if colon:
                # The secret half, and its pieces between "-" and "_" (where a
                # tokenizer splits it), on their own.
                patterns.update(p for p in [rest, *re.split(r"[-_]+", rest)] if len(p) >= SECRET_PART_MIN)
        ordered = sorted(patterns, key=len, reverse=True)  # the whole token before its half
        self._secrets = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None

    def redact(self, text: str) -> str:
        text = FILE_URL.sub(FILE_URL_REDACTED, text)
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
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
