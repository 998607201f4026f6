"""Shared fixtures: the real project files in a real Oxigraph store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.loading import load_files, project_files
from kg.settings import Settings
from kg.stores import Store, release
from kg.wikidata.view import build_view
from tests.backends import BACKENDS, OxigraphServers, on_backend

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(store_path=tmp_path_factory.mktemp("store"), project_root=ROOT)


@pytest.fixture(scope="session")
def store(settings: Settings) -> ox.Store:
    """The curated project (ontology, shapes, data) in an in-memory store, for read-only tests."""
    store = ox.Store()
    load_files(store, project_files(ROOT, settings.base_iri), base=settings.base_iri)
    build_view(store, settings.base_iri)  # as `kg load` does
    return store


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny project folder of our own, for tests that break files on purpose."""
    for folder in ("ontology", "shapes", "data"):
        (tmp_path / folder).mkdir()
    (tmp_path / "ontology" / "kg.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<https://w3id.org/learning-cities/def/> a owl:Ontology .\n"
    )
    (tmp_path / "data" / "cities.trig").write_text(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/learning-cities/graph/source/t1> {\n"
        '  <https://w3id.org/learning-cities/id/city/fez> rdfs:label "Fez"@en , "فاس"@ar .\n'
        "}\n"
    )
    return tmp_path


@pytest.fixture(scope="session")
def oxigraph_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServers]:
    """Real `oxigraph serve` processes, started on demand for the external-store backend."""
    servers = OxigraphServers(tmp_path_factory.mktemp("oxigraph-servers"))
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The kind of store under the API: tests that take this fixture run once on each."""
    return str(request.param)


@pytest.fixture(scope="session")
def api_store(backend: str, store: ox.Store, oxigraph_servers: OxigraphServers) -> Iterator[Store]:
    """The curated store on the backend under test, for tests that only read."""
    on = on_backend(backend, oxigraph_servers, store)
    yield on
    if on is not store:
        release(on)
