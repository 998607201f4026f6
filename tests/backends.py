"""The kinds of store the API runs on, for tests that must pass on each: the embedded Oxigraph store, and
an external SPARQL 1.1 store, which here is a real `oxigraph serve` (from the PyPI package `oxigraph`) and,
when `KG_TEST_BACKENDS` names it, Virtuoso 7 (tests/virtuoso.py).

Each external dataset gets a server of its own, on a free loopback port, so tests that write never disturb
the shared read-only copy of the curated data. Oxigraph servers start in well under a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.remote import RemoteStore, Retry
from kg.stores import Store
from kg.stores.remote import RemoteDataset
from tests.net import free_port, stop, wait_until_up
from tests.virtuoso import VirtuosoServers, virtuoso_copy

KNOWN = ("embedded", "oxigraph", "virtuoso")
# Virtuoso is opt-in: KG_TEST_BACKENDS=embedded,oxigraph,virtuoso (it needs `virtuoso-t` from apt)
BACKENDS = tuple(os.environ.get("KG_TEST_BACKENDS", "embedded,oxigraph").replace(" ", "").split(","))
if not BACKENDS or set(BACKENDS) - set(KNOWN):
    raise ValueError(f"KG_TEST_BACKENDS must list some of {', '.join(KNOWN)}, got {BACKENDS}")
OXIGRAPH = Path(sys.executable).parent / "oxigraph"
FAST = Retry(attempts=3, first_delay=0.01, max_delay=0.05)


class OxigraphServers:
    """Starts `oxigraph serve` processes on demand (and Virtuoso ones, through `virtuoso`); `close` stops them all."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.processes: list[subprocess.Popen[bytes]] = []
        self._virtuoso: VirtuosoServers | None = None

    @property
    def virtuoso(self) -> VirtuosoServers:
        """Virtuoso servers, made on first use."""
        if self._virtuoso is None:
            (self.root / "virtuoso").mkdir()
            self._virtuoso = VirtuosoServers(self.root / "virtuoso")
        return self._virtuoso

    def start(self) -> str:
        """A new, empty server; its URL."""
        if not OXIGRAPH.exists():
            pytest.fail(f"{OXIGRAPH} is missing: pip install -e '.[test]' installs the oxigraph server")
        port = free_port()
        folder = self.root / f"oxigraph-{len(self.processes)}"
        command = [str(OXIGRAPH), "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/query", process, seconds=30, params={"query": "ASK {}"})
        return url

    def close(self) -> None:
        for process in self.processes:
            stop(process)
        if self._virtuoso is not None:
            self._virtuoso.close()


def external_copy(servers: OxigraphServers, source: ox.Store, *, timeout: float = 30.0) -> RemoteDataset:
    """A new external store holding every quad of `source`, default graph included, behind the Store interface."""
    url = servers.start()
    body = source.dump(format=ox.RdfFormat.N_QUADS) or b""
    # Oxigraph's Graph Store endpoint takes a whole dataset when no graph is named
    response = httpx.post(f"{url}/store", content=body, headers={"Content-Type": "application/n-quads"}, timeout=60)
    response.raise_for_status()
    return RemoteDataset(RemoteStore(url, retry=FAST), union_parameter="union-default-graph", timeout=timeout)


def on_backend(backend: str, servers: OxigraphServers, source: ox.Store, *, timeout: float = 30.0) -> Store:
    """`source` itself for the embedded backend; an external copy of it otherwise."""
    if backend == "embedded":
        return source
    if backend == "virtuoso":
        return virtuoso_copy(servers.virtuoso, source, timeout=timeout)
    return external_copy(servers, source, timeout=timeout)


def writable_copy(backend: str, servers: OxigraphServers, source: ox.Store) -> Store:
    """A copy of `source` a test may write to, on the given backend."""
    if backend == "embedded":
        copy = ox.Store()
        copy.bulk_extend(source)
        return copy
    if backend == "virtuoso":
        return virtuoso_copy(servers.virtuoso, source)
    return external_copy(servers, source)
