"""bot.logs: no log line ever carries the bot token."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from bot.logs import REDACTED, RedactingFormatter, configure_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"
OTHER_TOKEN = "987654321:ZZZdqTcvCH1vGWJxfSeofSAs0K5PALDxyz"
URL = f"https://api.telegram.org/bot{TOKEN}/getMe"
QUIET = ("httpx", "httpcore", "apscheduler", "tornado.access")


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in QUIET}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def record(msg: str, *args, exc_info=None, name: str = "test") -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, exc_info)


def formatter() -> RedactingFormatter:
    return RedactingFormatter([TOKEN], fmt="%(message)s")


def test_the_token_is_removed_from_the_message():
    line = formatter().format(record(f"calling {URL}"))
    assert TOKEN not in line
    assert line == f"calling https://api.telegram.org/bot{REDACTED}/getMe"


def test_the_token_is_removed_from_percent_args():
    line = formatter().format(record("HTTP Request: %s %s %r", "POST", URL, {"url": URL}))
    assert TOKEN not in line
    assert line.count(REDACTED) == 2
    assert "HTTP Request: POST https://api.telegram.org/bot" in line


def test_the_token_is_removed_from_an_exception_traceback():
    try:
        raise ConnectionError(f"Cannot connect to {URL}")
    except ConnectionError:
        exc_info = sys.exc_info()
    line = formatter().format(record("network error", exc_info=exc_info))
    assert "Traceback" in line and "ConnectionError" in line  # the traceback is still there
    assert TOKEN not in line
    assert f"Cannot connect to https://api.telegram.org/bot{REDACTED}/getMe" in line


def test_any_token_shaped_string_is_removed_even_if_not_ours():
    # A token-shaped string that is not the configured one (a stale .env, another bot).
    line = formatter().format(record(f"token was {OTHER_TOKEN}!"))
    assert OTHER_TOKEN not in line
    assert line == f"token was {REDACTED}!"


def test_a_secret_that_is_not_token_shaped_is_removed_too():
    secret = "not-token-shaped-secret"
    line = RedactingFormatter([secret, ""], fmt="%(message)s").format(record(f"x {secret} y"))
    assert line == f"x {REDACTED} y"


def test_ordinary_text_is_left_alone():
    text = "answered 重庆提出的885工作机制是什么？ in 12:30 (chat -1009, answer 42)"
    assert formatter().format(record(text)) == text


def test_an_empty_token_redacts_nothing_but_token_shapes():
    f = RedactingFormatter([""], fmt="%(message)s")
    assert f.format(record("plain text")) == "plain text"
    assert f.format(record(URL)) == f"https://api.telegram.org/bot{REDACTED}/getMe"


# ----------------------------------------------------------------- configure_logging


def test_configure_logging_quiets_http_loggers_even_at_debug():
    configure_logging("DEBUG", TOKEN, io.StringIO())
    assert logging.getLogger().level == logging.DEBUG
    for name in QUIET:
        assert logging.getLogger(name).level == logging.WARNING, name
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert logging.getLogger("bot.handlers").isEnabledFor(logging.DEBUG)


def test_configure_logging_installs_one_redacting_handler():
    stream = io.StringIO()
    first = configure_logging("INFO", TOKEN, io.StringIO())
    second = configure_logging("INFO", TOKEN, stream)
    root = logging.getLogger()
    assert second in root.handlers and first not in root.handlers
    assert isinstance(second.formatter, RedactingFormatter)
    assert sum(isinstance(h.formatter, RedactingFormatter) for h in root.handlers) == 1


def test_no_line_through_the_handler_contains_the_token():
    stream = io.StringIO()
    configure_logging("DEBUG", TOKEN, stream)
    logging.getLogger("httpx").info("HTTP Request: POST %s", URL)  # below WARNING: dropped
    logging.getLogger("httpx").warning(f"HTTP Request: POST https://api.telegram.org/bot{TOKEN}/getMe")
    logging.getLogger("telegram.ext").error("Error while getting Updates: %s", URL)
    try:
        raise OSError(f"[Errno 111] {URL}")
    except OSError:
        logging.getLogger("bot").exception("request to %s failed", URL)

    output = stream.getvalue()
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output
    assert output.count("HTTP Request: POST") == 1  # the INFO line was filtered
    assert "WARNING httpx: HTTP Request: POST https://api.telegram.org/bot<bot-token>/getMe" in output
    assert "ERROR telegram.ext: Error while getting Updates" in output
    assert "OSError: [Errno 111]" in output
    assert output.count(REDACTED) == 4


def test_configure_logging_level_filters_root_loggers():
    stream = io.StringIO()
    configure_logging("WARNING", TOKEN, stream)
    logging.getLogger("bot").info("quiet")
    logging.getLogger("bot").warning("loud")
    assert "quiet" not in stream.getvalue()
    assert "loud" in stream.getvalue()


# ----------------------------------------------------------------- a token as text


def test_the_token_is_removed_in_any_letter_case():
    # A token pasted into a chat comes back in the not-found reply lower-cased.
    line = formatter().format(record(f"sendMessage text=没有出现：“{TOKEN.lower()}”、“{TOKEN.upper()}”"))
    assert TOKEN.lower() not in line.lower()
    assert line.count(REDACTED) == 2


def test_the_secret_half_and_its_pieces_are_removed_on_their_own():
    token = "123456789:AAH-dqTcvCH1v_GWJxfSeofSAs0K5PALDsa"
    f = RedactingFormatter([token], fmt="%(message)s")
    # The analyzer splits a pasted token at ":" "-" "_" and lower-cases the pieces.
    line = f.format(record("没有出现：“123456789”、“aah”、“dqtcvch1v”、“gwjxfseofsas0k5paldsa”"))
    assert "dqtcvch1v" not in line and "gwjxfseofsas0k5paldsa" not in line
    assert "123456789" in line and "aah" in line  # the bot id and short pieces are not secrets
    assert f.format(record(f"secret {token.split(':')[1]}")) == f"secret {REDACTED}"


def test_a_token_shape_with_an_encoded_colon_is_removed():
    line = formatter().format(record("POST /bot987654321%3AZZZdqTcvCH1vGWJxfSeofSAs0K5PALDxyz/getMe"))
    assert line == f"POST /bot{REDACTED}/getMe"


@pytest.mark.parametrize(
    "url",
    [
        f"https://api.telegram.org/file/bot{TOKEN}/documents/file_7.pdf",
        "http://127.0.0.1:8081/file/bot123456789%3AAAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq/documents/x.pdf",
        f"http://files.local/file/bot{REDACTED}/documents/file_7.pdf",  # even with the token already gone
    ],
)
def test_file_urls_are_never_logged(url):
    line = formatter().format(record("downloading %s failed", url))
    assert "/file/bot" not in line and "file_7" not in line and "x.pdf" not in line
    assert line == "downloading <file-url> failed"
