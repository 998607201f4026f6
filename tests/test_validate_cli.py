"""`kg validate FILE...` in-process: exit codes, the terminal report, --format json|turtle, with and without a store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import SH

from kg.cli import main
from tests.conftest import ROOT

# the same examples and expected rules as over HTTP
from tests.test_validate_api import EXAMPLES, EXPECTED, SHAPES


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An on-disk store of the curated project, made by `kg load`."""
    path = tmp_path_factory.mktemp("validate-cli") / "store"
    assert main(["load", "--store", str(path)]) == 0
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example(capsys: pytest.CaptureFixture[str], store_path: str, name: str) -> None:
    code, out, _ = run(capsys, "--store", store_path, "--format", "json", str(EXAMPLES / f"{name}.ttl"))
    report = json.loads(out)
    rule = EXPECTED[name]
    assert code == (0 if rule is None else 1)
    assert report["conforms"] is (rule is None)
    violations = {r["sourceShape"] for r in report["results"] if r["severity"] == "Violation"}
    assert violations == (set() if rule is None else {SHAPES + rule})


def test_text_report_grouped_by_focus_node(capsys: pytest.CaptureFixture[str], store_path: str) -> None:
    code, out, err = run(capsys, "--store", store_path, str(EXAMPLES / "invalid-duplicate.ttl"))
    assert code == 1
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "Does not conform: 4 Violation, 0 Warning, 0 Info (1 focus node)"
    assert lines[2] == "city:fes-again  (Fes)"  # one heading for the focus node, its results under it
    assert sum(1 for line in lines if line.startswith("  ✗ Violation")) == 4
    assert "<https://w3id.org/learning-cities/id/city/fez>" in out
    assert "hint: If it is the same city, use the stored IRI city:fez" in out


def test_text_report_in_french(capsys: pytest.CaptureFixture[str], store_path: str) -> None:
    path = str(EXAMPLES / "invalid-coordinates-out-of-range.ttl")
    code, out, _ = run(capsys, "--store", store_path, "--lang", "fr", path)
    assert code == 1
    assert out.startswith("Non conforme: 1 Violation")
    assert "conseil: Utilisez une valeur d'au plus 90." in out


def test_turtle_report(capsys: pytest.CaptureFixture[str], store_path: str) -> None:
    code, out, _ = run(capsys, "--store", store_path, "-f", "turtle", str(EXAMPLES / "invalid-unknown-country.ttl"))
    assert code == 1
    graph = rdflib.Graph().parse(data=out, format="turtle")
    assert (None, SH.conforms, rdflib.Literal(False)) in graph
    (result,) = graph.subjects(rdflib.RDF.type, SH.ValidationResult)
    assert graph.value(result, SH.sourceShape) == rdflib.URIRef(SHAPES + "StoreCheck-unknownReference")


def test_curated_data_conforms(capsys: pytest.CaptureFixture[str], store_path: str) -> None:
    files = sorted(str(p) for p in (ROOT / "data").glob("*.trig"))
    assert files
    code, out, _ = run(capsys, "--store", store_path, "--format", "json", *files)
    report = json.loads(out)
    assert code == 0, [r for r in report["results"] if r["severity"] == "Violation"]
    assert report["counts"]["Violation"] == 0


def test_union_of_files(capsys: pytest.CaptureFixture[str], store_path: str, tmp_path: Path) -> None:
    # a membership in one file, its city in another: validated together they conform
    valid = (EXAMPLES / "valid-city.ttl").read_text()
    head, _, _ = valid.partition("city:exampleville\n")
    city, _, membership = valid[len(head) :].partition("membership:exampleville-gnlc\n    a kg:Membership")
    (tmp_path / "city.ttl").write_text(head + city)
    (tmp_path / "membership.ttl").write_text(head + "membership:exampleville-gnlc\n    a kg:Membership" + membership)
    code, _, _ = run(capsys, "--store", store_path, str(tmp_path / "membership.ttl"))
    assert code == 1  # alone, the member city has no country
    code, _, _ = run(capsys, "--store", store_path, str(tmp_path / "city.ttl"), str(tmp_path / "membership.ttl"))
    assert code == 0


def test_without_a_store_the_store_checks_are_skipped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    example = str(EXAMPLES / "invalid-duplicate.ttl")
    _, out, err = run(capsys, "--store", str(tmp_path / "none"), "-f", "json", example)
    assert "note: checks against stored data (references exist, duplicates) skipped" in err
    report = json.loads(out)
    assert report["notes"]
    assert not any("StoreCheck" in r["sourceShape"] for r in report["results"])
    assert not (tmp_path / "none").exists()  # validating never creates a store


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.ttl", None, ":9:68: Turtle syntax error"),
        ("missing.ttl", "", "cannot read"),
        ("notes.docx", "x", "unknown RDF file extension"),
    ],
    ids=["syntax", "missing", "extension"],
)
def test_unreadable_input_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is None:
        path.write_bytes((EXAMPLES / "invalid-syntax.ttl").read_bytes())
    elif content:
        path.write_text(content)
    code, out, err = run(capsys, "--store", str(tmp_path / "none"), str(path))
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert message in err
