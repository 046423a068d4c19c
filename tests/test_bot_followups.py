"""Follow-up questions in the bot: private chats keep their context, a group
reply to the bot's answer is read in that answer's context, and no chat's
context reaches another. Offline, like tests/test_bot_handlers.py."""

from __future__ import annotations

from bot.keyboards import Action
from bot.texts import ZH
from tests.bot_support import GROUP, PRIVATE, bot_message, callback_update, message_update, run_offline
from tests.test_bot_handlers import buttons, plain, sent_messages

ARCHITECTURE = "数字重庆建设的整体构架是什么？"
ITS_LEVER = "抓手呢？"
READ_AS = "（按“抓手 整体构架”理解）"
FIRST_BOT_MESSAGE = 5000  # tests.bot_support.CapturingRequest numbers the bot's messages from here
OTHER_USER = {"id": 2001, "is_bot": False, "first_name": "小刘"}
OTHER_PRIVATE = {"id": 2001, "type": "private", "first_name": "小刘"}


def markup(params: dict) -> dict:
    value = params["reply_markup"]
    return value.to_dict() if hasattr(value, "to_dict") else value


def answer_id(reply: dict) -> int:
    return Action.decode(buttons(reply)[0]["callback_data"]).answer_id


def test_a_private_follow_up_says_how_it_was_read(qa):
    async def scenario(bot):
        calls = await bot.send(message_update(ARCHITECTURE))
        calls += await bot.send(message_update(ITS_LEVER))
        return calls

    first, second = sent_messages(run_offline(qa, scenario))
    assert "理解）" not in plain(first["text"])
    text = plain(second["text"])
    assert text.splitlines()[0] == READ_AS  # one short line, above the answer
    assert "“141”基层智治体系为抓手" in text and "第6段" in text
    assert "<i>" in second["text"]  # the line is Telegram HTML too


def test_the_interpretation_line_is_escaped(qa):
    async def scenario(bot):
        calls = await bot.send(message_update("<b>数字重庆</b>建设的整体构架是什么？"))
        calls += await bot.send(message_update("抓手呢？<>&"))
        return calls

    _, second = sent_messages(run_offline(qa, scenario))
    assert plain(second["text"]).startswith("（按“抓手呢？<>& 整体构架”理解）")  # well-formed Telegram HTML
    assert "&lt;&gt;&amp;" in second["text"]


def test_a_follow_ups_buttons_search_what_it_was_read_as(qa):
    async def scenario(bot):
        await bot.send(message_update(ARCHITECTURE))
        [reply] = sent_messages(await bot.send(message_update(ITS_LEVER)))
        full = next(b["callback_data"] for b in buttons(reply) if b["text"] == ZH.button_full)
        pressed = await bot.send(callback_update(full, bot_message(reply["text"], PRIVATE, message_id=4200)))
        return reply, pressed, bot.deps.store

    reply, pressed, store = run_offline(qa, scenario)
    asked = store.question(answer_id(reply))
    assert asked.question == ITS_LEVER and asked.interpreted_as == "抓手 整体构架"
    [edit] = [c.params for c in pressed if c.method == "editMessageText"]
    assert plain(edit["text"]).startswith(READ_AS)
    assert "<blockquote expandable>" in edit["text"] and "第6段" in plain(edit["text"])


def test_more_in_a_private_chat_shows_the_next_page_of_the_last_answer(qa):
    async def scenario(bot):
        calls = await bot.send(message_update("基层治理"))
        calls += await bot.send(message_update("还有吗"))
        calls += await bot.send(message_update("还有呢"))
        return calls

    first, more, again = sent_messages(run_offline(qa, scenario))
    assert plain(more["text"]).startswith("更多结果（第4–6条）")
    assert plain(again["text"]).startswith("更多结果（第7–9条）")
    assert answer_id(more) == answer_id(first)  # the same answer's buttons, on its page
    assert ZH.button_previous in [b["text"] for b in buttons(more)]


