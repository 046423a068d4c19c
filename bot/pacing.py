"""Telegram's rate limits, kept before Telegram has to enforce them, with
every chat served in turn.

The limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about 30 messages a second overall, one a second in any one chat, 20 a
minute in a group. `Pacer` grants message sends in round-robin order over
the chats that are waiting and allowed to send, so a busy group gets its
turn like every other chat and cannot starve private chats. "typing…"
goes out only when it costs a message nothing (a free slot right now).

`DeliveryLimiter` is the `BaseRateLimiter` PTB routes every request through:
it waits for the pacer, then applies `bot.delivery`'s retry policy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from telegram.error import TelegramError
from telegram.ext import BaseRateLimiter

from bot.delivery import (
    FLOOD,
    MAYBE_SENT,
    NOT_SENT,
    REJECTED,
    GaveUp,
    Health,
    RetryPolicy,
    classify,
    current_scope,
)

log = logging.getLogger(__name__)

# Under Telegram's 30: requests are spaced when they leave, but a busy
# process (searches holding the GIL) delays some on their way out, and the
# next then arrive closer together; at 30 a 1-second window at the server
# sometimes held 33 (tests/test_bot_faults.py, on a loaded host).
MESSAGES_PER_SECOND = 28.0
CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
GROUP_PER_MINUTE = 20
SPACING = 0.97  # real sends at least this many intervals apart (see Pacer.settle)
QUICK_DEADLINE = 15.0  # callback and inline answers: Telegram forgets the query soon after
OTHER_DEADLINE = 60.0  # setMyCommands, setWebhook, …
UNPACED = {"getMe", "getUpdates", "sendChatAction", "answerCallbackQuery", "answerInlineQuery"}
QUICK = {"answerCallbackQuery", "answerInlineQuery"}
HEALTH_WAIT = 30.0  # a send waits this long at most for the prober before trying anyway
PROBE = "probe"  # rate_limit_args of a health probe: no pacing, no retries


def paced(endpoint: str, data: dict) -> bool:
    """Methods that put a message in a chat count against the chat's limits."""
    return endpoint not in UNPACED and data.get("chat_id") is not None and endpoint.startswith(
        ("send", "edit", "copy", "forward")
    )


def chat_key(chat_id: Any) -> int | str:
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)


def is_group(chat: int | str) -> bool:
    return isinstance(chat, str) or chat < 0  # "@channel" names are channels or supergroups


class _Chat:
    __slots__ = ("next_free", "last_send", "recent", "waiters")

    def __init__(self) -> None:
        self.next_free = 0.0
        self.last_send = -1e9
        self.recent: deque[float] = deque()  # send times in the last minute (groups)
        self.waiters: deque[asyncio.Future] = deque()


