"""Main-text extraction from Chinese news and government pages: every candidate, one run.

Builds pages around articles whose paragraphs are known (the seed articles,
CMRC 2018 and DRCD contexts cut into paragraphs), in thirteen templates
modelled on Chinese sites: a news portal, an HTML5 paper site, old
table-layout government sites (GB2312/GBK, undeclared GB18030), a div soup
with meaningless class names, portals whose sidebars and comments are
punctuated prose, a minified Word-pasted page, WeChat-style sections, a
related box amid the article, an XHTML page declared only by <?xml?>, a page
with no class or id at all… Every candidate reads the same bytes; the
chunker then cuts its blocks as the index would. Printed per candidate:

- whole: source paragraphs that come back whole inside one chunk
- first / short: the same for first paragraphs and for ones under 20 characters
- boiler: chunks holding anything but the article (its paragraphs, headings,
  title and table rows removed, something is left)
- marked: chunks holding one of the page's furniture strings (share bar,
  ICP line, 责任编辑, a related title, a sidebar summary, a comment…)
- title: exact titles; sections: h2 headings that reach a chunk's section
- MB/s: page bytes per second of extraction (decoding included)

Run: ``.venv/bin/python benchmarks/extract_html.py [--pages 390] [--seed 7] [--only NAME]``
(CMRC/DRCD are read from ../shared/eval/data when present).
"""

from __future__ import annotations

import argparse
import codecs
import html as html_escape
import json
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from lxml import etree  # noqa: E402

from retrieval.chunking.chunks import chunk_documents  # noqa: E402
from retrieval.ingest import html as html_reader  # noqa: E402
from retrieval.ingest.html_blocks import is_junk  # noqa: E402
from retrieval.ingest.html_text import SKIPPED  # noqa: E402
from retrieval.ingest.html_decoding import decode_page  # noqa: E402
from retrieval.ingest.model import HEADING, PARAGRAPH, TABLE_ROW, Block, Document, blocks_text  # noqa: E402

SHARED = REPO.parent / "shared" / "eval" / "data"
SEEDS = REPO / "seeds" / "articles"


# ------------------------------------------------------------------ articles


@dataclass
class Article:
    title: str
    sections: list[tuple[str, list[str]]]  # (heading or "", paragraphs)
    table: list[list[str]] = field(default_factory=list)  # first row names the columns

    @property
    def paragraphs(self) -> list[str]:
        return [p for _, ps in self.sections for p in ps]

    @property
    def headings(self) -> list[str]:
        return [h for h, _ in self.sections if h]

    @property
    def table_rows(self) -> list[str]:
        head = self.table[0] if self.table else []
        return ["; ".join(f"{h}: {v}" for h, v in zip(head, row)) for row in self.table[1:]]


HEADINGS = ["一、基本情况", "二、主要做法和成效", "三、存在的问题", "四、下一步工作打算", "历史沿革", "主要特点",
            "社会影响", "发展现状", "相关研究", "（一）坚持问题导向", "（二）强化制度保障", "结语"]


