"""Building and running the PTB application."""

from __future__ import annotations

import os
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from config.settings import Settings
from retrieval.errors import CitebotError

from . import redact
from .handlers import Citebot
from .texts import COMMANDS

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
# What BotFather hands out: the bot's numeric id, a colon and a secret.
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
# Telegram's rule for the secret it echoes in X-Telegram-Bot-Api-Secret-Token.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Attempts per Bot API call when Telegram answers 429, each after the wait it asks for.
_FLOOD_RETRIES = 3


class TelegramSetupError(CitebotError):
    """The bot cannot start: a missing or refused token, an unusable setting."""


def build_application(engine: Any, settings: Settings) -> Application:
    """The application with all handlers, not yet started."""
    token = checked_token(settings.telegram.token)
    redact.protect(token)
    redact.quiet_http_logs()
    base_url = settings.telegram.api_base_url
    if not base_url.startswith(("http://", "https://")):
        raise TelegramSetupError(f"telegram.api_base_url must be an http(s) URL, not {base_url!r}")

    bot = Citebot(engine, settings)

    async def set_commands(application: Application) -> None:
        for language, commands in COMMANDS.items():
            await application.bot.set_my_commands(
                [BotCommand(*command) for command in commands],
                language_code=None if language == "en" else language,
            )

    async def close(application: Application) -> None:
        bot.close()

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        # Derived rather than defaulted, so that a self-hosted server also
        # serves files and the token goes nowhere else.
        .base_file_url(re.sub(r"/bot$", "/file/bot", base_url))
        .defaults(Defaults(parse_mode=ParseMode.HTML, allow_sending_without_reply=True))
        .rate_limiter(AIORateLimiter(max_retries=_FLOOD_RETRIES))
        .concurrent_updates(True)
        .post_init(set_commands)
        .post_shutdown(close)
        .build()
    )
    application.add_handlers(
        [
            CommandHandler(["start", "help"], bot.help),
            CommandHandler("about", bot.about),
            CommandHandler("ask", bot.ask),
            CommandHandler("documents", bot.documents),
            CommandHandler("remove", bot.remove),
            MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.Document.ALL, bot.on_document),
            MessageHandler(filters.UpdateType.MESSAGES & filters.TEXT & ~filters.COMMAND, bot.on_text),
            MessageHandler(
                filters.UpdateType.MESSAGES & ~filters.TEXT & ~filters.StatusUpdate.ALL, bot.on_other
            ),
            # No pattern: forged or unknown data must be answered too.
            CallbackQueryHandler(bot.on_button),
        ]
    )
    application.add_error_handler(bot.on_error)
    return application


def run(
    engine: Any,
    settings: Settings,
    *,
    webhook_url: str | None = None,
    listen: str = "127.0.0.1",
    port: int = 8443,
) -> None:
    """Answer questions until interrupted: long polling by default, or a
    webhook on listen:port that Telegram reaches at `webhook_url`."""
    secret = _webhook_secret() if webhook_url else None
    application = build_application(engine, settings)
    try:
        if webhook_url:
            redact.protect(secret)
            application.run_webhook(
                listen=listen,
                port=port,
                url_path=urlsplit(webhook_url).path.strip("/"),
                webhook_url=webhook_url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        raise TelegramSetupError(
            "Telegram refused the bot token in TELEGRAM_BOT_TOKEN; check it with @BotFather"
        ) from None
    except TelegramError as err:
        raise TelegramSetupError(
            f"cannot start the bot with the Bot API at {settings.telegram.api_base_url}: {redact.redact(str(err))}"
        ) from None
    except OSError as err:
        if not webhook_url:
            raise
        # the port is taken, or not ours to open
        raise TelegramSetupError(f"cannot listen on {listen}:{port} for the webhook: {err.strerror or err}") from None


def checked_token(token: str | None) -> str:
    if not token:
        raise TelegramSetupError(
            "no bot token: set TELEGRAM_BOT_TOKEN to the token @BotFather gave you"
        )
    if not _TOKEN.match(token):
        raise TelegramSetupError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (BotFather gives one like "
            "123456789:AAH...); check for stray quotes or spaces"
        )
    return token


def _webhook_secret() -> str:
    """TELEGRAM_WEBHOOK_SECRET if set (several instances behind one URL must
    share it), else a fresh one: Telegram learns it from setWebhook anyway."""
    secret = os.environ.get("TELEGRAM_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
    if not _WEBHOOK_SECRET.match(secret):
        raise TelegramSetupError(
            "TELEGRAM_WEBHOOK_SECRET may only hold 1-256 letters, digits, '_' and '-'"
        )
    return secret
