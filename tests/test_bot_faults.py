"""Nothing lost: every question answered exactly once through crashes,
faults and load.

The real bot, served as in production (`bot.serve`), against the local Bot
API server with fault injection (tests/botapi_server.py): floods, Telegram's
own 500s, a proxy's 502s, connection resets before and after a message was
delivered, read timeouts after delivery, a getUpdates outage, and a kill -9
in the middle of a load. Each question is asked in a chat of its own (or in
a group, where the answer quotes it), so "answered exactly once in the right
chat" is checked per question, whatever the answer says.
"""

from __future__ import annotations

import collections
import io
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.application import build_application
from bot.delivery import ClassifyingRequest
from bot.logs import configure_logging
from bot.texts import ZH
from tests.bot_support import ServingBot, make_deps, stop_process
from tests.botapi_server import DEFAULT_TOKEN, FakeBotApi

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "重庆提出的885工作机制是什么？",
    "八张报表是什么？",
    "数字鸿沟怎么解决？",
    "国有企业改革怎么推进？",
    "枫桥经验是什么？",
    "渝快办是什么？",
    "三改攻坚一盘活是什么？",
    "适老化改造怎么做？",
]
APOLOGY = ZH.error


# ----------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Asked:
    chat_id: int
    message_id: int
    update_id: int

    @property
    def key(self) -> tuple[int, int | None]:
        # A private chat asks one question; a group's answer quotes its question.
        return (self.chat_id, None) if self.chat_id > 0 else (self.chat_id, self.message_id)


class Tally:
    def __init__(self, api: FakeBotApi, asked: list[Asked]):
        self.asked = {a.key: a for a in asked}
        self.answers: collections.Counter = collections.Counter()
        self.apologies: collections.Counter = collections.Counter()
        self.stray: list[dict] = []
        for message in list(api.sent):
            chat = message["chat"]["id"]
            key = (chat, None) if chat > 0 else (chat, (message.get("reply_to_message") or {}).get("message_id"))
            if key not in self.asked:
                self.stray.append(message)
            elif APOLOGY in message["text"]:
                self.apologies[key] += 1
            else:
                self.answers[key] += 1

    @property
    def unanswered(self) -> list:
        return [key for key in self.asked if not self.answers[key]]

    def assert_exactly_once(self) -> None:
        assert not self.stray, f"messages nobody asked for: {self.stray[:3]}"
        assert not self.apologies, f"apologies: {dict(self.apologies)}"
        wrong = {key: self.answers[key] for key in self.asked if self.answers[key] != 1}
        assert not wrong, f"{len(wrong)} of {len(self.asked)} questions not answered exactly once: {wrong}"

    def assert_at_most_twice_never_lost(self) -> None:
        assert not self.stray, f"messages nobody asked for: {self.stray[:3]}"
        assert not self.apologies, f"apologies: {dict(self.apologies)}"
        assert not self.unanswered, f"lost: {self.unanswered}"
        assert max(self.answers.values()) <= 2, {k: n for k, n in self.answers.items() if n > 2}


def ask(api: FakeBotApi, *, private: int, groups: int = 0, per_group: int = 0, first_user: int = 10_000,
        text=lambda n: QUESTIONS[n % len(QUESTIONS)]) -> list[Asked]:
    """``private`` chats ask one question each; ``groups`` groups ask ``per_group`` each (/ask)."""
    asked = []
    for n in range(private):
        user = api.user(first_user + n)
        update = api.send_text(text(n), chat=api.private_chat(user["id"]), user=user)
        asked.append(Asked(user["id"], update["message"]["message_id"], update["update_id"]))
    for g in range(groups):
        chat = api.group_chat(chat_id=-100_555_000 - g, title=f"测试群{g}")
        for k in range(per_group):
            update = api.send_text("/ask " + text(g + k), chat=chat)
            asked.append(Asked(chat["id"], update["message"]["message_id"], update["update_id"]))
    return asked


