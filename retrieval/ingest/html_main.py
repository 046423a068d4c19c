"""Which of a page's blocks are its article, by scoring and not by site rules.

Every block gets a score: prose (sentences with Chinese punctuation, little
link text) earns its length, short unpunctuated lines cost a little. Some
blocks are furniture wherever they are: mostly links, known wording (share
bars, 版权所有/ICP备案 lines, 责任编辑, 来源/发布时间 lines), runs of
"title link + summary" teasers, and everything inside an element whose tag,
class or id says furniture (<nav>, <footer>, class="share"…) unless it wraps
nearly the whole page (<body class="has-sidebar">).

The article is the element holding the most prose, narrowed to its best
contiguous run, in which furniture costs a little (a related box amid the
article is stepped over, a comment thread past the furniture is not
reached). Prefix sums and one scan: linear in the page. Short article
paragraphs ("他说。") score above zero, so at the run's edges they stay.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from retrieval.ingest.html_blocks import Layout, RawBlock
from retrieval.ingest.html_text import PUNCTUATION, ends_sentence, ends_statement
from retrieval.ingest.model import HEADING, TABLE_ROW

# A wrapper marked as furniture that holds this share of the page's prose is
# a template's mislabel, not furniture.
WRAPPER_SHARE = 0.85
SHORT = 80  # lines at most this long can be furniture by their wording
FOOTER_LINE = 160  # … and at most this long by a copyright or ICP mention
# Past the best run, lines scoring above this that are not furniture are
# still the article's last ones ("（作者单位：…）", "（完）").
WEAK_LINE = -30.0
# What a furniture block costs the article's run inside its container: a
# related-links box amid the article is stepped over, a comment thread past
# a row of furniture is not reached.
FURNITURE_COST = 3.0
WEAK_SHARE = 0.1  # what a weak line (a byline, "（完）") costs the choice of container
TITLE_CHARS = 60  # a link this short can be another article's title
TEASER_CHARS = 160  # and a line this short below it, its summary

_FURNITURE_START = re.compile(
    r"[【\[（(〖]?\s*(?:分享到|分享至|分享：|责任编辑|编辑[:：]|责编|来源[:：]|稿件来源|文章来源|信息来源|作者[:：]|"
    r"发布时间|发布日期|发布者|时间[:：]|日期[:：]|浏览次数|阅读次数|阅读量|点击数|访问量|字号|字体[:：]|打印|关闭|"
    r"返回顶部|上一篇|下一篇|上一条|下一条|相关新闻|相关阅读|相关链接|相关文章|相关报道|推荐阅读|热点推荐|热点排行|"
    r"热门文章|延伸阅读|当前位置|您当前的位置|您的位置|你的位置|所在位置|位置[:：]|首页\s*[>›»/＞]|扫一扫|"
    r"扫描二维码|微信扫|手机看|主办单位|主办[:：]|承办单位|承办[:：]|协办|技术支持|网站标识码|联系我们|网站地图|"
    r"关于我们|法律声明|免责声明|版权声明|纠错|标签[:：]|关键词[:：]|关键字[:：])"
)
# Footer words that no article line under FOOTER_LINE characters has…
_FOOTER = re.compile(r"ICP|公网安备|网安备|网站标识码|©|All Rights Reserved|Copyright|版权所有|转载请注明|禁止转载|"
                     r"违法和不良信息", re.IGNORECASE)
# … and ones an article's sentence may have ("新版浏览器的分辨率…。").
_FOOTER_WORDS = re.compile(r"举报电话|未经授权|建议使用|分辨率|浏览器|分享到")
# Photo credits and the metadata tables of government sites (索引号, 发布机构…).
_CAPTION = re.compile(r"摄[）)]?$|^(?:索引号|发文机关|发布机构|成文日期|发文字号|主题分类)|(?:索引号|发文字号)[:：]")
_SHARE_WORDS = re.compile(r"微信|微博|QQ空间|QQ好友|朋友圈|人人网|豆瓣")
_DATE_ONLY = re.compile(r"[\d\s:：\-/.年月日时分秒|]+$")
# Facts about the article, not of it: "2024-05-12 09:30　来源：新华网　作者：张三".
_INFO_LINE = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}|(?:来源|作者|编辑|发布时间|发布日期|"
                        r"浏览次数|点击数|阅读数|浏览量|字号)\s*[:：]")


class Selection(NamedTuple):
    kept: list[int]  # indices into layout.blocks, in order
    start: int  # the article's run is blocks[start:end]
    end: int
    furniture: list[bool]  # per block: dropped wherever it is


def is_furniture_text(text: str, chars: int) -> bool:
    if chars > FOOTER_LINE:
        return False
    if _FOOTER.search(text):
        return True
    if chars > SHORT or ends_statement(text):
        return False
    if _CAPTION.search(text):
        return True
    return bool(_FURNITURE_START.match(text) or _DATE_ONLY.match(text) or _INFO_LINE.search(text)
                or _FOOTER_WORDS.search(text)
                or len(_SHARE_WORDS.findall(text)) >= 2)


def select_main(layout: Layout) -> Selection:
    blocks = layout.blocks
    n = len(blocks)
    base = [_score(block) for block in blocks]
    furniture = [_link_heavy(block) or is_furniture_text(block.text, block.chars) for block in blocks]
    _mark_teasers(blocks, furniture)

    positive = _prefix([max(0.0, s) for s in base])
    marks = [0] * (n + 1)
    for region in layout.regions:
        if region.junk and positive[region.end] - positive[region.start] < WRAPPER_SHARE * positive[n]:
            marks[region.start] += 1
            marks[region.end] -= 1
    inside = 0
    for i in range(n):
        inside += marks[i]
        if inside > 0:
            furniture[i] = True
    # The container is chosen on the prose alone: furniture is dropped wherever
    # it sits, so a share bar inside the article's element must not cost it,
    # and a byline or "（完）" costs it little. Within the container, the best
    # run may step over furniture but not over much.
    prose = _prefix([0.0 if furniture[i] else s if s > 0 else WEAK_SHARE * s for i, s in enumerate(base)])
    best, start, end = prose[n], 0, n
    for region in layout.regions:
        value = prose[region.end] - prose[region.start]
        if value > best or (value == best and region.end - region.start < end - start):
            best, start, end = value, region.start, region.end
    scores = [-FURNITURE_COST if furniture[i] else s for i, s in enumerate(base)]
    first, limit = start, end
    start, end = _best_run(scores, start, end)
    while start > first and blocks[start - 1].kind == HEADING and not furniture[start - 1]:
        start -= 1
    while end < limit and not furniture[end] and scores[end] > WEAK_LINE:
        end += 1
    while end > start and blocks[end - 1].kind == HEADING:
        end -= 1
    kept = [i for i in range(start, end) if not furniture[i]]
    return Selection(kept, start, end, furniture)


def _mark_teasers(blocks: list[RawBlock], furniture: list[bool]) -> None:
    """Runs of "title link, then a line or two of summary" are lists of other
    articles (推荐阅读, 相关新闻 with abstracts), however prose-like the summaries."""
    n, i = len(blocks), 0
    while i < n:
        items, j = 0, i
        while j < n and _title_link(blocks[j]):
            k = j + 1
            while (k < n and k - j <= 2 and not _title_link(blocks[k]) and blocks[k].kind != HEADING
                   and blocks[k].chars <= TEASER_CHARS):
                k += 1
            if k == j + 1:
                break
            items, j = items + 1, k
        if items >= 2:
            for k in range(i, j):
                furniture[k] = True
        i = max(j, i + 1)


def _link_heavy(block: RawBlock) -> bool:
    """Mostly link text; a sentence with a long link in it is still prose."""
    share = 2 if not ends_sentence(block.text) else 1.25
    return block.link_chars * share > block.chars


def _title_link(block: RawBlock) -> bool:
    return block.link_chars * 2 > block.chars and block.chars <= TITLE_CHARS


def _score(block: RawBlock) -> float:
    if not block.chars or block.kind == HEADING:
        return 0.0
    text_chars = block.chars - block.link_chars
    punctuated = bool(PUNCTUATION.search(block.text))
    score = text_chars - block.link_chars - 15 if punctuated else 0.25 * text_chars - block.link_chars - 8
    if block.kind == TABLE_ROW:
        return max(score, 2.0)
    if punctuated and ends_sentence(block.text):
        # A short paragraph is worth keeping: "他说。" outweighs a byline nearby.
        return max(score, 0.5 * text_chars)
    return max(score, 1.0) if punctuated else score


def _prefix(values) -> list[float]:
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


def _best_run(scores: list[float], start: int, end: int) -> tuple[int, int]:
    """The contiguous run of ``scores[start:end]`` with the highest sum (Kadane)."""
    best, best_start, best_end = 0.0, start, start
    current, current_start = 0.0, start
    for i in range(start, end):
        if current <= 0:
            current, current_start = 0.0, i
        current += scores[i]
        if current > best:
            best, best_start, best_end = current, current_start, i + 1
    return best_start, best_end
