"""`kg export-wikidata`: every QuickStatements line parsed back and checked column by column and against the
graph; what cannot be exported is listed (Mix'n'match CSV) instead of being invented."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.cli import main
from kg.querying import evaluate
from kg.store import open_store
from kg.wikidata.quickstatements import MIXNMATCH_COLUMNS, qs_time
from tests.fixtures.wikidata.support import BASE, ROOT, WD, verified_pids, verified_qids

RETRIEVED = "+2026-11-23T00:00:00Z/11"
ITEM = re.compile(r"Q[1-9][0-9]*")
PROPERTY = re.compile(r"P[1-9][0-9]*")
TIME = re.compile(r"\+([0-9]{4})-([0-9]{2})-([0-9]{2})T00:00:00Z/(9|10|11)")
COORDINATE = re.compile(r"@(-?[0-9]+(?:\.[0-9]+)?)/(-?[0-9]+(?:\.[0-9]+)?)")
QUANTITY = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
URL = re.compile(r'"(https?://[^"\s]+)"')


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("wd-export") / "store"
    mp = pytest.MonkeyPatch()
    mp.setenv("KG_PROJECT_ROOT", str(ROOT))
    mp.delenv("KG_BASE_IRI", raising=False)
    try:
        assert main(["load", "--store", str(store), "--quiet"]) == 0
    finally:
        mp.undo()
    return store


@pytest.fixture(scope="module")
def exported(loaded: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[dict[str, str]]]:
    out = tmp_path_factory.mktemp("wd-out")
    args = ["export-wikidata", "--store", str(loaded), "--retrieved", "2026-11-23"]
    assert main([*args, "--output", str(out / "qs.tsv"), "--unmatched", str(out / "unmatched.csv")]) == 0
    lines = (out / "qs.tsv").read_text(encoding="utf-8").splitlines()
    rows = list(csv.DictReader(io.StringIO((out / "unmatched.csv").read_text(encoding="utf-8"))))
    return lines, rows


def _value_ok(value: str) -> bool:
    if ITEM.fullmatch(value):
        return value in verified_qids()
    if m := TIME.fullmatch(value):
        _, month, day, precision = m.groups()
        # units below the precision are zero, as Wikibase stores them
        return (precision != "9" or (month, day) == ("00", "00")) and (precision != "10" or day == "00")
    if m := COORDINATE.fullmatch(value):
        return -90 <= float(m.group(1)) <= 90 and -180 <= float(m.group(2)) <= 180
    return bool(QUANTITY.fullmatch(value))


def _article_urls(store: ox.Store) -> set[str]:
    rows = evaluate(store, "SELECT ?u WHERE { ?a a kg:SourceArticle ; schema:url ?u }")
    assert isinstance(rows, ox.QuerySolutions)
    single = evaluate(
        store,
        "SELECT (SAMPLE(?e) AS ?u) WHERE { ?g prov:wasDerivedFrom ?e FILTER NOT EXISTS { ?e a kg:SourceArticle } }"
        " GROUP BY ?g HAVING (COUNT(DISTINCT ?e) = 1)",
    )
    assert isinstance(single, ox.QuerySolutions)
    return {r["u"].value for r in rows} | {r["u"].value for r in single}


def test_every_line_parses_column_by_column(exported: tuple[list[str], list[dict[str, str]]], loaded: Path) -> None:
    lines, _ = exported
    assert lines, "nothing exported"
    urls = _article_urls(open_store(loaded, read_only=True))
    for line in lines:
        columns = line.split("\t")
        item, pid, value, rest = columns[0], columns[1], columns[2], columns[3:]
        assert ITEM.fullmatch(item) and item in verified_qids(), line
        assert PROPERTY.fullmatch(pid) and pid in verified_pids(), line
        assert _value_ok(value), line
        # then qualifier pairs, then the reference: S854 "url" S813 retrieved, last
        assert rest[-4:-2][0] == "S854" and rest[-2:] == ["S813", RETRIEVED], line
        assert (m := URL.fullmatch(rest[-3])) and m.group(1) in urls, line
        qualifiers = rest[:-4]
        assert len(qualifiers) % 2 == 0, line
        for q, v in zip(qualifiers[::2], qualifiers[1::2], strict=True):
            assert PROPERTY.fullmatch(q) and q in verified_pids() and _value_ok(v), line


def test_every_line_restates_a_fact_of_the_graph(
    exported: tuple[list[str], list[dict[str, str]]], loaded: Path
) -> None:
    store = open_store(loaded, read_only=True)
    for line in exported[0]:
        item, pid, value = line.split("\t")[:3]
        if not ITEM.fullmatch(value):
            continue
        ask = evaluate(
            store,
            f"ASK {{ ?s owl:sameAs wd:{item} . ?o owl:sameAs wd:{value} . ?s ?p ?o . "
            f"?p rdfs:subPropertyOf wdt:{pid} }}",
        )
        assert bool(ask), f"{line}: no kg: fact behind it"


def test_no_line_for_an_entity_or_value_without_a_verified_id(exported: tuple[list[str], list[dict[str, str]]]) -> None:
    lines, rows = exported
    assert not any(BASE in line for line in lines)
    gnlc = [r for r in rows if r["url"] == BASE + "id/network/gnlc"]
    assert gnlc, "the GNLC has no Wikidata id, so member-of statements wait for it in the CSV"
    assert "P463" in gnlc[0]["blocks"]
    assert not any("\tP463\t" in line for line in lines)


def test_unmatched_csv_lists_entities_without_id(
    exported: tuple[list[str], list[dict[str, str]]], loaded: Path
) -> None:
    _, rows = exported
    assert rows and list(rows[0]) == list(MIXNMATCH_COLUMNS)
    store = open_store(loaded, read_only=True)
    ids = {r["url"] for r in rows}
    assert BASE + "id/city/benguerir" in ids
    for row in rows:
        assert row["url"] == BASE + "id/" + row["id"] and row["name"]
        same = evaluate(store, f"ASK {{ <{row['url']}> owl:sameAs ?w FILTER(STRSTARTS(STR(?w), STR(wd:))) }}")
        assert not bool(same), f"{row['url']} has a Wikidata id but is listed as unmatched"
    assert not any(r["url"].startswith(WD) for r in rows)


def test_summary_on_stderr_and_commands_on_stdout(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export-wikidata", "--store", str(loaded), "--retrieved", "2026-11-23"]) == 0
    captured = capsys.readouterr()
    assert captured.out.endswith("\n") and all(line.count("\t") >= 6 for line in captured.out.splitlines())
    assert "QuickStatements lines" in captured.err and "left out:" in captured.err


def test_a_bad_retrieved_date_is_a_usage_error(loaded: Path) -> None:
    assert main(["export-wikidata", "--store", str(loaded), "--retrieved", "23/11/2026"]) == 2


@pytest.mark.parametrize(
    ("lexical", "precision", "expected"),
    [
        ("2020-09-23T00:00:00Z", 11, "+2020-09-23T00:00:00Z/11"),
        ("2015-09-01T00:00:00Z", 10, "+2015-09-00T00:00:00Z/10"),
        ("2013-01-01T00:00:00Z", 9, "+2013-00-00T00:00:00Z/9"),
    ],
)
def test_time_precision(lexical: str, precision: int, expected: str) -> None:
    assert qs_time(lexical, precision) == expected


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not a day/month/year time"):
        qs_time("2013-01-01T00:00:00Z", 7)
