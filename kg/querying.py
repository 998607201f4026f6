"""Evaluating SPARQL with pyoxigraph: the one place that knows the default dataset and the predefined prefixes."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from kg.errors import QuerySyntaxError
from kg.iris import DEFAULT_BASE
from kg.stores import Results, Store

__all__ = ["Results", "evaluate", "prefixes"]

STANDARD_PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "http://schema.org/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "wgs": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "sh": "http://www.w3.org/ns/shacl#",
    # Wikidata's, so that queries written for its query service run unchanged
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "p": "http://www.wikidata.org/prop/",
    "ps": "http://www.wikidata.org/prop/statement/",
    "pq": "http://www.wikidata.org/prop/qualifier/",
    "pr": "http://www.wikidata.org/prop/reference/",
    "wikibase": "http://wikiba.se/ontology#",
    "bd": "http://www.bigdata.com/rdf#",
}


def prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    """The prefixes every query may use without declaring them: standard ones and this graph's own."""
    return {
        **STANDARD_PREFIXES,
        "kg": base + "def/",
        "kgfa": base + "def/focus-area/",
        "kgrole": base + "def/role/",
        "kgunit": base + "def/unit/",
        "kgsh": base + "shapes/",
    }


def evaluate(
    store: Store,
    query: str,
    *,
    base: str = DEFAULT_BASE,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    union_default: bool = True,
    base_iri: str | None = None,
) -> Results:
    """Run a query; without dataset parameters the default graph is the union of all named graphs.

    With `union_default=False` it is the store's own default graph, as the W3C test suites expect;
    `base_iri` resolves relative IRIs in the query.

    Raises:
        QuerySyntaxError: the query does not parse; the message gives the position.
    """
    try:
        return store.query(
            query,
            base_iri=base_iri,
            prefixes=prefixes(base),
            use_default_graph_as_union=union_default and not default_graphs,
            default_graph=[ox.NamedNode(g) for g in default_graphs] or None,
            named_graphs=[ox.NamedNode(g) for g in named_graphs] or None,
        )
    except SyntaxError as e:
        raise QuerySyntaxError(f"the query does not parse: {e}") from None
