"""`kg backup` and `kg restore`: a round trip gives back the same dataset, blank nodes and all."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.cli import main
from kg.store import open_store


def _canonical(store_path: Path) -> list[str]:
    dataset = ox.Dataset(open_store(store_path, read_only=True))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def test_backup_restore_round_trip(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_PROJECT_ROOT", str(project))
    (project / "data" / "bnodes.trig").write_text(
        "<https://w3id.org/learning-cities/graph/source/t2> { <http://a/s> <http://a/p> [ <http://a/q> 1 ] . }\n"
    )
    store = tmp_path / "store"
    assert main(["load", "--store", str(store), "-q"]) == 0
    before = _canonical(store)
    assert main(["backup", "--store", str(store), str(tmp_path / "b1")]) == 0

    (project / "data" / "bnodes.trig").unlink()  # the store changes after the backup ...
    assert main(["load", "--store", str(store), "-q"]) == 0
    assert _canonical(store) != before

    assert main(["restore", "--store", str(store), str(tmp_path / "b1")]) == 0  # ... and comes back
    assert _canonical(store) == before
    assert (tmp_path / "b1").is_dir()  # the backup itself is left as it was


def test_backup_refuses_an_existing_target(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KG_PROJECT_ROOT", str(project))
    assert main(["load", "--store", str(tmp_path / "s"), "-q"]) == 0
    (tmp_path / "b").mkdir()
    assert main(["backup", "--store", str(tmp_path / "s"), str(tmp_path / "b")]) == 2
    assert "exists already" in capsys.readouterr().err


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "CURRENT").write_text("nonsense")
    assert main(["restore", "--store", str(tmp_path / "s"), str(tmp_path / "junk")]) == 2
    assert "is not a store backup" in capsys.readouterr().err
