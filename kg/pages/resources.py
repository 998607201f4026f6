"""What the store says about one resource: its RDF description, its labels, its facts and their sources."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from kg import named_queries
from kg.pages.language import pick
from kg.pages.svgmap import Place, wkt_point
from kg.querying import prefixes
from kg.stores import Store

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
WD = "http://www.wikidata.org/entity/"

TYPE = ox.NamedNode(RDF + "type")
LABEL_PREDICATES = (ox.NamedNode(RDFS + "label"), ox.NamedNode(SKOS + "prefLabel"))
COMMENT_PREDICATES = (ox.NamedNode(RDFS + "comment"), ox.NamedNode(SKOS + "definition"))
SAME_AS = ox.NamedNode(OWL + "sameAs")

Subject = ox.NamedNode | ox.BlankNode
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Solutions = list[ox.QuerySolution]


def select(store: Store, name: str, base: str) -> Solutions:
    """Run a named SELECT over the union of named graphs."""
    result = store.query(named_queries.load(name), prefixes=prefixes(base), use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions), f"{name}.rq is not a SELECT"
    return list(result)


def exists(store: Store, node: ox.NamedNode) -> bool:
    """Whether any named graph mentions `node` as a subject or an object."""
    return any(True for _ in store.quads_for_pattern(node, None, None, None)) or any(
        True for _ in store.quads_for_pattern(None, None, node, None)
    )


def description(store: Store, node: ox.NamedNode) -> list[ox.Quad]:
    """The concise bounded description of `node` (graphs kept), plus the labels of the IRIs it links to.

    A resource only ever used as an object is described by the statements that point at it.
    """
    quads = list(_bounded(store, node))
    if not quads:
        quads = [q for q in store.quads_for_pattern(None, None, node, None) if _named(q)]
    linked = {q.object for q in quads if isinstance(q.object, ox.NamedNode) and q.object != node}
    linked |= {q.subject for q in quads if isinstance(q.subject, ox.NamedNode) and q.subject != node}
    for iri in sorted(linked, key=str):
        for predicate in LABEL_PREDICATES:
            quads.extend(q for q in store.quads_for_pattern(iri, predicate, None, None) if _named(q))
    return quads


def _bounded(store: Store, node: Subject) -> Iterator[ox.Quad]:
    seen: set[Subject] = set()
    todo: list[Subject] = [node]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for quad in store.quads_for_pattern(current, None, None, None):
            if not _named(quad):
                continue
            yield quad
            if isinstance(quad.object, ox.BlankNode):
                todo.append(quad.object)


# graph/wikidata/view restates the other graphs' facts in Wikidata's model, for WDQS-style queries at /sparql;
# on an entity's page and in its description those would be the same facts twice
DERIVED_GRAPH = "/graph/wikidata/view"


def _named(quad: ox.Quad) -> bool:
    graph = quad.graph_name
    if isinstance(graph, ox.DefaultGraph):
        return False
    return not (isinstance(graph, ox.NamedNode) and graph.value.endswith(DERIVED_GRAPH))


def triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The distinct triples of `quads`, in their first-seen order: what a triples format can carry."""
    return list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads))


def serialize(quads: list[ox.Quad], fmt: ox.RdfFormat, base: str) -> bytes:
    """`quads` in `fmt`: with their graph names in TriG and N-Quads, as distinct triples otherwise."""
    used = {str(t.value) for q in quads for t in (q.subject, q.predicate, q.object) if isinstance(t, ox.NamedNode)}
    namespaces = {p: ns for p, ns in _prefixes(base).items() if any(iri.startswith(ns) for iri in used)}
    data: list[ox.Quad] | list[ox.Triple] = quads if fmt.supports_datasets else triples(quads)
    body = ox.serialize(data, format=fmt, prefixes=namespaces if fmt != ox.RdfFormat.JSON_LD else None)
    assert body is not None  # no output file was given, so pyoxigraph returns the bytes
    return body


def _prefixes(base: str) -> dict[str, str]:
    kinds = ("city", "country", "region", "org", "person", "post", "membership", "round", "article")
    return {**prefixes(base), **{kind: f"{base}id/{kind}/" for kind in kinds}}


# --- labels -------------------------------------------------------------------------------------


def texts(store: Store, node: Subject, predicates: Iterable[ox.NamedNode]) -> dict[str, str]:
    """The literals of `node` for `predicates`, by language tag ("" for plain strings): see `texts_in`."""
    wanted = tuple(predicates)
    return texts_in([q for p in wanted for q in store.quads_for_pattern(node, p, None, None)], wanted)


