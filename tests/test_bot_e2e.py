"""End to end: the real Application, over real HTTP, long-polling a local Bot
API server (tests/botapi_server.py) that validates what Telegram validates.

The module-level bot runs in its own thread and event loop, as in
production; the tests drive the server and wait for what the bot sends.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.application import build_application
from bot.logs import configure_logging
from tests.bot_support import ServingBot, make_deps, stop_process
from tests.botapi_server import DEFAULT_TOKEN, FakeBotApi

QUESTION = "重庆提出的885工作机制是什么？"
CITATION = "《重庆推动超大城市现代化治理的实践探索与机制创新》 · 刘嗣方"
REPO = Path(__file__).resolve().parents[1]


# The Application served as in production (bot.serve: journaled intake,
# per-chat lanes, pacing and retries) in a background thread.
RunningBot = ServingBot


@pytest.fixture(scope="module")
def log_output():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    configure_logging("DEBUG", DEFAULT_TOKEN, stream=stream)
    yield stream
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]


@pytest.fixture(scope="module")
def api():
    with FakeBotApi() as server:
        yield server


@pytest.fixture(scope="module")
def running(api, qa, log_output):
    deps = make_deps(qa, telegram_api_base_url=api.base_url)
    with RunningBot(build_application(deps)) as bot:
        yield bot


def replies(api: FakeBotApi, chat_id: int, after: int, *, timeout: float = 15.0):
    """The next message the bot sends to chat_id after ``after``."""
    call = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat_id, after=after, timeout=timeout)
    return call.result


GROUP = dict(chat_id=-1001234567890, title="文档问答测试群")


# ----------------------------------------------------------------- start-up


def test_startup_registers_commands_for_private_and_group_chats(api, running):
    menus = {c.params["scope"]["type"]: [cmd["command"] for cmd in c.params["commands"]]
             for c in api.calls if c.method == "setMyCommands" and c.ok}
    assert set(menus) == {"all_private_chats", "all_group_chats", "all_chat_administrators"}
    # /remove is offered to those who may use it: group admins (LIBRARY_UPLOADS=admins).
    assert "remove" in menus["all_chat_administrators"] and "remove" not in menus["all_group_chats"]
    assert "remove" not in menus["all_private_chats"]


# ----------------------------------------------------------------- private chats


def test_private_question_gets_passage_citation_and_buttons(api, running):
    mark = api.mark()
    api.send_text(QUESTION)
    message = replies(api, api.default_user["id"], mark)
    assert CITATION in message["text"] and "第4段" in message["text"]
    assert any(e["type"] == "bold" for e in message["entities"])
    assert message["reply_markup"]["inline_keyboard"]


def test_each_button_works(api, running):
    mark = api.mark()
    api.send_text("基层治理")
    message = replies(api, api.default_user["id"], mark)
    data = {b["text"]: b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row}

    for label, expect in (("📄 全文", "expandable_blockquote"), ("更多结果 ▶", None)):
        mark = api.mark()
        api.press_button(message, data[label])
        edit = api.wait_for("editMessageText", after=mark).result
        api.wait_for("answerCallbackQuery", after=mark)
        if expect:
            assert expect in {e["type"] for e in edit["entities"]}
        else:
            assert edit["text"].startswith("更多结果")
        message = edit

    # A second tap on the same page: Telegram says "not modified"; the user sees nothing odd.
    back = {b["text"]: b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row}
    mark = api.mark()
    api.press_button(message, back["◀ 上一页"])
    first_page = api.wait_for("editMessageText", after=mark).result
    api.wait_for("answerCallbackQuery", after=mark)
    again = api.mark()
    api.press_button(first_page, back["◀ 上一页"], strict=False)
    api.wait_for("answerCallbackQuery", after=again)
    api.assert_no_call("sendMessage", within=0.5, after=mark)

    mark = api.mark()
    api.press_button(first_page, data["👍"])
    thanks = api.wait_for("answerCallbackQuery", after=mark)
    assert "谢谢" in thanks.params["text"]


def test_unanswerable_question_is_declined_without_citation(api, running):
    mark = api.mark()
    api.send_text("今天上海的股票行情怎么样？")
    message = replies(api, api.default_user["id"], mark)
    assert "没有找到" in message["text"]
    assert "《" not in message["text"] and "reply_markup" not in message


@pytest.mark.parametrize(
    "send",
    [
        lambda api: api.send_text("<b>重庆</b> & <script>alert('x')</script> 885 机制？"),
        lambda api: api.send_text("重庆" * 5000),
        lambda api: api.send_text("\x00\x01\x1b[2J 八张报表\u202e"),
        lambda api: api.send_sticker(),
        lambda api: api.send_photo(caption="这是什么？"),
    ],
    ids=["html", "10k-characters", "control-characters", "sticker", "photo"],
)
def test_bad_input_gets_a_polite_reply(api, running, send):
    mark = api.mark()
    send(api)
    message = replies(api, api.default_user["id"], mark)
    assert message["text"].strip()
    assert "出了点问题" not in message["text"]


# ----------------------------------------------------------------- groups


def test_group_lookups_and_chatter(api, running):
    group = api.group_chat(**GROUP)
    username = api.bot_user["username"]

    mark = api.mark()
    asked = api.send_text(f"/ask@{username} {QUESTION}", chat=group)
    reply = replies(api, group["id"], mark)
    assert CITATION in reply["text"]
    assert reply["reply_to_message"]["message_id"] == asked["message"]["message_id"]

    mark = api.mark()
    api.send_text(f"@{username} 八张报表是什么", chat=group)
    mentioned = replies(api, group["id"], mark)
    assert "八张报表" in mentioned["text"]

    mark = api.mark()
    api.send_text("那八张问题清单呢？", chat=group, reply_to=mentioned)
    assert "问题清单" in replies(api, group["id"], mark)["text"]

    mark = api.mark()
    api.send_text("大家晚上好，重庆的885工作机制我看完了", chat=group)
    api.send_text("/ask@another_bot 885工作机制", chat=group)
    api.send_sticker(chat=group)
    api.assert_no_call("sendMessage", within=1.5, after=mark)
    api.assert_no_call("sendChatAction", within=0.1, after=mark)


def test_forum_topic_reply_stays_in_the_topic(api, running):
    forum = api.group_chat(chat_id=-1009876543210, title="读书会", is_forum=True)
    mark = api.mark()
    api.send_text(f"/ask {QUESTION}", chat=forum, message_thread_id=42)
    reply = replies(api, forum["id"], mark)
    assert reply.get("message_thread_id") == 42


# ----------------------------------------------------------------- inline mode


def test_inline_query_lists_passages(api, running):
    mark = api.mark()
    api.inline_query("八张报表")
    call = api.wait_for("answerInlineQuery", after=mark)
    results = call.params["results"]
    assert 1 <= len(results) <= 10
    assert "八张报表" in results[0]["input_message_content"]["message_text"]


# ----------------------------------------------------------------- faults


def test_a_429_is_waited_out_and_the_reply_still_arrives(api, running):
    api.fail_next("sendMessage", status=429, retry_after=1)
    mark = api.mark()
    api.send_text(QUESTION)
    message = replies(api, api.default_user["id"], mark, timeout=20)
    assert CITATION in message["text"]
    refused = [c for c in api.calls[mark:] if c.method == "sendMessage" and c.status == 429]
    assert len(refused) == 1


def test_a_500_is_retried(api, running):
    api.fail_next("sendMessage", status=500, retry_after=None, description="Internal Server Error")
    mark = api.mark()
    api.send_text(QUESTION)
    assert CITATION in replies(api, api.default_user["id"], mark)["text"]


def test_the_token_never_reaches_the_log(api, running, log_output):
    api.fail_next("sendMessage", status=400, retry_after=None, description="Bad Request: chat not found")
    mark = api.mark()
    api.send_text(QUESTION)
    api.wait_for("sendMessage", lambda c: "出了点问题" in c.params["text"], after=mark)
    text = log_output.getvalue()
    assert "error while handling an update" in text  # the failure was logged …
    assert DEFAULT_TOKEN not in text and DEFAULT_TOKEN.split(":")[1] not in text  # … without the token


# ----------------------------------------------------------------- the real process


def test_python_m_bot_configured_only_by_the_environment(tmp_path):
    """What an operator runs: `python -m bot` with two environment variables."""
    with FakeBotApi() as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CORPUS_", "ALLOWED_", "WEBHOOK_"))}
        env.update(TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_BASE_URL=server.base_url, PYTHONPATH=str(REPO))
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            user = server.default_user["id"]
            group = server.group_chat(**GROUP)
            mark = server.mark()
            server.send_text("/start")
            assert "/ask" in server.wait_for("sendMessage", after=mark, timeout=60).params["text"]

            mark = server.mark()
            server.send_text(QUESTION)
            assert CITATION in replies(server, user, mark)["text"]

            mark = server.mark()
            server.send_text(f"/ask@{server.bot_user['username']} {QUESTION}", chat=group)
            assert CITATION in replies(server, group["id"], mark)["text"]

            mark = server.mark()
            server.send_text(f"@{server.bot_user['username']} 885工作机制", chat=group)
            assert "885" in replies(server, group["id"], mark)["text"]

            mark = server.mark()
            server.send_text("今天天气不错", chat=group)
            server.assert_no_call("sendMessage", within=1.0, after=mark)

            mark = server.mark()
            server.send_text("你们公司的股票代码是多少？")
            declined = replies(server, user, mark)["text"]
            assert "没有找到" in declined and "《" not in declined

            mark = server.mark()
            server.send_text("<i>重庆</i></b>&lt;885&gt; <a href='x'>工作机制</a>")
            assert replies(server, user, mark)["text"]
        finally:
            stderr = stop_process(process, timeout=20)
        assert process.returncode == 0, stderr[-2000:]
        assert server.token not in stderr
        assert (tmp_path / ".index").is_dir() and (tmp_path / "state" / "bot.sqlite3").is_file()


def test_python_m_bot_names_the_bad_key(tmp_path):
    env = dict(os.environ, TELEGRAM_BOT_TOKEN="12345:short", PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "bot", "--check"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "12345:short" not in result.stderr


def test_without_a_token_it_is_the_console_chat_the_readme_shows(tmp_path):
    """README's `printf … | make run` example, checked against the real output."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after = readme.split("printf '重庆提出的885工作机制是什么？\\n' | make run", 1)[1]
    block = after.split("```\n")[2].split("```")[0]  # the output block after the command's block
    hint, expected = block.split("\n", 1)
    env = dict(os.environ, TELEGRAM_BOT_TOKEN="", PYTHONPATH=str(REPO), INDEX_DIR=str(tmp_path / "index"))
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=REPO, env=env, input="重庆提出的885工作机制是什么？\n",
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected.rstrip("\n") + "\n"
    assert hint in result.stderr


