"""The loader: named graphs per file, idempotent rebuilds, errors that name the place, an old store kept intact."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import LoadError
from kg.loading import graph_counts, load_files, project_files, rebuild
from kg.parallel_loading import bulk_load_parts, plan_parts
from kg.store import current_generation, open_store
from tests.conftest import ROOT

FEZ = "https://w3id.org/learning-cities/id/city/fez"


def _quads(store_path: Path) -> set[str]:
    store = open_store(store_path, read_only=True)
    return {str(q) for q in store}


def test_each_file_fills_its_own_graph(project: Path, tmp_path: Path) -> None:
    counts = rebuild(tmp_path / "store", project_files(project))
    graphs = {c.graph: c.triples for c in counts}
    assert graphs["https://w3id.org/learning-cities/graph/source/t1"] == 2
    assert graphs["https://w3id.org/learning-cities/graph/ontology/kg"] == 1
    # graph/load says which file filled which graph, with its hash
    store = open_store(tmp_path / "store", read_only=True)
    rows = list(
        store.query(
            "SELECT ?f WHERE { GRAPH ?l { <https://w3id.org/learning-cities/graph/source/t1> "
            "<http://purl.org/dc/terms/source> ?f } }"
        )
    )
    assert [r["f"].value for r in rows] == ["data/cities.trig"]  # type: ignore[union-attr]


def test_rebuild_is_idempotent(project: Path, tmp_path: Path) -> None:
    rebuild(tmp_path / "store", project_files(project))
    first = _quads(tmp_path / "store")
    rebuild(tmp_path / "store", project_files(project))
    assert _quads(tmp_path / "store") == first
    # only the live generation is left on disk
    assert len(list((tmp_path / "store").glob("gen-*"))) == 1


def test_syntax_error_names_file_line_column_and_keeps_old_store(project: Path, tmp_path: Path) -> None:
    rebuild(tmp_path / "store", project_files(project))
    before, live = _quads(tmp_path / "store"), current_generation(tmp_path / "store")
    (project / "data" / "broken.trig").write_text("<http://a/g> {\n  <http://a/s> <http://a/p> <bad iri> .\n}\n")
    with pytest.raises(LoadError, match=r"data/broken\.trig:2:\d+: .*IRI"):
        rebuild(tmp_path / "store", project_files(project))
    assert current_generation(tmp_path / "store") == live
    assert _quads(tmp_path / "store") == before
    assert len(list((tmp_path / "store").glob("gen-*"))) == 1  # the half-built generation is gone


def test_triples_outside_a_graph_are_refused(project: Path) -> None:
    (project / "data" / "loose.trig").write_text("<http://a/s> <http://a/p> <http://a/o> .\n")
    with pytest.raises(LoadError, match=r"data/loose\.trig: .*outside any GRAPH"):
        load_files(ox.Store(), project_files(project))


def test_two_files_may_not_fill_one_graph(project: Path) -> None:
    (project / "data" / "again.trig").write_text(
        "<https://w3id.org/learning-cities/graph/source/t1> { <http://a/s> <http://a/p> 1 . }\n"
    )
    with pytest.raises(LoadError, match=r"already filled by data/(again|cities)\.trig"):
        load_files(ox.Store(), project_files(project))


def test_another_base_rewrites_our_iris_only(project: Path) -> None:
    base = "http://localhost:8000/"
    store = ox.Store()
    load_files(store, project_files(project, base), base=base)
    subjects = {q.subject.value for q in store if isinstance(q.subject, ox.NamedNode)}
    assert "http://localhost:8000/id/city/fez" in subjects
    assert FEZ not in subjects
    assert "http://localhost:8000/graph/source/t1" in {c.graph for c in graph_counts(store)}


def test_progress_is_reported(project: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    load_files(ox.Store(), project_files(project), progress=lambda *a: seen.append(a))
    assert seen, "no progress reported"
    _label, done, total = seen[-1]
    assert done == total > 0


def test_the_curated_project_loads(store: ox.Store) -> None:
    graphs = {c.graph for c in graph_counts(store)}
    assert any("/graph/ontology/" in g for g in graphs)
    if (ROOT / "data").is_dir():
        assert any("/graph/source/" in g for g in graphs)


def _nquads(path: Path, lines: int, *, tail: str = "") -> Path:
    with path.open("w") as out:
        for i in range(lines):
            out.write(f'<http://ex.org/s{i}> <http://ex.org/p> "v{i}" <http://ex.org/g{i % 5}> .\n')
        out.write(tail)
    return path


def test_a_line_based_file_loads_in_parts_cut_at_line_ends(tmp_path: Path) -> None:
    path = _nquads(tmp_path / "d.nq", 1000)
    data = path.read_bytes()
    parts = plan_parts(path, ox.RdfFormat.N_QUADS, cores=3, min_part_bytes=1)
    assert len(parts) == 3
    assert parts[0][0] == 0 and parts[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(parts))
    assert all(data[end - 1 : end] == b"\n" for _, end in parts)
    store = ox.Store(str(tmp_path / "store"))
    seen: list[tuple[int, int]] = []
    bulk_load_parts(store, path, ox.RdfFormat.N_QUADS, parts, progress=lambda *a: seen.append(a))
    assert set(store) == set(ox.parse(data, format=ox.RdfFormat.N_QUADS))
    assert max(done for done, _ in seen) == seen[-1][1] == len(data)


@pytest.mark.parametrize(
    ("name", "tail", "fmt"),
    [
        ("blank.nq", '_:b <http://ex.org/p> "x" <http://ex.org/g0> .\n', ox.RdfFormat.N_QUADS),
        ("doc.trig", "", ox.RdfFormat.TRIG),
    ],
    ids=["blank-node", "not-line-based"],
)
def test_some_files_load_in_one_piece(tmp_path: Path, name: str, tail: str, fmt: ox.RdfFormat) -> None:
    # each bulk load gives blank nodes fresh identities, and a TriG statement may span lines
    path = _nquads(tmp_path / name, 1000, tail=tail)
    assert plan_parts(path, fmt, cores=3, min_part_bytes=1) == [(0, path.stat().st_size)]


def test_a_syntax_error_in_a_later_part_names_its_line_in_the_file(tmp_path: Path) -> None:
    path = _nquads(tmp_path / "d.nq", 1000, tail='<http://ex.org/s> <http://ex.org/p> "open <http://ex.org/g> .\n')
    parts = plan_parts(path, ox.RdfFormat.N_QUADS, cores=2, min_part_bytes=1)
    assert len(parts) == 2
    with pytest.raises(SyntaxError) as raised:
        bulk_load_parts(ox.Store(str(tmp_path / "store")), path, ox.RdfFormat.N_QUADS, parts)
    assert raised.value.args[1][1] == 1001
    assert "line 1001" in raised.value.args[0]


def test_the_counts_are_the_stores(tmp_path: Path) -> None:
    # counted while the view is built, then the view's own count added: the same as counting afterwards
    counts = rebuild(tmp_path / "store", project_files(ROOT))
    assert any(c.graph.endswith("/graph/wikidata/view") and c.triples > 100 for c in counts)
    assert counts == graph_counts(open_store(tmp_path / "store", read_only=True))
