"""Bearer-token access control, as FastAPI dependencies.

Reads (ask, search, listings) need the token unless `public_read` is set;
changes to the index always need it, and are refused outright when no token
is configured, so a forgotten variable never leaves the index writable.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .errors import ApiError

# auto_error=False: a missing token is answered with our error body, not FastAPI's.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="The value of CITEBOT_API_TOKEN on the server, sent as `Authorization: Bearer <token>`.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


class BearerAuth:
    """The checks never block, hence `async`: no trip through the thread pool."""

    def __init__(self, token: str | None, *, public_read: bool) -> None:
        self._token = token.encode("utf-8") if token else None
        self._public_read = public_read

    async def require_read(self, credentials: Credentials) -> None:
        if self._public_read:
            return
        if self._token is None:
            raise ApiError(
                403, "reads_disabled",
                "reading needs a token: set CITEBOT_API_TOKEN on the server (or enable api.public_read)",
            )
        self._check(credentials)

    async def require_write(self, credentials: Credentials) -> None:
        if self._token is None:
            raise ApiError(
                403, "writes_disabled",
                "document changes are disabled: set CITEBOT_API_TOKEN on the server to enable them",
            )
        self._check(credentials)

    def _check(self, credentials: HTTPAuthorizationCredentials | None) -> None:
        assert self._token is not None
        if credentials is None:
            raise ApiError(401, "unauthorized", "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        # Header values arrive decoded as Latin-1; re-encoding gives back the
        # raw bytes, and comparing bytes works for non-ASCII input as well.
        presented = credentials.credentials.encode("latin-1")
        if not hmac.compare_digest(presented, self._token):
            raise ApiError(
                401, "unauthorized", "invalid bearer token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