def settle(api: FakeBotApi, asked: list[Asked], *, timeout: float, quiet: float = 1.5) -> Tally:
    """Waits until every question has an answer (or timeout), then until the bot is quiet."""
    deadline = time.monotonic() + timeout
    while Tally(api, asked).unanswered and time.monotonic() < deadline:
        time.sleep(0.1)
    api.wait_idle(quiet=quiet, timeout=max(5.0, deadline - time.monotonic() + 10), ignore=("getUpdates", "getMe"))
    return Tally(api, asked)


@pytest.fixture
def api():
    with FakeBotApi() as server:
        yield server


def serving(api: FakeBotApi, qa, *, request=None, **settings) -> ServingBot:
    deps = make_deps(qa, telegram_api_base_url=api.base_url, **settings)
    return ServingBot(build_application(deps, request=request))


@pytest.fixture
def warnings_log(caplog):
    caplog.set_level(logging.INFO, logger="bot")
    return caplog


def lines(caplog, level=logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level and r.name.startswith("bot")]


# ----------------------------------------------------------------- load and fairness


def test_100_chats_and_5_groups_at_once_are_each_answered_once_within_the_limits(api, qa):
    with serving(api, qa):
        mark = api.mark()
        started = time.monotonic()
        asked = ask(api, private=100, groups=5, per_group=4)
        tally = settle(api, asked, timeout=40)
        took = time.monotonic() - started
    tally.assert_exactly_once()
    assert api.limit_violations == []  # 30 messages/s, 1/s per chat, 20/min per group
    typing = [c for c in api.calls[mark:] if c.method == "sendChatAction"]
    assert len(typing) <= 6, "answers ready at once need no typing…"  # a few may wait for the search pool
    assert took < 20, f"120 answers took {took:.1f} s"


def test_a_busy_group_does_not_starve_private_chats(api, qa):
    with serving(api, qa):
        group = ask(api, private=0, groups=1, per_group=40)
        time.sleep(0.5)  # the group's questions are all in first
        mark = api.mark()
        private = ask(api, private=30, first_user=20_000)
        deadline = time.monotonic() + 15
        while Tally(api, private).unanswered and time.monotonic() < deadline:
            time.sleep(0.1)
        tally = Tally(api, private)
        group_answers = [c for c in api.calls[mark:] if c.method == "sendMessage" and c.ok and c.params["chat_id"] < 0]
    assert not tally.unanswered, f"{len(tally.unanswered)} private chats still waiting behind the group"
    assert all(n == 1 for n in tally.answers.values())
    # The group still gets its turn, one message a second.
    assert 1 <= len(group_answers) <= 10
    assert len(group) == 40


def test_typing_is_shown_only_when_an_answer_takes_long(api, qa, monkeypatch):
    engine = qa.engine
    real_ask = engine.ask

    def slow_ask(question, *args, **kwargs):
        if "慢" in question:
            time.sleep(1.6)
        return real_ask(question, *args, **kwargs)

    monkeypatch.setattr(engine, "ask", slow_ask)
    with serving(api, qa):
        fast = ask(api, private=1, first_user=30_000)
        slow = ask(api, private=1, first_user=30_001, text=lambda n: "慢慢说说八张报表是什么")
        settle(api, fast + slow, timeout=20)
    actions = [c.params["chat_id"] for c in api.calls if c.method == "sendChatAction"]
    assert actions == [slow[0].chat_id]


# ----------------------------------------------------------------- faults


def test_a_10_second_flood_wait_costs_no_answer_and_no_apology(api, qa, warnings_log):
    with serving(api, qa):
        api.flood(10, retry_after=2)  # five times longer than one retry_after
        started = time.monotonic()
        asked = ask(api, private=20, groups=2, per_group=3)
        tally = settle(api, asked, timeout=40)
    tally.assert_exactly_once()
    assert time.monotonic() - started >= 9.5
    refused = [c for c in api.calls if c.method == "sendMessage" and c.status == 429]
    assert len(refused) <= 15, f"{len(refused)} sends ran into the flood; the pacer should hold them"
    assert any("Telegram asks to wait" in line for line in lines(warnings_log))


