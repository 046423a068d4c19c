"""Durable update intake: an update is on disk before Telegram is told it
arrived, and it is marked handled only after its reply went out.

    getUpdates ──► journal (SQLite, WAL, fsync) ──► next getUpdates(offset) confirms
                        │
                        └──► per-chat lanes ──► process_update ──► marked handled

* The journal is a table ``updates`` in STATE_PATH's database. A batch is
  committed (``synchronous=FULL``) before the next poll's offset confirms it
  to Telegram; webhook mode commits before answering 200.
* At start, every update not marked handled is replayed; an update Telegram
  delivers again (its offset was never confirmed) is recognised by its
  ``update_id`` and skipped.
* Before each send the journal counts the request as "may have been sent"
  (and takes it back when the failure proves otherwise), so a replay knows
  whether an earlier run may already have delivered the reply, and allows
  itself no further unanswered retry: at most two copies, across crashes.
* Each chat's updates run one after another, in order; chats run side by
  side. A chat therefore has at most one question in the search pool and one
  message waiting for the pacer, which keeps both fair.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import Application

from bot.delivery import OutageLog, UpdateScope, enter_scope, leave_scope

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    update_id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,                    -- the update's JSON ('' once handled)
    received_at REAL NOT NULL,
    handled_at REAL,                       -- NULL: not handled yet, replayed at start
    outcome TEXT,
    maybe_sent INTEGER NOT NULL DEFAULT 0, -- requests that may have delivered a reply
    replays INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS updates_unhandled ON updates(update_id) WHERE handled_at IS NULL;
"""
KEEP_HANDLED = 2 * 24 * 3600.0  # Telegram keeps an unconfirmed update for 24 h; remember ids longer
MAX_REPLAYS = 3  # an update that was being handled during three crashes is not tried a fourth time
STALE_QUERY = 60.0  # a button press or inline query this old cannot be answered any more
POLL_TIMEOUT = 25.0
POLL_BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Pending:
    update_id: int
    body: str
    received_at: float
    maybe_sent: int
    replays: int


class UpdateJournal:
    """The ``updates`` table. One writer thread; operations arriving together
    share one commit (group commit), each commit fsync'd."""

    def __init__(self, path: Path | str):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        try:
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot use WAL journaling here (got {mode!r})")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=30000")
            self._db.executescript(SCHEMA)
        except BaseException:
            self._db.close()
            raise
        self._ops: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write_loop, name="update-journal", daemon=True)
        self._thread.start()
        self._closed = False

    # ---- async API (from the event loop)

    async def record(self, updates: Sequence[tuple[int, str]]) -> list[bool]:
        """Stores updates not seen before; True for each that is new."""
        now = time.time()

        def insert(db: sqlite3.Connection) -> list[bool]:
            return [
                db.execute(
                    "INSERT OR IGNORE INTO updates (update_id, body, received_at) VALUES (?, ?, ?)",
                    (update_id, body, now),
                ).rowcount
                == 1
                for update_id, body in updates
            ]

        return await self._submit(insert)

    async def maybe_sent(self, update_id: int, delta: int) -> None:
        await self._submit(
            lambda db: db.execute(
                "UPDATE updates SET maybe_sent = MAX(0, maybe_sent + ?) WHERE update_id = ?", (delta, update_id)
            )
        )

    async def handled(self, update_id: int, outcome: str = "handled") -> None:
        """Done with; the id stays (Telegram may deliver it again), the body goes."""
        await self._submit(
            lambda db: db.execute(
                "UPDATE updates SET handled_at = ?, outcome = ?, body = '' WHERE update_id = ?",
                (time.time(), outcome, update_id),
            )
        )

    async def take_pending(self) -> list[Pending]:
        """Unhandled updates in arrival order, each counted as replayed once more."""

        def take(db: sqlite3.Connection) -> list[Pending]:
            rows = db.execute(
                "SELECT update_id, body, received_at, maybe_sent, replays FROM updates"
                " WHERE handled_at IS NULL ORDER BY update_id"
            ).fetchall()
            db.execute("UPDATE updates SET replays = replays + 1 WHERE handled_at IS NULL")
            return [Pending(*row) for row in rows]

        return await self._submit(take)

    async def prune(self, older_than: float = KEEP_HANDLED) -> int:
        cutoff = time.time() - older_than
        return await self._submit(
            lambda db: db.execute(
                "DELETE FROM updates WHERE handled_at IS NOT NULL AND received_at < ?", (cutoff,)
            ).rowcount
        )

    # ---- plumbing

    def _submit(self, operation) -> asyncio.Future:
        if self._closed:
            raise RuntimeError("the update journal is closed")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._ops.put((operation, loop, future))
        return future

    def _write_loop(self) -> None:
        stop = False
        while not stop:
            first = self._ops.get()
            if first is None:
                break
            batch = [first]
            while True:
                try:
                    item = self._ops.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            results: list[tuple[bool, Any]] = []
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for operation, _, _ in batch:
                    try:
                        results.append((True, operation(self._db)))
                    except Exception as exc:  # noqa: BLE001 - handed to the caller
                        results.append((False, exc))
                self._db.execute("COMMIT")
            except Exception as exc:  # noqa: BLE001 - the commit failed: nobody's write is durable
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                results = [(False, exc)] * len(batch)
            for (_, loop, future), (ok, value) in zip(batch, results):
                try:
                    loop.call_soon_threadsafe(_resolve, future, ok, value)
                except RuntimeError:
                    pass  # that event loop is gone

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._ops.put(None)
        self._thread.join(timeout=30)
        self._db.close()


