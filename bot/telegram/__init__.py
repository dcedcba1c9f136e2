"""The Telegram front end: `run` for the CLI, `build_application` for tests."""

from .app import TelegramSetupError, build_application, checked_token, run

__all__ = ["TelegramSetupError", "build_application", "checked_token", "run"]
