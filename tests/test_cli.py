"""The `kg` command line, called in-process: exit codes, stdout for results, stderr for messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.cli import main


@pytest.fixture
def loaded(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KG_PROJECT_ROOT", str(project))
    store = tmp_path / "store"
    assert main(["load", "--store", str(store), "--quiet"]) == 0
    return store


def test_help_lists_commands_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("load", "query", "export"):
        assert command in out
    assert "exit codes" in out


def test_load_prints_a_summary_per_graph(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KG_PROJECT_ROOT", str(project))
    assert main(["load", "--store", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "graph/source/t1" in out and "total" in out


def test_query_prints_a_table(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = "SELECT ?label WHERE { ?c rdfs:label ?label FILTER(lang(?label) = 'ar') }"
    assert main(["query", "--store", str(loaded), q]) == 0
    out = capsys.readouterr().out
    assert "فاس@ar" in out and "1 row" in out


def test_query_from_file_as_json(loaded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "q.rq").write_text("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert main(["query", "--store", str(loaded), "--format", "json", f"@{tmp_path / 'q.rq'}"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert int(body["results"]["bindings"][0]["n"]["value"]) >= 3


def test_construct_as_ntriples(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l FILTER(lang(?l) = 'en') }"
    assert main(["query", "--store", str(loaded), "-f", "ntriples", q]) == 0
    assert '"Fez"@en .' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "SELECT * WHERE { ?s ?p }"], "does not parse"),
        (["query", "@/nonexistent/q.rq"], "cannot read the query file"),
        (["query", "-f", "turtle", "SELECT * WHERE { ?s ?p ?o }"], "is for CONSTRUCT"),
    ],
    ids=["syntax", "missing-file", "wrong-format"],
)
def test_query_errors_exit_2(loaded: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args[:1], "--store", str(loaded), *args[1:]]) == 2
    assert message in capsys.readouterr().err


def test_load_of_a_broken_file_exits_2(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KG_PROJECT_ROOT", str(project))
    (project / "ontology" / "bad.ttl").write_text("@prefix : <http://a/> .\n:a :b .\n")
    assert main(["load", "--store", str(tmp_path / "s")]) == 2
    assert "ontology/bad.ttl:2:" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["nquads", "trig", "turtle"])
def test_export_round_trips(loaded: Path, tmp_path: Path, fmt: str) -> None:
    import pyoxigraph as ox

    out = tmp_path / f"dump.{fmt}"
    assert main(["export", "--store", str(loaded), "--format", fmt, "--output", str(out)]) == 0
    parsed = list(
        ox.parse(path=str(out), format=ox.RdfFormat.from_extension({"nquads": "nq", "turtle": "ttl"}.get(fmt, fmt)))
    )
    labels = {q.object.value for q in parsed if q.predicate.value.endswith("#label")}
    assert {"Fez", "فاس"} <= labels
    if fmt != "turtle":
        assert {q.graph_name.value for q in parsed if not isinstance(q.graph_name, ox.DefaultGraph)} >= {
            "https://w3id.org/learning-cities/graph/source/t1"
        }


@pytest.mark.parametrize("command", [["backup", "/tmp/never"], ["restore", "/tmp/never"]], ids=lambda c: c[0])
def test_a_url_store_is_refused_where_only_the_embedded_one_works(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # rather than quietly using var/store while the user means their external store
    assert main([command[0], "--store", "http://127.0.0.1:9/", *command[1:]]) == 2
    assert f"`kg {command[0]}` works on the embedded store only" in capsys.readouterr().err