def test_a_slow_question_in_one_chat_does_not_hold_up_another(api, running, qa, monkeypatch):
    engine = qa.engine
    real_ask = engine.ask

    def ask(question, top_k=5):
        if "慢" in question:
            time.sleep(3)
        return real_ask(question, top_k)

    monkeypatch.setattr(engine, "ask", ask)
    other = api.private_chat(user_id=3003)
    mark = api.mark()
    api.send_text("慢慢说说八张报表")
    api.send_text(QUESTION, chat=other, user=api.user(3003))
    fast = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == other["id"], after=mark)
    slow = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == api.default_user["id"], after=mark)
    assert api.calls.index(fast) < api.calls.index(slow)


def test_webhook_mode_checks_the_secret_token(qa, unused_port):
    # Its own server: a webhook there would stop the module's polling bot (409).
    with FakeBotApi() as api:
        _webhook_scenario(api, qa, unused_port)


def _webhook_scenario(api, qa, unused_port):
    from bot.main import webhook_options

    deps = make_deps(
        qa, telegram_api_base_url=api.base_url, webhook_url="https://bot.example.org/telegram/hook",
        webhook_listen="127.0.0.1", webhook_port=unused_port, webhook_secret_token="s3cret-Token_1",
    )
    application = build_application(deps)
    options = webhook_options(deps.settings)
    assert options["url_path"] == "telegram/hook"

    update = {
        "update_id": 777001,
        "message": {"message_id": 9001, "date": int(time.time()), "chat": api.private_chat(),
                    "from": api.default_user, "text": QUESTION},
    }

    def post(secret: str) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{unused_port}/telegram/hook", data=json.dumps(update).encode(),
            headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    mark = api.mark()
    with ServingBot(application):
        registered = api.wait_for("setWebhook", after=mark)
        assert registered.params["url"] == "https://bot.example.org/telegram/hook"
        assert registered.params["secret_token"] == "s3cret-Token_1"
        assert post("wrong") == 403
        api.assert_no_call("sendMessage", within=0.5, after=mark)
        assert post("s3cret-Token_1") == 200
        assert CITATION in replies(api, api.default_user["id"], mark)["text"]


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
