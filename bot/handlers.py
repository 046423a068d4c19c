"""Telegram updates → questions → replies. Each handler is small; the work is
in `bot.service` (searching), `bot.rendering` (HTML) and `bot.state` (memory).

Group etiquette: the bot answers `/ask`, messages that mention it and
replies to its own messages, and stays silent on everything else. All of
these reach a bot in privacy mode.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from dataclasses import dataclass, field

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.access import manages
from bot.config import Settings
from bot.delivery import stop_typing, typing_soon
from bot.conversations import ChatContext, ChatContexts
from bot.keyboards import Action, answer_keyboard
from bot.libraries import Libraries, LibraryView, scope_for_chat, scope_for_inline
from bot.libraries.permissions import ChatAdmins
from bot.rendering import (
    INLINE_RESULTS,
    MAX_HITS,
    escape,
    inline_description,
    origin_labels,
    page_count,
    render_answer,
    render_inline_passage,
)
from bot.service import QaService
from bot.state import AskedQuestion, StateStore
from bot.texts import Texts
from retrieval.answer.search import MAX_QUESTION_CHARS
from retrieval.backends import SearchUnavailable

log = logging.getLogger(__name__)

INLINE_CACHE_SECONDS = 300  # the corpus changes rarely; a reload is at most 5 minutes stale inline


@dataclass
class Deps:
    """Everything a handler needs, kept in ``application.bot_data``."""

    settings: Settings
    texts: Texts
    qa: QaService
    store: StateStore
    refused_chats: set[int] = field(default_factory=set)
    conversations: ChatContexts | None = None  # follow-up context per private chat
    libraries: Libraries | None = None  # chats' own documents (bot.libraries)
    admins: ChatAdmins = field(default_factory=ChatAdmins)  # getChatAdministrators, cached

    def __post_init__(self) -> None:
        if self.conversations is None:
            self.conversations = ChatContexts(self.settings.followup_seconds, MAX_HITS)
        if self.libraries is None:
            self.libraries = Libraries(
                self.settings.data_dir, lambda: self.qa.engine, self.settings.corpus_paths, self.settings.quotas
            )


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return context.bot_data["deps"]


async def chat_view(d: Deps, chat) -> LibraryView:
    """What a question in ``chat`` is answered from: the shared library plus the chat's own."""
    return await d.libraries.view(scope_for_chat(chat.type, chat.id) if chat is not None else None)


def origin_of(d: Deps, view: LibraryView, chat_type: str | None):
    """The per-hit "本群文档 / 共享文档" label, for chats with documents of their own."""
    texts = d.texts.library
    own = texts.origin_own_private if chat_type in (ChatType.PRIVATE, None) else texts.origin_own_group
    return origin_labels(view.own, own, texts.origin_shared)


# ----------------------------------------------------------------- gate


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler: chats outside ALLOWED_CHAT_IDS get one polite refusal."""
    d = deps(context)
    if not d.settings.allowed_chat_ids:
        return
    chat = update.effective_chat
    user = update.effective_user
    where = chat.id if chat else (user.id if user else None)
    if d.settings.chat_allowed(where):
        return
    if update.inline_query:
        await update.inline_query.answer([], cache_time=INLINE_CACHE_SECONDS, is_personal=True)
    elif update.callback_query:
        await update.callback_query.answer(d.texts.not_allowed, show_alert=True)
    elif update.effective_message and where is not None and where not in d.refused_chats and _addressed(update, context):
        d.refused_chats.add(where)
        await update.effective_message.reply_text(escape(d.texts.not_allowed))
    raise ApplicationHandlerStop


def _addressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether a message is meant for the bot, so a refusal is not chatter either."""
    message = update.effective_message
    if message.chat.type == ChatType.PRIVATE:
        return True
    text = message.text or ""
    return text.startswith("/") or _mentions_bot(message, context.bot.username) or _replies_to_bot(message, context.bot.id)


