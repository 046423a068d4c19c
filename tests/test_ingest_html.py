"""Tests for retrieval.ingest.html: saved Chinese news and government pages → one document of main text."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.chunking.chunks import chunk_documents
from retrieval.ingest import html
from retrieval.ingest.documents import load_corpus
from retrieval.ingest.html_meta import trim_site_name
from retrieval.ingest.model import HEADING, TABLE_ROW
from retrieval.ingest.readers import Limits

TITLE = "重庆推动超大城市现代化治理的实践探索"
LEAD = ("党的二十大报告提出，加快转变超大特大城市发展方式。实现超大城市治理现代化是转变超大城市发展方式的必然要求，"
        "也是建设现代化新重庆必须迈过的一道难关。")
SHORT = "他说。"  # short paragraphs must survive (trafilatura drops them)
SECTION_1 = "一、治理难题"
BODY_1 = ("城市治理现代化是国家治理体系和治理能力现代化的重要内容。探索超大城市现代化治理新路，是以习近平同志为核心的党中央"
          "赋予重庆的重大使命。")
BODY_2 = "重庆地域辽阔，城乡差异大，山城、江城特点突出，治理难度远超一般城市，必须在体制机制上大胆创新。"
SECTION_2 = "二、主要做法"
BODY_3 = "重庆以数字化变革为引领，构建“885”工作机制，推动党建统领、经济、平安、社会、文化等八大系统协同高效运转。"
BODY_4 = "下一步，重庆将持续完善基层智治体系，让超大城市治理更加科学化、精细化、智能化。"
PARAGRAPHS = [LEAD, SHORT, BODY_1, BODY_2, BODY_3, BODY_4]
RELATED = ["国务院常务会议部署推动经济持续回升向好的若干措施", "习近平主持召开中央全面深化改革委员会第五次会议"]
FURNITURE = ["首页", "时政", "分享到", "微信", "ICP备", "版权所有", "Copyright", "责任编辑", "热点排行", "您当前的位置",
             "var _hmt", "font-size", *RELATED]


def news_page(*, head: str = '<meta charset="utf-8">', title_tag: str = f"{TITLE}_新华网", body: str | None = None,
              extra_head: str = "") -> str:
    article = body if body is not None else f"""
      <p>&nbsp;&nbsp;&nbsp;&nbsp;{LEAD[:30]}
         {LEAD[30:]}</p>
      <p>　　{SHORT}</p>
      <h2>{SECTION_1}</h2>
      <p>{BODY_1[:10]}<strong>{BODY_1[10:20]}</strong><a href="/t/1.html">{BODY_1[20:25]}</a>{BODY_1[25:]}</p>
      <p>{BODY_2}</p>
      <table border="1"><tr><th>指标</th><th>2023年</th><th>2024年</th></tr>
        <tr><td>常住人口</td><td>3191万</td><td>3200万</td></tr>
        <tr><td>地区生产总值</td><td><p>3.0万亿元</p></td><td>3.2万亿元</td></tr></table>
      <h2>{SECTION_2}</h2>
      <div>{BODY_3}<br>{BODY_4}</div>
      <p>【责任编辑：李四】</p>"""
    return f"""<!DOCTYPE html>
<html><head>{head}<title>{title_tag}</title>
<link rel="canonical" href="https://www.news.cn/politics/2024-05/12/c_1130.htm">
<meta property="og:url" content="https://m.news.cn/other.htm">
<style>.nav li {{ float: left; font-size: 14px }}</style>
<script>var _hmt = _hmt || []; document.write("<p>脚本里的段落不是正文。</p>");</script>{extra_head}
</head><body>
<div class="header"><div class="logo"><h1><a href="/">新华网</a></h1></div>
  <ul class="nav"><li><a href="/">首页</a></li><li><a href="/p/">时政</a></li><li><a href="/w/">国际</a></li>
  <li><a href="/f/">财经</a></li><li><a href="/t/">科技</a></li></ul></div>
