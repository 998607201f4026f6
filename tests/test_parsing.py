"""Safe parsing of submitted RDF: formats, positions in errors, and nothing fetched or read from disk."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from kg.errors import BadRequestError, DataSyntaxError, UnsupportedMediaTypeError
from kg.parsing import format_for_filename, format_for_media_type, parse_data, to_rdflib

EX = "http://example.org/"
RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/"'


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'{"@context": {"name": "http://example.org/leaked"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request it gets."""
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-VALUE")
    return path


@pytest.mark.parametrize(
    ("content_type", "name"),
    [
        ("text/turtle", "Turtle"),
        ("text/turtle; charset=utf-8", "Turtle"),
        ("application/trig", "TriG"),
        ("application/n-triples", "N-Triples"),
        ("application/n-quads", "N-Quads"),
        ("application/ld+json", "JSON-LD"),
        ("application/rdf+xml", "RDF/XML"),
    ],
)
def test_accepted_media_types(content_type: str, name: str) -> None:
    assert format_for_media_type(content_type).name == name


@pytest.mark.parametrize("content_type", [None, "", "text/n3", "image/png", "application/x-www-form-urlencoded"])
def test_unsupported_media_types(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as e:
        format_for_media_type(content_type)
    assert "text/turtle" in e.value.detail


@pytest.mark.parametrize(
    ("name", "expected"), [("a.ttl", "Turtle"), ("a.TRIG", "TriG"), ("a.rdf", "RDF/XML"), ("a.txt", None)]
)
def test_format_for_filename(name: str, expected: str | None) -> None:
    fmt = format_for_filename(name)
    assert (fmt.name if fmt else None) == expected


def test_turtle_triples_and_hash() -> None:
    data = f'<{EX}a> <{EX}p> "x"@en , "y" .'.encode()
    parsed = parse_data(data, ox.RdfFormat.TURTLE)
    assert len(parsed.triples) == 2
    assert parsed.sha256 == hashlib.sha256(data).hexdigest()
    graph = to_rdflib(parsed.triples)
    assert (rdflib.URIRef(f"{EX}a"), rdflib.URIRef(f"{EX}p"), rdflib.Literal("y")) in graph


def test_graph_names_are_dropped() -> None:
    data = f"<{EX}g1> {{ <{EX}a> <{EX}p> <{EX}b> . }}\n<{EX}g2> {{ <{EX}a> <{EX}p> <{EX}c> . }}".encode()
    parsed = parse_data(data, ox.RdfFormat.TRIG)
    assert parsed.graph_names == 2
    assert all(isinstance(t, ox.Triple) for t in parsed.triples)
    assert len(parsed.triples) == 2


@pytest.mark.parametrize(
    ("fmt", "data", "position"),
    [
        (ox.RdfFormat.TURTLE, f'<{EX}a> <{EX}p> <{EX}b> .\n<{EX}a> <{EX}p> "open', ":2:"),
        (ox.RdfFormat.N_TRIPLES, f"<{EX}a> <{EX}p> <{EX}b> .\n\n<{EX}a> <{EX}p> 1 .", ":3:"),
        (ox.RdfFormat.JSON_LD, '{\n  "@id": "http://example.org/a",\n  "http://example.org/p": [1,}', ":3:"),
        (ox.RdfFormat.RDF_XML, f"<rdf:RDF {RDF_NS}>\n <rdf:Description>\n <ex:p>1</ex:q>", ":3:"),
        (ox.RdfFormat.TURTLE, "<relative> <p> <o> .", ":1:"),
    ],
    ids=["turtle", "ntriples", "jsonld", "rdfxml", "relative-iri"],
)
def test_syntax_errors_name_line_and_column(fmt: ox.RdfFormat, data: str, position: str) -> None:
    with pytest.raises(DataSyntaxError) as e:
        parse_data(data.encode(), fmt, source="upload.x")
    assert f"upload.x{position}" in e.value.detail


def test_not_utf8_names_position() -> None:
    with pytest.raises(DataSyntaxError, match=r"the data:2:4: not UTF-8"):
        parse_data(b'<http://a> <http://b> "x" .\n<ht\xe9', ox.RdfFormat.TURTLE)


@pytest.mark.parametrize("data", [b"", b"  \n\t "])
def test_empty(data: bytes) -> None:
    with pytest.raises(BadRequestError, match="empty"):
        parse_data(data, ox.RdfFormat.TURTLE)


def test_rdf12_triple_terms_refused() -> None:
    data = f"<{EX}a> <{EX}p> <<( <{EX}a> <{EX}b> <{EX}c> )>> .".encode()
    with pytest.raises(DataSyntaxError, match="triple terms"):
        parse_data(data, ox.RdfFormat.TURTLE)


def _xml_with_dtd(dtd: str, value: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ {dtd} ]>\n<rdf:RDF {RDF_NS}>\n'
        f'<rdf:Description rdf:about="{EX}s"><ex:p>{value}</ex:p></rdf:Description>\n</rdf:RDF>'
    ).encode()


