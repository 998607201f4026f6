"""Competency questions over the curated data, and checks on the data's links and labels.

The questions are kg/queries/examples/*.rq (the query page offers them); their answers, tests/cases/queries/.

Each `<name>.rq` opens with the question it answers; `<name>.expected.json` holds the answer derived from the
sources (a list of rows, each a dict variable -> lexical value; unbound variables are absent). Rows are
compared as a multiset unless the query has ORDER BY.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ONTOLOGY = ROOT / "ontology"
# the questions ship with the package (the query page offers them as examples); the answers stay here
QUERIES = ROOT / "kg" / "queries" / "examples"
ANSWERS = Path(__file__).resolve().parent / "cases" / "queries"
REFERENCE = ROOT.parent / "shared" / "reference"  # shared/ sits beside the repository clone
BASE = "https://w3id.org/learning-cities/"
WIKIDATA = "http://www.wikidata.org/entity/"
LANGUAGES = {"en", "fr", "ar"}

CASES = sorted(QUERIES.glob("*.rq"))
assert CASES, f"no competency questions in {QUERIES}"  # a broken glob must fail loudly, not pass quietly
DATA_FILES = sorted(DATA.glob("*.trig"))
assert DATA_FILES, f"no TriG files in {DATA}"

# Counts that change whenever a graph gains a triple: asserted positive, not compared with a fixed number.
COUNT_VARIABLES = {"q08-facts-per-source": ("triples",)}

# Our English label -> the label_en of its row in wikidata-ids.tsv, where the two differ beyond the
# parenthesised variants that the reference appends ("Fez (Fès)").
REFERENCE_LABEL = {"Oriental Region": "Oriental"}

Row = dict[str, str]


@pytest.fixture(scope="module")
def competency_store() -> ox.Store:
    """The ontology (one named graph per file, if it exists yet) and data/*.trig in an in-memory store."""
    store = ox.Store()
    if ONTOLOGY.is_dir():
        for path in sorted(ONTOLOGY.glob("*.ttl")):
            graph = ox.NamedNode(f"{BASE}graph/ontology/{path.stem}")
            store.load(path=path, format=ox.RdfFormat.TURTLE, to_graph=graph)
    for path in DATA_FILES:
        store.load(path=path, format=ox.RdfFormat.TRIG)
    return store


def _select(store: ox.Store, query: str) -> list[Row]:
    results = store.query(query, use_default_graph_as_union=True)
    assert isinstance(results, ox.QuerySolutions), "competency questions are SELECT queries"
    names = [variable.value for variable in results.variables]
    rows = []
    for solution in results:
        # typed literals compare by lexical value, language-tagged ones by their text
        rows.append({name: solution[name].value for name in names if solution[name] is not None})
    return rows


def _multiset(rows: list[Row]) -> Counter[str]:
    return Counter(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows)


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.stem)
def test_competency_question(competency_store: ox.Store, case: Path) -> None:
    query = case.read_text(encoding="utf-8")
    assert query.startswith("#"), f"{case.name} must open with a comment stating its question"
    expected = json.loads((ANSWERS / f"{case.stem}.expected.json").read_text(encoding="utf-8"))
    rows = _select(competency_store, query)
    for variable in COUNT_VARIABLES.get(case.stem, ()):
        for row in rows:
            assert int(row.pop(variable)) > 0, f"{case.stem}: ?{variable} must be positive in {row}"
    if re.search(r"\bORDER\s+BY\b", query, re.IGNORECASE):
        assert rows == expected
    else:
        missing = _multiset(expected) - _multiset(rows)
        unexpected = _multiset(rows) - _multiset(expected)
        assert not missing and not unexpected, f"missing rows: {list(missing)}\nunexpected rows: {list(unexpected)}"


# --- the data files themselves ---------------------------------------------------------------------


# rdflib 7.6 parses TriG through its own deprecated ConjunctiveGraph API: those warnings are not about our data
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("path", DATA_FILES, ids=lambda path: path.name)
def test_data_file_parses_in_rdflib(path: Path) -> None:
    dataset = rdflib.Dataset()
    dataset.parse(data=path.read_text(encoding="utf-8"), format="trig")
    assert len(dataset) > 0


def test_each_graph_is_declared_by_one_file() -> None:
    # one file per graph, so that reloading a file replaces exactly its triples
    owners: dict[str, list[str]] = {}
    for path in DATA_FILES:
        graphs = {quad.graph_name for quad in ox.parse(path.read_bytes(), format=ox.RdfFormat.TRIG)}
        assert ox.DefaultGraph() not in graphs, f"{path.name} puts triples in the default graph"
        for graph in graphs:
            owners.setdefault(str(graph), []).append(path.name)
    shared = {graph: files for graph, files in owners.items() if len(files) > 1}
    assert not shared, f"graphs declared by several files: {shared}"


# --- sources ---------------------------------------------------------------------------------------

SOURCE_GRAPHS = f"""
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX kg: <{BASE}def/>
SELECT ?graph ?article ?language WHERE {{
    GRAPH ?graph {{ ?s ?p ?o }}
    FILTER(STRSTARTS(STR(?graph), "{BASE}graph/source/"))
    OPTIONAL {{
        GRAPH <{BASE}graph/provenance> {{
            ?article kg:graph ?graph .
            OPTIONAL {{ ?article dcterms:language ?language }}
        }}
    }}
}}
"""


def test_every_source_graph_has_an_article_with_a_language(competency_store: ox.Store) -> None:
    rows = _select(competency_store, SOURCE_GRAPHS)
    graphs = {row["graph"] for row in rows}
    assert graphs, "no graph/source/* graph in data/"
    for graph in graphs:
        languages = {row.get("language") for row in rows if row["graph"] == graph and "article" in row}
        assert languages, f"{graph}: no article in graph/provenance names it with kg:graph"
        assert languages <= LANGUAGES, f"{graph}: the article's dcterms:language is {languages}"


UNDESCRIBED_GRAPHS = f"""
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?graph WHERE {{
    GRAPH ?graph {{ ?s ?p ?o }}
    FILTER(STRSTARTS(STR(?graph), "{BASE}graph/source/") || STRSTARTS(STR(?graph), "{BASE}graph/reference/"))
    FILTER NOT EXISTS {{
        GRAPH <{BASE}graph/provenance> {{ ?graph prov:wasDerivedFrom ?evidence }}
    }}
}}
"""

UNSOURCED_REFERENCE_GRAPHS = f"""
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?graph WHERE {{
    GRAPH ?graph {{ ?s ?p ?o }}
    FILTER(STRSTARTS(STR(?graph), "{BASE}graph/reference/"))
    FILTER NOT EXISTS {{ GRAPH <{BASE}graph/provenance> {{ ?graph dcterms:source ?file }} }}
}}
"""


def test_every_graph_is_described_in_provenance(competency_store: ox.Store) -> None:
    assert _select(competency_store, UNDESCRIBED_GRAPHS) == []
    assert _select(competency_store, UNSOURCED_REFERENCE_GRAPHS) == []


# --- labels ----------------------------------------------------------------------------------------

UNLABELLED = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?entity WHERE {{
    GRAPH ?g {{ ?entity ?p ?o }}
    FILTER(STRSTARTS(STR(?entity), "{BASE}id/"))
    FILTER NOT EXISTS {{ ?entity rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }}
}}
"""

UNTYPED = f"""
SELECT DISTINCT ?entity WHERE {{
    {{ ?entity ?p ?o }} UNION {{ ?s ?p ?entity }}
    FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), "{BASE}id/"))
    FILTER NOT EXISTS {{ ?entity a ?type }}
}}
"""


def test_every_entity_has_an_english_label(competency_store: ox.Store) -> None:
    assert _select(competency_store, UNLABELLED) == []


def test_every_entity_has_a_type(competency_store: ox.Store) -> None:
    assert _select(competency_store, UNTYPED) == []


# --- Wikidata links --------------------------------------------------------------------------------


def _reference_rows() -> dict[str, Row]:
    """wikidata-ids.tsv indexed by each English name its label_en gives ("Fez (Fès)" -> Fez, Fès)."""
    if not REFERENCE.is_dir():
        pytest.skip(f"{REFERENCE} is absent: the shared reference files are expected beside the repository clone")
    rows: dict[str, Row] = {}
    with (REFERENCE / "wikidata-ids.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            label = row["label_en"]
            names = [label.split(" (")[0]]
            if "(" in label:
                names += [name.strip() for name in label.split("(", 1)[1].rstrip(")").split("/")]
            for name in names:
                rows.setdefault(name, row)
    return rows


def _reference_row(rows: dict[str, Row], label: str) -> Row | None:
    return rows.get(REFERENCE_LABEL.get(label, label))


WIKIDATA_STATEMENTS = f"""
PREFIX kg: <{BASE}def/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?entity ?label ?link ?likely WHERE {{
    GRAPH ?g {{
        {{ ?entity owl:sameAs ?link FILTER(STRSTARTS(STR(?link), "{WIKIDATA}")) }}
        UNION {{ ?entity kg:likelyWikidataId ?likely }}
    }}
    FILTER(!STRSTARTS(STR(?g), "{BASE}graph/ontology/"))
    OPTIONAL {{ ?entity rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }}
}}
"""


def test_wikidata_links_are_verified_reference_ids(competency_store: ox.Store) -> None:
    reference = _reference_rows()
    statements = _select(competency_store, WIKIDATA_STATEMENTS)
    links = [row for row in statements if "link" in row]
    assert links, "no owl:sameAs link to Wikidata in data/"
    problems = []
    for row in links:
        qid = row["link"].removeprefix(WIKIDATA)
        found = _reference_row(reference, row.get("label", ""))
        if found is None:
            problems.append(f"{row['entity']} ({row.get('label')}): no row in wikidata-ids.tsv")
        elif (found["qid"], found["confidence"]) != (qid, "verified"):
            problems.append(f"{row['entity']}: links {qid}, reference has {found['qid']!r} ({found['confidence']})")
    assert not problems, "\n".join(problems)


def test_likely_wikidata_ids_are_likely_reference_ids(competency_store: ox.Store) -> None:
    reference = _reference_rows()
    problems = []
    for row in _select(competency_store, WIKIDATA_STATEMENTS):
        if "likely" not in row:
            continue
        found = _reference_row(reference, row.get("label", ""))
        if found is None or (found["qid"], found["confidence"]) != (row["likely"], "likely"):
            problems.append(f"{row['entity']}: kg:likelyWikidataId {row['likely']}, reference row {found}")
    assert not problems, "\n".join(problems)
