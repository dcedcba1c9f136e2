"""One error body for every failure: `{"error": {"code", "message", "details"?}}`.

FastAPI's own validation errors, Starlette's 404/405, the engine's
`CitebotError`s and unexpected bugs all go through here, so a client parses a
single shape and never sees a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from retrieval.errors import (
    CitebotError,
    DocumentTooLargeError,
    IndexBusyError,
    IndexCorruptError,
    IndexLockedError,
    IndexNotFoundError,
    IndexUnavailableError,
    InputError,
    ModelMismatchError,
    UnknownDocumentError,
)

from .models import ErrorBody, ErrorDetail, ErrorOut, is_json

# Most specific first: the first class the error is an instance of wins.
_CITEBOT_STATUS: list[tuple[type[CitebotError], int, str]] = [
    (DocumentTooLargeError, 413, "document_too_large"),
    (InputError, 422, "invalid_input"),
    (UnknownDocumentError, 404, "unknown_document"),
    (IndexLockedError, 409, "index_locked"),
    (IndexBusyError, 503, "index_busy"),
    (IndexNotFoundError, 503, "index_not_found"),
    (IndexCorruptError, 503, "index_corrupt"),
    (IndexUnavailableError, 503, "index_unavailable"),
    (ModelMismatchError, 503, "model_mismatch"),
    (CitebotError, 400, "bad_request"),
]


class ApiError(Exception):
    """Raised by endpoints and dependencies to answer with an error body."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    details: Sequence[ErrorDetail] | None = None,
) -> JSONResponse:
    # Messages can quote user input; lone surrogates in it would make the
    # UTF-8 encoding of the response itself fail.
    safe = message.encode("utf-8", "backslashreplace").decode("utf-8")
    body = ErrorOut(error=ErrorBody(code=code, message=safe, details=details or None))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _status_code_name(status: int) -> str:
    """`404` → `"not_found"`: a stable code for errors raised by the framework."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(CitebotError, _citebot_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(Exception, _unexpected_error)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers)


async def _citebot_error(request: Request, exc: Exception) -> JSONResponse:
    status, code = next((s, c) for cls, s, c in _CITEBOT_STATUS if isinstance(exc, cls))
    lines = str(exc).strip().splitlines()
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, IndexBusyError) else None
    return error_response(status, code, lines[0] if lines else code.replace("_", " "), headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: Sequence[Any] = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    # FastAPI parses a body as JSON only when it is declared so; any other body
    # reaches validation as bytes, and "should be a valid dictionary" would
    # hide what is really wrong.
    content_type = request.headers.get("content-type", "")
    if content_type and not is_json(content_type) and any(tuple(e.get("loc", ())) == ("body",) for e in errors):
        return error_response(
            415, "unsupported_media_type",
            f"the request body must be JSON sent with Content-Type: application/json (not {content_type})",
        )
    # The offending input is left out on purpose: it can be megabytes long.
    details = [
        ErrorDetail(location=".".join(str(p) for p in e.get("loc", ())), message=_plain(e.get("msg", "")))
        for e in errors
    ]
    summary = "; ".join(f"{d.location}: {d.message}" for d in details[:3])
    return error_response(422, "invalid_request", f"invalid request: {summary}", details=details)


def _plain(message: str) -> str:
    # Pydantic prefixes messages of custom validators; the rest reads fine.
    return message.removeprefix("Value error, ")


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, _status_code_name(exc.status_code), str(exc.detail), headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises the exception after this response is sent, and
    # uvicorn logs it with its traceback; logging it here would log it twice.
    return error_response(500, "internal_error", "internal error; the server log has the details")
