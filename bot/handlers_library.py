"""Telegram → chats' own libraries: uploads, /sources, /remove, their buttons,
and a group's move to a supergroup. The work is in `bot.libraries`; the
words in `bot.library_rendering`.

An upload runs as a task of its own, so the chat's lane (and every other
chat) keeps getting answers while it is read and indexed. One status
message shows its progress, edited at most every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.access import manages
from bot.handlers import Deps, _mentions_bot, _replies_to_bot, _send, deps
from bot.libraries import NeedsConfirmation, Scope, Uploader, scope_for_chat
from bot.libraries.quotas import check_file_size
from bot.library_rendering import render_outcome, render_sources, where
from bot.rendering import escape

log = logging.getLogger(__name__)

# Seconds between two edits of a progress message: Telegram allows about one
# edit a second in a private chat and twenty messages a minute in a group.
EDIT_INTERVAL = {True: 2.0, False: 4.0}
_CALLBACK = re.compile(r"l:(rm|rp):([0-9a-f]{6,16}):([yn])")


# ----------------------------------------------------------------- who may manage


def refusal(d: Deps, chat) -> str:
    texts = d.texts.library.refused
    if d.settings.library_uploads == "off":
        return texts["off"]
    return texts["private"] if chat.type == ChatType.PRIVATE else texts["group"]


# ----------------------------------------------------------------- uploads


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document message: added to the chat's library by those who may
    manage it. In a group, anyone else's file is ignored unless it was
    addressed to the bot: people share files there all the time."""
    message = update.effective_message
    d = deps(context)
    if not await manages(d, context.bot, message.chat, message.from_user, message.sender_chat):
        if message.chat.type == ChatType.PRIVATE or _addressed_caption(update, context):
            await _send(message, escape(refusal(d, message.chat)))
        return
    attached = message.document
    name = attached.file_name or "document"
    scope = scope_for_chat(message.chat.type, message.chat.id)
    over = check_file_size(attached.file_size, d.settings.quotas, local_api=d.settings.telegram_local_mode)
    if over is not None:
        await _send(message, escape(_too_big(d, over, scope, name)))
        return
    uploader = Uploader(message.from_user.id if message.from_user else None, _display_name(message))
    # Off the chat's lane: questions here keep being answered meanwhile.
    context.application.create_task(_receive(d, context.bot, message, scope, uploader), update=update)


def _addressed_caption(update: Update, context) -> bool:
    """A file meant for the bot: its caption mentions it, or it replies to the bot."""
    message = update.effective_message
    return _mentions_bot(message, context.bot.username) or _replies_to_bot(message, context.bot.id)


def _too_big(d: Deps, over, scope: Scope, name: str) -> str:
    texts = d.texts.library
    if over.kind == "download":
        return texts.too_big_for_cloud.format(name=name, size=over.actual)
    return texts.quota[over.kind].format(name=name, where=where(scope, texts), limit=over.limit, actual=over.actual)


def _display_name(message: Message) -> str:
    if message.sender_chat is not None:
        return message.sender_chat.title or message.sender_chat.username or ""
    user = message.from_user
    return (user.full_name or user.username or str(user.id)) if user else ""


async def _receive(d: Deps, bot, message: Message, scope: Scope, uploader: Uploader) -> None:
    texts = d.texts.library
    attached = message.document
    name = attached.file_name or "document"
    status = Status(await _send(message, escape(texts.downloading.format(name=name))), message.chat.type == ChatType.PRIVATE)
    staged = d.libraries.staging_path(scope, name)
    try:
        telegram_file = await bot.get_file(attached.file_id, read_timeout=60)
        await telegram_file.download_to_drive(staged, read_timeout=300)
    except (TelegramError, OSError) as exc:
        shutil.rmtree(staged.parent, ignore_errors=True)
        # Never the URL (it holds the token): the kind of failure is enough.
        log.warning("download of a document for %s failed: %s", scope.key, type(exc).__name__)
        why = "file is too big" if "too big" in str(exc).lower() else type(exc).__name__
        await status.finish(escape(texts.download_failed.format(name=name, why=why)))
        return
    if d.libraries.busy(scope):
        status.show(texts.queued.format(name=name))
    progress = status.progress_for(name, texts)
    try:
        outcome = await d.libraries.add(scope, staged, name, uploader, progress)
    except Exception:
        log.exception("adding a document to %s failed", scope.key)
        await status.finish(escape(texts.failed.format(name=name)))
        return
    markup = None
    if isinstance(outcome, NeedsConfirmation):
        markup = InlineKeyboardMarkup([[
            InlineKeyboardButton(texts.button_replace, callback_data=f"l:rp:{outcome.token}:y"),
            InlineKeyboardButton(texts.button_keep, callback_data=f"l:rp:{outcome.token}:n"),
        ]])
    await status.finish(render_outcome(outcome, scope, name, texts), markup)


