"""Linked data: /id/, /def/ and /graph/ IRIs dereference as RDF in each format; VoID, export and health."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from kg.api.app import create_app
from kg.loading import load_files, project_files
from kg.querying import evaluate
from kg.settings import Settings
from kg.stores import Store

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/learning-cities/"
FEZ = BASE + "id/city/fez"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
VOID = "http://rdfs.org/ns/void#"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"

FORMATS = [
    ox.RdfFormat.TURTLE,
    ox.RdfFormat.JSON_LD,
    ox.RdfFormat.N_TRIPLES,
    ox.RdfFormat.RDF_XML,
    ox.RdfFormat.TRIG,
    ox.RdfFormat.N_QUADS,
]


@pytest.fixture(scope="module")
def client(settings: Settings, api_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=api_store)) as client:
        yield client


def parse(body: bytes, fmt: ox.RdfFormat) -> list[ox.Quad]:
    return list(ox.parse(body, format=fmt, base_iri=BASE))


def labels(quads: list[ox.Quad], iri: str) -> set[tuple[str, str | None]]:
    return {
        (q.object.value, q.object.language)
        for q in quads
        if q.subject == ox.NamedNode(iri) and q.predicate == RDFS_LABEL and isinstance(q.object, ox.Literal)
    }


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.file_extension)
def test_entity_in_each_format_has_its_labels_in_three_languages(client: TestClient, fmt: ox.RdfFormat) -> None:
    response = client.get("/id/city/fez", headers={"Accept": fmt.media_type})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == fmt.media_type
    assert {"Accept", "Accept-Language"} <= {v.strip() for v in response.headers["vary"].split(",")}
    quads = parse(response.content, fmt)
    assert {("Fez", "en"), ("Fès", "fr"), ("فاس", "ar")} <= labels(quads, FEZ)
    # the labels of linked entities travel with the description
    assert ("Morocco", "en") in labels(quads, BASE + "id/country/morocco")


def test_trig_keeps_the_graph_of_each_statement(client: TestClient, store: ox.Store) -> None:
    response = client.get("/id/city/fez", params={"format": "trig"})
    quads = parse(response.content, ox.RdfFormat.TRIG)
    expected = {
        q.graph_name for q in store.quads_for_pattern(ox.NamedNode(FEZ), RDFS_LABEL, ox.Literal("فاس", language="ar"))
    }
    stated = {q.graph_name for q in quads if q.object == ox.Literal("فاس", language="ar") and q.subject.value == FEZ}
    assert expected and stated == expected
    assert all(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads)


def test_description_is_the_concise_bounded_description(client: TestClient, store: ox.Store) -> None:
    own = {
        (q.predicate, q.object) for q in store.quads_for_pattern(ox.NamedNode(FEZ), None, None, None) if q.graph_name
    }
    quads = parse(client.get("/id/city/fez", params={"format": "ntriples"}).content, ox.RdfFormat.N_TRIPLES)
    assert {(q.predicate, q.object) for q in quads if q.subject == ox.NamedNode(FEZ)} == own


def test_blank_nodes_are_closed_over(client: TestClient) -> None:
    # kg:date's range is a blank node holding an owl:unionOf list of datatypes
    response = client.get("/def/date", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    objects = {q.object for q in parse(response.content, ox.RdfFormat.TURTLE)}
    assert {ox.NamedNode(XSD + "date"), ox.NamedNode(XSD + "gYear")} <= objects


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("*/*", "text/html"),
        ("text/turtle, */*;q=0.1", "text/turtle"),
        ("application/ld+json;q=0.5, application/n-triples", "application/n-triples"),
        ("application/json", "application/ld+json"),
    ],
    ids=["browser", "anything", "turtle", "q-values", "json-alias"],
)
def test_accept_negotiation(client: TestClient, accept: str, expected: str) -> None:
    response = client.get("/id/city/casablanca", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


@pytest.mark.parametrize(
    ("path", "headers", "status", "slug"),
    [
        ("/id/city/nowhere", {}, 404, "not-found"),
        ("/id/city/nowhere", {"Accept": "text/turtle"}, 404, "not-found"),
        ("/def/Nothing", {}, 404, "not-found"),
        ("/graph/source/none", {}, 404, "not-found"),
        ("/id/city/fez", {"Accept": "image/png"}, 406, "not-acceptable"),
        ("/id/city/fez?format=pdf", {}, 406, "not-acceptable"),
        ("/export?format=csv", {}, 406, "not-acceptable"),
    ],
    ids=["unknown-html", "unknown-rdf", "unknown-term", "unknown-graph", "png", "format-param", "export-format"],
)
def test_errors_are_problem_details(
    client: TestClient, path: str, headers: dict[str, str], status: int, slug: str
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{slug}"


def test_ontology_term_redirects_html_to_its_anchor(client: TestClient) -> None:
    response = client.get("/def/LearningCity", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/def/#LearningCity"


def test_ontology_term_in_rdf(client: TestClient) -> None:
    response = client.get("/def/LearningCity", headers={"Accept": "application/n-triples"})
    quads = parse(response.content, ox.RdfFormat.N_TRIPLES)
    assert {("Learning city", "en"), ("Ville apprenante", "fr"), ("مدينة التعلّم", "ar")} <= labels(
        quads, BASE + "def/LearningCity"
    )


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.file_extension)
def test_ontology_in_each_format(client: TestClient, fmt: ox.RdfFormat) -> None:
    response = client.get("/def/", headers={"Accept": fmt.media_type})
    assert response.status_code == 200
    quads = parse(response.content, fmt)
    owl = "http://www.w3.org/2002/07/owl#"
    typed = {(q.subject.value, q.object) for q in quads if q.predicate == RDF_TYPE}
    assert (BASE + "def/", ox.NamedNode(owl + "Ontology")) in typed
    assert (BASE + "def/City", ox.NamedNode(owl + "Class")) in typed
    assert (BASE + "def/Person", ox.NamedNode(owl + "Class")) in typed


def test_ontology_module_serves_only_its_own_graph(client: TestClient) -> None:
    quads = parse(client.get("/def/places", params={"format": "turtle"}).content, ox.RdfFormat.TURTLE)
    subjects = {q.subject.value for q in quads}
    assert BASE + "def/City" in subjects
    assert BASE + "def/Person" not in subjects


def test_void_describes_the_dataset(client: TestClient, store: ox.Store) -> None:
    response = client.get("/.well-known/void")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    quads = parse(response.content, ox.RdfFormat.TURTLE)
    dataset = next(q.subject for q in quads if q.object == ox.NamedNode(VOID + "Dataset") and "void" in q.subject.value)
    about = {(q.predicate.value, q.object) for q in quads if q.subject == dataset}
    assert ("http://purl.org/dc/terms/license", ox.NamedNode("https://creativecommons.org/licenses/by/4.0/")) in about
    assert (RDF_TYPE.value, ox.NamedNode("http://www.w3.org/ns/dcat#Dataset")) in about
    assert any(p == VOID + "sparqlEndpoint" and o.value.endswith("/sparql") for p, o in about)
    # the partition of kg:LearningCity counts what a query counts
    [row] = list(evaluate(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a kg:LearningCity }"))  # type: ignore[arg-type]
    partitions = {q.subject for q in quads if q.object == ox.NamedNode(BASE + "def/LearningCity")}
    entities = {q.object.value for q in quads if q.subject in partitions and q.predicate.value == VOID + "entities"}
    assert entities == {row["n"].value}
    # each source graph is a subset, derived from its article
    s002 = ox.NamedNode(BASE + "graph/source/s002")
    assert ox.Quad(dataset, ox.NamedNode(VOID + "subset"), s002) in quads
    assert ox.Quad(s002, ox.NamedNode(PROV + "wasDerivedFrom"), ox.NamedNode(BASE + "id/article/s002")) in quads
    size = sum(1 for _ in store.quads_for_pattern(None, None, None, s002))
    assert (
        ox.Quad(s002, ox.NamedNode(VOID + "triples"), ox.Literal(str(size), datatype=ox.NamedNode(XSD + "integer")))
        in quads
    )


def test_void_in_json_ld(client: TestClient) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert response.headers["content-type"].startswith("application/ld+json")
    assert parse(response.content, ox.RdfFormat.JSON_LD)


def test_health_reports_the_store(client: TestClient, store: ox.Store) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "triples": len(store), "graphs": len(list(store.named_graphs()))}


def test_health_is_503_without_a_store(settings: Settings) -> None:
    app = create_app(settings, store=ox.Store())
    with TestClient(app) as client:
        app.state.store = None
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


@pytest.mark.parametrize("name", ["nquads", "trig"])
def test_export_dumps_every_quad(client: TestClient, store: ox.Store, name: str) -> None:
    response = client.get("/export", params={"format": name})
    assert response.status_code == 200
    fmt = ox.RdfFormat.N_QUADS if name == "nquads" else ox.RdfFormat.TRIG
    assert response.headers["content-type"].startswith(fmt.media_type)
    exported = set(parse(response.content, fmt))
    # blank nodes are named by the store that holds them, so compare them by number; every other quad exactly
    assert len(exported) == len(store)
    assert {q for q in exported if not _blank(q)} == {q for q in store if not _blank(q)}


def _blank(q: ox.Quad) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def test_graph_describes_its_source_and_size(client: TestClient, store: ox.Store) -> None:
    graph = BASE + "graph/source/s002"
    quads = parse(client.get("/graph/source/s002", params={"format": "ntriples"}).content, ox.RdfFormat.N_TRIPLES)
    derived = {
        q.object.value for q in quads if q.subject.value == graph and q.predicate.value == PROV + "wasDerivedFrom"
    }
    assert BASE + "id/article/s002" in derived
    size = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    assert any(q.predicate.value == VOID + "triples" and q.object.value == str(size) for q in quads)


def test_iris_follow_the_configured_base(tmp_path: Path) -> None:
    base = "http://kg.example.test/lc/"
    store = ox.Store()
    load_files(store, project_files(ROOT, base), base=base)
    with TestClient(create_app(Settings(store_path=tmp_path, project_root=ROOT, base_iri=base), store=store)) as c:
        response = c.get("/id/city/fez", headers={"Accept": "application/n-triples"})
        assert response.status_code == 200
        quads = parse(response.content, ox.RdfFormat.N_TRIPLES)
        assert ("فاس", "ar") in labels(quads, base + "id/city/fez")
        page = c.get("/id/city/fez", params={"lang": "ar"}).text
        assert 'href="/id/country/morocco?lang=ar"' in page


def test_head_answers_like_get(client: TestClient) -> None:
    response = client.head("/id/city/fez", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    assert client.head("/id/city/nowhere").status_code == 404
