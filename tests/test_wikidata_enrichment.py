"""`kg import-wikidata FILE`: what a Wikidata entity file or WDQS results file adds for our linked entities,
in its own graph with provenance, beside (never over) our values."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.cli import main
from kg.store import open_store
from kg.wikidata.enrichment import import_graph, parse_entity_data, read_wikidata_file
from tests.fixtures.wikidata.support import BASE, HERE, ROOT, WD

ENTITY_FILE = HERE / "Q80985.json"
WDQS_FILE = HERE / "wdqs-results.json"
FEZ = ox.NamedNode(BASE + "id/city/fez")
WGS_LAT = ox.NamedNode("http://www.w3.org/2003/01/geo/wgs84_pos#lat")
PROV = "http://www.w3.org/ns/prov#"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One on-disk store for the module: imports only ever write graph/wikidata/import/<name>."""
    store = tmp_path_factory.mktemp("wd-import") / "store"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KG_PROJECT_ROOT", str(ROOT))
        mp.delenv("KG_BASE_IRI", raising=False)
        assert main(["load", "--store", str(store), "--quiet"]) == 0
    return store


def _curated(store: ox.Store) -> set[ox.Quad]:
    return {q for q in store if not str(q.graph_name).startswith(f"<{BASE}graph/wikidata/")}


def _graph(store: ox.Store, name: str) -> set[ox.Quad]:
    return set(store.quads_for_pattern(None, None, None, ox.NamedNode(import_graph(name))))


def _values(quads: set[ox.Quad], subject: str, predicate: str) -> set[str]:
    return {q.object.value for q in quads if q.subject.value == subject and q.predicate.value == predicate}  # type: ignore[union-attr]


def test_entity_file_adds_coordinates_population_website_labels_beside_ours(
    loaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _curated(open_store(loaded, read_only=True))
    assert main(["import-wikidata", str(ENTITY_FILE), "--store", str(loaded)]) == 0
    err = capsys.readouterr().err
    store = open_store(loaded, read_only=True)
    assert _curated(store) == before, "a curated graph changed"
    quads = _graph(store, "Q80985.json")
    fez = FEZ.value
    assert _values(quads, fez, WGS_LAT.value) == {"34.0433"}
    # our latitude is still there, beside Wikidata's, and the difference is reported
    ours = {q.object.value for q in store.quads_for_pattern(FEZ, WGS_LAT, None, None)}  # type: ignore[union-attr]
    assert "34.0433" in ours and len(ours) >= 2
    assert "differs from ours" in err and "latitude" in err
    assert _values(quads, fez, BASE + "def/population") == {"1234567"}  # the deprecated 999 is left out
    assert _values(quads, fez, "http://xmlns.com/foaf/0.1/homepage") == {"https://fez.example.org/"}
    labels = {
        (q.object.value, q.object.language)  # type: ignore[union-attr]
        for q in quads
        if q.subject.value == WD + "Q80985" and q.predicate.value.endswith("#label")
    }
    assert labels == {("Fixture Fez", "en"), ("Fixture Fès", "fr"), ("فاس التجريبية", "ar")}  # no "de"
    population = [
        q.object.value  # type: ignore[union-attr]
        for q in quads
        if q.predicate.value == "http://www.wikidata.org/prop/qualifier/P585"
    ]
    assert population == ["2014-09-01T00:00:00Z"]
    graph = import_graph("Q80985.json")
    assert _values(quads, graph, PROV + "wasDerivedFrom") >= {ENTITY_FILE.resolve().as_uri(), WD + "Q80985"}
    assert _values(quads, graph, PROV + "generatedAtTime")


def test_wdqs_results_file_imports_linked_items_and_reports_others(
    loaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-wikidata", str(WDQS_FILE), "--store", str(loaded), "--name", "wdqs"]) == 0
    err = capsys.readouterr().err
    store = open_store(loaded, read_only=True)
    quads = _graph(store, "wdqs")
    casablanca = BASE + "id/city/casablanca"
    assert _values(quads, casablanca, BASE + "def/population") == {"7654321"}
    assert _values(quads, WD + "Q7903", "http://www.wikidata.org/prop/direct/P625") == {"Point(-7.5898 33.5731)"}
    imported = {q for q in store if str(q.graph_name).startswith(f"<{BASE}graph/wikidata/")}
    assert not any("Q1001887" in str(q) for q in imported), "an entity we do not link was imported"
    assert "Q1001887" in err and "not linked" in err


def test_importing_again_replaces_the_graph(loaded: Path) -> None:
    args = ["import-wikidata", str(ENTITY_FILE), "--store", str(loaded)]
    assert main(args) == 0
    first = {q for q in _graph(open_store(loaded, read_only=True), "Q80985.json") if "generatedAtTime" not in str(q)}
    assert main(args) == 0
    second = {q for q in _graph(open_store(loaded, read_only=True), "Q80985.json") if "generatedAtTime" not in str(q)}
    assert first == second


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "not a readable JSON"), ('{"foo": 1}', "neither an entity file")],
    ids=["not-json", "other-json"],
)
def test_unreadable_files_are_bad_input(
    loaded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["import-wikidata", str(bad), "--store", str(loaded)]) == 2
    assert message in capsys.readouterr().err


def test_parsing_skips_deprecated_statements_and_other_languages() -> None:
    [facts] = parse_entity_data(json.loads(ENTITY_FILE.read_text(encoding="utf-8")))
    assert [str(p.amount) for p in facts.populations] == ["1234567"]
    assert set(facts.labels) == {"en", "fr", "ar"}
    assert read_wikidata_file(WDQS_FILE)[0].qid == "Q7903"
