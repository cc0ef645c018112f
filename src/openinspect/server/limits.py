"""Request-body limits, counted while the body streams in (``Content-Length`` or chunked alike).

:class:`BodyLimit` is a pure ASGI middleware: it answers 413 ``too_large`` at once for a declared length over
the route's limit, and otherwise counts the bytes the application receives, failing the read that crosses the
limit. So no request makes the server receive (or spool to disk) more than its limit and a small envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openinspect.server.deps import too_large
from openinspect.server.errors import error_response

CLOSE = (b"connection", b"close")
"""The header that makes the server drop a connection whose body it will not read to the end."""


@dataclass(frozen=True)
class BodyCap:
    """The largest request body a route takes, and the setting that raises it."""

    bytes: int
    setting: str

    def error(self, what: str) -> HTTPException:
        """The 413 for a body over this cap, as the HTTP exception the error handlers map to ``too_large``."""
        return HTTPException(413, too_large(what, self.bytes, self.setting).message)


class BodyLimit:
    """Refuse request bodies over their route's limit before more than the limit is received (413).

    A read that crosses the limit raises :class:`~starlette.exceptions.HTTPException` (413): FastAPI passes
    those through its body parsing, so the API's error handlers answer in the one error format; the answer
    asks the client to close the connection, so the rest of the body is never read.

    Args:
        app: the application.
        default: the limit of every route not in ``routes``.
        routes: other limits by request path (recipe archives are far larger than captures).
    """

    ENVELOPE = 64 * 1024
    """Room for the multipart envelope around a file of the limit."""

    def __init__(self, app: ASGIApp, default: BodyCap, routes: Mapping[str, BodyCap]) -> None:
        self.app = app
        self.default = default
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 413 for an over-long ``Content-Length``, else pass the request on with its body counted."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.routes.get(scope["path"], self.default)
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > cap.bytes + self.ENVELOPE:
            error = too_large(f"the request body ({int(length) / 2**20:.1f} MiB)", cap.bytes, cap.setting)
            response = error_response(error.status, error.type, error.message)
            response.headers["connection"] = "close"
            await response(scope, receive, send)
            return
        counted = _Counted(receive, send, cap, cap.bytes + self.ENVELOPE)
        await self.app(scope, counted.receive, counted.send)


class _Counted:
    """One request's ``receive`` and ``send``, counting body bytes against ``allowed``."""

    def __init__(self, receive: Receive, send: Send, cap: BodyCap, allowed: int) -> None:
        self._receive = receive
        self._send = send
        self._cap = cap
        self._allowed = allowed
        self.received = 0
        self.over = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self._allowed:
                self.over = True
                raise self._cap.error(f"the request body (over {self._allowed / 2**20:.1f} MiB so far)")
        return message

    async def send(self, message: Message) -> None:
        if self.over and message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), CLOSE]}
        await self._send(message)

