"""The cached copy of jieba's dictionary must be jieba's dictionary exactly."""

import os
import subprocess
import sys

import jieba
import jieba.posseg
import pytest

from retrieval.index import dictionary


@pytest.fixture
def cache_in(tmp_path, monkeypatch):
    monkeypatch.setenv(dictionary.CACHE_DIR_ENV, str(tmp_path))
    dictionary.load.cache_clear()
    yield tmp_path
    dictionary.load.cache_clear()


@pytest.fixture(scope="module")
def jieba_own():
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer.FREQ, tokenizer.total, jieba.posseg.dt.word_tag_tab


def test_cached_dictionary_equals_jiebas(cache_in, jieba_own):
    freq, total, tags = jieba_own
    built = dictionary.load()
    assert dictionary.cache_path().exists()
    dictionary.load.cache_clear()
    cached = dictionary.load()
    assert cached is not built  # really read back from the file
    assert cached.frequencies == freq
    assert cached.total == total
    assert cached.name_words == {w for w, t in tags.items() if t in dictionary.NAME_TAGS}
    assert cached.place_words == {w for w, t in tags.items() if t == "ns"}


def test_knows_words_not_their_prefixes(cache_in):
    base = dictionary.load()
    assert base.knows("企业")
    assert "国有企" in base.frequencies and not base.knows("国有企")
    assert "重庆" in base.place_words and "重庆" in base.name_words
    assert "改革" not in base.name_words


def test_corrupt_cache_is_rebuilt(cache_in, jieba_own, caplog):
    path = dictionary.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a numpy archive")
    assert dictionary.load().frequencies == jieba_own[0]
    assert "rebuilding" in caplog.text and str(path) in caplog.text
    dictionary.load.cache_clear()
    assert dictionary.load().total == jieba_own[1]  # the rebuilt file reads back


def test_unwritable_cache_still_loads(tmp_path, monkeypatch, jieba_own):
    blocker = tmp_path / "a file, not a folder"
    blocker.write_text("")
    monkeypatch.setenv(dictionary.CACHE_DIR_ENV, str(blocker / "cache"))
    dictionary.load.cache_clear()
    try:
        assert dictionary.load().frequencies == jieba_own[0]
    finally:
        dictionary.load.cache_clear()


def test_cache_key_follows_the_source(cache_in, monkeypatch):
    before = dictionary.cache_path()
    monkeypatch.setattr(jieba, "__version__", "0.0-other")
    assert dictionary.cache_path() != before


def test_jieba_is_imported_without_pkg_resources(tmp_path):
    # A fresh process and an empty cache: jieba must find its dictionary
    # through plain paths, and pkg_resources must not have been imported.
    code = (
        "import sys\n"
        "from retrieval.index.analyzer import Analyzer\n"
        "print(Analyzer().tokenize('国有企业改革'))\n"
        "print('pkg_resources' in sys.modules)\n"
    )
    env = {**os.environ, dictionary.CACHE_DIR_ENV: str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    tokens, imported = run.stdout.strip().splitlines()
    assert "企业" in tokens and "改革" in tokens
    assert imported == "False"
    assert list(tmp_path.glob("jieba-*.npz"))


def test_cache_folder_without_a_home(monkeypatch):
    monkeypatch.delenv(dictionary.CACHE_DIR_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # what it does when HOME is unknown
    folder = dictionary.cache_dir()
    assert folder.is_absolute() and "~" not in folder.parts


def test_cache_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(dictionary.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert dictionary.cache_dir() == tmp_path / "retrieval"
