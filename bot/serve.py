"""The bot's life: connect (however long the Bot API takes to answer),
replay what an earlier run left unhandled, take updates by long polling or
webhook until told to stop, then let running answers finish.

Used instead of PTB's ``run_polling``/``run_webhook``, whose updater
confirms updates to Telegram as soon as they are fetched.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlparse, urlsplit

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, Updater

from bot.config import Settings
from bot.delivery import OutageLog
from bot.updates import POLL_TIMEOUT, Intake, JournalingQueue, UpdateJournal, poll

log = logging.getLogger(__name__)

CONNECT_BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
SHUTDOWN_GRACE = 5.0  # seconds for running answers to finish; the rest wait in the journal


def api_host(settings: Settings) -> str:
    """The Bot API's host for log lines (never the URL: it would carry the token)."""
    parts = urlsplit(settings.telegram_api_base_url)
    return parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else "the Bot API"


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


async def connect(application: Application, host: str, stop: asyncio.Event) -> bool:
    """``initialize`` (getMe) until it works; False if stopped first. A
    rejected token raises InvalidToken at once."""
    outage = OutageLog("connecting", host)
    attempt = 0
    while not stop.is_set():
        try:
            await application.initialize()
        except InvalidToken:
            raise
        except TelegramError as exc:
            wait = CONNECT_BACKOFF[min(attempt, len(CONNECT_BACKOFF) - 1)]
            attempt += 1
            outage.failed(exc, retry_in=wait)
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except asyncio.TimeoutError:
                pass
            continue
        outage.recovered()
        return True
    return False


async def serve(
    application: Application,
    journal: UpdateJournal,
    stop: asyncio.Event,
    *,
    poll_timeout: float = POLL_TIMEOUT,
    grace: float = SHUTDOWN_GRACE,
    ready: asyncio.Event | None = None,
) -> None:
    """Runs until ``stop`` is set; sets ``ready`` once updates are being taken.
    Raises InvalidToken for a rejected token."""
    settings: Settings = application.bot_data["deps"].settings
    host = api_host(settings)
    if not await connect(application, host, stop):
        await application.shutdown()
        return
    intake = Intake(application, journal)
    application.bot_data["intake"] = intake
    updater: Updater | None = None
    poller: asyncio.Task | None = None
    try:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        await intake.replay()
        if settings.uses_webhook:
            updater = Updater(application.bot, JournalingQueue(intake))  # type: ignore[arg-type]
            await updater.initialize()
            await updater.start_webhook(**webhook_options(settings), bootstrap_retries=-1)
            log.info("receiving updates by webhook at %s", urlsplit(settings.webhook_url).hostname)
            if ready is not None:
                ready.set()
            await stop.wait()
        else:
            try:
                await application.bot.delete_webhook()
            except TelegramError as exc:
                log.warning("could not remove a webhook (%s); polling anyway", exc)
            poller = asyncio.get_running_loop().create_task(
                poll(application, intake, host=host, timeout=poll_timeout), name="getUpdates"
            )
            if ready is not None:
                ready.set()
            stopper = asyncio.get_running_loop().create_task(stop.wait())
            await asyncio.wait({poller, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if poller.done():
                poller.result()  # InvalidToken, or a bug: raise it
    finally:
        if poller is not None:
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
        if updater is not None and updater.running:
            await updater.stop()
        await intake.close(grace)
        if application.running:
            await application.stop()
        await application.shutdown()