def _resolve(future: asyncio.Future, ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


# ----------------------------------------------------------------- intake


class Intake:
    """Journals updates, then handles them: per chat in order, chats side by side."""

    def __init__(self, application: Application, journal: UpdateJournal):
        self.application = application
        self.journal = journal
        self._lanes: dict[Hashable, deque[tuple[Update, int]]] = {}
        self._workers: dict[Hashable, asyncio.Task] = {}
        self._closing = False
        self.handled = 0

    async def accept(self, updates: Sequence[Update]) -> int:
        """Records the updates durably, then queues the new ones. Raises when
        the journal cannot be written: the caller must not confirm them."""
        if self._closing:
            raise RuntimeError("shutting down")
        cleaned = [_clean(update.to_dict()) for update in updates]
        rows = [(data["update_id"], json.dumps(data, ensure_ascii=False)) for data in cleaned]
        fresh = await self.journal.record(rows)
        count = 0
        for data, is_new in zip(cleaned, fresh):
            if is_new:
                self._dispatch(Update.de_json(data, self.application.bot), 0)
                count += 1
        return count

    async def replay(self) -> int:
        """Queues every update an earlier run journaled but did not finish."""
        await self.journal.prune()
        pending = await self.journal.take_pending()
        replayed = 0
        for row in pending:
            if row.replays >= MAX_REPLAYS:
                log.error("update %d was being handled during %d restarts; dropping it", row.update_id, row.replays)
                await self.journal.handled(row.update_id, "abandoned")
                continue
            data = json.loads(row.body)
            if ("callback_query" in data or "inline_query" in data) and time.time() - row.received_at > STALE_QUERY:
                await self.journal.handled(row.update_id, "expired")
                continue
            self._dispatch(Update.de_json(data, self.application.bot), row.maybe_sent)
            replayed += 1
        if replayed:
            log.info("handling %d updates that arrived before the restart", replayed)
        return replayed

    @property
    def busy(self) -> int:
        return sum(len(lane) for lane in self._lanes.values()) + len(self._workers)

    def _dispatch(self, update: Update, maybe_sent: int) -> None:
        key = lane_of(update)
        self._lanes.setdefault(key, deque()).append((update, maybe_sent))
        if key not in self._workers:
            self._workers[key] = asyncio.get_running_loop().create_task(self._work(key), name=f"lane {key}")

    async def _work(self, key: Hashable) -> None:
        lane = self._lanes[key]
        try:
            while lane:
                update, maybe_sent = lane.popleft()
                await self._handle(update, maybe_sent)
        finally:
            self._workers.pop(key, None)
            if not lane:
                self._lanes.pop(key, None)

    async def _handle(self, update: Update, maybe_sent: int) -> None:
        scope = UpdateScope(update.update_id, self.journal, maybe_sent)
        token = enter_scope(scope)
        outcome = "handled"
        try:
            await self.application.process_update(update)
        except Exception:  # process_update hands handler errors to the error handlers; this is a bug
            log.exception("update %d could not be handled", update.update_id)
            outcome = "failed"
        finally:
            leave_scope(token)
        try:
            await self.journal.handled(update.update_id, outcome)
        except Exception:  # noqa: BLE001 - the reply is out; a replay would only duplicate it
            log.exception("could not mark update %d handled", update.update_id)
        self.handled += 1

    async def close(self, grace: float = 5.0) -> None:
        """Lets running updates finish for ``grace`` seconds; the rest stay in
        the journal and are handled after the next start."""
        self._closing = True
        workers = list(self._workers.values())
        if workers:
            done, running = await asyncio.wait(workers, timeout=grace)
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
                log.info("%d updates left for the next start", sum(len(lane) for lane in self._lanes.values()) + len(running))


def lane_of(update: Update) -> Hashable:
    """Updates of one lane are handled one after another."""
    if update.callback_query is not None:
        message = update.callback_query.message
        return ("buttons", message.chat.id if message else update.callback_query.from_user.id)
    if update.inline_query is not None:
        return ("inline", update.inline_query.from_user.id)
    chat = update.effective_chat
    if chat is not None:
        return ("chat", chat.id)
    user = update.effective_user
    return ("user", user.id) if user is not None else ("other",)


def _clean(value: Any) -> Any:
    """Lone UTF-16 surrogates (JSON allows "\\ud800") become U+FFFD: neither
    OpenCC nor UTF-8 can take them, and the replacement keeps every UTF-16
    entity offset where it was."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


# ----------------------------------------------------------------- polling and webhooks


async def poll(
    application: Application, intake: Intake, *, host: str = "", timeout: float = POLL_TIMEOUT, prune_every: float = 6 * 3600
) -> None:
    """Long-polls until cancelled: journal each batch, then confirm it with
    the next request's offset. Failures are one warning line, then backoff."""
    bot = application.bot
    offset: int | None = None
    outage = OutageLog("fetching updates", host)
    attempt = 0
    pruned = time.monotonic()
    while True:
        try:
            updates = await bot.get_updates(offset=offset, timeout=timeout, allowed_updates=Update.ALL_TYPES)
        except InvalidToken:
            raise
        except TelegramError as exc:
            wait = POLL_BACKOFF[min(attempt, len(POLL_BACKOFF) - 1)]
            attempt += 1
            if isinstance(exc, Conflict):
                log.warning("fetching updates: %s (another copy of the bot, or a webhook?); retrying in %.0f s", exc, wait)
            else:
                outage.failed(exc, retry_in=wait)
            await asyncio.sleep(wait)
            continue
        attempt = 0
        outage.recovered()
        if not updates:
            if time.monotonic() - pruned > prune_every:
                pruned = time.monotonic()
                await intake.journal.prune()
            continue
        try:
            await intake.accept(updates)
        except (sqlite3.Error, OSError) as exc:
            log.error(
                "could not record %d updates in the state database (%s); Telegram keeps them, retrying in 5 s",
                len(updates), exc,
            )
            await asyncio.sleep(5)
            continue
        offset = updates[-1].update_id + 1


class JournalingQueue:
    """What PTB's webhook handler puts updates into: ``put`` returns (and the
    handler answers 200) only once the update is journaled; if that fails the
    handler answers 500 and Telegram delivers it again later."""

    def __init__(self, intake: Intake):
        self.intake = intake

    async def put(self, update: object) -> None:
        if isinstance(update, Update):
            await self.intake.accept([update])

    def put_nowait(self, update: object) -> None:
        raise RuntimeError("JournalingQueue.put_nowait: use await put()")

    def qsize(self) -> int:
        return 0

    def empty(self) -> bool:
        return True
