"""Parsing submitted RDF safely: a declared format, no network, no file access, errors with line and column.

pyoxigraph does the parsing. Its JSON-LD parser has no document loader, so a remote `@context` is never
fetched; the few contexts in `kg/contexts/` are inlined before parsing instead. Its RDF/XML parser expands
internal entities without a limit, so any RDF/XML with a DOCTYPE is refused before it reaches the parser.
Graph names in TriG and N-Quads are dropped: submitted data is one graph, whatever the input names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from xml.parsers import expat

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from kg.errors import BadRequestError, DataSyntaxError, UnsupportedMediaTypeError

ACCEPTED_FORMATS = (
    ox.RdfFormat.TURTLE,
    ox.RdfFormat.TRIG,
    ox.RdfFormat.N_TRIPLES,
    ox.RdfFormat.N_QUADS,
    ox.RdfFormat.JSON_LD,
    ox.RdfFormat.RDF_XML,
)

# remote JSON-LD contexts we know and ship, by the IRI documents use for them
SHIPPED_CONTEXTS = {
    "https://w3id.org/learning-cities/context.jsonld": "learning-cities.jsonld",
}

_EXTENSIONS = {fmt.file_extension: fmt for fmt in ACCEPTED_FORMATS} | {
    "owl": ox.RdfFormat.RDF_XML,
    "json": ox.RdfFormat.JSON_LD,
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass(frozen=True)
class ParsedData:
    triples: list[ox.Triple]
    format: ox.RdfFormat
    sha256: str  # of the bytes as received
    graph_names: int  # named graphs in the input, whose triples were merged into one graph


def accepted_media_types() -> list[str]:
    """The media types a body may be sent as.

    >>> accepted_media_types()[:2]
    ['text/turtle', 'application/trig']
    """
    return [fmt.media_type for fmt in ACCEPTED_FORMATS]


def format_for_media_type(content_type: str | None) -> ox.RdfFormat:
    """The RDF format a Content-Type names (parameters such as charset are allowed).

    >>> format_for_media_type("text/turtle; charset=utf-8").name
    'Turtle'

    Raises:
        UnsupportedMediaTypeError: no Content-Type, or one that is not an accepted RDF format.
    """
    fmt = ox.RdfFormat.from_media_type(content_type) if content_type else None
    if fmt is None or fmt not in ACCEPTED_FORMATS:
        given = f"Content-Type {content_type!r} is not" if content_type else "no Content-Type is"
        raise UnsupportedMediaTypeError(
            f"{given} an RDF format accepted here; send one of {', '.join(accepted_media_types())}, "
            "or a multipart/form-data upload"
        )
    return fmt


def format_for_filename(name: str) -> ox.RdfFormat | None:
    """The RDF format a file name's extension suggests, or None.

    >>> format_for_filename("city.jsonld").name
    'JSON-LD'
    >>> format_for_filename("notes.txt") is None
    True
    """
    extension = name.rsplit(".", 1)[1].lower() if "." in name else ""
    return _EXTENSIONS.get(extension)


def parse_data(data: bytes, fmt: ox.RdfFormat, *, source: str = "the data") -> ParsedData:
    """Parse `data` as `fmt` into triples (graph names dropped). Relative IRIs are an error: there is no base.

    Raises:
        BadRequestError: the data is empty.
        DataSyntaxError: the data is not UTF-8, does not parse (the message names line and column where the
            parser reports them), uses a DOCTYPE (RDF/XML), a remote @context (JSON-LD) or RDF 1.2 terms.
    """
    if not data.strip():
        raise BadRequestError(f"{source} is empty: send RDF in one of {', '.join(accepted_media_types())}")
    text = _utf8(data, source)
    if fmt == ox.RdfFormat.RDF_XML:
        _check_xml(text, source)
    elif fmt == ox.RdfFormat.JSON_LD:
        data = _inline_contexts(text, source)
    triples: list[ox.Triple] = []
    graphs: set[ox.NamedNode | ox.BlankNode] = set()
    try:
        # fresh blank node ids: two documents' _:a must not become one node once stored together
        for quad in ox.parse(data, format=fmt, rename_blank_nodes=True):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                graphs.add(quad.graph_name)
            triple = quad.triple
            _check_rdf11(triple, source)
            triples.append(triple)
    except SyntaxError as e:
        raise DataSyntaxError(_where(source, fmt, e)) from None
    return ParsedData(triples, fmt, hashlib.sha256(data).hexdigest(), len(graphs))


def to_rdflib(triples: Iterable[ox.Triple], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """The triples as an rdflib graph (for pySHACL), term by term.

    >>> t = ox.Triple(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("x", language="en"))
    >>> list(to_rdflib([t]))[0][2].language
    'en'
    """
    graph = rdflib.Graph() if graph is None else graph
    add = graph.add
    for t in triples:
        add((term_to_rdflib(t.subject), term_to_rdflib(t.predicate), term_to_rdflib(t.object)))
    return graph


def term_to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph) -> Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        # a plain literal is an xsd:string in RDF 1.1; rdflib keeps the two apart, and data writes plain ones
        return rdflib.Literal(term.value, datatype=None if datatype == _XSD_STRING else datatype)
    raise TypeError(f"no rdflib term for {term!r}")


def term_to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph one (for storing a report graph).

    >>> term_to_ox(rdflib.Literal("x", lang="fr"))
    <Literal value=x language=fr>
    """
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)
    raise TypeError(f"no pyoxigraph term for {term!r}")


