"""POST /validate over real HTTP (TestClient) against the real curated store: examples, formats, answers, errors."""

from __future__ import annotations

import asyncio
import http.server
import threading
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import SH
from starlette.exceptions import StarletteDeprecationWarning

from kg.api.app import create_app
from kg.loading import load_files, project_files
from kg.parsing import parse_data, to_rdflib
from kg.settings import Settings
from kg.stores import Store

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHAPES = "https://w3id.org/learning-cities/shapes/"
TURTLE = {"Content-Type": "text/turtle"}

# every example, and the one rule each invalid one breaks (None: it conforms)
EXPECTED = {
    "valid-city": None,
    "invalid-missing-english-label": "Entity-labelEn",
    "invalid-coordinates-out-of-range": "Coordinates-lat",
    "invalid-membership-before-network": "Membership-startAfterLaunch",
    "invalid-wikidata-id": "SameAs-wikidataForm",
    "invalid-unknown-country": "StoreCheck-unknownReference",
    "invalid-duplicate": "StoreCheck-probableDuplicate",
    "invalid-not-a-city": "DataCheck-noCity",
}
assert sorted(EXPECTED) == sorted(p.stem for p in EXAMPLES.glob("*.ttl") if p.stem != "invalid-syntax")


@pytest.fixture(scope="module")
def client(settings: Settings, api_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=api_store)) as client:
        yield client


def example(name: str) -> bytes:
    return (EXAMPLES / f"{name}.ttl").read_bytes()


def post(client: TestClient, data: bytes, **headers: str) -> Any:
    return client.post("/validate", content=data, headers={**TURTLE, **headers})


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example(client: TestClient, name: str) -> None:
    response = post(client, example(name))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    report = response.json()
    rule = EXPECTED[name]
    violations = [r for r in report["results"] if r["severity"] == "Violation"]
    assert report["conforms"] is (rule is None), report
    assert report["counts"]["Violation"] == len(violations)
    if rule is not None:
        assert violations
        assert {r["sourceShape"] for r in violations} == {SHAPES + rule}, violations
        for r in violations:
            assert r["message"] and r["hint"] and r["focusNode"]


def test_valid_example_has_no_warnings_either(client: TestClient) -> None:
    assert post(client, example("valid-city")).json()["results"] == []


def test_duplicate_names_the_stored_city(client: TestClient) -> None:
    results = post(client, example("invalid-duplicate")).json()["results"]
    fez = "https://w3id.org/learning-cities/id/city/fez"
    by_path = {r["path"]: r for r in results}
    same_as = by_path["http://www.w3.org/2002/07/owl#sameAs"]
    assert same_as["value"] == {"type": "uri", "value": "http://www.wikidata.org/entity/Q80985"}
    assert f"<{fez}>" in same_as["message"]
    assert "city:fez" in same_as["hint"]
    names = {r["value"]["value"] for r in results if r["path"] == str(rdflib.RDFS.label)}
    assert names == {"Fes", "Fès", "فاس"}  # case and accents set aside, in all three languages


def test_unknown_country_is_one_result_not_two(client: TestClient) -> None:
    # the shape's sh:class result on the same value is replaced by the clearer store check
    results = post(client, example("invalid-unknown-country")).json()["results"]
    assert len(results) == 1
    assert results[0]["value"]["value"] == "https://w3id.org/learning-cities/id/country/atlantis"
    assert "not in the graph" in results[0]["message"]


def test_not_a_city_says_so(client: TestClient) -> None:
    (result,) = post(client, example("invalid-not-a-city")).json()["results"]
    assert "describes no city" in result["message"]
    assert "schema:Book" in result["message"]


def test_membership_rule_uses_the_stored_launch_year(client: TestClient) -> None:
    (result,) = post(client, example("invalid-membership-before-network")).json()["results"]
    assert result["value"]["value"] == "2010-05-01"
    assert result["focusNode"].endswith("/membership/exampleville-east-gnlc")
    assert "2010-05-01" in result["message"]


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        (None, "Every entity needs an English rdfs:label"),
        ("fr-FR, fr;q=0.9, en;q=0.5", "Toute entité doit avoir un rdfs:label en anglais"),
        ("de, ar;q=0.8, fr;q=0.7", "يجب أن يكون لكل كيان تسمية"),
        ("de", "Every entity needs an English rdfs:label"),
    ],
    ids=["none", "fr", "ar-by-q", "unknown"],
)
def test_messages_follow_accept_language(client: TestClient, accept_language: str | None, expected: str) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    report = post(client, example("invalid-missing-english-label"), **headers).json()
    (result,) = report["results"]
    assert result["message"].startswith(expected)
    assert report["language"] in ("en", "fr", "ar")


def test_sparql_messages_keep_their_language(client: TestClient) -> None:
    # pySHACL drops the language of SPARQL-based messages; the report rebuilds them from the shape
    fr = post(client, example("invalid-membership-before-network"), **{"Accept-Language": "fr"}).json()
    assert "précède" in fr["results"][0]["message"]
    assert "Corrigez" in fr["results"][0]["hint"]


def _serialized(fmt: ox.RdfFormat) -> bytes:
    triples = list(ox.parse(example("valid-city"), format=ox.RdfFormat.TURTLE))
    if fmt.supports_datasets:
        g = ox.NamedNode("https://example.org/some-graph")
        return ox.serialize([ox.Quad(q.subject, q.predicate, q.object, g) for q in triples], format=fmt)
    return ox.serialize([q.triple for q in triples], format=fmt)


@pytest.mark.parametrize(
    "fmt",
    [ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML],
    ids=lambda f: f.name,
)
def test_every_format(client: TestClient, fmt: ox.RdfFormat) -> None:
    report = post(client, _serialized(fmt), **{"Content-Type": f"{fmt.media_type}; charset=utf-8"}).json()
    assert report["conforms"] is True, report
    assert bool(report["notes"]) is fmt.supports_datasets  # named graphs are merged, and the report says so


def test_jsonld_with_the_shipped_context(client: TestClient) -> None:
    doc = """{
      "@context": "https://w3id.org/learning-cities/context.jsonld",
      "id": "https://w3id.org/learning-cities/id/city/exampleville-jsonld",
      "type": "LearningCity",
      "label": {"en": "Exampleville JSON", "fr": "Exempleville JSON", "ar": "مدينة المثال جيسون"},
      "lat": "30.5", "long": "-8.25",
      "country": "https://w3id.org/learning-cities/id/country/morocco"
    }"""
    report = post(client, doc.encode(), **{"Content-Type": "application/ld+json"}).json()
    assert report["conforms"] is True, report


def test_turtle_and_jsonld_reports_are_the_same_graph(client: TestClient) -> None:
    data = example("invalid-unknown-country")
    turtle = post(client, data, Accept="text/turtle")
    jsonld = post(client, data, Accept="application/ld+json")
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert "Accept" in turtle.headers["vary"]
    a = rdflib.Graph().parse(data=turtle.text, format="turtle")
    b = to_rdflib(parse_data(jsonld.content, ox.RdfFormat.JSON_LD).triples)  # rdflib's JSON-LD parser warns
    assert isomorphic(a, b)
    report = a.value(predicate=rdflib.RDF.type, object=SH.ValidationReport, any=False)
    assert a.value(report, SH.conforms) == rdflib.Literal(False)
    # the store check is in the SHACL graph too, as a result like any other
    (result,) = a.objects(report, SH.result)
    assert a.value(result, SH.sourceShape) == rdflib.URIRef(SHAPES + "StoreCheck-unknownReference")
    assert a.value(result, SH.resultSeverity) == SH.Violation


def test_turtle_report_of_conforming_data(client: TestClient) -> None:
    graph = rdflib.Graph().parse(data=post(client, example("valid-city"), Accept="text/turtle").text)
    assert (None, SH.conforms, rdflib.Literal(True)) in graph
    assert not list(graph.subjects(rdflib.RDF.type, SH.ValidationResult))


