"""The engine directly: workers hold a copy of the record, writes reach them, failures cost one worker."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from kg.engine import Engine, QueryJob
from kg.errors import EngineBusyError, QueryFailedError, QuerySyntaxError, QueryTimeoutError
from kg.iris import DEFAULT_BASE
from tests.net import Listener
from tests.test_safety import RUNAWAY

JSON = "application/sparql-results+json"
EX = "http://example.org/"


def job(text: str, **changes: object) -> QueryJob:
    values: dict[str, object] = {
        "text": text,
        "base": DEFAULT_BASE,
        "results_type": JSON,
        "graph_type": "text/turtle",
        "max_rows": 100,
    }
    values.update(changes)
    return QueryJob(**values)  # type: ignore[arg-type]


def count(engine: Engine, pattern: str = "?s ?p ?o") -> int:
    answer = engine.query(
        job(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", results_type="text/tab-separated-values")
    )
    return int(b"".join(answer.chunks).split(b"\n")[1].split(b"^^")[0].strip(b'"'))


@pytest.fixture
def record() -> ox.Store:
    store = ox.Store()
    g = ox.NamedNode(EX + "g")
    store.extend(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(i), g) for i in range(200))
    return store


@pytest.fixture
def engine(record: ox.Store) -> Iterator[Engine]:
    engine = Engine(record, workers=2, timeout=1.5)
    engine.start()
    yield engine
    engine.close()


def test_workers_answer_from_a_copy(engine: Engine) -> None:
    assert count(engine) == 200
    assert len(engine.pids()) == 2


def test_results_arrive_serialized_and_capped(engine: Engine) -> None:
    answer = engine.query(job("SELECT * WHERE { ?s ?p ?o }"))
    assert answer.media_type == JSON and answer.form == "solutions" and answer.truncated
    parsed = ox.parse_query_results(b"".join(answer.chunks), ox.QueryResultsFormat.JSON)
    assert len(list(parsed)) == 100  # type: ignore[arg-type]
    graph = engine.query(job("CONSTRUCT WHERE { ?s ?p ?o }", max_rows=1000))
    assert graph.form == "graph" and not graph.truncated
    assert len(list(ox.parse(b"".join(graph.chunks), ox.RdfFormat.TURTLE))) == 200


def test_large_results_come_in_chunks(record: ox.Store) -> None:
    g = ox.NamedNode(EX + "big")
    text = "x" * 10_000
    record.extend(ox.Quad(ox.NamedNode(f"{EX}b{i}"), ox.NamedNode(EX + "p"), ox.Literal(text), g) for i in range(300))
    engine = Engine(record, workers=1, timeout=10)
    engine.start()
    try:
        answer = engine.query(job("SELECT ?o WHERE { GRAPH <http://example.org/big> { ?s ?p ?o } }", max_rows=1000))
        assert len(answer.chunks) > 1 and answer.size > 3_000_000
    finally:
        engine.close()


def test_update_reaches_workers_and_replacements(engine: Engine, record: ox.Store) -> None:
    engine.update(f"INSERT DATA {{ GRAPH <{EX}g2> {{ <{EX}a> <{EX}p> 1 }} }}")
    assert len(record) == 201
    assert count(engine) == 201
    assert count(engine) == 201  # the other worker too
    with pytest.raises(QueryTimeoutError):
        engine.query(job(RUNAWAY))
    engine.wait_ready()
    for _ in range(3):
        assert count(engine) == 201  # the replacement loaded the snapshot and replayed the write


def test_nondeterministic_update_refreshes_from_the_record(engine: Engine, record: ox.Store) -> None:
    engine.update(f"INSERT {{ GRAPH <{EX}g3> {{ <{EX}r> <{EX}p> ?u }} }} WHERE {{ BIND(UUID() AS ?u) }}")
    (quad,) = list(record.quads_for_pattern(ox.NamedNode(f"{EX}r"), None, None))
    for _ in range(3):
        answer = engine.query(job(f"SELECT ?u WHERE {{ <{EX}r> ?p ?u }}", results_type="text/tab-separated-values"))
        assert str(quad.object).encode() in b"".join(answer.chunks)  # the record's value, not a fresh one


def test_refresh_after_direct_writes(engine: Engine, record: ox.Store) -> None:
    record.add(ox.Quad(ox.NamedNode(EX + "d"), ox.NamedNode(EX + "p"), ox.Literal(1), ox.NamedNode(EX + "g4")))
    engine.refresh()
    assert count(engine) == 201
    assert count(engine) == 201


def test_errors_keep_the_worker(engine: Engine) -> None:
    pids = engine.pids()
    with pytest.raises(QuerySyntaxError):
        engine.query(job("SELECT * WHERE {"))
    with pytest.raises(QuerySyntaxError):
        engine.update("INSERT DATA {")
    assert engine.pids() == pids


def test_busy_when_no_worker_frees_up(record: ox.Store) -> None:
    import threading

    engine = Engine(record, workers=1, timeout=1.0)
    engine.start()
    try:
        outcome: list[BaseException] = []

        def run_away() -> None:
            try:
                engine.query(job(RUNAWAY))
            except QueryTimeoutError as e:
                outcome.append(e)

        runaway = threading.Thread(target=run_away)
        runaway.start()
        # ask as soon as the only worker is taken: our wait then ends milliseconds after the runaway is killed,
        # sooner than a replacement worker can start and load the data (a fixed sleep made this a race)
        deadline = time.monotonic() + 5
        while not engine._idle.empty():
            assert time.monotonic() < deadline, "the runaway query never took the worker"
            time.sleep(0.001)
        with pytest.raises(EngineBusyError):
            engine.query(job("ASK {}"))
        runaway.join()
        assert len(outcome) == 1
    finally:
        engine.close()


def test_workers_have_no_network_when_the_allowlist_is_empty(engine: Engine) -> None:
    """The second layer: even a SERVICE the guard missed finds no network in a worker."""
    listener = Listener()
    try:
        with pytest.raises(QueryFailedError):
            engine.query(job(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"))
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()


def test_close_ends_every_worker(record: ox.Store) -> None:
    engine = Engine(record, workers=2)
    engine.start()
    pids = engine.pids()
    engine.close()
    from pathlib import Path

    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
