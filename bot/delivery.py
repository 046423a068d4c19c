"""Sending without losing or repeating answers: what a failed request means,
and what to do about it.

Every Bot API failure is one of four kinds, and only the kind decides:

* **not sent** — provably nothing reached Telegram, or Telegram said so:
  connect errors, write errors, a 5xx from a proxy in front of Telegram (a
  body that is not Telegram's JSON), or Telegram's own ``ok: false`` 5xx
  answer. Retried with backoff until the deadline.
* **flood wait** — a 429: wait ``retry_after``, for as long as Telegram asks
  (up to the deadline), then send again. A wait, not an error.
* **maybe sent** — the request went out and no answer came back (connection
  reset or closed after sending, read timeout). Telegram may have delivered
  it, so it is retried at most once, and only once the API is seen working
  again; a second such failure gives up rather than risk a third copy.
* **rejected** — a 4xx (bad request, blocked, unknown chat): never retried.

The policy runs inside the rate limiter (`bot.pacing`), so it covers every
call the bot makes, apologies included. `UpdateScope` ties the sends to the
update being handled (for the journal's write-ahead "may have been sent"
count, see `bot.updates`) and to its delayed "typing…" indicator.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from telegram.constants import ChatAction
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

if TYPE_CHECKING:
    from telegram import Message

    from bot.updates import UpdateJournal

log = logging.getLogger(__name__)

NOT_SENT = "not sent"
FLOOD = "flood wait"
MAYBE_SENT = "maybe sent"
REJECTED = "rejected"

TYPING_DELAY = 1.0  # "typing…" only for an answer that is not ready within this many seconds
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)  # seconds between retries of a "not sent" failure


# ----------------------------------------------------------------- failures


class GatewayError(NetworkError):
    """A 5xx whose body is not Telegram's JSON: a proxy or load balancer in
    front of Telegram answered, so the request never reached the Bot API."""

    def __init__(self, status: int, body: bytes):
        snippet = body[:80].decode("utf-8", "replace").strip()
        super().__init__(f"HTTP {status} from a proxy in front of the Bot API: {snippet!r}")
        self.status = status


class TelegramServerError(NetworkError):
    """A 5xx carrying Telegram's own ``{"ok": false, ...}`` answer: the Bot
    API says the method failed, so nothing was sent."""

    def __init__(self, status: int, description: str):
        super().__init__(f"Telegram error {status}: {description}")
        self.status = status


class GaveUp(NetworkError):
    """Not delivered within the retry deadline; the caller may apologise."""


class MaybeDelivered(NetworkError):
    """Two requests went out unanswered: the message has probably arrived, and
    a third copy is not sent. No apology either (it would follow the answer)."""


@dataclass(frozen=True)
class Failure:
    kind: str  # NOT_SENT, FLOOD, MAYBE_SENT or REJECTED
    reason: str  # for the log: "connect error", "read timeout", "proxy 502", …
    retry_after: float = 0.0

    def describe(self, exc: BaseException) -> str:
        return f"{self.reason} ({self.kind}: {_short(exc)})"


def classify(exc: BaseException) -> Failure:
    """What a failed Bot API request tells about delivery."""
    if isinstance(exc, RetryAfter):
        return Failure(FLOOD, "429 flood wait", _seconds(exc.retry_after))
    if isinstance(exc, (BadRequest, Forbidden, InvalidToken, Conflict, ChatMigrated, EndPointNotFound)):
        return Failure(REJECTED, f"rejected by Telegram ({type(exc).__name__})")
    if isinstance(exc, GatewayError):
        return Failure(NOT_SENT, f"proxy {exc.status}")
    if isinstance(exc, TelegramServerError):
        return Failure(NOT_SENT, f"Telegram error {exc.status}")
    cause = _httpx_cause(exc)
    if isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout)):
        return Failure(NOT_SENT, "connect error")
    if isinstance(cause, httpx.PoolTimeout):
        return Failure(NOT_SENT, "no free connection")
    if isinstance(cause, (httpx.WriteError, httpx.WriteTimeout, httpx.LocalProtocolError)):
        return Failure(NOT_SENT, "request not fully sent")
    if isinstance(cause, (httpx.ProxyError, httpx.UnsupportedProtocol)):
        return Failure(NOT_SENT, "proxy refused the connection")
    if isinstance(cause, httpx.ReadTimeout):
        return Failure(MAYBE_SENT, "read timeout after the request was sent")
    if isinstance(cause, (httpx.ReadError, httpx.RemoteProtocolError)):
        return Failure(MAYBE_SENT, "connection reset after the request was sent")
    if isinstance(exc, TimedOut):
        return Failure(MAYBE_SENT, "timed out")
    if isinstance(exc, NetworkError) and cause is None and exc.__cause__ is None:
        # PTB's own NetworkError for a non-2xx answer (a request object that
        # is not ClassifyingRequest): an explicit error answer.
        return Failure(NOT_SENT, "error answer")
    return Failure(MAYBE_SENT, "network error")


def _httpx_cause(exc: BaseException) -> BaseException | None:
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(current, httpx.HTTPError):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(_httpx_cause(exc) or exc).__name__
    return f"{name}: {text[:160]}" if text else name


class ClassifyingRequest(HTTPXRequest):
    """PTB's HTTPX transport, telling a proxy's 5xx from Telegram's own."""

    async def do_request(self, url, method, request_data=None, **timeouts) -> tuple[int, bytes]:
        code, payload = await super().do_request(url, method, request_data, **timeouts)
        if code >= 500:
            telegram = _telegram_error(payload)
            if telegram is None:
                raise GatewayError(code, payload)
            raise TelegramServerError(code, telegram)
        return code, payload


