"""A fake Telegram Bot API server for tests: real HTTP on 127.0.0.1, so the
real python-telegram-bot talks to it exactly as it would to Telegram.

Tests push updates (messages, edits, button presses), read back what the bot
sent, and can make the next calls to a method fail with 429 (flood control)
or 502 (an outage). Files users send are served as Telegram serves them:
getFile, then a download from /file/bot<token>/<file_path>, with the Bot
API's 20 MB limit. `TelegramHtml` reads a sent message as Telegram would.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote

BOT_USER = {
    "id": 700000001,
    "is_bot": True,
    "first_name": "Citebot",
    "username": "citebot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

# Form bodies carry every value as a string; these hold JSON (objects, lists
# and numbers). Free text such as `text` is never decoded, even if it looks
# like JSON.
_JSON_FIELDS = {
    "chat_id", "message_id", "offset", "limit", "timeout", "reply_markup", "reply_parameters",
    "commands", "allowed_updates", "link_preview_options", "entities", "show_alert", "cache_time",
    "reply_to_message_id", "allow_sending_without_reply", "max_connections", "drop_pending_updates",
    "message_thread_id",
}  # fmt: skip
# getFile refuses larger files: bots cannot download them from Telegram's servers.
DOWNLOAD_LIMIT = 20 * 1024 * 1024


class BotApiError(Exception):
    """Raised by a method to answer as Telegram does when it refuses a call."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None
    error: str = ""


@dataclass
class _Failure:
    times: int
    retry_after: int | None


