"""The SPARQL 1.1 Service Description of the endpoint, as RDF triples (https://www.w3.org/TR/sparql11-service-description/)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kg.formats import GRAPH_FORMATS, RESULT_FORMATS

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREFIXES = {"sd": SD, "formats": "http://www.w3.org/ns/formats/", "dcterms": "http://purl.org/dc/terms/"}


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def service_description(
    endpoint: str, *, named_graphs: Iterable[str], update: bool, federated: bool, title: str
) -> list[ox.Triple]:
    """The sd:Service at `endpoint`: languages, result formats, and the dataset (union default graph).

    >>> triples = service_description("http://x/sparql", named_graphs=["http://g/1"], update=False,
    ...                               federated=False, title="t")
    >>> any(t.object == _sd("UnionDefaultGraph") for t in triples)
    True
    """
    service = ox.NamedNode(endpoint)
    dataset, default = ox.BlankNode("dataset"), ox.BlankNode("default")
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, ox.NamedNode(PREFIXES["dcterms"] + "title"), ox.Literal(title, language="en")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("defaultEntailmentRegime"), ox.NamedNode("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, _sd("Graph")),
    ]
    if update:
        triples.append(ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
    if federated:
        triples.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    iris = [f.iri for f in RESULT_FORMATS.values()] + [f.iri for f in GRAPH_FORMATS.values()]
    triples += [ox.Triple(service, _sd("resultFormat"), ox.NamedNode(iri)) for iri in iris]
    for i, name in enumerate(sorted(named_graphs)):
        node = ox.BlankNode(f"graph{i}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), node),
            ox.Triple(node, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(node, _sd("name"), ox.NamedNode(name)),
        ]
    return triples