class Status:
    """One message that shows an upload's progress, then its result.

    The build thread reports progress as often as it likes; an edit goes out
    only when the text changed and the last edit is old enough."""

    def __init__(self, message: Message, private: bool):
        self.message = message
        self.interval = EDIT_INTERVAL[private]
        self._shown = message.text if message is not None else None
        self._wanted: str | None = None
        self._last_edit = time.monotonic()
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task | None = None

    def show(self, text: str) -> None:
        """Thread-safe: the latest text wins."""
        self._wanted = text
        self._loop.call_soon_threadsafe(self._schedule)

    def progress_for(self, name: str, texts):
        def progress(stage: str, done: int, total: int) -> None:
            if stage == "reading" and total:
                self.show(texts.reading_pages.format(name=name, page=done, pages=total))
            elif stage == "indexing" and total:
                self.show(texts.indexing.format(done=done, total=total))
        return progress

    def _schedule(self) -> None:
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(self._edit_soon())

    async def _edit_soon(self) -> None:
        await asyncio.sleep(max(0.0, self._last_edit + self.interval - time.monotonic()))
        text = self._wanted
        if text is None or text == self._shown or self.message is None:
            return
        self._last_edit = time.monotonic()
        try:
            await self.message.edit_text(escape(text))
            self._shown = text
        except TelegramError as exc:
            log.debug("progress edit skipped: %s", exc)

    async def finish(self, html: str, markup=None) -> None:
        if self._task is not None:
            self._task.cancel()
        try:
            await self.message.edit_text(html, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            await self.message.reply_text(html, reply_markup=markup)  # the status message was deleted


# ----------------------------------------------------------------- /sources and /remove


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    d = deps(context)
    message = update.effective_message
    scope = scope_for_chat(message.chat.type, message.chat.id)
    own = await asyncio.to_thread(d.libraries.documents, scope)
    can = d.settings.library_uploads != "off" and await manages(d, context.bot, message.chat, message.from_user, message.sender_chat)
    for part in render_sources(d.qa.sources(), own, scope, d.texts.library, may_manage=can):
        await _send(message, part)


async def remove_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/remove N`: asks for confirmation with two buttons."""
    d = deps(context)
    message = update.effective_message
    texts = d.texts.library
    if not await manages(d, context.bot, message.chat, message.from_user, message.sender_chat):
        await _send(message, escape(texts.remove_refused))
        return
    scope = scope_for_chat(message.chat.type, message.chat.id)
    own = await asyncio.to_thread(d.libraries.documents, scope)
    argument = (context.args or [""])[0].lstrip("#第").rstrip("篇")
    if not argument.isdigit():
        await _send(message, escape(texts.remove_usage))
        return
    n = int(argument)
    if not 1 <= n <= len(own):
        await _send(message, escape(texts.remove_no_such.format(where=where(scope, texts), n=n, count=len(own))))
        return
    target = own[n - 1]
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.button_remove, callback_data=f"l:rm:{target.doc_id}:y"),
        InlineKeyboardButton(texts.button_cancel, callback_data=f"l:rm:{target.doc_id}:n"),
    ]])
    text = texts.remove_confirm.format(where=where(scope, texts), n=n, title=target.title)
    await _send(message, escape(text), reply_markup=markup)


async def library_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The confirmation buttons of /remove and of "replace the file?"."""
    query = update.callback_query
    d = deps(context)
    texts = d.texts.library
    match = _CALLBACK.fullmatch(query.data or "")
    if match is None or query.message is None:
        await query.answer()
        return
    kind, token, yes = match.group(1), match.group(2), match.group(3) == "y"
    chat = query.message.chat
    if not await manages(d, context.bot, chat, query.from_user):
        await query.answer(texts.remove_refused, show_alert=True)
        return
    scope = scope_for_chat(chat.type, chat.id)
    await query.answer()
    if kind == "rm":
        await _confirm_remove(d, query, scope, token, yes)
    else:
        await _confirm_replace(d, query, scope, token, yes)


async def _confirm_remove(d: Deps, query, scope: Scope, doc_id: str, yes: bool) -> None:
    texts = d.texts.library
    if not yes:
        await query.edit_message_text(escape(texts.remove_cancelled))
        return
    own = await asyncio.to_thread(d.libraries.documents, scope)
    target = next((doc for doc in own if doc.doc_id == doc_id), None)
    if target is None:
        await query.edit_message_text(escape(texts.expired))
        return
    await query.edit_message_text(escape(texts.removing.format(title=target.title)))
    try:
        removed = await d.libraries.remove(scope, doc_id)
    except Exception:
        log.exception("removing %s from %s failed", doc_id, scope.key)
        await query.edit_message_text(escape(texts.failed.format(name=target.title)))
        return
    if removed is None:
        await query.edit_message_text(escape(texts.expired))
        return
    left = len(await asyncio.to_thread(d.libraries.documents, scope))
    await query.edit_message_text(escape(texts.removed.format(title=removed.title, where=where(scope, texts), left=left)))


async def _confirm_replace(d: Deps, query, scope: Scope, token: str, yes: bool) -> None:
    texts = d.texts.library
    pending = d.libraries.pending(token)
    if pending is None or pending.scope != scope:
        await query.edit_message_text(escape(texts.expired))
        return
    if not yes:
        d.libraries.cancel(token)
        await query.edit_message_text(escape(texts.kept))
        return
    status = Status(query.message, scope.kind == "private")
    status.show(texts.reading.format(name=pending.sent_name))
    outcome = await d.libraries.confirm_replace(token, status.progress_for(pending.sent_name, texts))
    if outcome is None:
        await status.finish(escape(texts.expired))
        return
    await status.finish(render_outcome(outcome, scope, pending.sent_name, texts))


# ----------------------------------------------------------------- a group becomes a supergroup


async def migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram sends the old group a message with migrate_to_chat_id (and
    the new supergroup one with migrate_from_chat_id); either moves the library."""
    message = update.effective_message
    d = deps(context)
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await d.libraries.migrate(scope_for_chat("group", old), scope_for_chat("supergroup", new))
    d.admins.forget(old)