class Pacer:
    """Grants sends: globally at most ``per_second``, per chat one every
    ``chat_interval`` seconds, per group ``group_per_minute`` a minute; chats
    take turns. ``pause`` holds everything (a 429's retry_after)."""

    def __init__(
        self,
        per_second: float = MESSAGES_PER_SECOND,
        chat_interval: float = CHAT_INTERVAL,
        group_per_minute: int = GROUP_PER_MINUTE,
        clock=time.monotonic,
        group_window: float = 60.0,
    ):
        self.interval = 1.0 / per_second
        # settle() spaces real sends a little tighter than the grants (which
        # hold the average): a late grant then costs no throughput, and 30
        # sends still take longer than 0.95 s.
        self.min_spacing = SPACING * self.interval
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self.group_window = group_window
        self._clock = clock
        self._next_global = 0.0
        self._paused_until = 0.0
        self._chats: dict[int | str, _Chat] = {}
        self._last_send = -1e9  # when the last granted request actually went out (see settle)
        self._turns: list[int | str] = []  # chats with waiters, in round-robin order
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self.granted = 0

    # ---- callers

    async def acquire(self, chat: int | str) -> None:
        """Waits for this chat's turn to send one message."""
        self._ensure_running()
        state = self._chats.setdefault(chat, _Chat())
        future = asyncio.get_running_loop().create_future()
        state.waiters.append(future)
        if chat not in self._turns:
            self._turns.append(chat)
        self._wake.set()
        try:
            await future
        except asyncio.CancelledError:
            if not future.done() or future.cancelled():
                try:
                    state.waiters.remove(future)
                except ValueError:
                    pass
            raise

    async def settle(self, chat: int | str) -> None:
        """Right before a granted request goes out: whatever happened between
        grant and send (a journal write), requests leave at least
        ``min_spacing`` apart overall and ``chat_interval`` apart per chat."""
        state = self._chats.setdefault(chat, _Chat())
        while True:
            now = self._clock()
            wait = max(self._last_send + self.min_spacing, state.last_send + self.chat_interval) - now
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        self._last_send = state.last_send = now

    def try_now(self, chat: int | str) -> bool:
        """A slot right now, for something optional ("typing…"): never waits,
        never delays a message, and leaves the chat's own budget alone."""
        now = self._clock()
        if now < self._paused_until or now < self._next_global or self._turns:
            return False
        state = self._chats.get(chat)
        if state is not None and (state.waiters or now < state.next_free):
            return False
        if now < self._last_send + self.min_spacing:
            return False
        self._next_global = now + self.interval
        self._last_send = now
        return True

    async def wait_unpaused(self) -> None:
        while (delay := self._paused_until - self._clock()) > 0:
            await asyncio.sleep(delay)

    def pause(self, seconds: float) -> bool:
        """Hold every message for ``seconds``; True if this starts (or extends) a pause."""
        until = self._clock() + seconds
        if until <= self._paused_until:
            return False
        self._paused_until = until
        if self._wake is not None:
            self._wake.set()
        return True

    @property
    def paused(self) -> bool:
        return self._clock() < self._paused_until

    @property
    def waiting(self) -> int:
        return sum(len(self._chats[c].waiters) for c in self._turns)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    # ---- the scheduler

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pacer")

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock()
            start = max(self._next_global, self._paused_until)
            if not self._turns:
                await self._wake.wait()
                continue
            if start > now:
                await self._sleep(start - now)
                continue
            ready_at = self._grant_one(now)
            if ready_at is not None:  # nobody may send yet
                await self._sleep(ready_at - now)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=max(seconds, 0.0005))
        except asyncio.TimeoutError:
            pass

    def _grant_one(self, now: float) -> float | None:
        """Grants the first chat in turn order that may send; else returns
        when the earliest one may."""
        earliest = None
        for index, chat in enumerate(self._turns):
            state = self._chats[chat]
            while state.waiters and state.waiters[0].done():  # cancelled while waiting
                state.waiters.popleft()
            if not state.waiters:
                continue
            ready = self._ready_at(chat, state, now)
            if ready <= now:
                state.waiters.popleft().set_result(None)
                self._sent(chat, state, now)
                del self._turns[index]
                if state.waiters:
                    self._turns.append(chat)  # to the back of the line
                self._tidy()
                return None
            earliest = ready if earliest is None else min(earliest, ready)
        self._tidy()
        return earliest

    def _ready_at(self, chat, state: _Chat, now: float) -> float:
        ready = state.next_free
        if is_group(chat):
            while state.recent and state.recent[0] <= now - self.group_window:
                state.recent.popleft()
            if len(state.recent) >= self.group_per_minute:
                ready = max(ready, state.recent[0] + self.group_window)
        return ready

    def _sent(self, chat, state: _Chat, now: float) -> None:
        self.granted += 1
        # A late wake-up may catch up one slot (settle keeps the real spacing).
        self._next_global = max(self._next_global, now - self.interval) + self.interval
        state.next_free = now + self.chat_interval
        if is_group(chat):
            state.recent.append(now)

    def _tidy(self) -> None:
        self._turns = [c for c in self._turns if self._chats[c].waiters]
        if len(self._chats) > 4096:  # forget chats idle for over a minute
            now = self._clock()
            for chat in [c for c, s in self._chats.items() if not s.waiters and s.next_free < now - 60 and (
                not s.recent or s.recent[-1] < now - 60)]:
                del self._chats[chat]


