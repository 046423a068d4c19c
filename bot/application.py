"""Builds the Application: every handler is registered here, in one place."""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import handlers, handlers_library
from bot.delivery import ClassifyingRequest, MaybeDelivered
from bot.handlers import Deps
from bot.pacing import DeliveryLimiter, Pacer

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = ("start", "help", "sources", "about")
GROUP_COMMANDS = ("ask", "help", "sources", "about")
OPERATOR_COMMANDS = ("stats", "reload")  # shown in ADMIN_USER_IDS' own private chats
# Every command, in one table: handlers.COMMANDS answer questions, these manage libraries.
COMMANDS = {**handlers.COMMANDS, "sources": handlers_library.sources, "remove": handlers_library.remove_command}
CONCURRENT_UPDATES = 32  # PTB's own update queue (tests); `bot.updates.Intake` runs one lane per chat
CONNECTIONS = 64  # the pacer sends at most ~30 a second; answers wait there, not for a connection


def build_application(
    deps: Deps,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    pacer: Pacer | None = None,
) -> Application:
    """``request`` defaults to `ClassifyingRequest`, which tells a proxy's 5xx
    from Telegram's own; the rate limiter paces and retries every call."""
    settings = deps.settings
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .local_mode(settings.telegram_local_mode)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,  # the asker deleted the question: still answer
            )
        )
        .rate_limiter(DeliveryLimiter(pacer, retry_seconds=settings.send_retry_seconds))
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(_post_init)
    )
    builder = builder.request(request if request is not None else ClassifyingRequest(connection_pool_size=CONNECTIONS))
    builder = builder.get_updates_request(
        get_updates_request if get_updates_request is not None else ClassifyingRequest(connection_pool_size=2)
    )
    application = builder.build()
    application.bot_data["deps"] = deps
    application.bot_data["commands"] = COMMANDS
    register_handlers(application)
    return application


def register_handlers(application: Application) -> None:
    new_message = filters.UpdateType.MESSAGE  # edits would answer the same question twice
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS

    application.add_handler(TypeHandler(Update, ignore_other_bots), group=-2)
    application.add_handler(TypeHandler(Update, handlers.gate), group=-1)

    for name, callback in COMMANDS.items():
        application.add_handler(CommandHandler(name, callback, filters=new_message))
    application.add_handler(MessageHandler(new_message & private & filters.COMMAND, handlers.unknown_command))
    application.add_handler(
        MessageHandler(
            new_message & filters.TEXT & ~filters.COMMAND & filters.Regex(handlers.COMMAND_WITHOUT_ENTITY),
            handlers.command_without_entity,
        )
    )
    application.add_handler(MessageHandler(new_message & private & filters.TEXT & ~filters.COMMAND, handlers.private_text))
    application.add_handler(MessageHandler(new_message & groups & filters.TEXT & ~filters.COMMAND, handlers.group_text))
    application.add_handler(MessageHandler(new_message & (private | groups) & filters.Document.ALL, handlers_library.document))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, handlers_library.migrate))
    application.add_handler(
        MessageHandler(new_message & (private | groups) & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.not_text)
    )
    application.add_handler(CallbackQueryHandler(handlers_library.library_button, pattern=r"^l:"))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(InlineQueryHandler(handlers.inline_query))
    application.add_error_handler(delivery_error)  # first: it may stop the apology
    application.add_error_handler(handlers.on_error)


async def ignore_other_bots(update: Update, context) -> None:
    """Bots talking in a group (or to each other) are not asking. An anonymous
    group admin or a channel also arrives "from" a bot, with sender_chat set:
    those are people."""
    message = update.effective_message
    user = update.effective_user
    if user is not None and user.is_bot and not (message is not None and message.sender_chat is not None):
        raise ApplicationHandlerStop


async def delivery_error(update: object, context) -> None:
    """A reply that went out twice without an answer has most likely arrived:
    say so in the log, and do not follow it with an apology."""
    if isinstance(context.error, MaybeDelivered):
        update_id = getattr(update, "update_id", None)
        log.warning("update %s: reply probably delivered, not confirmed (%s)", update_id, context.error)
        raise ApplicationHandlerStop


async def _post_init(application: Application) -> None:
    """The command menus, each shown to those who can use it; a failure here
    is logged, not fatal. Libraries are checked for half-done writes first."""
    deps = application.bot_data["deps"]
    await asyncio.to_thread(deps.libraries.recover)
    texts = deps.texts
    bot = application.bot
    uploads = deps.settings.library_uploads

    def menu(names) -> list[BotCommand]:
        return [BotCommand(c, texts.description[c]) for c in names]

    private = PRIVATE_COMMANDS + (("remove",) if uploads == "members" else ())
    groups = GROUP_COMMANDS + (("remove",) if uploads == "members" else ())
    menus = [(menu(private), BotCommandScopeAllPrivateChats()), (menu(groups), BotCommandScopeAllGroupChats())]
    if uploads == "admins":
        menus.append((menu(GROUP_COMMANDS + ("remove",)), BotCommandScopeAllChatAdministrators()))
    operator = private + tuple(c for c in ("remove",) + OPERATOR_COMMANDS if c not in private and (c != "remove" or uploads != "off"))
    menus += [(menu(operator), BotCommandScopeChat(user_id)) for user_id in sorted(deps.settings.admin_user_ids)]
    for commands, scope in menus:
        try:
            await bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:  # e.g. an operator who never opened a chat with the bot
            log.warning("could not register the command menu for %s: %s", scope.type, exc)
    log.info("connected as @%s", bot.username)
