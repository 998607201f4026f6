"""Choosing between HTML and the RDF formats of a resource from `Accept` or `?format=`."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from kg.accept import choose as accept_choose
from kg.errors import NotAcceptableError
from kg.formats import graph_format

HTML = "text/html"

# what /id/, /def/ and /graph/ offer, HTML first: a client that accepts anything gets the page
RDF_FORMATS: tuple[ox.RdfFormat, ...] = (
    ox.RdfFormat.TURTLE,
    ox.RdfFormat.JSON_LD,
    ox.RdfFormat.N_TRIPLES,
    ox.RdfFormat.RDF_XML,
    ox.RdfFormat.TRIG,
    ox.RdfFormat.N_QUADS,
)
OFFERS: tuple[str, ...] = (HTML, *(f.media_type for f in RDF_FORMATS))
ALIASES = {"application/xhtml+xml": HTML, "application/json": ox.RdfFormat.JSON_LD.media_type}


def choose(accept: str | None, format_param: str | None, offers: Sequence[str] = OFFERS) -> str:
    """The media type to answer with: `?format=` if given, else the best `Accept` match.

    >>> choose("text/turtle;q=0.9, application/ld+json", None)
    'application/ld+json'
    >>> choose("text/html,application/xhtml+xml,*/*;q=0.8", None)
    'text/html'
    >>> choose("text/turtle, */*", None)
    'text/turtle'
    >>> choose("*/*", None)
    'text/html'
    >>> choose(None, "ntriples")
    'application/n-triples'

    Raises:
        NotAcceptableError: nothing offered is acceptable, or `format` names no offered format.
    """
    if format_param:
        wanted = HTML if format_param == "html" else _media_type(format_param)
        if wanted is not None and wanted in offers:
            return wanted
        raise NotAcceptableError(
            f"format {format_param!r} is not offered here; try html, turtle, jsonld, ntriples, rdfxml, trig or nquads"
        )
    best = accept_choose(accept, offers, canonical=ALIASES.get)
    if best is None:
        raise NotAcceptableError(f"Accept {accept!r} cannot be served here; try {', '.join(offers)}")
    return best


def rdf_format(media_type: str) -> ox.RdfFormat:
    """The pyoxigraph format of an offered RDF media type.

    >>> rdf_format("text/turtle").name
    'Turtle'
    """
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt is None:
        raise NotAcceptableError(f"{media_type} is not an RDF format")
    return fmt


def _media_type(name: str) -> str | None:
    fmt = graph_format(name)
    return fmt.media_type if fmt else None
