"""`kg serve` as a real uvicorn process on a free loopback port: load on first start, queries, crash, time limit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kg.cli import main
from tests.net import free_port, interrupt, wait_until_up

pytestmark = pytest.mark.slow


@pytest.fixture
def server(project: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    # the validation router wants at least one shapes file
    (project / "shapes" / "city.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<https://w3id.org/learning-cities/shapes/City> a sh:NodeShape ;\n"
        "    sh:targetClass <https://w3id.org/learning-cities/def/City> .\n"
    )
    port = free_port()
    env = {
        **os.environ,
        "KG_PROJECT_ROOT": str(project),
        "KG_QUERY_TIMEOUT": "2",
        "KG_QUERY_WORKERS": "2",
    }
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--store", str(tmp_path / "store"), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        log_text = (tmp_path / "server.log").read_text
        wait_until_up(f"{url}/sparql", proc, seconds=60, params={"query": "ASK {}"}, detail=log_text)
        yield url, proc
    finally:
        interrupt(proc)
        log.close()


def _workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def test_serve_loads_an_empty_store_and_answers(server: tuple[str, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    url, _ = server
    query = 'SELECT ?c WHERE { ?c rdfs:label "Fez"@en }'
    r = httpx.get(f"{url}/sparql", params={"query": query}, headers={"accept": "text/csv"})
    assert r.status_code == 200
    assert r.text.splitlines() == ["c", "https://w3id.org/learning-cities/id/city/fez"]
    assert r.headers["vary"].startswith("Accept")
    log = (tmp_path / "server.log").read_text()
    assert "is empty: loading" in log
    assert '"GET /sparql" 200' in log and "ms" in log  # the access log line with its duration


def test_serve_survives_a_crash_and_a_runaway_query(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, proc = server
    deep = "SELECT * WHERE " + "{" * 12_000 + "}" * 12_000
    crash = httpx.post(f"{url}/sparql", data={"query": deep}, timeout=30)
    assert crash.status_code == 503
    assert crash.headers["content-type"] == "application/problem+json"
    assert crash.json()["type"] == "/problems/engine-crash"
    started = time.monotonic()
    runaway = httpx.get(
        f"{url}/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(25)) + " }"},
        timeout=30,
    )
    assert runaway.status_code == 503 and runaway.json()["type"] == "/problems/timeout"
    assert time.monotonic() - started < 10
    ok = httpx.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["boolean"] is True
    assert proc.poll() is None


def test_clean_shutdown_ends_the_workers(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    _, proc = server
    workers = _workers_of(proc.pid)
    assert len(workers) >= 2
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_serve_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--store", "--host", "--port", "--workers", "--log-level"):
        assert option in out
