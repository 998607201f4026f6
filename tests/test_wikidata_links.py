"""Links to Wikidata: every Wikidata id anywhere in the graph is a verified reference id, and every entity
the reference gives a verified id carries it (owl:sameAs); ontology alignments use verified properties only."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from kg.querying import evaluate
from tests.fixtures.wikidata.support import (
    WD,
    ReferenceRow,
    project_store,
    reference_rows,
    verified_pids,
    verified_qids,
)

OWL_SAME_AS = ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs")
KINDS = {  # reference "kind" (its first word) -> the kg: class an entity of that kind has
    "city": "City",
    "country": "Country",
    "territory": "Territory",
    "region": "Region",
    "province": "Province",
    "prefecture": "Prefecture",
    "organization": "Organization",
    "person": "Person",
}
WIKIDATA_IRI = re.compile(
    r"http://www\.wikidata\.org/(entity|prop/direct|prop|prop/statement|prop/qualifier)/([PQ][0-9]+)$"
)


@pytest.fixture(scope="module")
def wd_store() -> ox.Store:
    return project_store()


def _wikidata_ids(store: ox.Store) -> dict[str, set[str]]:
    """Every Wikidata entity or property id used in any term of the store -> the graphs using it."""
    found: dict[str, set[str]] = {}
    for quad in store:
        for term in (quad.subject, quad.predicate, quad.object):
            if isinstance(term, ox.NamedNode) and (m := WIKIDATA_IRI.match(term.value)):
                found.setdefault(m.group(2), set()).add(str(quad.graph_name))
    return found


def test_every_wikidata_id_in_the_graph_and_view_is_verified(wd_store: ox.Store) -> None:
    ids = _wikidata_ids(wd_store)
    assert any(i.startswith("Q") for i in ids), "no Wikidata entity in the store at all"
    allowed = verified_qids() | verified_pids()
    unverified = {i: sorted(g) for i, g in ids.items() if i not in allowed}
    assert not unverified, f"ids not verified in wikidata-ids.tsv: {unverified}"


def test_only_verified_ids_are_linked_with_owl_same_as(wd_store: ox.Store) -> None:
    linked = {
        q.object.value.removeprefix(WD)
        for q in wd_store.quads_for_pattern(None, OWL_SAME_AS, None, None)
        if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(WD)
    }
    assert linked <= verified_qids(), sorted(linked - verified_qids())


def _entities_named(store: ox.Store, kind: str, names: tuple[str, ...]) -> set[str]:
    values = " ".join(f'"{n}"' for n in names)
    rows = evaluate(
        store,
        f"""SELECT DISTINCT ?e WHERE {{
              VALUES ?name {{ {values} }}
              ?e a/rdfs:subClassOf* kg:{kind} ; rdfs:label|skos:altLabel ?label .
              FILTER(STR(?label) = ?name)
            }}""",
    )
    assert isinstance(rows, ox.QuerySolutions)
    return {r["e"].value for r in rows}


@pytest.mark.parametrize(
    "row",
    [r for r in reference_rows() if r.confidence == "verified" and r.qid.startswith("Q")],
    ids=lambda r: f"{r.names[0]}-{r.qid}",
)
def test_entity_with_a_verified_id_carries_it(wd_store: ox.Store, row: ReferenceRow) -> None:
    kind = KINDS.get(row.kind.split()[0])
    if kind is None:
        pytest.skip(f"reference kind {row.kind!r} is not an entity kind of ours")
    entities = _entities_named(wd_store, kind, row.names)
    if not entities:
        pytest.skip(f"no kg:{kind} named {row.names} in data/ (yet)")
    for entity in entities:
        links = {q.object.value for q in wd_store.quads_for_pattern(ox.NamedNode(entity), OWL_SAME_AS, None, None)}
        assert WD + row.qid in links, f"{entity} ({row.names[0]}) lacks owl:sameAs wd:{row.qid}"


def test_entities_without_a_verified_id_have_no_link(wd_store: ox.Store) -> None:
    unknown = [r for r in reference_rows() if r.confidence != "verified"]
    assert unknown, "the reference file lists no unknown/likely ids: has its format changed?"
    for row in unknown:
        kind = KINDS.get(row.kind.split()[0])
        if kind is None:
            continue
        for entity in _entities_named(wd_store, kind, row.names):
            links = {
                q.object.value
                for q in wd_store.quads_for_pattern(ox.NamedNode(entity), OWL_SAME_AS, None, None)
                if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(WD)
            }
            assert not links, f"{entity} ({row.names[0]}, {row.confidence}) is linked to {links}"


def test_ontology_alignments_use_verified_wikidata_properties(wd_store: ox.Store) -> None:
    rows = evaluate(
        wd_store,
        "SELECT ?p ?w WHERE { ?p rdfs:subPropertyOf|owl:equivalentProperty ?w "
        'FILTER(STRSTARTS(STR(?w), "http://www.wikidata.org/")) }',
    )
    assert isinstance(rows, ox.QuerySolutions)
    aligned = {r["w"].value.rsplit("/", 1)[-1] for r in rows}
    assert aligned, "no kg: property is aligned to a Wikidata property"
    assert aligned <= verified_pids(), sorted(aligned - verified_pids())