class DeliveryLimiter(BaseRateLimiter):
    """Paces message sends and retries every request by what its failure
    means (see `bot.delivery`), for up to ``retry_seconds``."""

    def __init__(self, pacer: Pacer | None = None, retry_seconds: float = 600.0):
        self.pacer = pacer or Pacer()
        self.retry_seconds = retry_seconds
        self.health: Health | None = None

    async def initialize(self) -> None:
        if self.health is None:
            self.health = Health()

    async def shutdown(self) -> None:
        self.pacer.close()
        if self.health is not None:
            self.health.close()
            self.health = None

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if self.health is None:
            await self.initialize()
        if rate_limit_args == PROBE or endpoint == "getMe":
            return await callback(*args, **kwargs)
        chat = chat_key(data.get("chat_id"))
        if endpoint == "sendChatAction":
            if not self.pacer.try_now(chat):
                return True  # skipped: every slot is worth more as a message
            return await callback(*args, **kwargs)

        is_message = paced(endpoint, data)
        deadline = self.retry_seconds if is_message else QUICK_DEADLINE if endpoint in QUICK else OTHER_DEADLINE
        scope = current_scope() if is_message else None
        policy = RetryPolicy(
            deadline=time.monotonic() + deadline,
            ambiguous_left=scope.ambiguous_budget if scope is not None else 1,
        )
        what = f"{endpoint} to chat {chat}" if data.get("chat_id") is not None else endpoint
        probe = _probe(callback)
        while True:
            if not self.health.ok:  # an outage: let the prober find out when it ends
                try:
                    await self.health.wait(min(HEALTH_WAIT, policy.deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    pass
            if is_message:
                await self.pacer.acquire(chat)
                if scope is not None:
                    await scope.before_send()  # durable before the request can deliver anything
                await self.pacer.settle(chat)
            try:
                result = await callback(*args, **kwargs)
            except TelegramError as exc:
                failure = classify(exc)
                if scope is not None and failure.kind in (NOT_SENT, FLOOD, REJECTED):
                    await scope.not_sent()
                try:
                    wait = policy.next_wait(failure, exc, time.monotonic())
                except GaveUp:
                    log.error("%s: giving up after %.0f s: %s", what, deadline, failure.describe(exc))
                    raise
                except TelegramError as final:
                    if final is not exc:
                        log.warning("%s: %s; not sending it a third time", what, failure.describe(exc))
                    raise
                try:
                    await self._wait(failure, exc, wait, what, policy, probe, is_message)
                except GaveUp:
                    log.error("%s: giving up: the Bot API did not answer again within %.0f s", what, deadline)
                    raise
                continue
            self.health.succeeded()
            return result

    async def _wait(self, failure, exc, wait, what, policy, probe, is_message) -> None:
        if failure.kind == FLOOD:
            if is_message:
                if self.pacer.pause(wait):
                    log.warning(
                        "Telegram asks to wait %.0f s (429 on %s); holding all messages until then", failure.retry_after, what
                    )
                await self.pacer.wait_unpaused()
            else:
                await asyncio.sleep(wait)
            return
        if failure.kind == MAYBE_SENT:
            log.warning("%s: %s; sending it once more when the Bot API answers again", what, failure.describe(exc))
        else:
            log.warning("%s: %s; retrying in %.1f s", what, failure.describe(exc), wait)
        self.health.failed(probe)
        await asyncio.sleep(wait)
        remaining = policy.deadline - time.monotonic()
        try:
            await self.health.wait(remaining)
        except asyncio.TimeoutError:
            raise GaveUp(f"{what}: the Bot API did not answer again within the retry deadline") from exc


def _probe(callback):
    async def probe() -> None:
        await callback("getMe", {})

    return probe

