"""A page's title, address, author and site, from its <head> and bylines.

The title is the article's own heading when one matches what <title> says
(<title> adds the site: "标题_新华网", "标题 - 人民网", "标题|中国政府网");
otherwise the <h1> nearest the article, and only then <title> with the site
name cut off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from retrieval.ingest.html_text import normalize
from retrieval.ingest.html_main import Selection
from retrieval.ingest.model import HEADING

# Site and channel names are short; a longer tail is part of the title.
MAX_SITE_NAME = 20
NEAR_ARTICLE = 15  # blocks before the article's run where its <h1> and byline may sit

_STRONG_SEPARATOR = re.compile(r"(?:\s*[_|｜]\s*|\s+[-–—·]+\s+|\s*-{2,}\s*)([^_|｜]+)$")
_SITE_SUFFIX = "(?:网|站|报|台|政府|频道|新闻|在线|门户|客户端|\\.com|\\.cn|\\.net|\\.org)"
_WEAK_SEPARATOR = re.compile(f"\\s*[-–—·]\\s*([^-–—·]{{1,15}}{_SITE_SUFFIX})$")
_NAME = "[\u4e00-\u9fff·]{2,8}"
_BYLINE = re.compile(
    f"(?:(?:作者|撰文|记者|通讯员)\\s*[:：]?|(?:^|\\s)文\\s*[/／])\\s*"
    f"({_NAME}(?:[ \u3000、,，]{_NAME}){{0,3}})(?=$|[\\s\u3000|）)】])"
)
_SOURCE_LINE = re.compile("(?:来源|稿件来源|文章来源|信息来源)\\s*[:：]\\s*([^\\s\u3000|]{2,30})")


@dataclass(frozen=True)
class PageMeta:
    title_tag: str = ""
    titles: tuple[str, ...] = ()  # og:title and the like
    url: str = ""
    author: str = ""
    site: str = ""


def page_meta(root) -> PageMeta:
    title_tag = next((normalize("".join(el.itertext())) for el in root.iter("title")), "")
    values: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = normalize(meta.get("content") or "")
        if key and content and key not in values:
            values[key] = content
    canonical = base = ""
    for link in root.iter("link", "base"):
        href = (link.get("href") or "").strip()
        if link.tag == "base" and href and not base:
            base = href
        elif "canonical" in (link.get("rel") or "").lower().split() and href and not canonical:
            canonical = href
    url = canonical or values.get("og:url", "")
    absolute = next((u for u in (values.get("og:url", ""), base) if u.startswith(("http://", "https://"))), "")
    if url and absolute and not url.startswith(("http://", "https://")):
        url = urljoin(absolute, url)
    titles = tuple(values[k] for k in ("og:title", "articletitle", "twitter:title", "title") if values.get(k))
    site = values.get("og:site_name") or values.get("source") or values.get("contentsource") or ""
    return PageMeta(title_tag, titles, url, values.get("author", ""), site)


def trim_site_name(title: str) -> str:
    """"标题_频道_新华网" → "标题": short tails after a separator are the site's."""
    title = " ".join(title.split())
    while True:
        match = _STRONG_SEPARATOR.search(title)
        if match and len(match.group(1)) <= MAX_SITE_NAME and title[:match.start()].strip():
            title = title[:match.start()].strip()
            continue
        match = _WEAK_SEPARATOR.search(title)
        if match and title[:match.start()].strip():
            title = title[:match.start()].strip()
            continue
        return title


def choose_title(meta: PageMeta, blocks, selection: Selection) -> tuple[str, int | None]:
    """(title, index of the heading block it came from, if one)."""
    page_titles = [t for t in (meta.title_tag, *meta.titles) if t]
    trimmed = [trim_site_name(t) for t in page_titles]
    headings = [i for i, block in enumerate(blocks)
                if block.kind == HEADING and not selection.furniture[i]]
    headings.sort(key=lambda i: (blocks[i].level, abs(i - selection.start)))
    for i in headings:
        text = blocks[i].text
        if text in trimmed or any(t.startswith(text) and len(text) >= 4 for t in page_titles):
            return text, i
    near = [i for i in headings if blocks[i].level == 1
            and selection.start - NEAR_ARTICLE <= i < max(selection.end, selection.start + 1)]
    if near:
        return blocks[near[0]].text, near[0]
    title = next((t for t in trimmed[1:] + trimmed[:1] if t), "")
    return title, None


def byline(meta: PageMeta, blocks, selection: Selection) -> tuple[str, str]:
    """(author, publication) from <meta> or the lines around the article's start."""
    author = meta.author if meta.author and not re.search(f"{_SITE_SUFFIX}$|\\.", meta.author) else ""
    site = meta.site
    first = max(0, selection.start - NEAR_ARTICLE)
    near = [i for i in range(first, min(len(blocks), selection.start + 3))]
    near += [i for i in range(selection.start, selection.end) if selection.furniture[i]]
    for i in near:
        text = blocks[i].text
        if len(text) > 100:
            continue
        if not author and (match := _BYLINE.search(text)):
            author = "、".join(re.split("[ \u3000、,，]+", match.group(1)))
        if not site and (match := _SOURCE_LINE.search(text)):
            site = match.group(1)
    if not site and meta.title_tag:
        trimmed = trim_site_name(meta.title_tag)
        tail = meta.title_tag[len(trimmed):].strip(" _|｜-–—·")
        site = re.split(r"\s*[_|｜]\s*|\s+[-–—·]+\s+", tail)[-1] if tail else ""
    return author, site
