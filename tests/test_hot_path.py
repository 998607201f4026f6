"""The query hot path: the engine awaited on the event loop, direct routes for /sparql, C-speed form decoding."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import httpx
import pyoxigraph as ox
import pytest
import uvicorn
import uvloop
from hypothesis import given
from hypothesis import strategies as st
from starlette.exceptions import StarletteDeprecationWarning

from kg.api.app import create_app
from kg.api.direct import DirectRoutes
from kg.api.form import parse_pairs
from kg.api.serving import http_protocol
from kg.engine import Answer, Engine, QueryJob
from kg.engine.pool import ON_LOOP_BYTES
from kg.errors import EngineBusyError, EngineCrashError, QueryTimeoutError
from kg.settings import Settings
from tests.test_engine import job
from tests.test_safety import RUNAWAY

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

T = TypeVar("T")
EX = "http://example.org/"
JSON = "application/sparql-results+json"
TSV = "text/tab-separated-values"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
LOOPS = {"asyncio": asyncio.run, "uvloop": uvloop.run}  # uvloop is what `kg serve` runs on


def on_loop(loop: str, make: Callable[[], Awaitable[T]]) -> T:
    async def run() -> T:
        return await make()

    result: T = LOOPS[loop](run())
    return result


def aquery(engine: Engine, loop: str, query: QueryJob) -> Answer:
    return on_loop(loop, lambda: engine.aquery(query))


def counted(answer_bytes: bytes) -> int:
    return int(answer_bytes.split(b"\n")[1].split(b"^^")[0].strip(b'"'))


def add_literals(record: ox.Store, predicate: str, *, count: int, size: int) -> None:
    text = "x" * size
    p = ox.NamedNode(EX + predicate)
    record.extend(ox.Quad(ox.NamedNode(f"{EX}{predicate}{i}"), p, ox.Literal(f"{text}{i}")) for i in range(count))


@pytest.fixture
def record() -> ox.Store:
    store = ox.Store()
    add_literals(store, "s", count=200, size=0)
    return store


@pytest.fixture
def engine(record: ox.Store) -> Iterator[Engine]:
    engine = Engine(record, workers=1, timeout=1.5)
    engine.start()
    yield engine
    engine.close()


# --- the engine awaited on the loop


@pytest.mark.parametrize("loop", LOOPS)
def test_aquery_answers_like_query(engine: Engine, loop: str) -> None:
    for text in (COUNT, 'ASK { ?s ?p "7" }', f"DESCRIBE <{EX}s1>"):
        direct = engine.query(job(text))
        assert aquery(engine, loop, job(text)) == direct


@pytest.mark.parametrize("loop", LOOPS)
def test_the_worker_socket_stays_blocking_after_the_loop_watched_it(record: ox.Store, loop: str) -> None:
    """uvloop makes a watched socket non-blocking; the blocking reads of `query` must still wait for their data."""
    add_literals(record, "q", count=300, size=10_000)
    engine = Engine(record, workers=1, timeout=10)  # one worker: the loop and the thread use the same socket
    engine.start()
    try:
        aquery(engine, loop, job("ASK {}"))
        answer = engine.query(job(f"SELECT ?o WHERE {{ ?s <{EX}q> ?o }}", max_rows=1000))
        assert answer.size > 3_000_000 and len(answer.chunks) > 1
    finally:
        engine.close()


@pytest.mark.parametrize("loop", LOOPS)
def test_aquery_reads_a_large_answer(record: ox.Store, loop: str) -> None:
    add_literals(record, "r", count=500, size=1_000)
    engine = Engine(record, workers=1, timeout=10)
    engine.start()
    try:
        answer = aquery(engine, loop, job(f"SELECT ?o WHERE {{ ?s <{EX}r> ?o }}", results_type=TSV, max_rows=1000))
        assert answer.size > ON_LOOP_BYTES  # read in a thread, not on the loop
        assert b"".join(answer.chunks).count(b"\n") == 501
    finally:
        engine.close()


@pytest.mark.parametrize("loop", LOOPS)
def test_aquery_time_limit_kills_and_replaces_the_worker(engine: Engine, loop: str) -> None:
    (before,) = engine.pids()
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError):
        aquery(engine, loop, job(RUNAWAY))
    assert time.monotonic() - started < 5
    assert not os.path.exists(f"/proc/{before}")  # killed and reaped
    engine.wait_ready()
    assert engine.pids() != [before]
    assert counted(b"".join(aquery(engine, loop, job(COUNT, results_type=TSV)).chunks)) == 200


@pytest.mark.parametrize("loop", LOOPS)
def test_aquery_reports_a_worker_that_dies(engine: Engine, loop: str) -> None:
    (pid,) = engine.pids()
    threading.Timer(0.3, os.kill, (pid, signal.SIGKILL)).start()  # dies mid-query, as on a crash
    with pytest.raises(EngineCrashError):
        aquery(engine, loop, job(RUNAWAY))
    engine.wait_ready()
    assert counted(b"".join(aquery(engine, loop, job(COUNT, results_type=TSV)).chunks)) == 200


@pytest.mark.parametrize("loop", LOOPS)
def test_a_cancelled_aquery_does_not_leave_its_reply_to_the_next(engine: Engine, loop: str) -> None:
    (before,) = engine.pids()

    async def cancel_midway() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(engine.aquery(job(RUNAWAY)), 0.3)

    on_loop(loop, cancel_midway)
    engine.wait_ready()
    assert engine.pids() != [before]  # the worker still evaluating was replaced, not put back
    assert counted(b"".join(aquery(engine, loop, job(COUNT, results_type=TSV)).chunks)) == 200


def test_aquery_waits_in_turn_and_reports_busy(engine: Engine) -> None:
    taken = engine._checkout()  # the only worker, as a long query holds it
    try:
        with pytest.raises(EngineBusyError):  # it waited in a thread for the time limit, as `query` does
            aquery(engine, "uvloop", job("ASK {}"))
    finally:
        engine._idle.put(taken)
    assert aquery(engine, "uvloop", job("ASK {}")).form == "boolean"


def test_aquery_sees_a_write_made_before_it(engine: Engine) -> None:
    engine.update(f"INSERT DATA {{ GRAPH <{EX}g2> {{ <{EX}new> <{EX}p> 1 }} }}")
    assert counted(b"".join(aquery(engine, "uvloop", job(COUNT, results_type=TSV)).chunks)) == 201


@pytest.mark.parametrize("media_type", ["application/n-triples", "text/turtle", "application/ld+json"])
def test_graphs_are_capped_at_max_rows_in_every_format(engine: Engine, media_type: str) -> None:
    fmt = ox.RdfFormat.from_media_type(media_type)
    assert fmt is not None
    capped = engine.query(job("CONSTRUCT WHERE { ?s ?p ?o }", graph_type=media_type, max_rows=150))
    assert capped.truncated and len(list(ox.parse(b"".join(capped.chunks), fmt))) == 150
    exact = engine.query(job("CONSTRUCT WHERE { ?s ?p ?o }", graph_type=media_type, max_rows=200))
    assert not exact.truncated and len(list(ox.parse(b"".join(exact.chunks), fmt))) == 200


# --- direct routes: the same answers as FastAPI's routing gave


@pytest.fixture(scope="module")
def clients(settings: Settings, store: ox.Store) -> Iterator[tuple[TestClient, TestClient]]:
    """The app as served, and the same app with /sparql left to FastAPI's router."""
    tuned = replace(settings, max_result_rows=3, max_query_length=2_000, max_body_bytes=4_000)
    direct, routed = create_app(tuned, store=store), create_app(tuned, store=store)
    routed.user_middleware = [m for m in routed.user_middleware if m.cls is not DirectRoutes]
    assert len(routed.user_middleware) == len(direct.user_middleware) - 1
    with TestClient(direct) as a, TestClient(routed) as b:
        yield a, b