def _telegram_error(payload: bytes) -> str | None:
    """The description of a Telegram ``{"ok": false}`` body, else None."""
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("ok") is False and isinstance(body.get("error_code"), int):
        return str(body.get("description") or body["error_code"])
    return None


# ----------------------------------------------------------------- retry policy


@dataclass
class RetryPolicy:
    """One request's retry budget. ``next_wait`` says how long to wait before
    the next attempt, or raises the error the caller should see."""

    deadline: float  # monotonic
    ambiguous_left: int = 1
    not_sent: int = 0

    def next_wait(self, failure: Failure, exc: TelegramError, now: float) -> float:
        if failure.kind == REJECTED:
            raise exc
        if failure.kind == FLOOD:
            wait = failure.retry_after + 0.1
        elif failure.kind == MAYBE_SENT:
            if self.ambiguous_left <= 0:
                raise MaybeDelivered(f"gave up after a second unanswered request: {failure.describe(exc)}") from exc
            self.ambiguous_left -= 1
            wait = BACKOFF[0]
        else:
            wait = BACKOFF[min(self.not_sent, len(BACKOFF) - 1)]
            self.not_sent += 1
        if now + wait > self.deadline:
            raise GaveUp(f"not delivered within the retry deadline; last failure: {failure.describe(exc)}") from exc
        return wait


class Health:
    """Whether the Bot API looks reachable. After a network failure, senders
    wait here (instead of each hammering a dead API); one prober checks with
    getMe, and any successful call reopens the gate."""

    PROBE_BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)

    def __init__(self) -> None:
        self._ok = asyncio.Event()
        self._ok.set()
        self._prober: asyncio.Task | None = None
        self._probe = None

    @property
    def ok(self) -> bool:
        return self._ok.is_set()

    def succeeded(self) -> None:
        self._ok.set()

    def failed(self, probe) -> None:
        """``probe`` is a coroutine function that raises while the API is down."""
        self._ok.clear()
        self._probe = probe
        if self._prober is None or self._prober.done():
            self._prober = asyncio.get_running_loop().create_task(self._run_probe(), name="bot-api-probe")

    async def wait(self, timeout: float) -> None:
        if not self._ok.is_set():
            await asyncio.wait_for(self._ok.wait(), max(timeout, 0.01))

    async def _run_probe(self) -> None:
        outage = OutageLog("sending")
        for attempt in range(1_000_000):
            await asyncio.sleep(self.PROBE_BACKOFF[min(attempt, len(self.PROBE_BACKOFF) - 1)])
            if self._ok.is_set():
                return
            try:
                await self._probe()
            except Exception as exc:  # noqa: BLE001 - the prober must outlive any failure
                outage.failed(exc, quiet=True)
                continue
            outage.recovered()
            self._ok.set()
            return

    def close(self) -> None:
        if self._prober is not None:
            self._prober.cancel()


