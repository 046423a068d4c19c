"""bot.config: defaults, the environment, `.env`, and a ConfigError naming the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import TELEGRAM_API, ConfigError, Settings, load_settings
from retrieval.index.corpus import CORPUS_ENV, bundled_corpus_dir

REPO = Path(__file__).resolve().parent.parent
GOOD_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"
KEYS = [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Neither a developer's real environment nor their `.env` reaches these tests."""
    for key in [*KEYS, CORPUS_ENV]:
        monkeypatch.delenv(key, raising=False)
        monkeypatch.delenv(key.lower(), raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def config_error(**env_or_overrides) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None, **env_or_overrides)
    return str(info.value)


# ----------------------------------------------------------------- defaults


def test_defaults_point_at_telegram_in_chinese_over_the_bundled_corpus():
    settings = load_settings()  # cwd is an empty tmp dir: no .env
    assert settings.telegram_api_base_url == TELEGRAM_API == "https://api.telegram.org/bot"
    assert settings.bot_language == "zh"
    assert settings.log_level == "INFO"
    assert settings.corpus_paths == [bundled_corpus_dir()]
    assert all(p.exists() for p in settings.corpus_paths)
    assert settings.telegram_bot_token == "" and not settings.has_token
    assert not settings.uses_webhook
    assert settings.admin_user_ids == frozenset() and settings.allowed_chat_ids == frozenset()
    assert settings.webhook_port == 8443


# ----------------------------------------------------------------- sources


def test_values_are_read_from_the_environment(monkeypatch, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", f"  {GOOD_TOKEN}\n")
    monkeypatch.setenv("CORPUS_PATHS", f"{docs}, {bundled_corpus_dir()}")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    monkeypatch.setenv("WEBHOOK_PORT", "8080")
    monkeypatch.setenv("WEBHOOK_SECRET_TOKEN", "s3cret_-X")
    monkeypatch.setenv("STATE_PATH", str(tmp_path / "s.sqlite3"))

    settings = load_settings()

    assert settings.telegram_bot_token == GOOD_TOKEN  # whitespace stripped
    assert settings.has_token
    assert settings.corpus_paths == [docs, bundled_corpus_dir()]
    assert settings.uses_webhook and settings.webhook_url == "https://bot.example.org/telegram"
    assert settings.webhook_port == 8080
    assert settings.webhook_secret_token == "s3cret_-X"
    assert settings.state_path == tmp_path / "s.sqlite3"


def test_values_are_read_from_a_dotenv_file_in_the_working_directory(tmp_path):
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={GOOD_TOKEN}\nBOT_LANGUAGE=en\nADMIN_USER_IDS=7,8\nLOG_LEVEL=warning\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.telegram_bot_token == GOOD_TOKEN
    assert settings.bot_language == "en"
    assert settings.admin_user_ids == frozenset({7, 8})
    assert settings.log_level == "WARNING"


def test_the_environment_wins_over_the_dotenv_file(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("BOT_LANGUAGE=en\nLOG_LEVEL=ERROR\n", encoding="utf-8")
    monkeypatch.setenv("BOT_LANGUAGE", "zh")
    settings = load_settings()
    assert settings.bot_language == "zh"
    assert settings.log_level == "ERROR"  # still read from the file


def test_the_documented_env_example_loads_as_is(tmp_path):
    shutil.copy(REPO / ".env.example", tmp_path / ".env")
    settings = load_settings()
    assert settings.telegram_api_base_url == TELEGRAM_API
    assert not settings.has_token and not settings.uses_webhook
    assert settings.admin_user_ids == frozenset() and settings.allowed_chat_ids == frozenset()


def test_env_file_none_ignores_a_dotenv_file(tmp_path):
    (tmp_path / ".env").write_text("BOT_LANGUAGE=en\n", encoding="utf-8")
    assert Settings(_env_file=None).bot_language == "zh"
    assert Settings().bot_language == "en"


# ----------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345", {12345}),
        ("12345,-1001234567890", {12345, -1001234567890}),
        (" 1 , -2 ,3 ", {1, -2, 3}),
        ("1,,2,", {1, 2}),
        ("", set()),
    ],
)
def test_id_lists_are_comma_separated_with_negative_group_ids(monkeypatch, raw, expected):
    monkeypatch.setenv("ADMIN_USER_IDS", raw)
    monkeypatch.setenv("ALLOWED_CHAT_IDS", raw)
    settings = load_settings()
    assert settings.admin_user_ids == frozenset(expected)
    assert settings.allowed_chat_ids == frozenset(expected)


@pytest.mark.parametrize(
    ("level", "language", "expected"),
    [("debug", "EN", ("DEBUG", "en")), ("Warning", " zh ", ("WARNING", "zh")), (" error ", "En", ("ERROR", "en"))],
)
def test_log_level_and_language_are_case_insensitive(monkeypatch, level, language, expected):
    monkeypatch.setenv("LOG_LEVEL", level)
    monkeypatch.setenv("BOT_LANGUAGE", language)
    settings = load_settings()
    assert (settings.log_level, settings.bot_language) == expected


