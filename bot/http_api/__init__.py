"""HTTP API front end: `citebot serve`. See docs/http_api (README) for the endpoints."""

from .app import create_app
from .server import background_server, serve

__all__ = ["background_server", "create_app", "serve"]
