"""Direct routes: a few hot endpoints called straight from the ASGI stack, without FastAPI's routing.

Matching the route, solving its dependencies (which decodes the whole query string in Python, though our
endpoints only take the `Request`) and wrapping the call cost FastAPI 0.15-0.25 ms for a short query and
0.6 ms for a 2 kB one, as much as the engine takes to answer a light query. The endpoints stay FastAPI routes
as well, which documents them in OpenAPI and lets `url_for` name them; requests for them are answered here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from kg.errors import KGError

Endpoint = Callable[[Request], Awaitable[Response]]


class DirectRoutes:
    """Answers the (method, path) pairs of `routes` itself and passes everything else on.

    It sits inside the app's own middleware (access log, CORS, rate limit), which see these requests as any
    other. A KGError becomes the response of the handler the app registered for it, as on any route; anything
    else propagates to the app's handler for unexpected errors, as it would from a route.
    """

    def __init__(self, app: ASGIApp, *, routes: Mapping[tuple[str, str], Endpoint]) -> None:
        self.app = app
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.routes.get((scope.get("method", ""), _route_path(scope))) if scope["type"] == "http" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except KGError as e:
            response = await _handler(request, e)(request, e)
        await response(scope, receive, send)


def _route_path(scope: Scope) -> str:
    # as Starlette's router matches: the path below the app's root_path, when it is mounted under one
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _handler(request: Request, exc: KGError) -> Callable[[Request, KGError], Awaitable[Response]]:
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        if cls in handlers:
            handler: Callable[[Request, KGError], Awaitable[Response]] = handlers[cls]
            return handler
    raise exc  # no handler: the error propagates as it would from a route
