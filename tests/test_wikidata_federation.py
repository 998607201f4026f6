"""Federation: a SERVICE clause to an allowlisted endpoint is answered (a second SPARQL endpoint, `oxigraph
serve`, started here on a loopback port); any other target is refused before a connection is opened."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kg.api.app import create_app
from kg.settings import Settings
from kg.stores import Store
from tests.fixtures.wikidata.support import ROOT, TestClient
from tests.net import Listener, free_port, wait_until_up

OXIGRAPH = shutil.which("oxigraph") or str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "oxigraph")
# a test value for the remote endpoint, not a fact
REMOTE_DATA = (
    "<http://www.wikidata.org/entity/Q80985> <http://www.wikidata.org/prop/direct/P1082> "
    '"4242"^^<http://www.w3.org/2001/XMLSchema#decimal> .'
)

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("kg.api.sparql") is None, reason="kg/api/sparql.py not written yet"),
    pytest.mark.skipif(not Path(OXIGRAPH).exists(), reason="the `oxigraph` command (PyPI package oxigraph) is missing"),
]


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second SPARQL endpoint on a loopback port; yields its query URL."""
    where = tmp_path_factory.mktemp("remote")
    (where / "data.nt").write_text(REMOTE_DATA.strip() + "\n")
    subprocess.run(
        [OXIGRAPH, "load", "--location", str(where / "db"), "--file", str(where / "data.nt")],
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [OXIGRAPH, "serve-read-only", "--location", str(where / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/query"
    try:
        wait_until_up(url, server, seconds=20, params={"query": "ASK {}"})
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def client(remote: str, api_store: Store) -> Iterator[TestClient]:
    """/sparql over the backend under test; on the external one, that store makes the SERVICE call itself."""
    allow = remote.rsplit("/", 1)[0] + "/"
    settings = Settings(project_root=ROOT, service_allowlist=(allow,), query_workers=1)
    with TestClient(create_app(settings, store=api_store)) as client:
        yield client


def _bindings(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def test_service_to_an_allowlisted_endpoint_is_answered(client: TestClient, remote: str) -> None:
    query = f"SELECT ?population WHERE {{ SERVICE <{remote}> {{ wd:Q80985 wdt:P1082 ?population }} }}"
    assert _bindings(client.get("/sparql", params={"query": query})) == [{"population": "4242"}]


def test_remote_values_join_local_ones(client: TestClient, remote: str) -> None:
    query = f"""SELECT ?city ?population WHERE {{
      ?city owl:sameAs ?item .
      SERVICE <{remote}> {{ ?item wdt:P1082 ?population }}
    }}"""
    rows = _bindings(client.get("/sparql", params={"query": query}))
    assert rows == [{"city": "https://w3id.org/learning-cities/id/city/fez", "population": "4242"}]


# ways to name the same unlisted target; on the external backend the store would make the call itself, so the
# refusal must come before the query leaves this server
UNLISTED = {
    "iri": "SELECT * WHERE {{ SERVICE <{target}query> {{ ?s ?p ?o }} }}",
    "silent-lowercase": "select * where {{ service silent <{target}query> {{ ?s ?p ?o }} }}",
    "prefixed-name": "PREFIX t: <{target}> SELECT * WHERE {{ SERVICE t:query {{ ?s ?p ?o }} }}",
    "relative-iri": "BASE <{target}> SELECT * WHERE {{ SERVICE <query> {{ ?s ?p ?o }} }}",
    "escaped-iri": "SELECT * WHERE {{ SERVICE <{target}\\u0071uery> {{ ?s ?p ?o }} }}",
}


def test_other_targets_are_refused_before_any_connection(client: TestClient) -> None:
    tripwire = Listener()
    target = f"http://127.0.0.1:{tripwire.port}/"
    try:
        responses = {
            name: client.get("/sparql", params={"query": q.format(target=target)}) for name, q in UNLISTED.items()
        }
        time.sleep(0.3)  # time for a connection that should not come
    finally:
        tripwire.close()
    for name, response in responses.items():
        assert response.status_code == 403, (name, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), name
    assert tripwire.connections == 0
