"""The FastAPI application: settings and store in, routers from the kg.api modules, one error handler."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pyoxigraph as ox
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kg import __version__
from kg.errors import KGError, RateLimitedError
from kg.settings import Settings

log = logging.getLogger("kg.access")

# each module exposes `router` (an APIRouter); a module not written yet is skipped
ROUTERS = ("kg.api.sparql", "kg.api.pages", "kg.api.validate", "kg.api.submissions", "kg.api.reconcile")


def create_app(settings: Settings, *, store: ox.Store | None = None) -> FastAPI:
    """The app over `store` (the embedded on-disk store at settings.store_path when None)."""

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
    )
    app.state.settings = settings
    app.state.store = store
    app.state.startup = []  # callables(app) run at start-up, in order (routers add theirs)
    app.state.shutdown = []
    if store is None:
        app.state.startup.insert(0, _open_embedded_store)
    app.add_exception_handler(KGError, _problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _bad_request)  # type: ignore[arg-type]
    app.middleware("http")(_access_log)
    for name in ROUTERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        if hasattr(module, "install"):
            module.install(app)  # routers that need start-up work or middleware
        app.include_router(module.router)
    return app


def _open_embedded_store(app: FastAPI) -> None:
    from kg.store import open_store

    app.state.store = open_store(app.state.settings.store_path)


async def _problem(request: Request, exc: KGError) -> JSONResponse:
    body = {
        "type": f"/problems/{exc.slug}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        "instance": request.url.path,
    }
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else None
    return JSONResponse(body, status_code=exc.status, media_type="application/problem+json", headers=headers)


async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return await _problem(request, _Invalid(f"the request is malformed: {where}"))


class _Invalid(KGError):
    status, title, slug = 400, "Bad request", "bad-request"


async def _access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    log.info(
        '%s "%s %s" %d %.1fms',
        request.client.host if request.client else "-",
        request.method,
        request.url.path,
        response.status_code,
        (time.perf_counter() - started) * 1000,
    )
    return response
