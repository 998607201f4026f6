"""Wikidata integration: the Wikidata-shaped view, the label service, QuickStatements, enrichment, reconciliation.

Nothing here opens a network connection: every exchange with Wikidata goes through files (export, import) or
through the endpoint's allowlisted SERVICE federation.
"""

from __future__ import annotations

import re

ENTITY = "http://www.wikidata.org/entity/"
DIRECT = "http://www.wikidata.org/prop/direct/"
PROP = "http://www.wikidata.org/prop/"
STATEMENT = "http://www.wikidata.org/prop/statement/"
QUALIFIER = "http://www.wikidata.org/prop/qualifier/"
REFERENCE = "http://www.wikidata.org/prop/reference/"
WIKIBASE = "http://wikiba.se/ontology#"
BIGDATA = "http://www.bigdata.com/rdf#"

_QID = re.compile(r"Q[1-9][0-9]*")


def qid_of(iri: str) -> str | None:
    """The Q-id of a Wikidata entity IRI, or None for any other IRI.

    >>> qid_of("http://www.wikidata.org/entity/Q80985")
    'Q80985'
    >>> qid_of("https://w3id.org/learning-cities/id/city/fez") is None
    True
    """
    if not iri.startswith(ENTITY):
        return None
    local = iri[len(ENTITY) :]
    return local if _QID.fullmatch(local) else None
