"""Builds the Application: every handler is registered here, in one place."""

from __future__ import annotations

import logging

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import handlers
from bot.handlers import Deps

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = ("start", "help", "sources", "about")
GROUP_COMMANDS = ("ask", "help", "sources", "about")
RATE_LIMIT_RETRIES = 3  # 429s: wait `retry_after`, then try again, this many times
CONCURRENT_UPDATES = 32  # one chat's slow question must not hold up the others


def build_application(
    deps: Deps,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application:
    settings = deps.settings
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,  # the asker deleted the question: still answer
            )
        )
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(_post_init)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application = builder.build()
    application.bot_data["deps"] = deps
    register_handlers(application)
    return application


def register_handlers(application: Application) -> None:
    new_message = filters.UpdateType.MESSAGE  # edits would answer the same question twice
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS

    application.add_handler(TypeHandler(Update, handlers.gate), group=-1)

    for name, callback in handlers.COMMANDS.items():
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
    application.add_handler(
        MessageHandler(new_message & (private | groups) & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.not_text)
    )
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(InlineQueryHandler(handlers.inline_query))
    application.add_error_handler(handlers.on_error)


async def _post_init(application: Application) -> None:
    """The command menus; a failure here is logged, not fatal."""
    texts = application.bot_data["deps"].texts
    bot = application.bot
    try:
        await bot.set_my_commands(
            [BotCommand(c, texts.description[c]) for c in PRIVATE_COMMANDS], scope=BotCommandScopeAllPrivateChats()
        )
        await bot.set_my_commands(
            [BotCommand(c, texts.description[c]) for c in GROUP_COMMANDS], scope=BotCommandScopeAllGroupChats()
        )
    except TelegramError as exc:
        log.warning("could not register the command menu: %s", exc)
    log.info("connected as @%s", bot.username)
