"""An in-process fake of the Telegram Bot API for end-to-end tests.

The real python-telegram-bot ``Application`` talks real HTTP to this server
(``ApplicationBuilder().base_url(server.base_url)``), so the tests exercise the
library's request encoding, retries and update handling instead of mocks.
Validation follows what Telegram enforces, because the bugs worth catching
are the ones Telegram would reject in production: broken HTML, over-long
messages, oversized callback data, editing a message into itself.

Stdlib only. Every piece of state is guarded by one condition variable, so the
handler threads, the long-poll waiters and the test thread see one consistent
story.

    with FakeBotApi() as server:
        app = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
        ...
        mark = server.mark()
        server.send_text("/ask 合同的有效期是多久？")
        call = server.wait_for("sendMessage", after=mark)
        assert "有效期" in call.response["result"]["text"]
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import itertools
import json
import math
import random
import re
import socket
import struct
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

DEFAULT_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz0123"
MAX_TEXT_UTF16 = 4096
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """A Bot API error response; raised anywhere inside a method handler."""

    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict:
        body = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class Call:
    """One answered request. ``response`` is a snapshot: later edits don't change it."""

    method: str
    params: dict
    status: int
    response: dict
    at: float = field(default_factory=time.monotonic, compare=False)  # when it was answered

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        return self.response.get("result")

    def __str__(self) -> str:
        params = json.dumps(self.params, ensure_ascii=False)
        if len(params) > 160:
            params = params[:157] + "..."
        outcome = "ok" if self.ok else f"{self.status} {self.response.get('description')}"
        return f"{self.method}({params}) -> {outcome}"


def utf16_len(text: str) -> int:
    # Telegram measures offsets and lengths in UTF-16 code units, so every
    # astral character (most emoji, rare CJK) counts twice.
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


# --------------------------------------------------------------------------
# Telegram HTML
# --------------------------------------------------------------------------

_TAG_ENTITY = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler",
    "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_NAMED_CHARREFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHARREF = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|([A-Za-z][A-Za-z0-9]*))(;?)")


