"""What SECURITY.md promises, one test per promise: SSRF, tokens, path traversal, sizes, queries of death,
rate limiting, online backups. Most run over TestClient; what only a real server enforces (header sizes,
raw paths, streamed bodies) runs over uvicorn on a loopback port. All of it runs on both backends (the
embedded store and an external one), but for RocksDB backups and the load test, which need the embedded store.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import uvicorn
from starlette.exceptions import StarletteDeprecationWarning

from benchmarks.loadtest import run_load
from kg.api.app import create_app
from kg.api.serving import http_protocol
from kg.cli import main
from kg.errors import ConfigError
from kg.loading import load_files, project_files
from kg.settings import Settings
from kg.store import open_store
from kg.stores import Store, release
from tests.backends import OxigraphServers, on_backend, writable_copy
from tests.conftest import ROOT
from tests.test_safety import isolated

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

UPDATE_TOKENS = "admin:upd-s3cret, former:upd-expired:2020-01-31"
SUBMIT_TOKENS = "alice:sub-s3cret, bob:sub-expired:2020-01-31"
GOOD_UPDATE = {"Authorization": "Bearer upd-s3cret"}
LIMIT = 64 * 1024  # max_body_bytes here
EXAMPLES = ROOT / "examples"
PROBLEM = "application/problem+json"


def problem(response: httpx.Response, status: int | tuple[int, ...], slug: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem with `status` (and `slug`); return its body."""
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code and body["detail"]
    if slug is not None:
        assert body["type"] == f"/problems/{slug}", body
    return body


