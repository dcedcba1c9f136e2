"""The bot's handlers, small and async in PTB's style, around one engine.

Every reply is HTML (the application's default parse mode), so plain
sentences are escaped like document text is.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from pathlib import PurePosixPath
from typing import Any, Callable, TypeVar

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import ContextTypes

from config.settings import Settings
from retrieval.errors import CitebotError
from retrieval.formats import format_of
from retrieval.types import Answer, DocumentInfo, Turn

from .access import ChatRateLimit, Gate
from .format import LIMIT, button_label, escape, render_answer, render_passage, split_text
from .memory import ChatMemory
from .texts import HELP, language_of, text

log = logging.getLogger(__name__)

T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE

# Waits between attempts when Telegram cannot be reached. Flood control (429)
# is not handled here: the application's rate limiter waits what Telegram says.
BACKOFF = (0.5, 1.0, 2.0)
BUTTONS_PER_ROW = 3
BUTTON_DATA = re.compile(r"^p:([0-9a-f]+\.\d+):(\d+)$")
# The Bot API hands bots files of at most 20 MB (getFile); a self-hosted
# server allows more, but ingest.max_file_bytes still applies.
BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024
_DOCUMENTS_LISTED = 50


async def reply(message: Message, html: str, **kwargs: Any) -> Message:
    """Reply, retrying a few times through network trouble.

    A timed-out send may have arrived; a rare duplicate beats a lost answer.
    """
    for delay in BACKOFF:
        try:
            return await message.reply_text(html, **kwargs)
        except BadRequest:
            raise  # Telegram understood and refused: retrying changes nothing
        except NetworkError as err:
            log.warning("Telegram request failed (%s); retrying in %.1f s", err, delay)
            await asyncio.sleep(delay)
    return await message.reply_text(html, **kwargs)


@asynccontextmanager
async def typing(chat: Chat):
    """Show "typing…" while the body runs. Telegram clears it after 5 s, so a
    question that waits for a free worker has it renewed."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(4)
            with suppress(TelegramError):
                await chat.send_action(ChatAction.TYPING)

    with suppress(TelegramError):
        await chat.send_action(ChatAction.TYPING)
    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()


def addressed_question(message: Message, username: str, bot_id: int) -> str | None:
    """The question a text message asks the bot, or None for group chatter:
    in private every message is a question, in groups only a mention of the
    bot or a reply to one of its messages is."""
    mention = f"@{username}".lower()
    mentioned = any(
        value.lower() == mention for value in message.parse_entities([MessageEntity.MENTION]).values()
    )
    if message.chat.type != ChatType.PRIVATE and not mentioned and not replies_to(message, bot_id):
        return None
    # "@bot, what…" and "请问 @bot：…": the punctuation after a mention goes with it.
    mention_pattern = rf"\s*@{re.escape(username)}\b[,，:：]?\s*"
    return re.sub(mention_pattern, " ", message.text, flags=re.IGNORECASE).strip()


def replies_to(message: Message, user_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == user_id)


# A question mark, or a question word: anywhere in Chinese, first in English.
_ASKS = re.compile(
    r"[?？]\s*$|什么|啥|哪|谁|多少|几|怎么|如何|为什么|吗\s*$|^\s*(?:what|who|whose|when|where|why|how|which)\b",
    re.IGNORECASE,
)


def asks(caption: str) -> bool:
    """Whether a caption is a question, not a title such as "我的猫" or "Beach"."""
    return bool(_ASKS.search(caption))


def command_argument(message: Message) -> str:
    parts = message.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


