"""Every sentence the bot says, in Chinese (the default) and English.

Plain text with `{placeholders}`; the renderer escapes whatever it fills in.
Strings that are HTML already say so in their name (`*_html`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import library_texts


@dataclass(frozen=True)
class Texts:
    start_html: str
    help_html: str
    about_html: str
    answer_more_header: str
    page_header: str
    source_label: str
    truncated: str
    interpreted_as: str
    no_more: str
    empty_question: str
    empty_with_terms: str
    not_found: str
    not_found_hint: str
    not_found_hint_with_terms: str
    unknown_words: str
    did_you_mean: str
    weak_match: str
    author_only: str
    author_details: dict[str, str]  # author_only's {missing} ("position", "affiliation") and {kind} ("one", "many")
    no_number: str
    not_text: str
    not_allowed: str
    error: str
    search_unavailable: str
    busy_expired: str
    button_full: str
    button_collapse: str
    button_more: str
    button_previous: str
    feedback_thanks_up: str
    feedback_thanks_down: str
    inline_help_button: str
    inline_nothing: str
    admin_only: str
    stats: str
    reloading: str
    reloaded: str
    description: dict[str, str]
    library: library_texts.LibraryTexts


ZH = Texts(
    start_html=(
        "你好！我从{documents}篇文档中找出回答问题的段落，并注明出处。\n\n"
        "直接发问题给我，例如：\n{examples}\n\n"
        "在群里用 <code>/ask 问题</code>、@我，或回复我的消息。发送 /help 查看更多用法。"
    ),
    help_html=(
        "<b>怎么用</b>\n"
        "• 私聊：直接发送问题或几个关键词。\n"
        "• 群聊：<code>/ask 问题</code>，或 <code>@{username} 问题</code>，或回复我的消息。\n"
        "• 任意聊天：输入 <code>@{username} 关键词</code>，从列表中选一段发出。\n"
        "• 追问：接着问“那……呢？”“谁提出的？”，我会结合上一个问题理解（私聊，或在群里回复我的回答）；"
        "发“还有吗”看更多结果。\n\n"
        "<b>例子</b>\n{examples}\n\n"
        "回答下方的按钮：<b>{full}</b> 展开整段原文，<b>{more}</b> 翻看其他段落，👍/👎 告诉我答得好不好。\n\n"
        "/sources 文档列表 · /about 关于"
    ),
    about_html=(
        "<b>中文文档问答</b>\n"
        "用 BM25 在{chunks}个段落中检索，引用原文并注明《标题》· 作者 · 小节 · 段落。"
        "文档里没有答案时，我会直说，不会编造。"
    ),
    answer_more_header="其他出处：",
    page_header="更多结果（第{first}–{last}条）：",
    source_label="出处：",
    truncated="（问题超过 {limit} 字，只按前 {limit} 字检索。）",
    interpreted_as="（按“{query}”理解）",
    no_more="上一个回答没有更多结果了。",
    empty_question="请在命令后面写上问题，例如：/ask {example}",
    empty_with_terms="请发送一个问题或几个关键词，例如：{terms}",
    not_found="文档中没有找到能回答这个问题的段落。",
    not_found_hint="换个说法，或只用几个关键词再问。",
    not_found_hint_with_terms="换个说法，或只用几个关键词再问，例如：{terms}",
    unknown_words="文档中没有出现：{words}。",
    did_you_mean="你是不是要找：{terms}？",
    weak_match="最接近的段落只对上了“{word}”一个词。",
    author_only="{name}是{titles}{kind}的作者；文中没有他的{missing}。",
    author_details={"position": "职务", "affiliation": "工作单位", "one": "一文", "many": "等{n}篇文章"},
    no_number="相关段落里没有给出这个数字或时间。",
    not_text="我只能读文字。请用文字发送问题，例如：{example}",
    not_allowed="抱歉，这个机器人只在指定的聊天中使用。",
    error="抱歉，处理时出了点问题，请稍后再试。",
    search_unavailable="抱歉，检索服务暂时不可用，请过一会儿再问。",
    busy_expired="这条回答已经过期，请重新提问。",
    button_full="📄 全文",
    button_collapse="📄 收起",
    button_more="更多结果 ▶",
    button_previous="◀ 上一页",
    feedback_thanks_up="谢谢！已记录：有帮助。",
    feedback_thanks_down="谢谢！已记录：没帮助。",
    inline_help_button="怎么用",
    inline_nothing="没有找到相关段落",
    admin_only="这个命令只供管理员使用。",
    stats="已回答 {answers} 个问题；反馈 👍 {up} · 👎 {down}。",
    reloading="正在重新读取文档……",
    reloaded="已重新载入：{documents}篇文档，{chunks}个段落（{seconds:.1f} 秒）。",
    description={
        "start": "开始使用",
        "help": "用法和例子",
        "ask": "提问：/ask 问题",
        "sources": "文档列表",
        "about": "关于这个机器人",
        "remove": "删除本聊天的一篇文档：/remove 编号",
        "stats": "统计",
        "reload": "重新读取共享文档",
    },
    library=library_texts.ZH,
)

EN = Texts(
    start_html=(
        "Hello! I find the paragraphs of {documents} documents that answer your question, and cite them.\n\n"
        "Just send me a question, for example:\n{examples}\n\n"
        "In groups use <code>/ask question</code>, mention me, or reply to my message. /help shows more."
    ),
    help_html=(
        "<b>How to use</b>\n"
        "• Private chat: send a question or a few keywords.\n"
        "• Groups: <code>/ask question</code>, <code>@{username} question</code>, or reply to my message.\n"
        "• Any chat: type <code>@{username} keywords</code> and pick a passage to post.\n"
        "• Follow-ups: a short question like “那……呢？” is read with the previous one (in private, or replying "
        "to my answer in a group); “more” shows further results.\n\n"
        "<b>Examples</b>\n{examples}\n\n"
        "Buttons under an answer: <b>{full}</b> shows the whole paragraph, <b>{more}</b> pages through "
        "other passages, 👍/👎 tell me whether it helped.\n\n"
        "/sources documents · /about about"
    ),
    about_html=(
        "<b>Chinese document Q&amp;A</b>\n"
        "BM25 search over {chunks} paragraphs, quoting the source with 《title》 · author · section · paragraph. "
        "When the documents do not answer, I say so instead of guessing."
    ),
    answer_more_header="Other sources:",
    page_header="More results ({first}–{last}):",
    source_label="Source: ",
    truncated="(Your question is over {limit} characters; only the first {limit} were searched.)",
    interpreted_as="(Read as “{query}”)",
    no_more="The previous answer has no more results.",
    empty_question="Write the question after the command, for example: /ask {example}",
    empty_with_terms="Send a question or a few keywords, for example: {terms}",
    not_found="The documents do not contain a paragraph that answers this.",
    not_found_hint="Try other words, or just a few keywords.",
    not_found_hint_with_terms="Try other words, or just a few keywords, for example: {terms}",
    unknown_words="Not in the documents: {words}.",
    did_you_mean="Did you mean: {terms}?",
    weak_match="The closest paragraph shares only one word with the question: “{word}”.",
    author_only="{name} is the author of {titles}{kind}; the documents do not give their {missing}.",
    author_details={"position": "position", "affiliation": "affiliation", "one": "", "many": " ({n} documents)"},
    no_number="The related paragraphs give no such number or date.",
    not_text="I can only read text. Please send your question as text, for example: {example}",
    not_allowed="Sorry, this bot is only available in certain chats.",
    error="Sorry, something went wrong. Please try again later.",
    search_unavailable="Sorry, search is unavailable at the moment. Please ask again in a little while.",
    busy_expired="This answer has expired; please ask again.",
    button_full="📄 Full text",
    button_collapse="📄 Collapse",
    button_more="More ▶",
    button_previous="◀ Back",
    feedback_thanks_up="Thanks! Recorded as helpful.",
    feedback_thanks_down="Thanks! Recorded as not helpful.",
    inline_help_button="How to use",
    inline_nothing="No matching passage",
    admin_only="This command is for the bot's admins.",
    stats="{answers} questions answered; feedback 👍 {up} · 👎 {down}.",
    reloading="Reloading the documents…",
    reloaded="Reloaded: {documents} documents, {chunks} paragraphs ({seconds:.1f} s).",
    description={
        "start": "Start",
        "help": "How to use, with examples",
        "ask": "Ask: /ask question",
        "sources": "List the documents",
        "about": "About this bot",
        "remove": "Remove one of this chat's documents: /remove N",
        "stats": "Statistics",
        "reload": "Re-read the shared documents",
    },
    library=library_texts.EN,
)

LANGUAGES = {"zh": ZH, "en": EN}
