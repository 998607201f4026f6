"""One hierarchy of expected errors; the API turns them into RFC 9457 problem details."""

from __future__ import annotations


class KGError(Exception):
    """An error we expect, and explain to whoever caused it."""

    status, title, slug = 500, "Internal error", "internal"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConfigError(KGError):
    status, title, slug = 500, "Bad configuration", "config"


class LoadError(KGError):
    """A project file could not be loaded; `detail` names the file, line and column."""

    status, title, slug = 400, "Unloadable data", "load"


class DataSyntaxError(KGError):
    status, title, slug = 400, "Malformed RDF", "data-syntax"


class QuerySyntaxError(KGError):
    status, title, slug = 400, "Malformed SPARQL", "query-syntax"


class BadRequestError(KGError):
    status, title, slug = 400, "Bad request", "bad-request"


class UnauthorizedError(KGError):
    status, title, slug = 401, "Missing or wrong token", "unauthorized"


class ReadOnlyError(KGError):
    status, title, slug = 403, "Read-only endpoint", "read-only"


class ForbiddenError(KGError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFoundError(KGError):
    status, title, slug = 404, "Not found", "not-found"


class NotAcceptableError(KGError):
    status, title, slug = 406, "Not acceptable", "not-acceptable"


class PayloadTooLargeError(KGError):
    status, title, slug = 413, "Payload too large", "too-large"


class UnsupportedMediaTypeError(KGError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class RateLimitedError(KGError):
    status, title, slug = 429, "Too many requests", "rate-limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class QueryTimeoutError(KGError):
    status, title, slug = 503, "Query time limit reached", "timeout"


class EngineCrashError(KGError):
    status, title, slug = 503, "Query engine failed", "engine-crash"


class QueryFailedError(KGError):
    """The query parsed but its evaluation failed (for example a SERVICE call that could not be made)."""

    status, title, slug = 500, "Query evaluation failed", "query-failed"


class EngineBusyError(KGError):
    status, title, slug = 503, "All query workers are busy", "busy"
