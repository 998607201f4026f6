"""Shapes, ontology and QC checks: every shape has a failing case, the vocabulary is documented in en/fr/ar."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDFS, SKOS, XSD

from kg.shacl import ValidationOutcome, load_ontology, load_shapes, union_graph, validate

HERE = Path(__file__).parent
ROOT = HERE.parent
SH = Namespace("http://www.w3.org/ns/shacl#")
KG = "https://w3id.org/learning-cities/def/"
KGSH = "https://w3id.org/learning-cities/shapes/"
LANGUAGES = ("en", "fr", "ar")
DCTERMS_MODIFIED = URIRef("http://purl.org/dc/terms/modified")

SHAPE_CASES = sorted((HERE / "cases" / "shapes").glob("*/*.ttl"))
assert SHAPE_CASES, "no shape cases found"  # a broken glob must fail loudly, not pass quietly
QC_QUERIES = sorted((HERE / "qc").glob("*.rq"))
assert QC_QUERIES, "no QC queries found"
ONTOLOGY_FILES = sorted((ROOT / "ontology").glob("*.ttl"))
TURTLE_FILES = ONTOLOGY_FILES + sorted((ROOT / "shapes").glob("*.ttl")) + SHAPE_CASES
PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
EXPECT = re.compile(r"^# expect: kgsh:(\S+)$", re.MULTILINE)


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return load_shapes(ROOT)


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return load_ontology(ROOT)


def _source_shapes(outcome: ValidationOutcome) -> set[str]:
    report = outcome.report
    return {
        str(report.value(result, SH.sourceShape)).removeprefix(KGSH)
        for result in report.subjects(RDF.type, SH.ValidationResult)
    }


def _languages(graph: Graph, subject: URIRef, predicate: URIRef) -> set[str]:
    return {o.language for o in graph.objects(subject, predicate) if isinstance(o, Literal) and o.language}


def _kg_terms(graph: Graph, *kinds: URIRef) -> list[URIRef]:
    return sorted(
        {s for kind in kinds for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef) and s.startswith(KG)}
    )


@pytest.mark.parametrize("case", SHAPE_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_shape_case(case: Path, shapes: Graph, ontology: Graph) -> None:
    # Strict: a warning counts too, so each advisory shape has a case that fails and valid cases are spotless.
    outcome = validate(union_graph([case]), shapes=shapes, ontology=ontology, allow_warnings=False)
    expected = set(EXPECT.findall(case.read_text(encoding="utf-8")))
    is_valid = case.stem.startswith("valid-")
    assert outcome.conforms == is_valid, outcome.text
    assert len(expected) == (0 if is_valid else 1), "an invalid case names one '# expect: kgsh:<Shape>' line"
    # Each invalid case breaks exactly one rule, and the report names that rule's shape.
    assert _source_shapes(outcome) == expected, outcome.text


def test_every_shape_has_a_failing_case(shapes: Graph) -> None:
    rules = {str(s).removeprefix(KGSH) for s in shapes.subjects(SH.severity, None)}
    covered = {name for case in SHAPE_CASES for name in EXPECT.findall(case.read_text(encoding="utf-8"))}
    assert rules - covered == set(), "shapes without an invalid case"
    assert covered - rules == set(), "cases expecting a shape that does not exist"


def test_every_rule_has_an_iri_a_severity_and_messages_in_three_languages(shapes: Graph) -> None:
    property_shapes = set(shapes.subjects(SH.path, None))
    sparql_shapes = set(shapes.subjects(SH.sparql, None))
    assert property_shapes and sparql_shapes
    for shape in property_shapes | sparql_shapes:
        assert isinstance(shape, URIRef) and shape.startswith(KGSH), f"{shape} needs its own kgsh: IRI"
        assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info), shape
        assert _languages(shapes, shape, SH.message) >= set(LANGUAGES), shape
    for constraint in shapes.objects(None, SH.sparql):
        assert _languages(shapes, constraint, SH.message) >= set(LANGUAGES), constraint
        assert shapes.value(constraint, SH.prefixes) == URIRef(KGSH)


def test_sparql_prefixes_are_declared(shapes: Graph) -> None:
    declared = {
        str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
        for d in shapes.objects(URIRef(KGSH), SH.declare)
    }
    for query in shapes.objects(None, SH.select):
        for prefix in set(re.findall(r"\b([a-z]+):[A-Za-z]", str(query))):
            assert prefix in declared, f"prefix {prefix}: used in a SPARQL constraint but not declared"


def test_every_class_is_targeted(shapes: Graph, ontology: Graph) -> None:
    targeted = set(shapes.objects(None, SH.targetClass))
    for cls in _kg_terms(ontology, OWL.Class):
        ancestors = set(ontology.transitive_objects(cls, RDFS.subClassOf))
        assert ancestors & targeted, f"no shape targets {cls} or a superclass"


def test_every_term_is_documented_in_three_languages(ontology: Graph) -> None:
    modules = set(ontology.subjects(RDF.type, OWL.Ontology))
    terms = _kg_terms(ontology, OWL.Class, *PROPERTY_KINDS)
    assert len(terms) > 100
    for term in terms:
        assert _languages(ontology, term, RDFS.label) >= set(LANGUAGES), term
        assert _languages(ontology, term, RDFS.comment) >= set(LANGUAGES), term
        assert ontology.value(term, RDFS.isDefinedBy) in modules, term
    for prop in _kg_terms(ontology, *PROPERTY_KINDS):
        assert ontology.value(prop, RDFS.domain) is not None, prop
        assert ontology.value(prop, RDFS.range) is not None, prop


def test_every_concept_is_documented_in_three_languages(ontology: Graph) -> None:
    schemes = set(ontology.subjects(RDF.type, SKOS.ConceptScheme))
    concepts = _kg_terms(ontology, SKOS.Concept)
    assert len(concepts) > 40
    for concept in concepts:
        assert _languages(ontology, concept, SKOS.prefLabel) >= set(LANGUAGES), concept
        assert _languages(ontology, concept, SKOS.definition) >= set(LANGUAGES), concept
        assert ontology.value(concept, SKOS.inScheme) in schemes, concept


def test_model_contract_terms_exist(ontology: Graph) -> None:
    model = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    vocabulary = model[model.index("## Classes") : model.index("## Provenance")]
    prefixes = {"owl", "rdf", "rdfs", "xsd", "skos", "dcterms", "prov", "org", "schema", "geo", "wgs", "foaf"}
    names = {n for n in re.findall(r"`(?:kg:)?([A-Za-z]+)`", vocabulary) if n not in prefixes | {"wd", "wdt", "sh"}}
    defined = {str(s).removeprefix(KG) for s in ontology.subjects(RDFS.isDefinedBy, None) if str(s).startswith(KG)}
    # "likely" is an adjective in the prose, not a term.
    assert names - defined <= {"likely"}


@pytest.mark.parametrize("path", ONTOLOGY_FILES, ids=lambda p: p.name)
def test_version_iri_follows_modified_date(path: Path) -> None:
    graph = Graph().parse(path, format="turtle")
    (ontology,) = graph.subjects(RDF.type, OWL.Ontology)
    modified = graph.value(ontology, DCTERMS_MODIFIED)
    assert isinstance(modified, Literal) and modified.datatype == XSD.date
    assert str(graph.value(ontology, OWL.versionIRI)).endswith(f"/{modified}")
    assert str(graph.value(ontology, OWL.versionInfo)) == str(modified)
    assert graph.value(ontology, URIRef("http://purl.org/dc/terms/license")) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert _languages(graph, ontology, URIRef("http://purl.org/dc/terms/title")) >= set(LANGUAGES)


@pytest.mark.parametrize("path", TURTLE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_turtle_parses_with_oxigraph_and_rdflib_alike(path: Path) -> None:
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.DefaultGraph())
    assert len(store) == len(Graph().parse(path, format="turtle")) > 0


def _ontology_store() -> ox.Store:
    store = ox.Store()
    for path in ONTOLOGY_FILES:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(path.resolve().as_uri()))
    return store


@pytest.mark.parametrize("query", QC_QUERIES, ids=lambda p: p.stem)
def test_qc_query_finds_nothing_in_the_ontology(query: Path) -> None:
    rows = list(_ontology_store().query(query.read_text(encoding="utf-8"), use_default_graph_as_union=True))
    assert rows == []


BROKEN_VOCABULARY = b"""
@prefix kg: <https://w3id.org/learning-cities/def/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
kg:Thing a owl:Class ; rdfs:label "Thing"@en ; rdfs:comment "A thing."@en ; rdfs:isDefinedBy kg:nowhere .
kg:prop a owl:ObjectProperty ; rdfs:domain kg:Thingy .
<https://w3id.org/learning-cities/def/unit/gram> a skos:Concept ; skos:prefLabel "gram"@en .
"""


@pytest.mark.parametrize("query", QC_QUERIES, ids=lambda p: p.stem)
def test_qc_query_catches_a_broken_vocabulary(query: Path) -> None:
    store = ox.Store()
    store.load(BROKEN_VOCABULARY, format=ox.RdfFormat.TURTLE)
    assert list(store.query(query.read_text(encoding="utf-8"), use_default_graph_as_union=True))


def test_curated_data_conforms(shapes: Graph, ontology: Graph) -> None:
    files = sorted(p for p in (ROOT / "data").rglob("*") if p.suffix in {".ttl", ".trig", ".nq", ".nt", ".jsonld"})
    if not files:
        pytest.skip("data/ holds no RDF file yet")
    outcome = validate(union_graph(files), shapes=shapes, ontology=ontology)
    assert outcome.conforms, outcome.text


def test_union_graph_merges_named_graphs(tmp_path: Path) -> None:
    trig = tmp_path / "two-graphs.trig"
    trig.write_text(
        "@prefix ex: <https://example.org/> .\n"
        "ex:g1 { ex:a ex:p ex:b . }\n"
        "ex:g2 { ex:a ex:p ex:b . ex:c ex:p ex:d . }\n",
        encoding="utf-8",
    )
    turtle = tmp_path / "default.ttl"
    turtle.write_text("<https://example.org/e> <https://example.org/p> 1 .\n", encoding="utf-8")
    assert len(union_graph([trig, turtle])) == 3


def test_union_graph_refuses_remote_jsonld_context(tmp_path: Path) -> None:
    doc = tmp_path / "remote.jsonld"
    doc.write_text('{"@context": "https://schema.org/", "@id": "https://example.org/x", "name": "x"}', encoding="utf-8")
    with pytest.raises(ValueError, match="remote context"):
        union_graph([doc])


def test_union_graph_rejects_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown RDF file extension"):
        union_graph([tmp_path / "notes.txt"])


def test_subclass_instances_are_targeted(shapes: Graph, ontology: Graph) -> None:
    # kg:LearningCity is a kg:City only through rdfs:subClassOf in ontology/: the membership rule must see it.
    data = Graph().parse(
        data="""
        @prefix kg: <https://w3id.org/learning-cities/def/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <https://w3id.org/learning-cities/id/city/x> a kg:LearningCity ; rdfs:label "X"@en .
        <https://w3id.org/learning-cities/id/membership/x> a kg:Membership ; rdfs:label "X"@en ;
            kg:member <https://w3id.org/learning-cities/id/city/x> .
        """,
        format="turtle",
    )
    outcome = validate(data, shapes=shapes, ontology=ontology)
    assert not outcome.conforms
    assert _source_shapes(outcome) >= {"Membership-network", "Membership-cityHasCountry"}
    assert "Membership-member" not in _source_shapes(outcome)
