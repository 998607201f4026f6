"""The same page from either store: HTML byte for byte, RDF as the same graph, however often it is asked.

Pages pick one comment among several and list facts and relations; a store returns rows in an order of its
own, so any choice left to that order shows up here as a difference between the embedded store and an
external one. Asking the external store twice also catches what its client remembers between requests.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from starlette.exceptions import StarletteDeprecationWarning

from kg.api.app import create_app
from kg.pages.html import esc
from kg.settings import Settings
from kg.stores import release
from tests.backends import OxigraphServers, external_copy

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

BASE = "https://w3id.org/learning-cities/"
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
# a page of each kind; the entities have several English comments, or several types, or both
PAGES = [
    "/",
    "/def/",
    "/id/city/fez",
    "/id/membership/agadir-gnlc",
    "/id/round/gnlc-2025",
    "/id/network/gnlc",
    "/id/country/morocco",
    "/graph/wikidata/view",
]


@pytest.fixture(scope="module")
def embedded(settings: Settings, store: ox.Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store)) as client:
        yield client


@pytest.fixture(scope="module")
def external(settings: Settings, store: ox.Store, oxigraph_servers: OxigraphServers) -> Iterator[TestClient]:
    copy = external_copy(oxigraph_servers, store)
    try:
        with TestClient(create_app(settings, store=copy)) as client:
            yield client
    finally:
        release(copy)


def _html(client: TestClient, path: str, lang: str) -> str:
    response = client.get(path, headers={"Accept": "text/html", "Accept-Language": lang})
    assert response.status_code == 200, (path, response.text)
    return response.text


@pytest.mark.parametrize("path", PAGES)
def test_html_is_the_same_on_either_store(embedded: TestClient, external: TestClient, path: str) -> None:
    # English, Arabic, then English again: the third must not differ from the first on the external store
    for lang in ("en", "ar", "en"):
        assert _html(external, path, lang) == _html(embedded, path, lang), (path, lang)


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith(("/id/", "/graph/"))])
def test_rdf_is_the_same_graph_on_either_store(embedded: TestClient, external: TestClient, path: str) -> None:
    graphs = []
    for client in (embedded, external):
        response = client.get(path, headers={"Accept": "application/n-triples"})
        assert response.status_code == 200, response.text
        graphs.append(rdflib.Graph().parse(data=response.text, format="nt"))
    assert len(graphs[0]) > 0 and isomorphic(graphs[0], graphs[1]), path


@pytest.mark.parametrize("client_name", ["embedded", "external"])
def test_of_several_comments_the_shortest_is_shown(
    request: pytest.FixtureRequest, store: ox.Store, client_name: str
) -> None:
    client: TestClient = request.getfixturevalue(client_name)
    fez = ox.NamedNode(BASE + "id/city/fez")
    comments = [q.object for q in store.quads_for_pattern(fez, RDFS_COMMENT, None)]
    english = sorted({c.value for c in comments if isinstance(c, ox.Literal) and c.language == "en"})
    assert len(english) > 1  # the case that needs a rule
    shortest = min(english, key=lambda text: (len(text), text))
    page = _html(client, "/id/city/fez", "en")
    shown = [text for text in english if f'<p class="comment">{esc(text)}</p>' in page]
    assert shown == [shortest]
