"""Safe defaults of the public endpoint, each shown over HTTP: read-only, no SERVICE/LOAD beyond the allowlist,
a time limit that kills the evaluation, caps, isolation of slow and crashing queries."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from kg.api.app import create_app
from kg.errors import ForbiddenError
from kg.guard import check_graphs, check_remote, scan
from kg.loading import load_files, project_files
from kg.querying import prefixes
from kg.settings import Settings
from tests.conftest import ROOT
from tests.net import Listener

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

KG = "https://w3id.org/learning-cities/"
TOKEN = "s3cret-token"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
INSERT = f'INSERT DATA {{ GRAPH <{KG}graph/test/mine> {{ <{KG}id/city/new> {LABEL} "New"@en }} }}'


@pytest.fixture
def listener() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


def _fresh_store() -> ox.Store:
    store = ox.Store()
    load_files(store, project_files(ROOT))
    return store


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(store_path=tmp_path_factory.mktemp("store"), query_timeout=2.0, max_result_rows=1000)
    with TestClient(create_app(settings, store=_fresh_store())) as client:
        yield client


@pytest.fixture
def writable(tmp_path: Path) -> Iterator[TestClient]:
    """An app with an update token, over a store of its own (tests write to it)."""
    settings = Settings(store_path=tmp_path / "store", update_token=TOKEN, query_workers=1)
    with TestClient(create_app(settings, store=_fresh_store())) as client:
        yield client


def _problem(r: object, status: int, slug: str) -> dict[str, object]:
    from httpx import Response

    assert isinstance(r, Response)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == f"/problems/{slug}"
    return dict(body)


# --- read-only unless a token is configured


# pages.py registers one function on several paths; FastAPI warns about the repeated operation id
@pytest.mark.filterwarnings("ignore:Duplicate Operation ID:UserWarning")
def test_no_update_route_without_token(client: TestClient) -> None:
    _problem(client.post("/update", data={"update": INSERT}), 404, "not-found")
    _problem(client.post("/sparql", data={"update": INSERT}), 400, "bad-request")
    spec = client.get("/openapi.json").json()
    assert "/update" not in spec["paths"]


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer "], ids=["none", "wrong", "basic", "empty"]
)
def test_update_needs_the_token(writable: TestClient, authorization: str | None) -> None:
    headers = {"authorization": authorization} if authorization else {}
    r = writable.post("/update", data={"update": INSERT}, headers=headers)
    _problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    ask = writable.get("/sparql", params={"query": f"ASK {{ <{KG}id/city/new> ?p ?o }}"})
    assert ask.json()["boolean"] is False


def test_update_with_token_reaches_every_worker(writable: TestClient) -> None:
    auth = {"authorization": f"Bearer {TOKEN}"}
    assert writable.post("/update", data={"update": INSERT}, headers=auth).status_code == 204
    direct = INSERT.replace("New", "Newer")
    r = writable.post("/update", content=direct, headers={**auth, "content-type": "application/sparql-update"})
    assert r.status_code == 204
    for _ in range(4):  # queries go to whichever worker is free; each must see both writes
        rows = writable.get("/sparql", params={"query": f"SELECT ?l {{ <{KG}id/city/new> rdfs:label ?l }}"}).json()
        assert sorted(b["l"]["value"] for b in rows["results"]["bindings"]) == ["New", "Newer"]
    store: ox.Store = writable.app.state.store  # type: ignore[attr-defined]
    assert len(list(store.quads_for_pattern(ox.NamedNode(f"{KG}id/city/new"), None, None))) == 2  # the record too
    sd = writable.get("/sparql").text
    assert "SPARQL11Update" in sd


@pytest.mark.parametrize(
    "update",
    [
        f"DROP GRAPH <{KG}graph/ontology/kg>",
        f"INSERT DATA {{ GRAPH <{KG}graph/source/s000> {{ <a:s> <a:p> 1 }} }}",
        f"PREFIX g: <{KG}graph/> DELETE WHERE {{ GRAPH g:provenance {{ ?s ?p ?o }} }}",
        "DELETE WHERE { GRAPH <graph/shapes/city> { ?s ?p ?o } }",
        "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
        "CLEAR ALL",
        "DROP NAMED",
    ],
    ids=[
        "drop-ontology",
        "insert-source",
        "prefixed-provenance",
        "relative-shapes",
        "graph-variable",
        "clear-all",
        "drop-named",
    ],
)
def test_updates_cannot_touch_curated_graphs(writable: TestClient, update: str) -> None:
    auth = {"authorization": f"Bearer {TOKEN}"}
    _problem(writable.post("/update", data={"update": update}, headers=auth), 403, "forbidden")
    count = writable.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}).json()
    assert int(count["results"]["bindings"][0]["n"]["value"]) > 1000


# --- SERVICE and LOAD never reach an address off the allowlist


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "PREFIX r: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICEr:sparql {{ ?s ?p ?o }} }}",
        "BASE <http://127.0.0.1:{port}/> SELECT * WHERE {{ service <sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/sparql> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?a ?b ?c FILTER(?a<'x>') SERVICE <http://127.0.0.1:{port}/> {{ }} #'\n }}",
    ],
    ids=["plain", "silent", "glued-prefixed", "relative", "variable", "fake-string"],
)
def test_service_is_refused_before_any_request(client: TestClient, listener: Listener, template: str) -> None:
    query = template.format(port=listener.port)
    problem = _problem(client.get("/sparql", params={"query": query}), 403, "forbidden")
    assert "SERVICE" in str(problem["detail"])
    time.sleep(0.3)
    assert listener.connections == 0


def test_load_is_refused_before_any_request(writable: TestClient, listener: Listener) -> None:
    auth = {"authorization": f"Bearer {TOKEN}"}
    update = f"LOAD <http://127.0.0.1:{listener.port}/data.ttl> INTO GRAPH <{KG}graph/test/loaded>"
    problem = _problem(writable.post("/update", data={"update": update}, headers=auth), 403, "forbidden")
    assert "LOAD" in str(problem["detail"])
    time.sleep(0.3)
    assert listener.connections == 0


def test_allowlist_lets_listed_prefixes_through(listener: Listener) -> None:
    allowed = f"http://127.0.0.1:{listener.port}/"
    check_remote(f"SELECT * {{ SERVICE <{allowed}sparql> {{ }} }}", [allowed], prefixes={})
    with pytest.raises(ForbiddenError):
        check_remote("SELECT * { SERVICE <http://127.0.0.1:1/sparql> { } }", [allowed], prefixes={})


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        ("SELECT * { ?s ?p 'SERVICE <http://x/> {}' }", []),
        ('SELECT * { ?s ?p """\nSERVICE <http://x/> {}\n""" }', []),
        ("SELECT * { ?s ?p ?o } # SERVICE <http://x/> {}", []),
        ("SELECT * { ?service <http://x/service> ?o }", []),
        ("PREFIX service: <http://e/> SELECT * { service:a ?p ?o }", []),
        ("SELECT * { SERVICE <http://x/> { } }", ["http://x/"]),
        ("PREFIX e: <http://e/> SELECT * { SERVICE e:q { } }", ["http://e/q"]),
        ("SELECT * { SERVICE wd:sparql { } }", ["http://www.wikidata.org/entity/sparql"]),
        ("SELECT * { \\u0053ERVICE <http://u/> { } }", ["http://u/"]),
        ("SELECT * { ?s <http://x/it's> ?o . SERVICE <http://e/> {} }", ["http://e/"]),
        ("SELECT * { ?a ?b ?c FILTER(?a<?b#>'''\n) SERVICE <http://h/> {} #'''\n }", ["http://h/"]),
    ],
    ids=[
        "string",
        "long-string",
        "comment",
        "variable-name",
        "prefix-named-service",
        "iri",
        "prefixed",
        "predefined-prefix",
        "codepoint-escape",
        "apostrophe-iri",
        "less-than-comment",
    ],
)
def test_scanner_finds_service_targets(text: str, targets: list[str]) -> None:
    found = sorted(f.target for f in scan(text, prefixes=prefixes()) if f.kind == "service")
    assert found == targets


