"""Fidelity checks for the curated seed corpus in seeds/.

The curated articles in seeds/articles/ are repaired from one raw newspaper
page (seeds/raw/). These tests make sure the repairs stayed within what
seeds/curation.yaml records: nothing from the page is lost, nothing that is
not on the page is added, only true repeats are dropped, and no paragraph is
left cut mid-sentence.

Depends only on the standard library and PyYAML.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
RAW_NAME = "000_0390d85ce7607d90.txt"
RAW = SEEDS / "raw" / RAW_NAME
SHARED_RAW = ROOT.parent / "shared" / "seeds" / RAW_NAME
RAW_SHA256 = "d7f070f9ce1c0a88278c8f3d26662aa961df06b6a9af0d10c360dae732263d3f"
CURATION = SEEDS / "curation.yaml"

ARTICLE_FILES = {
    "liu-sifang": "01-liu-sifang.md",
    "gan-di": "02-gan-di.md",
    "hou-jinliang": "03-hou-jinliang.md",
}
EXPECTED_TITLES = {
    "liu-sifang": "重庆推动超大城市现代化治理的实践探索与机制创新",
    "gan-di": "以发挥党建引领作用助推国有企业改革攻坚",
    "hou-jinliang": "大力提升现代公共文化数字化水平",
}
EXPECTED_AFFILIATIONS = {
    "liu-sifang": "重庆市中国特色社会主义理论体系研究中心副主任，重庆社会科学院党组书记、院长",
    "gan-di": "西南政法大学政治与公共管理学院",
    "hou-jinliang": None,  # the page gives none
}
# Body paragraphs, section headings not counted. 侯金亮's article has 5 text
# blocks on the page once the cut paragraphs are rejoined (see seeds/README.md).
EXPECTED_PARAGRAPHS = {"liu-sifang": 13, "gan-di": 6, "hou-jinliang": 5}
SOURCE = "学思践悟 · 领导干部学习笔谈"
REQUIRED_KEYS = ("id", "title", "author", "source")

SENTENCE_SPLIT = re.compile(r"[。！？；\n]")
# Sentence-final punctuation, optionally followed by closing quotes/brackets;
# a paragraph ending in "）" (the printed affiliation lines) also passes.
PARAGRAPH_END = re.compile(r"(?:[。！？；…][”’」』）]*|）)$")


# ---------------------------------------------------------------- helpers


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_SPLIT.split(text) if s]


def read_raw() -> str:
    return RAW.read_bytes().decode("utf-8")


def raw_lines() -> list[str]:
    return [line for line in read_raw().split("\n") if line]


def parse_article(path: Path) -> tuple[dict, list[str]]:
    """Return (front matter, body blocks); blocks include '## ' headings."""
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("---\n"), f"{path.name}: no front matter"
    end = text.index("\n---\n", 4)
    meta = yaml.safe_load(text[4 : end + 1])
    body = text[end + len("\n---\n") :]
    blocks = [b for b in body.strip("\n").split("\n\n")]
    return meta, blocks


def load_articles() -> dict[str, tuple[dict, list[str]]]:
    return {aid: parse_article(SEEDS / "articles" / name) for aid, name in ARTICLE_FILES.items()}


def strip_heading(block: str) -> str:
    return block[3:] if block.startswith("## ") else block


def body_text(blocks: list[str]) -> str:
    return "\n".join(strip_heading(b) for b in blocks)


def paragraphs(blocks: list[str]) -> list[str]:
    return [b for b in blocks if not b.startswith("## ")]


def curated_text(articles) -> str:
    """Front matter values plus bodies (heading markers removed)."""
    parts = []
    for meta, blocks in articles.values():
        parts.extend(str(v) for v in meta.values())
        parts.append(body_text(blocks))
    return "\n".join(parts)


def bodies_text(articles) -> str:
    return "\n".join(body_text(blocks) for _, blocks in articles.values())


def load_curation() -> dict:
    return yaml.safe_load(CURATION.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ tests


def test_raw_copy_sha256():
    digest = hashlib.sha256(RAW.read_bytes()).hexdigest()
    assert digest == RAW_SHA256, f"seeds/raw/{RAW_NAME} changed: sha256 {digest}"


def test_raw_copy_identical_to_shared_source():
    if not SHARED_RAW.exists():
        pytest.skip(f"{SHARED_RAW} not available")
    assert RAW.read_bytes() == SHARED_RAW.read_bytes(), "raw copy differs from the shared source page"


def test_article_file_format():
    problems = []
    for aid, name in ARTICLE_FILES.items():
        data = (SEEDS / "articles" / name).read_bytes()
        text = data.decode("utf-8")  # raises if not UTF-8
        if b"\r" in data:
            problems.append(f"{name}: CR in file (LF line endings required)")
        if not text.endswith("\n") or text.endswith("\n\n"):
            problems.append(f"{name}: must end with exactly one newline")
        _, blocks = parse_article(SEEDS / "articles" / name)
        for b in blocks:
            if not b or "\n" in b or b != b.strip():
                problems.append(f"{name}: malformed block {b[:30]!r} (one paragraph per line, one blank line between)")
    assert not problems, "\n".join(problems)


def test_every_raw_sentence_is_in_curated_articles():
    corpus = curated_text(load_articles())
    missing = [s for s in sentences(read_raw()) if s not in corpus]
    assert not missing, "raw sentences missing from the curated articles:\n" + "\n".join(missing)


def _on_raw_page(sentence: str, lines: list[str]) -> bool:
    if any(sentence in line for line in lines):
        return True
    # A rejoin: one part ends a raw line, the rest begins a raw line.
    for k in range(1, len(sentence)):
        head, tail = sentence[:k], sentence[k:]
        if any(line.endswith(head) for line in lines) and any(line.startswith(tail) for line in lines):
            return True
    return False


def test_every_curated_sentence_is_on_raw_page():
    lines = raw_lines()
    offenders = []
    for aid, (meta, blocks) in load_articles().items():
        pieces = [meta.get("title", ""), meta.get("author", ""), meta.get("affiliation") or ""]
        pieces.extend(str(meta.get("source", "")).split(" · "))
        pieces.append(body_text(blocks))
        for s in sentences("\n".join(pieces)):
            if not _on_raw_page(s, lines):
                offenders.append(f"[{aid}] {s}")
    assert not offenders, "curated sentences not found on the raw page:\n" + "\n".join(offenders)


def test_dropped_fragments_are_true_repeats_and_kept_once():
    raw = read_raw()
    articles = load_articles()
    bodies = bodies_text(articles)
    curation = load_curation()
    dropped = curation.get("dropped") or []
    assert dropped, "curation.yaml records no dropped fragments"
    problems = []
    times_dropped = Counter(d["text"] for d in dropped)
    for d in dropped:
        text, kept_in = d["text"], d["kept_in"]
        for key in ("kind", "reason"):
            if not d.get(key):
                problems.append(f"dropped entry without {key}: {text[:30]}")
        if d.get("kind") not in ("repeated_heading", "repeated_fragment"):
            problems.append(f"unknown kind {d.get('kind')!r} for {text[:30]}")
        if raw.count(text) < 2:
            problems.append(f"dropped text occurs {raw.count(text)}x on the raw page (must be a repeat): {text[:40]}")
        if kept_in not in articles:
            problems.append(f"kept_in {kept_in!r} is not an article id")
        elif text not in body_text(articles[kept_in][1]):
            problems.append(f"dropped text no longer present in {kept_in} (content lost): {text[:40]}")
        expected = raw.count(text) - times_dropped[text]
        if bodies.count(text) != expected:
            problems.append(
                f"dropped text occurs {bodies.count(text)}x in the curated bodies, expected {expected}: {text[:40]}"
            )
    # No sentence of a dropped fragment survives more often than raw repeats minus drops.
    sentence_drops = Counter()
    for d in dropped:
        for s in sentences(d["text"]):
            sentence_drops[s] += 1
    for s, n in sentence_drops.items():
        allowed = raw.count(s) - n
        if bodies.count(s) > allowed:
            problems.append(f"dropped sentence occurs {bodies.count(s)}x in curated bodies, at most {allowed}: {s[:40]}")
    # Generally, no raw sentence may be duplicated by curation.
    for s in set(sentences(raw)):
        if bodies.count(s) > raw.count(s):
            problems.append(f"sentence occurs more often in curated bodies than on the page: {s[:40]}")
    assert not problems, "\n".join(problems)


def test_no_paragraph_left_cut():
    offenders = []
    for aid, (_, blocks) in load_articles().items():
        for p in paragraphs(blocks):
            if not PARAGRAPH_END.search(p):
                offenders.append(f"[{aid}] …{p[-20:]}")
    assert not offenders, "paragraphs ending without sentence-final punctuation:\n" + "\n".join(offenders)


def test_front_matter_and_titles():
    raw = read_raw()
    articles = load_articles()
    problems = []
    for aid, (meta, _) in articles.items():
        for key in REQUIRED_KEYS:
            if not isinstance(meta.get(key), str) or not meta.get(key):
                problems.append(f"{aid}: front matter key {key!r} missing or not a string")
        if meta.get("id") != aid:
            problems.append(f"{aid}: id is {meta.get('id')!r}")
        if meta.get("title") != EXPECTED_TITLES[aid]:
            problems.append(f"{aid}: title is {meta.get('title')!r}")
        if meta.get("source") != SOURCE:
            problems.append(f"{aid}: source is {meta.get('source')!r}")
        if meta.get("affiliation") != EXPECTED_AFFILIATIONS[aid]:
            problems.append(f"{aid}: affiliation is {meta.get('affiliation')!r}")
    for aid, title in EXPECTED_TITLES.items():
        if raw.count(title) != 1:
            problems.append(f"title of {aid} occurs {raw.count(title)}x on the raw page")
        for other, (_, blocks) in articles.items():
            if title in body_text(blocks):
                problems.append(f"title of {aid} appears inside the body of {other}")
    assert not problems, "\n".join(problems)


def test_paragraph_counts():
    counts = {aid: len(paragraphs(blocks)) for aid, (_, blocks) in load_articles().items()}
    assert counts == EXPECTED_PARAGRAPHS


def test_corpusignore_excludes_non_articles():
    lines = {line.strip() for line in (SEEDS / ".corpusignore").read_text(encoding="utf-8").splitlines()}
    assert {"raw/", "README.md", "curation.yaml"} <= lines
