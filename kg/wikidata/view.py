"""The Wikidata-shaped view: the graph's facts restated in Wikidata's RDF model, in one named graph.

Truthy `wdt:` triples plus full statements (`p:` → statement node → `ps:`, `pq:` qualifiers with value nodes
giving the time precision, `prov:wasDerivedFrom` → reference node with `pr:P854` = the source article's URL).
An entity with a verified `owl:sameAs wd:Q…` appears under that IRI; any other keeps ours. The
`kg/queries/wikidata-view-*.rq` CONSTRUCT queries do the mapping; this module runs them and swaps the graph.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox

from kg import named_queries
from kg.iris import DEFAULT_BASE, graph_iri
from kg.querying import prefixes
from kg.stores import GRAPH_RESULTS, Store

STATEMENT_QUERIES = ("membership", "awards", "heads", "coordinates", "aligned")
# all of them, the longest first (on a million triples), so that no long one is left running alone at the end
QUERIES = ("membership", "references", "coordinates", "entities", "awards", "heads", "aligned")
PROV_DERIVED = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")


def view_graph(base: str = DEFAULT_BASE) -> str:
    """The named graph holding the view.

    >>> view_graph()
    'https://w3id.org/learning-cities/graph/wikidata/view'
    """
    return graph_iri(base, "wikidata", "view")


DEFAULT_BASE_VALUES = f'VALUES ?base {{ "{DEFAULT_BASE}" }}'


def load_query(name: str, base: str = DEFAULT_BASE) -> str:
    """The text of kg/queries/<name>.rq, with its `VALUES ?base` line set to `base`."""
    text = named_queries.load(name)
    if base != DEFAULT_BASE:
        # the files are runnable as they stand (kg query @file) with the default base, so swap the one line
        assert text.count(DEFAULT_BASE_VALUES) == 1, f"{name}.rq must hold exactly one {DEFAULT_BASE_VALUES}"
        text = text.replace(DEFAULT_BASE_VALUES, f"VALUES ?base {{ {ox.Literal(base)} }}")
    return text


def build_view(store: Store, base: str = DEFAULT_BASE) -> int:
    """Rebuild the view graph from the rest of the store in one transaction; returns the quads written.

    The view reads every named graph except those under graph/wikidata/ (itself, and imports from Wikidata,
    which are Wikidata's facts, not ours) and graph/submission/ (data sent in, not curated).

    Raises:
        OSError: the store cannot be written (e.g. opened read-only).
    """
    triples = view_triples(store, base)
    graph = ox.NamedNode(view_graph(base))
    body = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in sorted(triples, key=str))
    # one update, so readers see the old view or the new one, never an empty graph between them
    store.update(f"DROP SILENT GRAPH {graph} ;\nINSERT DATA {{ GRAPH {graph} {{\n{body}\n}} }}")
    return len(triples)


def add_view(store: ox.Store, base: str = DEFAULT_BASE, *, workers: int = 1) -> int:
    """Write the view graph into a store that has none yet (a store being built); returns the quads written.

    Through the bulk loader rather than `build_view`'s update: no transaction log to write, and no second copy of
    the view left in it, which doubled a freshly loaded store on disk. Nobody reads a store being built, so
    nobody can see the view half written.

    Raises:
        OSError: the store cannot be written.
    """
    triples = view_triples(store, base, workers=workers)
    graph = ox.NamedNode(view_graph(base))
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    return len(triples)


def view_triples(store: Store, base: str = DEFAULT_BASE, *, workers: int = 1) -> set[ox.Triple]:
    """The triples of the view, computed without writing anything; `workers` queries run at once.

    Oxigraph evaluates a query outside the GIL, so threads put every core to work.
    """
    # not its own graphs (the view, imports of Wikidata's facts), nor submissions: the view restates
    # curated facts, the ones a researcher may push to Wikidata
    skipped = (graph_iri(base, "wikidata") + "/", graph_iri(base, "submission") + "/")
    named = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode)]
    graphs: list[ox.NamedNode | ox.BlankNode] = [g for g in named if not g.value.startswith(skipped)]
    if not graphs:
        return set()
    # with nothing to leave out (as after `kg load`), the union default graph: naming every graph instead
    # made the view 100x slower on a 100k-triple store with 900 source graphs
    union = len(graphs) == len(named)

    def construct(name: str) -> set[ox.Triple]:
        result = store.query(
            load_query(f"wikidata-view-{name}", base),
            prefixes=prefixes(base),
            use_default_graph_as_union=union,
            default_graph=None if union else list(graphs),
            named_graphs=None if union else graphs,
        )
        assert isinstance(result, GRAPH_RESULTS)
        return set(result)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = dict(zip(QUERIES, pool.map(construct, QUERIES), strict=True))
    triples: set[ox.Triple] = set().union(*(results[name] for name in STATEMENT_QUERIES))
    used = {t.object for t in triples if t.predicate == PROV_DERIVED}
    triples |= {t for t in results["references"] if t.subject in used}
    triples |= results["entities"]
    return triples
