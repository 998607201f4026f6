"""Virtuoso 7 (Debian's `virtuoso-opensource-7-bin`) as an external store for tests, opt-in: it is not
installed by `pip install`, so the "virtuoso" backend runs only when `KG_TEST_BACKENDS` names it.

Each dataset gets a server of its own. A fresh Virtuoso database takes about 6 s to create, so the first
server's database, once set up, becomes a template that later servers copy and open (about 3 s each).
The setup a test instance needs, done once through `isql`:
- anonymous SPARQL Update and Graph Store writes: the `SPARQL` account gets the `SPARQL_UPDATE` role and
  the anonymous user `nobody` read and write permission on the quad store;
- Virtuoso's own graphs that are not needed (its LDP vocabulary and service description) are cleared, so
  the store holds only what tests put in it, apart from `virtrdf#`, Virtuoso's own metadata graph.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.remote import RemoteStore, Retry, TimeoutParameter
from kg.stores.remote import RemoteDataset
from tests.net import free_port, wait_until_up

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
SYSTEM_GRAPH = "http://www.openlinksw.com/schemas/virtrdf#"  # Virtuoso's own, always present
FAST = Retry(attempts=3, first_delay=0.01, max_delay=0.05)
SETUP = """GRANT SPARQL_UPDATE TO "SPARQL"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7); checkpoint;"""
# graphs Virtuoso writes at each start (its LDP vocabulary) or on creation (the service description)
CLEAR = """SPARQL CLEAR GRAPH <http://www.w3.org/ns/ldp#>; SPARQL CLEAR GRAPH <http://localuriqaserver/sparql>;"""
_INI = """[Database]
DatabaseFile = virtuoso.db
ErrorLogFile = virtuoso.log
TransactionFile = virtuoso.trx
xa_persistent_file = virtuoso.pxa
Striping = 0

[TempDatabase]
DatabaseFile = virtuoso-temp.db
TransactionFile = virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql}
ServerThreads = 10
CheckpointInterval = 0
NumberOfBuffers = 4000
MaxDirtyBuffers = 3000
DirsAllowed = .

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = .
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


class VirtuosoServers:
    """Starts `virtuoso-t` processes on demand; `close` stops them all."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.processes: list[subprocess.Popen[bytes]] = []
        self._template: Path | None = None

    def start(self) -> str:
        """A new server holding no data of ours; the URL of its HTTP server."""
        if VIRTUOSO is None or ISQL is None:
            pytest.fail("virtuoso-t is missing: apt-get install virtuoso-opensource-7-bin")
        folder = self.root / f"virtuoso-{len(self.processes)}"
        folder.mkdir()
        if self._template is not None:
            shutil.copy(self._template, folder / "virtuoso.db")
        sql, http = free_port(), free_port()
        (folder / "virtuoso.ini").write_text(_INI.format(sql=sql, http=http))
        # -f: stay in the foreground, so the process is ours to stop
        command = [VIRTUOSO, "-f", "-c", "virtuoso.ini"]
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        url = f"http://127.0.0.1:{http}"
        log = folder / "virtuoso.log"
        wait_until_up(f"{url}/sparql", process, seconds=60, params={"query": "ASK {}"}, detail=lambda: _tail(log))
        if self._template is None:
            self._isql(sql, SETUP)
            # after the checkpoint the file holds everything and nothing writes to it: safe to copy
            self._template = self.root / "template.db"
            shutil.copy(folder / "virtuoso.db", self._template)
        self._isql(sql, CLEAR)
        return url

    def _isql(self, port: int, script: str) -> None:
        assert ISQL is not None
        done = subprocess.run(
            [ISQL, str(port), "dba", "dba", "VERBOSE=OFF", "ERRORS=STDOUT", f"EXEC={script}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout:
            pytest.fail(f"isql on Virtuoso failed:\n{done.stdout}\n{done.stderr}")

    def close(self) -> None:
        for process in self.processes:
            # its data is thrown away, and Virtuoso takes up to 10 s to leave on SIGTERM (a checkpoint)
            process.kill()
            process.wait()


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else ""


def dataset(url: str, *, timeout: float = 30.0) -> RemoteDataset:
    """The Store interface over a Virtuoso server, with the settings the README gives for Virtuoso."""
    client = RemoteStore(
        f"{url}/sparql",
        update_url=f"{url}/sparql",
        gsp_url=f"{url}/sparql-graph-crud",
        timeout_parameter=TimeoutParameter("timeout", "ms"),
        retry=FAST,
    )
    # Virtuoso's default graph already is the union of all graphs: no parameter
    return RemoteDataset(client, union_parameter=None, timeout=timeout)


def virtuoso_copy(servers: VirtuosoServers, source: ox.Store, *, timeout: float = 30.0) -> RemoteDataset:
    """A new Virtuoso server holding every quad of `source`, one Graph Store request per named graph.

    Virtuoso has no default graph of its own (it is the union), so `source` must keep nothing there.
    """
    if any(True for _ in source.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        pytest.fail("Virtuoso has no separate default graph: put the source's default-graph triples in a named graph")
    url = servers.start()
    with RemoteStore(f"{url}/sparql", gsp_url=f"{url}/sparql-graph-crud", retry=FAST) as client:
        for graph in source.named_graphs():
            assert isinstance(graph, ox.NamedNode)
            body = source.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""
            client.replace_graph(graph.value, body)
    return dataset(url, timeout=timeout)