def texts_in(quads: Iterable[ox.Quad], predicates: Iterable[ox.NamedNode]) -> dict[str, str]:
    """The literals of the quads for `predicates`, by language tag ("" for plain strings).

    The first predicate with a literal in a language gives it; of several, the shortest (then the smallest)
    is chosen, never the first a store happens to return, since stores return them in different orders.

    >>> p, fez = ox.NamedNode("http://ex/p"), ox.NamedNode("http://ex/fez")
    >>> texts_in([ox.Quad(fez, p, ox.Literal(v, language="en")) for v in ("Fez city", "Fez", "Fes")], [p])
    {'en': 'Fes'}
    """
    found: dict[str, str] = {}
    literals = [(q.predicate, q.object) for q in quads if isinstance(q.object, ox.Literal)]
    for predicate in predicates:
        here: dict[str, str] = {}
        for literal in (o for p, o in literals if p == predicate):
            language, text = literal.language or "", literal.value
            here[language] = min(here.get(language, text), text, key=lambda v: (len(v), v))
        for language, text in here.items():
            found.setdefault(language, text)
    return found


class Labels:
    """Labels of IRIs in one language, looked up once each, falling back to English and then the IRI's end."""

    def __init__(self, store: Store, lang: str) -> None:
        self._store, self.lang = store, lang
        self._cache: dict[str, tuple[str, str]] = {}

    def get(self, node: ox.NamedNode | str) -> tuple[str, str]:
        """The label and its language ("" when it is made up from the IRI)."""
        iri = node if isinstance(node, str) else node.value
        if iri not in self._cache:
            found = pick(texts(self._store, ox.NamedNode(iri), LABEL_PREDICATES), self.lang)
            self._cache[iri] = found or (local_name(iri), "")
        return self._cache[iri]

    def __call__(self, node: ox.NamedNode | str) -> str:
        return self.get(node)[0]


def local_name(iri: str) -> str:
    """The readable end of an IRI.

    >>> local_name("https://w3id.org/learning-cities/id/city/fez")
    'fez'
    >>> local_name("http://www.w3.org/2002/07/owl#sameAs")
    'sameAs'
    """
    for sep in ("#", "/"):
        head, _, tail = iri.rstrip("/").rpartition(sep)
        if head and tail:
            return tail
    return iri


# --- facts and their sources --------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    iri: str
    article: bool  # a kg:SourceArticle, rather than an evidence URL or a graph of our own


@dataclass(frozen=True)
class Fact:
    subject: Subject
    predicate: ox.NamedNode
    value: ox.NamedNode | ox.BlankNode | ox.Literal
    graphs: tuple[str, ...]  # the named graphs stating it, which say who states it


def facts(store: Store, node: Subject) -> list[Fact]:
    """What the graphs say about `node`, one fact per distinct triple, with the graphs stating it."""
    return _group(q for q in store.quads_for_pattern(node, None, None, None) if _named(q))


def incoming(store: Store, node: ox.NamedNode) -> list[Fact]:
    """The statements pointing at `node`, grouped like `facts`."""
    return _group(q for q in store.quads_for_pattern(None, None, node, None) if _named(q))


def _group(quads: Iterable[ox.Quad]) -> list[Fact]:
    graphs: dict[ox.Triple, list[str]] = defaultdict(list)
    for q in quads:
        graphs[ox.Triple(q.subject, q.predicate, q.object)].append(str(q.graph_name.value))  # type: ignore[union-attr]
    # in a set order, not the order the store returned them in (which differs between stores)
    ordered = sorted(graphs.items(), key=lambda tg: (tg[0].predicate.value, str(tg[0].object), str(tg[0].subject)))
    return [
        Fact(t.subject, t.predicate, t.object, tuple(sorted(set(g))))  # type: ignore[arg-type]
        for t, g in ordered
    ]


def graph_sources(store: Store, base: str) -> dict[str, list[Source]]:
    """For each named graph, the articles (or evidence URLs) it was derived from."""
    found: dict[str, dict[str, Source]] = defaultdict(dict)
    for row in select(store, "page-graph-sources", base):
        graph, source, article = row["graph"], row["source"], row["article"]
        if isinstance(graph, ox.NamedNode) and isinstance(source, ox.NamedNode):
            is_article = isinstance(article, ox.Literal) and article.value == "true"
            found[graph.value][source.value] = Source(source.value, is_article)
    return {g: sorted(s.values(), key=lambda s: (not s.article, s.iri)) for g, s in found.items()}


# --- places -------------------------------------------------------------------------------------


def places(store: Store, base: str) -> list[Place]:
    """Every city with a position; where graphs disagree, the first position found (in IRI order) is kept."""
    found: dict[str, Place] = {}
    for row in select(store, "page-places", base):
        place, lat, long, wkt, member = (row[v] for v in ("place", "lat", "long", "wkt", "member"))
        if not isinstance(place, ox.NamedNode) or place.value in found:
            continue
        point: tuple[float, float] | None = None
        try:
            if isinstance(lat, ox.Literal) and isinstance(long, ox.Literal):
                point = float(lat.value), float(long.value)
            elif isinstance(wkt, ox.Literal):
                point = wkt_point(wkt.value)
        except ValueError:
            point = None  # a malformed number is the validator's to report; the map leaves the place out
        if point:
            is_member = isinstance(member, ox.Literal) and member.value == "true"
            found[place.value] = Place(place.value, point[0], point[1], is_member)
    return list(found.values())