def test_html_report_grouped_and_escaped(client: TestClient) -> None:
    evil = example("invalid-coordinates-out-of-range").replace(
        b'"Exampleville North"@en', b'"<script>alert(1)</script>"@en'
    )
    page = post(client, evil, Accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('<section class="focus">') == 1
    assert 'enctype="multipart/form-data"' in html
    assert "between -90 and 90" in html


def test_html_in_arabic_is_rtl(client: TestClient) -> None:
    page = post(client, example("invalid-coordinates-out-of-range"), Accept="text/html", **{"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "خط عرض" in page.text


def test_get_validate_is_the_upload_page(client: TestClient) -> None:
    page = client.get("/validate", params={"lang": "fr"})
    assert page.status_code == 200
    assert '<input type="file" name="file"' in page.text
    assert "Valider des données de villes" in page.text


def test_html_page_shows_a_syntax_error(client: TestClient) -> None:
    page = client.post(
        "/validate",
        data={"data": example("invalid-syntax").decode(), "format": "text/turtle"},
        headers={"Accept": "text/html"},
    )
    assert page.status_code == 400
    assert "the pasted data:9:68" in page.text
    assert "Exampleville@en" in page.text  # the pasted data is back in the form, escaped


@pytest.mark.parametrize(
    ("filename", "content_type", "fmt"),
    [
        ("city.ttl", "application/octet-stream", "auto"),  # what browsers send: the extension decides
        ("city.data", "text/turtle", "auto"),  # a known content type decides
        ("city.data", "application/octet-stream", "text/turtle"),  # the form's choice decides
    ],
    ids=["by-extension", "by-content-type", "by-choice"],
)
def test_multipart_upload(client: TestClient, filename: str, content_type: str, fmt: str) -> None:
    response = client.post(
        "/validate",
        files={"file": (filename, example("invalid-coordinates-out-of-range"), content_type)},
        data={"format": fmt},
    )
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["sourceShape"] == SHAPES + "Coordinates-lat"


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "urlencoded"])
def test_form_with_pasted_text(client: TestClient, multipart: bool) -> None:
    fields = {"data": example("valid-city").decode(), "format": "auto"}
    if multipart:  # a (None, value) part is a plain field, and makes the body multipart
        response = client.post("/validate", files={k: (None, v) for k, v in fields.items()})
    else:
        response = client.post("/validate", data=fields)
    assert response.json()["conforms"] is True


def test_multipart_unknown_file_type(client: TestClient) -> None:
    response = client.post("/validate", files={"file": ("city.docx", b"PK...", "application/octet-stream")})
    assert response.status_code == 415
    assert "text/turtle" in response.json()["detail"]


@pytest.fixture(scope="module")
def small(settings: Settings, store: ox.Store) -> Iterator[TestClient]:
    """An app with a body limit of 1 KiB."""
    with TestClient(create_app(replace(settings, max_body_bytes=1024, query_workers=1), store=store)) as client:
        yield client


def _chunks(total: int, size: int = 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"#" * min(size, total - sent) + b"\n"
        sent += size


@pytest.mark.parametrize(
    ("request_kwargs", "status", "slug", "detail"),
    [
        ({"content": b"", "headers": TURTLE}, 400, "bad-request", "empty"),
        ({"content": b"  \n ", "headers": TURTLE}, 400, "bad-request", "empty"),
        ({"content": example("invalid-syntax"), "headers": TURTLE}, 400, "data-syntax", "the body:9:68:"),
        ({"content": b"<a> <b> <c> .", "headers": TURTLE}, 400, "data-syntax", "the body:1:1:"),
        ({"content": b"x", "headers": {"Content-Type": "image/png"}}, 415, "unsupported-media-type", "text/turtle"),
        ({"content": b"x", "headers": {"Content-Type": "text/n3"}}, 415, "unsupported-media-type", "text/turtle"),
        ({"content": b"x"}, 415, "unsupported-media-type", "no Content-Type"),
        ({"data": {"x": "y"}}, 400, "bad-request", "the form holds no data"),
        ({"content": b"x", "headers": {**TURTLE, "Accept": "image/png"}}, 406, "not-acceptable", "text/turtle"),
        (
            {"content": b"--x\r\n", "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
            400,
            "bad-request",
            "form",
        ),
        (
            {"content": b"#" * 2048, "headers": {**TURTLE, "Content-Length": "2048"}},
            413,
            "too-large",
            "2048 bytes",
        ),
        ({"content": _chunks(5000), "headers": TURTLE}, 413, "too-large", "limit of 1024"),
    ],
    ids=[
        "empty",
        "blank",
        "malformed",
        "relative-iri",
        "png",
        "n3",
        "no-content-type",
        "urlencoded-form",
        "not-acceptable",
        "broken-multipart",
        "content-length",
        "chunked",
    ],
)
def test_bad_input(small: TestClient, request_kwargs: dict[str, Any], status: int, slug: str, detail: str) -> None:
    response = small.post("/validate", **request_kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"/problems/{slug}"
    assert detail in problem["detail"]


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"@context": {}}')

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Recorder,), {"hits": hits}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_remote_context_and_external_entities_are_not_fetched(
    client: TestClient, listener: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, hits = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    jsonld = f'{{"@context": "{url}/context.jsonld", "@id": "https://example.org/a", "name": "x"}}'
    response = post(client, jsonld.encode(), **{"Content-Type": "application/ld+json"})
    assert response.status_code == 400
    assert "not fetched" in response.json()["detail"]
    for entity in (f"file://{secret}", f"{url}/entity"):
        xml = (
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "{entity}">]>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
            '<rdf:Description rdf:about="http://example.org/s"><ex:p>&e;</ex:p></rdf:Description></rdf:RDF>'
        )
        response = post(client, xml.encode(), **{"Content-Type": "application/rdf+xml"})
        assert response.status_code == 400
        assert "TOP-SECRET" not in response.text
    assert hits == []


def test_streamed_body_stops_being_read_at_the_limit(settings: Settings, store: ox.Store) -> None:
    """At the ASGI level, without a Content-Length: the app asks for no chunk after the one over the limit."""
    app = create_app(replace(settings, max_body_bytes=10_000), store=store)
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"#" * 1000 + b"\n", "more_body": pulled < 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/validate",
        "raw_path": b"/validate",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"text/turtle"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert pulled <= 11  # 10 chunks fit, the 11th passes the limit; the 989 others are never read


def test_stored_problems_are_not_reported(settings: Settings, tmp_path: Path) -> None:
    """Only the submission is validated: a stored city that breaks a rule does not show up in the report."""
    store = ox.Store()
    load_files(store, project_files(ROOT, settings.base_iri), base=settings.base_iri)
    broken = ox.NamedNode("https://w3id.org/learning-cities/id/city/fez")
    lat = ox.NamedNode("http://www.w3.org/2003/01/geo/wgs84_pos#lat")
    store.add(ox.Quad(broken, lat, ox.Literal("200.0"), ox.NamedNode("https://example.org/g")))
    with TestClient(create_app(settings, store=store)) as c:
        report = post(c, example("valid-city")).json()
    assert report["conforms"] is True
    assert report["results"] == []
