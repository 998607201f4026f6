"""Submissions over real HTTP: token, storage with provenance, /sparql sees them, withdrawal, atomicity.

The API tests run on each backend (tests/backends.py), each on a copy of the curated store of its own that
it may write to; what a test reads back after a write it reads from that copy, the app's own store.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from kg.api.app import create_app
from kg.remote import RemoteStore
from kg.settings import Settings
from kg.stores import Store, release
from kg.stores.remote import RemoteDataset
from tests.backends import FAST, OxigraphServers, external_copy, writable_copy

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BASE = "https://w3id.org/learning-cities/"
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TURTLE = {"Content-Type": "text/turtle"}
EXAMPLEVILLE = f"{BASE}id/city/exampleville"


@pytest.fixture
def fresh(backend: str, oxigraph_servers: OxigraphServers, store: ox.Store) -> Iterator[Store]:
    """A copy of the curated store on the backend under test, that a test may write to."""
    copy = writable_copy(backend, oxigraph_servers, store)
    yield copy
    release(copy)


@pytest.fixture
def client(settings: Settings, fresh: Store) -> Iterator[TestClient]:
    app = create_app(replace(settings, submit_token=TOKEN, query_workers=1), store=fresh)
    with TestClient(app) as client:
        assert client.app.state.store is fresh  # so what a test reads from `fresh` is what the API wrote
        yield client


@pytest.fixture(scope="module")
def unwritten(backend: str, oxigraph_servers: OxigraphServers, store: ox.Store) -> Iterator[Store]:
    """One copy for the tests whose requests must all be refused: nothing they send may be stored."""
    copy = writable_copy(backend, oxigraph_servers, store)
    yield copy
    release(copy)


@pytest.fixture(scope="module")
def refusing(settings: Settings, unwritten: Store) -> Iterator[TestClient]:
    """An app over `unwritten`, for the refused requests; shared, as starting an app takes a second or two."""
    with TestClient(create_app(replace(settings, submit_token=TOKEN, query_workers=1), store=unwritten)) as client:
        yield client
    assert not any("/graph/submission/" in str(g) for g in unwritten.named_graphs()), "a refused request wrote"


def example(name: str) -> bytes:
    return (EXAMPLES / f"{name}.ttl").read_bytes()


def submit(client: TestClient, data: bytes, **headers: str) -> Any:
    return client.post("/submissions", content=data, headers={**AUTH, **TURTLE, **headers})


def ask(client: TestClient, query: str) -> bool:
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


def curated(store: Store) -> set[ox.Quad]:
    return {q for q in store.quads_for_pattern(None, None, None) if "/graph/submission/" not in str(q.graph_name)}


def test_submit_stores_data_with_provenance(client: TestClient, fresh: Store) -> None:
    before = curated(fresh)
    body = example("valid-city")
    response = submit(client, body, **{"X-Submitter": "Example Municipality"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/submissions/{created['id']}"
    assert created["graph"] == f"{BASE}graph/submission/{created['id']}"
    assert created["submitter"] == "Example Municipality"
    assert created["format"] == "text/turtle"
    assert created["sha256"] == hashlib.sha256(body).hexdigest()
    assert created["triples"] == len(list(ox.parse(body, format=ox.RdfFormat.TURTLE)))
    assert created["report"]["conforms"] is True
    g = ox.NamedNode(created["graph"])
    city = ox.NamedNode(EXAMPLEVILLE)
    assert list(fresh.quads_for_pattern(city, None, None, g))
    prov = "http://www.w3.org/ns/prov#"
    assert list(fresh.quads_for_pattern(g, ox.NamedNode(prov + "generatedAtTime"), None, g))
    assert curated(fresh) == before  # nothing changed outside the submission's own graphs


def test_submitted_data_is_queryable_at_once(client: TestClient) -> None:
    query = f'ASK {{ <{EXAMPLEVILLE}> rdfs:label "Exampleville"@en ; kg:country ?c }}'
    assert not ask(client, query)
    created = submit(client, example("valid-city")).json()
    assert ask(client, query)
    assert ask(client, f"ASK {{ GRAPH <{created['graph']}> {{ <{EXAMPLEVILLE}> a kg:LearningCity }} }}")
    # and gone at once after withdrawal
    assert client.delete(f"/submissions/{created['id']}", headers=AUTH).status_code == 204
    assert not ask(client, query)


def test_list_show_and_withdraw(client: TestClient, fresh: Store) -> None:
    first = submit(client, example("valid-city")).json()
    listed = client.get("/submissions").json()["submissions"]
    stored = {k: v for k, v in first.items() if k != "report"}  # what the store gives back, term for term
    assert listed == [stored]
    shown = client.get(f"/submissions/{first['id']}", headers={"Accept-Language": "fr"}).json()
    assert {k: v for k, v in shown.items() if k != "report"} == stored
    assert shown["report"]["conforms"] is True
    assert shown["report"]["language"] == "fr"
    assert client.delete(f"/submissions/{first['id']}", headers=AUTH).status_code == 204
    assert client.get("/submissions").json()["submissions"] == []
    assert client.get(f"/submissions/{first['id']}").status_code == 404
    assert client.delete(f"/submissions/{first['id']}", headers=AUTH).status_code == 404
    assert not any("/graph/submission/" in str(g) for g in fresh.named_graphs())


def test_violations_are_not_stored(client: TestClient, fresh: Store) -> None:
    before = len(fresh)
    response = submit(client, example("invalid-coordinates-out-of-range"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/not-conforming"
    assert problem["report"]["counts"]["Violation"] == 1
    assert len(fresh) == before
    assert client.get("/submissions").json()["submissions"] == []


def test_warnings_do_not_stop_a_submission(client: TestClient) -> None:
    only_english = example("valid-city").replace(b' , "Exempleville"@fr , "\xd9', b' ;\n    rdfs:seeAlso "\xd9')
    assert only_english != example("valid-city")
    response = submit(client, only_english)
    assert response.status_code == 201, response.text
    report = response.json()["report"]
    assert report["conforms"] is True
    assert report["counts"]["Warning"] >= 1  # no French label, no Arabic label


def test_the_stored_report_keeps_its_warnings(client: TestClient) -> None:
    no_french = example("valid-city").replace(b'"Exempleville"@fr , ', b"")
    created = submit(client, no_french).json()
    shown = client.get(f"/submissions/{created['id']}").json()
    assert shown["report"] == created["report"]


def test_graph_names_cannot_reach_curated_graphs(client: TestClient, fresh: Store) -> None:
    before = curated(fresh)
    s000 = f"{BASE}graph/source/s000"
    city = example("valid-city").decode()
    head, _, rest = city.partition("city:exampleville\n")
    trig = f"{head}<{s000}> {{\ncity:exampleville\n{rest}}}\n"
    response = submit(client, trig.encode(), **{"Content-Type": "application/trig"})
    assert response.status_code == 201, response.text
    assert curated(fresh) == before
    assert not list(fresh.quads_for_pattern(ox.NamedNode(EXAMPLEVILLE), None, None, ox.NamedNode(s000)))
    graph = ox.NamedNode(response.json()["graph"])
    assert list(fresh.quads_for_pattern(ox.NamedNode(EXAMPLEVILLE), None, None, graph))


def test_multipart_submission_with_submitter_field(client: TestClient) -> None:
    response = client.post(
        "/submissions",
        files={"file": ("city.ttl", example("valid-city"), "application/octet-stream")},
        data={"submitter": "Form user\x00\n"},
        headers=AUTH,
    )
    assert response.status_code == 201, response.text
    assert response.json()["submitter"] == "Form user"
    assert response.json()["format"] == "text/turtle"


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("POST", "/submissions", {}, 401),
        ("POST", "/submissions", {"Authorization": "Bearer wrong"}, 401),
        ("POST", "/submissions", {"Authorization": f"Basic {TOKEN}"}, 401),
        ("DELETE", "/submissions/20250101T000000Z-0123abcd", {}, 401),
        ("DELETE", "/submissions/20250101T000000Z-0123abcd", AUTH, 404),
        ("GET", "/submissions/not-an-id", {}, 404),
        ("GET", "/submissions/20250101T000000Z-0123abcd", {}, 404),
    ],
    ids=["no-token", "wrong-token", "not-bearer", "delete-no-token", "delete-unknown", "bad-id", "unknown-id"],
)
def test_token_and_ids(refusing: TestClient, method: str, path: str, headers: dict[str, str], status: int) -> None:
    response = refusing.request(method, path, content=example("valid-city"), headers={**TURTLE, **headers})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_no_token_configured_means_no_submissions(settings: Settings, unwritten: Store) -> None:
    with TestClient(create_app(replace(settings, submit_token=None, query_workers=1), store=unwritten)) as c:
        response = c.post("/submissions", content=example("valid-city"), headers={**AUTH, **TURTLE})
    assert response.status_code == 403
    assert "KG_SUBMIT_TOKEN" in response.json()["detail"]


def test_submission_errors_are_the_validation_errors(refusing: TestClient) -> None:
    assert submit(refusing, b"").status_code == 400
    assert submit(refusing, example("invalid-syntax")).json()["type"] == "/problems/data-syntax"
    assert submit(refusing, b"x", **{"Content-Type": "image/png"}).status_code == 415


def test_a_write_repeated_after_its_answer_was_lost_is_stored_once(
    settings: Settings, store: ox.Store, oxigraph_servers: OxigraphServers
) -> None:
    # external store only: its client repeats a write when the answer does not come back (kg/remote.py), and a
    # submission's blank nodes (its submitter, its report) must not be stored twice when the first write took
    copy = external_copy(oxigraph_servers, store)
    upstream = copy.client.update_url.rsplit("/", 1)[0]
    release(copy)
    lost: list[int] = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        """Forwards to the store, but answers the first update with 502 once the store has applied it."""

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
            answer = httpx.request(self.command, upstream + self.path, headers=headers, content=body, timeout=30)
            status, content = answer.status_code, answer.content
            if self.path.startswith("/update") and not lost:
                lost.append(status)
                status, content = 502, b"the store's answer was lost on the way back"
            self.send_response(status)
            self.send_header("Content-Type", answer.headers.get("content-type", "text/plain"))
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = _forward

    gateway = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=gateway.serve_forever, daemon=True)
    thread.start()
    remote = RemoteDataset(
        RemoteStore(f"http://127.0.0.1:{gateway.server_address[1]}", retry=FAST),
        union_parameter="union-default-graph",
        timeout=30,
    )
    try:
        with TestClient(create_app(replace(settings, submit_token=TOKEN), store=remote)) as client:
            response = submit(client, example("valid-city").replace(b'"Exempleville"@fr , ', b""))
            assert response.status_code == 201, response.text
            created = response.json()
            listed = client.get("/submissions").json()["submissions"]
            shown = client.get(f"/submissions/{created['id']}").json()
            agents = client.get(
                "/sparql",
                params={"query": f"SELECT ?a WHERE {{ GRAPH ?g {{ <{created['graph']}> prov:wasAttributedTo ?a }} }}"},
            ).json()["results"]["bindings"]
    finally:
        release(remote)
        gateway.shutdown()
        gateway.server_close()
        thread.join(timeout=10)
    assert lost == [204]  # the first write was applied; only its answer went missing
    assert [s["id"] for s in listed] == [created["id"]]
    assert len(agents) == 1
    assert created["report"]["counts"]["Warning"] >= 1
    assert shown["report"] == created["report"]


# a child process that stores one large submission into an on-disk store and says when it starts and ends.
# Embedded only: it kills a process in the middle of writing to its own RocksDB store; an external store gets
# the same submission as one update request, which that store applies whole or not at all
_WRITER = """
import sys
import pyoxigraph as ox
import rdflib
from kg.parsing import ParsedData
from kg.reports import build_report
from kg.submissions import store_submission

