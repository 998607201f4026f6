"""The IRI scheme: one configurable base, under which ids, terms, shapes and graphs live (docs/model.md)."""

from __future__ import annotations

DEFAULT_BASE = "https://w3id.org/learning-cities/"


def graph_iri(base: str, *parts: str) -> str:
    """The named graph for a source and topic.

    >>> graph_iri("https://w3id.org/learning-cities/", "ontology", "kg-people")
    'https://w3id.org/learning-cities/graph/ontology/kg-people'
    """
    return base + "graph/" + "/".join(parts)


def rebase(iri: str, base: str) -> str:
    """Move an IRI written under the default base to the configured one; others are left alone.

    >>> rebase("https://w3id.org/learning-cities/id/city/fez", "http://localhost:8000/")
    'http://localhost:8000/id/city/fez'
    >>> rebase("http://www.wikidata.org/entity/Q80985", "http://localhost:8000/")
    'http://www.wikidata.org/entity/Q80985'
    """
    if base != DEFAULT_BASE and iri.startswith(DEFAULT_BASE):
        return base + iri[len(DEFAULT_BASE) :]
    return iri
