"""The FastAPI application: settings and store in, routers from the kg.api modules, one error handler."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg import __version__
from kg.errors import KGError, RateLimitedError, UnauthorizedError
from kg.settings import Settings
from kg.stores import Store, open_configured, release

log = logging.getLogger("kg.access")

# each module exposes `router` (an APIRouter); a module not written yet is skipped
ROUTERS = (
    "kg.api.sparql",
    "kg.api.pages",
    "kg.api.validate",
    "kg.api.submissions",
    "kg.api.reconcile",
    "kg.api.admin",
    "kg.api.docs",
)


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """The app over `store`; when None, the store the settings name is opened at start-up and closed at the end."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in app.state.startup:
            hook(app)
        yield
        for hook in reversed(app.state.shutdown):
            hook(app)

    app = FastAPI(
        title="Learning Cities Knowledge Graph",
        version=__version__,
        description="SPARQL 1.1 endpoint, linked-data pages and validation over the UNESCO Global Network "
        "of Learning Cities knowledge graph.",
        lifespan=lifespan,
        docs_url=None,  # kg.api.docs serves /docs with local assets: the pages work without internet
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.startup = []  # callables(app) run at start-up, in order (routers add theirs)
    app.state.shutdown = []
    if store is None:
        app.state.startup.insert(0, _open_store)
        app.state.shutdown.insert(0, _close_store)
    app.add_exception_handler(KGError, _problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _bad_request)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
    for name in ROUTERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        if hasattr(module, "install"):
            module.install(app)  # routers that need start-up work or middleware (added first: the innermost)
        app.include_router(module.router)
    if settings.rate_limit > 0:  # inside CORS, so a 429 carries CORS headers; inside the access log, which notes it
        from kg.api.ratelimit import RateLimit

        app.add_middleware(RateLimit, rate=settings.rate_limit)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Accept", "Authorization", "Content-Type"],
            expose_headers=["X-KG-Truncated", "X-KG-Row-Limit"],
        )
    app.add_middleware(AccessLog)  # added last: outermost, so it times everything, CORS preflights included
    return app


def _open_store(app: FastAPI) -> None:
    app.state.store = open_configured(app.state.settings)


def _close_store(app: FastAPI) -> None:
    release(app.state.store)


async def _problem(request: Request, exc: KGError) -> JSONResponse:
    body = {
        "type": f"/problems/{exc.slug}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        "instance": request.url.path,
    }
    headers = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, UnauthorizedError):
        headers["WWW-Authenticate"] = 'Bearer realm="kg"'
    return JSONResponse(body, status_code=exc.status, media_type="application/problem+json", headers=headers)


async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return await _problem(request, _Invalid(f"the request is malformed: {where}"))


class _Invalid(KGError):
    status, title, slug = 400, "Bad request", "bad-request"


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Starlette's own errors (unknown path, wrong method) as problem details too."""
    error = _Invalid(str(exc.detail))
    error.status, error.title = exc.status_code, str(exc.detail)
    error.slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "bad-request")
    if exc.status_code == 404:
        error.detail = f"nothing at {request.url.path}; the API is described at /docs"
    elif exc.status_code == 405:
        error.detail = f"{request.method} is not allowed on {request.url.path}"
    response = await _problem(request, error)
    response.headers.update(exc.headers or {})
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logging.getLogger("kg.api").error("unexpected error on %s", request.url.path, exc_info=exc)
    return await _problem(request, KGError("an unexpected error occurred; it has been logged"))


class AccessLog:
    """One log line per request, with its status and duration; a pure ASGI middleware, so it adds no task."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            client = scope.get("client")
            log.info(
                '%s "%s %s" %d %.1fms',
                client[0] if client else "-",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )
