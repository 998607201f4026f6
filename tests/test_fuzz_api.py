"""Property-based tests of the HTTP API, on both backends: random and mutated queries, RDF bodies and headers
never get a 500 or a hang, and every error is an RFC 9457 problem with a detail."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.exceptions import StarletteDeprecationWarning

from kg.api.app import create_app
from kg.settings import Settings
from kg.stores import Store
from tests.backends import OxigraphServers
from tests.conftest import ROOT
from tests.test_safety import own_server

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

TIMEOUT = 1.5  # the query time limit here: a mutation that makes a cartesian product costs this much
BOUND = TIMEOUT + 10.0  # the longest any answer may take: the limit, a worker's replacement, validation
FUZZ = hypothesis_settings(
    max_examples=100,
    deadline=None,  # a single example may legitimately take TIMEOUT; BOUND is checked per request instead
    database=None,  # no .hypothesis folder in the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

QUERIES = [p.read_text() for p in sorted((ROOT / "kg" / "queries" / "examples").glob("*.rq"))] + [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 5",
    "ASK { ?s a ?t }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5",
    "DESCRIBE <https://w3id.org/learning-cities/id/city/casablanca>",
    "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY DESC(?n)",
]
assert len(QUERIES) > 5, "no competency queries found"
VOCABULARY = [
    *"{}().,;*?$<>\"'#|/^!+-=",
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "SERVICE",
    "VALUES", "BIND", "AS", "LIMIT", "OFFSET", "ORDER BY", "GROUP BY", "HAVING", "COUNT(*)", "REGEX(?x, '(a+)+$')",
    "INSERT DATA", "DELETE", "LOAD", "CLEAR ALL", "PREFIX x: <http://x/>", "BASE <http://x/>", "<http://127.0.0.1:1/>",
    "?s", "?o", "_:b", "[]", "()", "1e999", "-0", '"\\u0000"', "'''", '"""', "\\U0010FFFF", "\x00", "\ufeff",
    "rdfs:label", "a", "*", "+", "{" * 50, "}" * 50,
]  # fmt: skip
MEDIA_TYPES = [
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
    "text/turtle", "application/n-triples", "application/n-quads", "application/trig", "application/ld+json",
    "application/rdf+xml", "text/html", "application/json", "*/*", "text/*", "image/png", "application/xhtml+xml",
    "application/sparql-query", "application/sparql-update", "application/x-www-form-urlencoded",
    "multipart/form-data", "multipart/form-data; boundary=x", "text/plain",
]  # fmt: skip
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120)
Q_VALUES = st.sampled_from(["1", "0", "0.5", "1e999", "-1", "NaN", "inf", "2", "0.0000001", "", "q", "1" * 400])


@st.composite
def media_ranges(draw: st.DrawFn) -> str:
    ranges = []
    for _ in range(draw(st.integers(1, 4))):
        media = draw(st.one_of(st.sampled_from(MEDIA_TYPES), HEADER_TEXT))
        params = draw(st.lists(st.one_of(Q_VALUES.map(lambda q: f"q={q}"), HEADER_TEXT), max_size=3))
        ranges.append(";".join([media, *params]))
    return ",".join(ranges)


ACCEPT = st.one_of(st.none(), media_ranges(), HEADER_TEXT)
LANGUAGES = st.one_of(
    st.none(),
    HEADER_TEXT,
    st.lists(
        st.tuples(st.sampled_from(["en", "fr", "ar", "ar-MA", "*", "zz", "en-GB-oed", "x" * 300]), Q_VALUES),
        max_size=4,
    ).map(lambda items: ", ".join(f"{tag};q={q}" for tag, q in items)),
)


@st.composite
def mutated_queries(draw: st.DrawFn) -> str:
    tokens = draw(st.sampled_from(QUERIES)).split()
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(tokens)))
        action = draw(st.sampled_from(["delete", "insert", "swap", "duplicate"]))
        if action == "insert" or not tokens:
            tokens.insert(where, draw(st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=8))))
            continue
        where = min(where, len(tokens) - 1)
        if action == "delete":
            del tokens[where]
        elif action == "swap":
            other = draw(st.integers(0, len(tokens) - 1))
            tokens[where], tokens[other] = tokens[other], tokens[where]
        else:
            tokens.insert(where, tokens[where])
    return " ".join(tokens)


QUERY_TEXT = st.one_of(st.sampled_from(QUERIES), mutated_queries(), st.text(max_size=200))


def headers(**values: str | None) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in values.items() if v is not None}


def check(response: httpx.Response, took: float) -> None:
    """No server error, no hang; an error is a problem+json with a detail (or a page, for a browser)."""
    assert took < BOUND, f"{took:.1f} s"
    assert response.status_code != 500, response.text[:1000]
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("text/html"):
        accept = response.request.headers.get("accept", "")
        assert "html" in accept or "*" in accept, accept  # the upload page shows its errors to browsers
        assert "<p" in response.text
    elif response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), response.text[:300]
        body = response.json()
        assert body["status"] == response.status_code
        assert isinstance(body["detail"], str) and body["detail"].strip()


@pytest.fixture(scope="module")
def client(
    settings: Settings, backend: str, api_store: Store, store: ox.Store, oxigraph_servers: OxigraphServers
) -> Iterator[TestClient]:
    fuzzing = replace(settings, query_timeout=TIMEOUT, query_workers=2, max_result_rows=1000)
    if backend != "oxigraph":
        with TestClient(create_app(fuzzing, store=api_store)) as client:
            yield client
        return
    # a server of its own, stopped with the module: a mutation may make an aggregate over a cartesian product,
    # which Oxigraph goes on counting after the API has given up on it
    with (
        own_server(oxigraph_servers, store, timeout=TIMEOUT) as dataset,
        TestClient(create_app(fuzzing, store=dataset)) as client,
    ):
        yield client


@FUZZ
@given(query=QUERY_TEXT, accept=ACCEPT, accept_language=LANGUAGES)
def test_get_sparql(client: TestClient, query: str, accept: str | None, accept_language: str | None) -> None:
    started = time.monotonic()
    response = client.get("/sparql", params={"query": query}, headers=headers(accept=accept))
    check(response, time.monotonic() - started)


@FUZZ
@given(
    query=QUERY_TEXT,
    content_type=st.one_of(st.none(), st.sampled_from(MEDIA_TYPES), HEADER_TEXT),
    form=st.booleans(),
    accept=ACCEPT,
    extra=st.dictionaries(
        st.sampled_from(["format", "default-graph-uri", "named-graph-uri", "update", "x"]), HEADER_TEXT
    ),
)
def test_post_sparql(
    client: TestClient, query: str, content_type: str | None, form: bool, accept: str | None, extra: dict[str, str]
) -> None:
    started = time.monotonic()
    if form:
        response = client.post("/sparql", data={"query": query, **extra}, headers=headers(accept=accept))
    else:
        sent = headers(accept=accept, content_type=content_type)
        response = client.post("/sparql", params=extra, content=query.encode("utf-8", "surrogatepass"), headers=sent)
    check(response, time.monotonic() - started)


FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


@cache
def documents() -> list[tuple[str, bytes]]:
    """Each example of examples/ that parses, in every accepted format."""
    found = []
    for path in sorted((ROOT / "examples").glob("*.ttl")):
        try:
            quads = list(ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE, base_iri="http://example.org/"))
        except SyntaxError:
            continue
        for media, fmt in FORMATS.items():
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
            found.append((media, ox.serialize(quads if fmt.supports_datasets else triples, format=fmt)))
    assert found, "no examples found"
    return found


@st.composite
def rdf_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    media, body = draw(st.sampled_from(documents()))
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, len(body)))
        end = draw(st.integers(start, min(len(body), start + 40)))
        piece = draw(st.one_of(st.binary(max_size=20), st.sampled_from([b"<", b'"', b"{", b"@", b"&e;", b"\xff\xfe"])))
        body = body[:start] + piece + body[end:]
    return media, body


@hypothesis_settings(FUZZ, max_examples=25)  # each one may run the SHACL validation (~1 s)
@given(
    document=rdf_bodies(),
    content_type=st.one_of(st.none(), st.sampled_from([*FORMATS, *MEDIA_TYPES]), HEADER_TEXT),
    declared=st.booleans(),
    accept=ACCEPT,
    accept_language=LANGUAGES,
)
def test_post_validate(
    client: TestClient,
    document: tuple[str, bytes],
    content_type: str | None,
    declared: bool,
    accept: str | None,
    accept_language: str | None,
) -> None:
    media, body = document
    sent = headers(content_type=media if declared else content_type, accept=accept, accept_language=accept_language)
    started = time.monotonic()
    response = client.post("/validate", content=body, headers=sent)
    check(response, time.monotonic() - started)


PAGES = ["/", "/query", "/def/", "/def/Actor", "/id/city/casablanca", "/graph/", "/.well-known/void", "/health",
         "/sparql", "/validate", "/reconcile", "/submissions", "/export"]  # fmt: skip


def test_get_pages(client: TestClient, backend: str) -> None:
    # a page reads an external store with tens of queries (/def/ over 200): fewer examples there, where the
    # code that handles the request is the same and tests/test_pages.py crawls every page
    @hypothesis_settings(FUZZ, max_examples=FUZZ.max_examples if backend == "embedded" else 30)
    @given(
        path=st.one_of(st.sampled_from(PAGES), st.sampled_from(PAGES).map(lambda p: p + "/x"), HEADER_TEXT),
        params=st.dictionaries(st.sampled_from(["format", "lang", "query", "queries", "prefix", "id"]), HEADER_TEXT),
        accept=ACCEPT,
        accept_language=LANGUAGES,
    )
    def get(path: str, params: dict[str, str], accept: str | None, accept_language: str | None) -> None:
        started = time.monotonic()
        url = path if path.startswith("/") else "/" + path
        response = client.get(url, params=params, headers=headers(accept=accept, accept_language=accept_language))
        check(response, time.monotonic() - started)

    get()


def test_examples_cover_every_format() -> None:
    assert {media for media, _ in documents()} == set(FORMATS)
    assert Path(ROOT / "examples").is_dir()
