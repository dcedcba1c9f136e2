"""The FastAPI application: routes that turn HTTP into Engine calls and back.

Engine calls block (embedding, search, index commits), so they never run on
the event loop: read endpoints are plain `def`, which FastAPI runs in its
thread pool, and updates are awaited in that pool under a lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Callable, NoReturn

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from config.settings import Settings
from retrieval.errors import IndexBusyError
from retrieval.types import Turn

from .auth import BearerAuth
from .body import RequestBodyGuard
from .errors import install_error_handlers
from .models import (
    DOCUMENT_BODY,
    AnswerOut,
    AskRequest,
    DocumentListOut,
    DocumentName,
    DocumentOut,
    ErrorOut,
    document_from_json,
    uploaded_file,
    HealthOut,
    HitOut,
    IndexOut,
    ReadyOut,
    SearchOut,
)

if TYPE_CHECKING:
    from retrieval.engine import Engine

_ERROR_DESCRIPTIONS = {
    400: "Malformed JSON, a body that is not UTF-8, or a malformed HTTP request.",
    401: "Missing or wrong bearer token.",
    403: "The server has no CITEBOT_API_TOKEN, so this is disabled.",
    404: "No document by that name.",
    409: "Another process is updating the index; try again.",
    413: "The request body is larger than the server allows, or the document has too many passages.",
    415: "The body is not sent as JSON (Content-Type: application/json).",
    422: "A field is missing, mistyped, too long or out of range, or the text cannot be used.",
    503: "The index is missing or unusable, or busy with another change (see Retry-After).",
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    # Any request can be malformed at the HTTP level (uvicorn answers 400), so
    # every operation documents 400.
    return {s: {"model": ErrorOut, "description": _ERROR_DESCRIPTIONS[s]} for s in sorted({400, *statuses})}


class _Limits:
    """Limits that depend on settings, so they cannot live in the static models.

    Breaches are reported exactly like FastAPI's own validation errors.
    """

    def __init__(self, settings: Settings) -> None:
        self.max_question_chars = settings.answer.max_question_chars
        self.max_top_k = settings.api.max_top_k

    def check_question(self, loc: tuple[str | int, ...], text: str) -> None:
        if len(text) > self.max_question_chars:
            _reject(loc, f"too long ({len(text)} characters; the limit is {self.max_question_chars})")

    def check_top_k(self, loc: tuple[str | int, ...], value: int | None) -> None:
        if value is not None and not 1 <= value <= self.max_top_k:
            _reject(loc, f"must be between 1 and {self.max_top_k}")


def _reject(loc: tuple[str | int, ...], message: str) -> NoReturn:
    raise RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])


def create_app(engine: Engine, settings: Settings) -> FastAPI:
    app = FastAPI(
        title="citebot",
        version="1",
        summary="Answers questions about your documents, citing the passages the answer comes from.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)
    app.add_middleware(RequestBodyGuard, max_body_bytes=settings.api.max_body_bytes)
    # Added last so it wraps everything, including the guard's 413s.
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.api.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    auth = BearerAuth(settings.api.token, public_read=settings.api.public_read)
    app.include_router(_v1_routes(engine, settings, auth))
    app.include_router(_health_routes(engine))
    return app


def _v1_routes(engine: Engine, settings: Settings, auth: BearerAuth) -> APIRouter:
    router = APIRouter(prefix="/v1")
    limits = _Limits(settings)
    read = [Depends(auth.require_read)]
    write = [Depends(auth.require_write)]
    # One update at a time: waiting updates queue here on the event loop rather
    # than each holding a worker thread that questions need, and the
    # added-or-replaced check stays true for the add that follows it. The wait
    # is bounded, so a client behind a long update hears 503 instead of hanging.
    update_lock = asyncio.Lock()
    wait = settings.index.write_wait_seconds

    @asynccontextmanager
    async def updating() -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(wait):
                await update_lock.acquire()
        except TimeoutError:
            raise IndexBusyError.after(wait) from None
        try:
            yield
        finally:
            update_lock.release()

    @router.post("/ask", dependencies=read, responses=_errors(400, 401, 403, 413, 415, 422, 503), tags=["questions"])
    def ask(request: AskRequest) -> AnswerOut:
        """Answer a question with cited passages; `history` resolves follow-up questions."""
        limits.check_question(("body", "question"), request.question)
        for i, turn in enumerate(request.history):
            limits.check_question(("body", "history", i, "question"), turn.question)
        limits.check_top_k(("body", "top_k"), request.top_k)
        history = [Turn(question=t.question, answer=t.answer) for t in request.history]
        answer = engine.answer(request.question, history=history, top_k=request.top_k)
        return AnswerOut.model_validate(answer.to_dict())

    @router.get("/search", dependencies=read, responses=_errors(401, 403, 422, 503), tags=["questions"])
    def search(
        q: Annotated[str, Query(min_length=1, description="The query text.")],
        k: Annotated[int, Query(description="How many passages to return.")] = settings.search.top_k,
    ) -> SearchOut:
        """Ranked passages with their scores, without extracting an answer."""
        limits.check_question(("query", "q"), q)
        limits.check_top_k(("query", "k"), k)
        return SearchOut(query=q, hits=[HitOut.from_hit(hit) for hit in engine.search(q, k=k)])

    @router.get("/index", dependencies=read, responses=_errors(401, 403, 503), tags=["documents"])
    def index_info() -> IndexOut:
        """The indexed documents, passage count, embedding model and build time."""
        return IndexOut.from_info(engine.info())

    @router.get("/documents", dependencies=read, responses=_errors(401, 403, 503), tags=["documents"])
    def list_documents() -> DocumentListOut:
        return DocumentListOut(documents=[DocumentOut.from_info(d) for d in engine.documents()])

    @router.post(
        "/documents",
        dependencies=write,
        status_code=201,
        responses={200: {"model": DocumentOut, "description": "An existing document was replaced."}}
        | _errors(400, 401, 403, 409, 413, 415, 422, 503),
        tags=["documents"],
        openapi_extra={"requestBody": DOCUMENT_BODY},
    )
    async def put_document(request: Request, response: Response) -> DocumentOut:
        """Add a document (201), or replace the one with the same name (200): JSON with the
        text of a plain-text or Markdown document, or a file upload (PDF, DOCX, HTML, TXT, MD)
        named after the file unless a `name` field says otherwise."""
        add: Callable[[], Any]
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            name, data = await uploaded_file(request)
            add = partial(engine.add_file, name, data)
        else:
            document = document_from_json(await request.body(), request.headers.get("content-type", ""))
            name, add = document.name, partial(engine.add_document, document.name, document.text)
        async with updating():
            existing = await run_in_threadpool(engine.documents)
            info = await run_in_threadpool(add)
        if any(d.name == name for d in existing):
            response.status_code = 200
        return DocumentOut.from_info(info)

    @router.delete(
        "/documents/{name}",
        dependencies=write,
        status_code=204,
        responses=_errors(401, 403, 404, 409, 422, 503),
        tags=["documents"],
    )
    async def delete_document(name: Annotated[DocumentName, Path()]) -> None:
        """Remove a document from the index."""
        async with updating():
            await run_in_threadpool(engine.remove_document, name)

    return router


def _health_routes(engine: Engine) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> HealthOut:
        """Liveness: the process is up and serving."""
        return HealthOut()

    @router.get("/readyz", responses=_errors(503))
    def readyz() -> ReadyOut:
        """Readiness: the index and the model are loaded."""
        info = engine.info()
        return ReadyOut(documents=len(info.documents), passages=info.passages, model_id=info.model_id)

    return router
