"""The Wikidata-shaped view: statements, qualifiers with precision, references, entity IRIs; and queries
written for the Wikidata Query Service (label service included) answered from it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from kg.api.app import create_app
from kg.querying import evaluate
from kg.settings import Settings
from kg.stores import Store
from kg.wikidata.labels import rewrite_label_service
from kg.wikidata.view import add_view, build_view, view_graph
from tests.fixtures.wikidata.support import BASE, ROOT, WD, TestClient, project_store, verified_qids

VIEW = view_graph(BASE)
XSD = "http://www.w3.org/2001/XMLSchema#"
WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
FEZ, CASABLANCA = WD + "Q80985", WD + "Q7903"
BENGUERIR = BASE + "id/city/benguerir"
GNLC = BASE + "id/network/gnlc"


@pytest.fixture(scope="module")
def wd_store() -> ox.Store:
    """The view as `kg load` builds it, checked in-process on the embedded store (a test below rebuilds it in
    place); the same questions through /sparql, at the end of this module, run on both backends."""
    return project_store()


def _rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    results = evaluate(store, rewrite_label_service(query, base=BASE))
    assert isinstance(results, ox.QuerySolutions)
    names = [v.value for v in results.variables]
    return [{n: r[n].value for n in names if r[n] is not None} for r in results]


def test_build_view_replaces_the_graph_in_place(wd_store: ox.Store) -> None:
    before = len(list(wd_store.quads_for_pattern(None, None, None, ox.NamedNode(VIEW))))
    written = build_view(wd_store, BASE)
    after = len(list(wd_store.quads_for_pattern(None, None, None, ox.NamedNode(VIEW))))
    assert written == before == after > 100


def test_add_view_writes_what_build_view_writes(wd_store: ox.Store) -> None:
    fresh = project_store(view=False)
    written = add_view(fresh, BASE, workers=3)  # threads, and the bulk loader instead of an update
    view = ox.NamedNode(VIEW)
    assert written == len(set(fresh.quads_for_pattern(None, None, None, view)))
    assert set(fresh.quads_for_pattern(None, None, None, view)) == set(
        wd_store.quads_for_pattern(None, None, None, view)
    )


def test_entities_with_a_verified_id_use_it_and_others_keep_ours(wd_store: ox.Store) -> None:
    subjects = _rows(wd_store, f"SELECT DISTINCT ?s WHERE {{ GRAPH <{VIEW}> {{ ?s a wikibase:Item }} }}")
    wikidata = {r["s"].removeprefix(WD) for r in subjects if r["s"].startswith(WD)}
    ours = {r["s"] for r in subjects if r["s"].startswith(BASE + "id/")}
    assert wikidata and wikidata <= verified_qids()
    assert BENGUERIR in ours and BASE + "id/city/fez" not in ours
    linked = _rows(wd_store, "SELECT ?x WHERE { ?x owl:sameAs ?w FILTER(STRSTARTS(STR(?w), STR(wd:))) }")
    assert not ({r["x"] for r in linked} & ours), "an entity with a Wikidata id also appears under our IRI"


def test_membership_statement_with_start_time_precision_and_reference(wd_store: ox.Store) -> None:
    rows = _rows(
        wd_store,
        f"""PREFIX pqv: <http://www.wikidata.org/prop/qualifier/value/>
        SELECT ?start ?precision ?rank ?url WHERE {{ GRAPH <{VIEW}> {{
          <{FEZ}> p:P463 ?st ; wdt:P463 <{GNLC}> .
          ?st ps:P463 <{GNLC}> ; pq:P580 ?start ; pqv:P580 [ wikibase:timePrecision ?precision ] ;
              wikibase:rank ?rank .
          OPTIONAL {{ ?st prov:wasDerivedFrom [ pr:P854 ?url ] }}
        }} }}""",
    )
    assert {r["start"] for r in rows} == {"2024-02-14T00:00:00Z"}
    assert {r["precision"] for r in rows} == {"11"} and {r["rank"] for r in rows} == {
        WD.replace("www.wikidata.org/entity/", "wikiba.se/ontology#") + "NormalRank"
    }
    articles = _rows(wd_store, "SELECT ?u WHERE { ?a a kg:SourceArticle ; schema:url ?u }")
    assert {r["url"] for r in rows if "url" in r} <= {r["u"] for r in articles} | _single_evidence(wd_store)


def _single_evidence(store: ox.Store) -> set[str]:
    rows = _rows(
        store,
        "SELECT (SAMPLE(?e) AS ?u) WHERE { ?g prov:wasDerivedFrom ?e FILTER NOT EXISTS { ?e a kg:SourceArticle } } "
        "GROUP BY ?g HAVING (COUNT(DISTINCT ?e) = 1)",
    )
    return {r["u"] for r in rows}


def test_every_reference_url_is_the_source_of_the_graph_stating_the_fact(wd_store: ox.Store) -> None:
    rows = _rows(
        wd_store,
        f"SELECT ?ref ?url ?g WHERE {{ GRAPH <{VIEW}> {{ ?ref a wikibase:Reference ; dcterms:source ?g . "
        "OPTIONAL { ?ref pr:P854 ?url } } }",
    )
    assert any("url" in r for r in rows)
    for r in rows:
        if "url" in r:
            sources = _rows(
                wd_store,
                f"SELECT ?u WHERE {{ {{ <{r['g']}> prov:wasDerivedFrom ?a . ?a schema:url ?u }} "
                f"UNION {{ <{r['g']}> prov:wasDerivedFrom ?u }} }}",
            )
            assert r["url"] in {s["u"] for s in sources}, r


def test_award_received_with_point_in_time_of_year_precision(wd_store: ox.Store) -> None:
    rows = _rows(
        wd_store,
        f"""PREFIX pqv: <http://www.wikidata.org/prop/qualifier/value/>
        SELECT ?award ?when ?precision WHERE {{ GRAPH <{VIEW}> {{
          <{BENGUERIR}> p:P166 ?st . ?st ps:P166 ?award ; pq:P585 ?when ; pqv:P585/wikibase:timePrecision ?precision .
        }} }}""",
    )
    assert rows == [
        {"award": BASE + "id/award/unesco-learning-city-award", "when": "2024-01-01T00:00:00Z", "precision": "9"}
    ]


def test_coordinates_are_wkt_points_in_long_lat_order(wd_store: ox.Store) -> None:
    rows = _rows(
        wd_store,
        f"""SELECT ?point ?lat ?long WHERE {{
          GRAPH <{VIEW}> {{ <{CASABLANCA}> wdt:P625 ?point }}
          ?c owl:sameAs <{CASABLANCA}> ; wgs:lat ?lat ; wgs:long ?long .
        }}""",
    )
    assert rows
    for r in rows:
        m = re.fullmatch(r"Point\((\S+) (\S+)\)", r["point"])
        assert m and (float(m.group(1)), float(m.group(2))) == (float(r["long"]), float(r["lat"]))
    kinds = evaluate(wd_store, f"SELECT (DATATYPE(?p) AS ?t) WHERE {{ <{CASABLANCA}> wdt:P625 ?p }}")
    assert isinstance(kinds, ox.QuerySolutions)
    assert {r["t"].value for r in kinds} == {WKT}


def test_view_follows_the_configured_base() -> None:
    base = "http://localhost:8000/"
    store = project_store(base)
    rows = _rows(store, f"SELECT DISTINCT ?st WHERE {{ GRAPH <{view_graph(base)}> {{ ?s p:P463 ?st }} }}")
    assert rows and all(r["st"].startswith(base + "id/statement/") for r in rows)


# --- queries as one would write them for the Wikidata Query Service ------------------------------------

MEMBERS_BY_COUNTRY = """
SELECT ?country ?countryLabel (COUNT(DISTINCT ?city) AS ?members) WHERE {
  ?city wdt:P463 ?network ; wdt:P17 ?country .
  ?network rdfs:label "UNESCO Global Network of Learning Cities"@en .
  SERVICE wikibase:label { bd:serviceParam wikibase:language "[AUTO_LANGUAGE],en". }
}
GROUP BY ?country ?countryLabel
ORDER BY DESC(?members)
"""

MEMBERS_WITH_START = """
SELECT ?city ?cityLabel ?start WHERE {
  ?city p:P463 ?statement .
  ?statement ps:P463 ?network ; pq:P580 ?start .
  SERVICE wikibase:label { bd:serviceParam wikibase:language "en". }
}
ORDER BY ?start ?cityLabel
"""

AWARDS = """
SELECT ?item ?itemLabel ?award ?awardLabel ?when WHERE {
  ?item p:P166 ?statement .
  ?statement ps:P166 ?award .
  OPTIONAL { ?statement pq:P585 ?when }
  SERVICE wikibase:label { bd:serviceParam wikibase:language "fr,en". }
}
"""

LABELS_FR_EN = """
SELECT ?place ?placeLabel WHERE {
  VALUES ?place { wd:Q80985 wd:Q3551 wd:Q90 }
  SERVICE wikibase:label { bd:serviceParam wikibase:language "fr,en". }
}
"""


def _moroccan_members(store: ox.Store) -> int:
    rows = _rows(
        store,
        "SELECT (COUNT(DISTINCT ?city) AS ?n) WHERE { ?m kg:member ?city ; kg:network ?net . "
        "?net a kg:Network . ?city kg:country ?c . ?c owl:sameAs wd:Q1028 }",
    )
    return int(rows[0]["n"])


def check_members_by_country(rows: list[dict[str, str]], store: ox.Store) -> None:
    morocco = [r for r in rows if r["country"] == WD + "Q1028"]
    assert morocco and morocco[0]["countryLabel"] == "Morocco"
    assert int(morocco[0]["members"]) == _moroccan_members(store)


def check_members_with_start(rows: list[dict[str, str]], store: ox.Store) -> None:
    by_city = {(r["city"], r["start"]): r["cityLabel"] for r in rows}
    assert by_city[(FEZ, "2024-02-14T00:00:00Z")] == "Fez"
    assert by_city[(BENGUERIR, "2020-09-23T00:00:00Z")] == "Benguerir"
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)


def check_awards(rows: list[dict[str, str]], store: ox.Store) -> None:
    benguerir = [r for r in rows if r["item"] == BENGUERIR]
    assert benguerir and benguerir[0]["awardLabel"] == "UNESCO Learning City Award"
    assert benguerir[0]["itemLabel"] == "Benguérir"  # French first, as asked
    assert benguerir[0]["when"] == "2024-01-01T00:00:00Z"


def check_labels_fr_en(rows: list[dict[str, str]], store: ox.Store) -> None:
    labels = {r["place"]: r["placeLabel"] for r in rows}
    assert labels[FEZ] == "Fès"  # a French label exists
    assert labels[WD + "Q3551"] == "Rabat"  # no French label: English
    assert labels[WD + "Q90"] == "Paris"


WDQS_CASES = {
    "members-by-country": (MEMBERS_BY_COUNTRY, check_members_by_country),
    "members-with-start-times": (MEMBERS_WITH_START, check_members_with_start),
    "award-received": (AWARDS, check_awards),
    "labels-fr-with-en-fallback": (LABELS_FR_EN, check_labels_fr_en),
}


@pytest.mark.parametrize("case", list(WDQS_CASES), ids=str)
def test_wdqs_query_runs_unchanged_on_the_store(wd_store: ox.Store, case: str) -> None:
    query, check = WDQS_CASES[case]
    check(_rows(wd_store, query), wd_store)


def test_missing_label_falls_back_to_the_qid(wd_store: ox.Store) -> None:
    query = (
        "SELECT ?x ?xLabel WHERE { VALUES ?x { wd:Q80985 } "
        'SERVICE wikibase:label { bd:serviceParam wikibase:language "de". } }'
    )
    assert _rows(wd_store, query) == [{"x": FEZ, "xLabel": "Q80985"}]


# --- the same through /sparql, which rewrites the label service before evaluation ---------------------


@pytest.fixture(scope="module")
def client(api_store: Store) -> Iterator[TestClient]:
    """/sparql over the curated store (view built, as after `kg load`) on the backend under test."""
    settings = Settings(project_root=ROOT)
    with TestClient(create_app(settings, store=api_store)) as client:
        yield client


def _endpoint_rows(client: TestClient, query: str) -> list[dict[str, str]]:
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


@pytest.mark.parametrize("case", list(WDQS_CASES), ids=str)
def test_wdqs_query_through_the_sparql_endpoint(client: TestClient, store: ox.Store, case: str) -> None:
    query, check = WDQS_CASES[case]
    check(_endpoint_rows(client, query), store)  # expected values from the embedded copy of the same data


def test_missing_label_falls_back_to_the_qid_through_the_endpoint(client: TestClient) -> None:
    query = (
        "SELECT ?x ?xLabel WHERE { VALUES ?x { wd:Q80985 } "
        'SERVICE wikibase:label { bd:serviceParam wikibase:language "de". } }'
    )
    assert _endpoint_rows(client, query) == [{"x": FEZ, "xLabel": "Q80985"}]