@pytest.mark.parametrize("kind", ["telegram_500", "proxy_502"])
def test_a_3_second_burst_of_5xx_is_retried_until_it_ends(api, qa, warnings_log, kind):
    with serving(api, qa):
        api.fault(kind, seconds=3)
        asked = ask(api, private=20, groups=1, per_group=3)
        tally = settle(api, asked, timeout=40)
    tally.assert_exactly_once()
    reason = {"telegram_500": "Telegram error 500", "proxy_502": "proxy 502"}[kind]
    assert any(reason in line and "not sent" in line for line in lines(warnings_log))


def test_a_reset_before_delivery_is_retried_once_and_answers_once(api, qa, warnings_log):
    with serving(api, qa):
        api.fault("reset_before", seconds=60, rate=0.5, once_per_message=True, seed=7)
        asked = ask(api, private=30)
        tally = settle(api, asked, timeout=30)
    tally.assert_exactly_once()
    assert sum(1 for _, kind, _ in api.fault_log if kind == "reset_before") >= 5
    assert any("connection reset after the request was sent" in line for line in lines(warnings_log))


def test_a_network_outage_of_3_seconds_loses_nothing(api, qa):
    """Every request (getUpdates and the probes included) is reset for 3 s."""
    with serving(api, qa):
        early = ask(api, private=10)
        api.fault("reset_before", method=None, seconds=3)
        late = ask(api, private=10, first_user=11_000)
        tally = settle(api, early + late, timeout=40)
    tally.assert_exactly_once()


def test_resets_after_delivery_send_an_answer_at_most_twice(api, qa, warnings_log):
    with serving(api, qa):
        api.fault("reset_after", seconds=60, rate=0.25, seed=3)
        asked = ask(api, private=40)
        tally = settle(api, asked, timeout=40, quiet=2.0)
    tally.assert_at_most_twice_never_lost()
    assert sum(1 for _, kind, _ in api.fault_log if kind == "reset_after") >= 5


def test_a_second_unanswered_send_is_not_followed_by_a_third_copy_or_an_apology(api, qa, warnings_log):
    with serving(api, qa):
        api.fault("reset_after", count=2)
        asked = ask(api, private=1)
        tally = settle(api, asked, timeout=20, quiet=2.5)
    assert tally.answers[asked[0].key] == 2 and not tally.apologies
    assert any("not sending it a third time" in line for line in lines(warnings_log))


def test_read_timeouts_after_delivery_send_an_answer_at_most_twice(api, qa, warnings_log):
    request = ClassifyingRequest(connection_pool_size=64, read_timeout=1.5)
    with serving(api, qa, request=request):
        api.fault("timeout_after", seconds=60, rate=0.3, hold=4, seed=5)
        asked = ask(api, private=20)
        tally = settle(api, asked, timeout=40, quiet=2.5)
    tally.assert_at_most_twice_never_lost()
    assert any("read timeout after the request was sent" in line for line in lines(warnings_log))


def test_a_getupdates_outage_is_one_warning_and_loses_nothing(api, qa, warnings_log):
    with serving(api, qa):
        api.fault("proxy_502", method="getUpdates", seconds=3)
        time.sleep(0.5)
        asked = ask(api, private=10)
        tally = settle(api, asked, timeout=30)
        # The long poll already in flight can carry every question before the
        # fault bites; the bot must still be running when polling recovers.
        deadline = time.monotonic() + 20
        while not recovered(warnings_log) and time.monotonic() < deadline:
            time.sleep(0.1)
    tally.assert_exactly_once()
    warnings = [line for line in lines(warnings_log) if "fetching updates" in line]
    assert len(warnings) == 1, warnings
    assert "proxy 502" in warnings[0] and "retrying in" in warnings[0]
    assert not [r for r in warnings_log.records if r.exc_info and r.name.startswith("bot")]
    assert "error while handling an update" not in warnings_log.text
    assert recovered(warnings_log)


def recovered(caplog) -> bool:
    return any("fetching updates" in line and "answers again" in line for line in lines(caplog, logging.INFO))


# ----------------------------------------------------------------- small ones


