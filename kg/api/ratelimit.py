"""Request-rate limiting per client: a token bucket per socket peer address, answering 429 with Retry-After.

A pure ASGI middleware, so it refuses a request before anything reads its body. Clients are told apart by
the address of the socket peer (`scope["client"]`); behind a reverse proxy that is the proxy, unless uvicorn
runs with `--proxy-headers --forwarded-allow-ips=<proxy>` so that it reports the forwarded address instead.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

EXEMPT = ("/health",)  # liveness probes must not be starved by the clients they are watching
MAX_CLIENTS = 10_000  # buckets kept; the least recently seen go first (a full bucket loses nothing)


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class RateLimit:
    """At most `rate` requests per second per client on average, with bursts of up to `burst` requests."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self.app = app
        self.rate = rate
        self.burst = max(burst if burst is not None else 2 * rate, 1.0)
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.take(client[0] if client else "-")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        body = json.dumps(
            {
                "type": "/problems/rate-limited",
                "title": "Too many requests",
                "status": 429,
                "detail": f"this client sent more than {self.rate:g} requests per second (KG_RATE_LIMIT); "
                f"retry after {retry_after} s",
                "instance": scope["path"],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry_after).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def take(self, client: str) -> float:
        """Spend one token of `client`'s bucket: 0 when allowed, else the seconds until a token is back.

        >>> limit = RateLimit(None, rate=1, burst=2, clock=lambda: 0.0)  # type: ignore[arg-type]
        >>> [limit.take("a"), limit.take("a"), limit.take("a"), limit.take("b")]
        [0.0, 0.0, 1.0, 0.0]
        """
        now = self.clock()
        bucket = self._buckets.pop(client, None)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        self._buckets[client] = bucket  # most recently seen last
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate
