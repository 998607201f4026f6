"""A client for an external store speaking SPARQL 1.1 Query, Update and the Graph Store Protocol, over httpx.

Results come back as the store sent them (bytes and a media type); no term conversion happens here.
Connection errors and 5xx answers are transient: they are retried with exponential backoff, a bounded number
of times; but a query the store hung up on without answering is not sent again (it may be what crashed the
store). A 4xx answer is the caller's mistake and is raised at once with the store's own message. Answers can
be read as they arrive (`stream_query`), so a reader can stop early. A query has a time limit: when it
passes, the connection is closed (which is how a remote query is cancelled over HTTP) and `QueryTimeoutError`
is raised; stores with a per-request timeout parameter (Fuseki and Virtuoso `timeout`) are told the limit
too, when `KG_STORE_TIMEOUT_PARAM` names it. Oxigraph has no such parameter: its limit is the server's own
`--timeout-s`, which stops some queries only, and a closed connection stops it only while it streams results.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Literal
from urllib.parse import urlencode

import httpx

from kg.errors import ConfigError, KGError, QueryTimeoutError
from kg.settings import Settings

SELECT_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
WRITE_TIMEOUT = 300.0  # seconds for one graph store request; a 50,000-triple batch takes well under one
_Param = tuple[str, str | int | float | bool | None]  # one URL parameter, as httpx types it
_MESSAGE_CHARS = 500  # of a store's error body, quoted in our error


class RemoteStoreError(KGError):
    """The external store refused a request (4xx); `detail` quotes its message."""

    status, title, slug = 502, "External store refused the request", "remote-store"

    def __init__(self, detail: str, store_status: int | None = None, store_message: str = "") -> None:
        super().__init__(detail)
        self.store_status = store_status  # the store's own HTTP status, when it answered with one
        self.store_message = store_message  # and its own words


class RemoteUnavailableError(KGError):
    """The external store kept failing (5xx or no connection) after every retry."""

    status, title, slug = 503, "External store unavailable", "remote-unavailable"


@dataclass(frozen=True)
class QueryResult:
    body: bytes
    content_type: str


class QueryStream:
    """A store's answer as it arrives, readable by pyoxigraph's parsers; reading past the deadline raises."""

    def __init__(self, response: httpx.Response, *, deadline: float, timeout: float) -> None:
        self.content_type = response.headers.get("content-type", "").split(";")[0].strip()
        self._chunks = response.iter_bytes()
        self._buffer = bytearray()
        self._deadline = deadline
        self._timeout = timeout
        self._done = False
        self.tail = b""  # the last bytes read, which quote a store's message when it breaks off an answer

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative); empty at the end of the answer.

        Raises:
            QueryTimeoutError: the deadline passed before these bytes arrived.
            RemoteUnavailableError: the store broke off its answer (a crash, a lost connection).
        """
        while not self._done and (size < 0 or len(self._buffer) < size):
            if time.monotonic() > self._deadline:
                raise QueryTimeoutError(
                    f"the external store's answer took longer than {self._timeout:g} s; the query was cancelled"
                )
            try:
                chunk = next(self._chunks, None)
            except httpx.TimeoutException:
                raise QueryTimeoutError(
                    "the external store did not answer in time; the query was cancelled (connection closed)"
                ) from None
            except httpx.TransportError as e:  # not retried: the query may be what broke the store
                raise RemoteUnavailableError(f"the external store broke off its answer: {type(e).__name__}") from None
            if chunk is None:
                self._done = True
            else:
                self._buffer += chunk
        end = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        data = bytes(self._buffer[:end])
        del self._buffer[:end]
        self.tail = (self.tail + data)[-_MESSAGE_CHARS:]
        return data


@dataclass(frozen=True)
class Retry:
    """Exponential backoff: `attempts` tries in all, waiting `first_delay`, then twice that, up to `max_delay`."""

    attempts: int = 5
    first_delay: float = 0.2
    max_delay: float = 5.0

    def delays(self) -> Iterator[float]:
        """The waits between tries.

        >>> list(Retry(attempts=5, first_delay=0.5, max_delay=2.0).delays())
        [0.5, 1.0, 2.0, 2.0]
        """
        for n in range(self.attempts - 1):
            yield min(self.first_delay * 2**n, self.max_delay)


@dataclass(frozen=True)
class TimeoutParameter:
    name: str
    unit: Literal["s", "ms"]

    @classmethod
    def parse(cls, spec: str) -> TimeoutParameter:
        """`name` (seconds) or `name:ms` / `name:s`, as `KG_STORE_TIMEOUT_PARAM` writes it.

        >>> TimeoutParameter.parse("timeout:ms")
        TimeoutParameter(name='timeout', unit='ms')

        Raises:
            ConfigError: the unit is neither `s` nor `ms`, or the name is empty.
        """
        name, _, unit = spec.partition(":")
        if not name or unit not in ("", "s", "ms"):
            raise ConfigError(f"KG_STORE_TIMEOUT_PARAM must be NAME, NAME:s or NAME:ms, got {spec!r}")
        return cls(name, "ms" if unit == "ms" else "s")

    def value(self, seconds: float) -> str:
        return str(max(1, round(seconds * 1000))) if self.unit == "ms" else f"{seconds:g}"


def endpoints(url: str) -> tuple[str, str, str]:
    """Query, update and graph store URLs for a store URL, by Oxigraph's layout.

    >>> endpoints("http://127.0.0.1:7878")
    ('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update', 'http://127.0.0.1:7878/store')
    >>> endpoints("http://host/ds/query")[1]
    'http://host/ds/update'
    """
    root = url.rstrip("/")
    if root.endswith(("/query", "/sparql")):
        root = root.rsplit("/", 1)[0]
        return url, root + "/update", root + "/store"
    return root + "/query", root + "/update", root + "/store"