def test_messages_from_other_bots_are_ignored_but_anonymous_admins_are_not(api, qa):
    other_bot = {"id": 777_001, "is_bot": True, "first_name": "OtherBot", "username": "other_helper_bot"}
    group = api.group_chat(chat_id=-100_777_000, title="机器人群")
    username = api.bot_user["username"]
    with serving(api, qa):
        mark = api.mark()
        api.send_text(f"@{username} 八张报表是什么？", chat=group, user=other_bot)
        api.send_text(f"/ask@{username} 八张报表是什么？", chat=group, user=other_bot)
        api.send_text("八张报表是什么？", user=other_bot)  # a bot in private: cannot happen, still ignored
        api.assert_no_call("sendMessage", within=2.0, after=mark)
        anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
        asked = api.send_text(f"/ask@{username} 八张报表是什么？", chat=group, user=anonymous, sender_chat=group)
        reply = api.wait_for("sendMessage", after=mark).result
    assert reply["chat"]["id"] == group["id"]
    assert reply["reply_to_message"]["message_id"] == asked["message"]["message_id"]


def test_a_lone_surrogate_is_answered_not_apologised_for(api, qa):
    with serving(api, qa):
        asked = ask(api, private=1, text=lambda n: "重庆\ud800提出的885工作机制是什么？\udc00")
        tally = settle(api, asked, timeout=20)
    tally.assert_exactly_once()
    [message] = api.sent
    assert "885" in message["text"]


@pytest.mark.parametrize("token", ["123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
                                   "123456789:AAH-dqTcvCH1v_GWJxfSeofSAs0K5PALDsa"])
def test_a_token_pasted_into_a_chat_never_reaches_the_debug_log(qa, token):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    configure_logging("DEBUG", token, stream=stream)
    secret = token.split(":", 1)[1]
    pieces = [p for p in secret.replace("_", "-").split("-") if len(p) >= 8]
    try:
        with FakeBotApi(token) as api, serving(api, qa, telegram_bot_token=token):
            asked = ask(api, private=1, text=lambda n: f"我的 token 是 {token} 怎么办")
            settle(api, asked, timeout=20)
            [reply] = api.sent
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
    # The not-found reply echoes the words it did not find: the token's pieces, lower-cased.
    assert all(p.lower() in reply["text"].lower() for p in pieces)
    text = stream.getvalue().lower()
    assert "sendmessage" in text  # the reply was logged at DEBUG …
    assert not [p for p in pieces if p.lower() in text]  # … without any piece of the token


def test_webhook_mode_journals_an_update_before_answering_200(qa, tmp_path):
    import json
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with FakeBotApi() as api:
        deps = make_deps(qa, telegram_api_base_url=api.base_url, webhook_url="https://bot.example.org/hook",
                         webhook_listen="127.0.0.1", webhook_port=port)
        update = {"update_id": 880_001, "message": {"message_id": 1, "date": int(time.time()), "chat": api.private_chat(),
                                                   "from": api.default_user, "text": QUESTIONS[0]}}
        with ServingBot(build_application(deps), tmp_path / "state.sqlite3") as bot:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/hook", data=json.dumps(update).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
                with sqlite3.connect(bot.journal_path) as db:  # already on disk when 200 came back
                    assert db.execute("SELECT COUNT(*) FROM updates WHERE update_id = 880001").fetchone()[0] == 1
            api.wait_for("sendMessage", timeout=15)
            with urllib.request.urlopen(request, timeout=10) as response:  # Telegram retrying: not answered twice
                assert response.status == 200
            api.assert_no_call("sendMessage", within=1.5, after=api.mark())


# ----------------------------------------------------------------- the real process


