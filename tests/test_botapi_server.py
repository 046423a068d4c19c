"""Tests for the fake Telegram Bot API in tests/botapi_server.py.

Plain HTTP via urllib, so each rule is checked on the wire exactly as a bot
would hit it; the last test repeats the essentials through python-telegram-bot.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.botapi_server import FakeBotApi, parse_html, utf16_len

CANT_PARSE = "Bad Request: can't parse entities: "


@pytest.fixture
def server():
    with FakeBotApi() as api:
        yield api


def call(server, method, params=None, *, body="form", token=None, timeout=5.0):
    """POSTs like PTB does (form fields, non-strings JSON-encoded); returns (status, body)."""
    params = params or {}
    url = f"{server.base_url}{token or server.token}/{method}"
    if body == "json":
        data, ctype = json.dumps(params).encode(), "application/json"
    else:
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        data, ctype = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def ok(server, method, params=None, **kwargs):
    status, body = call(server, method, params, **kwargs)
    assert (status, body["ok"]) == (200, True), body
    return body["result"]


def error(server, method, params=None, **kwargs):
    status, body = call(server, method, params, **kwargs)
    assert body["ok"] is False and status == body["error_code"], body
    return status, body["description"]


def send(server, text, **params):
    return call(server, "sendMessage", {"chat_id": server.default_user["id"], "text": text, **params})


def keyboard(*callback_data):
    return {"inline_keyboard": [[{"text": f"按钮{i}", "callback_data": d}
                                 for i, d in enumerate(callback_data)]]}


@pytest.fixture
def chat(server):
    return server.private_chat()


# ---- transport ---------------------------------------------------------------


def test_get_me_describes_a_privacy_mode_bot(server):
    me = ok(server, "getMe")
    assert me == server.bot_user
    assert me["is_bot"] and me["username"] == "docqa_test_bot"
    assert me["can_read_all_group_messages"] is False and me["supports_inline_queries"] is True


def test_wrong_token_is_401_and_unknown_method_is_404(server):
    assert error(server, "getMe", token="123456:wrong") == (401, "Unauthorized")
    assert error(server, "getMeNot") == (404, "Not Found")
    assert ok(server, "GETME")["id"] == 123456  # method names are case-insensitive
    assert [c.status for c in server.calls] == [401, 404, 200]


def test_form_and_json_bodies_decode_to_the_same_values(server, chat):
    params = {"chat_id": chat["id"], "text": "[1] 合同第三条", "reply_markup": keyboard("doc:1"),
              "disable_notification": True, "link_preview_options": {"is_disabled": True}}
    by_form = ok(server, "sendMessage", params)
    by_json = ok(server, "sendMessage", params, body="json")
    form_call, json_call = server.calls
    assert form_call.params == json_call.params == params
    # A JSON-looking text stays text: only known structured fields are decoded.
    assert by_form["text"] == by_json["text"] == "[1] 合同第三条"
    assert by_form["reply_markup"] == by_json["reply_markup"] == keyboard("doc:1")


def test_multipart_body_is_decoded(server, chat):
    boundary = "XyZ-boundary"
    parts = [
        ("chat_id", None, str(chat["id"]).encode()),
        ("text", None, "多部分 <b>正文</b>".encode()),
        ("parse_mode", None, b"HTML"),
        ("reply_markup", None, json.dumps(keyboard("m:1")).encode()),
        ("attachment", "报告.pdf", b"%PDF-1.4 fake"),
    ]
    body = b""
    for name, filename, payload in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + payload + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        server.url("sendMessage"), data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        result = json.loads(response.read())["result"]
    assert result["text"] == "多部分 正文"
    assert result["reply_markup"] == keyboard("m:1")
    assert server.calls[0].params["chat_id"] == chat["id"]
    assert server.calls[0].params["attachment"] == {"filename": "报告.pdf", "size": 13}


def test_fail_next_injects_429_with_retry_after(server, chat):
    server.fail_next("sendMessage", retry_after=3, count=2)
    for _ in range(2):
        status, body = send(server, "hi")
        assert status == 429
        assert body == {"ok": False, "error_code": 429,
                        "description": "Too Many Requests: retry after 3",
                        "parameters": {"retry_after": 3}}
    assert send(server, "hi")[0] == 200
    server.fail_next("sendChatAction", status=403)
    assert error(server, "sendChatAction", {"chat_id": chat["id"], "action": "typing"}) == (
        403, "Forbidden: bot was blocked by the user")
    assert "parameters" not in server.calls[-1].response


# ---- getUpdates ----------------------------------------------------------------


def test_get_updates_offset_confirms_and_drops_updates(server):
    first, second, third = (server.send_text(t) for t in ("一", "二", "三"))
    ids = [u["update_id"] for u in (first, second, third)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [u["message"]["text"] for u in ok(server, "getUpdates")] == ["一", "二", "三"]
    assert ok(server, "getUpdates", {"limit": 2}) == [first, second]
    assert ok(server, "getUpdates", {"offset": second["update_id"]}) == [second, third]
    # Confirmed updates are gone for good, even when asking from offset 0 again.
    assert ok(server, "getUpdates") == [second, third]
    assert ok(server, "getUpdates", {"offset": third["update_id"] + 1}) == []
    assert server.pending_updates == []


def test_long_poll_expires_with_empty_list(server):
    started = time.monotonic()
    assert ok(server, "getUpdates", {"timeout": 0.3}) == []
    assert 0.25 <= time.monotonic() - started < 1.5


def test_long_poll_returns_as_soon_as_an_update_is_queued(server):
    threading.Timer(0.1, server.send_text, args=("来了",)).start()
    started = time.monotonic()
    updates = ok(server, "getUpdates", {"timeout": 5})
    assert time.monotonic() - started < 1.5
    assert [u["message"]["text"] for u in updates] == ["来了"]


def test_a_second_poller_terminates_the_first_with_409(server):
    results = {}
    waiter = threading.Thread(target=lambda: results.update(first=call(server, "getUpdates",
                                                                       {"timeout": 5})))
    waiter.start()
    time.sleep(0.1)
    assert ok(server, "getUpdates") == []
    waiter.join(2)
    status, body = results["first"]
    assert status == 409 and "terminated by other getUpdates request" in body["description"]


def test_stop_cuts_long_polls_short():
    api = FakeBotApi().start()
    url = api.url("getUpdates")
    threading.Timer(0.1, api.stop).start()
    started = time.monotonic()
    try:
        urllib.request.urlopen(urllib.request.Request(url, data=b"timeout=10"), timeout=5).read()
    except OSError:
        pass  # the connection may be cut instead of answered; either way it must be quick
    assert time.monotonic() - started < 2


def test_allowed_updates_filters_and_webhook_blocks_polling(server):
    server.send_text("问")
    assert ok(server, "getUpdates", {"allowed_updates": ["callback_query"]}) == []
    ok(server, "setWebhook", {"url": "https://example.com/hook"})
    assert ok(server, "getWebhookInfo")["url"] == "https://example.com/hook"
    assert error(server, "getUpdates")[0] == 409
    server.send_text("问")
    ok(server, "deleteWebhook", {"drop_pending_updates": True})
    assert ok(server, "getWebhookInfo") == {"url": "", "has_custom_certificate": False,
                                            "pending_update_count": 0}


# ---- updates the tests inject ------------------------------------------------


def test_user_text_gets_command_and_mention_entities_in_utf16(server):
    update = server.send_text("/ask@docqa_test_bot 😀合同 @alice_zh /help")
    message = update["message"]
    assert message["from"] == server.default_user and message["chat"]["type"] == "private"
    assert message["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 19},
        {"type": "mention", "offset": 25, "length": 9},  # 😀 counts as two units
        {"type": "bot_command", "offset": 35, "length": 5},
    ]
    assert "entities" not in server.send_text("/ask", entities=[])["message"]
    assert "entities" not in server.send_text("普通问题")["message"]


def test_group_topic_sticker_and_photo_updates(server):
    group = server.group_chat(is_forum=True)
    bob = server.user(2002, first_name="Bob")
    message = server.send_text("问题", chat=group, user=bob, message_thread_id=7)["message"]
    assert message["chat"] == {"id": -1001234567890, "type": "supergroup",
                               "title": "文档问答测试群", "is_forum": True}
    assert message["from"]["id"] == 2002
    assert (message["message_thread_id"], message["is_topic_message"]) == (7, True)
    sticker = server.send_sticker(chat=group)["message"]
    assert "text" not in sticker and sticker["sticker"]["type"] == "regular"
    photo = server.send_photo(caption="看图")["message"]
    assert photo["caption"] == "看图" and len(photo["photo"]) == 3 and "text" not in photo
    # Message ids count per chat, shared by users and the bot.
    assert sticker["message_id"] == message["message_id"] + 1


# ---- sendMessage ---------------------------------------------------------------


def test_nested_html_yields_plain_text_and_utf16_entities(server, chat):
    html = ("<b>合同</b>第<i>三<u>条</u></i> 😀<strong>到期</strong>"
            " &lt;x&gt; &amp; &quot;&#20013;&#x6587;&quot;")
    result = ok(server, "sendMessage", {"chat_id": chat["id"], "text": html, "parse_mode": "HTML"})
    assert result["text"] == '合同第三条 😀到期 <x> & "中文"'
    assert result["entities"] == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 3, "length": 2},
        {"type": "underline", "offset": 4, "length": 1},
        {"type": "bold", "offset": 8, "length": 2},  # after "😀", two UTF-16 units
    ]
    stored = server.sent[-1]
    assert stored["html"] == html and stored["text"] == result["text"]
    bold = [stored["text"].encode("utf-16-le")[2 * e["offset"]: 2 * (e["offset"] + e["length"])]
            .decode("utf-16-le") for e in stored["entities"] if e["type"] == "bold"]
    assert bold == ["合同", "到期"]
    assert "html" not in result  # bookkeeping never reaches the bot


def test_every_supported_tag_maps_to_its_entity():
    text, entities = parse_html(
        '<a href="https://x.cn/?a=1&b=2">链接</a><s>删</s><span class="tg-spoiler">秘</span>'
        '<tg-spoiler>密</tg-spoiler><code>c</code><pre><code class="language-python">p</code></pre>'
        '<blockquote>引</blockquote><blockquote expandable>长</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji><ins>u</ins><em>e</em><del>d</del>'
    )
    assert text == "链接删秘密cp引长👍ued"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("text_link", 0, 2), ("strikethrough", 2, 1), ("spoiler", 3, 1), ("spoiler", 4, 1),
        ("code", 5, 1), ("pre", 6, 1), ("blockquote", 7, 1), ("expandable_blockquote", 8, 1),
        ("custom_emoji", 9, 2), ("underline", 11, 1), ("italic", 12, 1), ("strikethrough", 13, 1),
    ]
    assert entities[0]["url"] == "https://x.cn/?a=1&b=2"
    assert entities[5]["language"] == "python" and "language" not in entities[4]


@pytest.mark.parametrize("html, reason", [
    ("<b>未闭合", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>错位</b></i>", 'Unmatched end tag at byte offset 12, expected "</i>", found "</b>"'),
    ("第一行<br>第二行", 'Unsupported start tag "br" at byte offset 9'),
    ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ("结尾<", "Unclosed start tag at byte offset 6"),
    ("a&nbsp;b", 'Unsupported HTML entity "&nbsp;" at byte offset 1'),
    ("AT&T", 'Unescaped "&" at byte offset 2; use "&amp;"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("<a href>x</a>", 'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0'),
])
def test_bad_html_is_rejected(server, chat, html, reason):
    status, body = send(server, html, parse_mode="HTML")
    assert (status, body["description"]) == (400, CANT_PARSE + reason)
    assert server.sent == []


def test_html_is_only_parsed_when_asked(server):
    assert send(server, "1 < 2 & <b>")[1]["result"]["text"] == "1 < 2 & <b>"
    assert send(server, "<b>x</b>", parse_mode="MarkdownV2")[0] == 400


@pytest.mark.parametrize("text, parse_mode, fits", [
    ("长" * 4096, None, True),
    ("长" * 4097, None, False),
    ("<b>" + "长" * 4096 + "</b>", "HTML", True),  # tags don't count
    ("&amp;" * 4096, "HTML", True),
    ("😀" * 2048, None, True),  # 4096 UTF-16 units
    ("😀" * 2048 + "a", None, False),
])
def test_length_limit_is_4096_utf16_units_after_parsing(server, chat, text, parse_mode, fits):
    status, body = send(server, text, **({"parse_mode": parse_mode} if parse_mode else {}))
    if fits:
        assert status == 200 and utf16_len(body["result"]["text"]) <= 4096
    else:
        assert (status, body["description"]) == (400, "Bad Request: message is too long")


@pytest.mark.parametrize("params", [{"text": ""}, {"text": "  \n "}, {},
                                    {"text": "<b></b>", "parse_mode": "HTML"}])
def test_empty_text_is_rejected(server, chat, params):
    assert error(server, "sendMessage", {"chat_id": chat["id"], **params}) == (
        400, "Bad Request: message text is empty")


def test_unknown_chat_and_missing_chat_id(server):
    assert error(server, "sendMessage", {"chat_id": 42, "text": "x"}) == (400, "Bad Request: chat not found")
    assert error(server, "sendMessage", {"text": "x"}) == (400, "Bad Request: chat_id is empty")


@pytest.mark.parametrize("data, valid", [
    ("合" * 21 + "a", True),  # 64 bytes
    ("合" * 21 + "ab", False),  # 65 bytes, though only 23 characters
    ("a" * 64, True),
    ("", False),
])
def test_callback_data_is_limited_to_64_utf8_bytes(server, chat, data, valid):
    status, body = send(server, "选一个", reply_markup=keyboard(data))
    if valid:
        assert status == 200 and body["result"]["reply_markup"] == keyboard(data)
    else:
        assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


@pytest.mark.parametrize("button, reason", [
    ({"text": "无动作"}, "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"),
    ({"text": "两个", "url": "https://x.cn", "callback_data": "a"}, (
        "can't parse inline keyboard button: "
        "exactly one of the optional fields must be used, got ['url', 'callback_data']")),
    ({"text": "坏链接", "url": "x.cn"}, "BUTTON_URL_INVALID"),
])
def test_inline_buttons_need_exactly_one_action(server, chat, button, reason):
    markup = {"inline_keyboard": [[button]]}
    assert send(server, "x", reply_markup=markup)[1]["description"] == "Bad Request: " + reason


def test_replies_threads_and_link_preview(server, chat):
    question = server.send_text("有效期多久？")["message"]
    answer = send(server, "三年", reply_parameters={"message_id": question["message_id"]},
                  message_thread_id=5, link_preview_options={"is_disabled": True})[1]["result"]
    assert answer["reply_to_message"]["text"] == "有效期多久？"
    assert (answer["message_thread_id"], answer["is_topic_message"]) == (5, True)
    assert answer["link_preview_options"] == {"is_disabled": True}
    assert answer["from"]["id"] == server.bot_user["id"] and answer["chat"] == chat
    legacy = send(server, "同上", reply_to_message_id=answer["message_id"])[1]["result"]
    assert legacy["reply_to_message"]["message_id"] == answer["message_id"]
    assert "reply_to_message" not in legacy["reply_to_message"]  # only one level deep
    assert send(server, "x", reply_parameters={"message_id": 999})[1]["description"] == (
        "Bad Request: message to be replied not found")
    orphan = send(server, "x", reply_parameters={"message_id": 999, "allow_sending_without_reply": True})
    assert orphan[0] == 200 and "reply_to_message" not in orphan[1]["result"]


# ---- edits and deletes -----------------------------------------------------------


def test_edit_message_text_rules(server, chat):
    original = send(server, "<b>草稿</b>", parse_mode="HTML", reply_markup=keyboard("a"))[1]["result"]
    target = {"chat_id": chat["id"], "message_id": original["message_id"]}
    same = {**target, "text": "<b>草稿</b>", "parse_mode": "HTML", "reply_markup": keyboard("a")}
    status, description = error(server, "editMessageText", same)
    assert status == 400 and description.startswith("Bad Request: message is not modified: ")
    # Same visible text but no bold is a real change, and dropping reply_markup removes the keyboard.
    edited = ok(server, "editMessageText", {**target, "text": "草稿"})
    assert edited["text"] == "草稿" and "entities" not in edited and "reply_markup" not in edited
    assert edited["edit_date"] >= original["date"]
    assert server.sent == [{**edited, "html": None}]  # stored state updated in place
    assert error(server, "editMessageText", {**target, "message_id": 999, "text": "x"}) == (
        400, "Bad Request: message to edit not found")
    assert error(server, "editMessageText", {**target, "text": "<i>x", "parse_mode": "HTML"})[1].startswith(CANT_PARSE)
    users_own = server.send_text("用户消息")["message"]
    assert error(server, "editMessageText", {**target, "message_id": users_own["message_id"],
                                             "text": "x"}) == (400, "Bad Request: message can't be edited")
    assert ok(server, "editMessageText", {"inline_message_id": "AAA", "text": "内联"}) is True


def test_edit_reply_markup_and_delete(server, chat):
    message = send(server, "选", reply_markup=keyboard("a"))[1]["result"]
    target = {"chat_id": chat["id"], "message_id": message["message_id"]}
    assert error(server, "editMessageReplyMarkup", {**target, "reply_markup": keyboard("a")})[1] \
        .startswith("Bad Request: message is not modified")
    assert ok(server, "editMessageReplyMarkup", {**target, "reply_markup": keyboard("b")})[
        "reply_markup"] == keyboard("b")
    assert "reply_markup" not in ok(server, "editMessageReplyMarkup", target)
    assert ok(server, "deleteMessage", target) is True
    assert error(server, "deleteMessage", target) == (400, "Bad Request: message to delete not found")
    assert server.sent[0]["deleted"] is True


def test_send_chat_action(server, chat):
    assert ok(server, "sendChatAction", {"chat_id": chat["id"], "action": "typing"}) is True
    assert error(server, "sendChatAction", {"chat_id": chat["id"], "action": "thinking"}) == (
        400, "Bad Request: wrong parameter action in request")


# ---- queries -----------------------------------------------------------------------


def test_answer_callback_query_rules(server, chat):
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert error(server, "answerCallbackQuery", {"callback_query_id": "123"}) == (400, too_old)
    message = send(server, "选", reply_markup=keyboard("doc:1", "doc:2"))[1]["result"]
    with pytest.raises(ValueError, match="no button"):
        server.press_button(message, "doc:3")
    query = server.press_button(message, "doc:2")["callback_query"]
    assert query["data"] == "doc:2" and query["message"]["message_id"] == message["message_id"]
    assert query["from"] == server.default_user and isinstance(query["id"], str)
    assert error(server, "answerCallbackQuery", {"callback_query_id": query["id"], "text": "长" * 201}) == (
        400, "Bad Request: MESSAGE_TOO_LONG")
    assert ok(server, "answerCallbackQuery", {"callback_query_id": query["id"], "text": "好"}) is True
    assert error(server, "answerCallbackQuery", {"callback_query_id": query["id"]}) == (400, too_old)
    assert server.press_button(message, "doc:1")["callback_query"]["id"] != query["id"]


def article(result_id="1", text="<b>答案</b>", **extra):
    return {"type": "article", "id": result_id, "title": "结果",
            "input_message_content": {"message_text": text, "parse_mode": "HTML"}, **extra}


@pytest.mark.parametrize("results, reason", [
    ([article(str(i)) for i in range(51)], "RESULTS_TOO_MUCH"),
    ([article("1"), article("1")], "RESULT_ID_DUPLICATE"),
    ([article("合" * 21 + "ab")], "RESULT_ID_INVALID"),
    ([article("")], "RESULT_ID_INVALID"),
    ([{**article(), "title": ""}], "can't parse InlineQueryResult: Field \"title\" must be of type String"),
    ([article(text="<b>坏")], "can't parse entities: Can't find end tag corresponding to start tag \"b\""),
    ([article(text="")], "message text is empty"),
    ([{**article(), "type": "poem"}], "RESULT_TYPE_INVALID"),
])
def test_answer_inline_query_rejects(server, results, reason):
    query_id = server.inline_query("合同")["inline_query"]["id"]
    assert error(server, "answerInlineQuery", {"inline_query_id": query_id, "results": results}) == (
        400, "Bad Request: " + reason)


def test_answer_inline_query_accepts_once(server):
    query = server.inline_query("合同 有效期")["inline_query"]
    assert query["query"] == "合同 有效期" and query["offset"] == ""
    params = {"inline_query_id": query["id"], "results": [article(str(i)) for i in range(50)],
              "cache_time": 0, "is_personal": True}
    assert ok(server, "answerInlineQuery", params) is True
    assert server.calls[-1].params["cache_time"] == 0 and server.calls[-1].params["is_personal"] is True
    assert error(server, "answerInlineQuery", params)[1].startswith("Bad Request: query is too old")


# ---- commands ----------------------------------------------------------------------


@pytest.mark.parametrize("commands, reason", [
    ([{"command": "Ask", "description": "提问"}], "BOT_COMMAND_INVALID"),
    ([{"command": "/ask", "description": "提问"}], "BOT_COMMAND_INVALID"),
    ([{"command": "a" * 33, "description": "提问"}], "BOT_COMMAND_INVALID"),
    ([{"command": "ask", "description": ""}], "BOT_COMMAND_DESCRIPTION_INVALID"),
    ([{"command": "ask", "description": "长" * 257}], "BOT_COMMAND_DESCRIPTION_INVALID"),
    ([{"command": f"c{i}", "description": "d"} for i in range(101)], "BOT_COMMANDS_TOO_MUCH"),
])
def test_set_my_commands_rejects(server, commands, reason):
    assert error(server, "setMyCommands", {"commands": commands}) == (400, "Bad Request: " + reason)


def test_set_and_get_my_commands_per_scope(server):
    default = [{"command": "ask", "description": "提问"}, {"command": "a" * 32, "description": "长" * 256}]
    groups = [{"command": "ask", "description": "在群里提问"}]
    assert ok(server, "setMyCommands", {"commands": default}) is True
    assert ok(server, "setMyCommands", {"commands": groups, "scope": {"type": "all_group_chats"}})
    assert ok(server, "getMyCommands") == default
    assert ok(server, "getMyCommands", {"scope": {"type": "all_group_chats"}}) == groups
    assert ok(server, "getMyCommands", {"scope": {"type": "all_private_chats"}}) == []


# ---- observing helpers ---------------------------------------------------------------


def test_wait_for_and_assert_no_call(server, chat):
    mark = server.mark()
    threading.Timer(0.05, send, args=(server, "稍后")).start()
    found = server.wait_for("sendMessage", lambda c: c.result["text"] == "稍后", after=mark)
    assert found.params["text"] == "稍后"
    send(server, "x" * 4097)
    with pytest.raises(AssertionError, match=r"sendMessage.*message is too long"):
        server.wait_for("sendMessage", lambda c: c.result["text"] != "稍后", timeout=0.1)
    server.assert_no_call("editMessageText", within=0.1)
    with pytest.raises(AssertionError, match="unexpected sendMessage"):
        server.assert_no_call("sendMessage", within=0.1, after=mark)
    with pytest.raises(ValueError, match="does not implement"):
        server.wait_for("sendMesage", timeout=0)


# ---- the real library ------------------------------------------------------------------


# PTB itself warns when it formats RetryAfter.retry_after (an int until v23).
@pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")
def test_python_telegram_bot_round_trip(server):
    """Smoke check with real PTB requests (skipped where python-telegram-bot is absent)."""
    telegram = pytest.importorskip("telegram")
    import asyncio

    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    question = server.send_text("/ask 合同有效期？")

    async def scenario():
        async with telegram.Bot(server.token, base_url=server.base_url) as bot:
            assert (await bot.get_me()).username == "docqa_test_bot"
            updates = await bot.get_updates(timeout=0.2)
            assert updates[0].message.text == "/ask 合同有效期？"
            assert updates[0].message.entities[0].type == "bot_command"
            sent = await bot.send_message(
                updates[0].message.chat_id, "<b>三年</b> 😀 <i>[1]</i>", parse_mode="HTML",
                reply_to_message_id=updates[0].message.message_id,
                reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("出处", callback_data="src:1")]]),
            )
            assert sent.text == "三年 😀 [1]" and sent.reply_to_message.text == "/ask 合同有效期？"
            assert [(e.type, e.offset) for e in sent.entities] == [("bold", 0), ("italic", 6)]
            edited = await bot.edit_message_text("三年（第三条）", chat_id=sent.chat_id,
                                                 message_id=sent.message_id)
            assert edited.reply_markup is None
            with pytest.raises(telegram.error.BadRequest, match="not modified"):
                await bot.edit_message_text("三年（第三条）", chat_id=sent.chat_id,
                                            message_id=sent.message_id)
            server.fail_next("sendMessage", retry_after=2)
            with pytest.raises(telegram.error.RetryAfter):
                await bot.send_message(sent.chat_id, "x")
            assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()

    asyncio.run(scenario())
    assert question["update_id"] not in [u["update_id"] for u in server.pending_updates]
    assert server.sent[0]["text"] == "三年（第三条）"
    first_send = server.wait_for("sendMessage", timeout=0)
    assert first_send.params["reply_parameters"] == {"message_id": question["message"]["message_id"]}


# ----------------------------------------------------------------- fault injection and limits


def _raw_post(server, method, params, timeout=5.0):
    """(status, content type, body bytes), or the exception a client would see."""
    url = f"{server.base_url}{server.token}/{method}"
    data = urllib.parse.urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


def test_a_flood_answers_429_with_retry_after_until_it_ends(server):
    server.flood(1.0, retry_after=3)
    status, description = error(server, "sendMessage", {"chat_id": server.default_user["id"], "text": "x"})
    assert status == 429 and "retry after 3" in description
    assert call(server, "getMe")[0] == 200  # only sendMessage is flooded
    time.sleep(1.05)
    assert send(server, "after the flood")[0] == 200


def test_a_proxy_502_is_html_not_telegram_json(server):
    server.fault("proxy_502", count=1)
    status, ctype, body = _raw_post(server, "sendMessage", {"chat_id": server.default_user["id"], "text": "x"})
    assert status == 502 and ctype == "text/html" and body.startswith(b"<html>")
    assert not server.sent


def test_a_reset_before_delivery_delivers_nothing_and_a_reset_after_delivers(server):
    params = {"chat_id": server.default_user["id"], "text": "hello"}
    server.fault("reset_before", count=1)
    with pytest.raises((ConnectionError, urllib.error.URLError, OSError)):
        _raw_post(server, "sendMessage", params)
    assert not server.sent and not [c for c in server.calls if c.method == "sendMessage"]
    server.fault("reset_after", count=1)
    with pytest.raises((ConnectionError, urllib.error.URLError, OSError)):
        _raw_post(server, "sendMessage", params)
    assert [m["text"] for m in server.sent] == ["hello"]  # delivered, though the client never heard
    assert [kind for _, kind, _ in server.fault_log] == ["reset_before", "reset_after"]


def test_a_timeout_after_delivery_holds_the_answer_past_the_client_timeout(server):
    server.fault("timeout_after", count=1, hold=2.0)
    with pytest.raises((TimeoutError, urllib.error.URLError, OSError)):
        _raw_post(server, "sendMessage", {"chat_id": server.default_user["id"], "text": "slow"}, timeout=0.5)
    assert [m["text"] for m in server.sent] == ["slow"]


def test_once_per_message_strikes_each_message_at_most_once(server):
    server.fault("telegram_500", seconds=60, once_per_message=True)
    params = {"chat_id": server.default_user["id"], "text": "same"}
    assert error(server, "sendMessage", params)[0] == 500
    assert ok(server, "sendMessage", params)["text"] == "same"  # its retry gets through
    assert error(server, "sendMessage", dict(params, text="other"))[0] == 500


def test_messages_over_telegrams_limits_are_recorded_and_can_be_refused(server):
    chat = server.default_user["id"]
    assert send(server, "one")[0] == 200
    assert send(server, "two")[0] == 200  # at once: over one a second in a chat
    assert server.limit_violations and "apart" in server.limit_violations[0]
    server.enforce_limits = True
    status, body = send(server, "three")
    assert status == 429 and body["parameters"]["retry_after"] == 1
    assert [m["text"] for m in server.sent if m["chat"]["id"] == chat] == ["one", "two"]
