"""The label-service rewrite: what it removes and adds, and how the result evaluates on a small store."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.querying import evaluate
from kg.wikidata.labels import is_label_service, rewrite_label_service

WD = "http://www.wikidata.org/entity/"
DATA = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
<urn:g1> {
  wd:Q80985 rdfs:label "Fez"@en , "Fès"@fr , "فاس"@ar ; schema:description "a city"@en ;
      skos:altLabel "Fes"@en , "Fès"@en ; wdt:P17 wd:Q1028 .
  wd:Q3551 rdfs:label "Rabat"@en ; wdt:P17 wd:Q1028 .
  wd:Q1028 rdfs:label "Morocco"@en , "Maroc"@fr .
  <https://w3id.org/learning-cities/id/city/benguerir> wdt:P17 wd:Q1028 .
}
<urn:g2> { wd:Q80985 rdfs:label "Fez"@en . }
"""


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TRIG)
    return store


def _run(store: ox.Store, query: str) -> list[dict[str, str]]:
    results = evaluate(store, rewrite_label_service(query))
    assert isinstance(results, ox.QuerySolutions)
    names = [v.value for v in results.variables]
    return [{n: r[n].value for n in names if r[n] is not None} for r in results]


SERVICE_FORMS = {
    "prefixed": 'SERVICE wikibase:label { bd:serviceParam wikibase:language "fr,en". }',
    "no-final-dot": 'SERVICE wikibase:label { bd:serviceParam wikibase:language "fr,en" }',
    "full-iri": "SERVICE <http://wikiba.se/ontology#label> { <http://www.bigdata.com/rdf#serviceParam> "
    '<http://wikiba.se/ontology#language> "fr,en" . }',
    "auto-language": 'SERVICE wikibase:label { bd:serviceParam wikibase:language "fr,[AUTO_LANGUAGE]". }',
    "list-of-strings": 'SERVICE wikibase:label { bd:serviceParam wikibase:language "fr", "en" . }',
    "silent": 'SERVICE SILENT wikibase:label { bd:serviceParam wikibase:language "fr,en". }',
}


@pytest.mark.parametrize("form", list(SERVICE_FORMS), ids=str)
def test_each_form_of_the_service_binds_labels_in_language_order(store: ox.Store, form: str) -> None:
    query = f"SELECT ?city ?cityLabel WHERE {{ ?city wdt:P17 wd:Q1028 . {SERVICE_FORMS[form]} }} ORDER BY ?city"
    assert "SERVICE" not in rewrite_label_service(query)
    labels = {r["city"]: r["cityLabel"] for r in _run(store, query)}
    assert labels == {
        WD + "Q80985": "Fès",  # French first
        WD + "Q3551": "Rabat",  # no French label: English
        "https://w3id.org/learning-cities/id/city/benguerir": "https://w3id.org/learning-cities/id/city/benguerir",
    }


def test_no_label_in_any_language_gives_the_qid(store: ox.Store) -> None:
    query = (
        "SELECT ?x ?xLabel { VALUES ?x { wd:Q3551 } "
        'SERVICE wikibase:label { bd:serviceParam wikibase:language "ar". } }'
    )
    assert _run(store, query) == [{"x": WD + "Q3551", "xLabel": "Q3551"}]


def test_description_and_alt_labels(store: ox.Store) -> None:
    query = """SELECT ?x ?xLabel ?xDescription ?xAltLabel WHERE { VALUES ?x { wd:Q80985 }
      SERVICE wikibase:label { bd:serviceParam wikibase:language "en". } }"""
    [row] = _run(store, query)
    assert row["xLabel"] == "Fez" and row["xDescription"] == "a city"
    assert sorted(row["xAltLabel"].split(", ")) == ["Fes", "Fès"]


def test_a_label_stated_in_two_graphs_does_not_multiply_rows(store: ox.Store) -> None:
    query = """SELECT ?x ?xLabel WHERE { VALUES ?x { wd:Q80985 }
      SERVICE wikibase:label { bd:serviceParam wikibase:language "en". } }"""
    assert len(_run(store, query)) == 1


def test_explicit_bindings_inside_the_service(store: ox.Store) -> None:
    query = """SELECT ?city ?name ?country WHERE { ?city wdt:P17 ?c .
      SERVICE wikibase:label { bd:serviceParam wikibase:language "ar,en".
                               ?city rdfs:label ?name . ?c rdfs:label ?country } }"""
    rows = {r["city"]: (r.get("name"), r.get("country")) for r in _run(store, query)}
    assert rows[WD + "Q80985"] == ("فاس", "Morocco")


def test_select_star_binds_no_label(store: ox.Store) -> None:
    query = 'SELECT * WHERE { ?c wdt:P17 wd:Q1028 SERVICE wikibase:label { bd:serviceParam wikibase:language "en" } }'
    rows = _run(store, query)
    assert rows and all(set(r) == {"c"} for r in rows)


def test_service_inside_a_subquery_binds_there(store: ox.Store) -> None:
    query = """SELECT ?cityLabel WHERE { { SELECT ?city ?cityLabel WHERE { ?city wdt:P17 wd:Q1028 .
      SERVICE wikibase:label { bd:serviceParam wikibase:language "en". } } } FILTER(?city = wd:Q3551) }"""
    assert _run(store, query) == [{"cityLabel": "Rabat"}]


def test_strings_comments_and_iris_that_look_like_the_service_are_left_alone() -> None:
    query = (
        "# SERVICE wikibase:label { }\n"
        'SELECT ?s WHERE { ?s ?p "SERVICE wikibase:label { bd:serviceParam }" . '
        "?s ?q <http://example.org/SERVICE> }"
    )
    assert rewrite_label_service(query) == query


def test_a_query_without_the_service_comes_back_byte_for_byte() -> None:
    query = "PREFIX ex: <http://example.org/>\nSELECT ?x WHERE { ?x ex:p 'it''s' } # done\n"
    assert rewrite_label_service(query) == query


def test_a_redeclared_prefix_is_followed() -> None:
    query = (
        "PREFIX wb: <http://wikiba.se/ontology#>\n"
        'SELECT ?xLabel { ?x ?p ?o SERVICE wb:label { bd:serviceParam wb:language "en" } }'
    )
    assert "SERVICE" not in rewrite_label_service(query)


def test_other_services_are_not_touched() -> None:
    query = "SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
    assert rewrite_label_service(query) == query


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        ("http://wikiba.se/ontology#label", True),
        ("<http://wikiba.se/ontology#label>", True),
        ("wikibase:label", True),
        ("https://query.wikidata.org/sparql", False),
        ("http://wikiba.se/ontology#around", False),
    ],
)
def test_is_label_service(iri: str, expected: bool) -> None:
    assert is_label_service(iri) is expected
