"""An offline Bot API for handler tests, in python-telegram-bot's own style:
the bot's requests are captured instead of sent, and updates are fed
through ``application.process_update``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.application import build_application
from bot.config import Settings
from bot.handlers import Deps
from bot.serve import serve
from bot.service import QaService
from bot.state import StateStore
from bot.texts import LANGUAGES
from bot.updates import UpdateJournal

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz0123"
BOT = {
    "id": 123456,
    "is_bot": True,
    "first_name": "DocQA",
    "username": "docqa_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
USER = {"id": 1001, "is_bot": False, "first_name": "小王", "username": "xiaowang"}
PRIVATE = {"id": 1001, "type": "private", "first_name": "小王"}
GROUP = {"id": -1009, "type": "supergroup", "title": "学习小组"}
FORUM = {"id": -1010, "type": "supergroup", "title": "读书会", "is_forum": True}


@dataclass
class Call:
    method: str
    params: dict


class CapturingRequest(BaseRequest):
    """Answers every Bot API call like Telegram would, and keeps the calls."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._message_ids = itertools.count(5000)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(self, url, method, request_data: RequestData | None = None, **_) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append(Call(api_method, params))
        return 200, json.dumps({"ok": True, "result": self._result(api_method, params)}).encode()

    def _result(self, method: str, params: dict):
        if method == "getMe":
            return BOT
        if method in {"sendMessage", "editMessageText"}:
            chat_id = int(params["chat_id"])
            message = {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": BOT,
                "text": params["text"],
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        if method == "getUpdates":
            return []
        return True

    def of(self, method: str) -> list[dict]:
        return [c.params for c in self.calls if c.method == method]


_updates = itertools.count(1)
_messages = itertools.count(1)


def message_update(
    text: str | None = None,
    *,
    chat: dict = PRIVATE,
    user: dict = USER,
    entities: list[dict] | None = None,
    reply_to: dict | None = None,
    thread_id: int | None = None,
    **content,
) -> dict:
    message = {"message_id": next(_messages), "date": int(time.time()), "chat": chat, "from": user, **content}
    if text is not None:
        message["text"] = text
        message["entities"] = entities if entities is not None else telegram_entities(text)
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if thread_id is not None:
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
    return {"update_id": next(_updates), "message": message}


def telegram_entities(text: str) -> list[dict]:
    """What Telegram's servers attach: a leading command and @mentions (UTF-16 offsets)."""
    import re

    def units(s: str) -> int:
        return len(s.encode("utf-16-le")) // 2

    entities = []
    command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": units(command.group())})
    for mention in re.finditer(r"@[A-Za-z0-9_]{5,32}", text):
        if command and mention.start() < command.end():
            continue
        entities.append({"type": "mention", "offset": units(text[: mention.start()]), "length": units(mention.group())})
    return entities


def bot_message(text: str, chat: dict, message_id: int = 4000) -> dict:
    return {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": BOT, "text": text}


def callback_update(data: str, message: dict, user: dict = USER) -> dict:
    return {
        "update_id": next(_updates),
        "callback_query": {"id": str(next(_updates)), "from": user, "chat_instance": "ci", "data": data, "message": message},
    }


def inline_update(query: str, user: dict = USER) -> dict:
    return {"update_id": next(_updates), "inline_query": {"id": str(next(_updates)), "from": user, "query": query, "offset": ""}}


@dataclass
class OfflineBot:
    """An Application wired to a CapturingRequest; ``send`` feeds one update."""

    application: object
    request: CapturingRequest
    deps: Deps
    handled: list = field(default_factory=list)

    async def send(self, update: dict) -> list[Call]:
        before = len(self.request.calls)
        await self.application.process_update(Update.de_json(update, self.application.bot))
        return self.request.calls[before:]


# One folder for the whole run, removed when the interpreter exits: every
# make_deps used to leave its own data folder behind in /tmp.
_DATA_ROOT = tempfile.TemporaryDirectory(prefix="bot-data-")


def make_deps(qa: QaService, *, store: StateStore | None = None, **settings) -> Deps:
    settings.setdefault("telegram_bot_token", TOKEN)
    settings.setdefault("data_dir", Path(tempfile.mkdtemp(dir=_DATA_ROOT.name)))  # never the checkout's data/
    config = Settings(_env_file=None, **settings)
    return Deps(settings=config, texts=LANGUAGES[config.bot_language], qa=qa, store=store or StateStore())


def run_offline(qa: QaService, scenario, **settings):
    """Run ``scenario(offline_bot)`` against a freshly initialised offline Application."""

    async def main():
        request = CapturingRequest()
        deps = make_deps(qa, **settings)
        application = build_application(deps, request=request, get_updates_request=request)
        await application.initialize()
        try:
            return await scenario(OfflineBot(application, request, deps))
        finally:
            await application.shutdown()

    return asyncio.run(main())


class ServingBot:
    """The production loop (`bot.serve.serve`: durable intake, per-chat lanes,
    pacing, retries) in a background thread with its own event loop.

        with ServingBot(build_application(deps)) as bot:
            ...                     # drive a FakeBotApi; bot.journal_path is the journal

    ``journal_path`` defaults to a fresh temporary file.
    """

    def __init__(self, application, journal_path: Path | str | None = None, *, poll_timeout: float = 1.0,
                 grace: float = 2.0, startup_timeout: float = 30.0):
        self.application = application
        self._tmp = None
        if journal_path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="bot-journal-")
            journal_path = Path(self._tmp.name) / "state.sqlite3"
        self.journal_path = Path(journal_path)
        self.poll_timeout = poll_timeout
        self.grace = grace
        self.startup_timeout = startup_timeout
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bot", daemon=True)
        self.journal: UpdateJournal | None = None
        self._stop: asyncio.Event | None = None
        self._task = None

    def __enter__(self):
        self.thread.start()
        self.journal = UpdateJournal(self.journal_path)
        ready = self._call(self._start()).result(timeout=5)
        try:
            asyncio.run_coroutine_threadsafe(asyncio.wait_for(ready.wait(), self.startup_timeout), self.loop).result()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        if self._task.done():
            self._task.result()
        return self

    def __exit__(self, *exc):
        try:
            if self._stop is not None:
                self.loop.call_soon_threadsafe(self._stop.set)
            if self._task is not None:
                asyncio.run_coroutine_threadsafe(self._wait_task(), self.loop).result(timeout=self.grace + 30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()
            if self.journal is not None:
                self.journal.close()
            if self._tmp is not None:
                self._tmp.cleanup()

    @property
    def intake(self):
        return self.application.bot_data.get("intake")

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    async def _start(self) -> asyncio.Event:
        self._stop = asyncio.Event()
        ready = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(
            serve(self.application, self.journal, self._stop, poll_timeout=self.poll_timeout, grace=self.grace,
                  ready=ready)
        )
        self._task.add_done_callback(lambda task: ready.set())  # a failed start must not hang the test
        return ready

    async def _wait_task(self) -> None:
        try:
            await self._task
        except Exception:  # noqa: BLE001 - reported by __enter__ or the test
            pass


def stop_process(process, sig=None, timeout: float = 30.0) -> str:
    """Ask a `python -m bot` child to stop (SIGINT by default, as Ctrl+C),
    kill it if it does not within ``timeout``; its stderr."""
    import signal
    import subprocess

    process.send_signal(signal.SIGINT if sig is None else sig)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    return stderr
