"""Keep the bot token out of every log line.

The token is part of every Bot API URL, and httpx (INFO) and PTB (DEBUG) log
those URLs; a network error can quote one too. Handlers come and go (the
CLI's, pytest's, a user's own), so a filter on some handler would miss
records: the filter runs where records are made, for every logger.
"""

from __future__ import annotations

import logging
import threading

REDACTED = "[bot token]"

_secrets: set[str] = set()
_installed = threading.Lock()
_previous_factory = None


class RedactSecrets(logging.Filter):
    """Rewrites a record so that no registered secret is left in its message
    or traceback. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is reported by logging itself
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return text


def protect(secret: str) -> None:
    """Redact `secret` from every log record made from now on in this process."""
    global _previous_factory
    with _installed:
        _secrets.add(secret)
        if _previous_factory is None:
            _previous_factory = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_make_record)


_filter = RedactSecrets()


def _make_record(*args, **kwargs) -> logging.LogRecord:
    record = _previous_factory(*args, **kwargs)
    _filter.filter(record)
    return record


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO: one line per poll, each holding
    the token. Warnings still get through (redacted)."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