SELECT = "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label"
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("GET", {"params": {"query": SELECT}}),
    ("GET", {"params": {"query": SELECT}, "headers": {"Accept": "text/csv", "Origin": "https://example.org"}}),
    ("GET", {"params": {"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, "headers": {"Accept": "text/turtle"}}),
    ("GET", {"params": {"query": "ASK {}", "format": "xml"}}),
    ("GET", {"params": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}}),
    ("GET", {"params": {"query": "SELEC * {}"}}),
    ("GET", {"params": {"query": "ASK {}", "update": "CLEAR ALL"}}),
    ("GET", {"params": {"query": "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}}),
    ("GET", {"params": {"query": "#" * 2_001}}),
    ("GET", {"headers": {"Accept": "text/turtle"}}),
    ("GET", {"headers": {"Accept": "text/html"}, "follow_redirects": False}),
    ("POST", {"data": {"query": SELECT}}),
    ("POST", {"content": SELECT, "headers": {"Content-Type": "application/sparql-query"}}),
    ("POST", {"content": SELECT, "headers": {"Content-Type": "text/plain"}}),
    ("POST", {"content": "x" * 4_001, "headers": {"Content-Type": "application/sparql-query"}}),
    ("POST", {"data": {"format": "json"}}),
    ("HEAD", {"params": {"query": "ASK {}"}}),
    ("PUT", {"content": "ASK {}"}),
]


@pytest.mark.parametrize(("method", "options"), REQUESTS, ids=lambda v: v if isinstance(v, str) else str(v)[:70])
def test_direct_routes_answer_as_the_router_did(
    clients: tuple[TestClient, TestClient], method: str, options: dict[str, Any]
) -> None:
    direct, routed = (c.request(method, "/sparql", **options) for c in clients)
    assert (direct.status_code, direct.content) == (routed.status_code, routed.content)
    assert _headers(direct) == _headers(routed)


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.items() if k not in ("date", "server"))


def test_sparql_is_still_documented(clients: tuple[TestClient, TestClient]) -> None:
    paths = clients[0].get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/sparql"])
    assert "requestBody" in paths["/sparql"]["post"]


# --- form decoding


@given(st.text(alphabet="ab=&+%\\ 09aFfGz\u00e9\u4e2d\n", max_size=40))
def test_parse_pairs_is_parse_qsl(text: str) -> None:
    assert parse_pairs(text) == parse_qsl(text, keep_blank_values=True)


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=4))
def test_parse_pairs_reads_what_urlencode_writes(fields: dict[str, str]) -> None:
    encoded = urlencode(fields)
    assert parse_pairs(encoded) == parse_qsl(encoded, keep_blank_values=True)


# --- the HTTP protocol of kg serve: httptools, bounded like h11


@pytest.fixture(scope="module")
def bounded() -> Iterator[int]:
    """A plain ASGI app (echoing the body's length) served with kg serve's HTTP protocol; yields the port."""
    assert http_protocol() != "h11", "httptools is a dependency: kg serve parses with it"

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        size, more = 0, True
        while more:
            message = await receive()
            size, more = size + len(message.get("body", b"")), message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": str(size).encode()})

    config = uvicorn.Config(app, http=http_protocol(), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    sock = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join()


def test_a_head_incomplete_past_16_kib_is_refused(bounded: int) -> None:
    head = f"GET / HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 100_000}\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", bounded), timeout=10) as conn:
        try:
            for start in range(0, len(head), 1_000):  # trickled, as a slow client would
                conn.sendall(head[start : start + 1_000])
        except OSError:
            pass  # the server closed the connection first
        assert conn.recv(100).startswith(b"HTTP/1.1 400 ")
    assert httpx.get(f"http://127.0.0.1:{bounded}/").text == "0"  # and it serves the next client


def test_bodies_and_pipelined_requests_do_not_count_against_the_head(bounded: int) -> None:
    assert httpx.post(f"http://127.0.0.1:{bounded}/", content=b"x" * 200_000).text == "200000"
    two = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 2
    with socket.create_connection(("127.0.0.1", bounded), timeout=10) as conn:
        conn.sendall(two)
        received = b""
        while received.count(b"HTTP/1.1 200 ") < 2:
            chunk = conn.recv(65536)
            assert chunk, received
            received += chunk
