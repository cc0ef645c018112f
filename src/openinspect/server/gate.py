"""The token check at the door: a pure ASGI middleware that refuses unauthenticated requests before their body.

Every HTTP request to the API (``/api/v1/...``) but ``GET /api/v1/health``, and to its documentation (``/docs``,
``/redoc``, ``/openapi.json``), needs a known token; without one it is answered 401 before a byte of its body is
read, and the connection is closed, so an anonymous client cannot make the station receive or spool an upload.
Which role a route needs is still checked by its dependencies (:mod:`openinspect.server.deps`).

A browser cannot send a bearer header for a page it opens, so the documentation pages also take ``?token=``.
WebSockets check their token themselves (``/api/v1/ws`` closes with 1008).
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from openinspect.server.errors import ApiError, error_response
from openinspect.server.security import TokenSet


class TokenGate:
    """Answer 401 to requests on guarded paths that carry no known token, without receiving their body.

    Args:
        app: the application.
        tokens: the tokens the station accepts.
        prefix: every path under it is guarded (the API)...
        exempt: ...but these ``(method, path)`` requests (the health check).
        pages: further guarded paths that also take the token as ``?token=`` (the documentation).
    """

    def __init__(self, app: ASGIApp, tokens: TokenSet, prefix: str, exempt: Collection[tuple[str, str]],
                 pages: Collection[str]) -> None:
        self.app = app
        self.tokens = tokens
        self.prefix = prefix
        self.exempt = frozenset(exempt)
        self.pages = frozenset(pages)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on if it is not guarded or carries a known token, else answer 401."""
        if scope["type"] == "http" and self._guarded(scope):
            page = scope["path"] in self.pages
            query = QueryParams(scope["query_string"]).get("token") if page else None
            try:
                self.tokens.owner(Headers(scope=scope).get("authorization"), query)
            except ApiError as err:
                hint = "; in a browser, add ?token=<token> to the address" if page else ""
                response = error_response(err.status, err.type, err.message + hint)
                response.headers["connection"] = "close"  # the body is never read
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _guarded(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if (scope["method"], path) in self.exempt:
            return False
        return path in self.pages or path == self.prefix or path.startswith(self.prefix + "/")
