"""The SPARQL 1.1 Protocol at /sparql over HTTP (TestClient): formats, negotiation, errors, service description."""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Iterator
from dataclasses import replace

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from starlette.exceptions import StarletteDeprecationWarning

from kg.accept import choose, parse_accept
from kg.api.app import create_app
from kg.settings import Settings
from kg.stores import Store

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

KG = "https://w3id.org/learning-cities/"
# a total order: the same text in two languages ties under `ORDER BY ?label`, which SPARQL leaves to the store
SELECT = "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s STR(?label) LANG(?label) LIMIT 5"
CONSTRUCT = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c FILTER(isIRI(?s) && isIRI(?c)) } ORDER BY ?s ?c LIMIT 5"


@pytest.fixture(scope="module")
def client(settings: Settings, api_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(replace(settings, max_result_rows=50), store=api_store)) as client:
        yield client


def test_get_select_json(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": SELECT})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    assert "Accept" in r.headers["vary"]
    body = r.json()
    assert body["head"]["vars"] == ["s", "label"]
    assert len(body["results"]["bindings"]) == 5


def test_post_form_and_direct_agree_with_get(client: TestClient) -> None:
    get = client.get("/sparql", params={"query": SELECT}).json()
    form = client.post("/sparql", data={"query": SELECT}).json()
    direct = client.post("/sparql", content=SELECT, headers={"content-type": "application/sparql-query"}).json()
    assert get == form == direct


@pytest.mark.parametrize(
    ("accept", "media_type", "parse"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("application/json", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", "application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/csv", "text/csv; charset=utf-8", ox.QueryResultsFormat.CSV),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8", ox.QueryResultsFormat.TSV),
        ("text/csv;q=0.5, text/tab-separated-values;q=0.9", "text/tab-separated-values; charset=utf-8", None),
        ("*/*", "application/sparql-results+json", None),
        ("text/*", "text/csv; charset=utf-8", None),
    ],
    ids=["json", "json-alias", "xml", "csv", "tsv", "q-values", "any", "text-wildcard"],
)
def test_select_formats(
    client: TestClient, store: ox.Store, accept: str, media_type: str, parse: ox.QueryResultsFormat | None
) -> None:
    r = client.get("/sparql", params={"query": SELECT}, headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == media_type
    if parse == ox.QueryResultsFormat.CSV:  # lossy (no datatypes or languages), and pyoxigraph won't read it
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0] == ["s", "label"] and len(rows) == 6
    elif parse is not None:
        got = [[str(t) for t in row] for row in ox.parse_query_results(r.content, parse)]
        expected = store.query(
            SELECT, prefixes={"rdfs": "http://www.w3.org/2000/01/rdf-schema#"}, use_default_graph_as_union=True
        )
        assert isinstance(expected, ox.QuerySolutions)
        assert got == [[str(t) for t in row] for row in expected]


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("turtle", "text/turtle"),
        ("ntriples", "application/n-triples"),
        ("jsonld", "application/ld+json"),
        ("rdfxml", "application/rdf+xml"),
        ("trig", "application/trig"),
        ("nquads", "application/n-quads"),
    ],
)
def test_construct_formats_are_the_same_graph(client: TestClient, name: str, media_type: str) -> None:
    by_accept = client.get("/sparql", params={"query": CONSTRUCT}, headers={"accept": media_type})
    by_param = client.get("/sparql", params={"query": CONSTRUCT, "format": name})
    reference = client.get("/sparql", params={"query": CONSTRUCT, "format": "ntriples"})
    for r in (by_accept, by_param):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].split(";")[0] == media_type
    reference_triples = _triples(reference.content, ox.RdfFormat.N_TRIPLES)
    assert len(reference_triples) == 5
    for r in (by_accept, by_param):
        fmt = ox.RdfFormat.from_media_type(media_type)
        assert fmt is not None
        assert _triples(r.content, fmt) == reference_triples  # no blank nodes here: plain set equality


def _triples(data: bytes, fmt: ox.RdfFormat) -> set[str]:
    return {f"{q.subject} {q.predicate} {q.object}" for q in ox.parse(data, format=fmt)}