@pytest.fixture(scope="module")
def secure(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return replace(
        settings,
        store_path=tmp_path_factory.mktemp("security") / "store",
        update_token=UPDATE_TOKENS,
        submit_token=SUBMIT_TOKENS,
        query_timeout=2.0,
        query_workers=2,
        max_body_bytes=LIMIT,
        max_query_length=20_000,
    )


@pytest.fixture(scope="module")
def copy(backend: str, store: ox.Store, oxigraph_servers: OxigraphServers, secure: Settings) -> Iterator[Store]:
    """The project in a store of this module's own, on the backend under test: updates are allowed here, and
    must change nothing. An external copy has the module's time limit: it is the dataset's own that holds."""
    if backend == "embedded":
        mine = writable_copy(backend, oxigraph_servers, store)
    else:
        mine = on_backend(backend, oxigraph_servers, store, timeout=secure.query_timeout)  # a new server's copy
    yield mine
    release(mine)


@pytest.fixture(scope="module")
def client(secure: Settings, copy: Store) -> Iterator[TestClient]:
    with TestClient(create_app(secure, store=copy)) as client:
        yield client


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on loopback that records every connection (and the first bytes sent on it)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    hits: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    hits.append(conn.recv(4096))
                except OSError:
                    hits.append(b"")

    thread = threading.Thread(target=accept, name="ssrf-listener")
    thread.start()
    port = server.getsockname()[1]
    try:
        with socket.create_connection(("127.0.0.1", port)) as probe:  # the listener does notice a connection
            probe.sendall(b"probe")
        deadline = time.monotonic() + 5
        while not hits and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hits == [b"probe"]
        hits.clear()
        yield port, hits
    finally:
        stop.set()
        thread.join()
        server.close()


# --- SSRF: SERVICE and LOAD reach nothing outside the allowlist (empty by default). The plain, SILENT, glued,
# relative and variable forms, the deep-nesting crash and the cartesian product are in tests/test_safety.py.

SERVICE_FORMS = {
    "prefixed": "PREFIX l: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE l:sparql {{ ?s ?p ?o }} }}",
    "escaped": "SELECT * WHERE {{ SERVICE <http\\u003A//127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "lowercase-nested": "select * {{ optional {{ {{ select * {{ service <http://127.0.0.1:{port}/> {{ }} }} }} }} }}",
}


@pytest.mark.parametrize("form", SERVICE_FORMS, ids=list(SERVICE_FORMS))
def test_service_reaches_nothing(client: TestClient, listener: tuple[int, list[bytes]], form: str) -> None:
    port, hits = listener
    response = client.get("/sparql", params={"query": SERVICE_FORMS[form].format(port=port)})
    assert response.status_code in (400, 403), response.text  # refused by the guard, or not even SPARQL
    problem(response, response.status_code)
    time.sleep(0.2)
    assert hits == []


def test_service_outside_a_nonempty_allowlist(secure: Settings, copy: Store, listener: tuple[int, list[bytes]]) -> None:
    port, hits = listener
    allowing = replace(secure, service_allowlist=("https://query.wikidata.org/",), query_workers=1)
    with TestClient(create_app(allowing, store=copy)) as c:
        for target in (
            f"http://127.0.0.1:{port}/sparql",
            f"https://query.wikidata.org.127.0.0.1.nip.io:{port}/",
            f"http://127.0.0.1:{port}/https://query.wikidata.org/",
        ):
            response = c.get("/sparql", params={"query": f"SELECT * {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"})
            problem(response, 403, "forbidden")
    time.sleep(0.2)
    assert hits == []


@pytest.mark.parametrize("entry", ["https://query.wikidata.org", "http://127.0.0.1:8890", "query.wikidata.org/"])
def test_allowlist_entries_must_end_their_host(entry: str) -> None:
    # "https://query.wikidata.org" as a prefix would also allow https://query.wikidata.org.evil.example/ and
    # https://query.wikidata.org@127.0.0.1/, so an entry must name the host up to the '/' that ends it
    with pytest.raises(ConfigError, match="KG_SERVICE_ALLOWLIST"):
        Settings(service_allowlist=(entry,))


LOAD_FORMS = {
    "silent-into": "LOAD SILENT <http://127.0.0.1:{port}/x.ttl> INTO GRAPH <urn:x:g>",
    "prefixed": "PREFIX l: <http://127.0.0.1:{port}/> LOAD l:x.ttl",
    "second-operation": "INSERT DATA {{ GRAPH <urn:x:g> {{ <urn:x:s> <urn:x:p> 1 }} }} ; LOAD <http://127.0.0.1:{port}/x>",
}


@pytest.mark.parametrize("form", LOAD_FORMS, ids=list(LOAD_FORMS))
def test_load_reaches_nothing(client: TestClient, copy: Store, listener: tuple[int, list[bytes]], form: str) -> None:
    port, hits = listener
    before = len(copy)
    response = client.post("/update", data={"update": LOAD_FORMS[form].format(port=port)}, headers=GOOD_UPDATE)
    problem(response, 403, "forbidden")
    time.sleep(0.2)
    assert hits == []
    assert len(copy) == before  # refused as a whole: not even the INSERT before the LOAD


def test_submissions_fetch_no_context_and_no_entity(
    client: TestClient, copy: Store, listener: tuple[int, list[bytes]], tmp_path: Path
) -> None:
    # /validate is covered by tests/test_validate_api.py::test_remote_context_and_external_entities_are_not_fetched;
    # /submissions reads its body through the same parser, and must refuse the same way
    port, hits = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    auth = {"Authorization": "Bearer sub-s3cret"}
    before = len(copy)
    bodies = {
        "application/ld+json": f'{{"@context": "http://127.0.0.1:{port}/ctx.jsonld", "@id": "urn:x:a", "name": "x"}}',
        "application/rdf+xml": (
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file://{secret}">'
            f'<!ENTITY h SYSTEM "http://127.0.0.1:{port}/x">]>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
            '<rdf:Description rdf:about="http://example.org/a"><ex:p>&e;&h;</ex:p></rdf:Description></rdf:RDF>'
        ),
    }
    for media, body in bodies.items():
        response = client.post("/submissions", content=body, headers={**auth, "Content-Type": media})
        problem(response, 400)
        assert "TOP-SECRET" not in response.text
    time.sleep(0.2)
    assert hits == []
    assert len(copy) == before


# --- tokens on every writing route: missing, malformed, wrong, for another route, expired

WRITES: dict[str, dict[str, Any]] = {
    "POST /update": {"data": {"update": "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> 1 } }"}},
    "POST /submissions": {
        "content": (EXAMPLES / "valid-city.ttl").read_bytes(),
        "headers": {"Content-Type": "text/turtle"},
    },
    "DELETE /submissions/{submission_id}": {},
    "POST /admin/backup": {},
}
READING_POSTS = {"POST /sparql", "POST /validate", "POST /reconcile"}  # POST only for the size of the request
BAD_AUTH = {
    "missing": None,
    "basic": "Basic YWRtaW46dXBkLXMzY3JldA==",
    "empty-bearer": "Bearer ",
    "wrong": "Bearer not-the-token",
    "other-route": "Bearer {other}",
    "expired": "Bearer {expired}",
}


def test_every_writing_route_is_checked(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    routes = {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops if method != "get"}
    assert routes == set(WRITES) | READING_POSTS  # a new writing route needs a row in WRITES


@pytest.mark.parametrize("auth", BAD_AUTH, ids=list(BAD_AUTH))
@pytest.mark.parametrize("route", WRITES, ids=list(WRITES))
def test_writing_routes_refuse_bad_tokens(client: TestClient, copy: Store, route: str, auth: str) -> None:
    method, path = route.split(" ")
    submitting = "submissions" in path
    other, expired = ("upd-s3cret", "sub-expired") if submitting else ("sub-s3cret", "upd-expired")
    header = BAD_AUTH[auth]
    headers = dict(WRITES[route].get("headers", {}))
    if header is not None:
        headers["Authorization"] = header.format(other=other, expired=expired)
    before = len(copy)
    kwargs = {k: v for k, v in WRITES[route].items() if k != "headers"}
    url = path.format(submission_id="20260101T000000Z-0123abcd")
    response = client.request(method, url, headers=headers, **kwargs)
    body = problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "s3cret" not in response.text
    if auth == "expired":
        assert "expired" in body["detail"]
    assert len(copy) == before


def test_a_good_token_is_let_through(client: TestClient) -> None:
    response = client.post("/update", data={"update": "CLEAR SILENT GRAPH <urn:x:nothing>"}, headers=GOOD_UPDATE)
    assert response.status_code == 204, response.text


# --- path traversal on static and file routes, over a real server (TestClient would normalise the paths)


@pytest.fixture(scope="module")
def server(secure: Settings, copy: Store) -> Iterator[int]:
    """The app under uvicorn on a free loopback port, with `kg serve`'s HTTP protocol; yields the port."""
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(secure, store=copy), log_level="warning", lifespan="on", http=http_protocol())
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, name="uvicorn")
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not srv.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield sock.getsockname()[1]
    finally:
        srv.should_exit = True
        thread.join()
        sock.close()


def raw(port: int, request: bytes, *, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "-1"))
        while length < 0 or len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(lines[0].split(" ")[1]), headers, body


TRAVERSALS = [
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/id/../../../../etc/passwd",
    "/def/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/graph/../../../../etc/passwd",
    "/export?format=../../../../etc/passwd",
    "/submissions/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/submissions/../../../../etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal(server: int, path: str) -> None:
    status, headers, body = raw(server, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status in (400, 404, 406), body[:300]
    assert headers["content-type"].startswith(PROBLEM)
    assert b"root:" not in body


@pytest.mark.slow
def test_small_load_has_no_unexpected_status(server: int, backend: str) -> None:
    """benchmarks/loadtest.py in small: 10 clients for 3 s, queries, validations and one slow query."""
    if backend != "embedded":
        # the slow client sends a runaway aggregate again and again; an external Oxigraph goes on counting after
        # the API hangs up (neither the closed connection nor its --timeout-s stops it), so its cores fill up
        # and the other clients' queries run into the limit. The API's side of it, a 503 and a closed
        # connection, is tests/test_safety.py::test_runaway_query_on_the_external_store_is_cancelled
        pytest.skip("the embedded engine kills a runaway query; an external Oxigraph does not stop it")
    results = run_load(f"http://127.0.0.1:{server}", clients=10, seconds=3.0, validators=2)
    assert results.unexpected == {} and not results.failures, (results.unexpected, results.failures)
    assert results.statuses[("slow", 503)] >= 1  # the time limit stopped it
    assert sum(n for (kind, _), n in results.statuses.items() if kind == "query") >= 20


def test_concurrent_validations(client: TestClient, backend: str) -> None:
    """pySHACL parses SPARQL constraints with pyparsing, which is not thread-safe: validations must not overlap."""
    body = (EXAMPLES / "valid-city.ttl").read_bytes()
    statuses: list[int] = []
    rounds = 3 if backend == "embedded" else 1  # six at once still overlap; the lock is the same on either store

    def validate() -> None:
        for _ in range(rounds):
            response = client.post("/validate", content=body, headers={"Content-Type": "text/turtle"})
            statuses.append(response.status_code)

    threads = [threading.Thread(target=validate) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 6 * rounds


# --- sizes: headers, bodies (declared and streamed), queries


@pytest.mark.parametrize(("size", "piece"), [(100_000, 1_000), (1_000_000, None)], ids=["100KB-trickled", "1MB"])
def test_oversized_header_is_refused(server: int, size: int, piece: int | None) -> None:
    # kg serve's protocol (h11, or httptools bounded as h11 is: kg/api/serving.py) refuses a header block still
    # incomplete after 16 KiB; one that arrives whole in a single read is parsed, so the bound is that read
    # (asyncio reads up to 256 KiB), never more
    request = f"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * size}\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", server), timeout=10) as conn:
        step = piece or len(request)
        try:
            for start in range(0, len(request), step):
                conn.sendall(request[start : start + step])
        except OSError:
            pass  # the server may close the connection before the client is done
        answer = conn.recv(100)
    assert answer.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 431 ")), answer
    assert httpx.get(f"http://127.0.0.1:{server}/health").status_code == 200  # the server is still up


BODY_ROUTES = {
    "/sparql": "application/sparql-query",
    "/update": "application/sparql-update",
    "/validate": "text/turtle",
    "/submissions": "text/turtle",
}


@pytest.mark.parametrize("path", BODY_ROUTES)
def test_declared_oversized_body(client: TestClient, path: str) -> None:
    auth = {"Authorization": "Bearer sub-s3cret" if path == "/submissions" else "Bearer upd-s3cret"}
    body = b"# " + b"x" * LIMIT + b"\n"
    response = client.post(path, content=body, headers={**auth, "Content-Type": BODY_ROUTES[path]})
    problem(response, 413, "too-large")


@pytest.mark.parametrize("path", BODY_ROUTES)
def test_streamed_oversized_body_is_refused_at_the_limit(server: int, path: str) -> None:
    """A chunked body with no Content-Length gets its 413 once the limit passes, before the client is done."""
    auth = "Bearer sub-s3cret" if path == "/submissions" else "Bearer upd-s3cret"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: {BODY_ROUTES[path]}\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    chunk = b"# " + b"x" * 16_382 + b"\n"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(2 * LIMIT // len(chunk)))
    status, headers, _ = raw(server, head + chunks, timeout=5)  # and never the final 0-chunk
    assert status == 413
    assert headers["content-type"].startswith(PROBLEM)


def test_overlong_query(client: TestClient) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 20_000
    problem(client.post("/sparql", data={"query": query}), 413, "too-large")
    problem(client.get("/sparql", params={"query": query}), (413, 414), "too-large")


# --- queries of death: stopped by the time limit (2 s here) or survived as an engine crash

P = "<http://www.w3.org/2000/01/rdf-schema#label>"
DEATH = {
    "deep-parentheses": ("SELECT * WHERE { " + "(" * 5_000 + "?s" + ")" * 5_000 + " ?p ?o }", None),
    "backtracking-regex": (
        'SELECT (COUNT(*) AS ?n) { ?s ?p ?o . ?t ?q ?r FILTER(REGEX(CONCAT(STR(?o), STR(?r)), "(a+)+$")) }',
        ("timeout",),
    ),
    "huge-regex": ('SELECT * { ?s ?p ?o FILTER(REGEX(STR(?o), "(a{1000}){1000}(b{1000}){1000}")) } LIMIT 1', None),
    "long-property-path": (f"SELECT (COUNT(*) AS ?n) {{ ?a ({P}|!{P})*/({P}|!{P})*/({P}|!{P})* ?b }}", ("timeout",)),
}
NORMAL = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }"


@pytest.mark.slow
@pytest.mark.parametrize("name", DEATH, ids=list(DEATH))
def test_query_of_death_is_stopped(
    client: TestClient,
    backend: str,
    secure: Settings,
    oxigraph_servers: OxigraphServers,
    store: ox.Store,
    name: str,
) -> None:
    query, slugs = DEATH[name]
    # a runaway goes on in an external Oxigraph after the API gives up on it: there, on a server of its own
    runaway = slugs == ("timeout",)
    with isolated(client, backend, secure, oxigraph_servers, store) if runaway else nullcontext(client) as c:
        started = time.monotonic()
        response = c.post("/sparql", data={"query": query})
        took = time.monotonic() - started
        if response.status_code == 200:  # finished within the limit: then it was no query of death here
            assert slugs is None, f"{name} was answered in {took:.1f} s"
        else:
            body = problem(response, (400, 503))
            assert slugs is None or body["type"].removeprefix("/problems/") in slugs
        assert took < 2.0 + 3.0  # the limit, plus killing the worker (or closing the connection)
        started = time.monotonic()
        answer = c.get("/sparql", params={"query": NORMAL})
        assert answer.status_code == 200, answer.text
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) > 0
        assert time.monotonic() - started < 5.0  # the other worker (or the store) answers at once


# --- request-rate limiting


def test_rate_limit_per_client(secure: Settings, copy: Store) -> None:
    with TestClient(create_app(replace(secure, rate_limit=2.0, query_workers=1), store=copy)) as c:
        statuses = [c.get("/sparql", params={"query": NORMAL}).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]  # a burst of 2 x 2 requests/s, then refused
        refused = c.get("/def/")
        problem(refused, 429, "rate-limited")
        assert int(refused.headers["retry-after"]) >= 1
        assert all(c.get("/health").status_code == 200 for _ in range(10))  # liveness probes are exempt
        time.sleep(0.6)  # a token comes back every 0.5 s
        after = [c.get("/sparql", params={"query": NORMAL}).status_code for _ in range(4)]
        assert after[0] == 200 and 429 in after


async def _from(app: Any, host: str) -> int:
    transport = httpx.ASGITransport(app=app, client=(host, 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://kg") as c:
        return (await c.get("/docs")).status_code  # a page that costs nothing: no token comes back meanwhile


def test_rate_limit_buckets_are_per_address(secure: Settings, copy: Store) -> None:
    import asyncio

    with TestClient(create_app(replace(secure, rate_limit=1.0, query_workers=1), store=copy)) as c:
        first = [asyncio.run(_from(c.app, "192.0.2.1")) for _ in range(3)]
        second = [asyncio.run(_from(c.app, "192.0.2.2")) for _ in range(3)]
    assert first == second == [200, 200, 429]


# --- backups while the server runs


def _canonical(store: ox.Store) -> list[str]:
    dataset = ox.Dataset(store)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


@pytest.mark.slow
def test_online_backup_restores_to_the_same_dataset(secure: Settings, tmp_path: Path) -> None:
    live = tmp_path / "store"
    loading = open_store(live)
    load_files(loading, project_files(ROOT, secure.base_iri), base=secure.base_iri)
    del loading  # RocksDB's lock goes with the handle; the app opens the store itself
    settings = replace(secure, store_path=live, query_workers=1)
    stop = threading.Event()
    answered: list[int] = []
    with TestClient(create_app(settings)) as c:

        def query() -> None:
            while not stop.is_set():
                answered.append(c.get("/sparql", params={"query": NORMAL}).status_code)

        readers = [threading.Thread(target=query) for _ in range(2)]
        for r in readers:
            r.start()
        try:
            time.sleep(0.2)
            # a client cannot choose where the backup goes: parameters and bodies are ignored
            response = c.post("/admin/backup?dir=../../escape", json={"path": str(tmp_path / "x")}, headers=GOOD_UPDATE)
        finally:
            stop.set()
            for r in readers:
                r.join()
        assert response.status_code == 201, response.text
        made = Path(response.json()["path"])
        assert made.parent == tmp_path / "store-backups"
        assert not (tmp_path / "x").exists() and not (tmp_path.parent / "escape").exists()
        assert set(answered) == {200} and len(answered) > 1
        expected = _canonical(c.app.state.store)
    restored = tmp_path / "restored"
    assert main(["restore", "--store", str(restored), str(made)]) == 0
    assert response.json()["quads"] == len(expected)
    assert _canonical(open_store(restored, read_only=True)) == expected


def test_backup_of_a_memory_or_external_store_is_a_problem(client: TestClient, backend: str) -> None:
    response = client.post("/admin/backup", headers=GOOD_UPDATE)
    if backend == "embedded":
        problem(response, 400, "bad-request")  # this module's copy is in memory
    else:
        problem(response, 501, "not-on-external-store")  # backed up with the store's own tools


def test_no_update_token_no_backups(settings: Settings, copy: Store) -> None:
    with TestClient(create_app(replace(settings, query_workers=1), store=copy)) as c:
        problem(c.post("/admin/backup", headers=GOOD_UPDATE), 403, "forbidden")