# ----------------------------------------------------------------- misconfiguration


@pytest.mark.parametrize(
    "bad_token",
    [
        "12345:short-SECRETPART",  # too short after the colon
        "not-a-token-SECRETPART-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  # no id
        "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq SECRETPART",  # a space inside
        "bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawqSECRETPART",  # pasted with the URL's prefix
    ],
)
def test_a_malformed_token_names_the_key_and_never_echoes_the_value(monkeypatch, bad_token):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", bad_token)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "TELEGRAM_BOT_TOKEN" in message
    assert "SECRETPART" not in message
    assert bad_token.strip() not in message


def test_a_malformed_token_in_a_dotenv_file_is_not_echoed_either(tmp_path):
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=98765:leakedSECRET\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "TELEGRAM_BOT_TOKEN" in str(info.value)
    assert "leakedSECRET" not in str(info.value)


def test_a_missing_corpus_path_is_named(tmp_path):
    missing = tmp_path / "no-such-folder"
    message = config_error(corpus_paths=f"{bundled_corpus_dir()},{missing}")
    assert "CORPUS_PATHS" in message
    assert str(missing) in message
    assert str(bundled_corpus_dir()) not in message  # only the missing one


def test_an_empty_corpus_paths_value_is_an_error_not_the_default(monkeypatch):
    monkeypatch.setenv("CORPUS_PATHS", " , ")
    with pytest.raises(ConfigError, match="CORPUS_PATHS"):
        load_settings()


@pytest.mark.parametrize("key", ["ADMIN_USER_IDS", "ALLOWED_CHAT_IDS"])
@pytest.mark.parametrize("raw", ["12a", "1,two,3", "1;2", "@channel", "-"])
def test_non_numeric_ids_name_the_key(monkeypatch, key, raw):
    monkeypatch.setenv(key, raw)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert key in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"webhook_url": "http://bot.example.org/hook"}, "WEBHOOK_URL"),
        ({"webhook_url": "bot.example.org/hook"}, "WEBHOOK_URL"),
        ({"webhook_secret_token": "has spaces in it"}, "WEBHOOK_SECRET_TOKEN"),
        ({"webhook_secret_token": "ü-umlaut"}, "WEBHOOK_SECRET_TOKEN"),
        ({"webhook_secret_token": "x" * 257}, "WEBHOOK_SECRET_TOKEN"),
        ({"telegram_api_base_url": "localhost:8081/bot"}, "TELEGRAM_API_BASE_URL"),
        ({"telegram_api_base_url": "ftp://api.telegram.org/bot"}, "TELEGRAM_API_BASE_URL"),
        ({"bot_language": "fr"}, "BOT_LANGUAGE"),
        ({"log_level": "verbose"}, "LOG_LEVEL"),
        ({"webhook_port": 0}, "WEBHOOK_PORT"),
        ({"webhook_port": 70000}, "WEBHOOK_PORT"),
    ],
)
def test_each_misconfiguration_names_its_key(overrides, key):
    message = config_error(**overrides)
    assert key in message
    assert message.startswith("configuration error")


def test_a_misconfiguration_from_the_environment_names_its_key(monkeypatch):
    monkeypatch.setenv("WEBHOOK_URL", "http://bot.example.org/hook")
    with pytest.raises(ConfigError, match="WEBHOOK_URL.*https://"):
        load_settings()


def test_several_bad_keys_are_all_named():
    message = config_error(bot_language="fr", admin_user_ids="x")
    assert "BOT_LANGUAGE" in message and "ADMIN_USER_IDS" in message


def test_valid_edge_values_are_accepted():
    settings = load_settings(
        _env_file=None,
        webhook_secret_token="A" * 256,
        telegram_api_base_url="http://127.0.0.1:8081/bot",
        webhook_port=65535,
    )
    assert settings.webhook_secret_token == "A" * 256
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.webhook_port == 65535


# ----------------------------------------------------------------- chat_allowed


def test_an_empty_allow_list_allows_every_chat():
    settings = Settings(_env_file=None)
    assert settings.chat_allowed(1001)
    assert settings.chat_allowed(-1001234567890)
    assert settings.chat_allowed(None)


def test_a_set_allow_list_allows_only_its_chats(monkeypatch):
    monkeypatch.setenv("ALLOWED_CHAT_IDS", "1001, -1009")
    settings = load_settings()
    assert settings.chat_allowed(1001)
    assert settings.chat_allowed(-1009)
    assert not settings.chat_allowed(1009)  # the sign matters
    assert not settings.chat_allowed(2002)
    assert not settings.chat_allowed(None)