# ----------------------------------------------------------------- commands


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.args and context.args[0] == "help":  # the inline "how to use" button
        await help_command(update, context)
        return
    d = deps(context)
    view = await chat_view(d, update.effective_chat)
    documents = len(d.qa.sources()) + len(view.own)
    text = d.texts.start_html.format(documents=documents, examples=_examples_html(d))
    await _send(update.effective_message, text)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    d = deps(context)
    text = d.texts.help_html.format(
        username=escape(context.bot.username or "bot"),
        examples=_examples_html(d),
        full=escape(d.texts.button_full),
        more=escape(d.texts.button_more),
    )
    message = update.effective_message
    if d.settings.library_uploads != "off" and await manages(d, context.bot, message.chat, message.from_user, message.sender_chat):
        text += d.texts.library.help_upload_html  # only for those whose uploads are taken
    await _send(update.effective_message, text)


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    d = deps(context)
    view = await chat_view(d, update.effective_chat)
    await _send(update.effective_message, d.texts.about_html.format(chunks=len(view.engine.chunks)))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/ask 问题`; a bare `/ask` in reply to someone's message asks that message."""
    message = update.effective_message
    question = _command_argument(message.text or "")
    if not question and message.reply_to_message and not _replies_to_bot(message, context.bot.id):
        question = message.reply_to_message.text or message.reply_to_message.caption or ""
    if not question.strip():
        d = deps(context)
        example = (d.qa.examples() or ["……"])[0]
        await _send(message, escape(d.texts.empty_question.format(example=example)))
        return
    await answer_question(message, question, context)


COMMAND_WITHOUT_ENTITY = r"^/(start|help|ask|sources|about|stats|reload|remove)(@[A-Za-z0-9_]+)?(\s|$)"


async def command_without_entity(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A `/command` whose message came without a bot_command entity (some
    clients and API emulators): route it as if it had one."""
    message = update.effective_message
    name, target = re.match(COMMAND_WITHOUT_ENTITY, message.text).group(1, 2)
    if target and target[1:].lower() != (context.bot.username or "").lower():
        return  # meant for another bot
    context.args = _command_argument(message.text).split()
    await context.bot_data["commands"][name](update, context)  # every command, as registered


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    d = deps(context)
    if not _is_admin(update, d):
        await _send(update.effective_message, escape(d.texts.admin_only))
        return
    answers, up, down = await asyncio.to_thread(d.store.counts)
    libraries, documents, size = await asyncio.to_thread(d.libraries.totals)
    text = d.texts.stats.format(answers=answers, up=up, down=down) + "\n" + d.texts.library.stats.format(
        libraries=libraries, documents=documents, mb=size / 2**20
    )
    await _send(update.effective_message, escape(text))


async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    d = deps(context)
    if not _is_admin(update, d):
        await _send(update.effective_message, escape(d.texts.admin_only))
        return
    await _send(update.effective_message, escape(d.texts.reloading))
    report = await d.qa.reload()
    d.libraries.forget_engines()  # each chat's index includes the shared corpus: rebuilt on next use
    text = d.texts.reloaded.format(documents=report.documents, chunks=report.chunks, seconds=report.seconds)
    await _send(update.effective_message, escape(text))


def _is_admin(update: Update, d: Deps) -> bool:
    return bool(update.effective_user and update.effective_user.id in d.settings.admin_user_ids)


# The question-answering commands; `bot.application` adds the library ones.
COMMANDS = {
    "start": start,
    "help": help_command,
    "ask": ask_command,
    "about": about,
    "stats": stats,
    "reload": reload,
}


# ----------------------------------------------------------------- messages


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat every text message is a question."""
    await answer_question(update.effective_message, update.effective_message.text, context)


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups only messages addressed to the bot are questions."""
    message = update.effective_message
    username = context.bot.username
    if _mentions_bot(message, username):
        await answer_question(message, _without_mention(message.text, username), context)
    elif _replies_to_bot(message, context.bot.id):
        await answer_question(message, message.text, context)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, files: say what the bot does. In groups only
    when the message was meant for the bot."""
    message = update.effective_message
    if message.chat.type != ChatType.PRIVATE:
        caption_mentions = _mentions_bot(message, context.bot.username)
        if not (caption_mentions or _replies_to_bot(message, context.bot.id)):
            return
    d = deps(context)
    example = (d.qa.examples() or ["……"])[0]
    await _send(message, escape(d.texts.not_text.format(example=example)))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A private `/something` the bot does not have: show the help rather than search for it."""
    await help_command(update, context)


async def answer_question(message: Message, question: str, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer, reading a follow-up in its context: the chat's last question in
    private, the replied-to answer in a reply to the bot."""
    d = deps(context)
    await _typing(message)
    question = question or ""
    chat = await _chat_context(d, message, context)
    conversation = chat.conversation
    if conversation.wants_more(question):
        await _more(d, message, chat, question)
        return
    answer, interpreted = await d.qa.converse(conversation, question)
    origin = origin_of(d, chat.view, message.chat.type)
    chat.answer_id = None
    markup = None
    if answer.answered:
        chat.answer_id = await _remember(d, message, question[:MAX_QUESTION_CHARS], answer, interpreted)
        if chat.answer_id is not None:
            markup = answer_keyboard(chat.answer_id, d.texts, page=0, pages=page_count(answer), expanded=False)
    sent = await _send(message, render_answer(answer, d.texts, interpreted_as=interpreted, origin=origin), reply_markup=markup)
    await _remember_message(d, sent, chat.answer_id)


async def _more(d: Deps, message: Message, chat: ChatContext, question: str) -> None:
    """“还有吗”: the next page of the previous answer, with that answer's buttons."""
    answer, _ = await d.qa.converse(chat.conversation, question)
    turn = chat.conversation.last
    if not answer.answered:
        await _send(message, escape(d.texts.no_more))
        return
    pages = page_count(turn.answer)
    text = render_answer(turn.answer, d.texts, page=turn.page, interpreted_as=turn.interpreted_as,
                         origin=origin_of(d, chat.view, message.chat.type))
    markup = None
    if chat.answer_id is not None:
        markup = answer_keyboard(chat.answer_id, d.texts, page=turn.page, pages=pages, expanded=False)
    sent = await _send(message, text, reply_markup=markup)
    await _remember_message(d, sent, chat.answer_id)


async def _chat_context(d: Deps, message: Message, context: ContextTypes.DEFAULT_TYPE) -> ChatContext:
    """Whose context a question is read in. A reply to one of the bot's
    answers: that answer's (a private chat then continues from it). Else in
    private: the chat's own; in a group: none."""
    private = message.chat.type == ChatType.PRIVATE
    view = await chat_view(d, message.chat)
    replied = await _replied_answer(d, message, context)
    if replied is not None:
        chat = await d.qa.run(d.conversations.resumed, view.engine, replied.query, replied.answer_id)
        chat.view = view
        if private:
            d.conversations.put(message.chat_id, chat)
        return chat
    if private:
        chat = d.conversations.get(message.chat_id, view.engine)
    else:
        chat = ChatContext(d.conversations.new(view.engine))
    chat.view = view
    return chat


async def _replied_answer(d: Deps, message: Message, context: ContextTypes.DEFAULT_TYPE) -> AskedQuestion | None:
    """The answer shown by the bot's message this one replies to: by the
    message map, else by the answer id in the message's buttons. Only an
    answer given in this chat."""
    if not _replies_to_bot(message, context.bot.id):
        return None
    replied = message.reply_to_message
    try:
        asked = await asyncio.to_thread(d.store.answer_of_message, message.chat_id, replied.message_id)
        if asked is None and (answer_id := _answer_id_of_buttons(replied)) is not None:
            asked = await asyncio.to_thread(d.store.question, answer_id)
    except Exception:
        log.exception("could not read the replied-to answer from the state store; answering without its context")
        return None
    return asked if asked is not None and asked.chat_id == message.chat_id else None


def _answer_id_of_buttons(message: Message) -> int | None:
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            action = Action.decode(button.callback_data)
            if action is not None:
                return action.answer_id
    return None


async def _remember(d: Deps, message: Message, question: str, answer, interpreted_as: str | None) -> int | None:
    """The answer's id for its buttons; a failing state file costs the buttons, not the answer.
    Recorded: the question as asked and, for a follow-up, what was searched."""
    try:
        return await asyncio.to_thread(
            d.store.record_answer,
            message.chat_id,
            message.from_user.id if message.from_user else None,
            question,
            [hit.chunk.chunk_id for hit in answer.hits],
            interpreted_as,
        )
    except Exception:
        log.exception("could not record an answer in the state store; sending it without buttons")
        return None


async def _remember_message(d: Deps, sent: Message | None, answer_id: int | None) -> None:
    """Which answer the bot's message shows, so a reply to it has its context."""
    if sent is None or answer_id is None:
        return
    try:
        await asyncio.to_thread(d.store.record_message, sent.chat_id, sent.message_id, answer_id)
    except Exception:
        log.exception("could not record a sent message in the state store")


# ----------------------------------------------------------------- buttons


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    d = deps(context)
    action = Action.decode(query.data)
    if action is None:
        await query.answer()
        return
    if action.kind == "vote":
        recorded = await asyncio.to_thread(d.store.record_vote, action.answer_id, query.from_user.id, action.arg == "up")
        thanks = d.texts.feedback_thanks_up if action.arg == "up" else d.texts.feedback_thanks_down
        await query.answer(thanks if recorded else d.texts.busy_expired)
        return

    asked = await asyncio.to_thread(d.store.question, action.answer_id)
    chat = query.message.chat if query.message is not None else None
    if asked is not None and (chat is None or asked.chat_id != chat.id):
        asked = None  # a button never shows another chat's answer
    view = await chat_view(d, chat) if chat is not None else None
    answer = await d.qa.ask(asked.query, engine=view.engine) if asked else None
    if answer is None or not answer.answered:
        await query.answer(d.texts.busy_expired, show_alert=True)
        return
    pages = page_count(answer)
    page = min(int(action.arg), pages - 1) if action.kind == "page" else 0
    expanded = action.kind == "full" and action.arg == "1"
    text = render_answer(answer, d.texts, page=page, expanded=expanded, interpreted_as=asked.interpreted_as,
                         origin=origin_of(d, view, chat.type))
    markup = answer_keyboard(action.answer_id, d.texts, page=page, pages=pages, expanded=expanded)
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # a double tap: already showing that
            raise


# ----------------------------------------------------------------- inline mode


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query
    d = deps(context)
    text = query.query.strip()
    help_button = InlineQueryResultsButton(text=d.texts.inline_help_button, start_parameter="help")
    if not text:
        await query.answer([], button=help_button, cache_time=INLINE_CACHE_SECONDS)
        return
    # Inline mode has no chat: the shared library and the asker's private one, never a group's.
    view = await d.libraries.view(scope_for_inline(query.from_user.id))
    answer = await d.qa.ask(text, INLINE_RESULTS, engine=view.engine)
    origin = origin_of(d, view, None)
    if not answer.answered:
        nothing = InlineQueryResultsButton(text=d.texts.inline_nothing, start_parameter="help")
        await query.answer([], button=nothing, cache_time=INLINE_CACHE_SECONDS)
        return
    results = [
        InlineQueryResultArticle(
            id=hashlib.sha1(hit.chunk.chunk_id.encode()).hexdigest()[:32],
            title=f"《{hit.chunk.title}》 {hit.chunk.section}".strip()[:128],
            description=inline_description(hit),
            input_message_content=InputTextMessageContent(
                render_inline_passage(hit, d.texts, origin), parse_mode=ParseMode.HTML
            ),
        )
        for hit in answer.hits[:INLINE_RESULTS]
    ]
    # Personal: two people typing the same words may have different private libraries.
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS, button=help_button, is_personal=True)


# ----------------------------------------------------------------- errors


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (the log formatter strips the token) and apologise without details."""
    texts = deps(context).texts
    if isinstance(context.error, SearchUnavailable):
        # The search backend is down, not the bot: say so; the next question tries it again.
        log.warning("search is unavailable: %s", context.error)
        apology = texts.search_unavailable
    else:
        log.error("error while handling an update", exc_info=context.error)
        apology = texts.error
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query:
            await update.callback_query.answer(apology, show_alert=True)
        elif update.inline_query:
            await update.inline_query.answer([], cache_time=0, is_personal=True)
        elif update.effective_message and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            await update.effective_message.reply_text(escape(apology))
        elif update.effective_message and _addressed(update, context):
            await update.effective_message.reply_text(escape(apology))
    except TelegramError:
        log.warning("could not tell the user about the error either", exc_info=True)


# ----------------------------------------------------------------- helpers


async def _send(message: Message, text: str, **kwargs) -> Message:
    """Reply (quoting the asker in groups, in the same forum topic). Pacing
    and retries are the rate limiter's job (`bot.pacing`, `bot.delivery`)."""
    stop_typing()
    return await message.reply_text(text, **kwargs)


async def _typing(message: Message) -> None:
    typing_soon(message)  # "typing…" only if the answer takes noticeably long


def _examples_html(d: Deps) -> str:
    return "\n".join(f"• <code>{escape(q)}</code>" for q in d.qa.examples())


_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", re.ASCII)


def _command_argument(text: str) -> str:
    """Everything after `/ask` or `/ask@name`, line breaks kept."""
    return _COMMAND.sub("", text, count=1).strip()


def _mentions_bot(message: Message, username: str | None) -> bool:
    if not username:
        return False
    target = f"@{username}".lower()
    entities = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]) or message.parse_caption_entities(
        [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    )
    for entity, value in entities.items():
        if value.lower() == target or (entity.user and entity.user.username and entity.user.username.lower() == username.lower()):
            return True
    # Clients always send entities; a mention without one is still a mention.
    text = message.text or message.caption or ""
    return bool(re.search(rf"(?<![\w@]){re.escape(target)}(?!\w)", text, re.IGNORECASE | re.ASCII))


def _without_mention(text: str, username: str) -> str:
    return re.sub(rf"@{re.escape(username)}(?!\w)", " ", text, flags=re.IGNORECASE | re.ASCII).strip()


def _replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)
