"""Damaged newspaper-like pages built from clean articles, for layout_eval.py.

A page holds two articles interleaved the way the bundled page is (a title
and a byline, the second article's paragraphs spliced in between the first's,
its title landing in the middle of its own text), and the damage layout
extraction does: paragraphs hard-wrapped at 30–40 characters (per page or
per paragraph, with or without blank lines or indentation between
paragraphs), paragraphs cut across a blank line (at random, or after a short
first half ending in 的 or a comma clause, or with a title in between), and
short content lines put between paragraphs (verse, name lists, contact
blocks, Markdown tables, fenced code, lists).

Everything random comes from the ``random.Random`` passed in, so a seed
gives the same pages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

PUNCTUATION_NOT_AT_LINE_START = "，。、；：？！”’）》」』"

POEMS = [
    ["床前明月光，", "疑是地上霜。", "举头望明月，", "低头思故乡。"],
    ["春眠不觉晓，", "处处闻啼鸟。", "夜来风雨声，", "花落知多少。"],
    ["白日依山尽，", "黄河入海流。", "欲穷千里目，", "更上一层楼。"],
    ["千山鸟飞绝", "万径人踪灭", "孤舟蓑笠翁", "独钓寒江雪"],
    ["轻轻的我走了", "正如我轻轻的来", "我轻轻的招手", "作别西天的云彩"],
    ["面朝大海", "春暖花开", "从明天起", "做一个幸福的人"],
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国平红"
COLUMNS = ["理论周刊", "学习笔谈", "时评", "要闻", "专题报道"]
LIST_ITEMS = ["加强组织建设", "完善制度体系", "提升服务能力", "深化改革创新", "推进数字转型", "强化安全保障"]


@dataclass
class Page:
    text: str
    body: list[tuple[str | None, str]] = field(default_factory=list)  # (paragraph id or None, text)
    headings: list[str] = field(default_factory=list)  # titles and bylines placed on the page


@dataclass
class Article:
    title: str
    paragraphs: list[tuple[str, str]]  # (paragraph id, text)


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def content_block(rng: random.Random) -> str:
    kind = rng.choice(["poem", "names", "contact", "table", "code", "bullets", "numbers", "line"])
    if kind == "poem":
        lines = list(rng.choice(POEMS))
        if rng.random() < 0.3:
            lines = [lines[i] + lines[i + 1] for i in range(0, len(lines), 2)]
        return "\n".join(lines)
    if kind == "names":
        names = [name(rng) for _ in range(rng.randint(3, 8))]
        style = rng.choice(["space", "dun", "lines"])
        if style == "lines":
            return "\n".join(names)
        return ("　" if style == "space" else "、").join(names) if rng.random() < 0.5 else " ".join(names)
    if kind == "contact":
        return (f"电话：023-{rng.randint(60000000, 69999999)}\n邮编：{rng.randint(400000, 409999)}\n"
                f"地址：重庆市渝中区人民路{rng.randint(1, 300)}号")
    if kind == "table":
        rows = ["| 年份 | 数量 |", "| --- | --- |"]
        rows += [f"| {2018 + i} | {rng.randint(100, 999)} |" for i in range(rng.randint(2, 4))]
        return "\n".join(rows)
    if kind == "code":
        return "```python\nfor item in items:\n    print(item)\n```"
    if kind == "bullets":
        return "\n".join("- " + item for item in rng.sample(LIST_ITEMS, rng.randint(2, 4)))
    if kind == "numbers":
        return "\n".join(f"{i}. {item}" for i, item in enumerate(rng.sample(LIST_ITEMS, rng.randint(2, 4)), 1))
    return rng.choice(["（完）", f"责任编辑：{name(rng)}", f"本报记者 {name(rng)}", "2024年3月5日"])


def wrap(text: str, width: int, rng_kinsoku: bool) -> list[str]:
    lines = [text[i:i + width] for i in range(0, len(text), width)]
    if rng_kinsoku:  # a line may not start with closing punctuation: pull it up
        for i in range(1, len(lines)):
            while lines[i] and lines[i][0] in PUNCTUATION_NOT_AT_LINE_START:
                lines[i - 1] += lines[i][0]
                lines[i] = lines[i][1:]
        lines = [line for line in lines if line]
    return lines


def cut_point(text: str, rng: random.Random) -> int | None:
    """Where a paragraph is cut: after a 的 or a comma about 20 characters in
    (the half that looks like a heading), or anywhere."""
    if rng.random() < 0.5:
        marks = [i + 1 for i in range(10, min(30, len(text) - 10)) if text[i] in "的，"]
        if marks:
            return rng.choice(marks)
    if len(text) < 30:
        return None
    return rng.randint(10, len(text) - 10)


def build_page(first: Article, second: Article, rng: random.Random, *, starts_with_title: bool = True) -> Page:
    page = Page("")
    width = rng.randint(30, 40) if rng.random() < 0.6 else None
    per_paragraph_width = width is not None and rng.random() < 0.3
    kinsoku = rng.random() < 0.5
    separation = rng.choice(["blank"] * 6 + ["indent"] * 2 + ["none"] * 2)

    # Items: ("heading", text) or ("body", id, text); cut halves are ("half", text).
    def article_items(article: Article, title_inside: bool) -> list[tuple]:
        items: list[tuple] = [("heading", name(rng))]
        paragraphs = [("body", pid, text) for pid, text in article.paragraphs]
        if title_inside and paragraphs:
            items += paragraphs[:1]
            paragraphs = paragraphs[1:]
            title_at = rng.randint(0, len(paragraphs))
            paragraphs.insert(title_at, ("heading", article.title))
        return items + paragraphs

    head = [("heading", first.title)] if starts_with_title else []
    a_items = head + article_items(first, False)[0 if starts_with_title else 1:]
    b_items = article_items(second, True)
    items = a_items[:3]
    rest_a, rest_b = a_items[3:], b_items
    while rest_a or rest_b:
        take_a = rest_a and (not rest_b or rng.random() < 0.6)
        items.append((rest_a if take_a else rest_b).pop(0))

    for _ in range(rng.randint(1, 3)):
        items.insert(rng.randint(1, len(items)), ("body", None, content_block(rng)))

    blocks: list[tuple[str, str]] = []  # (kind, text) with kind "heading", "para", "verbatim"
    for item in items:
        if item[0] == "heading":
            page.headings.append(item[1])
            blocks.append(("heading", item[1]))
            continue
        _, pid, text = item
        page.body.append((pid, text))
        if pid is None:
            blocks.append(("verbatim", text))
            continue
        cut = cut_point(text, rng) if rng.random() < 0.2 else None
        if cut is None:
            blocks.append(("para", text))
            continue
        blocks.append(("half", text[:cut]))
        if rng.random() < 0.3:
            inserted = rng.choice(COLUMNS) if rng.random() < 0.5 else name(rng)
            page.headings.append(inserted)
            blocks.append(("heading", inserted))
        blocks.append(("tail", text[cut:]))

    out: list[str] = []
    for kind, text in blocks:
        if kind in ("heading", "verbatim"):
            out.append("\n" + text + "\n")
            continue
        lines = [text]
        if width is not None:
            lines = wrap(text, rng.randint(30, 40) if per_paragraph_width else width, kinsoku)
        if separation == "indent" and kind != "tail":
            lines[0] = "　　" + lines[0]
        gap = "\n" if separation == "blank" or kind in ("half", "tail") else ""
        out.append(gap + "\n".join(lines) + ("\n" if kind == "half" else ""))
    page.text = "\n".join(out).strip("\n") + "\n"
    return page
