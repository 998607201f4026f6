"""The benchmark's synthetic data: deterministic, the size asked for, and every query of the mix answers it."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from benchmarks import generate, mix

TRIPLES = 10_000


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "g10k.nq"
    generate.generate(out, TRIPLES)
    return out


@pytest.fixture(scope="module")
def store(data: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
    return store


def test_same_seed_same_bytes(data: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.nq"
    generate.generate(again, TRIPLES)
    assert again.read_bytes() == data.read_bytes()
    assert generate.params_path(again).read_bytes() == generate.params_path(data).read_bytes()


def test_size_within_two_percent(store: ox.Store, data: Path) -> None:
    quads = len(store)
    assert abs(quads - TRIPLES) <= 0.02 * TRIPLES
    assert mix.load_params(generate.params_path(data))["quads"] == str(quads)


def test_every_fact_is_in_a_named_graph(store: ox.Store) -> None:
    assert not list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    sources = [g.value for g in store.named_graphs() if "/graph/source/a" in g.value]
    assert len(sources) > 50


QUERIES = sorted(mix.QUERIES.glob("*.rq"))
assert len(QUERIES) >= 10, "the query mix is missing"


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_answers(path: Path, store: ox.Store, data: Path) -> None:
    query = next(q for q in mix.load_mix(mix.load_params(generate.params_path(data))) if q.name == path.stem)
    result = store.query(query.text, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        assert bool(result)
        return
    assert list(result), f"{query.name} returned nothing"