path, cities = sys.argv[1], int(sys.argv[2])
kg = "https://w3id.org/learning-cities/def/"
label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
a = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
triples = []
for i in range(cities):
    city = ox.NamedNode(f"https://w3id.org/learning-cities/id/city/generated-{i}")
    triples.append(ox.Triple(city, a, ox.NamedNode(kg + "City")))
    triples.append(ox.Triple(city, label, ox.Literal(f"Generated city {i}", language="en")))
    triples.append(ox.Triple(city, ox.NamedNode(kg + "population"), ox.Literal(str(1000 + i))))
parsed = ParsedData(triples, ox.RdfFormat.TURTLE, "0" * 64, 0)
report = build_report(rdflib.Graph(), [], [], prefixes={})
store = ox.Store(path)
print("start", flush=True)
done = store_submission(store, parsed, report, submitter="crash test", base="https://w3id.org/learning-cities/")
store.flush()
print("done", done.graph, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.2, 1.5, None], ids=["early", "late", "not-killed"])
def test_killed_mid_submission_leaves_all_or_nothing(tmp_path: Path, delay: float | None) -> None:
    path = tmp_path / "store"
    cities = 30_000  # 90,000 triples: storing them takes seconds, long enough to be killed in the middle
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), str(cities)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "start"
    if delay is not None:
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate()
    if delay is None:
        assert "done" in rest
    elif delay < 1:
        assert "done" not in rest  # seconds of writing were left when the signal came
    store = ox.Store(str(path))
    graphs = [g for g in store.named_graphs() if "/graph/submission/" in str(g)]
    data = [g for g in graphs if not str(g.value).endswith("/report")]
    assert len(data) <= 1  # the submission is there once, or not at all
    if delay is None:
        assert len(data) == 1
    for g in data:
        stored = sum(1 for q in store.quads_for_pattern(None, None, None, g) if q.subject != g)
        assert stored == 3 * cities + 2  # every triple of the submission (+ the agent's type and label)
