"""What every request passes before a handler runs: the bearer token (all endpoints but the
provider webhooks, which prove themselves with the provider's signature), the content type
(415) and the body size (413, checked on the declared length and again while reading)."""
from __future__ import annotations

import hmac
import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import Problem, problem_response

WEBHOOKS = "/v1/webhooks/"
log = logging.getLogger("ndr.serve")


class CatchAll:
    """ASGI middleware: an unexpected error becomes a 500 problem document; the log gets one
    line (the traceback too with ``--log-level debug``), the client never a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            log.error("%s %s: internal error: %s: %s", scope.get("method"), scope.get("path"),
                      type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            if started or scope["type"] != "http":
                return  # too late for another answer; the connection just ends
            response = problem_response(500, f"internal error ({type(exc).__name__}); the request "
                                             "was not processed", str(scope["path"]), slug="internal")
            await response(scope, receive, send)


class BearerAuth:
    """ASGI middleware: ``Authorization: Bearer <token>`` on every path outside ``/v1/webhooks/``.
    With no token configured it lets everything through (``ndr serve`` allows that only on a
    loopback address)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode("utf-8") if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.token is None or str(scope["path"]).startswith(WEBHOOKS):
            await self.app(scope, receive, send)
            return
        given = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, given = value.partition(b" ")
                given = given.strip() if scheme.lower() == b"bearer" else b""
        if not hmac.compare_digest(given, self.token):
            detail = "a valid bearer token is required" if given else "missing bearer token"
            response = problem_response(401, detail, str(scope["path"]), slug="token",
                                        headers={"WWW-Authenticate": 'Bearer realm="ndr"'})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def media_type(request: Request) -> str:
    """The request's media type, lowercase, without parameters."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def require_type(request: Request, allowed: tuple[str, ...]) -> str:
    """The media type when it is one of ``allowed``, else a 415 problem."""
    kind = media_type(request)
    if kind not in allowed:
        raise Problem(415, f"Content-Type {kind or '(none)'!r} is not accepted here; "
                           f"send {' or '.join(allowed)}", slug="media-type")
    return kind


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes (413 beyond); 400 when it is empty."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise Problem(413, f"the body is {int(declared)} bytes; this service accepts at most {limit}",
                      slug="too-large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"the body is over {limit} bytes, the most this service accepts",
                          slug="too-large")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        raise Problem(400, "the body is empty", slug="empty")
    return body
