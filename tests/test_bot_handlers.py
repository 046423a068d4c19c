"""Handler tests: the real Application, an offline Bot API that captures what
the bot sends, updates fed through ``process_update``."""

from __future__ import annotations

import pytest

from bot.keyboards import MAX_CALLBACK_BYTES
from bot.texts import EN, ZH
from tests.bot_support import (
    BOT,
    FORUM,
    GROUP,
    PRIVATE,
    USER,
    bot_message,
    callback_update,
    inline_update,
    message_update,
    run_offline,
)
from tests.botapi_server import parse_html

QUESTION = "重庆提出的885工作机制是什么？"
OFF_TOPIC = "明天北京会下雨吗？"


def sent_messages(calls) -> list[dict]:
    return [c.params for c in calls if c.method == "sendMessage"]


def plain(html_text: str) -> str:
    """The text as the user sees it; raises if Telegram would reject the HTML."""
    return parse_html(html_text)[0]


def bold_words(html_text: str) -> list[str]:
    text, entities = parse_html(html_text)
    encoded = text.encode("utf-16-le")
    return [
        encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in entities
        if e["type"] == "bold"
    ]


def buttons(params: dict) -> list[dict]:
    markup = params.get("reply_markup") or {}
    if hasattr(markup, "to_dict"):
        markup = markup.to_dict()
    return [b for row in markup.get("inline_keyboard", []) for b in row]


# ----------------------------------------------------------------- private chats


def test_a_private_question_is_answered_with_the_passage_citation_and_buttons(qa):
    async def scenario(bot):
        return await bot.send(message_update(QUESTION))

    calls = run_offline(qa, scenario)
    assert "sendChatAction" not in [c.method for c in calls]  # ready at once: no "typing…"
    [reply] = sent_messages(calls)
    assert reply["chat_id"] == PRIVATE["id"]
    assert reply["parse_mode"] == "HTML"
    assert reply["link_preview_options"]["is_disabled"] is True
    text = plain(reply["text"])
    assert "八张报表" in text or "885" in text
    assert "《重庆推动超大城市现代化治理的实践探索与机制创新》 · 刘嗣方" in text
    assert "第4段" in text
    assert {"885", "工作机制"} & set(bold_words(reply["text"]))
    labels = [b["text"] for b in buttons(reply)]
    assert ZH.button_full in labels and "👍" in labels and "👎" in labels
    assert all(len(b["callback_data"].encode()) <= MAX_CALLBACK_BYTES for b in buttons(reply))


def test_up_to_two_further_sources_follow_the_best_passage(qa):
    async def scenario(bot):
        return await bot.send(message_update("基层治理"))

    [reply] = sent_messages(run_offline(qa, scenario))
    text = plain(reply["text"])
    assert ZH.answer_more_header in text
    listed = text.split(ZH.answer_more_header)[1]
    assert 1 <= listed.count("《") <= 2


def test_an_unanswerable_question_says_so_and_cites_nothing(qa):
    async def scenario(bot):
        return await bot.send(message_update(OFF_TOPIC))

    [reply] = sent_messages(run_offline(qa, scenario))
    text = plain(reply["text"])
    assert ZH.not_found in text
    assert "《" not in text and "段" not in text.replace("段落", "")
    assert not buttons(reply)


