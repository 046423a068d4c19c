"""Chats' own libraries end to end: the real Application over HTTP against the
local Bot API server, which serves getFile, the file download path and
getChatAdministrators as Telegram does.

One bot serves the whole module, with ADMIN_USER_IDS = OPERATOR and a
DATA_DIR of its own; each test uses its own groups, so the order of tests
does not matter.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from bot.application import build_application
from bot.libraries.registry import Libraries
from tests.bot_support import ServingBot, make_deps, stop_process
from tests.botapi_server import FakeBotApi, parse_html
from tests.pdf_fixtures import build_pages, text_lines

OPERATOR = 9001
GROUP_ADMIN = 2001
MEMBER = 2002
STRANGER = 1001

FACT_QUESTION = "赤霞计划的穹顶温室有多少座？"
FACT_TITLE = "火星基地建设规划"
TEXT_DOCUMENT = (
    "月面观测站手册\n\n"
    "月面观测站的主望远镜叫做“广寒镜”，口径四点二米，安装在南极的沙克尔顿环形山边缘。\n\n"
    "观测站的值守人员每九十天轮换一次，由嫦娥后勤中心负责补给。\n"
)


def fact_pdf(path: Path) -> bytes:
    """Two pages; the answer is on page 2."""
    build_pages(path, [
        text_lines(["火星基地建设规划", "", "第一章 总体目标", "火星基地的选址在乌托邦平原，", "那里地势平坦，便于着陆。"]),
        text_lines(["第二章 赤霞计划", "赤霞计划是火星基地的第一期工程，", "计划建设十二座穹顶温室，",
                    "每座穹顶温室可以养活四十人。"]),
    ], title=FACT_TITLE)
    return path.read_bytes()


@pytest.fixture(scope="module")
def api():
    with FakeBotApi() as server:
        yield server


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


def start_bot(api, qa, data_dir, **settings):
    deps = make_deps(
        qa, telegram_api_base_url=api.base_url, telegram_api_file_url=api.file_url,
        admin_user_ids=frozenset({OPERATOR}), data_dir=data_dir, **settings,
    )
    return ServingBot(build_application(deps)), deps


@pytest.fixture(scope="module")
def running(api, qa, data_dir):
    bot, deps = start_bot(api, qa, data_dir)
    with bot:
        yield deps


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> bytes:
    return fact_pdf(tmp_path_factory.mktemp("pdf") / "plan.pdf")


def group(api, chat_id: int, title: str = "学习小组") -> dict:
    chat = api.group_chat(chat_id, title=title)
    api.set_admins(chat_id, [GROUP_ADMIN])
    return chat


def user(api, user_id: int) -> dict:
    return api.user(user_id, first_name=f"U{user_id}")


def text_of(html: str) -> str:
    return parse_html(html)[0]


def upload(api, content: bytes, name: str, chat: dict, sender: dict, *, timeout: float = 60.0, **kwargs) -> str:
    """Send a document and return the text of the bot's final word on it
    (the status message's last edit, or a direct reply)."""
    mark = api.mark()
    api.send_document(content, name, chat=chat, user=sender, **kwargs)
    return final_status(api, chat["id"], mark, timeout=timeout)


FINAL = re.compile(r"已加入|已经在|不是我能读|没能|超过|替换|出错|只有")


def final_status(api, chat_id: int, mark: int, *, timeout: float = 60.0) -> str:
    """The first message or edit in the chat after ``mark`` that ends an upload."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in api.calls[mark:]:
            if call.method in ("editMessageText", "sendMessage") and call.ok and call.params.get("chat_id") == chat_id:
                text = text_of(call.params["text"])
                if FINAL.search(text):
                    return text
        time.sleep(0.05)
    raise AssertionError("no final upload message; calls:\n" + "\n".join(map(str, api.calls[mark:])))


def ask(api, question: str, chat: dict, sender: dict, *, timeout: float = 30.0) -> str:
    mark = api.mark()
    api.send_text(f"/ask {question}" if chat["type"] != "private" else question, chat=chat, user=sender)
    call = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat["id"], after=mark, timeout=timeout)
    return text_of(call.params["text"])


# ----------------------------------------------------------------- groups


def test_an_admins_pdf_is_answered_in_its_group_with_its_page_and_nowhere_else(api, running, pdf):
    first, second = group(api, -100111), group(api, -100112, "另一个群")
    summary = upload(api, pdf, "plan.pdf", first, user(api, GROUP_ADMIN))
    assert "已加入本群文档库" in summary and FACT_TITLE in summary
    assert "2页" in summary  # pages and paragraphs are reported
    assert "可以这样问" in summary  # with example questions, each checked to be answered

    answer = ask(api, FACT_QUESTION, first, user(api, MEMBER))
    assert "十二座穹顶温室" in answer
    assert f"《{FACT_TITLE}》" in answer and "第2页" in answer
    assert "本群文档" in answer  # where the passage came from

    elsewhere = ask(api, FACT_QUESTION, second, user(api, GROUP_ADMIN))
    assert FACT_TITLE not in elsewhere and "穹顶温室可以" not in elsewhere
    # The shared library is still answered in both.
    assert "885" in ask(api, "重庆提出的885工作机制是什么？", first, user(api, MEMBER))


def test_the_example_questions_of_an_upload_are_answered_from_it(api, running, pdf):
    chat = group(api, -100113)
    summary = upload(api, pdf, "plan.pdf", chat, user(api, GROUP_ADMIN))
    examples = [line.lstrip("• ").strip() for line in summary.split("可以这样问：")[1].splitlines() if line.strip()]
    assert 1 <= len(examples) <= 3
    for example in examples:
        assert FACT_TITLE in ask(api, example, chat, user(api, MEMBER))


def test_a_members_upload_changes_nothing(api, running, pdf):
    chat = group(api, -100114)
    mark = api.mark()
    api.send_document(pdf, "plan.pdf", chat=chat, user=user(api, MEMBER))
    api.assert_no_call("sendMessage", within=1.5, after=mark)  # files are shared in groups all the time
    assert not any(c.method == "getFile" for c in api.calls[mark:])
    # Addressed to the bot, it gets one polite line.
    mark = api.mark()
    api.send_document(pdf, "plan.pdf", chat=chat, user=user(api, MEMBER), caption=f"@{api.bot_user['username']} 收下")
    reply = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat["id"], after=mark)
    assert text_of(reply.params["text"]) == running.texts.library.refused["group"]
    assert FACT_TITLE not in ask(api, FACT_QUESTION, chat, user(api, MEMBER))
    assert running.libraries.documents(_scope(chat)) == []


def test_an_anonymous_admin_may_upload(api, running, pdf):
    chat = group(api, -100115)
    summary = upload(api, pdf, "plan.pdf", chat, {"id": 1087968824, "is_bot": True, "first_name": "Group",
                                                   "username": "GroupAnonymousBot"}, sender_chat=chat)
    assert "已加入" in summary


def _scope(chat):
    from bot.libraries import scope_for_chat

    return scope_for_chat(chat["type"], chat["id"])


# ----------------------------------------------------------------- private and inline


def test_a_private_upload_is_answered_only_for_its_owner(api, running):
    owner = user(api, OPERATOR)
    private = api.private_chat(OPERATOR)
    summary = upload(api, TEXT_DOCUMENT.encode("utf-8"), "moon.txt", private, owner)
    assert "已加入你的私人文档库" in summary

    answer = ask(api, "广寒镜的口径是多少？", private, owner)
    assert "四点二米" in answer and "你的文档" in answer

    # Another person, in private and in a group: not from it.
    api.private_chat(STRANGER)
    assert "四点二米" not in ask(api, "广寒镜的口径是多少？", api.private_chat(STRANGER), user(api, STRANGER))
    assert "四点二米" not in ask(api, "广寒镜的口径是多少？", group(api, -100116), owner)

    # Inline mode: the owner's private library, never for anyone else.
    mark = api.mark()
    api.inline_query("广寒镜 口径", user=owner)
    results = api.wait_for("answerInlineQuery", after=mark).params["results"]
    assert any("四点二米" in r["input_message_content"]["message_text"] for r in results)
    mark = api.mark()
    api.inline_query("广寒镜 口径", user=user(api, STRANGER))
    results = api.wait_for("answerInlineQuery", after=mark).params["results"]
    assert not any("四点二米" in r["input_message_content"]["message_text"] for r in results)


def test_a_groups_document_never_reaches_inline_results_or_buttons_elsewhere(api, running, pdf):
    chat = group(api, -100117)
    upload(api, pdf, "plan.pdf", chat, user(api, GROUP_ADMIN))
    mark = api.mark()
    api.inline_query("赤霞计划 穹顶温室", user=user(api, GROUP_ADMIN))  # even its own admin, inline
    results = api.wait_for("answerInlineQuery", after=mark).params["results"]
    assert not any(FACT_TITLE in r["input_message_content"]["message_text"] for r in results)

    # An answer's buttons in another chat only ever page through that chat's answer.
    other = group(api, -100118)
    mark = api.mark()
    api.send_text("/ask 赤霞计划 穹顶温室 885工作机制", chat=other, user=user(api, MEMBER))
    sent = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == other["id"], after=mark).result
    for row in (sent.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button.get("callback_data", "").startswith("a:") and ":vote:" not in button["callback_data"]:
                mark = api.mark()
                api.press_button(sent, button["callback_data"], user=user(api, MEMBER))
                edited = api.wait_for("answerCallbackQuery", after=mark)
                assert edited
    for call in api.calls:
        if call.method in ("sendMessage", "editMessageText") and call.params.get("chat_id") == other["id"]:
            assert FACT_TITLE not in call.params["text"]


# ----------------------------------------------------------------- bad files


def test_a_corrupt_file_gets_a_clear_reply_and_changes_nothing(api, running, pdf):
    chat = group(api, -100119)
    upload(api, pdf, "plan.pdf", chat, user(api, GROUP_ADMIN))
    before = running.libraries.documents(_scope(chat))
    reply = upload(api, b"%PDF-1.7\n" + bytes(range(256)) * 40, "broken.pdf", chat, user(api, GROUP_ADMIN))
    assert "broken.pdf" in reply and ("没能" in reply or "不是我能读" in reply) and "没有变化" in reply
    reply = upload(api, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "photo.pdf", chat, user(api, GROUP_ADMIN))
    assert "不是我能读的文档" in reply and "PNG" in reply
    assert running.libraries.documents(_scope(chat)) == before
    assert FACT_TITLE in ask(api, FACT_QUESTION, chat, user(api, MEMBER))


def test_an_oversized_file_is_refused_before_downloading(api, running):
    chat = group(api, -100120)
    mark = api.mark()
    api.send_document(b"%PDF-1.4 small", "huge.pdf", chat=chat, user=user(api, GROUP_ADMIN), file_size=25 * 2**20)
    reply = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat["id"], after=mark)
    assert "20 MB" in text_of(reply.params["text"]) and "huge.pdf" in text_of(reply.params["text"])
    assert not any(c.method == "getFile" for c in api.calls[mark:])


def test_the_same_file_twice_is_indexed_once(api, running, pdf):
    chat = group(api, -100121)
    upload(api, pdf, "plan.pdf", chat, user(api, GROUP_ADMIN))
    again = upload(api, pdf, "计划副本.pdf", chat, user(api, GROUP_ADMIN))
    assert "已经在本群文档库里了" in again and "第1篇" in again
    assert len(running.libraries.documents(_scope(chat))) == 1


def test_a_new_version_replaces_the_old_after_confirmation(api, running, tmp_path):
    chat = group(api, -100122)
    admin = user(api, GROUP_ADMIN)
    upload(api, TEXT_DOCUMENT.encode(), "moon.txt", chat, admin)
    newer = TEXT_DOCUMENT.replace("四点二米", "六点五米").encode()
    mark = api.mark()
    api.send_document(newer, "moon.txt", chat=chat, user=admin)
    confirm = api.wait_for("editMessageText", lambda c: "替换" in text_of(c.params["text"]), after=mark, timeout=30)
    message = _message(api, chat["id"], confirm.params["message_id"])
    buttons = [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert "四点二米" in ask(api, "广寒镜的口径是多少？", chat, admin)  # nothing changes before the button
    mark = api.mark()
    api.press_button(message, buttons[0], user=admin)
    final_status(api, chat["id"], mark)
    assert "六点五米" in ask(api, "广寒镜的口径是多少？", chat, admin)
    assert len(running.libraries.documents(_scope(chat))) == 1


def _message(api, chat_id: int, message_id: int) -> dict:
    return next(m for m in api.sent if m["chat"]["id"] == chat_id and m["message_id"] == message_id)


# ----------------------------------------------------------------- /sources, /remove


def test_sources_lists_the_shared_library_then_the_chats_own(api, running, pdf):
    chat = group(api, -100123)
    upload(api, pdf, "plan.pdf", chat, user(api, GROUP_ADMIN))
    mark = api.mark()
    api.send_text("/sources", chat=chat, user=user(api, MEMBER))
    listing = text_of(api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat["id"], after=mark).params["text"])
    shared, own = listing.split("本群文档库")
    assert "共享文档" in shared and "重庆推动超大城市" in shared
    assert re.search(rf"1\. 《{FACT_TITLE}》 · 2页 · \d+个段落 · U{GROUP_ADMIN} · \d{{4}}-\d\d-\d\d", own)


def test_remove_asks_first_and_then_the_question_is_declined(api, running, pdf):
    chat = group(api, -100124)
    admin = user(api, GROUP_ADMIN)
    upload(api, pdf, "plan.pdf", chat, admin)
    mark = api.mark()
    api.send_text("/remove 1", chat=chat, user=user(api, MEMBER))  # a member may not
    refused = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat["id"], after=mark)
    assert text_of(refused.params["text"]) == running.texts.library.remove_refused

    mark = api.mark()
    api.send_text("/remove 1", chat=chat, user=admin)
    confirm = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat["id"], after=mark).result
    assert FACT_TITLE in confirm["text"]
    remove, cancel = [b["callback_data"] for b in confirm["reply_markup"]["inline_keyboard"][0]]
    mark = api.mark()
    api.press_button(confirm, cancel, user=admin)
    api.wait_for("editMessageText", lambda c: "取消" in c.params["text"], after=mark)
    assert FACT_TITLE in ask(api, FACT_QUESTION, chat, admin)

    mark = api.mark()
    api.send_text("/remove 1", chat=chat, user=admin)
    confirm = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat["id"], after=mark).result
    mark = api.mark()
    api.press_button(confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"], user=user(api, MEMBER))
    api.wait_for("answerCallbackQuery", after=mark)
    assert len(running.libraries.documents(_scope(chat))) == 1  # a member's press removes nothing
    mark = api.mark()
    api.press_button(confirm, remove, user=admin)
    done = api.wait_for("editMessageText", lambda c: "已删除" in c.params["text"], after=mark, timeout=30)
    assert "还有 0 篇" in done.params["text"]
    assert FACT_TITLE not in ask(api, FACT_QUESTION, chat, admin)


def test_remove_without_a_number_says_how(api, running):
    chat = group(api, -100125)
    mark = api.mark()
    api.send_text("/remove", chat=chat, user=user(api, GROUP_ADMIN))
    reply = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat["id"], after=mark)
    assert "/remove 1" in text_of(reply.params["text"])


# ----------------------------------------------------------------- busy and restarts


def test_questions_are_answered_while_an_upload_is_indexing(api, running, pdf, monkeypatch):
    chat = group(api, -100126)
    admin = user(api, GROUP_ADMIN)
    upload(api, TEXT_DOCUMENT.encode(), "moon.txt", chat, admin)
    held, released = threading.Event(), threading.Event()
    real_open = Libraries._open

    def slow_open(self, scope, progress):
        if progress is not None:  # the upload's build, not a reader's
            held.set()
            released.wait(30)
        return real_open(self, scope, progress)

    monkeypatch.setattr(Libraries, "_open", slow_open)
    mark = api.mark()
    api.send_document(pdf, "plan.pdf", chat=chat, user=admin)
    assert held.wait(30)
    try:
        # Same chat, same library: answered from the index in use.
        assert "四点二米" in ask(api, "广寒镜的口径是多少？", chat, admin)
        assert not any("已加入" in text_of(c.params.get("text", "")) for c in api.calls[mark:]
                       if c.method in ("sendMessage", "editMessageText") and c.ok)
    finally:
        released.set()
    final_status(api, chat["id"], mark)
    assert FACT_TITLE in ask(api, FACT_QUESTION, chat, admin)


def test_a_group_that_becomes_a_supergroup_keeps_its_library(api, running):
    old = api.group_chat(-4242, title="老群")
    api.set_admins(-4242, [GROUP_ADMIN])
    upload(api, TEXT_DOCUMENT.encode(), "moon.txt", old, user(api, GROUP_ADMIN))
    api.migrate_group(old, -1004242)
    new = group(api, -1004242, "老群")
    deadline = time.monotonic() + 10
    while not running.libraries.documents(_scope(new)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "四点二米" in ask(api, "广寒镜的口径是多少？", new, user(api, MEMBER))


def test_a_restart_loses_nothing(qa, pdf, tmp_path):
    """A second bot on the same DATA_DIR answers the documents the first one took.
    (Its own Bot API server: the module's bot must not take these updates.)"""
    with FakeBotApi() as api:
        chat = group(api, -100127)
        first, _ = start_bot(api, qa, tmp_path)
        with first:
            upload(api, pdf, "plan.pdf", chat, user(api, GROUP_ADMIN))
            upload(api, TEXT_DOCUMENT.encode(), "moon.txt", chat, user(api, GROUP_ADMIN))
        second, deps = start_bot(api, qa, tmp_path)
        with second:
            assert "第2页" in ask(api, FACT_QUESTION, chat, user(api, MEMBER))
            assert "四点二米" in ask(api, "广寒镜的口径是多少？", chat, user(api, MEMBER))
            assert [d.name for d in deps.libraries.documents(_scope(chat))] == ["plan.pdf", "moon.txt"]


# ----------------------------------------------------------------- the operator's view


def test_python_m_bot_configured_only_by_the_environment_keeps_each_groups_library(tmp_path, pdf):
    """What an operator runs, and what the issue's own check does: the
    unmodified bot, five environment variables, two groups, a restart."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    data = tmp_path / "data"

    def launch(server):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "CORPUS_", "ALLOWED_", "WEBHOOK_", "DATA_", "LIBRARY_", "ADMIN_"))}
        env.update(TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_BASE_URL=server.base_url,
                   TELEGRAM_API_FILE_URL=server.file_url, DATA_DIR=str(data), ADMIN_USER_IDS=str(OPERATOR),
                   PYTHONPATH=str(repo))
        return subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop(process):
        stderr = stop_process(process)
        assert process.returncode == 0, stderr[-2000:]
        return stderr

    with FakeBotApi() as server:
        first, second = server.group_chat(-100901, title="甲组"), server.group_chat(-100902, title="乙组")
        operator, member = server.user(OPERATOR), server.user(MEMBER)
        process = launch(server)
        try:
            server.wait_for("setMyCommands", timeout=90)
            assert "已加入" in upload(server, pdf, "plan.pdf", first, operator, timeout=90)
            assert "第2页" in ask(server, FACT_QUESTION, first, member)
            assert FACT_TITLE not in ask(server, FACT_QUESTION, second, member)

            mark = server.mark()
            server.send_document(TEXT_DOCUMENT.encode(), "moon.txt", chat=second, user=member)
            server.assert_no_call("sendMessage", within=1.5, after=mark)  # a non-admin's upload changes nothing
            assert "四点二米" not in ask(server, "广寒镜的口径是多少？", second, member)

            reply = upload(server, b"%PDF-1.5\n" + b"\x00\xff" * 300, "坏文件.pdf", first, operator)
            assert "坏文件.pdf" in reply and "没有变化" in reply
            assert "已加入" in upload(server, TEXT_DOCUMENT.encode(), "moon.txt", first, operator)

            mark = server.mark()
            server.send_text("/remove 1", chat=first, user=operator)
            confirm = server.wait_for("sendMessage", lambda c: c.params["chat_id"] == first["id"], after=mark).result
            mark = server.mark()
            server.press_button(confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"], user=operator)
            server.wait_for("editMessageText", lambda c: "已删除" in c.params["text"], after=mark, timeout=60)
            assert FACT_TITLE not in ask(server, FACT_QUESTION, first, member)
        finally:
            stderr = stop(process)
        assert server.token not in stderr and "/file/bot" not in stderr

        process = launch(server)
        try:
            assert "四点二米" in ask(server, "广寒镜的口径是多少？", first, member, timeout=90)
            assert "四点二米" not in ask(server, "广寒镜的口径是多少？", second, member)
        finally:
            stop(process)


def test_a_forum_groups_library_belongs_to_all_its_topics(api, running):
    forum = api.group_chat(-100128, title="读书会", is_forum=True)
    api.set_admins(-100128, [GROUP_ADMIN])
    mark = api.mark()
    api.send_document(TEXT_DOCUMENT.encode(), "moon.txt", chat=forum, user=user(api, GROUP_ADMIN), message_thread_id=7)
    final_status(api, forum["id"], mark)
    mark = api.mark()
    api.send_text("/ask 广寒镜的口径是多少？", chat=forum, user=user(api, MEMBER), message_thread_id=9)
    reply = api.wait_for("sendMessage", lambda c: c.params["chat_id"] == forum["id"], after=mark)
    assert "四点二米" in text_of(reply.params["text"]) and reply.params.get("message_thread_id") == 9


def test_help_and_stats_show_the_library_to_those_who_manage_it(api, running):
    chat = group(api, -100129)
    mark = api.mark()
    api.send_text("/help", chat=chat, user=user(api, MEMBER))
    member_help = text_of(api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat["id"], after=mark).params["text"])
    mark = api.mark()
    api.send_text("/help", chat=chat, user=user(api, GROUP_ADMIN))
    admin_help = text_of(api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat["id"], after=mark).params["text"])
    assert "添加文档" in admin_help and "/remove 1" in admin_help and "添加文档" not in member_help

    operator = api.private_chat(OPERATOR)
    upload(api, TEXT_DOCUMENT.encode(), "moon-stats.txt", chat, user(api, GROUP_ADMIN))
    mark = api.mark()
    api.send_text("/stats", chat=operator, user=user(api, OPERATOR))
    stats = text_of(api.wait_for("sendMessage", lambda c: c.params["chat_id"] == OPERATOR, after=mark).params["text"])
    match = re.search(r"文档库：(\d+) 个，共 (\d+) 篇文档", stats)
    assert match and int(match.group(1)) >= 1 and int(match.group(2)) >= 1