def test_more_past_the_last_page_says_so(qa):
    async def scenario(bot):
        calls = await bot.send(message_update("重庆提出的885工作机制是什么？"))
        for _ in range(6):
            calls += await bot.send(message_update("还有吗"))
        return calls

    replies = sent_messages(run_offline(qa, scenario))
    assert plain(replies[-1]["text"]) == ZH.no_more


def test_a_group_reply_to_the_bots_answer_is_read_in_that_answers_context(qa):
    async def scenario(bot):
        [answer] = sent_messages(await bot.send(message_update(f"/ask {ARCHITECTURE}", chat=GROUP)))
        # the message as Telegram shows it when replying: no buttons needed, the id is enough
        mine = bot_message(answer["text"], GROUP, message_id=FIRST_BOT_MESSAGE)
        [reply] = sent_messages(await bot.send(message_update(ITS_LEVER, chat=GROUP, user=OTHER_USER, reply_to=mine)))
        [unreplied] = sent_messages(await bot.send(message_update(f"/ask {ITS_LEVER}", chat=GROUP)))
        return reply, unreplied

    reply, unreplied = run_offline(qa, scenario)
    assert plain(reply["text"]).startswith(READ_AS) and "第6段" in plain(reply["text"])
    assert "理解）" not in plain(unreplied["text"])  # a group has no running context: only replies


def test_a_group_reply_finds_the_answer_by_its_buttons_too(qa):
    async def scenario(bot):
        [answer] = sent_messages(await bot.send(message_update(f"/ask {ARCHITECTURE}", chat=GROUP)))
        mine = bot_message(answer["text"], GROUP, message_id=777)  # not a message the bot recorded
        mine["reply_markup"] = markup(answer)
        return sent_messages(await bot.send(message_update(ITS_LEVER, chat=GROUP, reply_to=mine)))

    [reply] = run_offline(qa, scenario)
    assert plain(reply["text"]).startswith(READ_AS)


def test_more_in_reply_to_the_bots_answer_in_a_group(qa):
    async def scenario(bot):
        [answer] = sent_messages(await bot.send(message_update("/ask 基层治理", chat=GROUP)))
        mine = bot_message(answer["text"], GROUP, message_id=FIRST_BOT_MESSAGE)
        return sent_messages(await bot.send(message_update("还有吗", chat=GROUP, reply_to=mine)))

    [more] = run_offline(qa, scenario)
    assert plain(more["text"]).startswith("更多结果（第4–6条）")


def test_one_chats_context_never_reaches_another(qa):
    async def scenario(bot):
        [private_answer] = sent_messages(await bot.send(message_update(ARCHITECTURE)))
        # another user's private chat
        other = await bot.send(message_update(ITS_LEVER, chat=OTHER_PRIVATE, user=OTHER_USER))
        # a group reply pointing at the private answer's buttons (a forged or forwarded message)
        forged = bot_message(private_answer["text"], GROUP, message_id=FIRST_BOT_MESSAGE)
        forged["reply_markup"] = markup(private_answer)
        group = await bot.send(message_update(ITS_LEVER, chat=GROUP, reply_to=forged))
        # the first chat still has its own
        own = await bot.send(message_update(ITS_LEVER))
        return other, group, own, bot.deps.conversations

    other, group, own, conversations = run_offline(qa, scenario)
    assert "理解）" not in plain(sent_messages(other)[0]["text"])
    assert "理解）" not in plain(sent_messages(group)[0]["text"])
    assert plain(sent_messages(own)[0]["text"]).startswith(READ_AS)
    assert conversations.peek(GROUP["id"]) is None  # groups keep no running context


def test_the_follow_up_context_can_be_turned_off(qa):
    async def scenario(bot):
        calls = await bot.send(message_update(ARCHITECTURE))
        calls += await bot.send(message_update(ITS_LEVER))
        return calls

    _, second = sent_messages(run_offline(qa, scenario, followup_seconds=0))
    assert "理解）" not in plain(second["text"])


def test_private_contexts_are_bounded(qa):
    from bot.conversations import ChatContexts

    contexts = ChatContexts(timeout=300, top_k=5, max_chats=3)
    for chat in range(5):
        contexts.get(chat, qa.engine)
    assert len(contexts) == 3 and contexts.peek(0) is None and contexts.peek(4) is not None