class Citebot:
    """The handlers and the state they share: the engine, the worker threads
    that run it, access control and the per-chat memory."""

    def __init__(self, engine: Any, settings: Settings):
        self.engine = engine
        self.telegram = settings.telegram
        self.quote_chars = settings.answer.quote_chars
        self.gate = Gate(self.telegram.allowed_user_ids, self.telegram.allowed_chat_ids)
        self.admins = frozenset(self.telegram.admin_user_ids)
        self.max_upload_bytes = min(BOT_API_DOWNLOAD_LIMIT, settings.ingest.max_file_bytes)
        self.rate = ChatRateLimit(self.telegram.rate_limit_per_minute)
        self.memory = ChatMemory()
        # Retrieval blocks for tens of milliseconds; on its own threads one
        # slow question never holds up the other chats.
        self.pool = ThreadPoolExecutor(self.telegram.workers, thread_name_prefix="citebot-telegram")

    async def _in_pool(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, function, *args)

    def _allowed(self, update: Update) -> bool:
        user = update.effective_user
        return self.gate.allows(user.id if user else None, update.effective_chat.id)

    def _refusal(self, update: Update, question: str, language: str) -> str | None:
        """Why a question is not answered now, if it is not; "" when the chat
        was already told to slow down and is not told again."""
        limit = self.telegram.max_question_chars
        if not self._allowed(update):
            return text("refused", language)
        if not question:
            return text("empty", language)
        if len(question) > limit:
            return text("too_long", language, length=len(question), limit=limit)
        wait = self.rate.wait(update.effective_chat.id)
        if wait:
            # One reply per wait, not one per message of a burst.
            if not self.rate.first_refusal(update.effective_chat.id, wait):
                return ""
            return text("slow_down", language, seconds=math.ceil(wait))
        return None

    # ---------------------------------------------------------------- commands

    async def help(self, update: Update, context: Context) -> None:
        await reply(update.effective_message, escape(HELP.format(username=context.bot.username)))

    async def about(self, update: Update, context: Context) -> None:
        language = language_of(None, update.effective_user)
        if not self._allowed(update):
            await reply(update.effective_message, escape(text("refused", language)))
            return
        info = await self._in_pool(self.engine.info)
        names = "\n".join(f"• {d.name}" for d in info.documents[:20])
        if len(info.documents) > 20:
            names += "\n…"
        about = text(
            "about",
            language,
            documents=len(info.documents),
            passages=info.passages,
            names=names,
            model=info.model_id,
            built=info.built_at,
        )
        await reply(update.effective_message, escape(about))

    async def ask(self, update: Update, context: Context) -> None:
        await self.answer(update, command_argument(update.effective_message))

    # ---------------------------------------------------------------- messages

    async def on_text(self, update: Update, context: Context) -> None:
        question = addressed_question(update.effective_message, context.bot.username, context.bot.id)
        if question is not None:
            await self.answer(update, question)

    async def on_other(self, update: Update, context: Context) -> None:
        """A photo, sticker or voice message: the bot cannot read it, but a
        caption that asks a question is answered, and the hint follows the
        caption's language."""
        message = update.effective_message
        if message.chat.type == ChatType.PRIVATE or replies_to(message, context.bot.id):
            caption = (message.caption or "").strip()
            if caption and asks(caption):
                await self.answer(update, caption)
                return
            await reply(message, escape(text("not_text", language_of(caption, update.effective_user))))

    async def answer(self, update: Update, question: str) -> None:
        message, chat = update.effective_message, update.effective_chat
        language = language_of(question, update.effective_user)
        refusal = self._refusal(update, question, language)
        if refusal is not None:
            if refusal:
                await reply(message, escape(refusal))
            return
        try:
            async with typing(chat):
                answer = await self._in_pool(self.engine.answer, question, self.memory.history(chat.id))
        except CitebotError as err:
            await reply(message, escape(str(err)))
            return
        self.memory.add_turn(chat.id, Turn(question, answer.answer))
        if answer.abstained:
            await reply(message, escape(text("not_found", language)))
        else:
            await self._send_answer(message, answer)

    async def _send_answer(self, message: Message, answer: Answer) -> None:
        key = self.memory.keep(message.chat.id, answer.citations)
        buttons = [
            InlineKeyboardButton(button_label(c), callback_data=f"p:{key}:{c.n}") for c in answer.citations
        ]
        keyboard = InlineKeyboardMarkup(
            [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
        )
        *before, last = render_answer(answer, self.quote_chars)
        for html in before:
            await reply(message, html)
        await reply(message, last, reply_markup=keyboard)

    # --------------------------------------------------------------- documents

    def _is_admin(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.admins

    async def on_document(self, update: Update, context: Context) -> None:
        """An admin's file in a private chat is indexed; anyone else's is refused
        without being downloaded."""
        message = update.effective_message
        language = language_of(message.caption, update.effective_user)
        document = message.document
        if not self._is_admin(update):
            await reply(message, escape(text("admins_only", language)))
            return
        name = document.file_name or ""
        if format_of(PurePosixPath(name).suffix) is None:
            await reply(message, escape(text("bad_type", language)))
            return
        if document.file_size and document.file_size > self.max_upload_bytes:
            size, limit = _mb(document.file_size), _mb(self.max_upload_bytes)
            await reply(message, escape(text("too_big", language, size=size, limit=limit)))
            return
        existed = any(d.name == name for d in await self._in_pool(self.engine.documents))
        try:
            async with typing(message.chat):
                file = await context.bot.get_file(document.file_id)
                data = bytes(await file.download_as_bytearray())
                info = await self._in_pool(self.engine.add_file, name, data)
        except BadRequest as err:  # e.g. "file is too big" from a server with another limit
            await reply(message, escape(text("not_added", language, reason=err.message)))
            return
        except CitebotError as err:
            await reply(message, escape(text("not_added", language, reason=str(err))))
            return
        pages = text("pages", language, pages=info.pages) if info.pages else ""
        key = "replaced" if existed else "added"
        await reply(message, escape(text(key, language, name=name, passages=info.passages, pages=pages)))

    async def documents(self, update: Update, context: Context) -> None:
        language = language_of(None, update.effective_user)
        if not self._allowed(update):
            await reply(update.effective_message, escape(text("refused", language)))
            return
        indexed = await self._in_pool(self.engine.documents)
        if not indexed:
            await reply(update.effective_message, escape(text("no_documents", language)))
            return
        names = "\n".join(_listed(d) for d in indexed[:_DOCUMENTS_LISTED])
        if len(indexed) > _DOCUMENTS_LISTED:
            names += f"\n… (+{len(indexed) - _DOCUMENTS_LISTED})"
        # Names are up to 200 characters: a long list takes more than one message.
        for piece in split_text(text("documents", language, count=len(indexed), names=names), LIMIT):
            await reply(update.effective_message, escape(piece))

    async def remove(self, update: Update, context: Context) -> None:
        message = update.effective_message
        language = language_of(None, update.effective_user)
        if not self._is_admin(update):
            await reply(message, escape(text("admins_only", language)))
            return
        name = command_argument(message)
        if not name:
            await reply(message, escape(text("remove_usage", language)))
            return
        try:
            await self._in_pool(self.engine.remove_document, name)
        except CitebotError as err:
            await reply(message, escape(str(err)))
            return
        await reply(message, escape(text("removed", language, name=name)))

    # ----------------------------------------------------------------- buttons

    async def on_button(self, update: Update, context: Context) -> None:
        """Every press is answered, a forged or unknown one too: until it is,
        the user's client shows a spinner on the button."""
        query = update.callback_query
        language = language_of(None, update.effective_user)
        if not self._allowed(update):
            await query.answer(text("refused", language), show_alert=True)
            return
        match = BUTTON_DATA.match(query.data or "")
        if match is None or update.effective_chat is None:
            await query.answer(text("invalid_button", language), show_alert=True)
            return
        key, n = match.groups()
        citation = self.memory.citation(update.effective_chat.id, key, int(n))
        # Telegram no longer lets a bot reply to messages older than 48 hours.
        if citation is None or query.message is None or not query.message.is_accessible:
            await query.answer(text("expired", language), show_alert=True)
            return
        await query.answer()
        for html in render_passage(citation):
            await reply(query.message, html, do_quote=True)

    # ------------------------------------------------------------------ errors

    async def on_error(self, update: object, context: Context) -> None:
        """Log what failed (records are redacted) and tell the user only that
        something went wrong."""
        if isinstance(context.error, NetworkError):
            log.warning("Telegram request failed: %s", context.error)
        else:
            log.error("Error while handling an update", exc_info=context.error)
        if not isinstance(update, Update):
            return
        language = language_of(None, update.effective_user)
        if update.callback_query:
            # Unanswered, the button would spin on.
            with suppress(TelegramError):
                await update.callback_query.answer(text("failed", language), show_alert=True)
        elif update.effective_message:
            with suppress(TelegramError):
                await update.effective_message.reply_text(escape(text("failed", language)))

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _listed(document: DocumentInfo) -> str:
    pages = f", {document.pages} p." if document.pages else ""
    return f"• {document.name} ({document.passages} ¶{pages})"


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f}".removesuffix(".0")  # decimal, like ingest.max_file_bytes
