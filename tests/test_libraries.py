"""Chats' libraries without Telegram: who sees what, who may manage, quotas,
content sniffing, crash recovery and incremental indexing."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path

import pytest

from bot.libraries import Added, Duplicate, Libraries, NeedsConfirmation, Rejected, Uploader
from bot.libraries.permissions import ChatAdmins, may_manage
from bot.libraries.quotas import Quotas, check_file_size, check_library, check_pages
from bot.libraries.scopes import GROUP, PRIVATE, scope_for_chat, scope_for_inline
from bot.libraries.storage import LibraryFolder, safe_file_name
from retrieval import open_engine
from retrieval.index import tokenizing
from retrieval.ingest.sniff import NotADocument, sniff_format

MOON = (
    "月面观测站手册\n\n"
    "月面观测站的主望远镜叫做“广寒镜”，口径四点二米，安装在南极的沙克尔顿环形山边缘。\n\n"
    "观测站的值守人员每九十天轮换一次，由嫦娥后勤中心负责补给。\n"
)
MARS = "火星基地规划\n\n火星基地的第一期工程叫做“赤霞计划”，共建设十二座穹顶温室。\n"


# ----------------------------------------------------------------- scopes


def test_each_chat_has_exactly_one_library_of_its_own():
    group = scope_for_chat("supergroup", -1001)
    assert group.kind == GROUP and group != scope_for_chat("supergroup", -1002)
    assert scope_for_chat("group", -1001) == group  # a plain group and a supergroup id never collide anyway
    private = scope_for_chat("private", 42)
    assert private.kind == PRIVATE
    # Inline mode is the asker's private library, never a group's.
    assert scope_for_inline(42) == private
    assert scope_for_inline(42).key != group.key and scope_for_inline(43) != private


# ----------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    "mode, private, user, admins, as_chat, allowed",
    [
        ("admins", False, 5, {5}, False, True),  # a group admin
        ("admins", False, 6, {5}, False, False),  # a member
        ("admins", False, 7, set(), False, True),  # an operator (ADMIN_USER_IDS) anywhere
        ("admins", False, None, set(), True, True),  # an anonymous admin, posting as the group
        ("admins", True, 6, set(), False, False),  # private: operators only
        ("admins", True, 7, set(), False, True),
        ("members", True, 6, set(), False, True),
        ("members", False, 6, set(), False, True),
        ("off", False, 7, {7}, False, False),  # off is off, for everyone
        ("off", True, 7, set(), False, False),
    ],
)
def test_who_may_manage(mode, private, user, admins, as_chat, allowed):
    assert may_manage(mode, private=private, user_id=user, operators=frozenset({7}), chat_admins=frozenset(admins),
                      posted_as_the_chat=as_chat) is allowed


def test_chat_admins_are_cached_and_a_failure_means_none():
    from telegram.error import NetworkError

    class Bot:
        calls = 0
        fail = False

        async def get_chat_administrators(self, chat_id):
            Bot.calls += 1
            if Bot.fail:
                raise NetworkError("down")

            class Member:
                class user:
                    id = 5
            return [Member()]

    now = [0.0]
    admins = ChatAdmins(ttl=300, clock=lambda: now[0])
    bot = Bot()
    assert asyncio.run(admins.of(bot, -1)) == {5}
    assert asyncio.run(admins.of(bot, -1)) == {5} and Bot.calls == 1
    now[0] = 301
    Bot.fail = True
    assert asyncio.run(admins.of(bot, -1)) == frozenset()  # refusing is safe, accepting is not
    assert Bot.calls == 2


# ----------------------------------------------------------------- quotas


def test_quotas_say_which_limit_a_file_passes():
    quotas = Quotas(documents_per_chat=2, mb_per_chat=1, mb_per_file=0.5, pages_per_file=10)
    assert check_file_size(21 * 2**20, Quotas(mb_per_file=100), local_api=False).kind == "download"
    assert check_file_size(21 * 2**20, Quotas(mb_per_file=100), local_api=True) is None  # a local Bot API server
    assert check_file_size(600_000, quotas, local_api=False).kind == "file_mb"
    assert check_file_size(None, quotas, local_api=False) is None  # Telegram did not say: checked after download
    assert check_library(quotas, documents=2, stored_bytes=0, new_bytes=1).kind == "documents"
    assert check_library(quotas, documents=2, stored_bytes=0, new_bytes=1, replacing=True) is None
    over = check_library(quotas, documents=1, stored_bytes=900_000, new_bytes=200_000)
    assert over.kind == "chat_mb" and over.actual == pytest.approx(1_100_000 / 2**20)
    assert check_library(quotas, documents=1, stored_bytes=900_000, new_bytes=200_000, replaced_bytes=300_000,
                         replacing=True) is None
    assert check_pages(11, quotas).kind == "pages" and check_pages(10, quotas) is None and check_pages(None, quotas) is None


# ----------------------------------------------------------------- sniffing


def _docx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def _epub(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", "<container/>")
    return path


@pytest.mark.parametrize(
    "make, name, expected",
    [
        (lambda p: p.write_bytes(b"%PDF-1.7\n..."), "scan", ".pdf"),
        (lambda p: p.write_bytes(b"\xef\xbb\xbf junk\n%PDF-1.4"), "a.txt", ".pdf"),  # junk before the header
        (_docx, "报告.pdf", ".docx"),  # the name lies
        (_epub, "book.zip", ".epub"),
        (lambda p: p.write_text("<!DOCTYPE html><html><body><p>正文</p></body></html>"), "page", ".html"),
        (lambda p: p.write_text("<div>甲</div><p>乙</p><p>丙</p>", encoding="utf-8"), "frag.txt", ".html"),
        (lambda p: p.write_text('{"text": "甲"}\n{"text": "乙"}\n', encoding="utf-8"), "x.txt", ".jsonl"),
        (lambda p: p.write_bytes("通知\n\n明天开会。".encode("gb18030")), "通知", ".txt"),
        (lambda p: p.write_text("# 标题\n\n正文", encoding="utf-8"), "notes.MD", ".md"),
        (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100), "old.doc", ".doc"),
    ],
)
def test_the_format_is_decided_by_content(tmp_path, make, name, expected):
    path = tmp_path / "upload"
    make(path)
    assert sniff_format(path, name) == expected


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "PNG"),
        (b"\x7fELF\x02\x01" + b"\0" * 64, "program"),
        (b"PK\x03\x04garbage", "damaged"),
        (bytes(range(256)) * 8, "binary"),
    ],
)
def test_what_is_not_a_document_is_named(tmp_path, content, words):
    path = tmp_path / "upload"
    path.write_bytes(content)
    with pytest.raises(NotADocument, match=words):
        sniff_format(path, "x.pdf")


def test_office_files_we_cannot_read_say_what_to_do(tmp_path):
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(NotADocument, match="Excel"):
        sniff_format(path)


@pytest.mark.parametrize(
    "sent, suffix, stored",
    [
        ("报告.pdf", ".pdf", "报告.pdf"),
        ("报告", ".pdf", "报告.pdf"),
        ("notes.pdf", ".docx", "notes.docx"),  # a wrong suffix is replaced
        ("版本.v2", ".txt", "版本.v2.txt"),  # an ordinary dot is kept
        ("../../etc/passwd", ".txt", "etc passwd.txt"),  # one path component, always
        ("", ".md", "document.md"),
    ],
)
def test_stored_names_are_safe_and_keep_the_senders_words(sent, suffix, stored):
    assert safe_file_name(sent, suffix) == stored


# ----------------------------------------------------------------- the registry


@pytest.fixture
def shared():
    engine, _ = open_engine()
    return engine


@pytest.fixture
def libraries(tmp_path, shared):
    libraries = Libraries(tmp_path / "data", lambda: shared, [Path("seeds")], Quotas(documents_per_chat=3))
    yield libraries
    libraries.close()


def add(libraries, scope, text: str, name: str, **kwargs):
    staged = libraries.staging_path(scope, name)
    staged.write_text(text, encoding="utf-8")
    return asyncio.run(libraries.add(scope, staged, name, Uploader(1, "小王"), **kwargs))


def answered_from(libraries, scope, question: str) -> set[str]:
    view = asyncio.run(libraries.view(scope))
    answer = view.engine.ask(question)
    return {hit.chunk.title for hit in answer.hits} if answer.answered else set()


def test_an_upload_is_answered_in_its_chat_only(libraries):
    mine, theirs = scope_for_chat("supergroup", -1), scope_for_chat("supergroup", -2)
    added = add(libraries, mine, MOON, "moon.txt")
    assert isinstance(added, Added) and added.number == 1 and added.document.paragraphs == 2
    assert "月面观测站手册" in answered_from(libraries, mine, "广寒镜的口径是多少")
    assert not answered_from(libraries, theirs, "广寒镜的口径是多少")
    assert not answered_from(libraries, scope_for_inline(1), "广寒镜的口径是多少")
    view = asyncio.run(libraries.view(mine))
    assert view.has_own and view.own == {added.document.stored}


def test_duplicates_quota_and_replacement(libraries):
    scope = scope_for_chat("supergroup", -3)
    first = add(libraries, scope, MOON, "moon.txt")
    assert isinstance(add(libraries, scope, MOON, "other-name.txt"), Duplicate)
    pending = add(libraries, scope, MOON.replace("四点二米", "六点五米"), "moon.txt")
    assert isinstance(pending, NeedsConfirmation) and pending.existing == first.document
    assert "月面观测站手册" in answered_from(libraries, scope, "广寒镜口径四点二米")  # unchanged until confirmed
    replaced = asyncio.run(libraries.confirm_replace(pending.token))
    assert isinstance(replaced, Added) and replaced.replaced == first.document
    assert [d.name for d in libraries.documents(scope)] == ["moon.txt"]
    add(libraries, scope, MARS, "mars.txt")
    add(libraries, scope, "第三篇\n\n金星浮空城的高度是五十公里。\n", "venus.txt")
    over = add(libraries, scope, "第四篇\n\n水星没有大气层。\n", "mercury.txt")
    assert isinstance(over, Rejected) and over.quota.kind == "documents"
    assert len(libraries.documents(scope)) == 3


def test_a_file_that_is_not_a_document_changes_nothing(libraries, tmp_path):
    scope = scope_for_chat("supergroup", -4)
    add(libraries, scope, MOON, "moon.txt")
    before = (libraries.folder(scope).root / "manifest.json").read_bytes()
    staged = libraries.staging_path(scope, "x.pdf")
    staged.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    outcome = asyncio.run(libraries.add(scope, staged, "x.pdf", Uploader(1, "小王")))
    assert isinstance(outcome, Rejected) and outcome.reason == "not_document"
    staged = libraries.staging_path(scope, "y.pdf")
    staged.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    outcome = asyncio.run(libraries.add(scope, staged, "y.pdf", Uploader(1, "小王")))
    assert isinstance(outcome, Rejected) and outcome.reason == "unreadable"
    assert (libraries.folder(scope).root / "manifest.json").read_bytes() == before
    assert not any(libraries.folder(scope).staging.glob("*/*"))  # downloads are cleaned up


def test_a_failed_build_leaves_the_library_as_it_was(libraries, monkeypatch):
    scope = scope_for_chat("supergroup", -5)
    add(libraries, scope, MOON, "moon.txt")
    before = libraries.documents(scope)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("bot.libraries.registry.open_engine", broken)
    outcome = add(libraries, scope, MARS, "mars.txt")
    assert isinstance(outcome, Rejected) and outcome.reason == "failed"
    monkeypatch.undo()
    assert libraries.documents(scope) == before
    assert sorted(p.name for p in libraries.folder(scope).files.iterdir()) == [before[0].doc_id]
    assert "月面观测站手册" in answered_from(libraries, scope, "广寒镜的口径是多少")


def test_adding_a_document_tokenizes_only_that_document(libraries, monkeypatch):
    scope = scope_for_chat("supergroup", -6)
    add(libraries, scope, MOON, "moon.txt")
    tokenized: list[str] = []
    real = tokenizing._tokenize

    def recording(analyzer, texts, workers):
        tokenized.extend(texts)
        return real(analyzer, texts, workers)

    monkeypatch.setattr(tokenizing, "_tokenize", recording)
    added = add(libraries, scope, MARS, "mars.txt")
    assert len(tokenized) == added.document.paragraphs and all("火星" in t or "赤霞" in t for t in tokenized)
    tokenized.clear()
    asyncio.run(libraries.remove(scope, added.document.doc_id))  # removing tokenizes nothing
    assert tokenized == []


def test_a_crash_half_way_is_undone_at_the_next_start(libraries, tmp_path):
    scope = scope_for_chat("supergroup", -7)
    kept = add(libraries, scope, MOON, "moon.txt").document
    folder = libraries.folder(scope)
    # An upload that got into uploaded/ but never into the manifest...
    (folder.files / "deadbeefdeadbeef").mkdir()
    (folder.files / "deadbeefdeadbeef" / "half.txt").write_text("半截", encoding="utf-8")
    # ...a removal that moved the file to trash/ but never rewrote the manifest...
    folder.trash.mkdir(exist_ok=True)
    (folder.files / kept.doc_id).rename(folder.trash / kept.doc_id)
    # ...and a download in progress.
    (folder.new_staging() / "part.pdf").write_bytes(b"%PDF")
    LibraryFolder(folder.root).recover()
    assert sorted(p.name for p in folder.files.iterdir()) == [kept.doc_id]
    assert not any(folder.trash.iterdir()) and not folder.staging.exists()
    fresh = Libraries(tmp_path / "data", libraries._shared_engine, [Path("seeds")])
    assert "月面观测站手册" in answered_from(fresh, scope, "广寒镜的口径是多少")
    fresh.close()


def test_a_damaged_manifest_refuses_changes_and_says_so(libraries):
    scope = scope_for_chat("supergroup", -8)
    add(libraries, scope, MOON, "moon.txt")
    (libraries.folder(scope).root / "manifest.json").write_text("{not json", encoding="utf-8")
    outcome = add(libraries, scope, MARS, "mars.txt")
    assert isinstance(outcome, Rejected) and outcome.reason == "damaged"


def test_a_group_move_keeps_the_library(libraries):
    old, new = scope_for_chat("group", -9), scope_for_chat("supergroup", -1000000000009)
    add(libraries, old, MOON, "moon.txt")
    assert asyncio.run(libraries.migrate(old, new))
    assert not libraries.documents(old)
    assert "月面观测站手册" in answered_from(libraries, new, "广寒镜的口径是多少")


def test_the_manifest_is_plain_json_listing_every_field(libraries):
    scope = scope_for_chat("private", 77)
    add(libraries, scope, MOON, "moon.txt")
    record = json.loads((libraries.folder(scope).root / "manifest.json").read_text(encoding="utf-8"))["documents"][0]
    assert record["title"] == "月面观测站手册" and record["added_by_name"] == "小王" and record["format"] == ".txt"
    assert (libraries.folder(scope).files / record["doc_id"] / record["name"]).read_text(encoding="utf-8") == MOON


HANGING_READER = '''
import time

def read(path, name, limits, progress=None):
    while True:  # a parser library stuck in a loop on a hostile file
        time.sleep(0.1)
'''


def test_a_parser_that_hangs_costs_only_that_upload(libraries, tmp_path, monkeypatch):
    from retrieval.ingest import readers

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "hanging_reader.py").write_text(HANGING_READER)
    monkeypatch.setenv("PYTHONPATH", str(plugins))
    monkeypatch.setenv("RETRIEVAL_PARSE_TIMEOUT", "1.5")
    scope = scope_for_chat("supergroup", -10)
    add(libraries, scope, MOON, "moon.txt")
    before = libraries.documents(scope)
    monkeypatch.setitem(readers.READERS, ".pdf", ("hanging_reader", 1))
    staged = libraries.staging_path(scope, "evil.pdf")
    staged.write_bytes(b"%PDF-1.7\n1 0 obj << >> endobj\n")
    outcome = asyncio.run(libraries.add(scope, staged, "evil.pdf", Uploader(1, "小王")))
    assert isinstance(outcome, Rejected) and outcome.reason == "unreadable" and "longer than" in outcome.detail
    monkeypatch.setitem(readers.READERS, ".pdf", ("retrieval.ingest.pdf", 1))
    assert libraries.documents(scope) == before
    assert "月面观测站手册" in answered_from(libraries, scope, "广寒镜的口径是多少")


def test_a_zip_bomb_is_refused_and_changes_nothing(libraries, tmp_path, monkeypatch):
    monkeypatch.setenv("RETRIEVAL_MAX_UNPACKED_MB", "1")
    scope = scope_for_chat("supergroup", -11)
    staged = libraries.staging_path(scope, "bomb.docx")
    with zipfile.ZipFile(staged, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>" + " " * (8 * 2**20) + "</w:document>")
    assert staged.stat().st_size < 100_000
    outcome = asyncio.run(libraries.add(scope, staged, "bomb.docx", Uploader(1, "小王")))
    assert isinstance(outcome, Rejected) and outcome.reason == "unreadable" and "MB" in outcome.detail
    assert libraries.documents(scope) == []


def test_two_uploads_to_one_library_at_once_are_queued_not_interleaved(libraries):
    scope = scope_for_chat("supergroup", -12)

    async def both():
        staged = []
        for text, name in ((MOON, "moon.txt"), (MARS, "mars.txt")):
            path = libraries.staging_path(scope, name)
            path.write_text(text, encoding="utf-8")
            staged.append((path, name))
        return await asyncio.gather(*(libraries.add(scope, p, n, Uploader(1, "小王")) for p, n in staged))

    first, second = asyncio.run(both())
    assert isinstance(first, Added) and isinstance(second, Added)
    assert {first.number, second.number} == {1, 2}
    assert sorted(d.name for d in libraries.documents(scope)) == ["mars.txt", "moon.txt"]
    assert "月面观测站手册" in answered_from(libraries, scope, "广寒镜的口径是多少")
    assert "火星基地规划" in answered_from(libraries, scope, "赤霞计划建设多少座穹顶温室")


def test_a_chat_without_documents_costs_no_disk_read_per_question(libraries, monkeypatch):
    reads = []
    real = LibraryFolder.documents

    def counting(self):
        reads.append(self.root.name)
        return real(self)

    monkeypatch.setattr(LibraryFolder, "documents", counting)
    scope = scope_for_chat("supergroup", -13)
    for _ in range(5):
        asyncio.run(libraries.view(scope))
    assert reads == [scope.key]
    add(libraries, scope, MOON, "moon.txt")  # a write: the next question sees the new library
    assert "月面观测站手册" in answered_from(libraries, scope, "广寒镜的口径是多少")
