"""Running the API: in the foreground for `citebot serve`, or in a background
thread on a free port for tests and the load benchmark."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI

from config.settings import Settings

from .app import create_app

if TYPE_CHECKING:
    from retrieval.engine import Engine

log = logging.getLogger(__name__)


def serve(engine: Engine, settings: Settings) -> None:
    """Serve the API on `settings.api.host:port` until interrupted (blocks)."""
    api = settings.api
    if api.token is None:
        refused = "document changes" if api.public_read else "all /v1 requests"
        log.warning("CITEBOT_API_TOKEN is not set: %s will be refused", refused)
    uvicorn.run(create_app(engine, settings), host=api.host, port=api.port, server_header=False)


@contextmanager
def background_server(app: FastAPI, *, host: str = "127.0.0.1", startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve `app` from a daemon thread on a free port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=0, log_level="warning", server_header=False))
    thread = threading.Thread(target=server.run, name="citebot-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the HTTP server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout)