def seed_articles() -> list[Article]:
    articles = []
    for path in sorted(SEEDS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---", 2)
        title = re.search(r"^title:\s*(.+)$", front, re.M).group(1).strip()
        sections, heading, paragraphs = [], "", []
        for chunk in body.strip().split("\n\n"):
            chunk = chunk.strip()
            if chunk.startswith("## "):
                if paragraphs or heading:
                    sections.append((heading, paragraphs))
                heading, paragraphs = chunk[3:].strip(), []
            elif chunk:
                paragraphs.append(chunk)
        sections.append((heading, paragraphs))
        articles.append(Article(title, sections))
    return articles


def squad_articles(path: Path, rng: random.Random, limit: int) -> list[Article]:
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    out = []
    for item in data:
        for paragraph in item["paragraphs"]:
            if not item["title"].strip():
                continue
            out.append(_cut(item["title"].strip(), paragraph["context"], rng))
            if len(out) >= limit:
                return out
    return out


def _cut(title: str, context: str, rng: random.Random) -> Article:
    sentences = [s for s in re.findall(r"[^。！？]*[。！？」”]*", context.replace("\n", "")) if s.strip()]
    paragraphs, current = [], ""
    for sentence in sentences:
        current += sentence
        if rng.random() < 0.45:
            paragraphs.append(current.strip())
            current = ""
    if current.strip():
        paragraphs.append(current.strip())
    sections = [("", paragraphs)]
    if len(paragraphs) >= 4 and rng.random() < 0.6:
        cut = rng.randint(1, len(paragraphs) - 2)
        heads = rng.sample(HEADINGS, 2)
        sections = [("", paragraphs[:cut]), (heads[0], paragraphs[cut:])]
    table = []
    if rng.random() < 0.25:
        table = [["项目", "2022年", "2023年", "增长"]]
        for name in rng.sample(["地区生产总值", "一般公共预算收入", "常住人口", "城镇化率", "固定资产投资"], 3):
            a, b = rng.randint(100, 999), rng.randint(100, 999)
            table.append([name, f"{a}亿元", f"{b}亿元", f"{(b - a) / a:.1%}"])
    return Article(title, sections, table)


# ------------------------------------------------------------------ furniture

SITES = [("新华网", "www.news.cn"), ("人民网", "www.people.com.cn"), ("中国政府网", "www.gov.cn"),
         ("央视网", "news.cctv.com"), ("光明网", "www.gmw.cn"), ("中国新闻网", "www.chinanews.com.cn"),
         ("重庆市人民政府", "www.cq.gov.cn"), ("澎湃新闻", "www.thepaper.cn"), ("华龙网", "www.cqnews.net")]
NAV = ["首页", "要闻", "时政", "国际", "财经", "科技", "体育", "文化", "教育", "健康", "军事", "地方", "评论", "图片",
       "视频", "专题", "政务公开", "政策文件", "办事服务", "互动交流", "数据发布"]
EDITORS = ["王小明", "李娜", "张伟", "刘洋", "陈静", "赵磊"]
COMMENTS = ["写得很好，支持！希望越办越好。", "希望政策尽快落地，真正造福老百姓。", "点赞！为家乡的发展感到骄傲。",
            "请问具体什么时候开始实施？有没有详细的办事指南？", "这个问题确实值得深思，基层的情况更复杂。",
            "说得太对了，关键在于落实，不能只停留在纸面上。"]
TITLE_FORMATS = ["{t}_{s}", "{t} - {s}", "{t}|{s}", "{t}_滚动新闻_{s}", "{t}-{s}", "{t}｜{s}", "{t} _ {s}"]


@dataclass
class Page:
    article: Article
    data: bytes
    markers: list[str]  # furniture strings printed on the page
    template: str
    url: str


class Furniture:
    def __init__(self, rng: random.Random, others: list[Article]):
        self.rng = rng
        self.others = others
        self.markers: list[str] = []

    def mark(self, text: str) -> str:
        self.markers.append(text)
        return html_escape.escape(text, quote=False)

    def titles(self, n: int) -> list[str]:
        return [a.title for a in self.rng.sample(self.others, n)]

    def summary(self) -> str:
        text = self.rng.choice(self.rng.choice(self.others).paragraphs)
        first = re.match(r"[^。！？]+[。！？]", text)
        summary = first.group() if first else text
        return summary if len(summary) <= 60 else summary[:59] + "…"

    def nav(self, n: int = 10) -> list[str]:
        return self.rng.sample(NAV, n)

    def date(self) -> str:
        r = self.rng
        return f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"

    def icp(self) -> str:
        r = self.rng
        return f"{r.choice('京沪渝粤浙')}ICP备{r.randint(10000000, 99999999)}号-{r.randint(1, 9)}"


def _inline(text: str, rng: random.Random) -> str:
    """The paragraph's text with an inline tag around a stretch of it, as editors leave them."""
    escaped = html_escape.escape(text, quote=False)
    if len(text) < 12 or rng.random() < 0.5:
        return escaped
    a = rng.randint(0, len(text) - 6)
    b = rng.randint(a + 2, min(len(text), a + 12))
    tag = rng.choice(["strong", "span", "b", "a href=\"/t/1.html\"", "font color=\"#333\""])
    name = tag.split()[0]
    e = html_escape.escape
    return f"{e(text[:a], quote=False)}<{tag}>{e(text[a:b], quote=False)}</{name}>{e(text[b:], quote=False)}"


def _wrapped(text: str, rng: random.Random) -> str:
    """Hard line breaks every few dozen characters, as old CMSs write them."""
    lines, line = [], ""
    for i, ch in enumerate(text):
        line += ch
        following = text[i + 1:i + 2]
        if len(line) >= 38 and _CJK.match(ch) and _CJK.match(following):
            lines.append(line)
            line = ""
    return "\n      ".join(html_escape.escape(x, quote=False) for x in lines + [line])


_CJK = re.compile("[\u4e00-\u9fff，。、；：“”（）]")


def _table_html(table: list[list[str]], th: bool) -> str:
    if not table:
        return ""
    head_tag = "th" if th else "td"
    rows = ["<tr>" + "".join(f"<{head_tag}>{c}</{head_tag}>" for c in table[0]) + "</tr>"]
    rows += ["<tr>" + "".join(f"<td><p>{c}</p></td>" for c in row) + "</tr>" for row in table[1:]]
    return '<table border="1" cellspacing="0" class="MsoTableGrid">' + "".join(rows) + "</table>"


def _body_p(article: Article, rng: random.Random, indent: str = "", wrap: bool = False) -> str:
    parts = []
    for s_index, (heading, paragraphs) in enumerate(article.sections):
        if heading:
            parts.append(f"<h2>{html_escape.escape(heading)}</h2>")
        for p_index, p in enumerate(paragraphs):
            text = _wrapped(p, rng) if wrap else _inline(p, rng)
            style = ' style="text-indent:2em;"' if rng.random() < 0.3 else ""
            parts.append(f"<p{style}>{indent}{text}</p>")
            if s_index == 0 and p_index == 1 and article.table:
                parts.append(_table_html(article.table, th=rng.random() < 0.5))
    return "\n".join(parts)


def _head(title_tag: str, charset_tag: str, url: str, extra: str = "") -> str:
    return (f"<head>{charset_tag}<title>{html_escape.escape(title_tag)}</title>"
            f'<meta name="keywords" content="新闻,时政"><link rel="canonical" href="{url}">'
            '<link rel="stylesheet" href="/css/main.css"><style>body{font:14px/1.8 "宋体"}.nav li{float:left}</style>'
            '<script>var _hmt=_hmt||[];(function(){var hm=document.createElement("script");'
            'hm.src="https://hm.baidu.com/hm.js?x";document.body.appendChild(hm)})();</script>'
            f"{extra}</head>")


def news_portal(a: Article, f: Furniture, site, head) -> str:
    r, m = f.rng, f.mark
    nav = "".join(f'<li><a href="/{i}/">{m(x)}</a></li>' for i, x in enumerate(f.nav(12)))
    related = "".join(f'<li><a href="/r/{i}.htm">{m(t)}</a><span>{f.date()[:10]}</span></li>'
                      for i, t in enumerate(f.titles(5)))
    hot = "".join(f"<li><a>{m(t)}</a></li>" for t in f.titles(6))
    return f"""<!DOCTYPE html><html>{head}<body>
<div class="header"><div class="logo"><h1><a href="/"><img src="/logo.png" alt="{site[0]}">{site[0]}</a></h1></div>
<div class="login"><a>{m('登录')}</a> | <a>注册</a></div><ul class="nav">{nav}</ul></div>
<div class="crumbs">{m('您当前的位置')}：<a href="/">首页</a> &gt; <a href="/p/">时政</a> &gt; 正文</div>
<div class="main clearfix"><div class="left">
 <div class="head"><h1>{html_escape.escape(a.title)}</h1>
  <div class="info"><span class="time">{f.date()}</span>　<span class="source">{m('来源：' + site[0])}</span></div>
  <div class="share bdsharebuttonbox">{m('分享到')}：<a class="bds_weixin">微信</a><a class="bds_tsina">微博</a><a>QQ空间</a></div></div>
 <div id="detail">
{_body_p(a, r, indent=r.choice(["", "　　", "&nbsp;&nbsp;&nbsp;&nbsp;"]))}
 </div>
 <div class="editor">{m('【责任编辑：' + r.choice(EDITORS) + '】')}</div>
 <div class="related"><h3>{m('相关新闻')}</h3><ul>{related}</ul></div>
</div>
<div class="right"><div class="box"><h3>{m('热点排行')}</h3><ol>{hot}</ol></div><div class="ad"><img src="/ad.jpg"></div></div>
</div>
<div class="footer"><p><a>{m('关于我们')}</a> | <a>联系我们</a> | <a>网站地图</a> | <a>法律声明</a></p>
<p>{m('版权所有')} {site[0]} {m(f.icp())} 京公网安备11010502034567号</p>
<p>{m('Copyright')} © 2000-2024 {site[1]} All Rights Reserved.</p></div>
<script>document.write('<div class="float">在线客服</div>');</script></body></html>"""


def html5_paper(a: Article, f: Furniture, site, head) -> str:
    r, m = f.rng, f.mark
    nav = "".join(f'<a href="/{i}/">{m(x)}</a>' for i, x in enumerate(f.nav(9)))
    recs = "".join(f"<li><a>{m(t)}</a><p>{m(f.summary())}</p></li>" for t in f.titles(3))
    comments = "".join(f'<div class="comment-item"><span>网友{r.randint(100, 999)}</span><p>{m(c)}</p></div>'
                       for c in r.sample(COMMENTS, 3))
    tags = "".join(f"<a>{x}</a>" for x in f.nav(3))
    return f"""<!DOCTYPE html>
<html lang="zh-CN">{head}<body>
<header class="site-header"><div class="logo">{site[0]}</div><nav>{nav}</nav>
<form class="search-form"><input name="q"><button>{m('搜索')}</button></form></header>
<main><div class="container">
<article><header><h1>{html_escape.escape(a.title)}</h1><p class="byline">{f.date()}　{m('来源：' + site[0])}</p></header>
<section class="article-body">
{_body_p(a, r)}
</section>
<footer><p>{m('（责任编辑：' + r.choice(EDITORS) + '）')}</p><div class="tags">标签：{tags}</div></footer></article>
<aside class="sidebar"><section><h2>{m('推荐阅读')}</h2><ul>{recs}</ul></section></aside>
<section id="comments" class="comments"><h2>{m('网友评论')}</h2>{comments}</section>
</div></main>
<footer class="site-footer"><p>{m(site[0] + '版权所有，未经书面授权禁止使用')}</p>
<p>{m('Copyright © 1997-2024 by ' + site[1] + '. all rights reserved')}</p><p>{m(f.icp())}</p></footer>
</body></html>"""


def gov_tables(a: Article, f: Furniture, site, head) -> str:
    r, m = f.rng, f.mark
    nav = " | ".join(f'<a href="/{i}/">{m(x)}</a>' for i, x in enumerate(f.nav(8)))
    column = "".join(f'<tr><td class="lm2"><a href="/c/{i}/">{m(x)}</a></td></tr>' for i, x in enumerate(f.nav(6)))
    body = []
    for heading, paragraphs in a.sections:
        if heading:
            body.append(f'<h2 style="font-size:16px">{html_escape.escape(heading)}</h2>')
        for p in paragraphs:
            body.append(f'<p style="text-indent:2em">&nbsp;&nbsp;{_wrapped(p, r)}</p>')
    if a.table:
        body.insert(1, _table_html(a.table, th=False))
    return f"""<html>{head}
<body><table width="1000" align="center" border="0"><tr><td><img src="/images/banner.jpg"></td></tr>
<tr><td class="dh" height="36">{nav}</td></tr></table>
<table width="1000" align="center"><tr><td width="240" valign="top">
  <table width="100%"><tr><td class="lm">{m('栏目导航')}</td></tr>{column}</table>
</td><td valign="top">
  <table width="100%">
  <tr><td class="wz">{m('当前位置')}：<a>首页</a> &gt;&gt; <a>政务公开</a> &gt;&gt; <a>通知公告</a></td></tr>
  <tr><td align="center" class="bt">{html_escape.escape(a.title)}</td></tr>
  <tr><td align="center" class="sj">{m('发布时间：' + f.date()[:10])}　　来源：{site[0]}　　浏览次数：{r.randint(100, 9999)}</td></tr>
  <tr><td class="nr"><div class="TRS_Editor">
{chr(10).join(body)}
  </div></td></tr>
  <tr><td align="right"><a href="javascript:window.print()">{m('【打印本页】')}</a> <a href="javascript:window.close()">{m('【关闭窗口】')}</a></td></tr>
  </table></td></tr></table>
<table width="1000" align="center" class="bottom"><tr><td align="center">{m('主办单位')}：{site[0]}办公厅　承办单位：{site[0]}信息中心<br>
{m('网站标识码')}：5000000001　{m(f.icp())}　渝公网安备 50010302000000号<br>
{m('建议使用1024×768分辨率')} IE8.0以上浏览器</td></tr></table></body></html>"""


def div_soup(a: Article, f: Furniture, site, head) -> str:
    r, m = f.rng, f.mark
    nav = " | ".join(f'<a href="/{i}.html">{m(x)}</a>' for i, x in enumerate(f.nav(10)))
    body = []
    for heading, paragraphs in a.sections:
        if heading:
            body.append(f"<h2>{html_escape.escape(heading)}</h2>")
        body.append("<br><br>".join(f"　　{_inline(p, r)}" for p in paragraphs))
    table = _table_html(a.table, th=True)
    side = "".join(f'<a href="/s/{i}.html">{m(t)}</a><br>{m(f.summary())}<br>' for i, t in enumerate(f.titles(3)))
    return f"""<html>{head}<body>
<div id="a1"><div class="x1">{nav}</div></div>
<div class="w1"><div class="c2">
<div class="t1">{html_escape.escape(a.title)}</div>
<div class="t2">{f.date()}　{m('来源：' + site[0])}　作者：{r.choice(EDITORS)}</div>
<div class="c3">
{'<br><br>'.join(body)}
{table}
</div>
<div class="c4">{m('上一篇')}：<a>{m(f.titles(1)[0])}</a><br>{m('下一篇')}：<a>{m(f.titles(1)[0])}</a></div>
</div>
<div class="c9"><div class="c9t">{m('推荐阅读')}</div>{side}</div></div>
<div class="c10">{m('联系电话：023-63899999　地址：重庆市渝中区人民路232号')}<br>{m('版权所有')}：{site[0]}　{m(f.icp())}</div>
</body></html>"""


def prose_sidebars(a: Article, f: Furniture, site, head) -> str:
    r, m = f.rng, f.mark
    nav = "".join(f'<li><a href="/{i}/">{m(x)}</a></li>' for i, x in enumerate(f.nav(11)))
    lists = "".join(f'<li><h4><a href="/n/{i}.shtml">{m(t)}</a></h4><p>{m(f.summary())}</p></li>'
                    for i, t in enumerate(f.titles(4)))
    comments = "".join(f'<div class="pl-item"><div class="pl-user">网友{r.randint(1000, 9999)}</div>'
                       f'<div class="pl-text">{m(c)}</div></div>' for c in r.sample(COMMENTS, 4))
    return f"""<!DOCTYPE html><html>{head}<body>
<div class="top"><div class="w"><a>{m('设为首页')}</a> <a>加入收藏</a></div></div>
<div class="menu"><ul>{nav}</ul></div>
<div class="w clearfix"><div class="l">
<div class="article"><h1 class="tit">{html_escape.escape(a.title)}</h1>
<div class="msg">{f.date()}　{m('来源：' + site[0])}　<span class="fx">{m('分享到：微信 微博 QQ空间')}</span></div>
<div class="text">
{_body_p(a, r, indent="　　")}
</div>
<div class="bjr">{m('责任编辑：' + r.choice(EDITORS))}</div></div>
<div class="bd"><div class="hd"><span>{m('相关阅读')}</span></div><ul>{lists}</ul></div>
<div id="pl"><div class="pl-hd">{m('网友评论')}</div>{comments}</div>
</div><div class="r"><div class="mod"><div class="mod-hd">{m('热门文章')}</div>
<ul>{''.join(f'<li><a>{m(t)}</a></li>' for t in f.titles(5))}</ul></div></div></div>
<div class="foot">{m('版权所有')} © {site[0]} {m(f.icp())}</div></body></html>"""


def minified_word(a: Article, f: Furniture, site, head) -> str:
    r, m = f.rng, f.mark
    nav = "".join(f'<a href="/{i}/">{m(x)}</a>' for i, x in enumerate(f.nav(8)))
    body = []
    for heading, paragraphs in a.sections:
        if heading:
            body.append(f"<h2><span style=\"font-family:黑体\">{html_escape.escape(heading)}</span></h2>")
        for p in paragraphs:
            cut = r.randint(1, max(1, len(p) - 1))
            e = html_escape.escape
            body.append(f'<p class="MsoNormal" style="text-indent:32pt;line-height:28pt">'
                        f'<span style="font-family:仿宋_GB2312;font-size:16pt">{e(p[:cut], quote=False)}</span>'
                        f'<span style="font-family:仿宋_GB2312;font-size:16pt">{e(p[cut:], quote=False)}</span></p>')
    if a.table:
        body.insert(1, _table_html(a.table, th=False))
    page = (f'<!DOCTYPE html><html>{head}<body><div class="menu">{nav}</div>'
            f'<div class="bread">{m("首页 > 政策 > 政策解读")}</div><div class="pages">'
            f'<div class="pages-title">{html_escape.escape(a.title)}</div>'
            f'<div class="pages-date">{f.date()[:16]}　{m("来源：" + site[0])}<span class="font">{m("【字体：大 中 小】")}</span></div>'
            f'<div class="pages_content" id="UCAP-CONTENT">{"".join(body)}</div>'
            f'<div class="share">{m("扫一扫在手机打开当前页")}</div></div>'
            f'<div class="copyright">{m("主办单位：国务院办公厅")}　{m("运行维护单位：中国政府网运行中心")}　{m(f.icp())}</div></body></html>')
    return page.replace("\n", "")


def sections_per_paragraph(a: Article, f: Furniture, site, head) -> str:
    """Each paragraph in its own <section> (WeChat-style editors), the sidebar before the article."""
    r, m = f.rng, f.mark
    side = "".join(f'<li><a href="/x/{i}">{m(t)}</a><div class="desc">{m(f.summary())}</div></li>'
                   for i, t in enumerate(f.titles(4)))
    body = []
    for heading, paragraphs in a.sections:
        if heading:
            body.append(f'<section><h2><span style="color:#c00">{html_escape.escape(heading)}</span></h2></section>')
        body += [f'<section style="margin:0 8px"><p style="line-height:2"><span style="font-size:15px">{_inline(p, r)}'
                 '</span></p></section>' for p in paragraphs]
    if a.table:
        body.insert(1, _table_html(a.table, th=True))
    related = "".join(f"<li><a href='/r{i}'>{m(t)}</a></li>" for i, t in enumerate(f.titles(4)))
    return f"""<!DOCTYPE html><html>{head}<body><div class="container"><div class="row">
<div class="col-md-3"><div class="box"><div class="box-title">{m('推荐阅读')}</div><ul>{side}</ul></div></div>
<div class="col-md-9"><div class="art"><h1>{html_escape.escape(a.title)}</h1>
<div class="article-meta"><span>{f.date()}</span> <span>{m('来源：' + site[0])}</span></div>
{''.join(body)}
<p>{m('分享到：微信 微博')}</p><ul>{related}</ul></div></div></div></div>
<div class="foot-wrap"><p>{m('地址：北京市西城区宣武门西大街57号　邮编：100803')}</p><p>{m(f.icp())}</p></div></body></html>"""


def brief_news(a: Article, f: Furniture, site, head) -> str:
    """Short paragraphs beside a sidebar of long, punctuated summaries."""
    r, m = f.rng, f.mark
    side = "".join(f'<div class="item"><a class="t" href="/s{i}">{m(t)}</a><p>{m(f.summary() + f.summary())}</p></div>'
                   for i, t in enumerate(f.titles(5)))
    body = "".join((f"<h2>{html_escape.escape(h)}</h2>" if h else "") + "".join(f"<p>{_inline(p, r)}</p>" for p in ps)
                   for h, ps in a.sections)
    if a.table:
        body += _table_html(a.table, th=True)
    nav = "".join(f"<a href='/{i}'>{m(x)}</a>" for i, x in enumerate(f.nav(9)))
    return f"""<html>{head}<body><div class="top-bar">{nav}</div><div class="wrap">
<div class="left-box"><h1>{html_escape.escape(a.title)}</h1><div class="zz">记者 {r.choice(EDITORS)}</div>{body}<div>（完）</div></div>
<div class="right-box"><h2>{m('图片新闻')}</h2>{side}</div></div>
<div class="ft">{m('Copyright ©2024 ' + site[1])} {m(f.icp())}</div></body></html>"""


def gov_metadata(a: Article, f: Furniture, site, head) -> str:
    """A government page whose article starts with its 信息公开 metadata table."""
    r, m = f.rng, f.mark
    meta = (f'<table class="xxgk"><tr><td>{m("索引号")}：</td><td>11500000MB1{r.randint(10000, 99999)}/2024-00{r.randint(100, 999)}</td>'
            f'<td>{m("发布机构")}：</td><td>{site[0]}办公厅</td></tr><tr><td>{m("成文日期")}：</td><td>{f.date()[:10]}</td>'
            '<td>主题分类：</td><td>综合政务</td></tr></table>')
    nav = "".join(f"<li><a href='/{i}'>{m(x)}</a></li>" for i, x in enumerate(f.nav(8)))
    return f"""<html>{head}<body><div class="header"><ul class="menu">{nav}</ul></div>
<div class="container"><div class="location">{m('当前位置')}：首页 &gt; 政务公开</div>
<div class="article-content">{meta}<h1>{html_escape.escape(a.title)}</h1><div class="content">{_body_p(a, r)}</div>
<div class="fj">{m('附件')}：<a>{m('附件1.pdf')}</a></div></div></div>
<div class="footer"><p>{m('主办')}：{site[0]}办公厅 {m('网站标识码')}：5000000095 {m(f.icp())}</p></div></body></html>"""


def related_inside(a: Article, f: Furniture, site, head) -> str:
    """A related-reading box and a photo credit in the middle of the article's own element."""
    r, m = f.rng, f.mark
    middle = max(1, len(a.paragraphs) // 2)
    related = "".join(f"<li><a href='/r{i}'>{m(t)}</a></li>" for i, t in enumerate(f.titles(4)))
    parts, count = [], 0
    for heading, paragraphs in a.sections:
        if heading:
            parts.append(f"<h2>{html_escape.escape(heading)}</h2>")
        for p in paragraphs:
            parts.append(f"<p>　　{_inline(p, r)}</p>")
            count += 1
            if count == middle:
                parts.append(f'<div class="img_wrapper"><img src="/a.jpg"><span class="img_descr">'
                             f'{m("图为会议现场。新华社记者 " + r.choice(EDITORS) + " 摄")}</span></div>')
                parts.append(f'<div class="xg"><h3>{m("相关阅读")}</h3><ul>{related}</ul></div>')
    if a.table:
        parts.insert(2, _table_html(a.table, th=True))
    left = "".join(f"<li><a>{m(x)}</a></li>" for x in f.nav(12))
    return f"""<html>{head}<body><div class="w"><div class="lnav"><ul>{left}</ul></div>
<div class="main-content"><h1 id="artibodyTitle">{html_escape.escape(a.title)}</h1><div class="date-source">{f.date()} {m(site[0])}</div>
<div id="artibody">{''.join(parts)}<p class="article-editor">{m('责任编辑：' + r.choice(EDITORS) + ' SN222')}</p></div></div></div>
<script src="/comment.js"></script><div class="bottom">{m('新浪公司 版权所有')}</div></body></html>"""


def xhtml_gb2312(a: Article, f: Furniture, site, head) -> str:
    """XHTML whose only declaration is <?xml encoding="gb2312"?>, paragraphs as <div class="p">."""
    r, m = f.rng, f.mark
    body = "".join((f"<h3>{html_escape.escape(h)}</h3>" if h else "") + "".join(f'<div class="p">{_inline(p, r)}</div>' for p in ps)
                   for h, ps in a.sections)
    return f"""<?xml version="1.0" encoding="gb2312"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">{head}<body><div id="hd"><a>{m('光明网首页')}</a> | <a>{m('光明日报')}</a> | <a>{m('时评')}</a></div>
<div id="bd"><h1>{html_escape.escape(a.title)}</h1><div class="ly">{m('来源：光明网')}　{f.date()}</div>{body}{_table_html(a.table, th=True)}
<div class="bj">{m('[责任编辑：' + r.choice(EDITORS) + ']')}</div></div><div id="ft">{m('光明网版权所有')}</div></body></html>"""


def nested_tables_br(a: Article, f: Furniture, site, head) -> str:
    """Tables in tables, the article as one cell of <br>-separated paragraphs, the title in <font>."""
    r, m = f.rng, f.mark
    inner = []
    for heading, paragraphs in a.sections:
        if heading:
            inner.append(f"<h2>{html_escape.escape(heading)}</h2>")
        inner.append("<br>".join(f"　　{html_escape.escape(p, quote=False)}" for p in paragraphs))
    related = "<br>".join(f"· <a href='/r{i}'>{m(t)}</a>" for i, t in enumerate(f.titles(4)))
    nav = " ".join(f"<a>{m(x)}</a>" for x in f.nav(7))
    return f"""<html>{head}<body><table width="980"><tr><td><table><tr><td>{nav}</td></tr></table></td></tr>
<tr><td><table width="100%"><tr><td align="center"><font size="5"><b>{html_escape.escape(a.title)}</b></font></td></tr>
<tr><td>{"".join(inner)}</td></tr><tr><td>{_table_html(a.table, th=False)}</td></tr><tr><td>{m('相关链接')}：<br>{related}</td></tr></table></td></tr>
<tr><td align="center">{m('版权所有：重庆市人民政府办公厅')}　{m(f.icp())}</td></tr></table></body></html>"""


def plain_tags(a: Article, f: Furniture, site, head) -> str:
    """No class or id anywhere: only the tags and the text say what is what."""
    m = f.mark
    nav = " ".join(f"<a href='/{i}'>{m(x)}</a>" for i, x in enumerate(f.nav(8)))
    related = "".join(f"<li><a href='/r{i}'>{m(t)}</a></li>" for i, t in enumerate(f.titles(5)))
    return f"""<html>{head}<body><div>{nav}</div><div><h1>{html_escape.escape(a.title)}</h1><p>{m('来源：' + site[0])} {f.date()}</p>
<p>{m('分享到：微信 微博')}</p>{_body_p(a, f.rng)}<p>{m('责任编辑：' + f.rng.choice(EDITORS))}</p>
<h3>{m('相关文章')}</h3><ul>{related}</ul></div><p>{m('版权所有 © 2024 ' + site[0])} {m(f.icp())}</p></body></html>"""


TEMPLATES = {"news_portal": news_portal, "html5_paper": html5_paper, "gov_tables": gov_tables,
             "div_soup": div_soup, "prose_sidebars": prose_sidebars, "minified_word": minified_word,
             "sections_per_paragraph": sections_per_paragraph, "brief_news": brief_news,
             "gov_metadata": gov_metadata, "related_inside": related_inside, "xhtml_gb2312": xhtml_gb2312,
             "nested_tables_br": nested_tables_br, "plain_tags": plain_tags}
# Templates that carry their own declaration (or none) and the bytes to match.
FIXED_ENCODING = {"xhtml_gb2312": "gb-undeclared", "nested_tables_br": "gb-undeclared"}


def build_pages(articles: list[Article], rng: random.Random) -> list[Page]:
    pages = []
    for index, article in enumerate(articles):
        name = list(TEMPLATES)[index % len(TEMPLATES)]
        site = rng.choice(SITES)
        url = f"https://{site[1]}/{2024}-{index % 12 + 1:02d}/{index}/c_{1000 + index}.htm"
        encoding = rng.choice(["utf-8", "utf-8", "utf-8", "gbk-meta", "gb2312-http-equiv", "bom", "none"])
        if name == "gov_tables" and rng.random() < 0.7:
            encoding = "gb2312-http-equiv"
        encoding = FIXED_ENCODING.get(name, encoding)
        charset = {"utf-8": '<meta charset="utf-8">', "gbk-meta": '<meta charset="gbk">',
                   "gb2312-http-equiv": '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
                   "bom": "", "none": "", "gb-undeclared": ""}[encoding]
        title_tag = rng.choice(TITLE_FORMATS).format(t=article.title, s=site[0])
        furniture = Furniture(rng, articles[:index] + articles[index + 1:])
        text = TEMPLATES[name](article, furniture, site, _head(title_tag, charset, url))
        if encoding.startswith("gb"):
            data = text.encode("gb18030")
        elif encoding == "bom":
            data = codecs.BOM_UTF8 + text.encode("utf-8")
        else:
            data = text.encode("utf-8")
        own = set(article.paragraphs) | set(article.headings) | {article.title}
        markers = [mk for mk in furniture.markers if len(mk) >= 2 and not any(mk in o for o in own)]
        pages.append(Page(article, data, markers, name, url))
    return pages


# ------------------------------------------------------------------ candidates


def own(data: bytes) -> tuple[str, list[Block]]:
    docs, _ = html_reader.read_page(data, "page.html")
    return (docs[0].title, list(docs[0].blocks)) if docs else ("", [])


def _trafilatura(data: bytes, **options) -> tuple[str, list[Block]]:
    import trafilatura

    text, _, _ = decode_page(data)
    xml = trafilatura.extract(text, output_format="xml", with_metadata=True, include_tables=True,
                              include_comments=False, include_formatting=False, **options)
    return _trafilatura_blocks(xml)


def _trafilatura_blocks(xml: str | None) -> tuple[str, list[Block]]:
    """trafilatura's XML (<head>, <p> with <lb/>, <list>, <table>, nested <div>) → blocks."""
    if not xml:
        return "", []
    root = etree.fromstring(xml.encode("utf-8"))
    blocks: list[Block] = []
    main = root.find("main")
    if main is not None:
        _container_blocks(main, blocks)
    return root.get("title") or "", [b for b in blocks if b.text]


def _container_blocks(container, blocks: list[Block]) -> None:
    loose = [container.text or ""]  # text between the container's blocks, split at <lb/>

    def flush():
        text = "".join(loose).strip()
        if text:
            blocks.append(Block(text, PARAGRAPH))
        loose.clear()

    for element in container:
        if element.tag == "lb":
            flush()
        elif element.tag == "head":
            flush()
            rend = element.get("rend") or "h2"
            level = int(rend[1:]) if rend[1:].isdigit() else 2
            blocks.append(Block("".join(element.itertext()).strip(), HEADING, level))
        elif element.tag == "table":
            flush()
            rows = [["".join(c.itertext()).strip() for c in row] for row in element.iter("row")]
            head = rows[0] if len(rows) > 1 else []
            for row in rows[1:] if head else rows:
                pairs = [f"{h}: {v}" if h and h != v else v for h, v in zip(head or [""] * len(row), row) if v]
                blocks.append(Block("; ".join(pairs), TABLE_ROW))
        elif element.tag == "list":
            flush()
            blocks += [Block(t, PARAGRAPH) for item in element.iter("item") if (t := "".join(item.itertext()).strip())]
        elif element.tag in ("div", "quote", "main"):
            flush()
            _container_blocks(element, blocks)
        elif element.tag == "p":
            flush()
            _container_blocks(element, blocks)
        else:
            loose.append("".join(element.itertext()))
        loose.append(element.tail or "")
    flush()


def trafilatura_default(data: bytes):
    return _trafilatura(data)


def trafilatura_recall(data: bytes):
    return _trafilatura(data, favor_recall=True)


def trafilatura_precision(data: bytes):
    return _trafilatura(data, favor_precision=True)


def hybrid_cleanup_trafilatura(data: bytes):
    """Our furniture removal (tags, class/id words) first, trafilatura on what is left."""
    import trafilatura

    text, _, _ = decode_page(data)
    root = html_reader.parse(text)
    if root is None:
        return "", []
    total = len("".join(root.itertext()))
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.getparent() is None:
            continue
        if element.tag in SKIPPED - {"head", "title", "meta", "link"} or (
                is_junk(element) and len("".join(element.itertext())) < 0.85 * total):
            _drop(element)
    cleaned = etree.tostring(root, encoding="unicode", method="html")
    xml = trafilatura.extract(cleaned, output_format="xml", with_metadata=True, include_tables=True,
                              include_comments=False, include_formatting=False)
    return _trafilatura_blocks(xml)


def _drop(element) -> None:
    """lxml.html's drop_tree for a plain etree element: the tail stays."""
    parent, previous = element.getparent(), element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


CANDIDATES = {
    "own (lxml blocks + scoring)": own,
    "trafilatura": trafilatura_default,
    "trafilatura favor_recall": trafilatura_recall,
    "trafilatura favor_precision": trafilatura_precision,
    "own cleanup + trafilatura": hybrid_cleanup_trafilatura,
}


# ------------------------------------------------------------------ measuring

_LEFT = re.compile(r"[\W_]+")


def measure(candidate, pages: list[Page]) -> dict:
    counts = dict(paragraphs=0, whole=0, first=0, firsts=0, short=0, shorts=0, chunks=0, boiler=0,
                  marked=0, titles=0, headings=0, sections=0, bytes=0)
    by_template: dict[str, list[int]] = {}
    seconds = 0.0
    for page in pages:
        started = time.perf_counter()
        title, blocks = candidate(page.data)
        seconds += time.perf_counter() - started
        counts["bytes"] += len(page.data)
        a = page.article
        doc = Document("page", blocks_text(blocks), "page.html", title=title, blocks=tuple(blocks))
        chunks = chunk_documents([doc]) if blocks else []
        texts = [c.text for c in chunks]
        whole_here = 0
        for s_index, (_, paragraphs) in enumerate(a.sections):
            for p_index, p in enumerate(paragraphs):
                ok = any(p in t for t in texts)
                whole_here += ok
                if s_index == 0 and p_index == 0:
                    counts["firsts"] += 1
                    counts["first"] += ok
                if len(p) < 20:
                    counts["shorts"] += 1
                    counts["short"] += ok
        counts["paragraphs"] += len(a.paragraphs)
        counts["whole"] += whole_here
        slot = by_template.setdefault(page.template, [0, 0])
        slot[0] += whole_here
        slot[1] += len(a.paragraphs)
        units = sorted(set(a.paragraphs + a.headings + a.table_rows + [a.title]), key=len, reverse=True)
        for t in texts:
            left = t
            for u in units:
                if u in left:
                    left = left.replace(u, "")
            counts["boiler"] += len(_LEFT.sub("", left)) >= 2
            counts["marked"] += any(mk in t for mk in page.markers)
        counts["chunks"] += len(texts)
        counts["titles"] += title == a.title
        counts["headings"] += len(a.headings)
        counts["sections"] += sum(any(h in c.section for c in chunks) for h in a.headings)
    counts["seconds"] = seconds
    counts["by_template"] = {k: v[0] / max(1, v[1]) for k, v in by_template.items()}
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=390, help="pages to build (default 390: 30 per template)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", help="run only candidates whose name contains this")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    articles = seed_articles()
    rest = args.pages - len(articles)
    articles += squad_articles(SHARED / "cmrc2018" / "squad-style-data" / "cmrc2018_dev.json", rng, rest * 2 // 3)
    articles += squad_articles(SHARED / "drcd" / "DRCD_dev.json", rng, args.pages - len(articles))
    pages = build_pages(articles, rng)
    size = sum(len(p.data) for p in pages)
    print(f"{len(pages)} pages ({size / 1e6:.1f} MB), {sum(len(p.article.paragraphs) for p in pages)} paragraphs, "
          f"templates: {', '.join(TEMPLATES)}")
    print(f"{'candidate':32} {'whole':>6} {'first':>6} {'short':>6} {'boiler':>7} {'marked':>7} {'title':>6} "
          f"{'sections':>8} {'MB/s':>6}")
    for name, candidate in CANDIDATES.items():
        if args.only and args.only not in name:
            continue
        c = measure(candidate, pages)
        print(f"{name:32} {c['whole'] / c['paragraphs']:6.1%} {c['first'] / max(1, c['firsts']):6.1%} "
              f"{c['short'] / max(1, c['shorts']):6.1%} {c['boiler'] / max(1, c['chunks']):7.1%} "
              f"{c['marked'] / max(1, c['chunks']):7.1%} {c['titles'] / len(pages):6.1%} "
              f"{c['sections'] / max(1, c['headings']):8.1%} {c['bytes'] / 1e6 / c['seconds']:6.2f}")
        print(" " * 4 + "whole by template: " + ", ".join(f"{k} {v:.0%}" for k, v in c["by_template"].items()))


if __name__ == "__main__":
    main()
