"""Short format names (for `--format` and `?format=`) mapped onto pyoxigraph's own format objects.

Media types and file extensions are read off those objects, never kept in a table of our own.
"""

from __future__ import annotations

import pyoxigraph as ox

RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}

GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}

# graph formats that carry named graphs: offered where graphs matter (exports, quads)
DATASET_FORMATS = {name: fmt for name, fmt in GRAPH_FORMATS.items() if fmt.supports_datasets}


def result_format(name: str) -> ox.QueryResultsFormat | None:
    """The results format for a short name or a media type.

    >>> result_format("csv").media_type
    'text/csv; charset=utf-8'
    >>> result_format("application/sparql-results+json").name
    'SPARQL Results in JSON'
    """
    return RESULT_FORMATS.get(name) or ox.QueryResultsFormat.from_media_type(name)


def graph_format(name: str) -> ox.RdfFormat | None:
    """The RDF format for a short name or a media type.

    >>> graph_format("turtle").media_type
    'text/turtle'
    >>> graph_format("application/n-quads").name
    'N-Quads'
    """
    return GRAPH_FORMATS.get(name) or ox.RdfFormat.from_media_type(name)