def _graph(data: bytes, fmt: ox.RdfFormat) -> Graph:
    """An rdflib graph (for isomorphism with blank nodes), read by pyoxigraph from any format."""
    return Graph().parse(data=ox.serialize(ox.parse(data, format=fmt), format=ox.RdfFormat.N_TRIPLES), format="nt")


def test_default_formats(client: TestClient) -> None:
    assert (
        client.get("/sparql", params={"query": "ASK {}"}).headers["content-type"] == "application/sparql-results+json"
    )
    assert client.get("/sparql", params={"query": CONSTRUCT}).headers["content-type"].startswith("text/turtle")
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"accept": browser})
    assert r.headers["content-type"] == "application/sparql-results+xml"  # application/xml;q=0.9 beats */*;q=0.8
    assert client.get("/sparql", params={"query": "ASK {}", "format": "json"}).json() == {"head": {}, "boolean": True}


def test_ask_boolean(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": f"ASK {{ <{KG}id/city/casablanca> ?p ?o }}"})
    assert r.status_code == 200
    assert isinstance(r.json()["boolean"], bool)


def test_dataset_parameters(client: TestClient) -> None:
    graph = f"{KG}graph/ontology/kg"
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = int(client.get("/sparql", params={"query": q}).json()["results"]["bindings"][0]["n"]["value"])
    only = client.get("/sparql", params={"query": q, "default-graph-uri": graph})
    one = int(only.json()["results"]["bindings"][0]["n"]["value"])
    assert 0 < one < union
    named = client.get(
        "/sparql",
        params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": graph},
    )
    assert [b["g"]["value"] for b in named.json()["results"]["bindings"]] == [graph]


def test_row_cap_is_signalled(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 200
    assert r.headers["x-kg-truncated"] == "true"
    assert r.headers["x-kg-row-limit"] == "50"
    assert len(r.json()["results"]["bindings"]) == 50
    small = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 50"})
    assert "x-kg-truncated" not in small.headers
    triples = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "ntriples"})
    assert triples.headers["x-kg-truncated"] == "true"
    assert len(triples.text.splitlines()) == 50


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "slug"),
    [
        ("get", {"params": {"query": "SELECT * WHERE {"}}, 400, "query-syntax"),
        ("get", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "bad-request"),
        ("get", {"params": {"update": "CLEAR ALL"}}, 400, "bad-request"),
        ("post", {"data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400, "bad-request"),
        ("post", {"data": {"default-graph-uri": "http://x/"}}, 400, "bad-request"),
        ("post", {"content": "ASK {}", "headers": {"content-type": "text/plain"}}, 415, "unsupported-media-type"),
        ("post", {"content": "ASK {}"}, 415, "unsupported-media-type"),
        (
            "post",
            {
                "content": "ASK {}".encode("utf-16"),
                "headers": {"content-type": "application/sparql-query; charset=UTF-16"},
            },
            415,
            "unsupported-media-type",
        ),
        ("get", {"params": {"query": "ASK {}"}, "headers": {"accept": "image/png"}}, 406, "not-acceptable"),
        ("get", {"params": {"query": CONSTRUCT, "format": "csv"}}, 406, "not-acceptable"),
        ("get", {"params": {"query": "ASK {}", "format": "png"}}, 400, "bad-request"),
        ("post", {"data": {"query": "ASK {} #" + "x" * 100_001}}, 413, "too-large"),
        ("put", {"params": {"query": "ASK {}"}}, 405, "method-not-allowed"),
        ("post", {"data": {"update": "CLEAR ALL"}, "url": "/update"}, 404, "not-found"),
    ],
    ids=[
        "syntax",
        "two-queries",
        "update-by-get",
        "query-and-update",
        "no-query",
        "wrong-content-type",
        "no-content-type",
        "utf-16",
        "no-acceptable-format",
        "results-format-for-construct",
        "unknown-format",
        "too-long",
        "put",
        "read-only-has-no-update",
    ],
)
def test_errors_are_problem_details(
    client: TestClient, method: str, kwargs: dict[str, object], status: int, slug: str
) -> None:
    kwargs = dict(kwargs)  # the same case runs on each backend: leave the parameters as they were
    url = str(kwargs.pop("url", "/sparql"))
    r = getattr(client, method)(url, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"] == f"/problems/{slug}"
    assert problem["status"] == status
    assert problem["detail"]


def test_syntax_error_gives_position(client: TestClient) -> None:
    detail = client.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p }"}).json()["detail"]
    assert "2:" in detail


def test_not_acceptable_names_the_offers(client: TestClient) -> None:
    detail = client.get("/sparql", params={"query": "ASK {}"}, headers={"accept": "image/png"}).json()["detail"]
    assert "application/sparql-results+json" in detail and "text/turtle" in detail


def test_service_description(client: TestClient, store: ox.Store) -> None:
    r = client.get("/sparql")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    g = _graph(r.content, ox.RdfFormat.TURTLE)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    service = URIRef("http://testserver/sparql")
    assert (service, URIRef(sd + "endpoint"), service) in g
    assert (service, URIRef(sd + "feature"), URIRef(sd + "UnionDefaultGraph")) in g
    formats = set(g.objects(service, URIRef(sd + "resultFormat")))
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert URIRef("http://www.w3.org/ns/formats/Turtle") in formats
    names = {str(n) for n in g.objects(None, URIRef(sd + "name"))}
    assert names == {str(n.value) for n in store.named_graphs()}
    assert (service, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Update")) not in g
    jsonld = client.get("/sparql", headers={"accept": "application/ld+json"})
    assert jsonld.headers["content-type"] == "application/ld+json"
    assert isomorphic(_graph(jsonld.content, ox.RdfFormat.JSON_LD), g)


def test_browser_without_query_goes_to_the_query_page(client: TestClient) -> None:
    r = client.get("/sparql", headers={"accept": "text/html,*/*;q=0.8"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/query"


def test_cors(client: TestClient) -> None:
    r = client.options(
        "/sparql",
        headers={"origin": "https://example.org", "access-control-request-method": "POST"},
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] in ("*", "https://example.org")
    got = client.get("/sparql", params={"query": "ASK {}"}, headers={"origin": "https://example.org"})
    assert got.headers["access-control-allow-origin"] in ("*", "https://example.org")


# pages.py registers one function on several paths; FastAPI warns about the repeated operation id
@pytest.mark.filterwarnings("ignore:Duplicate Operation ID:UserWarning")
def test_openapi_documents_the_endpoint(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"get", "post"} <= set(spec["paths"]["/sparql"])
    params = {p["name"] for p in spec["paths"]["/sparql"]["get"]["parameters"]}
    assert {"query", "default-graph-uri", "named-graph-uri", "format"} <= params


def test_access_log_has_duration(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="kg.access"):
        client.get("/sparql", params={"query": "ASK {}"})
    line = next(r.getMessage() for r in caplog.records if r.name == "kg.access")
    assert '"GET /sparql" 200' in line and line.endswith("ms")


@pytest.mark.parametrize(
    ("accept", "offers", "expected"),
    [
        (None, ["a/b", "c/d"], "a/b"),
        ("", ["a/b", "c/d"], "a/b"),
        ("c/d", ["a/b", "c/d"], "c/d"),
        ("c/*;q=0.9, a/b;q=0.1", ["a/b", "c/d"], "c/d"),
        ("*/*;q=0.1, a/b;q=0", ["a/b", "c/d"], "c/d"),
        ("a/b;q=0.5, */*;q=0.5", ["c/d", "a/b"], "a/b"),
        ("x/y", ["a/b"], None),
        ("application/json", ["application/sparql-results+json"], "application/sparql-results+json"),
        ("garbage, c/d", ["a/b", "c/d"], "c/d"),
    ],
    ids=[
        "none",
        "empty",
        "exact",
        "q-values",
        "q-zero-excludes",
        "specific-beats-wildcard",
        "none-match",
        "alias",
        "malformed-skipped",
    ],
)
def test_choose(accept: str | None, offers: list[str], expected: str | None) -> None:
    canonical = {"application/json": "application/sparql-results+json"}.get
    assert choose(accept, offers, canonical=canonical) == expected


def test_parse_accept_params() -> None:
    (r,) = parse_accept('text/turtle; charset="utf-8"; q=0.3')
    assert (r.type, r.subtype, r.q, r.params) == ("text", "turtle", 0.3, (("charset", "utf-8"),))


def test_json_results_are_valid_json(client: TestClient) -> None:
    r = client.post("/sparql", data={"query": SELECT}, headers={"accept": "application/sparql-results+json"})
    json.loads(r.content)