class RemoteStore:
    """An external SPARQL 1.1 store; use it as a context manager so its connections are closed."""

    def __init__(
        self,
        url: str,
        *,
        update_url: str | None = None,
        gsp_url: str | None = None,
        auth: tuple[str, str] | None = None,
        timeout_parameter: TimeoutParameter | None = None,
        retry: Retry = Retry(),  # frozen, so one shared default is safe
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.query_url, default_update, default_gsp = endpoints(url)
        self.update_url = update_url or default_update
        self.gsp_url = gsp_url or default_gsp
        self._timeout_parameter = timeout_parameter
        self._retry = retry
        self._sleep = sleep
        self._client = httpx.Client(
            auth=httpx.BasicAuth(*auth) if auth else None, transport=transport, follow_redirects=False
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteStore:
        """Raises:
        ConfigError: no store URL, a password without a user, or a malformed timeout parameter.
        """
        if not settings.store_url:
            raise ConfigError("KG_STORE_URL (or --store http://…) is not set")
        if settings.store_password is not None and settings.store_user is None:
            raise ConfigError("KG_STORE_PASSWORD is set but KG_STORE_USER is not")
        auth = (settings.store_user, settings.store_password or "") if settings.store_user else None
        spec = settings.store_timeout_param
        return cls(
            settings.store_url,
            update_url=settings.store_update_url,
            gsp_url=settings.store_gsp_url,
            auth=auth,
            timeout_parameter=TimeoutParameter.parse(spec) if spec else None,
        )

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # SPARQL 1.1 Query and Update

    def query(
        self, text: str, *, timeout: float, accept: str = SELECT_JSON, params: Sequence[tuple[str, str]] = ()
    ) -> QueryResult:
        """Run a query and return the store's answer untouched; retries count against the same limit.

        `params` go into the URL: the protocol's `default-graph-uri` and `named-graph-uri`, or a store's own.

        Raises:
            QueryTimeoutError: the answer was not complete within `timeout` seconds (the connection is closed).
            RemoteStoreError: the store refused the query (4xx), for instance for its syntax.
            RemoteUnavailableError: the store kept failing, or broke off its answer.
        """
        with self.stream_query(text, timeout=timeout, accept=accept, params=params) as answer:
            return QueryResult(answer.read(), answer.content_type)

    @contextmanager
    def stream_query(
        self, text: str, *, timeout: float, accept: str = SELECT_JSON, params: Sequence[tuple[str, str]] = ()
    ) -> Iterator[QueryStream]:
        """The store's answer as it arrives, for a reader that may stop early (a row cap); as `query` otherwise.

        Leaving the `with` closes the connection unless the answer was read to its end: the store's cue to stop.

        Raises:
            See `query`; QueryTimeoutError and RemoteUnavailableError also from `QueryStream.read`.
        """
        deadline = time.monotonic() + timeout
        url_params: list[_Param] = list(params)
        if self._timeout_parameter:
            url_params.append((self._timeout_parameter.name, self._timeout_parameter.value(timeout)))
        # a URL-encoded form, which every SPARQL 1.1 store takes: Virtuoso 7 never answers a POST whose body
        # is application/sparql-query (openlink/virtuoso-opensource#842)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        body = urlencode({"query": text}).encode()
        response: httpx.Response | None = None
        for attempt in self._attempts(f"query at {self.query_url}", deadline=deadline):
            with attempt:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                response = self._send_query(url_params, headers, body, left)
        if response is None:
            raise QueryTimeoutError(f"the external store did not answer within {timeout:g} s; the query was cancelled")
        try:
            yield QueryStream(response, deadline=deadline, timeout=timeout)
        finally:
            response.close()

    def _send_query(self, params: list[_Param], headers: Mapping[str, str], body: bytes, left: float) -> httpx.Response:
        """The store's response, its status checked and its body not read yet."""
        # httpx applies `left` to each read, not to the whole answer: QueryStream stops a store that keeps sending
        request = self._client.build_request(
            "POST", self.query_url, params=params, headers=headers, content=body, timeout=left
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise QueryTimeoutError(
                "the external store did not answer in time; the query was cancelled (connection closed)"
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as e:
            # the store took the query and hung up without a word, as a store does when a query crashes it: sent
            # again, the same query would crash it again as soon as it is back (a refused connection is retried)
            raise RemoteUnavailableError(
                f"the external store closed the connection without answering ({type(e).__name__}); the query was "
                "not sent again, in case it is what broke the store"
            ) from None
        try:
            _check(response, f"query at {self.query_url}")
        except BaseException:
            response.close()
            raise
        return response

    def select(self, text: str, *, timeout: float) -> list[dict[str, str]]:
        """The bindings of a SELECT as plain strings (IRIs and literal values alike), for our own small queries.

        Raises:
            See `query`.
        """
        result = self.query(text, timeout=timeout, accept=SELECT_JSON)
        bindings = json.loads(result.body)["results"]["bindings"]
        return [{name: str(term["value"]) for name, term in row.items()} for row in bindings]

    def update(self, text: str, *, timeout: float = WRITE_TIMEOUT) -> None:
        """Run a SPARQL update. Retried on transient errors: write updates that can be repeated safely.

        Raises:
            RemoteStoreError, RemoteUnavailableError: see `query`.
        """
        headers = {"Content-Type": "application/sparql-update"}
        self._send("POST", self.update_url, headers=headers, content=text.encode(), timeout=timeout)

    # Graph Store Protocol

    def replace_graph(self, graph_iri: str, body: bytes | Sequence[bytes], *, media_type: str = N_TRIPLES) -> None:
        """Make the graph hold exactly `body`: PUT of the first part, POST (append) of the others.

        A transient failure anywhere restarts the whole graph from its PUT, so the result never holds a part
        twice (which matters for blank nodes: each request gets fresh ones) nor a stale remainder.

        Raises:
            RemoteStoreError, RemoteUnavailableError: see `query`.
        """
        parts = [body] if isinstance(body, bytes) else list(body) or [b""]
        params = {"graph": graph_iri}
        headers = {"Content-Type": media_type}
        for attempt in self._attempts(f"writing <{graph_iri}> to {self.gsp_url}"):
            with attempt:
                for n, part in enumerate(parts):
                    response = self._client.request(
                        "PUT" if n == 0 else "POST",
                        self.gsp_url,
                        params=params,
                        headers=headers,
                        content=part,
                        timeout=WRITE_TIMEOUT,
                    )
                    _check(response, f"writing <{graph_iri}> to {self.gsp_url}")
                return

    def drop_graph(self, graph_iri: str) -> None:
        """Delete a named graph; one that is already absent is fine.

        Raises:
            RemoteStoreError, RemoteUnavailableError: see `query`.
        """
        self._send("DELETE", self.gsp_url, params={"graph": graph_iri}, missing_ok=True)

    def get_graph(self, graph_iri: str, *, media_type: str = N_TRIPLES) -> bytes:
        """The graph as the store serializes it.

        Raises:
            RemoteStoreError (also for an absent graph), RemoteUnavailableError: see `query`.
        """
        return self._send("GET", self.gsp_url, params={"graph": graph_iri}, headers={"Accept": media_type})

    def named_graphs(self, *, timeout: float = WRITE_TIMEOUT) -> list[str]:
        """The named graphs holding at least one triple, sorted."""
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g", timeout=timeout)
        return [row["g"] for row in rows]

    def graph_counts(self, *, timeout: float = WRITE_TIMEOUT) -> dict[str, int]:
        """Triples per named graph."""
        query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        return {row["g"]: int(row["n"]) for row in self.select(query, timeout=timeout)}

    def count(self, *, timeout: float = WRITE_TIMEOUT) -> int:
        """Quads in all named graphs (the project keeps nothing in the default graph)."""
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", timeout=timeout)
        return int(rows[0]["n"])

    # retries

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        timeout: float = WRITE_TIMEOUT,
        missing_ok: bool = False,
    ) -> bytes:
        what = f"{method} {url}"
        for attempt in self._attempts(what):
            with attempt:
                response = self._client.request(
                    method, url, params=params, headers=headers, content=content, timeout=timeout
                )
                if missing_ok and response.status_code == 404:
                    return b""
                _check(response, what)
                return response.content
        raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover

    def _attempts(self, what: str, *, deadline: float | None = None) -> Iterator[_Attempt]:
        """Attempts to run inside `with`; a transient error in one leads to the next after a pause."""
        delays = list(self._retry.delays())
        for n in range(self._retry.attempts):
            attempt = _Attempt(last=n == len(delays), what=what, tries=n + 1)
            yield attempt
            if attempt.failure is None:
                return
            pause = max(delays[n], attempt.retry_after or 0.0)
            if deadline is not None:
                pause = min(pause, max(deadline - time.monotonic(), 0.0))
            self._sleep(min(pause, self._retry.max_delay))


class _TransientError(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Attempt:
    """One try: swallows a transient error (remembering it) unless it is the last try."""

    def __init__(self, *, last: bool, what: str, tries: int) -> None:
        self.last, self.what, self.tries = last, what, tries
        self.failure: str | None = None
        self.retry_after: float | None = None

    def __enter__(self) -> _Attempt:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        if isinstance(exc, _TransientError):
            self.failure, self.retry_after = str(exc), exc.retry_after
        elif isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.TimeoutException):
            self.failure = f"{type(exc).__name__}: {exc}"
        elif isinstance(exc, httpx.TimeoutException):
            self.failure = f"no answer in time ({type(exc).__name__})"
        else:
            return False
        if self.last:
            raise RemoteUnavailableError(
                f"{self.what} failed {self.tries} times; the last answer was {self.failure}"
            ) from None
        return True


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code < 400:
        return
    message = _message(response)
    if response.status_code >= 500:
        raise _TransientError(f"{response.status_code} {message}", _retry_after(response))
    raise RemoteStoreError(
        f"{what}: the store answered {response.status_code}: {message}", response.status_code, message
    )


def _message(response: httpx.Response) -> str:
    if not response.is_closed:
        response.read()
    text = response.text.strip()
    return text[:_MESSAGE_CHARS] + ("…" if len(text) > _MESSAGE_CHARS else "") if text else response.reason_phrase


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


@contextmanager
def open_remote(settings: Settings) -> Iterator[RemoteStore]:
    """The configured external store, closed on the way out.

    Raises:
        ConfigError: see `RemoteStore.from_settings`.
    """
    with RemoteStore.from_settings(settings) as store:
        yield store
