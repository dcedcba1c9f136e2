"""The Telegram front end's pure parts: HTML rendering within Telegram's
limits, access control, per-chat memory, languages and log redaction."""

from __future__ import annotations

import datetime as dtm
import logging
import re

import pytest
from telegram import Chat, Message, MessageEntity, User

from bot.telegram import redact
from bot.telegram.access import ChatRateLimit, Gate
from bot.telegram.handlers import addressed_question, command_argument
from bot.telegram.format import LIMIT, render_answer, render_passage, split_text, tg_len, trim
from bot.telegram.memory import ChatMemory
from bot.telegram.texts import language_of
from retrieval.types import Answer, Citation, Turn
from tests.fake_bot_api import TelegramHtml

TELEGRAM_TAGS = {"b", "blockquote"}  # all the bot uses


def citation(n: int = 1, text: str = "越是在关键时刻，越是能体现党性修养。", **fields) -> Citation:
    values = {"document": "news.txt", "paragraph": 9, "section": None, "score": 0.8, **fields}
    return Citation(n, text=text, **values)


def answer(short: str = "设置“党员先锋岗”。", citations: list[Citation] | None = None) -> Answer:
    return Answer("问题", short, False, citations if citations is not None else [citation()])


# ------------------------------------------------------------------ rendering


def test_a_pdf_citation_shows_its_page_everywhere_and_others_do_not():
    from bot.render import citation_heading
    from bot.telegram.format import button_label

    on_page = citation(1, document="manual.pdf", paragraph=4, page=2, section="Opening hours")
    assert citation_heading(on_page) == "[1] manual.pdf p. 2 ¶4 (Opening hours)"
    assert citation_heading(citation(1)) == "[1] news.txt ¶9"
    assert button_label(on_page) == "📖 [1] p. 2 ¶4"
    [message] = render_answer(answer(citations=[on_page]), 300)
    assert "<b>[1] manual.pdf p. 2 ¶4 · Opening hours</b>" in message
    assert render_passage(on_page)[0].startswith("<b>[1] manual.pdf p. 2 ¶4")


def test_answer_comes_first_then_numbered_citations_with_quotes():
    cited = [citation(1), citation(2, paragraph=12, section="在锤炼党性上力行")]
    [message] = render_answer(answer(citations=cited), 300)
    parsed = TelegramHtml(message)
    assert parsed.text.startswith("设置“党员先锋岗”。")
    assert "[1] news.txt ¶9\n越是在关键时刻" in parsed.text
    assert "[2] news.txt ¶12 · 在锤炼党性上力行" in parsed.text
    assert parsed.tags == ["b", "blockquote", "b", "blockquote"]


def test_document_text_is_escaped_everywhere():
    nasty = "a < b && c > d <script>alert(1)</script>"
    cited = citation(text=nasty, document="<b>doc</b>&.txt", section="<i>section</i>")
    for message in render_answer(answer(short=nasty, citations=[cited]), 300) + render_passage(cited):
        parsed = TelegramHtml(message)
        assert set(parsed.tags) <= TELEGRAM_TAGS
        assert "&lt;script&gt;" in message and "<script>" not in message
    assert TelegramHtml(render_passage(cited)[0]).text.endswith(nasty)


def test_quotes_are_trimmed_before_anything_is_split():
    long_passages = [citation(n, text="很长的段落。" * 400, paragraph=n) for n in range(1, 6)]
    [message] = render_answer(answer(citations=long_passages), 2000)
    assert tg_len(message) <= LIMIT
    assert all(f"[{n}] news.txt ¶{n}" in message for n in range(1, 6))
    assert "…" in message


def test_an_answer_too_long_on_its_own_is_split_with_citations_last():
    huge = "这是一个非常长的回答。" * 800  # 8,800 characters
    messages = render_answer(answer(short=huge, citations=[citation(1), citation(2)]), 300)
    assert len(messages) > 2
    assert all(tg_len(m) <= LIMIT for m in messages)
    assert "".join(TelegramHtml(m).text for m in messages[:-1]) == huge
    assert "[1]" in messages[-1] and "[2]" in messages[-1]


def test_a_passage_longer_than_a_message_is_split_at_sentences():
    text = "第一句话说了些什么。" * 300 + "&<>" * 600
    messages = render_passage(citation(text=text))
    assert len(messages) >= 2
    assert all(tg_len(m) <= LIMIT for m in messages)
    assert messages[0].startswith("<b>[1] news.txt ¶9</b>")
    assert "".join(TelegramHtml(m).text for m in messages).endswith(text[-100:])


def test_length_is_counted_as_telegram_counts_it():
    emoji = "😀" * 3000  # 6,000 UTF-16 code units
    pieces = split_text(emoji, LIMIT)
    assert all(tg_len(p) <= LIMIT for p in pieces) and "".join(pieces) == emoji
    assert split_text("&" * 1000, LIMIT) == ["&" * 819, "&" * 181]  # "&amp;" is 5 characters


def test_trim_makes_one_short_line():
    assert trim("a\n\n b   c", 10) == "a b c"
    assert trim("x" * 50, 10) == "x" * 9 + "…"


# ------------------------------------------------------------- access control


def test_without_allow_lists_everyone_may_ask():
    assert Gate((), ()).allows(1, 2)


