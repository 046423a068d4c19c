"""Decisions about a corpus are said out loud: empty files, empty records,
reused ids, broken and doubled links, damaged bytes, old line endings and
an ignore file in another encoding each get a clear line or the right result."""

from __future__ import annotations

import json
import os

from retrieval.chunking import chunk_documents
from retrieval.ingest.documents import load_corpus

BODY = "第一段讲的是城市治理的现代化，内容比较完整。\n\n第二段讲的是数字化转型，同样是完整的句子。\n"


def messages(result) -> list[str]:
    return [str(p) for p in result.problems]


def test_empty_whitespace_and_front_matter_only_files_are_not_documents(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n \t\n", encoding="utf-8")
    (tmp_path / "meta.md").write_text("---\ntitle: 只有元数据\n---\n\n", encoding="utf-8")
    (tmp_path / "real.txt").write_text(BODY, encoding="utf-8")
    result = load_corpus([tmp_path])
    assert [d.source_path.split("/")[-1] for d in result.documents] == ["real.txt"]
    name = tmp_path.name
    assert sorted(messages(result)) == [
        f"{name}/blank.md: holds only whitespace; nothing to index",
        f"{name}/empty.txt: is empty; nothing to index",
        f"{name}/meta.md: has only front matter; nothing to index",
    ]


def test_jsonl_empty_text_and_reused_ids_are_reported(tmp_path):
    records = [{"id": "n1", "text": "第一条记录的正文。"}, {"id": "n2", "text": "  "},
               {"id": "n1", "text": "另一条记录用了同一个编号。"}]
    (tmp_path / "r.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    result = load_corpus([tmp_path / "r.jsonl"])
    assert [d.doc_id for d in result.documents] == ["n1", "n1~2"]
    assert messages(result) == [
        "r.jsonl:2: 'text' is empty; record skipped",
        "r.jsonl:3: document id 'n1' is already used (r.jsonl:1); this one is indexed as 'n1~2'",
    ]


def test_a_short_phrase_record_is_kept(tmp_path):
    (tmp_path / "r.jsonl").write_text(json.dumps({"id": "x", "text": "渝快办"}, ensure_ascii=False) + "\n", encoding="utf-8")
    [chunk] = chunk_documents(load_corpus([tmp_path / "r.jsonl"]).documents)
    assert chunk.text == "渝快办"


def test_broken_links_are_reported_and_doubled_links_read_once(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(BODY, encoding="utf-8")
    os.symlink(corpus / "a.txt", corpus / "b.txt")
    os.symlink(corpus / "a.txt", corpus / "c.txt")
    os.symlink(tmp_path / "gone.txt", corpus / "dangling.txt")
    result = load_corpus([corpus])
    assert [d.source_path for d in result.documents] == ["c/a.txt"]
    assert messages(result) == [
        f"c/dangling.txt: is a broken symbolic link (to {tmp_path / 'gone.txt'}); nothing to read",
        "c/b.txt: is the same file as c/a.txt; indexed once, as that",
        "c/c.txt: is the same file as c/a.txt; indexed once, as that",
    ]


def test_a_file_with_a_few_bad_bytes_is_read_and_the_place_named(tmp_path):
    good = ("城市治理现代化是国家治理体系的重要内容。\n\n" * 60).encode("utf-8")
    cut = good.index("。".encode()) + len("。".encode())
    data = good[:cut] + b"\xff\xfe\xfd\xfc" + good[cut:]
    (tmp_path / "d.txt").write_bytes(data)
    result = load_corpus([tmp_path / "d.txt"])
    assert len(result.documents) == 1
    assert messages(result) == [f"d.txt:1: bytes {cut}–{cut + 3} are not valid UTF-8 and became �; the rest of the file is indexed"]
    assert "城市治理现代化" in chunk_documents(result.documents)[-1].text


def test_cr_only_line_endings_still_make_paragraphs(tmp_path):
    (tmp_path / "mac.txt").write_bytes(BODY.replace("\n", "\r").encode("utf-8"))
    chunks = chunk_documents(load_corpus([tmp_path / "mac.txt"]).documents)
    assert len(chunks) == 2
    assert chunks[1].text.startswith("第二段")


def test_a_gbk_corpusignore_is_read(tmp_path):
    (tmp_path / "正文.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "草稿.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / ".corpusignore").write_bytes("# 忽略草稿\n草稿.txt\n".encode("gbk"))
    result = load_corpus([tmp_path])
    assert [d.source_path.split("/")[-1] for d in result.documents] == ["正文.txt"]
    assert result.problems == []


def test_a_wrapped_first_line_is_body_text_not_the_title(tmp_path):
    paragraph = "日新月异的新一代信息技术为城乡文化发展划出一道难以逾越的数字鸿沟当前如何让城乡基层特别是农村搭上数字文化的快车成为一个重要课题。"
    wrapped = "\n".join(paragraph[i:i + 32] for i in range(0, len(paragraph), 32))
    (tmp_path / "page.txt").write_text(wrapped + "\n", encoding="utf-8")
    [document] = load_corpus([tmp_path / "page.txt"]).documents
    assert document.title == "page"
    assert any(paragraph in chunk.text for chunk in chunk_documents([document]))