def _decode_charref(match: re.Match) -> str | None:
    hex_digits, dec_digits, name, semicolon = match.groups()
    if not semicolon:
        return None
    if name is not None:
        return _NAMED_CHARREFS.get(name)
    code = int(hex_digits, 16) if hex_digits is not None else int(dec_digits)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Parses Telegram's HTML subset into (plain text, entities); ValueError on bad markup.

    Hand-written instead of html.parser because that parser is forgiving in
    exactly the places Telegram is not: it passes a stray "<" through as text,
    accepts any tag and any entity, and reports no offsets. The scanner and
    error wording follow tdlib's ``parse_html``. One deliberate difference:
    tdlib keeps an unknown "&..." literally, while the Bot API docs require
    escaping, so this rejects it; a bare "&" in the bot's output means a
    missing ``html.escape`` that the next user-supplied "<" would turn into a
    failed send.
    """
    out: list[str] = []
    u16 = 0
    entities: list[dict] = []
    open_tags: list[dict] = []
    i, n = 0, len(source)

    def at(pos: int) -> str:
        return f"at byte offset {len(source[:pos].encode('utf-8'))}"

    while i < n:
        ch = source[i]
        if ch == "&":
            match = _CHARREF.match(source, i)
            decoded = _decode_charref(match) if match else None
            if decoded is None:
                if match and match.group(4):
                    raise ValueError(f'Unsupported HTML entity "{match.group(0)}" {at(i)}')
                raise ValueError(f'Unescaped "&" {at(i)}; use "&amp;"')
            out.append(decoded)
            u16 += utf16_len(decoded)
            i = match.end()
            continue
        if ch != "<":
            out.append(ch)
            u16 += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if i < n and source[i] == "/":
            if not open_tags:
                raise ValueError(f"Unexpected end tag {at(begin)}")
            j = i + 1
            while j < n and not source[j].isspace() and source[j] != ">":
                j += 1
            end_name = source[i + 1 : j].lower()
            while j < n and source[j].isspace():
                j += 1
            if j >= n or source[j] != ">":
                raise ValueError(f"Unclosed end tag {at(begin)}")
            i = j + 1
            tag = open_tags.pop()
            if end_name and end_name != tag["name"]:
                raise ValueError(
                    f'Unmatched end tag {at(begin)}, expected "</{tag["name"]}>", '
                    f'found "</{end_name}>"'
                )
            if u16 > tag["offset"]:  # Telegram drops empty entities
                _close_entity(tag, u16 - tag["offset"], out, entities)
            continue

        j = i
        while j < n and not source[j].isspace() and source[j] != ">":
            j += 1
        if j >= n:
            raise ValueError(f"Unclosed start tag {at(begin)}")
        name = source[i:j].lower()
        if name not in _TAG_ENTITY:
            raise ValueError(f'Unsupported start tag "{name}" {at(begin)}')
        attrs, i = _parse_attributes(source, j, name, begin, at)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise ValueError(f'Tag "span" must have class "tg-spoiler" {at(begin)}')
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise ValueError(f'Tag "tg-emoji" must have attribute "emoji-id" {at(begin)}')
        open_tags.append({"name": name, "attrs": attrs, "offset": u16, "start": len(out)})

    if open_tags:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]["name"]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language only means something on <pre>
    # Telegram lists entities by offset, outer (longer) entity first.
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _parse_attributes(source: str, i: int, tag: str, begin: int, at) -> tuple[dict, int]:
    """Reads attributes up to and including '>'; returns them and the next index."""
    attrs: dict[str, str] = {}
    n = len(source)
    while True:
        while i < n and source[i].isspace():
            i += 1
        if i >= n:
            raise ValueError(f"Unclosed start tag {at(begin)}")
        if source[i] == ">":
            return attrs, i + 1
        name_start = i
        while i < n and not source[i].isspace() and source[i] not in "=>":
            i += 1
        attr = source[name_start:i].lower()
        if not attr:
            raise ValueError(f'Empty attribute name in the tag "{tag}" {at(begin)}')
        while i < n and source[i].isspace():
            i += 1
        if i >= n or source[i] != "=":
            if tag == "blockquote" and attr == "expandable":
                attrs[attr] = ""  # the one boolean attribute Telegram knows
                continue
            raise ValueError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" {at(begin)}'
            )
        i += 1
        while i < n and source[i].isspace():
            i += 1
        if i >= n:
            raise ValueError(f'Unclosed start tag "{tag}" {at(begin)}')
        if source[i] in "'\"":
            quote, value = source[i], []
            i += 1
            while i < n and source[i] != quote:
                # Inside attribute values tdlib is lenient: known references
                # are decoded, a lone "&" (common in URLs) is kept.
                match = _CHARREF.match(source, i) if source[i] == "&" else None
                decoded = _decode_charref(match) if match else None
                if decoded is not None:
                    value.append(decoded)
                    i = match.end()
                else:
                    value.append(source[i])
                    i += 1
            i += 1
            attrs[attr] = "".join(value)
        else:
            token_start = i
            while i < n and (source[i].isalnum() or source[i] in ".-"):
                i += 1
            if i < n and not source[i].isspace() and source[i] != ">":
                raise ValueError(f"Unexpected end of name token {at(token_start)}")
            attrs[attr] = source[token_start:i].lower()


def _close_entity(tag: dict, length: int, out: list[str], entities: list[dict]) -> None:
    name, attrs, offset = tag["name"], tag["attrs"], tag["offset"]
    kind = _TAG_ENTITY[name]
    entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
    if name == "a":
        # Without href Telegram links the anchor text itself.
        entity["url"] = attrs.get("href") or "".join(out[tag["start"] :])
    elif name == "tg-emoji":
        entity["custom_emoji_id"] = attrs["emoji-id"]
    elif name == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif name in ("code", "pre"):
        # <pre><code class="language-x">…</code></pre> is one pre entity
        # carrying the language, whichever of the two tags closes last.
        language = attrs.get("class", "")
        language = language[len("language-") :] if language.startswith("language-") else ""
        last = entities[-1] if entities else None
        same_span = last and last["offset"] == offset and last["length"] == length
        if name == "pre" and same_span and last["type"] == "code":
            code_language = last.pop("language", "")
            last["type"] = "pre"
            if code_language:
                last["language"] = code_language
            return
        if name == "code" and same_span and last["type"] == "pre" and language:
            last["language"] = language
            return
        if name == "code" and language:
            entity["language"] = language  # kept only if a <pre> claims it
    entities.append(entity)


_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])")
_MENTION = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{5,32}(?![A-Za-z0-9_])")


def detect_entities(text: str) -> list[dict]:
    """The bot_command and mention entities Telegram attaches to a user's text."""
    found = [("bot_command", m) for m in _COMMAND.finditer(text)]
    found += [("mention", m) for m in _MENTION.finditer(text)]
    entities = [
        {"type": kind, "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))}
        for kind, m in found
    ]
    return sorted(entities, key=lambda e: e["offset"])


# --------------------------------------------------------------------------
# Request decoding
# --------------------------------------------------------------------------

# PTB form-encodes every non-string value with json.dumps and sends strings
# raw, so a field can only be decoded by knowing its type: guessing from the
# value would turn a message text like "[1]" into a list.
_JSON_FIELDS = {
    "reply_markup", "entities", "caption_entities", "link_preview_options",
    "reply_parameters", "results", "commands", "scope", "allowed_updates",
    "button", "input_message_content", "media", "reaction", "options",
}
_INT_FIELDS = {
    "message_id", "offset", "limit", "message_thread_id", "cache_time",
    "reply_to_message_id", "from_chat_id", "user_id", "max_connections",
}
_FLOAT_FIELDS = {"timeout"}  # a sub-second timedelta arrives as e.g. "0.5"
_BOOL_FIELDS = {
    "disable_notification", "protect_content", "allow_sending_without_reply",
    "is_personal", "drop_pending_updates", "show_alert", "disable_web_page_preview",
    "allow_paid_broadcast", "disable_content_type_detection",
}
_TEXT_FIELDS = {
    "text", "caption", "query", "message_text", "parse_mode", "action", "url",
    "callback_query_id", "inline_query_id", "inline_message_id", "next_offset",
    "language_code", "secret_token", "ip_address", "description", "title",
}


def _coerce(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in _TEXT_FIELDS:
        return value
    try:
        if name in _JSON_FIELDS:
            return json.loads(value)
        if name in _INT_FIELDS:
            return int(value)
        if name in _FLOAT_FIELDS:
            number = float(value)
            return int(number) if number.is_integer() else number
        if name in _BOOL_FIELDS:
            return value.strip().lower() in ("true", "1")
        if name == "chat_id":
            # "@channelusername" is legal, so only numeric strings become ints.
            return int(value) if re.fullmatch(r"-?\d+", value) else value
    except ValueError:
        raise bad_request(f'can\'t parse parameter "{name}": {value[:50]!r}') from None
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


def decode_params(content_type: str, body: bytes, query: str = "") -> dict:
    """Decodes form, multipart or JSON request bodies into plain Python values."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    mime = content_type.split(";")[0].strip().lower()
    if not body:
        pass
    elif mime == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise bad_request("can't parse JSON encoded request body") from None
        if not isinstance(data, dict):
            raise bad_request("JSON request body must be an object")
        params.update(data)
    elif mime == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                # Uploads are recorded, not stored: no handler reads file contents.
                params[name] = {"filename": part.get_filename(), "size": len(payload)}
            else:
                params[name] = payload.decode("utf-8")
    else:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return {name: _coerce(name, value) for name, value in params.items()}


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------

_CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice",
    "upload_voice", "upload_document", "choose_sticker", "find_location",
    "record_video_note", "upload_video_note",
}
_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)
_INLINE_RESULT_TYPES = {
    "article", "photo", "gif", "mpeg4_gif", "video", "audio", "voice", "document",
    "location", "venue", "contact", "game", "sticker",
}
_SCOPE_TYPES = {
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators",
    "chat", "chat_administrators", "chat_member",
}
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_PRIVATE_KEYS = ("html", "deleted")  # bookkeeping on stored messages, never sent


# --------------------------------------------------------------------------
# Faults and limits
# --------------------------------------------------------------------------

# Where a fault strikes: before the method runs (nothing is delivered) or
# after (the message is delivered and recorded, but the answer is lost).
FAULT_KINDS = {
    "flood": "before",          # 429 with retry_after, for as long as the fault lasts
    "telegram_500": "before",   # Telegram's own {"ok": false, "error_code": 500}
    "proxy_502": "before",      # a proxy's HTML 502: the request never reached the Bot API
    "reset_before": "before",   # the connection is reset before the request is handled
    "reset_after": "after",     # handled and recorded, then the connection is reset
    "timeout_after": "after",   # handled and recorded, then no answer until the client gives up
}
PROXY_502_BODY = b"<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>"


@dataclass
class Fault:
    """One rule of fault injection; see FakeBotApi.fault()."""

    kind: str
    methods: frozenset[str] | None  # None: every method
    until: float | None = None  # monotonic; None: no time limit
    remaining: int | None = None  # faults left; None: no count limit
    rate: float = 1.0
    once_per_message: bool = False
    retry_after: int | None = None  # flood: what each 429 asks for (default: the time left)
    hold: float = 8.0  # timeout_after: seconds before the connection is dropped
    seed: int = 0
    struck: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _decided: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)

    @property
    def active(self) -> bool:
        if self.until is not None and time.monotonic() >= self.until:
            return False
        return self.remaining is None or self.remaining > 0

    def strikes(self, method: str, params: dict) -> bool:
        if not self.active or (self.methods is not None and method not in self.methods):
            return False
        if self.once_per_message:
            # Each message is struck at most once (on its first attempt, if at
            # all), so its retry always gets through.
            key = (method, params.get("chat_id"), params.get("text"), params.get("message_id"))
            if key in self._decided:
                return False
            self._decided[key] = hit = self._rng.random() < self.rate
        else:
            hit = self._rng.random() < self.rate
        if hit:
            self.struck += 1
            if self.remaining is not None:
                self.remaining -= 1
        return hit


# Telegram's published limits, checked on every delivered message with a
# little tolerance for network jitter: 30 a second overall, one a second per
# chat, 20 a minute per group.
MESSAGE_METHOD = re.compile(r"^(send(?!ChatAction)|edit|copy|forward)")


class LimitChecker:
    # Measured where the requests arrive, so network and scheduling jitter
    # count too: a 1-second window may hold a couple over 30.
    GLOBAL_WINDOW, GLOBAL_MAX = 1.0, 32
    CHAT_INTERVAL = 0.9
    GROUP_WINDOW, GROUP_MAX = 59.0, 20

    def __init__(self) -> None:
        self.violations: list[str] = []
        self._recent: deque[float] = deque()
        self._last: dict[Any, float] = {}
        self._group: dict[Any, deque[float]] = {}

    def check(self, method: str, chat_id: Any) -> str | None:
        """The limit this message would break, or None; records it as sent."""
        if chat_id is None or not MESSAGE_METHOD.match(method):
            return None
        now = time.monotonic()
        problem = None
        while self._recent and self._recent[0] <= now - self.GLOBAL_WINDOW:
            self._recent.popleft()
        if len(self._recent) >= self.GLOBAL_MAX:
            problem = f"more than {self.GLOBAL_MAX} messages within {self.GLOBAL_WINDOW} s"
        last = self._last.get(chat_id)
        if last is not None and now - last < self.CHAT_INTERVAL:
            problem = f"two messages to chat {chat_id} {now - last:.3f} s apart"
        if isinstance(chat_id, int) and chat_id < 0:
            sent = self._group.setdefault(chat_id, deque())
            while sent and sent[0] <= now - self.GROUP_WINDOW:
                sent.popleft()
            if len(sent) >= self.GROUP_MAX:
                problem = f"more than {self.GROUP_MAX} messages to group {chat_id} within a minute"
            sent.append(now)
        self._recent.append(now)
        self._last[chat_id] = now
        if problem:
            self.violations.append(f"{method}: {problem}")
        return problem


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects
    timeout = 30  # reap idle keep-alive connections

    def do_POST(self) -> None:
        self.server.api._serve(self)

    do_GET = do_POST

    def setup(self) -> None:
        super().setup()
        self.server.api._connections.add(self.connection)

    def finish(self) -> None:
        self.server.api._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass  # every request is already in FakeBotApi.calls


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A client that vanished (a killed bot, a cancelled long poll) is not news.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FakeBotApi:
    """A Telegram Bot API for one bot, served on 127.0.0.1 at a free port.

    Drive it with send_text / send_sticker / send_photo / press_button /
    inline_query (each queues and returns an update) and observe it through
    ``calls`` (every answered request, in the order answered, so a long poll
    lands when it returns) and ``sent`` (the bot's messages in their current
    state; "html" keeps the raw markup, "deleted" marks deleted ones). Read
    ``sent`` after wait_for() has seen the call that produced what you check.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_id: int = 123456,
        username: str = "docqa_test_bot",
        first_name: str = "DocQA",
    ):
        self.token = token
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.calls: list[Call] = []
        self.sent: list[dict] = []
        self._cond = threading.Condition(threading.RLock())
        self._users: dict[int, dict] = {}
        self._chats: dict[int, dict] = {}
        self._messages: dict[tuple[int, int], dict] = {}
        self._next_message_id: dict[int, int] = {}
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(4_300_000_000_000_000_001)
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._inline_queries: dict[str, bool] = {}
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self._admins: dict[int, list[int]] = {}  # chat id -> administrators' user ids
        self.downloads: list[str] = []  # file paths served, in order
        self._failures: dict[str, list[ApiError]] = {}
        self._faults: list[Fault] = []
        self.fault_log: list[tuple[str, str, dict]] = []  # (method, kind, params) of every fault injected
        self.limits = LimitChecker()
        self.enforce_limits = False  # True: a message over Telegram's limits gets a 429, as in Telegram
        self._released = threading.Event()  # set on stop: held connections let go
        self._webhook: dict[str, Any] = {"url": ""}
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._stopping = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._methods: dict[str, Callable[[dict], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendChatAction": self._send_chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "setMyCommands": self._set_my_commands,
            "getFile": self._get_file,
            "getChatAdministrators": self._get_chat_administrators,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
        }
        # Telegram matches method names case-insensitively.
        self._method_names = {name.lower(): name for name in self._methods}
        self.default_user = self.user(1001, first_name="Alice", username="alice_zh")
        self.private_chat()  # the default user has already started the bot

    # ---- lifecycle -------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("FakeBotApi already started")
        self._stopping = False
        self._released.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
            name="FakeBotApi", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        with self._cond:
            self._stopping = True  # long polls return [] instead of waiting out their timeout
            self._cond.notify_all()
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        # Handler threads idling on keep-alive connections would otherwise
        # linger until their socket timeout.
        for conn in list(self._connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeBotApi is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    @property
    def file_url(self) -> str:
        """TELEGRAM_API_FILE_URL: downloads are GET <file_url><token>/<file_path>."""
        return self.base_url.removesuffix("/bot") + "/file/bot"

    def url(self, method: str) -> str:
        return f"{self.base_url}{self.token}/{method}"

    # ---- people and chats ------------------------------------------------

    def user(
        self,
        user_id: int = 1001,
        *,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict:
        with self._cond:
            known = self._users.get(user_id, {})
            user = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name or known.get("first_name") or f"User{user_id}",
                "language_code": language_code or known.get("language_code") or "zh-hans",
            }
            if username or known.get("username"):
                user["username"] = username or known["username"]
            self._users[user_id] = user
            return dict(user)

    def private_chat(self, user_id: int | None = None, **user_fields: Any) -> dict:
        user = self.user(user_id or self.default_user["id"], **user_fields)
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return self._register_chat(chat)

    def group_chat(
        self, chat_id: int = -1001234567890, *, title: str = "文档问答测试群", is_forum: bool = False
    ) -> dict:
        # Only supergroups (-100… ids) can be forums; a plain group has a short negative id.
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat = {"id": chat_id, "type": kind, "title": title}
        if is_forum:
            chat["is_forum"] = True
        return self._register_chat(chat)

    def _register_chat(self, chat: dict) -> dict:
        with self._cond:
            self._chats[chat["id"]] = dict(chat)
            return dict(chat)

    # ---- driving the bot -------------------------------------------------

    def send_text(
        self,
        text: str,
        *,
        chat: dict | None = None,
        user: dict | None = None,
        reply_to: dict | None = None,
        message_thread_id: int | None = None,
        entities: list | None = None,
        sender_chat: dict | None = None,
    ) -> dict:
        """``sender_chat``: the message was sent on behalf of a chat (an
        anonymous group admin, a channel); ``user`` is then Telegram's bot
        account for that, e.g. {"id": 1087968824, "is_bot": True, ...}."""
        if entities is None:
            entities = detect_entities(text)
        fields: dict[str, Any] = {"text": text}
        if entities:
            fields["entities"] = entities
        if sender_chat is not None:
            fields["sender_chat"] = dict(sender_chat)
        return self._user_message(fields, chat, user, reply_to, message_thread_id)

    def send_sticker(self, *, emoji: str = "👍", chat=None, user=None, reply_to=None,
                     message_thread_id=None) -> dict:
        sticker = {
            "file_id": "CAACAgIAAxkBAAIBZ2ZfakeSticker", "file_unique_id": "AgADfakeSticker",
            "type": "regular", "width": 512, "height": 512,
            "is_animated": False, "is_video": False, "emoji": emoji,
        }
        return self._user_message({"sticker": sticker}, chat, user, reply_to, message_thread_id)

    def send_photo(self, *, caption: str | None = None, chat=None, user=None, reply_to=None,
                   message_thread_id=None) -> dict:
        photo = [
            {"file_id": f"AgACAgIAAxkBAAIBfakePhoto{w}", "file_unique_id": f"AQADfakePhoto{w}",
             "width": w, "height": w * 3 // 4, "file_size": w * 60}
            for w in (90, 320, 800)
        ]
        fields: dict[str, Any] = {"photo": photo}
        if caption:
            fields["caption"] = caption
            if caption_entities := detect_entities(caption):
                fields["caption_entities"] = caption_entities
        return self._user_message(fields, chat, user, reply_to, message_thread_id)

    def send_document(self, content: bytes, file_name: str | None = "document.pdf", *, caption: str | None = None,
                      chat=None, user=None, reply_to=None, message_thread_id=None, mime_type: str | None = None,
                      file_size: int | None = None, sender_chat: dict | None = None) -> dict:
        """A document message whose file the bot can fetch with getFile.
        ``file_size`` overrides the size Telegram reports (to test the 20 MB limit cheaply)."""
        with self._cond:
            number = len(self._files) + 1
            file_id = f"BQACAgIAAxkBAAIfake{number:06d}"
            self._files[file_id] = (f"documents/file_{number}.bin", bytes(content))
        document: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"AgADfake{number:06d}",
                                    "file_size": len(content) if file_size is None else file_size}
        if file_name is not None:
            document["file_name"] = file_name
        if mime_type:
            document["mime_type"] = mime_type
        fields: dict[str, Any] = {"document": document}
        if caption:
            fields["caption"] = caption
            if caption_entities := detect_entities(caption):
                fields["caption_entities"] = caption_entities
        if sender_chat is not None:
            fields["sender_chat"] = dict(sender_chat)
        return self._user_message(fields, chat, user, reply_to, message_thread_id)

    def migrate_group(self, group: dict, supergroup_id: int) -> dict:
        """The service message Telegram sends a group that became a supergroup."""
        return self._user_message({"migrate_to_chat_id": supergroup_id}, group, None, None, None)

    def set_admins(self, chat_id: int, user_ids: list[int]) -> None:
        """Who getChatAdministrators lists for a group (the bot is always added)."""
        with self._cond:
            self._admins[chat_id] = list(user_ids)

    def press_button(self, message: dict, callback_data: str, *, user: dict | None = None,
                     strict: bool = True) -> dict:
        """Queues a callback_query for a bot message's button.

        With strict (the default) the button must be on the message's *current*
        keyboard, because a real client cannot press a button that isn't shown;
        pass strict=False to simulate a stale client.
        """
        with self._cond:
            chat_id = message["chat"]["id"]
            stored = self._messages.get((chat_id, message["message_id"]))
            if stored is None or stored["from"]["id"] != self.bot_user["id"]:
                raise ValueError(f"message {message['message_id']} in chat {chat_id} "
                                 "is not a live message sent by the bot")
            if strict:
                offered = [b.get("callback_data") for row in
                           stored.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
                if callback_data not in offered:
                    raise ValueError(f"no button with callback_data {callback_data!r}; "
                                     f"the message offers {offered}")
            query_id = str(next(self._query_ids))
            self._callback_queries[query_id] = False
            query = {
                "id": query_id,
                "from": user or self._sender_for(stored["chat"]),
                "message": self._public(stored),
                "chat_instance": str(abs(chat_id) * 7919),
                "data": callback_data,
            }
            return self._queue({"callback_query": query})

    def inline_query(self, query: str, *, user: dict | None = None, offset: str = "",
                     chat_type: str = "sender") -> dict:
        with self._cond:
            query_id = str(next(self._query_ids))
            self._inline_queries[query_id] = False
            return self._queue({"inline_query": {
                "id": query_id, "from": user or self.default_user, "query": query,
                "offset": offset, "chat_type": chat_type,
            }})

    def _user_message(self, fields: dict, chat: dict | None, user: dict | None,
                      reply_to: dict | None, message_thread_id: int | None) -> dict:
        with self._cond:
            if user is not None:
                self._users[user["id"]] = dict(user)  # so its private chat carries its name
            if chat is None:
                chat = self.private_chat((user or self.default_user)["id"])
            else:
                chat = self._register_chat(chat)
            message = self._new_message(chat, user or self._sender_for(chat))
            if message_thread_id is not None:
                message["message_thread_id"] = message_thread_id
                message["is_topic_message"] = True
            if reply_to is not None:
                replied = self._messages.get((chat["id"], reply_to["message_id"]), reply_to)
                message["reply_to_message"] = self._quoted(replied)
            message.update(fields)
            self._store(message)
            return self._queue({"message": self._public(message)})

    def _sender_for(self, chat: dict) -> dict:
        if chat["type"] == "private":
            return self.user(chat["id"])
        return dict(self.default_user)

    def _queue(self, payload: dict) -> dict:
        update = {"update_id": next(self._update_ids), **payload}
        self._updates.append(update)
        self._cond.notify_all()
        return copy.deepcopy(update)

    @property
    def pending_updates(self) -> list[dict]:
        """Updates queued but not yet confirmed by a getUpdates offset."""
        with self._cond:
            return copy.deepcopy(self._updates)

    # ---- observing -------------------------------------------------------

    def mark(self) -> int:
        """The index the next call will get; pass it as ``after=``."""
        with self._cond:
            return len(self.calls)

    def wait_for(self, method: str, predicate: Callable[[Call], bool] = lambda call: True, *,
                 timeout: float = 10.0, after: int = 0) -> Call:
        """The first successful call to method at index >= after that satisfies predicate."""
        method = self._canonical(method)
        deadline = time.monotonic() + timeout
        index = after
        while new := self._calls_until(index, deadline):
            for call in new:
                if call.method == method and call.ok and predicate(call):
                    return call
            index += len(new)
        raise AssertionError(f"no successful {method} matching the predicate within {timeout}s; "
                             f"calls since #{after}:\n" + self._describe_calls(after))

    def assert_no_call(self, method: str, *, within: float, after: int = 0,
                       predicate: Callable[[Call], bool] = lambda call: True) -> None:
        """Fails as soon as any call (successful or not) to method shows up."""
        method = self._canonical(method)
        deadline = time.monotonic() + within
        index = after
        while new := self._calls_until(index, deadline):
            for call in new:
                if call.method == method and predicate(call):
                    raise AssertionError(f"unexpected {call}; calls since #{after}:\n"
                                         + self._describe_calls(after))
            index += len(new)

    def wait_idle(self, *, quiet: float = 0.3, timeout: float = 10.0,
                  ignore: tuple[str, ...] = ("getUpdates",)) -> int:
        """Waits until no calls except ``ignore`` arrive for ``quiet`` seconds; returns mark()."""
        deadline = time.monotonic() + timeout
        while True:
            index = self.mark()
            quiet_until = time.monotonic() + quiet
            while new := self._calls_until(index, quiet_until):
                if any(call.method not in ignore for call in new):
                    break
                index += len(new)
            else:
                return self.mark()
            if time.monotonic() > deadline:
                raise AssertionError(f"bot still busy after {timeout}s:\n"
                                     + self._describe_calls(index))

    def _calls_until(self, index: int, deadline: float) -> list[Call]:
        """Calls from index on, waiting for one until deadline; [] if none came.

        Predicates run on the returned copy, outside the lock, so one that
        itself talks to the server cannot deadlock a handler thread.
        """
        with self._cond:
            while len(self.calls) <= index:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)
            return self.calls[index:]

    def _describe_calls(self, after: int) -> str:
        # Empty long polls are noise; count them instead of listing them.
        lines, empty_polls = [], 0
        for index, call in enumerate(self.calls[after:], start=after):
            if call.method == "getUpdates" and call.ok and not call.result:
                empty_polls += 1
            else:
                lines.append(f"  #{index} {call}")
        lines.append(f"  (+{empty_polls} empty getUpdates)")
        return "\n".join(lines)

    def _canonical(self, method: str) -> str:
        try:
            return self._method_names[method.lower()]
        except KeyError:
            raise ValueError(f"FakeBotApi does not implement {method!r}") from None

    # ---- fault injection -------------------------------------------------

    def fail_next(self, method: str, *, status: int = 429, retry_after: int | None = 1,
                  description: str | None = None, count: int = 1) -> None:
        if description is None:
            description = {
                429: "Too Many Requests"
                + (f": retry after {retry_after}" if retry_after is not None else ""),
                400: "Bad Request",
                403: "Forbidden: bot was blocked by the user",
                409: "Conflict",
                502: "Bad Gateway",
            }.get(status) or HTTPStatus(status).phrase
        # PTB raises RetryAfter only for a truthy retry_after in parameters.
        parameters = {"retry_after": retry_after} if status == 429 and retry_after is not None else None
        with self._cond:
            queue = self._failures.setdefault(self._canonical(method), [])
            queue.extend(ApiError(status, description, parameters) for _ in range(count))

    def fault(self, kind: str, method: str | tuple[str, ...] | None = "sendMessage", *,
              seconds: float | None = None, count: int | None = None, rate: float = 1.0,
              once_per_message: bool = False, retry_after: int | None = None,
              hold: float = 8.0, seed: int = 0) -> Fault:
        """Injects a fault (FAULT_KINDS) into calls of ``method`` (a name, a
        tuple of names, or None for every method) until ``seconds`` have
        passed and/or ``count`` calls were struck, striking each call with
        probability ``rate``. ``once_per_message`` strikes a given message
        (chat and text) at most once. Returns the rule; ``clear_faults`` ends it."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
        if seconds is None and count is None:
            raise ValueError("a fault needs seconds= or count=, or it would never end")
        methods = None if method is None else frozenset(
            self._canonical(m) for m in ((method,) if isinstance(method, str) else method))
        rule = Fault(kind, methods, until=None if seconds is None else time.monotonic() + seconds,
                     remaining=count, rate=rate, once_per_message=once_per_message,
                     retry_after=retry_after, hold=hold, seed=seed)
        with self._cond:
            self._faults.append(rule)
        return rule

    def flood(self, seconds: float, *, method: str | tuple[str, ...] | None = "sendMessage",
              retry_after: int | None = None) -> Fault:
        """Telegram's flood control for ``seconds``: every call gets a 429
        asking to retry after ``retry_after`` (default: the time left)."""
        return self.fault("flood", method, seconds=seconds, retry_after=retry_after)

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()

    @property
    def limit_violations(self) -> list[str]:
        with self._cond:
            return list(self.limits.violations)

    def _strike(self, method: str, params: dict) -> Fault | None:
        self._faults = [rule for rule in self._faults if rule.active]
        for rule in self._faults:
            if rule.strikes(method, params):
                self.fault_log.append((method, rule.kind, copy.deepcopy(params)))
                return rule
        return None

    @staticmethod
    def _reset(handler: BaseHTTPRequestHandler) -> None:
        """Drops the connection with a TCP reset, answering nothing."""
        handler.close_connection = True
        connection = handler.connection
        try:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.rfile.close()  # the last other reference, so close() really closes
            connection.close()
        except OSError:
            pass

    # ---- HTTP plumbing ---------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        if url.path.startswith("/file/bot"):
            self._serve_file(handler, url.path)
            return
        match = re.fullmatch(r"/bot([^/]*)/([A-Za-z0-9_]+)", url.path)
        method, params = (match.group(2) if match else url.path), {}
        try:
            body = self._read_body(handler)  # always drain it: the connection is reused
        except (OSError, ValueError):
            handler.close_connection = True  # the client vanished mid-request; nothing to answer
            return
        fault = None
        content_type = "application/json"
        with self._cond:
            # State change and record happen atomically, and before the reply:
            # a client holding its answer can rely on seeing the call, and
            # calls are ordered by answer time.
            try:
                if not match:
                    raise ApiError(404, "Not Found")
                if match.group(1) != self.token:
                    raise ApiError(401, "Unauthorized")
                method = self._method_names.get(method.lower(), method)
                if method not in self._methods:
                    raise ApiError(404, "Not Found")
                params = decode_params(handler.headers.get("Content-Type", ""), body, url.query)
                if self._failures.get(method):
                    raise self._failures[method].pop(0)
                fault = self._strike(method, params)
                if fault is not None and fault.kind == "reset_before":
                    self._cond.notify_all()
                    self._reset(handler)  # never reached the Bot API: no call recorded
                    return
                if fault is not None and fault.kind == "flood":
                    if fault.retry_after:
                        wait = fault.retry_after
                    elif fault.until is not None:
                        wait = max(1, math.ceil(fault.until - time.monotonic()))
                    else:
                        wait = 1
                    raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
                if fault is not None and fault.kind == "telegram_500":
                    raise ApiError(500, "Internal Server Error")
                if fault is not None and fault.kind == "proxy_502":
                    raise ApiError(502, "proxy: Bad Gateway")
                over = self.limits.check(method, params.get("chat_id")) if method != "getUpdates" else None
                if over and self.enforce_limits:
                    raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
                status, response = 200, {"ok": True, "result": self._methods[method](params)}
            except ApiError as error:
                status, response = error.status, error.body()
            except Exception:  # noqa: BLE001 - a bug in the fake must fail the test, not hang it
                status = 500
                response = {"ok": False, "error_code": 500,
                            "description": "FakeBotApi crashed:\n" + traceback.format_exc()}
            try:
                payload = json.dumps(response, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: Telegram sends it \u-escaped
                payload = json.dumps(response).encode("utf-8")
            self.calls.append(Call(method, copy.deepcopy(params), status, json.loads(payload)))
            self._cond.notify_all()
        if fault is not None and fault.kind == "proxy_502":
            payload, content_type = PROXY_502_BODY, "text/html"
        if fault is not None and fault.kind == "reset_after":
            self._reset(handler)  # delivered, but the bot never hears so
            return
        if fault is not None and fault.kind == "timeout_after":
            self._released.wait(fault.hold)  # longer than the client waits for an answer
            self._reset(handler)
            return
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the client gave up (e.g. PTB cancelled a long poll on shutdown)

    def _serve_file(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        """GET /file/bot<token>/<file_path>, as Telegram's file server answers it."""
        match = re.fullmatch(r"/file/bot([^/]*)/(.+)", unquote(path))  # PTB percent-encodes the token's colon
        with self._cond:
            content = None
            if match and match.group(1) == self.token:
                content = next((data for file_path, data in self._files.values() if file_path == match.group(2)), None)
                if content is not None:
                    self.downloads.append(match.group(2))
        status = 200 if content is not None else (401 if match and match.group(1) != self.token else 404)
        body = content if content is not None else b'{"ok":false,"error_code":404,"description":"Not Found"}'
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/octet-stream")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass

    @staticmethod
    def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
        if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(handler.rfile.readline().split(b";")[0], 16):
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
            while handler.rfile.readline().strip():
                pass  # trailers
            return b"".join(chunks)
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    # ---- shared validation ----------------------------------------------

    def _chat(self, params: dict) -> dict:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):  # "@username"
            chat = next((c for c in self._chats.values()
                         if "@" + c.get("username", "") == chat_id), None)
        else:
            chat = self._chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _message_id(self, params: dict) -> int:
        if "message_id" not in params:
            raise bad_request("message identifier is not specified")
        return params["message_id"]

    def _formatted_text(self, params: dict, field: str = "text") -> tuple[str, list, str | None]:
        """(plain text, entities, raw HTML or None), validated as Telegram does."""
        text = params.get(field)
        if not isinstance(text, str) or not text:
            raise bad_request("message text is empty")
        parse_mode = (params.get("parse_mode") or "").lower()
        html = None
        if params.get("entities") is not None:  # explicit entities win over parse_mode
            entities = params["entities"]
            if not isinstance(entities, list):
                raise bad_request("can't parse entities JSON object")
        elif parse_mode == "html":
            try:
                text, entities = parse_html(text)
            except ValueError as error:
                raise bad_request(f"can't parse entities: {error}") from None
            html = params[field]
        elif parse_mode in ("markdown", "markdownv2"):
            raise bad_request(f"FakeBotApi implements only parse_mode HTML, not {parse_mode!r}")
        elif parse_mode:
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        else:
            entities = []
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_UTF16:
            raise bad_request("message is too long")
        return text, entities, html

    def _reply_markup(self, markup: Any, *, inline_only: bool = False) -> dict | None:
        """The inline keyboard to store on the message (None for none)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if not inline_only and ({"keyboard", "remove_keyboard", "force_reply"} & markup.keys()):
                return None  # reply keyboards are not part of the Message object
            raise bad_request("can't parse reply keyboard markup JSON object")
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse inline keyboard button: "
                              "Field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
        for button in (b for row in rows for b in row):
            if not isinstance(button, dict):
                raise bad_request("can't parse inline keyboard button: "
                                  "InlineKeyboardButton must be an Object")
            if not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: "
                                  "Field \"text\" must be of type String")
            actions = [field for field in _BUTTON_ACTIONS if field in button]
            if not actions:
                raise bad_request("can't parse inline keyboard button: "
                                  "Text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise bad_request("can't parse inline keyboard button: exactly one of the "
                                  f"optional fields must be used, got {actions}")
            data = button.get("callback_data")
            if "callback_data" in button and not (
                isinstance(data, str) and 1 <= len(data.encode("utf-8")) <= 64
            ):
                raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(?i)(https?|tg)://\S", str(button["url"])):
                raise bad_request("BUTTON_URL_INVALID")
        # An empty keyboard is how Telegram removes one.
        return {"inline_keyboard": rows} if any(rows) else None

    def _new_message(self, chat: dict, sender: dict) -> dict:
        message_id = self._next_message_id.get(chat["id"], 1)
        self._next_message_id[chat["id"]] = message_id + 1
        return {"message_id": message_id, "from": dict(sender), "chat": dict(chat),
                "date": int(time.time())}

    def _store(self, message: dict) -> None:
        self._messages[(message["chat"]["id"], message["message_id"])] = message

    @staticmethod
    def _public(message: dict) -> dict:
        return copy.deepcopy({k: v for k, v in message.items() if k not in _PRIVATE_KEYS})

    def _quoted(self, message: dict) -> dict:
        # Telegram nests replied-to messages only one level deep.
        quoted = self._public(message)
        quoted.pop("reply_to_message", None)
        return quoted

    def _bot_message(self, params: dict) -> dict:
        chat = self._chat(params)
        message = self._messages.get((chat["id"], self._message_id(params)))
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    # ---- methods ---------------------------------------------------------

    def _get_me(self, params: dict) -> dict:
        return dict(self.bot_user)

    def _get_file(self, params: dict) -> dict:
        file_id = params.get("file_id")
        if file_id not in self._files:
            raise bad_request("invalid file_id")
        file_path, content = self._files[file_id]
        if len(content) > 20 * 1024 * 1024:
            raise bad_request("file is too big")
        return {"file_id": file_id, "file_unique_id": f"u{file_id[-8:]}", "file_size": len(content),
                "file_path": file_path}

    def _get_chat_administrators(self, params: dict) -> list[dict]:
        chat = self._chat(params)
        if chat["type"] == "private":
            raise bad_request("there are no administrators in the private chat")
        members = [{"status": "administrator", "user": dict(self.bot_user), "can_be_edited": False,
                    "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
                    "can_manage_video_chats": True, "can_restrict_members": True, "can_promote_members": False,
                    "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
                    "can_edit_stories": False, "can_delete_stories": False}]
        for number, user_id in enumerate(self._admins.get(chat["id"], [])):
            members.append({"status": "creator" if number == 0 else "administrator",
                            "user": self.user(user_id), "is_anonymous": False}
                           | ({} if number == 0 else {k: v for k, v in members[0].items()
                                                       if k.startswith("can_")}))
        return members

    def _get_updates(self, params: dict) -> list[dict]:
        if self._webhook["url"]:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        if params.get("allowed_updates") is not None:
            self._allowed_updates = params["allowed_updates"]  # sticky, as in Telegram
        offset = params.get("offset") or 0
        limit = min(max(params.get("limit") or 100, 1), 100)
        timeout = max(params.get("timeout") or 0, 0)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while not self._deliverable() and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._cond.wait(remaining)
            if generation != self._poll_generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                    "make sure that only one bot instance is running")
        return copy.deepcopy(self._updates[:limit])

    def _deliverable(self) -> list[dict]:
        # Telegram never delivers update types the bot did not ask for, so a
        # handler the bot forgot in allowed_updates silently never fires here too.
        allowed = set(self._allowed_updates)
        opt_in = {"chat_member", "message_reaction", "message_reaction_count"}

        def wanted(update: dict) -> bool:
            kind = next(key for key in update if key != "update_id")
            return kind in allowed if allowed else kind not in opt_in

        self._updates = [update for update in self._updates if wanted(update)]
        return self._updates

    def _set_webhook(self, params: dict) -> bool:
        self._webhook = {k: v for k, v in params.items() if k != "certificate"}
        self._webhook.setdefault("url", "")
        return True

    def _delete_webhook(self, params: dict) -> bool:
        self._webhook = {"url": ""}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict) -> dict:
        return {"url": self._webhook["url"], "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    def _send_message(self, params: dict) -> dict:
        chat = self._chat(params)
        text, entities, html = self._formatted_text(params)
        markup = self._reply_markup(params.get("reply_markup"))
        replied = self._replied_message(chat, params)
        message = self._new_message(chat, {k: self.bot_user[k] for k in
                                           ("id", "is_bot", "first_name", "username")})
        if params.get("message_thread_id") is not None:
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        if replied is not None:
            message["reply_to_message"] = self._quoted(replied)
        message["text"] = text
        if entities:
            message["entities"] = entities
        if params.get("link_preview_options") is not None:
            message["link_preview_options"] = params["link_preview_options"]
        if markup:
            message["reply_markup"] = markup
        message["html"] = html
        self._store(message)
        self.sent.append(message)
        return self._public(message)

    def _replied_message(self, chat: dict, params: dict) -> dict | None:
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id") is not None:
            reply = {"message_id": params["reply_to_message_id"],
                     "allow_sending_without_reply": params.get("allow_sending_without_reply")}
        if reply is None:
            return None
        if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
            raise bad_request("can't parse reply parameters JSON object")
        target_chat = chat
        if reply.get("chat_id") not in (None, chat["id"]):  # replies may quote another chat
            target_chat = self._chat({"chat_id": reply["chat_id"]})
        replied = self._messages.get((target_chat["id"], reply["message_id"]))
        if replied is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return replied

    def _edit_message_text(self, params: dict) -> dict | bool:
        if params.get("inline_message_id"):
            # The fake never hands out inline messages; just validate and accept.
            self._formatted_text(params)
            self._reply_markup(params.get("reply_markup"), inline_only=True)
            return True
        message = self._bot_message(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities, html = self._formatted_text(params)
        markup = self._reply_markup(params.get("reply_markup"), inline_only=True)
        if (text, entities, markup) == (message["text"], message.get("entities", []),
                                        message.get("reply_markup")):
            raise bad_request(NOT_MODIFIED)
        message["text"], message["html"] = text, html
        self._set_optional(message, "entities", entities)
        self._set_optional(message, "reply_markup", markup)  # omitting it removes the keyboard
        if params.get("link_preview_options") is not None:
            message["link_preview_options"] = params["link_preview_options"]
        message["edit_date"] = int(time.time())
        return self._public(message)

    def _edit_message_reply_markup(self, params: dict) -> dict | bool:
        if params.get("inline_message_id"):
            self._reply_markup(params.get("reply_markup"), inline_only=True)
            return True
        message = self._bot_message(params)
        markup = self._reply_markup(params.get("reply_markup"), inline_only=True)
        if markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return self._public(message)

    @staticmethod
    def _set_optional(message: dict, key: str, value: Any) -> None:
        if value:
            message[key] = value
        else:
            message.pop(key, None)

    def _delete_message(self, params: dict) -> bool:
        chat = self._chat(params)
        message = self._messages.pop((chat["id"], self._message_id(params)), None)
        if message is None:
            raise bad_request("message to delete not found")
        message["deleted"] = True  # stays in `sent` so tests can see it was deleted
        return True

    def _send_chat_action(self, params: dict) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _answer_callback_query(self, params: dict) -> bool:
        query_id = params.get("callback_query_id")
        if self._callback_queries.get(query_id, True):  # unknown or already answered
            raise bad_request(QUERY_TOO_OLD)
        if len(params.get("text") or "") > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        return True

    def _answer_inline_query(self, params: dict) -> bool:
        query_id = params.get("inline_query_id")
        if self._inline_queries.get(query_id, True):
            raise bad_request(QUERY_TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list):
            raise bad_request("can't parse results JSON object")
        if len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or result.get("type") not in _INLINE_RESULT_TYPES:
                raise bad_request("RESULT_TYPE_INVALID")
            result_id = result.get("id")
            if not isinstance(result_id, str) or not 1 <= len(result_id.encode("utf-8")) <= 64:
                raise bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            self._reply_markup(result.get("reply_markup"), inline_only=True)
            if result["type"] == "article":
                if not isinstance(result.get("title"), str) or not result["title"]:
                    raise bad_request("can't parse InlineQueryResult: "
                                      "Field \"title\" must be of type String")
                content = result.get("input_message_content")
                if not isinstance(content, dict):
                    raise bad_request("can't parse InlineQueryResult: "
                                      "Field \"input_message_content\" must be of type Object")
                self._formatted_text(content, "message_text")
        self._inline_queries[query_id] = True
        return True

    def _commands_key(self, params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    def _set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: dict) -> list[dict]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: dict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True