def test_scanner_is_fast_on_long_queries() -> None:
    query = "SELECT * WHERE { " + " ".join(f"?s{i} rdfs:label 'service {i}' ." for i in range(3000)) + " }"
    started = time.perf_counter()
    check_remote(query, (), prefixes=prefixes())
    assert time.perf_counter() - started < 5


def test_check_graphs_allows_other_graphs() -> None:
    check_graphs(f"INSERT DATA {{ GRAPH <{KG}graph/test/x> {{ <a:s> <a:p> 1 }} }}", [f"{KG}graph/source/"], prefixes={})


# --- time limit, caps, isolation


def test_runaway_query_is_killed_and_answered_503(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    engine.wait_ready()
    before = set(engine.pids())
    started = time.perf_counter()
    r = client.get("/sparql", params={"query": RUNAWAY})
    elapsed = time.perf_counter() - started
    problem = _problem(r, 503, "timeout")
    assert "2 s" in str(problem["detail"])
    assert 2.0 <= elapsed < 6
    killed = before - set(engine.pids())
    assert len(killed) == 1
    (pid,) = killed
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped: no core stays busy
    engine.wait_ready()
    assert len(engine.pids()) == 2
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_other_requests_are_answered_while_a_slow_query_runs(client: TestClient) -> None:
    client.app.state.engine.wait_ready()  # type: ignore[attr-defined]
    slow: dict[str, int] = {}
    thread = threading.Thread(
        target=lambda: slow.update(status=client.get("/sparql", params={"query": RUNAWAY}).status_code)
    )
    thread.start()
    time.sleep(0.3)
    latencies = []
    for _ in range(5):
        started = time.perf_counter()
        r = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 3"})
        latencies.append(time.perf_counter() - started)
        assert r.status_code == 200
    assert client.get("/docs").status_code == 200
    thread.join()
    assert slow["status"] == 503
    assert max(latencies) < 1.0, latencies


def test_query_that_crashes_the_engine_costs_only_that_query(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    engine.wait_ready()
    deep = "SELECT * WHERE " + "{" * 12_000 + "}" * 12_000
    _problem(client.post("/sparql", data={"query": deep}), 503, "engine-crash")
    r = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    assert r.status_code == 200
    engine.wait_ready()
    assert len(engine.pids()) == 2


def test_query_length_cap(client: TestClient) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    text = "ASK {} #" + "x" * settings.max_query_length
    problem = _problem(client.post("/sparql", data={"query": text}), 413, "too-large")
    assert str(settings.max_query_length) in str(problem["detail"])


def test_body_cap(tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path, max_body_bytes=1000, query_workers=1)
    with TestClient(create_app(settings, store=ox.Store())) as small:
        _problem(small.post("/sparql", data={"query": "ASK {}" + " " * 2000}), 413, "too-large")


def test_result_rows_cap(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o }", "format": "tsv"})
    assert r.headers["x-kg-truncated"] == "true"
    assert r.headers["x-kg-row-limit"] == "1000"
    assert len(r.text.splitlines()) == 1001  # header and the first 1000 rows


def test_settings_reject_nonsense() -> None:
    from kg.errors import ConfigError

    with pytest.raises(ConfigError):
        replace(Settings(), query_timeout=0)
