"""`kg load --store URL` and kg/remote.py against a real Oxigraph server, plus small loopback HTTP servers
(a proxy that fails twice, a store that refuses, a store that never answers) for the error paths."""

from __future__ import annotations

import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.cli import main
from kg.errors import QueryTimeoutError
from kg.loading import graph_counts, project_files
from kg.remote import RemoteStore, RemoteStoreError, RemoteUnavailableError, Retry, TimeoutParameter
from kg.remote_loading import push
from tests.net import free_port, stop, wait_until_up

from .conftest import ROOT

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
FAST = Retry(attempts=3, first_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `oxigraph serve` on a free loopback port, stopped (and reaped) at the end of the session."""
    if not OXIGRAPH.exists():
        pytest.skip(f"{OXIGRAPH} is missing: pip install oxigraph (the test extra)")
    port = free_port()
    command = [str(OXIGRAPH), "serve", "--location", str(tmp_path_factory.mktemp("oxigraph"))]
    command += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/query", process, seconds=30, params={"query": "ASK {}"})
        yield url
    finally:
        stop(process)


@pytest.fixture
def remote(server: str) -> Iterator[RemoteStore]:
    with RemoteStore(server, retry=FAST) as remote:
        yield remote


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A loopback HTTP server in a thread, for the duration of a `with`."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _snapshot(remote: RemoteStore) -> dict[str, Graph]:
    return {g: Graph().parse(data=remote.get_graph(g), format="nt") for g in remote.named_graphs()}


def _embedded(store: ox.Store) -> dict[str, Graph]:
    graphs = {}
    for g in store.named_graphs():
        triples = [q.triple for q in store.quads_for_pattern(None, None, None, g)]
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        assert body is not None
        graphs[str(g.value)] = Graph().parse(data=body, format="nt")
    return graphs


def _assert_same(remote: dict[str, Graph], embedded: dict[str, Graph]) -> None:
    assert sorted(remote) == sorted(embedded)
    different = [g for g in embedded if not isomorphic(remote[g], embedded[g])]
    assert not different, f"graphs differ from the embedded load: {different}"


def test_load_pushes_the_same_graphs_as_the_embedded_load(
    server: str, remote: RemoteStore, store: ox.Store, capsys: pytest.CaptureFixture[str]
) -> None:
    # `store` is the embedded load (files, graph/load and the Wikidata view): the remote gets all of them
    assert main(["load", "--store", server]) == 0
    out, err = capsys.readouterr()
    expected = {c.graph: c.triples for c in graph_counts(store)}
    assert remote.graph_counts() == expected
    assert f"{sum(expected.values()):,}" in out.splitlines()[-1]
    assert f"pushing graph {len(expected)}/{len(expected)}" in err
    assert f"into {server}" in err


def test_loading_twice_gives_the_same_quads(
    server: str, remote: RemoteStore, store: ox.Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", "--store", server, "-q"]) == 0
    first = _snapshot(remote)
    assert main(["load", "--store", server, "-q"]) == 0
    assert remote.count() == sum(len(g) for g in first.values())
    _assert_same(_snapshot(remote), _embedded(store))
    assert capsys.readouterr().out == ""


def test_small_batches_keep_blank_nodes_together(remote: RemoteStore, store: ox.Store) -> None:
    # 40 triples a request: most graphs go as one PUT and several POSTs; blank-node groups must not split
    push(remote, project_files(ROOT), batch_triples=40)
    _assert_same(_snapshot(remote), _embedded(store))


def test_transient_errors_are_retried(server: str, remote: RemoteStore, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[int] = []

    class FlakyProxy(_Quiet):
        """Answers 503 to the first two requests, then forwards to the real server."""

        def _forward(self) -> None:
            body = self._body()
            if len(seen) < 2:
                seen.append(503)
                self._answer(503, b"warming up")
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
            answer = httpx.request(self.command, server + self.path, headers=headers, content=body)
            seen.append(answer.status_code)
            self._answer(answer.status_code, answer.content, answer.headers.get("content-type", "text/plain"))

        do_GET = do_PUT = do_POST = do_DELETE = _forward

    remote.drop_graph("https://w3id.org/learning-cities/graph/ontology/kg")
    with serving(FlakyProxy) as proxy:
        assert main(["load", "--store", proxy, "-q"]) == 0
    assert seen[:2] == [503, 503]
    assert all(status < 400 for status in seen[2:])
    assert "https://w3id.org/learning-cities/graph/ontology/kg" in remote.named_graphs()
    assert capsys.readouterr().err == ""


def test_client_errors_are_not_retried(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []

    class Refusing(_Quiet):
        def do_PUT(self) -> None:
            self._body()
            seen.append(self.command)
            self._answer(403, b"this store is read-only for you")

    with serving(Refusing) as url:
        assert main(["load", "--store", url, "-q"]) == 2
    assert seen == ["PUT"]
    err = capsys.readouterr().err
    assert err.startswith("error: writing <")
    assert "answered 403: this store is read-only for you" in err


def test_a_malformed_query_is_refused_with_the_stores_message(remote: RemoteStore) -> None:
    with pytest.raises(RemoteStoreError, match=r"answered 400: .+"):
        remote.query("SELEC * WHERE {}", timeout=5)


def test_query_returns_the_stores_bytes(remote: RemoteStore) -> None:
    remote.replace_graph(
        "http://example.org/g", b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"
    )
    select = remote.query("SELECT ?o WHERE { GRAPH <http://example.org/g> { ?s ?p ?o } }", timeout=5)
    assert select.content_type == "application/sparql-results+json"
    assert b'"value":"http://example.org/o"' in select.body
    construct = remote.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <http://example.org/g> { ?s ?p ?o } }",
        timeout=5,
        accept="application/n-triples",
    )
    assert construct.content_type == "application/n-triples"
    assert construct.body == remote.get_graph("http://example.org/g")  # one triple, no blank node: same bytes
    remote.drop_graph("http://example.org/g")
    remote.drop_graph("http://example.org/g")  # dropping again is fine: idempotent
    assert "http://example.org/g" not in remote.named_graphs()


def test_a_slow_query_is_cancelled_and_its_connection_closed() -> None:
    closed = threading.Event()
    query_strings: list[str] = []

    class Slow(_Quiet):
        """Reads the query, then waits for up to 10 s for the client to hang up, answering nothing."""

        def do_POST(self) -> None:
            self._body()
            query_strings.append(self.path.partition("?")[2])
            readable, _, _ = select.select([self.connection], [], [], 10)
            if readable and self.connection.recv(1) == b"":
                closed.set()
            self.close_connection = True

    with serving(Slow) as url:
        store = RemoteStore(url, retry=FAST, timeout_parameter=TimeoutParameter.parse("timeout:ms"))
        with store:
            started = time.monotonic()
            with pytest.raises(QueryTimeoutError):
                store.query("SELECT * WHERE { ?s ?p ?o }", timeout=0.5)
            assert time.monotonic() - started < 3
        assert closed.wait(5), "the client did not close the connection"
    assert query_strings == ["timeout=500"]  # the store's own limit, in its unit, and no retry past the limit


def test_a_store_that_keeps_failing_gives_up() -> None:
    seen: list[str] = []

    class Down(_Quiet):
        def do_POST(self) -> None:
            self._body()
            seen.append(self.command)
            self._answer(502, b"bad gateway")

    failed = "failed 3 times; the last answer was 502 bad gateway"
    with (
        serving(Down) as url,
        RemoteStore(url, retry=FAST) as store,
        pytest.raises(RemoteUnavailableError, match=failed),
    ):
        store.count()
    assert len(seen) == 3
    nobody = RemoteStore(f"http://127.0.0.1:{free_port()}", retry=FAST)
    with nobody, pytest.raises(RemoteUnavailableError, match="ConnectError"):
        nobody.named_graphs()
