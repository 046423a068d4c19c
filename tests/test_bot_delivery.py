"""bot.delivery, bot.pacing, bot.updates: the parts, one at a time.

What a failed request means, the retry budget, the pacer's turns and
limits, the update journal, the outage log. The whole bot under faults is
tests/test_bot_faults.py.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery import (
    FLOOD,
    MAYBE_SENT,
    NOT_SENT,
    REJECTED,
    GatewayError,
    GaveUp,
    MaybeDelivered,
    OutageLog,
    RetryPolicy,
    TelegramServerError,
    _telegram_error,
    classify,
)
from bot.pacing import Pacer, paced
from bot.updates import UpdateJournal, _clean


def caused(exc: Exception, cause: Exception) -> Exception:
    exc.__cause__ = cause
    return exc


# ----------------------------------------------------------------- what a failure means


@pytest.mark.parametrize(
    ("exc", "kind", "reason"),
    [
        (RetryAfter(7), FLOOD, "429"),
        (BadRequest("chat not found"), REJECTED, "rejected"),
        (Forbidden("bot was blocked by the user"), REJECTED, "rejected"),
        (GatewayError(502, b"<html>502 Bad Gateway</html>"), NOT_SENT, "proxy 502"),
        (TelegramServerError(500, "Internal Server Error"), NOT_SENT, "Telegram error 500"),
        (caused(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("refused")), NOT_SENT, "connect error"),
        (caused(TimedOut(), httpx.ConnectTimeout("slow")), NOT_SENT, "connect error"),
        (caused(TimedOut("pool"), httpx.PoolTimeout("busy")), NOT_SENT, "no free connection"),
        (caused(NetworkError("httpx.WriteError"), httpx.WriteError("reset")), NOT_SENT, "not fully sent"),
        (caused(TimedOut(), httpx.ReadTimeout("late")), MAYBE_SENT, "read timeout"),
        (caused(NetworkError("httpx.ReadError"), httpx.ReadError("reset")), MAYBE_SENT, "connection reset"),
        (caused(NetworkError("gone"), httpx.RemoteProtocolError("Server disconnected")), MAYBE_SENT, "connection reset"),
        (TimedOut(), MAYBE_SENT, "timed out"),
    ],
)
def test_each_failure_is_classified_by_what_it_proves(exc, kind, reason):
    failure = classify(exc)
    assert failure.kind == kind
    assert reason in failure.reason
    assert failure.kind in failure.describe(exc)


def test_a_flood_wait_carries_its_retry_after():
    assert classify(RetryAfter(12)).retry_after == 12


def test_a_telegram_body_is_told_from_a_proxy_body():
    assert _telegram_error(b'{"ok":false,"error_code":500,"description":"Internal Server Error"}') == "Internal Server Error"
    assert _telegram_error(b"<html><body>502 Bad Gateway</body></html>") is None
    assert _telegram_error(b'{"message": "upstream timeout"}') is None  # JSON, but not Telegram's


# ----------------------------------------------------------------- the retry budget


def test_an_ambiguous_failure_is_retried_once_then_given_up_without_a_third_copy():
    policy = RetryPolicy(deadline=time.monotonic() + 600)
    reset = caused(NetworkError("x"), httpx.ReadError("reset"))
    assert policy.next_wait(classify(reset), reset, time.monotonic()) > 0
    with pytest.raises(MaybeDelivered):
        policy.next_wait(classify(reset), reset, time.monotonic())


def test_a_replayed_update_whose_reply_may_have_gone_out_gets_no_ambiguous_retry():
    policy = RetryPolicy(deadline=time.monotonic() + 600, ambiguous_left=0)
    reset = caused(NetworkError("x"), httpx.ReadError("reset"))
    with pytest.raises(MaybeDelivered):
        policy.next_wait(classify(reset), reset, time.monotonic())


def test_failures_that_prove_nothing_was_sent_are_retried_with_backoff_until_the_deadline():
    now = time.monotonic()
    policy = RetryPolicy(deadline=now + 20)
    refused = caused(NetworkError("x"), httpx.ConnectError("refused"))
    waits = []
    with pytest.raises(GaveUp):
        for _ in range(100):
            waits.append(policy.next_wait(classify(refused), refused, now + sum(waits)))
    assert waits[:4] == [0.5, 1.0, 2.0, 4.0] and sum(waits) <= 20


def test_a_flood_wait_is_honoured_for_as_long_as_the_deadline_allows():
    now = time.monotonic()
    policy = RetryPolicy(deadline=now + 600)
    for _ in range(50):  # 50 floods of 10 s: still within 10 minutes
        assert policy.next_wait(classify(RetryAfter(10)), RetryAfter(10), now) == pytest.approx(10.1)
    with pytest.raises(GaveUp):
        policy.next_wait(classify(RetryAfter(10)), RetryAfter(10), now + 595)


def test_a_rejection_is_never_retried():
    policy = RetryPolicy(deadline=time.monotonic() + 600)
    with pytest.raises(BadRequest):
        policy.next_wait(classify(BadRequest("x")), BadRequest("x"), time.monotonic())


# ----------------------------------------------------------------- the pacer


def run(coroutine):
    return asyncio.run(coroutine)


def test_chats_take_turns_so_a_busy_chat_cannot_starve_the_others():
    async def scenario():
        pacer = Pacer(per_second=500, chat_interval=0.0)
        order = []

        async def send(chat):
            await pacer.acquire(chat)
            order.append(chat)

        pacer.pause(0.05)  # everyone queues up first
        busy = [asyncio.create_task(send(-100)) for _ in range(6)]
        await asyncio.sleep(0.01)
        others = [asyncio.create_task(send(chat)) for chat in (1, 2, 3)]
        await asyncio.gather(*busy, *others)
        pacer.close()
        return order

    # The busy chat asked first, six times; still every chat gets its turn.
    assert run(scenario()) == [-100, 1, 2, 3, -100, -100, -100, -100, -100]


def test_one_chat_gets_one_message_per_interval_and_a_group_its_quota_per_window():
    async def scenario():
        pacer = Pacer(per_second=1000, chat_interval=0.05, group_per_minute=3, group_window=0.5)
        times = {1: [], -5: []}

        async def send(chat):
            await pacer.acquire(chat)
            await pacer.settle(chat)
            times[chat].append(time.monotonic())

        await asyncio.gather(*(send(chat) for chat in (1, 1, 1, 1, -5, -5, -5, -5)))
        pacer.close()
        return times

    times = run(scenario())
    private = times[1]
    assert all(b - a >= 0.049 for a, b in zip(private, private[1:]))
    group = times[-5]
    assert group[3] - group[0] >= 0.49  # the fourth waits for the window


def test_the_overall_rate_is_kept():
    async def scenario():
        pacer = Pacer(per_second=100, chat_interval=0.0)
        stamps = []

        async def send(chat):
            await pacer.acquire(chat)
            await pacer.settle(chat)
            stamps.append(time.monotonic())

        await asyncio.gather(*(send(chat) for chat in range(1, 41)))
        pacer.close()
        return stamps

    stamps = sorted(run(scenario()))
    assert stamps[-1] - stamps[0] >= 39 * 0.0097  # 40 sends at 100/s (real spacing 0.97 × 10 ms)


def test_typing_only_takes_a_free_slot_and_a_pause_holds_every_message():
    async def scenario():
        pacer = Pacer(per_second=50, chat_interval=0.0)
        assert pacer.try_now(1)
        assert not pacer.try_now(2)  # the slot is taken for the next 20 ms
        pacer.pause(0.3)
        assert pacer.paused and not pacer.try_now(3)
        started = time.monotonic()
        await pacer.acquire(4)
        waited = time.monotonic() - started
        pacer.close()
        return waited

    assert run(scenario()) >= 0.28


def test_only_messages_into_chats_are_paced():
    assert paced("sendMessage", {"chat_id": 1})
    assert paced("editMessageText", {"chat_id": 1})
    assert not paced("sendChatAction", {"chat_id": 1})
    assert not paced("answerCallbackQuery", {"callback_query_id": "1"})
    assert not paced("editMessageText", {"inline_message_id": "x"})


# ----------------------------------------------------------------- the journal


def test_the_journal_records_each_update_once_and_replays_the_unhandled(tmp_path):
    path = tmp_path / "state.sqlite3"

    async def first_run():
        journal = UpdateJournal(path)
        try:
            assert await journal.record([(1, '{"update_id": 1}'), (2, '{"update_id": 2}')]) == [True, True]
            assert await journal.record([(2, '{"update_id": 2}'), (3, '{"update_id": 3}')]) == [False, True]
            await journal.handled(1)
            await journal.maybe_sent(2, +1)
            await journal.maybe_sent(3, +1)
            await journal.maybe_sent(3, -1)
            await journal.maybe_sent(3, -1)  # never below zero
        finally:
            journal.close()

    async def second_run():
        journal = UpdateJournal(path)
        try:
            return await journal.take_pending(), await journal.take_pending()
        finally:
            journal.close()

    run(first_run())
    pending, again = run(second_run())
    assert [(p.update_id, p.maybe_sent, p.replays) for p in pending] == [(2, 1, 0), (3, 0, 0)]
    assert [p.replays for p in again] == [1, 1]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_operations_arriving_together_share_one_commit(tmp_path):
    async def scenario():
        journal = UpdateJournal(tmp_path / "state.sqlite3")
        try:
            await journal.record([(n, "{}") for n in range(200)])
            started = time.monotonic()
            await asyncio.gather(*(journal.handled(n) for n in range(200)))
            return time.monotonic() - started
        finally:
            journal.close()

    assert run(scenario()) < 2.0  # 200 fsync'd commits one by one would take longer on most disks


def test_lone_surrogates_become_replacement_characters():
    update = {"update_id": 1, "message": {"text": "重庆\ud800的885", "entities": [{"offset": 3, "length": 3}]}}
    cleaned = _clean(update)
    assert cleaned["message"]["text"] == "重庆\ufffd的885"
    assert cleaned["message"]["text"].encode("utf-8")
    assert len(cleaned["message"]["text"].encode("utf-16-le")) == len(update["message"]["text"].encode("utf-16-le", "surrogatepass"))


# ----------------------------------------------------------------- the outage log


def test_an_outage_is_one_warning_then_one_a_period_then_one_info(caplog):
    now = [0.0]
    outage = OutageLog("fetching updates", "api.telegram.org", clock=lambda: now[0])
    refused = caused(NetworkError("x"), httpx.ConnectError("All connection attempts failed"))
    caplog.set_level(logging.INFO, logger="bot")
    for step in range(200):  # 200 failures, one a second
        now[0] = float(step)
        outage.failed(refused, retry_in=1)
    outage.recovered()
    messages = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "bot.delivery"]
    warnings = [m for level, m in messages if level == "WARNING"]
    assert len(warnings) == 1 + 199 // 60
    assert "api.telegram.org" in warnings[0] and "connect error" in warnings[0]
    assert "still" in warnings[1] and "attempts" in warnings[1]
    assert messages[-1][0] == "INFO" and "answers again" in messages[-1][1]