class OutageLog:
    """One WARNING when something starts failing, one every PERIOD seconds
    while it keeps failing, one INFO when it works again."""

    PERIOD = 60.0

    def __init__(self, what: str, host: str = "", clock=time.monotonic):
        self.what = what
        self.host = host
        self.failures = 0
        self._clock = clock
        self._since = 0.0
        self._last_line = 0.0

    def failed(self, exc: BaseException, *, retry_in: float | None = None, quiet: bool = False) -> None:
        now = self._clock()
        self.failures += 1
        where = f" at {self.host}" if self.host else ""
        why = classify(exc).describe(exc)
        then = f"; retrying in {retry_in:.0f} s" if retry_in is not None else "; retrying"
        if self.failures == 1:
            self._since = self._last_line = now
            if not quiet:
                log.warning("%s: cannot reach the Bot API%s: %s%s", self.what, where, why, then)
        elif now - self._last_line >= self.PERIOD:
            self._last_line = now
            log.warning(
                "%s: still cannot reach the Bot API%s after %d attempts in %.0f s: %s%s",
                self.what, where, self.failures, now - self._since, why, then,
            )

    def recovered(self) -> None:
        if self.failures:
            where = f" at {self.host}" if self.host else ""
            log.info("%s: the Bot API%s answers again (after %d failed attempts)", self.what, where, self.failures)
        self.failures = 0


# ----------------------------------------------------------------- the update being handled


@dataclass
class UpdateScope:
    """What the sends of one update share. Set by `bot.updates.Intake` around
    ``process_update``; the rate limiter and the typing helper read it."""

    update_id: int | None = None
    journal: "UpdateJournal | None" = None
    maybe_sent_before: int = 0  # requests of an earlier run that may have delivered something
    typing: asyncio.Task | None = field(default=None, repr=False)

    @property
    def ambiguous_budget(self) -> int:
        # A replayed update whose earlier send may have arrived has used its one extra copy.
        return 0 if self.maybe_sent_before else 1

    async def before_send(self) -> None:
        await self._count(+1)

    async def not_sent(self) -> None:
        await self._count(-1)

    async def _count(self, delta: int) -> None:
        if self.journal is None or self.update_id is None:
            return
        try:
            await self.journal.maybe_sent(self.update_id, delta)
        except Exception as exc:  # noqa: BLE001 - a broken journal must not cost the answer
            log.warning("update %s: could not note the send in the journal (%s); sending anyway", self.update_id, exc)

    def stop_typing(self) -> None:
        if self.typing is not None:
            self.typing.cancel()
            self.typing = None


_SCOPE: contextvars.ContextVar[UpdateScope | None] = contextvars.ContextVar("bot_update_scope", default=None)


def current_scope() -> UpdateScope | None:
    return _SCOPE.get()


def enter_scope(scope: UpdateScope) -> contextvars.Token:
    return _SCOPE.set(scope)


def leave_scope(token: contextvars.Token) -> None:
    scope = _SCOPE.get()
    if scope is not None:
        scope.stop_typing()
    _SCOPE.reset(token)


def _scope_for_typing() -> UpdateScope:
    scope = _SCOPE.get()
    if scope is None:  # handled outside Intake (tests feeding process_update)
        scope = UpdateScope()
        _SCOPE.set(scope)
    return scope


def typing_soon(message: "Message", delay: float = TYPING_DELAY) -> None:
    """Show "typing…" only if the reply is not sent within ``delay`` seconds."""
    scope = _scope_for_typing()
    scope.stop_typing()
    scope.typing = asyncio.get_running_loop().create_task(_typing_later(message, delay), name="typing")


def stop_typing() -> None:
    scope = _SCOPE.get()
    if scope is not None:
        scope.stop_typing()


async def _typing_later(message: "Message", delay: float) -> None:
    await asyncio.sleep(delay)
    try:
        await message.reply_chat_action(ChatAction.TYPING)
    except TelegramError:
        pass  # a courtesy; the answer matters, not the indicator
