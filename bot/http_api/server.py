"""Running the API: in the foreground for `citebot serve`, or in a background
thread on a free port for tests and the load benchmark."""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import uvicorn
import uvicorn.config
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
    uvicorn.run(
        create_app(engine, settings), host=api.host, port=api.port, server_header=False, log_config=log_config()
    )


@contextmanager
def background_server(app: FastAPI, *, host: str = "127.0.0.1", startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve `app` from a daemon thread on a free port; yields its base URL."""
    config = uvicorn.Config(app, host=host, port=0, log_level="warning", server_header=False, log_config=log_config())
    server = uvicorn.Server(config)
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


class RedactQuery(logging.Filter):
    """Drops the values from the query string in uvicorn's access log lines.

    A client may put a secret in the URL (`?token=…`, which the API never
    accepts) or a private question (`/v1/search?q=…`); the log keeps the
    parameter names, which is what debugging needs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn logs (client, method, path with query, HTTP version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            path, query = args[2].split("?", 1)
            names = [part.split("=", 1)[0] for part in query.split("&") if part]
            record.args = (args[0], args[1], f"{path}?" + "&".join(f"{n}=***" for n in names), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging setup, with the access log's query values redacted."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query"] = {"()": RedactQuery}
    config["handlers"]["access"]["filters"] = ["redact_query"]
    return config