@pytest.mark.parametrize(
    "content",
    [
        {"sticker": {"file_id": "s", "file_unique_id": "su", "type": "regular", "width": 512, "height": 512,
                     "is_animated": False, "is_video": False}},
        {"photo": [{"file_id": "p", "file_unique_id": "pu", "width": 90, "height": 90}]},
        {"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 2}},
    ],
    ids=["sticker", "photo", "voice"],
)
def test_non_text_messages_get_a_hint_in_private(qa, content):
    async def scenario(bot):
        return await bot.send(message_update(None, **content))

    [reply] = sent_messages(run_offline(qa, scenario))
    assert ZH.not_text.split("，")[0] in plain(reply["text"])


def test_a_document_from_someone_who_may_not_upload_gets_one_polite_line(qa):
    """Uploads are for ADMIN_USER_IDS by default; nothing is downloaded."""
    async def scenario(bot):
        return await bot.send(message_update(None, document={"file_id": "d", "file_unique_id": "du", "file_name": "报告.pdf"}))

    calls = run_offline(qa, scenario)
    [reply] = sent_messages(calls)
    assert plain(reply["text"]) == ZH.library.refused["private"]
    assert not [c for c in calls if c.method == "getFile"]


@pytest.mark.parametrize(
    "question",
    [
        "<b>重庆</b> 的 885 机制 <script>alert(1)</script> & &amp; &nbsp; <i>",
        "重庆\x00\x07\x1b[31m 885\u200b工作机制",
        "   \n\t  ",
        "🤔🤔🤔",
    ],
    ids=["html", "control-characters", "blank", "emoji"],
)
def test_awkward_text_gets_a_well_formed_reply(qa, question):
    async def scenario(bot):
        return await bot.send(message_update(question))

    [reply] = sent_messages(run_offline(qa, scenario))
    text = plain(reply["text"])  # parses as Telegram HTML
    assert text.strip()
    assert "<script>" not in reply["text"]


def test_a_very_long_question_is_cut_and_the_reply_says_so(qa):
    question = QUESTION + "重庆的治理实践" * 1500  # about 10,000 characters

    async def scenario(bot):
        return await bot.send(message_update(question))

    [reply] = sent_messages(run_offline(qa, scenario))
    assert "500" in plain(reply["text"])
    assert len(reply["text"]) <= 4096


# ----------------------------------------------------------------- groups


def test_group_ask_command_addressed_to_this_bot_replies_to_the_asker(qa):
    async def scenario(bot):
        update = message_update(f"/ask@{BOT['username']} {QUESTION}", chat=GROUP)
        return update, await bot.send(update)

    update, calls = run_offline(qa, scenario)
    [reply] = sent_messages(calls)
    assert reply["chat_id"] == GROUP["id"]
    assert reply["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert "刘嗣方" in plain(reply["text"])


def test_plain_ask_command_works_too(qa):
    async def scenario(bot):
        return await bot.send(message_update(f"/ask {QUESTION}", chat=GROUP))

    [reply] = sent_messages(run_offline(qa, scenario))
    assert "第4段" in plain(reply["text"])


def test_ask_command_for_another_bot_is_ignored(qa):
    async def scenario(bot):
        return await bot.send(message_update(f"/ask@some_other_bot {QUESTION}", chat=GROUP))

    assert not sent_messages(run_offline(qa, scenario))


def test_bare_ask_explains_how_to_ask(qa):
    async def scenario(bot):
        return await bot.send(message_update("/ask", chat=GROUP))

    [reply] = sent_messages(run_offline(qa, scenario))
    assert "/ask" in plain(reply["text"])


def test_bare_ask_in_reply_to_someone_asks_their_message(qa):
    other = {"id": 1002, "is_bot": False, "first_name": "小李"}
    asked = message_update(QUESTION, chat=GROUP, user=other)["message"]

    async def scenario(bot):
        return await bot.send(message_update("/ask", chat=GROUP, reply_to=asked))

    [reply] = sent_messages(run_offline(qa, scenario))
    assert "第4段" in plain(reply["text"])


def test_a_mention_is_a_question_without_the_mention(qa):
    async def scenario(bot):
        return await bot.send(message_update(f"@{BOT['username']} {QUESTION}", chat=GROUP))

    [reply] = sent_messages(run_offline(qa, scenario))
    assert "第4段" in plain(reply["text"])


def test_a_mention_without_entities_still_counts(qa):
    async def scenario(bot):
        return await bot.send(message_update(f"{QUESTION} @{BOT['username'].upper()}", chat=GROUP, entities=[]))

    assert len(sent_messages(run_offline(qa, scenario))) == 1


def test_a_reply_to_the_bot_is_a_question(qa):
    mine = bot_message("之前的回答", GROUP)

    async def scenario(bot):
        return await bot.send(message_update("八张报表包括什么？", chat=GROUP, reply_to=mine))

    [reply] = sent_messages(run_offline(qa, scenario))
    assert "八张报表" in plain(reply["text"])


@pytest.mark.parametrize(
    "text",
    ["大家好，今天开会吗？", "重庆的885工作机制挺有意思", "@someone_else 你看看这个", "/start@some_other_bot"],
)
def test_group_chatter_is_ignored(qa, text):
    someone = message_update("随便说说", chat=GROUP, user={"id": 1003, "is_bot": False, "first_name": "老张"})["message"]

    async def scenario(bot):
        calls = await bot.send(message_update(text, chat=GROUP))
        calls += await bot.send(message_update(text, chat=GROUP, reply_to=someone))
        calls += await bot.send(message_update(None, chat=GROUP, sticker={
            "file_id": "s", "file_unique_id": "su", "type": "regular", "width": 1, "height": 1,
            "is_animated": False, "is_video": False}))
        return calls

    calls = run_offline(qa, scenario)
    assert not [c for c in calls if c.method in {"sendMessage", "sendChatAction"}]


def test_forum_topic_answers_stay_in_the_topic(qa):
    async def scenario(bot):
        return await bot.send(message_update(f"/ask {QUESTION}", chat=FORUM, thread_id=77))

    [reply] = sent_messages(run_offline(qa, scenario))
    assert reply["message_thread_id"] == 77


# ----------------------------------------------------------------- commands


def test_start_and_help_show_examples_that_the_corpus_answers(qa):
    async def scenario(bot):
        return await bot.send(message_update("/start")) + await bot.send(message_update("/help"))

    start, help_reply = sent_messages(run_offline(qa, scenario))
    examples = qa.examples()
    assert examples and all(qa.engine.ask(q).answered for q in examples)
    for reply in (start, help_reply):
        assert examples[0] in plain(reply["text"])
    assert f"@{BOT['username']}" in plain(help_reply["text"])  # the username from getMe


def test_sources_lists_documents_with_chunk_counts(qa):
    async def scenario(bot):
        return await bot.send(message_update("/sources"))

    [reply] = sent_messages(run_offline(qa, scenario))
    text = plain(reply["text"])
    for author in ("刘嗣方", "甘迪", "侯金亮"):
        assert author in text
    assert f"{len(qa.engine.chunks)}个段落" in text


def test_about_and_unknown_commands(qa):
    async def scenario(bot):
        return await bot.send(message_update("/about")) + await bot.send(message_update("/frobnicate"))

    about, unknown = sent_messages(run_offline(qa, scenario))
    assert "BM25" in plain(about["text"])
    assert "/ask" in plain(unknown["text"])  # the help, not a search for "frobnicate"


def test_english_replies(qa):
    async def scenario(bot):
        return await bot.send(message_update(OFF_TOPIC)) + await bot.send(message_update("/help"))

    not_found, help_reply = sent_messages(run_offline(qa, scenario, bot_language="en"))
    assert EN.not_found in plain(not_found["text"])
    assert "How to use" in plain(help_reply["text"])


def test_admin_commands_are_for_admins_only(qa):
    async def scenario(bot):
        calls = await bot.send(message_update(QUESTION))
        calls += await bot.send(message_update("/stats"))
        calls += await bot.send(message_update("/stats", user={"id": 5, "is_bot": False, "first_name": "路人"},
                                               chat={"id": 5, "type": "private"}))
        return calls

    _, stats, refused = sent_messages(run_offline(qa, scenario, admin_user_ids="1001"))
    assert "1" in plain(stats["text"]) and "👍" in plain(stats["text"])
    assert plain(refused["text"]) == ZH.admin_only


# ----------------------------------------------------------------- buttons


def _answer_and_press(qa, press: list[str], question: str = "基层治理"):
    async def scenario(bot):
        [reply] = sent_messages(await bot.send(message_update(question)))
        data = {b["text"]: b["callback_data"] for b in buttons(reply)}
        message = bot_message(reply["text"], PRIVATE, message_id=4100)
        calls = []
        for label in press:
            calls.append(await bot.send(callback_update(data.get(label, label), message)))
        return reply, calls, bot.deps.store

    return run_offline(qa, scenario)


def test_full_passage_expands_in_place_and_collapses(qa):
    _, (expand, collapse), _ = _answer_and_press(qa, [ZH.button_full, "a:1:full:0"])
    [edit] = [c.params for c in expand if c.method == "editMessageText"]
    assert "<blockquote expandable>" in edit["text"]
    assert edit["message_id"] == 4100
    assert ZH.button_collapse in [b["text"] for b in buttons(edit)]
    assert "answerCallbackQuery" in [c.method for c in expand]
    [folded] = [c.params for c in collapse if c.method == "editMessageText"]
    assert "blockquote" not in folded["text"]


def test_more_results_pages_through_further_hits(qa):
    reply, (more,), _ = _answer_and_press(qa, [ZH.button_more])
    [edit] = [c.params for c in more if c.method == "editMessageText"]
    first_page = plain(reply["text"])
    second_page = plain(edit["text"])
    assert second_page != first_page
    assert second_page.startswith("更多结果（第4–")
    assert ZH.button_previous in [b["text"] for b in buttons(edit)]


def test_feedback_is_recorded_with_the_question_and_chunks(qa):
    _, (up, down), store = _answer_and_press(qa, ["👍", "👎"])
    [thanks_up] = [c.params for c in up if c.method == "answerCallbackQuery"]
    assert thanks_up["text"] == ZH.feedback_thanks_up
    answer_id = 1
    assert store.votes(answer_id) == {USER["id"]: -1}  # the second press changed the vote
    asked = store.question(answer_id)
    assert asked.question == "基层治理" and asked.chunk_ids


def test_unknown_or_stale_buttons_are_acknowledged(qa):
    _, (foreign, stale), _ = _answer_and_press(qa, ["something-else", "a:999:page:1"])
    assert [c.method for c in foreign] == ["answerCallbackQuery"]
    [expired] = [c.params for c in stale if c.method == "answerCallbackQuery"]
    assert expired["text"] == ZH.busy_expired


# ----------------------------------------------------------------- inline mode


def test_inline_query_lists_passages_with_citations(qa):
    async def scenario(bot):
        return await bot.send(inline_update("八张报表"))

    [call] = [c.params for c in run_offline(qa, scenario) if c.method == "answerInlineQuery"]
    results = call["results"]
    assert 1 <= len(results) <= 10
    assert call["cache_time"] > 0
    first = results[0]
    assert len(first["id"].encode()) <= 64
    assert first["title"].startswith("《")
    posted = first["input_message_content"]
    assert posted["parse_mode"] == "HTML"
    assert "第" in plain(posted["message_text"]) and "八张报表" in plain(posted["message_text"])


def test_empty_and_unanswerable_inline_queries_offer_help(qa):
    async def scenario(bot):
        return await bot.send(inline_update("")) + await bot.send(inline_update(OFF_TOPIC))

    calls = [c.params for c in run_offline(qa, scenario) if c.method == "answerInlineQuery"]
    assert [c["results"] for c in calls] == [[], []]
    assert all(c["button"]["start_parameter"] == "help" for c in calls)


# ----------------------------------------------------------------- access and errors


def test_chats_outside_the_allow_list_get_one_polite_refusal(qa):
    stranger = {"id": 2002, "type": "private"}

    async def scenario(bot):
        first = await bot.send(message_update(QUESTION, chat=stranger, user={"id": 2002, "is_bot": False, "first_name": "x"}))
        second = await bot.send(message_update(QUESTION, chat=stranger, user={"id": 2002, "is_bot": False, "first_name": "x"}))
        allowed = await bot.send(message_update(QUESTION))
        return first, second, allowed

    first, second, allowed = run_offline(qa, scenario, allowed_chat_ids="1001")
    assert [plain(m["text"]) for m in sent_messages(first)] == [ZH.not_allowed]
    assert not sent_messages(second)
    assert "第4段" in plain(sent_messages(allowed)[0]["text"])


def test_a_failing_search_gets_an_apology_without_details(qa, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("index exploded at /secret/path")

    async def scenario(bot):
        monkeypatch.setattr(bot.deps.qa, "ask", broken)
        monkeypatch.setattr(bot.deps.qa, "converse", broken)  # a private chat's question, read in its context
        return await bot.send(message_update(QUESTION))

    [reply] = sent_messages(run_offline(qa, scenario))
    assert plain(reply["text"]) == ZH.error
