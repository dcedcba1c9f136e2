"""Request bodies are read here, in full and within a size limit, before any
endpoint sees them.

Content-Length is only a hint (it can be absent with chunked encoding, or
wrong), so the limit is enforced on the bytes actually received. Once read,
the body is replayed to the application; JSON must be UTF-8 (RFC 8259), so a
body that is not is refused here with a clear message rather than surfacing as
a vague parse error later. A multipart upload carries files (a PDF is binary),
so only its size is checked here.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response


class RequestBodyGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return

        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)

        try:
            if not headers.get("content-type", "").startswith("multipart/form-data"):
                body.decode("utf-8")
        except UnicodeDecodeError:
            response = error_response(400, "invalid_encoding", "the request body is not valid UTF-8")
            await response(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            # Later calls are the app waiting for a disconnect.
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "body_too_large",
            f"the request body is larger than the limit of {self.max_body_bytes} bytes",
            # The rest of the body is left unread, so the connection cannot be reused.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
