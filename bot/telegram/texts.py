"""What the bot says, in Chinese and English.

The sample corpus is Chinese and people ask in both languages, so every reply
follows the language of the question it answers; where there is no question
(a sticker, a button), the user's Telegram language decides.
"""

from __future__ import annotations

import re

from telegram import User

# Han ideographs (with extensions A and the compatibility block) and CJK
# punctuation: any of these in a question means the reply is Chinese.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def language_of(text: str | None, user: User | None = None) -> str:
    if text:
        return "zh" if _CJK.search(text) else "en"
    if user and (user.language_code or "").lower().startswith("zh"):
        return "zh"
    return "en"


_TEXTS = {
    "zh": {
        "not_found": (
            "抱歉，文档里没有这个问题的答案。可以换个说法，或问得更具体一些；"
            "/about 可查看我收录了哪些文档。"
        ),
        "not_text": "我只能读文字消息，请用文字提问。",
        "too_long": "问题太长了（{length} 字），上限是 {limit} 字，请精简后再问。",
        "empty": "请在命令或 @提及 后面写上问题，例如：/ask 应急管理部设置了什么岗位？",
        "refused": "抱歉，这个机器人只对指定的用户和群组开放。",
        "slow_down": "提问太频繁了，请 {seconds} 秒后再试。",
        "failed": "抱歉，出了点问题，请稍后再试。",
        "expired": "这条回答太久了，引用已失效，请重新提问。",
        "invalid_button": "这个按钮已失效或无效，请重新提问。",
        "added": "✅ 已收录 {name}：{passages} 个段落{pages}。现在可以就它提问了。",
        "replaced": "✅ 已更新 {name}：{passages} 个段落{pages}。",
        "pages": "，共 {pages} 页",
        "not_added": "❌ 未能收录：{reason}",
        "admins_only": "抱歉，只有管理员可以添加或删除文档。你可以直接提问。",
        "bad_type": "抱歉，我只能收录 PDF、DOCX、HTML、TXT 和 MD 文件。",
        "too_big": "抱歉，这个文件太大了（{size} MB），上限是 {limit} MB。",
        "documents": "📚 收录文档（{count} 篇）：\n{names}",
        "no_documents": "还没有收录任何文档。",
        "remove_usage": "请写上要删除的文档名，例如：/remove handbook.pdf（/documents 列出全部）",
        "removed": "🗑 已删除 {name}。",
        "about": (
            "📚 收录文档：{documents} 篇（{passages} 个段落）\n{names}\n"
            "🧠 模型：{model}\n🕒 索引更新：{built}"
        ),
    },
    "en": {
        "not_found": (
            "Sorry, the documents don't answer that. Try rephrasing or asking something more specific; "
            "/about lists the documents I know."
        ),
        "not_text": "I can only read text messages; please ask your question in words.",
        "too_long": "That question is {length} characters long; the limit is {limit}. Please shorten it.",
        "empty": (
            "Please write a question after the command or mention, "
            "e.g. /ask What posts were set up in Zhengzhou?"
        ),
        "refused": "Sorry, this bot is only open to certain users and groups.",
        "slow_down": "Too many questions in this chat; please try again in {seconds} s.",
        "failed": "Sorry, something went wrong. Please try again in a moment.",
        "expired": "That answer is too old and its citations have expired; please ask again.",
        "invalid_button": "That button is expired or invalid; please ask again.",
        "added": "✅ Added {name}: {passages} passages{pages}. You can ask about it now.",
        "replaced": "✅ Replaced {name}: {passages} passages{pages}.",
        "pages": " from {pages} pages",
        "not_added": "❌ Not added: {reason}",
        "admins_only": "Sorry, only the bot's administrators can add or remove documents. You can still ask questions.",
        "bad_type": "Sorry, I can only add PDF, DOCX, HTML, TXT and MD files.",
        "too_big": "Sorry, that file is too big ({size} MB); the limit is {limit} MB.",
        "documents": "📚 Documents ({count}):\n{names}",
        "no_documents": "No documents are indexed yet.",
        "remove_usage": "Please name the document to remove, e.g. /remove handbook.pdf (/documents lists them).",
        "removed": "🗑 Removed {name}.",
        "about": (
            "📚 Documents: {documents} ({passages} passages)\n{names}\n"
            "🧠 Model: {model}\n🕒 Index built: {built}"
        ),
    },
}


def text(key: str, language: str, **values: object) -> str:
    """A message as plain text; callers escape it if they send HTML."""
    return _TEXTS[language][key].format(**values)


HELP = """👋 我是 citebot：根据收录的文档回答问题，并注明出处（文档和段落）。
• 私聊：直接发送问题。
• 群聊：@{username} 加上问题、回复我的消息，或用 /ask 问题。
• 点击 [1] 等按钮可查看引用段落的全文。
• /about 查看收录了哪些文档，/documents 列出全部文档。
• 管理员：私聊发送 PDF、DOCX、HTML、TXT 或 MD 文件即可收录，/remove 文档名 删除。

👋 I'm citebot: I answer questions from the indexed documents and cite where each answer comes from.
• Private chat: just send your question.
• Groups: mention @{username} with a question, reply to one of my messages, or send /ask and the question.
• Tap a [1] button to read the full cited passage.
• /about shows which documents I know; /documents lists them all.
• Administrators: send a PDF, DOCX, HTML, TXT or MD file in a private chat to add it; /remove NAME removes one."""

# Shown in Telegram's command menu (setMyCommands): one language per list.
COMMANDS = {
    "en": [
        ("ask", "Ask a question about the documents"),
        ("about", "Which documents, model and index I use"),
        ("documents", "List the indexed documents"),
        ("help", "How to ask"),
    ],
    "zh": [
        ("ask", "就文档提问"),
        ("about", "收录的文档、模型和索引"),
        ("documents", "列出收录的文档"),
        ("help", "使用说明"),
    ],
}