def _bot_env(server: FakeBotApi | None, tmp: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CORPUS_", "ALLOWED_", "WEBHOOK_"))}
    env.update(PYTHONPATH=str(REPO), STATE_PATH=str(tmp / "state" / "bot.sqlite3"), INDEX_DIR=str(tmp / "index"))
    if server is not None:
        env.update(TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_BASE_URL=server.base_url)
    env.update(extra)
    return env


def _start(env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _polling(server: FakeBotApi, process: subprocess.Popen, after: int, timeout: float = 90) -> None:
    """Waits for the bot's deleteWebhook, its last call before it long-polls
    (a long poll shows up in ``calls`` only when it returns)."""
    deadline = time.monotonic() + timeout
    while not any(c.method == "deleteWebhook" for c in server.calls[after:]):
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the bot did not start polling"
        time.sleep(0.05)


def _stop(process: subprocess.Popen) -> str:
    return stop_process(process, signal.SIGTERM)


def test_kill_9_in_the_middle_of_a_load_loses_no_question(tmp_path):
    state = tmp_path / "state" / "bot.sqlite3"
    with FakeBotApi() as server:
        env = _bot_env(server, tmp_path)
        first = _start(env, tmp_path)
        try:
            _polling(server, first, 0)
            asked = ask(server, private=270, groups=5, per_group=6)
            deadline = time.monotonic() + 60
            while len(server.sent) < 70 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            first.kill()  # SIGKILL: no cleanup at all
            first.communicate()
        before = Tally(server, asked)
        assert 0 < sum(before.answers.values()) < len(asked), "kill -9 must land in the middle of the load"
        with sqlite3.connect(state) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            journal = {row[0]: row[1:] for row in db.execute("SELECT update_id, handled_at, maybe_sent FROM updates")}
        assert journal, "nothing was journaled before the kill"

        mark = server.mark()
        second = _start(env, tmp_path)
        try:
            _polling(server, second, mark)
            after = settle(server, asked, timeout=90, quiet=2.0)
        finally:
            stderr = _stop(second)
    assert second.returncode == 0, stderr[-3000:]
    assert "arrived before the restart" in stderr

    assert not after.stray and not after.apologies
    assert not after.unanswered, f"{len(after.unanswered)} questions lost across the kill"
    for a in asked:
        n = after.answers[a.key]
        handled, maybe_sent = journal.get(a.update_id, (None, 0))
        if a.update_id in journal and maybe_sent and handled is None:
            assert n in (1, 2), (a, n)  # its reply may have been on the wire at the kill
        else:
            assert n == 1, (a, n, journal.get(a.update_id))
    with sqlite3.connect(state) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM updates WHERE handled_at IS NULL").fetchone()[0] == 0


def test_a_rejected_token_is_one_clear_line_and_exit_code_2(tmp_path):
    with FakeBotApi() as server:
        env = _bot_env(server, tmp_path, TELEGRAM_BOT_TOKEN="987654:WRONG-token-abcdefghijklmnopqrstuvwxyz01")
        result = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if "TELEGRAM_BOT_TOKEN" in line]
    assert errors == ["error: TELEGRAM_BOT_TOKEN: the Bot API rejected the token (ask @BotFather for the current one)"]
    assert "WRONG-token" not in result.stderr


def test_an_unreachable_bot_api_is_a_warning_naming_the_host_not_the_token(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = DEFAULT_TOKEN
    env = _bot_env(None, tmp_path, TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot")
    process = _start(env, tmp_path)
    seen: list[str] = []

    def read() -> None:
        for line in process.stderr:
            seen.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 90
    while not any(" WARNING " in line for line in seen) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    reader.join(timeout=5)
    output = "".join(seen)
    warnings = [line for line in seen if " WARNING " in line]
    assert warnings, output[-3000:]
    assert f"127.0.0.1:{port}" in warnings[0] and "connect error" in warnings[0]
    assert token not in output and token.split(":")[1] not in output
    assert "Traceback" not in output
    assert process.returncode == 0


def test_check_fails_on_a_state_path_that_cannot_be_opened(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    for bad in (tmp_path, tmp_path / "a-file" / "bot.sqlite3"):  # a folder; under a file
        env = _bot_env(None, tmp_path, STATE_PATH=str(bad), TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN)
        result = subprocess.run([sys.executable, "-m", "bot", "--check"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, result.stderr[-2000:]
        assert "STATE_PATH" in result.stderr and str(bad) in result.stderr
        assert "Traceback" not in result.stderr