def _utf8(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise DataSyntaxError(f"{source}:{line}:{column}: not UTF-8 (byte 0x{data[e.start]:02x}); send UTF-8") from None


def _check_xml(text: str, source: str) -> None:
    """Refuse DTDs, then check well-formedness with expat, which reports line and column."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise DataSyntaxError(
            f"{source}: RDF/XML with a DOCTYPE or entity declarations is refused (entities are not resolved); "
            "write the IRIs out in full"
        )
    parser = expat.ParserCreate()
    try:
        parser.Parse(text, True)
    except expat.ExpatError as e:
        message = expat.ErrorString(e.code) if e.code is not None else str(e)
        raise DataSyntaxError(f"{source}:{e.lineno}:{e.offset + 1}: RDF/XML is not well-formed: {message}") from None


def _inline_contexts(text: str, source: str) -> bytes:
    """The JSON-LD with each shipped remote @context replaced by its content; any other remote one refused."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataSyntaxError(f"{source}:{e.lineno}:{e.colno}: JSON-LD is not valid JSON: {e.msg}") from None
    except RecursionError:
        raise DataSyntaxError(f"{source}: JSON-LD is nested too deeply") from None
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "@context" in node:
                node["@context"] = _context(node["@context"], source)
            if "@import" in node:
                raise DataSyntaxError(f"{source}: @import of {node['@import']!r} is refused: contexts are not fetched")
            stack.extend(node.values())
    return json.dumps(doc, ensure_ascii=False).encode()


def _context(value: Any, source: str) -> Any:
    if isinstance(value, list):
        return [_context(v, source) for v in value]
    if not isinstance(value, str):
        return value
    name = SHIPPED_CONTEXTS.get(value)
    if name is None:
        known = ", ".join(SHIPPED_CONTEXTS)
        raise DataSyntaxError(
            f"{source}: the remote @context {value!r} is not fetched; put the context inline, or use one "
            f"of the contexts shipped with kg: {known}"
        )
    shipped = json.loads(resources.files("kg").joinpath("contexts", name).read_text(encoding="utf-8"))
    return shipped["@context"]


def _check_rdf11(triple: ox.Triple, source: str) -> None:
    obj = triple.object
    if isinstance(obj, ox.Triple):
        raise DataSyntaxError(f"{source}: triple terms (RDF 1.2) are not accepted, found one as the object of {triple}")
    if isinstance(obj, ox.Literal) and obj.direction is not None:
        raise DataSyntaxError(f"{source}: literals with a base direction (RDF 1.2) are not accepted: {obj}")


def _where(source: str, fmt: ox.RdfFormat, e: SyntaxError) -> str:
    message = str(e.args[0]) if e.args else str(e)
    position = e.args[1] if len(e.args) > 1 and isinstance(e.args[1], tuple) else ()
    if len(position) >= 3 and position[1] is not None:
        return f"{source}:{position[1]}:{position[2]}: {fmt.name} syntax error: {message}"
    return f"{source}: {fmt.name} syntax error (the parser gives no position): {message}"
