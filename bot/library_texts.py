"""What the bot says about chats' own libraries, in Chinese and English.

Kept apart from `bot.texts` (the question-answering sentences) so each
stays readable; `Texts.library` points here. Plain text with placeholders,
except `*_html`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LibraryTexts:
    where_group: str
    where_private: str
    origin_own_group: str
    origin_own_private: str
    origin_shared: str
    downloading: str
    queued: str
    reading: str
    reading_pages: str
    indexing: str
    added: str
    size_pages: str
    size_paragraphs: str
    problems: str
    examples_html: str
    no_examples: str
    replaced: str
    duplicate: str
    confirm_replace: str
    button_replace: str
    button_keep: str
    kept: str
    expired: str
    not_document: str
    unreadable: str
    failed: str
    damaged: str
    download_failed: str
    too_big_for_cloud: str
    quota: dict[str, str]
    refused: dict[str, str]
    sources_shared_header: str
    sources_shared_line: str
    sources_own_header: str
    sources_own_line: str
    sources_own_empty: str
    sources_how_to_add: str
    remove_usage: str
    remove_no_such: str
    remove_confirm: str
    button_remove: str
    button_cancel: str
    removing: str
    removed: str
    remove_cancelled: str
    remove_refused: str
    stats: str
    help_upload_html: str


ZH = LibraryTexts(
    where_group="本群文档库",
    where_private="你的私人文档库",
    origin_own_group="本群文档",
    origin_own_private="你的文档",
    origin_shared="共享文档",
    downloading="正在下载《{name}》……",
    queued="前面还有文档在处理，《{name}》排队中……",
    reading="正在读取《{name}》……",
    reading_pages="正在读取《{name}》：第 {page}/{pages} 页",
    indexing="正在建立索引……（{done}/{total}）",
    added="已加入{where}：第{n}篇《{title}》\n{size}",
    size_pages="{pages}页 · {paragraphs}个段落",
    size_paragraphs="{paragraphs}个段落",
    problems="读取时发现：\n{problems}",
    examples_html="可以这样问：\n{examples}",
    no_examples="现在就可以提问其中的内容。",
    replaced="（替换了{when}添加的旧版本。）",
    duplicate="这份文件已经在{where}里了：第{n}篇《{title}》，{who}于{when}添加。没有重复添加。",
    confirm_replace="{where}里已有同名文件《{title}》（{who}于{when}添加）。用新文件替换它吗？",
    button_replace="替换",
    button_keep="保留旧的",
    kept="好的，保留原来的文件，新文件没有添加。",
    expired="这个操作已过期，请重新发送文件或命令。",
    not_document="《{name}》不是我能读的文档：{why}。我能读 PDF、Word（.docx）、网页（.html）、EPUB、TXT、Markdown 和 JSONL 文件。",
    unreadable="没能从《{name}》读出文字（{why}），文档库没有变化。如果是扫描件，请先做文字识别（OCR）再发送。",
    failed="处理《{name}》时出错，文档库没有变化。请稍后再发送一次。",
    damaged="这个聊天的文档库记录损坏，暂时不能修改；已有的文档照常回答。请联系机器人的管理员。",
    download_failed="没能下载《{name}》（{why}），文档库没有变化。请再发送一次。",
    too_big_for_cloud=(
        "《{name}》有 {size:.1f} MB，超过了 Telegram 允许机器人下载的 20 MB。请压缩或拆分后再发送"
        "（机器人改用本地 Bot API 服务器后没有这个限制，见 README）。"
    ),
    quota={
        "file_mb": "《{name}》有 {actual:.1f} MB，超过了每个文件 {limit:g} MB 的上限。请拆分后再发送。",
        "pages": "《{name}》有 {actual:g} 页，超过了每个文件 {limit:g} 页的上限。请拆分后再发送。",
        "documents": "{where}已有 {limit:g} 篇文档，到了上限。请用 /sources 查看，再用 /remove 编号 删掉不需要的，然后重发。",
        "chat_mb": "加上《{name}》，{where}会有 {actual:.1f} MB，超过 {limit:g} MB 的上限。请用 /sources 查看，再用 /remove 编号 删掉不需要的文档。",
    },
    refused={
        "off": "这个机器人没有开放上传文档。",
        "group": "只有群管理员可以往本群文档库添加或删除文档。",
        "private": "只有机器人的管理员可以添加文档。",
    },
    sources_shared_header="共享文档（{documents}篇，{chunks}个段落）：",
    sources_shared_line="• 《{title}》 · {author} · {chunks}段",
    sources_own_header="{where}（{documents}篇，{size}）：",
    sources_own_line="{n}. 《{title}》 · {size} · {who} · {when}",
    sources_own_empty="{where}还没有文档。",
    sources_how_to_add="把 PDF、Word、网页或 EPUB 文件发给我即可添加；/remove 编号 删除。",
    remove_usage="用法：/remove 编号，例如 /remove 1。编号见 /sources。",
    remove_no_such="{where}没有第{n}篇（共 {count} 篇）。用 /sources 查看编号。",
    remove_confirm="确定从{where}删除第{n}篇《{title}》吗？删除后不能恢复。",
    button_remove="删除",
    button_cancel="取消",
    removing="正在删除《{title}》……",
    removed="已删除《{title}》。{where}还有 {left} 篇文档。",
    remove_cancelled="已取消，没有删除。",
    remove_refused="只有能管理文档库的人可以删除文档。",
    stats="文档库：{libraries} 个，共 {documents} 篇文档，{mb:.1f} MB。",
    help_upload_html=(
        "\n\n<b>添加文档</b>\n把 PDF、Word、网页、EPUB 或 TXT 文件发给我，之后就能问其中的内容"
        "（群里上传的只在本群回答，私聊上传的只回答你）。/sources 查看，<code>/remove 1</code> 删除第1篇。"
    ),
)

EN = LibraryTexts(
    where_group="this group's library",
    where_private="your private library",
    origin_own_group="this group's document",
    origin_own_private="your document",
    origin_shared="shared library",
    downloading="Downloading “{name}”…",
    queued="Another document is being processed; “{name}” is queued…",
    reading="Reading “{name}”…",
    reading_pages="Reading “{name}”: page {page} of {pages}",
    indexing="Indexing… ({done}/{total})",
    added="Added to {where}: #{n} 《{title}》\n{size}",
    size_pages="{pages} pages · {paragraphs} paragraphs",
    size_paragraphs="{paragraphs} paragraphs",
    problems="While reading it:\n{problems}",
    examples_html="You can ask, for example:\n{examples}",
    no_examples="You can ask about it now.",
    replaced="(It replaces the version added {when}.)",
    duplicate="This file is already in {where}: #{n} 《{title}》, added by {who} on {when}. Not added twice.",
    confirm_replace="{where} already has a file with this name, 《{title}》 (added by {who} on {when}). Replace it with the new one?",
    button_replace="Replace",
    button_keep="Keep the old one",
    kept="OK, the old file stays; the new one was not added.",
    expired="This has expired; please send the file or the command again.",
    not_document="“{name}” is not a document I can read: {why}. I read PDF, Word (.docx), web pages (.html), EPUB, TXT, Markdown and JSONL files.",
    unreadable="I could not read any text in “{name}” ({why}); the library is unchanged. If it is a scan, run text recognition (OCR) on it first.",
    failed="Something went wrong while adding “{name}”; the library is unchanged. Please send it again later.",
    damaged="This chat's library record is damaged, so it cannot be changed for now; its documents are still answered. Please tell the bot's operator.",
    download_failed="I could not download “{name}” ({why}); the library is unchanged. Please send it again.",
    too_big_for_cloud=(
        "“{name}” is {size:.1f} MB, over the 20 MB Telegram lets bots download. Please compress or split it "
        "(a bot using a local Bot API server has no such limit; see the README)."
    ),
    quota={
        "file_mb": "“{name}” is {actual:.1f} MB, over the limit of {limit:g} MB per file. Please split it.",
        "pages": "“{name}” has {actual:g} pages, over the limit of {limit:g} pages per file. Please split it.",
        "documents": "{where} already has {limit:g} documents, its limit. See /sources and free space with /remove N, then send it again.",
        "chat_mb": "With “{name}”, {where} would hold {actual:.1f} MB, over its {limit:g} MB limit. See /sources and free space with /remove N.",
    },
    refused={
        "off": "Uploading documents is turned off for this bot.",
        "group": "Only this group's admins can add or remove its documents.",
        "private": "Only the bot's admins can add documents.",
    },
    sources_shared_header="Shared library ({documents} documents, {chunks} paragraphs):",
    sources_shared_line="• 《{title}》 · {author} · {chunks} paragraphs",
    sources_own_header="{where} ({documents} documents, {size}):",
    sources_own_line="{n}. 《{title}》 · {size} · {who} · {when}",
    sources_own_empty="{where} has no documents yet.",
    sources_how_to_add="Send me a PDF, Word, web page or EPUB file to add it; /remove N removes one.",
    remove_usage="Usage: /remove N, for example /remove 1. The numbers are in /sources.",
    remove_no_such="{where} has no document #{n} (it has {count}). See /sources for the numbers.",
    remove_confirm="Remove #{n} 《{title}》 from {where}? This cannot be undone.",
    button_remove="Remove",
    button_cancel="Cancel",
    removing="Removing 《{title}》…",
    removed="Removed 《{title}》. {where} has {left} documents left.",
    remove_cancelled="Cancelled; nothing was removed.",
    remove_refused="Only people who manage this chat's library can remove documents.",
    stats="Libraries: {libraries}, with {documents} documents, {mb:.1f} MB.",
    help_upload_html=(
        "\n\n<b>Adding documents</b>\nSend me a PDF, Word, web page, EPUB or TXT file and ask about it "
        "(a group's uploads are answered only in that group, private ones only for you). /sources lists them, "
        "<code>/remove 1</code> removes the first."
    ),
)
