"""The VoID and DCAT description of the dataset, computed from the store."""

from __future__ import annotations

import pyoxigraph as ox

from kg.pages.resources import RDF, Term, select
from kg.stores import Store

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
FOAF = "http://xmlns.com/foaf/0.1/"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
PREFIXES = {"void": VOID, "dcat": DCAT, "dcterms": DCTERMS, "prov": PROV, "xsd": XSD, "foaf": FOAF}

TITLES = {
    "en": "Learning Cities Knowledge Graph",
    "fr": "Graphe de connaissances des villes apprenantes",
    "ar": "الرسم المعرفي لمدن التعلّم",
}
DESCRIPTION = (
    "The UNESCO Global Network of Learning Cities and its Moroccan members as sourced linked data: cities, "
    "memberships and admission rounds, organizations, people and posts, initiatives and outcomes, events and "
    "awards. Each source article's statements are in a named graph of their own."
)


def dataset_iri(server: str) -> str:
    """The dataset's IRI: a fragment of the description document, so it dereferences where it is served."""
    return f"{server}/.well-known/void#dataset"


def describe(store: Store, base: str, server: str) -> list[ox.Triple]:
    """VoID + DCAT triples for the store, with endpoint and dumps at `server` (scheme and host, no slash)."""
    ds = ox.NamedNode(dataset_iri(server))
    out: list[ox.Triple] = []

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        out.append(ox.Triple(s, ox.NamedNode(p), o))

    add(ds, RDF + "type", ox.NamedNode(VOID + "Dataset"))
    add(ds, RDF + "type", ox.NamedNode(DCAT + "Dataset"))
    for lang, title in TITLES.items():
        add(ds, DCTERMS + "title", ox.Literal(title, language=lang))
    add(ds, DCTERMS + "description", ox.Literal(DESCRIPTION, language="en"))
    add(ds, DCTERMS + "license", ox.NamedNode(LICENSE))
    for lang in ("en", "fr", "ar"):
        add(ds, DCTERMS + "language", ox.Literal(lang))
    add(ds, FOAF + "homepage", ox.NamedNode(server + "/"))
    add(ds, VOID + "sparqlEndpoint", ox.NamedNode(server + "/sparql"))
    add(ds, VOID + "uriSpace", ox.Literal(base + "id/"))
    add(ds, VOID + "vocabulary", ox.NamedNode(base + "def/"))
    add(ds, VOID + "rootResource", ox.NamedNode(base + "id/network/gnlc"))
    for example in ("id/city/fez", "id/city/casablanca"):
        if any(True for _ in store.quads_for_pattern(ox.NamedNode(base + example), None, None, None)):
            add(ds, VOID + "exampleResource", ox.NamedNode(base + example))

    totals = select(store, "void-totals", base)[0]
    for var, prop in (
        ("triples", "triples"),
        ("subjects", "distinctSubjects"),
        ("objects", "distinctObjects"),
        ("properties", "properties"),
    ):
        add(ds, VOID + prop, _integer(totals[var]))

    for row in select(store, "void-class-partitions", base):
        part = ox.BlankNode()
        add(ds, VOID + "classPartition", part)
        if isinstance(row["class"], ox.NamedNode):
            add(part, VOID + "class", row["class"])
        add(part, VOID + "entities", _integer(row["n"]))

    sources = _derivations(store, base)
    for row in select(store, "void-graph-sizes", base):
        graph = row["graph"]
        if not isinstance(graph, ox.NamedNode):
            continue
        add(ds, VOID + "subset", graph)
        add(graph, RDF + "type", ox.NamedNode(VOID + "Dataset"))
        add(graph, VOID + "triples", _integer(row["n"]))
        for source in sources.get(graph.value, []):
            add(graph, PROV + "wasDerivedFrom", source)

    for name, media in (("nquads", "application/n-quads"), ("trig", "application/trig")):
        dist = ox.NamedNode(f"{server}/export?format={name}")
        add(ds, DCAT + "distribution", dist)
        add(ds, VOID + "dataDump", dist)
        add(dist, RDF + "type", ox.NamedNode(DCAT + "Distribution"))
        add(dist, DCAT + "downloadURL", dist)
        add(dist, DCAT + "mediaType", ox.Literal(media))
        add(dist, DCTERMS + "license", ox.NamedNode(LICENSE))
    service = ox.NamedNode(server + "/sparql")
    add(ds, DCAT + "distribution", ox.NamedNode(server + "/sparql#distribution"))
    add(ox.NamedNode(server + "/sparql#distribution"), RDF + "type", ox.NamedNode(DCAT + "Distribution"))
    add(ox.NamedNode(server + "/sparql#distribution"), DCAT + "accessService", service)
    add(service, RDF + "type", ox.NamedNode(DCAT + "DataService"))
    add(service, DCAT + "endpointURL", service)
    add(service, DCAT + "servesDataset", ds)
    return out


def _derivations(store: Store, base: str) -> dict[str, list[ox.NamedNode]]:
    found: dict[str, list[ox.NamedNode]] = {}
    for row in select(store, "page-graph-sources", base):
        graph, source = row["graph"], row["source"]
        if isinstance(graph, ox.NamedNode) and isinstance(source, ox.NamedNode):
            bucket = found.setdefault(graph.value, [])
            if source not in bucket:
                bucket.append(source)
    return found


def _integer(term: Term | None) -> ox.Literal:
    value = term.value if isinstance(term, ox.Literal) else "0"
    return ox.Literal(value, datatype=ox.NamedNode(XSD + "integer"))
