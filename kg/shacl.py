"""SHACL validation of the knowledge graph: loads shapes/ and ontology/, merges data files, runs pySHACL."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
from rdflib import Graph
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from kg.parsing import to_rdflib

# pyoxigraph parses every format, named graphs included, and never fetches anything (a remote JSON-LD
# @context is a syntax error), which rdflib's parsers do not guarantee.
_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
}

# rdflib parses the shapes' SPARQL constraints with pyparsing, which is not thread-safe: two validations at
# once (the API runs each in a threadpool thread) fail with TypeErrors inside the parser. The GIL makes
# validation one core's work anyway, so running one at a time costs little.
_PYSHACL = threading.Lock()


# pySHACL hands each SPARQL-based constraint to rdflib as text once per focus node, and rdflib parses it
# anew every time (about 0.1 s a parse): most of a validation's time. The texts are few and fixed by the
# shapes, so each is parsed once per process. Guarded by _PYSHACL like the parser itself.
_PREPARED: dict[tuple[str, tuple[tuple[str, str], ...]], Query] = {}


class _PreparedQueries(Graph):
    """A graph whose string queries are parsed once and then reused from _PREPARED."""

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query_object, str) and not args:  # pySHACL passes text and initBindings only
            namespaces = tuple(sorted((str(k), str(v)) for k, v in (kwargs.get("initNs") or {}).items()))
            key = (query_object, namespaces)
            prepared = _PREPARED.get(key)
            if prepared is None:
                prepared = _PREPARED[key] = prepareQuery(query_object, initNs=dict(namespaces))
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


@dataclass(frozen=True)
class ValidationOutcome:
    """The result of one validation: whether the data conforms, the sh:ValidationReport graph and its text."""

    conforms: bool
    report: Graph
    text: str


def union_graph(paths: Iterable[Path]) -> Graph:
    """Parse RDF files (named graphs included) into one graph holding the union of all their triples.

    Raises:
        ValueError: a file has an unknown extension or is not valid RDF (a remote JSON-LD @context included).

    >>> len(union_graph([]))
    0
    """
    union = Graph()
    for path in paths:
        try:
            rdf_format = _FORMATS[path.suffix.lower()]
        except KeyError:
            known = ", ".join(sorted(_FORMATS))
            raise ValueError(f"{path}: unknown RDF file extension; expected one of {known}") from None
        try:
            base = path.resolve().as_uri()
            quads = list(ox.parse(path=path, format=rdf_format, base_iri=base, rename_blank_nodes=True))
        except SyntaxError as exc:
            raise ValueError(f"{path}: {exc}") from exc
        try:
            to_rdflib((q.triple for q in quads), union)
        except TypeError as exc:  # an RDF 1.2 triple term, which rdflib cannot hold
            raise ValueError(f"{path}: {exc}") from exc
    return union


def load_shapes(root: Path) -> Graph:
    """All shapes of the project: the union of ``root/shapes/*.ttl``.

    Raises:
        FileNotFoundError: there is no shapes file under ``root``.
    """
    return _load_dir(root / "shapes")


def load_ontology(root: Path) -> Graph:
    """The whole ontology: the union of ``root/ontology/*.ttl`` (modules are not fetched through owl:imports).

    Raises:
        FileNotFoundError: there is no ontology file under ``root``.
    """
    return _load_dir(root / "ontology")


def validate(data: Graph, *, shapes: Graph, ontology: Graph, allow_warnings: bool = True) -> ValidationOutcome:
    """Validate ``data`` against ``shapes``, with ``ontology`` merged into the data.

    The whole ontology is merged in, not handed to pySHACL as ``ont_graph``: pySHACL copies only RDFS/OWL
    axioms from an ``ont_graph``, which keeps rdfs:subClassOf (so sh:targetClass and sh:class see
    kg:LearningCity as a kg:City) but drops the SKOS concepts (roles, focus areas, units) that data points
    at with sh:class. No inference is run; subclass reasoning comes from the merged axioms alone.
    ``allow_warnings`` keeps sh:Warning and sh:Info results in the report without making the data fail;
    pass ``False`` to make any result count (as the shape tests do).
    """
    merged = _PreparedQueries()
    for triple in data:
        merged.add(triple)
    for triple in ontology:
        merged.add(triple)
    with _PYSHACL:
        conforms, report, text = pyshacl.validate(
            merged,
            shacl_graph=shapes,
            inference="none",
            advanced=False,
            allow_infos=allow_warnings,
            allow_warnings=allow_warnings,
            do_owl_imports=False,
            inplace=True,
        )
    if not isinstance(conforms, bool) or not isinstance(report, Graph) or not isinstance(text, str):
        raise TypeError("pyshacl.validate returned an unexpected result")
    return ValidationOutcome(conforms=conforms, report=report, text=text)


def _load_dir(directory: Path) -> Graph:
    paths = sorted(directory.glob("*.ttl"))
    if not paths:
        raise FileNotFoundError(f"no *.ttl file in {directory}")
    return union_graph(paths)