def test_a_listed_user_may_ask_anywhere_and_anyone_in_a_listed_chat():
    gate = Gate(user_ids=[7], chat_ids=[-100])
    assert gate.allows(7, 7) and gate.allows(7, -5)
    assert gate.allows(8, -100)
    assert not gate.allows(8, 8) and not gate.allows(None, -5)


def test_rate_limit_is_per_chat_over_a_sliding_minute():
    now = [1000.0]
    limit = ChatRateLimit(2, clock=lambda: now[0])
    assert limit.wait(1) == 0 and limit.wait(1) == 0
    assert limit.wait(1) == pytest.approx(60)
    assert limit.wait(2) == 0
    now[0] += 30
    assert limit.wait(1) == pytest.approx(30)
    now[0] += 30
    assert limit.wait(1) == 0


def test_rate_limit_zero_means_unlimited():
    limit = ChatRateLimit(0)
    assert all(limit.wait(1) == 0 for _ in range(100))


# -------------------------------------------------------------------- memory


def test_memory_keeps_the_last_turns_per_chat():
    memory = ChatMemory(turns=2)
    for i in range(3):
        memory.add_turn(1, Turn(f"q{i}", f"a{i}"))
    assert memory.history(1) == (Turn("q1", "a1"), Turn("q2", "a2"))
    assert memory.history(2) == ()


def test_citation_keys_expire_and_do_not_survive_a_restart():
    memory = ChatMemory(answers=2)
    keys = [memory.keep(1, [citation(1, text=f"answer {i}")]) for i in range(3)]
    assert memory.citation(1, keys[0], 1) is None  # pushed out by newer answers
    assert memory.citation(1, keys[2], 1).text == "answer 2"
    assert memory.citation(1, keys[2], 9) is None
    assert memory.citation(2, keys[2], 1) is None  # another chat's key
    assert ChatMemory().citation(1, keys[2], 1) is None
    assert len(f"p:{keys[2]}:20".encode()) <= 64


def test_memory_forgets_the_least_recent_chat():
    memory = ChatMemory(chats=2)
    for chat in (1, 2, 3):
        memory.add_turn(chat, Turn("q"))
    assert memory.history(1) == () and memory.history(3) == (Turn("q"),)


# ------------------------------------------------------------ who is asked

BOT = User(700, "Citebot", is_bot=True, username="citebot_test_bot")
GROUP = Chat(-100, Chat.SUPERGROUP)


def message(text: str, chat: Chat = GROUP, reply_to: Message | None = None) -> Message:
    mentions = re.finditer(r"@\w+", text, re.ASCII)
    entities = [MessageEntity(MessageEntity.MENTION, m.start(), len(m[0])) for m in mentions]
    return Message(
        1, dtm.datetime.now(dtm.timezone.utc), chat, from_user=User(5, "Ann", is_bot=False),
        text=text, entities=entities, reply_to_message=reply_to,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("@citebot_test_bot 设置了什么岗位？", "设置了什么岗位？"),
        ("请问 @Citebot_Test_Bot， what posts?", "请问 what posts?"),
        ("@citebot_test_bot: what posts?", "what posts?"),
        ("@citebot_test_bot", ""),
    ],
)
def test_a_mention_of_the_bot_in_a_group_is_a_question_without_the_mention(text, question):
    assert addressed_question(message(text), BOT.username, BOT.id) == question


def test_group_chatter_and_mentions_of_others_are_not_questions():
    assert addressed_question(message("lunch at noon?"), BOT.username, BOT.id) is None
    assert addressed_question(message("@someone_else what posts?"), BOT.username, BOT.id) is None
    # a name that merely starts with the bot's
    assert addressed_question(message("@citebot_test_bot2 hi"), BOT.username, BOT.id) is None


def test_a_reply_to_the_bot_and_anything_in_private_are_questions():
    answer = Message(2, dtm.datetime.now(dtm.timezone.utc), GROUP, from_user=BOT, text="…")
    assert addressed_question(message("and in Henan?", reply_to=answer), BOT.username, BOT.id) == "and in Henan?"
    private = Chat(5, Chat.PRIVATE)
    assert addressed_question(message(" what posts? ", chat=private), BOT.username, BOT.id) == "what posts?"


def test_the_question_after_a_command():
    assert command_argument(message("/ask@citebot_test_bot  what\nposts?")) == "what\nposts?"
    assert command_argument(message("/ask")) == ""


# ----------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("应急管理部设置了什么岗位？", "zh"),
        ("What is the best smartphone?", "en"),
        ("Is 党员先锋岗 a post?", "zh"),
    ],
)
def test_the_reply_language_follows_the_question(question, language):
    assert language_of(question) == language


# ----------------------------------------------------------------- redaction


def test_a_protected_secret_is_redacted_from_messages_arguments_and_tracebacks(caplog):
    secret = "987654:SECRETsecretSECRETsecretSECRETsecret"
    redact.protect(secret)
    log = logging.getLogger("citebot.test")
    with caplog.at_level(logging.DEBUG):
        log.info("POST https://api.telegram.org/bot%s/getUpdates", secret)
        try:
            raise RuntimeError(f"cannot reach /bot{secret}/sendMessage")
        except RuntimeError:
            log.exception("failed")
    assert secret not in caplog.text
    assert caplog.text.count(redact.REDACTED) == 2