@dataclass
class FakeBotApi:
    token: str
    calls: list[Call] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._failures: dict[str, _Failure] = {}
        self._chats: dict[int, dict] = {}
        self._files: dict[str, tuple[str, bytes, int]] = {}  # file_id -> file_path, bytes, declared size
        self._changed = threading.Condition()
        self._closed = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-bot-api", daemon=True
        )

    # ---------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """What `telegram.api_base_url` is set to: the token is appended."""
        return f"http://127.0.0.1:{self._server.server_port}/bot"

    def __enter__(self) -> "FakeBotApi":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------ test controls

    @staticmethod
    def private_chat(chat_id: int) -> dict:
        return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}

    @staticmethod
    def group_chat(chat_id: int) -> dict:
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    def message(
        self, chat: dict, text: str | None = None, *, user_id: int | None = None, language: str = "en", **fields: Any
    ) -> dict:
        """A user's message as Telegram would deliver it (not yet pushed)."""
        self._chats[chat["id"]] = chat
        user_id = user_id or abs(chat["id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": f"User {user_id}", "language_code": language},
            **fields,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return message

    def push(self, kind: str, payload: dict) -> dict:
        """Queue an update (`message`, `edited_message`, `callback_query`...)."""
        with self._changed:
            update = {"update_id": next(self._update_ids), kind: payload}
            self._updates.append(update)
            self._changed.notify_all()
        return payload

    def send(self, chat: dict, text: str | None = None, **fields: Any) -> dict:
        return self.push("message", self.message(chat, text, **fields))

    def edit(self, message: dict, text: str) -> dict:
        return self.push("edited_message", {**message, "text": text, "edit_date": int(time.time())})

    def press(self, bot_message: dict, data: str | None, *, user_id: int | None = None) -> dict:
        """A press on an inline button of a message the bot sent (data None:
        a query without data, as a forged or game button sends)."""
        user_id = user_id or abs(bot_message["chat"]["id"])
        query = {
            "id": str(next(self._update_ids)),
            "from": {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"},
            "message": bot_message,
            "chat_instance": str(bot_message["chat"]["id"]),
        }
        return self.push("callback_query", query if data is None else {**query, "data": data})

    def document(self, data: bytes, file_name: str, *, file_size: int | None = None) -> dict:
        """A file as it appears in a message's `document`, stored for getFile;
        `file_size` can claim more than `data` holds, as for a file too big to fetch."""
        file_id = f"doc{next(self._message_ids)}"
        size = len(data) if file_size is None else file_size
        self._files[file_id] = (f"documents/{file_id}_{file_name}", data, size)
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name, "file_size": size}

    def fail_next(self, method: str, times: int = 1, *, retry_after: int | None = None) -> None:
        """Answer the next `times` calls to `method` with 429 (when retry_after
        is given, as flood control does) or else 502 (as during an outage)."""
        with self._changed:
            self._failures[method] = _Failure(times, retry_after)

    # ------------------------------------------------------------- inspection

    def called(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._changed:
            return [
                c
                for c in self.calls
                if c.method == method and c.status == 200 and (chat_id is None or c.params.get("chat_id") == chat_id)
            ]

    def sent(self, chat_id: int) -> list[str]:
        """The texts of the messages the bot sent to a chat, in order."""
        return [c.params["text"] for c in self.called("sendMessage", chat_id)]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Block until `condition()` is truthy (re-checked on every call the
        bot makes) and return its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (value := condition()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s; calls so far: {self._summary()}")
                self._changed.wait(left)
        return value

    def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 15.0) -> list[Call]:
        """The first `count` messages sent to a chat, once they have been."""
        return self.wait_for(lambda: (sent := self.called("sendMessage", chat_id))[count - 1 :] and sent, timeout)

    def _summary(self) -> str:
        return ", ".join(f"{c.method}({c.params.get('chat_id', '')})" for c in self.calls if c.method != "getUpdates")

    # ---------------------------------------------------------------- the API

    def _call(self, method: str, params: dict[str, Any]) -> tuple[int, dict]:
        # Under the lock throughout (getUpdates releases it while it waits),
        # so a test never sees a call without its outcome.
        with self._changed:
            call = Call(method, params, time.monotonic())
            self.calls.append(call)
            self._changed.notify_all()
            failure = self._failures.get(method)
            answer = getattr(self, f"_api_{method}", None)
            if failure and failure.times > 0:
                failure.times -= 1
                call.status = 429 if failure.retry_after else 502
            elif answer is None:
                call.status = 404
            else:
                try:
                    call.result = answer(params)
                except BotApiError as err:
                    call.status, call.error = err.code, err.description
            self._changed.notify_all()
        if call.status == 429:
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {failure.retry_after}",
                "parameters": {"retry_after": failure.retry_after},
            }
        if call.status == 502:
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        if call.error:
            return call.status, {"ok": False, "error_code": call.status, "description": call.error}
        if call.status == 404:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        return 200, {"ok": True, "result": call.result}

    def _api_getMe(self, params: dict) -> dict:
        return BOT_USER

    def _api_getUpdates(self, params: dict) -> list[dict]:
        offset = params.get("offset", 0)
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 2.0)
        with self._changed:
            # Updates before the offset are confirmed: Telegram forgets them.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closed and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            return self._updates[: int(params.get("limit", 100))]

    def _sent_message(self, params: dict) -> dict:
        chat_id = params["chat_id"]
        chat = self._chats.get(chat_id) or (self.private_chat(chat_id) if chat_id > 0 else self.group_chat(chat_id))
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    def _api_sendMessage(self, params: dict) -> dict:
        return self._sent_message(params)

    def _api_editMessageText(self, params: dict) -> dict:
        return self._sent_message(params)

    def _api_setWebhook(self, params: dict) -> bool:
        self.webhook = params
        return True

    def _api_getWebhookInfo(self, params: dict) -> dict:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    def _api_deleteWebhook(self, params: dict) -> bool:
        self.webhook = {}
        return True

    def _api_sendChatAction(self, params: dict) -> bool:
        return True

    def _api_answerCallbackQuery(self, params: dict) -> bool:
        return True

    def _api_setMyCommands(self, params: dict) -> bool:
        return True

    def _api_getFile(self, params: dict) -> dict:
        stored = self._files.get(params.get("file_id", ""))
        if stored is None:
            raise BotApiError(400, "Bad Request: invalid file_id")
        path, _, size = stored
        if size > DOWNLOAD_LIMIT:
            raise BotApiError(400, "Bad Request: file is too big")
        file_id = params["file_id"]
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size, "file_path": path}

    def _download(self, path: str) -> bytes | None:
        """A file's bytes by its file_path, recorded as a "download" call."""
        with self._changed:
            found = next((data for file_path, data, _ in self._files.values() if file_path == path), None)
            self.calls.append(Call("download", {"file_path": path}, time.monotonic(), 200 if found is not None else 404))
            self._changed.notify_all()
        return found


class TelegramHtml(HTMLParser):
    """Reads a message the way Telegram does: only its few tags are markup,
    everything else must be escaped text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text += data


def _decode(body: bytes, content_type: str) -> dict[str, Any]:
    if content_type.startswith("application/json"):
        return json.loads(body or b"{}")
    params: dict[str, Any] = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for name in _JSON_FIELDS & params.keys():
        params[name] = json.loads(params[name])
    return params


def _handler_for(api: FakeBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            prefix, _, method = self.path.partition("?")[0].rpartition("/")
            if prefix != f"/bot{api.token}":
                status, reply = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            else:
                status, reply = api._call(method, _decode(body, self.headers.get("Content-Type", "")))
            payload = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # a long poll the bot cancelled while stopping

        def do_GET(self) -> None:
            prefix, path = f"/file/bot{api.token}/", unquote(self.path)  # PTB quotes the token's colon
            data = api._download(path[len(prefix) :]) if path.startswith(prefix) else None
            self.send_response(200 if data is not None else 404)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass  # request lines hold the token; the tests read `calls` instead

    return Handler
