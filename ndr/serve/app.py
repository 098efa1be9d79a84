"""The ASGI application: routes, handlers, and the error answers (problem details, never a
traceback).

Handlers are ``async`` and do their (short, CPU-bound) work on the event loop's thread: a
thread pool buys nothing under the GIL, and one thread owns the ledger's SQLite connection.
More throughput comes from more worker processes (``ndr serve --workers N``).
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..batch.findings import Thresholds
from ..catalog import Catalog, load_catalog
from ..explain import explain
from ..policy import DEFAULT
from ..webhooks.verify import SnsCertificates
from .config import Secrets, ServeConfig, load_secrets
from .guards import BearerAuth, CatchAll, read_body, require_type
from .hooks import MEDIA, Webhooks
from .messages import parse_body
from .openapi import docs_page, openapi
from .problems import Problem, problem_response
from .store import Store

LANGS = ("en", "pt-BR")
PARSE_TYPES = ("message/rfc822", "application/mbox")


class Service:
    """The handlers and what they share: configuration, catalog, ledger."""

    def __init__(self, config: ServeConfig, secrets: Secrets, catalog: Catalog) -> None:
        self.config = config
        self.catalog = catalog
        self.store: Store | None = None
        self.webhooks = Webhooks(config, secrets, SnsCertificates(secrets.sns_cert))

    def _lang(self, request: Request) -> str:
        lang = request.query_params.get("lang") or self.config.lang
        if lang not in LANGS:
            raise Problem(400, f"lang must be one of {', '.join(LANGS)}, not {lang!r}", slug="query")
        return lang

    def _keep(self, rows: list[dict[str, Any]]) -> None:
        if self.store is not None and rows:
            self.store.add(rows)

    def _ledger(self) -> Store:
        if self.store is None:
            raise Problem(404, "no ledger: start ndr serve with --db FILE", slug="no-ledger")
        return self.store

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "ledger": self.store.counts() if self.store else None})

    async def parse(self, request: Request) -> Response:
        require_type(request, PARSE_TYPES)
        lang = self._lang(request)
        body = await read_body(request, self.config.max_body)
        source = request.query_params.get("source") or "-"
        rows = parse_body(body, source, self.catalog, DEFAULT.clone(lang=lang))
        self._keep(rows)
        return JSONResponse(rows)

    async def explain(self, request: Request) -> Response:
        query = request.query_params.get("q", "").strip()
        if not query:
            raise Problem(400, "give a status code, reply or diagnostic text as ?q=", slug="query")
        return JSONResponse(explain(query, lang=self._lang(request), catalog=self.catalog).to_dict())

    async def webhook(self, request: Request) -> Response:
        provider = str(request.path_params["provider"])
        self.webhooks.check_enabled(provider)
        require_type(request, MEDIA[provider])
        body = await read_body(request, self.config.max_body)
        payload = self.webhooks.authenticate(provider, request, body)
        rows = self.webhooks.records(provider, payload, self.catalog, self._lang(request))
        self._keep(rows)
        return JSONResponse(rows)

    async def suppressions(self, request: Request) -> Response:
        store = self._ledger()
        found = store.suppressions(_number(request, "soft_count", 3), _number(request, "soft_days", 7))
        return JSONResponse({"suppressions": [
            {"address": s.address, "why": s.why, "last_seen": s.last_seen, "reason": s.reason}
            for s in found]})

    async def findings(self, request: Request) -> Response:
        store = self._ledger()
        group_by = request.query_params.get("group_by", "server")
        if group_by not in ("server", "domain"):
            raise Problem(400, "group_by must be server or domain", slug="query")
        thresholds = Thresholds(min_count=_number(request, "min_count", 3), group_by=group_by,
                                limit=_number(request, "limit", 25))
        return JSONResponse({"findings": [f.to_dict() for f in store.findings(thresholds)]})

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi())

    async def docs(self, request: Request) -> Response:
        return HTMLResponse(docs_page())


def _number(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise Problem(400, f"{name} must be a whole number of at least 1, not {raw!r}", slug="query")
    return int(raw)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.detail, request.url.path, exc.headers, exc.slug)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = {404: f"no such endpoint: {request.url.path}",
              405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, str(exc.detail))
    return problem_response(exc.status_code, detail, request.url.path, exc.headers)


def create_app(config: ServeConfig, secrets: Secrets | None = None, catalog: Catalog | None = None) -> Starlette:
    """The application for ``config`` (secrets read from its files unless given)."""
    secrets = secrets if secrets is not None else load_secrets(config)
    service = Service(config, secrets, catalog or load_catalog(config.catalog))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Opened here, on the event loop's thread, which runs every handler.
        service.store = Store(config.db) if config.db else None
        try:
            yield
        finally:
            if service.store is not None:
                service.store.close()

    routes = [
        Route("/healthz", service.healthz, methods=["GET"]),
        Route("/v1/parse", service.parse, methods=["POST"]),
        Route("/v1/explain", service.explain, methods=["GET"]),
        Route("/v1/webhooks/{provider}", service.webhook, methods=["POST"]),
        Route("/v1/suppressions", service.suppressions, methods=["GET"]),
        Route("/v1/findings", service.findings, methods=["GET"]),
        Route("/openapi.json", service.openapi, methods=["GET"], include_in_schema=False),
        Route("/docs", service.docs, methods=["GET"], include_in_schema=False),
    ]
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(CatchAll), Middleware(BearerAuth, token=secrets.token)],
                     exception_handlers={Problem: _problem, HTTPException: _http_error})


def app_from_env() -> Starlette:
    """The factory uvicorn's worker processes call (``ndr serve --workers N``)."""
    return create_app(ServeConfig.from_env())
