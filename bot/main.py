"""`python -m bot`: the Telegram bot, or the console chat when there is no token."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sqlite3
import sys

from telegram.error import InvalidToken

from bot.application import build_application
from bot.config import ConfigError, Settings, load_settings
from bot.handlers import Deps
from bot.logs import configure_logging
from bot.serve import serve, webhook_options  # noqa: F401 - webhook_options: tests import it from here
from bot.service import QaService
from bot.state import StateStore
from bot.texts import LANGUAGES
from bot.updates import UpdateJournal
from retrieval.backends import SearchUnavailable
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
            for opened in _open_state(settings):
                opened.close()
            _check_data_dir(settings)
            if settings.search_backend == "solr":
                try:
                    qa.engine.ask("检索服务检查")
                except SearchUnavailable as exc:
                    raise ConfigError(f"SOLR_URL: {exc}") from None
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
    backend = None
    if settings.search_backend == "solr":
        from retrieval.backends.solr import SolrBackend

        backend = SolrBackend(settings.solr_url, settings.solr_collection, auth=settings.solr_auth,
                              timeout=settings.solr_timeout)
    try:
        qa, report = QaService.open(settings.corpus_paths, settings.index_dir, progress=progress_printer(always=True),
                                    backend=backend)
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


def _open_state(settings: Settings) -> tuple[StateStore, UpdateJournal]:
    """The state database: buttons and votes, and the journal of updates."""
    store = None
    try:
        store = StateStore(settings.state_path)
        return store, UpdateJournal(settings.state_path)
    except (OSError, sqlite3.Error) as exc:
        if store is not None:
            store.close()
        raise ConfigError(f"STATE_PATH: cannot open {settings.state_path}: {exc}") from None


def _run_bot(settings: Settings, qa: QaService) -> int:
    configure_logging(settings.log_level, settings.telegram_bot_token)
    _check_data_dir(settings)
    store, journal = _open_state(settings)
    deps = None
    try:
        qa.warm_up()
        deps = Deps(settings=settings, texts=LANGUAGES[settings.bot_language], qa=qa, store=store)
        application = build_application(deps)
        log.info("serving %d chunks of %d documents", len(qa.engine.chunks), len(qa.sources()))
        asyncio.run(_serve_until_signalled(application, journal))
    except InvalidToken:
        raise ConfigError("TELEGRAM_BOT_TOKEN: the Bot API rejected the token (ask @BotFather for the current one)") from None
    finally:
        journal.close()
        store.close()
        qa.close()
        if deps is not None:
            deps.libraries.close()
    return 0


def _check_data_dir(settings: Settings) -> None:
    """Chats' uploads are kept under DATA_DIR: it must be writable now, not at the first upload."""
    folder = settings.data_dir / "libraries"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"DATA_DIR: cannot write to {folder}: {exc.strerror or exc}") from None


async def _serve_until_signalled(application, journal: UpdateJournal) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C still raises KeyboardInterrupt
            pass
    await serve(application, journal, stop)


def _corpus_name(settings: Settings) -> str:
    return ", ".join(_relative(p) for p in settings.corpus_paths)


def _relative(path) -> str:
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive on Windows
        return str(path)
