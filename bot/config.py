"""The bot's whole configuration: one object, read from the environment and `.env`.

Every key is documented in `.env.example`. A bad value stops the bot at
start with a message naming the key, never later in the middle of a chat.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.libraries.quotas import Quotas
from retrieval.index.corpus import default_corpus_paths

# BotFather's tokens: the bot's numeric id, a colon, then 35 URL-safe characters.
TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,64}$")
TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE_API = "https://api.telegram.org/file/bot"


class ConfigError(Exception):
    """A configuration value that cannot work; the message names the key."""


IdList = Annotated[frozenset[int], NoDecode]
PathList = Annotated[list[Path], NoDecode]
UrlList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = ""
    telegram_api_base_url: str = TELEGRAM_API
    telegram_api_file_url: str = TELEGRAM_FILE_API
    # A local Bot API server started with --local: downloads have no 20 MB limit.
    telegram_local_mode: bool = False
    corpus_paths: PathList = Field(default_factory=lambda: [Path(p) for p in default_corpus_paths()])
    index_dir: Path = Path(".index")
    state_path: Path = Path("state/bot.sqlite3")
    admin_user_ids: IdList = frozenset()
    allowed_chat_ids: IdList = frozenset()  # empty: every chat may use the bot
    # Chats' own libraries: uploaded originals and their indexes, per chat.
    data_dir: Path = Path("data")
    library_uploads: Literal["admins", "members", "off"] = "admins"
    library_max_documents: int = Field(50, ge=1)
    library_max_mb: float = Field(200.0, gt=0)
    upload_max_mb: float = Field(20.0, gt=0)
    upload_max_pages: int = Field(1000, ge=1)
    # Where the shared corpus is searched: the embedded index, or a SolrCloud
    # collection filled by `python -m retrieval index --backend solr`.
    search_backend: Literal["local", "solr"] = "local"
    solr_url: UrlList = Field(default_factory=list)  # one or several node URLs, e.g. http://solr1:8983/solr
    solr_collection: str = ""
    solr_user: str = ""
    solr_password: SecretStr = SecretStr("")
    solr_timeout: float = Field(5.0, gt=0, le=120)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    bot_language: Literal["zh", "en"] = "zh"
    # A private chat's follow-up context lapses after this many seconds of
    # silence; 0 reads every question on its own.
    followup_seconds: float = Field(300.0, ge=0)
    webhook_url: str = ""  # set it to receive updates by webhook instead of long polling
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_secret_token: str = ""
    # How long one reply keeps being tried (flood waits, outages) before the bot gives up and apologises.
    send_retry_seconds: float = Field(600.0, ge=1, le=24 * 3600)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        value = value.strip()
        # Never echo the value: a malformed token may still be a real secret.
        if value and not TOKEN_PATTERN.match(value):
            raise ValueError("not a bot token; BotFather gives one like 123456789:AAH…(35 characters)")
        return value

    @field_validator("telegram_api_base_url", "telegram_api_file_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("corpus_paths", mode="before")
    @classmethod
    def _split_paths(cls, value):
        if isinstance(value, str):
            value = [part.strip() for part in re.split(r"[,\n]", value) if part.strip()]
            if not value:
                raise ValueError("empty; leave the key out to use the bundled corpus")
        return value

    @field_validator("corpus_paths")
    @classmethod
    def _paths_exist(cls, value: list[Path]) -> list[Path]:
        missing = [str(p) for p in value if not p.exists()]
        if missing:
            raise ValueError(f"no such file or folder: {', '.join(missing)}")
        return value

    @field_validator("solr_url", mode="before")
    @classmethod
    def _split_urls(cls, value):
        if isinstance(value, str):
            value = [part.strip() for part in re.split(r"[,\s]+", value) if part.strip()]
        bad = [u for u in value if not re.match(r"^https?://[^\s/]+", u)]
        if bad:
            raise ValueError(f"not http(s) URLs: {', '.join(bad)} (write them comma-separated, like http://solr1:8983/solr)")
        return [u.rstrip("/") for u in value]

    @field_validator("admin_user_ids", "allowed_chat_ids", mode="before")
    @classmethod
    def _split_ids(cls, value):
        if isinstance(value, str):
            parts = [part.strip() for part in re.split(r"[,\s]+", value) if part.strip()]
            bad = [p for p in parts if not re.fullmatch(r"-?\d+", p)]
            if bad:
                raise ValueError(f"not numeric ids: {', '.join(bad)} (write them comma-separated, like 12345,-1001234)")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("log_level", "bot_language", "library_uploads", "search_backend", mode="before")
    @classmethod
    def _case_insensitive(cls, value):
        if not isinstance(value, str):
            return value
        value = value.strip()
        return value.lower() if value.lower() in {"zh", "en", "admins", "members", "off", "local", "solr"} else value.upper()

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret_shape(cls, value: str) -> str:
        # Telegram's own rule for secret_token.
        if value and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - only")
        return value

    @model_validator(mode="after")
    def _solr_needs_where(self) -> "Settings":
        if self.search_backend == "solr":
            if not self.solr_url:
                raise ValueError("SOLR_URL: SEARCH_BACKEND=solr needs at least one Solr node URL")
            if not self.solr_collection:
                raise ValueError("SOLR_COLLECTION: SEARCH_BACKEND=solr needs the collection's name")
        return self

    @property
    def solr_auth(self) -> tuple[str, str] | None:
        return (self.solr_user, self.solr_password.get_secret_value()) if self.solr_user else None

    @model_validator(mode="after")
    def _webhook_needs_https(self) -> "Settings":
        if self.webhook_url and not self.webhook_url.startswith("https://"):
            raise ValueError("WEBHOOK_URL: Telegram only delivers webhooks to https:// URLs")
        return self

    @property
    def has_token(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def quotas(self) -> Quotas:
        return Quotas(
            documents_per_chat=self.library_max_documents,
            mb_per_chat=self.library_max_mb,
            mb_per_file=self.upload_max_mb,
            pages_per_file=self.upload_max_pages,
        )

    @property
    def uses_webhook(self) -> bool:
        return bool(self.webhook_url)

    def chat_allowed(self, chat_id: int | None) -> bool:
        return not self.allowed_chat_ids or chat_id in self.allowed_chat_ids


def load_settings(**overrides) -> Settings:
    """Settings from the environment and `.env`; ConfigError names the bad key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        key = "_".join(str(part) for part in error["loc"]).upper()
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{key}: {message}" if key else message)
    return "configuration error: " + "; ".join(lines)