<div class="crumbs">您当前的位置：<a href="/">首页</a> &gt; <a href="/p/">时政</a> &gt; 正文</div>
<div class="main">
  <div class="left">
    <h1>{TITLE}</h1>
    <div class="info">2024-05-12 09:30:15　来源：新华网　作者：张三</div>
    <div class="share bdsharebuttonbox">分享到：<a>微信</a> <a>微博</a> <a>QQ空间</a></div>
    <div id="detail">{article}
    </div>
    <div class="related"><h3>相关新闻</h3><ul>{''.join(f'<li><a href="/r/{i}">{t}</a></li>' for i, t in enumerate(RELATED))}</ul></div>
  </div>
  <div class="sidebar"><h3>热点排行</h3><ol><li><a>中央经济工作会议在北京举行</a></li><li><a>全国两会特别报道</a></li></ol></div>
</div>
<div class="footer"><p><a>关于我们</a> | <a>联系我们</a> | <a>网站地图</a></p>
  <p>版权所有 新华网 京ICP备12345678号 京公网安备11010502034567号</p>
  <p>Copyright &copy; 2000-2024 XINHUANET.com All Rights Reserved.</p></div>
</body></html>"""


def read(data: bytes | str, name: str = "news/a.html"):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return html.read_page(data, name)


def only_document(data, name: str = "news/a.html"):
    documents, problems = read(data, name)
    assert problems == []
    [document] = documents
    return document


def chunk_texts(document) -> list[str]:
    return [chunk.text for chunk in chunk_documents([document])]


# ------------------------------------------------------------------ main text


def test_paragraphs_come_back_whole_each_in_one_chunk():
    texts = chunk_texts(only_document(news_page()))
    for paragraph in PARAGRAPHS:
        assert sum(paragraph in text for text in texts) == 1, paragraph


def test_furniture_scripts_and_styles_stay_out():
    document = only_document(news_page())
    for text in chunk_texts(document) + [document.text]:
        for furniture in FURNITURE:
            assert furniture not in text, (furniture, text)
    assert "脚本里的段落" not in document.text


def test_title_is_the_articles_h1_not_the_logo():
    document = only_document(news_page())
    assert document.title == TITLE
    assert TITLE not in document.text  # the title heading is not a block of its own


@pytest.mark.parametrize("title_tag", [f"{TITLE}_新华网", f"{TITLE} - 人民网", f"{TITLE}|中国政府网",
                                       f"{TITLE}_滚动新闻_中国政府网", f"{TITLE}-光明网"])
def test_title_from_title_tag_with_the_site_name_cut(title_tag):
    body = f"<p>{LEAD}</p><p>{BODY_1}</p>"
    page = news_page(title_tag=title_tag, body=body).replace(f"<h1>{TITLE}</h1>", f'<div class="tit">{TITLE}x</div>')
    assert only_document(page).title == TITLE


def test_trim_site_name_keeps_hyphens_that_belong_to_the_title():
    assert trim_site_name("2024-2025年度报告-新华网") == "2024-2025年度报告"
    assert trim_site_name("奋进新征程——记重庆基层干部") == "奋进新征程——记重庆基层干部"
    assert trim_site_name("稻_央视网") == "稻"


def test_h2_headings_become_sections():
    document = only_document(news_page())
    headings = [(b.text, b.level) for b in document.blocks if b.kind == HEADING]
    assert headings == [(SECTION_1, 2), (SECTION_2, 2)]
    chunks = chunk_documents([document])

    def section_of(paragraph: str) -> str:
        [chunk] = [c for c in chunks if paragraph in c.text]
        return chunk.section

    assert [section_of(p) for p in (LEAD, BODY_1, BODY_2, BODY_3, BODY_4)] == [
        "", SECTION_1, SECTION_1, SECTION_2, SECTION_2]


def test_canonical_url_author_and_site():
    document = only_document(news_page())
    assert document.url == "https://www.news.cn/politics/2024-05/12/c_1130.htm"
    assert document.author == "张三"
    assert document.publication == "新华网"
    assert document.source_path == "news/a.html"
    assert document.doc_id == "news/a"


def test_og_url_when_there_is_no_canonical_link():
    page = news_page().replace('<link rel="canonical" href="https://www.news.cn/politics/2024-05/12/c_1130.htm">', "")
    assert only_document(page).url == "https://m.news.cn/other.htm"


def test_table_rows_are_header_value_pairs():
    rows = [b.text for b in only_document(news_page()).blocks if b.kind == TABLE_ROW]
    assert rows == ["指标: 常住人口; 2023年: 3191万; 2024年: 3200万",
                    "指标: 地区生产总值; 2023年: 3.0万亿元; 2024年: 3.2万亿元"]


def test_block_text_joins_inline_tags_wraps_and_indents_without_spaces():
    texts = [b.text for b in only_document(news_page()).blocks]
    assert LEAD in texts  # &nbsp; indent gone, the line wrap between two characters too
    assert SHORT in texts  # full-width indent gone
    assert BODY_1 in texts  # <strong> and <a> joined with nothing between
    assert BODY_3 in texts and BODY_4 in texts  # <br> after a sentence splits the <div>


def test_br_splits_paragraphs_only_where_it_separates_them():
    body = ("<div>　　第一段文字，写在一个div里面。<br><br>第二段在两个br之后<br>　　第三段前面有缩进。<br>"
            "第四段跟在句号之后<br>但这里只是换行，它们仍是同一段。</div>"
            "<ul><li>加强组织领导，压实工作责任。</li><li>强化要素保障，优化资源配置。</li></ul>")
    texts = [b.text for b in only_document(news_page(body=body)).blocks]
    assert texts == ["第一段文字，写在一个div里面。", "第二段在两个br之后", "第三段前面有缩进。",
                     "第四段跟在句号之后但这里只是换行，它们仍是同一段。",
                     "加强组织领导，压实工作责任。", "强化要素保障，优化资源配置。"]


def test_sentences_that_mention_furniture_words_are_article_text():
    sentences = ["谷歌发布新版浏览器，屏幕分辨率适配更好。", "未经授权使用他人作品，属于侵权行为。",
                 "打印机市场持续增长，销量创新高。", "来源地核查由海关负责，作者须提供证明。"]
    body = f"<p>{LEAD}</p>" + "".join(f"<p>{s}</p>" for s in sentences) + f"<p>{BODY_1}</p>"
    texts = [b.text for b in only_document(news_page(body=body)).blocks]
    assert texts == [LEAD, *sentences, BODY_1]


def test_spaces_between_latin_words_and_nbsp_inside_text_are_kept():
    body = "<p>会议提出推进 AI 技术与\n  Big Data 应用，温度保持在150\u00a0°C左右。</p>"
    [text] = [b.text for b in only_document(news_page(body=body)).blocks]
    assert text == "会议提出推进 AI 技术与Big Data 应用，温度保持在150\u00a0°C左右。"


# ------------------------------------------------------------------ encodings


def test_gbk_page_with_only_a_meta_charset():
    page = news_page(head='<meta charset="gbk">')
    document = only_document(page.encode("gbk"))
    assert document.title == TITLE
    assert all(p in chunk_texts(document)[0] + "".join(chunk_texts(document)) for p in PARAGRAPHS)


def test_gb2312_page_declared_only_by_http_equiv():
    page = news_page(head='<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    document = only_document(page.encode("gb2312"))
    assert BODY_3 in document.text and document.title == TITLE


def test_a_gb2312_declaration_is_read_as_gb18030():
    # 镕 and 堃 are GBK, not GB2312; 䶮 only GB18030: sites declare gb2312 and use all three.
    names = "朱镕基、王堃和刘䶮出席会议，并就超大城市治理作了讲话。"
    with pytest.raises(UnicodeEncodeError):
        names.encode("gb2312")
    page = news_page(head='<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
                     body=f"<p>{LEAD}</p><p>{names}</p>")
    document = only_document(page.encode("gb18030"))
    assert names in chunk_texts(document)


def test_utf8_bom_wins_over_a_wrong_declaration():
    page = news_page(head='<meta charset="gbk">')
    document = only_document(codecs.BOM_UTF8 + page.encode("utf-8"))
    assert document.title == TITLE and BODY_1 in document.text


def test_a_declaration_the_bytes_contradict_loses_to_detection():
    page = news_page(head='<meta charset="utf-8">')
    document = only_document(page.encode("gb18030"))  # re-saved as GBK, template unchanged
    assert BODY_1 in document.text


def test_utf8_bytes_under_a_stale_gbk_or_latin1_declaration_are_utf8():
    for head in ('<meta charset="gb2312">', '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'):
        document = only_document(news_page(head=head).encode("utf-8"))
        assert document.title == TITLE and BODY_2 in document.text


def test_undeclared_gbk_is_detected():
    document = only_document(news_page(head="").encode("gbk"))
    assert BODY_2 in document.text


def test_xml_declaration_names_the_encoding():
    page = '<?xml version="1.0" encoding="gb2312"?>\n' + news_page(head="")
    document = only_document(page.encode("gb18030"))
    assert document.title == TITLE and BODY_4 in document.text


# ------------------------------------------------------------------ reading files


def test_read_from_disk_names_the_document_by_its_path(tmp_path):
    path = tmp_path / "a.htm"
    path.write_bytes(news_page().encode("utf-8"))
    [document], problems = html.read(path, "site/2024/a.htm", Limits())
    assert problems == []
    assert document.doc_id == "site/2024/a" and document.source_path == "site/2024/a.htm"


def test_a_page_over_the_size_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.html"
    path.write_bytes(b"<p>" + "字".encode() * 400_000 + b"</p>")
    documents, [problem] = html.read(path, "big.html", Limits(max_html_mb=1))
    assert documents == [] and "RETRIEVAL_MAX_HTML_MB" in problem.message


def test_load_corpus_reads_pages_in_a_worker(tmp_path):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.html").write_bytes(news_page().encode("gbk").replace(b"utf-8", b"gbk"))
    result = load_corpus([tmp_path])
    assert result.problems == []
    [document] = result.documents
    assert document.title == TITLE and BODY_3 in document.text


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("data", [b"", b"   \n\t  ", b"<html></html>", b"<html><body></body></html>"])
def test_empty_pages_are_a_problem_not_an_error(data):
    documents, [problem] = read(data)
    assert documents == []
    assert "nothing indexed" in problem.message


def test_a_page_of_links_has_no_readable_main_text():
    page = "<html><body>" + "".join(f'<a href="/{i}">栏目{i}</a> ' for i in range(50)) + "<div>版权所有 京ICP备1号</div></body></html>"
    documents, [problem] = read(page)
    assert documents == []
    assert problem.message.startswith("has no readable main text; nothing indexed")


def test_binary_garbage_is_refused():
    data = bytes(range(256)) * 40
    documents, [problem] = read(data)
    assert documents == [] and "binary" in problem.message


def test_deep_nesting_keeps_what_comes_before_and_says_what_happened():
    page = f"<html><body><p>{LEAD}</p>" + "<div>" * 5000 + "深处" + "</div>" * 5000 + "</body></html>"
    documents, problems = read(page)
    assert LEAD in documents[0].text
    assert any("deep" in p.message for p in problems)


def test_a_text_run_longer_than_libxml2s_limit_is_read():
    sentence = "超大城市治理现代化是建设现代化新重庆的必然要求，"
    run = sentence * (11_000_000 // len(sentence.encode()))  # one text node over 10 MB
    document = only_document(f"<html><body><p>{LEAD}</p><p>{run}完。</p></body></html>")
    assert document.text.endswith("完。") and len(document.text) > len(run)


PAGE_BYTES = news_page().encode("gb18030")


@st.composite
def mutated_pages(draw):
    data = bytearray(PAGE_BYTES)
    for _ in range(draw(st.integers(1, 12))):
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "tags"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 400))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif action == "tags":
            data[at:at] = draw(st.sampled_from([b"<div>", b"</p>", b"<table><tr><td>", b"<br>", b"<!--", b"<script>",
                                                b"<h2>", b"&#0;", b"\x00", b"<meta charset=utf-16>"]))
        else:
            del data[at:]
        if not data:
            break
    return bytes(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_pages())
def test_mutated_pages_never_raise(data):
    documents, problems = read(data)
    assert len(documents) <= 1
    for document in documents:
        assert document.text and document.blocks
        chunk_documents(documents)
    assert all(isinstance(p.message, str) and p.message for p in problems)