def test_rdfxml_external_file_entity_not_resolved(secret: Path) -> None:
    data = _xml_with_dtd(f'<!ENTITY xxe SYSTEM "file://{secret}">', "&xxe;")
    with pytest.raises(DataSyntaxError) as e:
        parse_data(data, ox.RdfFormat.RDF_XML)
    assert "TOP-SECRET" not in e.value.detail
    assert "DOCTYPE" in e.value.detail


def test_rdfxml_external_http_entity_not_fetched(listener: tuple[str, list[str]]) -> None:
    url, hits = listener
    for dtd, value in [
        (f'<!ENTITY web SYSTEM "{url}/entity">', "&web;"),
        (f'<!ENTITY % p SYSTEM "{url}/param"> %p;', "x"),
    ]:
        with pytest.raises(DataSyntaxError):
            parse_data(_xml_with_dtd(dtd, value), ox.RdfFormat.RDF_XML)
    assert hits == []


def test_rdfxml_entity_expansion_refused() -> None:
    # a "billion laughs": pyoxigraph itself would expand this to 10**9 characters
    levels = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    with pytest.raises(DataSyntaxError, match="entities are not resolved"):
        parse_data(_xml_with_dtd(levels, "&l9;"), ox.RdfFormat.RDF_XML)


def test_rdfxml_without_dtd_parses() -> None:
    data = f'<rdf:RDF {RDF_NS}><rdf:Description rdf:about="{EX}s"><ex:p>v</ex:p></rdf:Description></rdf:RDF>'
    assert len(parse_data(data.encode(), ox.RdfFormat.RDF_XML).triples) == 1


def test_jsonld_remote_context_never_fetched(listener: tuple[str, list[str]]) -> None:
    url, hits = listener
    for context in [f'"{url}/ctx.jsonld"', f'["{url}/a.jsonld", {{"x": "{EX}x"}}]', f'{{"@import": "{url}/i"}}']:
        doc = f'{{"@context": {context}, "@id": "{EX}a", "name": "n"}}'
        with pytest.raises(DataSyntaxError, match="not fetched"):
            parse_data(doc.encode(), ox.RdfFormat.JSON_LD)
    nested = f'{{"@id": "{EX}a", "{EX}p": {{"@context": "{url}/nested", "@id": "{EX}b"}}}}'
    with pytest.raises(DataSyntaxError, match="not fetched"):
        parse_data(nested.encode(), ox.RdfFormat.JSON_LD)
    assert hits == []


def test_pyoxigraph_itself_has_no_document_loader(listener: tuple[str, list[str]]) -> None:
    # the guarantee under our own check: even unguarded, pyoxigraph refuses to load a remote context
    url, hits = listener
    doc = f'{{"@context": "{url}/ctx.jsonld", "@id": "{EX}a", "name": "n"}}'.encode()
    with pytest.raises(SyntaxError, match="LoadDocumentCallback"):
        list(ox.parse(doc, format=ox.RdfFormat.JSON_LD))
    assert hits == []


def test_jsonld_shipped_context_is_inlined() -> None:
    doc = (
        '{"@context": "https://w3id.org/learning-cities/context.jsonld", "id": "http://example.org/c", '
        '"type": "City", "label": {"en": "Exampleville", "ar": "مدينة المثال"}, "lat": "12.5"}'
    )
    graph = to_rdflib(parse_data(doc.encode(), ox.RdfFormat.JSON_LD).triples)
    c = rdflib.URIRef(f"{EX}c")
    assert (c, rdflib.RDF.type, rdflib.URIRef("https://w3id.org/learning-cities/def/City")) in graph
    assert (c, rdflib.RDFS.label, rdflib.Literal("مدينة المثال", lang="ar")) in graph
    lat = graph.value(c, rdflib.URIRef("http://www.w3.org/2003/01/geo/wgs84_pos#lat"))
    assert isinstance(lat, rdflib.Literal)
    assert lat.datatype == rdflib.XSD.decimal
