"""`python -m bot`: the Telegram bot, or the console chat when there is no token."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from urllib.parse import urlparse

from telegram import Update
from telegram.error import InvalidToken

from bot.application import build_application
from bot.config import ConfigError, Settings, load_settings
from bot.handlers import Deps
from bot.logs import configure_logging
from bot.service import QaService
from bot.state import StateStore
from bot.texts import LANGUAGES
from retrieval.present.console import run_chat
from retrieval.index.store import IndexLoadError
from retrieval.present.terminal import progress_printer, utf8_stdio

log = logging.getLogger("bot")

NO_TOKEN_HINT = (
    "No TELEGRAM_BOT_TOKEN set, so this is the console chat on {corpus}. "
    "To connect to Telegram, put TELEGRAM_BOT_TOKEN=<token from @BotFather> in .env (see .env.example)."
)
EPILOG = """\
configuration comes from the environment and .env (every key: .env.example).
examples:
  make run                                  # the bot if TELEGRAM_BOT_TOKEN is set, else the console chat
  TELEGRAM_BOT_TOKEN=123:AA… python -m bot  # long polling
  python -m bot --console                   # the console chat, even with a token
  python -m bot --check                     # check the configuration and the corpus, then exit
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--console", action="store_true", help="chat in the terminal instead of Telegram")
    parser.add_argument("--check", action="store_true", help="check the configuration and open the index, then exit")
    args = parser.parse_args(argv)
    utf8_stdio()
    try:
        settings = load_settings()
        qa = _open_corpus(settings)
        if args.check:
            print(f"configuration OK; {len(qa.sources())} documents, {len(qa.engine.chunks)} chunks", file=sys.stderr)
            return 0
        if args.console or not settings.has_token:
            if not args.console:
                print(NO_TOKEN_HINT.format(corpus=_corpus_name(settings)), file=sys.stderr)
            return run_chat(qa.engine)
        return _run_bot(settings, qa)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _open_corpus(settings: Settings) -> QaService:
    try:
        qa, report = QaService.open(settings.corpus_paths, settings.index_dir, progress=progress_printer(always=True))
    except IndexLoadError as exc:
        raise ConfigError(f"INDEX_DIR: {exc}") from None
    except OSError as exc:
        where = exc.filename or settings.index_dir
        raise ConfigError(f"INDEX_DIR or CORPUS_PATHS: {where}: {exc.strerror or exc}") from None
    for problem in report.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if report.chunks == 0:
        raise ConfigError(f"CORPUS_PATHS: no readable documents in {_corpus_name(settings)}")
    return qa


def _run_bot(settings: Settings, qa: QaService) -> int:
    configure_logging(settings.log_level, settings.telegram_bot_token)
    try:
        store = StateStore(settings.state_path)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"STATE_PATH: cannot open {settings.state_path}: {exc}") from None
    qa.warm_up()
    deps = Deps(settings=settings, texts=LANGUAGES[settings.bot_language], qa=qa, store=store)
    application = build_application(deps)
    log.info("serving %d chunks of %d documents", len(qa.engine.chunks), len(qa.sources()))
    try:
        if settings.uses_webhook:
            application.run_webhook(**webhook_options(settings), bootstrap_retries=-1)
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)
    except InvalidToken:
        raise ConfigError("TELEGRAM_BOT_TOKEN: the Bot API rejected the token (ask @BotFather for the current one)") from None
    finally:
        store.close()
        qa.close()
    return 0


def webhook_options(settings: Settings) -> dict:
    """Telegram posts to WEBHOOK_URL; the local server listens on the same path
    and rejects requests without WEBHOOK_SECRET_TOKEN (when set)."""
    return dict(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=urlparse(settings.webhook_url).path.lstrip("/"),
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret_token or None,
        allowed_updates=Update.ALL_TYPES,
    )


def _corpus_name(settings: Settings) -> str:
    return ", ".join(_relative(p) for p in settings.corpus_paths)


def _relative(path) -> str:
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive on Windows
        return str(path)
