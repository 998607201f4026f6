"""The Engine: a pool of worker processes over one record store.

The record store (on disk, opened read-write by the API process) takes every write. Workers answer queries
from an in-memory copy: at start each bulk-loads an N-Quads snapshot of the record, and each write is logged
and replayed to a worker before it answers its next query, so a write is visible to every query after it.
A worker that overruns the time limit is SIGKILLed (which frees its core at once); one that dies is reaped;
either way a replacement loads the snapshot and the log in the background while the others keep answering.
"""

from __future__ import annotations

import logging
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import anyio.to_thread
import pyoxigraph as ox

from kg.engine.messages import Answer, QueryJob, error_for
from kg.errors import EngineBusyError, EngineCrashError, KGError, QuerySyntaxError, QueryTimeoutError
from kg.iris import DEFAULT_BASE
from kg.querying import prefixes

log = logging.getLogger("kg.engine")

# an update that makes up values would give each store different ones if replayed: workers reload instead
_NONDETERMINISTIC = re.compile(r"\b(BNODE|RAND|UUID|STRUUID|NOW)\s*\(", re.IGNORECASE)
COMPACT_AFTER = 1000  # logged writes before a new snapshot replaces them


@dataclass(eq=False)  # identity, so workers can sit in a set
class _Worker:
    proc: subprocess.Popen[bytes]
    conn: Connection
    generation: int = -1  # the snapshot it holds
    applied: int = 0  # how many logged writes of that snapshot it has replayed
    _closing: threading.Lock = field(default_factory=threading.Lock)

    def kill(self) -> None:
        """SIGKILL and reap; safe to call from several threads (a timeout and close() may race)."""
        with self._closing:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            if not self.conn.closed:
                self.conn.close()


@dataclass
class _Record:
    """The snapshot workers load and the writes made since, which they replay."""

    path: Path
    generation: int
    writes: list[str] = field(default_factory=list)


class Engine:
    """Worker processes answering SPARQL over a copy of `store`; thread-safe, blocking calls."""

    def __init__(
        self,
        store: ox.Store,
        *,
        workers: int = 2,
        timeout: float = 30.0,
        base: str = DEFAULT_BASE,
        network: bool = False,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.base = base
        self._size = workers
        self._network = network
        self._lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._live: set[_Worker] = set()
        self._spawning: list[threading.Thread] = []
        self._closed = False
        self._scratch = Path(tempfile.mkdtemp(prefix="kg-engine-"))
        self._record = _Record(self._scratch / "snapshot-0.nq", 0)

    # life cycle

    def start(self) -> None:
        """Snapshot the record and start the workers; returns once all of them hold the data."""
        started = time.perf_counter()
        self.store.dump(str(self._record.path), ox.RdfFormat.N_QUADS)
        threads = [threading.Thread(target=self._add_worker, name="kg-engine-start") for _ in range(self._size)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if self._idle.qsize() < self._size:
            self.close()
            raise RuntimeError("the query workers failed to start; see the log above")
        log.info("%d query workers ready in %.1f s", self._idle.qsize(), time.perf_counter() - started)

    def close(self) -> None:
        """Kill every worker and remove the snapshots."""
        with self._lock:
            self._closed = True
            live, self._live = list(self._live), set()
            spawning = list(self._spawning)
        for w in live:
            w.kill()
        for t in spawning:
            t.join()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        with self._lock:
            return sorted(w.proc.pid for w in self._live)

    def wait_ready(self, count: int | None = None, timeout: float = 30.0) -> None:
        """Block until `count` (default: all) workers are idle; for tests and benchmarks."""
        deadline = time.monotonic() + timeout
        while self._idle.qsize() < (count or self._size):
            if time.monotonic() > deadline:
                raise TimeoutError("query workers did not become ready")
            time.sleep(0.02)

    # queries and writes

    def query(self, job: QueryJob) -> Answer:
        """Evaluate on a free worker and return the complete serialized results.

        Raises:
            QuerySyntaxError, NotAcceptableError, BadRequestError, QueryFailedError: from the worker.
            EngineBusyError: no worker became free within the time limit.
            QueryTimeoutError: the time limit passed; the worker was killed and is being replaced.
            EngineCrashError: the worker died evaluating the query; it is being replaced.
        """
        worker = self._checkout()
        try:
            self._sync(worker)
            worker.conn.send(("query", job))
            reply = self._receive(worker, time.monotonic() + self.timeout)
            if reply[0] == "error":
                self._idle.put(worker)
                raise error_for(str(reply[1]), str(reply[2]))
            _, media_type, truncated, form, count = reply
            chunks = tuple(worker.conn.recv_bytes() for _ in range(int(str(count))))  # already complete in the worker
        except KGError:
            raise
        except (EOFError, OSError) as e:
            self._discard(worker)
            raise EngineCrashError(self._crash_detail(worker, e)) from None
        self._idle.put(worker)
        return Answer(str(media_type), chunks, bool(truncated), str(form))

    async def aquery(self, job: QueryJob) -> Answer:
        """`query` for the event loop: the wait happens in a thread, not on the loop."""
        return await anyio.to_thread.run_sync(self.query, job)

    def update(self, text: str) -> None:
        """Apply a SPARQL update to the record store, then to the workers before their next query.

        Raises:
            QuerySyntaxError: the update does not parse.
        """
        try:
            self.store.update(text, base_iri=self.base, prefixes=prefixes(self.base))
        except SyntaxError as e:
            raise QuerySyntaxError(f"the update does not parse: {e}") from None
        if _NONDETERMINISTIC.search(text):
            self.refresh()
            return
        with self._lock:
            self._record.writes.append(text)
            compact = len(self._record.writes) > COMPACT_AFTER
        if compact:
            self.refresh()

    def refresh(self) -> None:
        """Take a new snapshot of the record store (after writes made to it directly); workers reload it."""
        with self._lock:
            generation = self._record.generation + 1
        path = self._scratch / f"snapshot-{generation}.nq"
        self.store.dump(str(path), ox.RdfFormat.N_QUADS)
        with self._lock:
            old, self._record = self._record, _Record(path, generation)
        if old.path.exists() and not any(w.generation == old.generation for w in self._live):
            old.path.unlink()  # a worker still on it reloads the new one before its next query

    # internals

    def _checkout(self) -> _Worker:
        try:
            return self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise EngineBusyError(
                f"all {self._size} query workers stayed busy for {self.timeout:g} s; try again later"
            ) from None

    def _sync(self, worker: _Worker) -> None:
        """Bring a worker up to date with the record: a new snapshot, then the writes it has not replayed."""
        with self._lock:
            record = self._record
            writes = record.writes[worker.applied :] if worker.generation == record.generation else record.writes
        if worker.generation != record.generation:
            self._call(worker, ("load", str(record.path)))
            worker.generation, worker.applied = record.generation, 0
        for text in writes:
            self._call(worker, ("update", text, self.base))
            worker.applied += 1

    def _call(self, worker: _Worker, message: tuple[object, ...]) -> None:
        worker.conn.send(message)
        reply = worker.conn.recv()
        if reply[0] != "ok":
            # the record store took this write, so its copy must too: anything else is a bug worth a 500
            raise RuntimeError(f"a worker refused a write the record store took: {reply}")

    def _receive(self, worker: _Worker, deadline: float) -> tuple[object, ...]:
        if not worker.conn.poll(max(deadline - time.monotonic(), 0)):
            self._discard(worker)
            raise QueryTimeoutError(
                f"the query ran longer than the limit of {self.timeout:g} s and was stopped; "
                "narrow it (LIMIT, more specific patterns) or raise KG_QUERY_TIMEOUT"
            )
        reply = worker.conn.recv()
        assert isinstance(reply, tuple)
        return reply

    def _crash_detail(self, worker: _Worker, e: BaseException) -> str:
        code = worker.proc.returncode
        how = f"exit status {code}" if code is None or code >= 0 else f"signal {-code}"
        return f"the query engine failed on this query ({how}); it has been restarted, other queries are unaffected"

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker (it may be mid-query) and start a replacement in the background."""
        worker.kill()
        with self._lock:
            self._live.discard(worker)
            if self._closed:
                return
            thread = threading.Thread(target=self._add_worker, name="kg-engine-replace", daemon=True)
            self._spawning = [t for t in self._spawning if t.is_alive()] + [thread]
        thread.start()

    def _add_worker(self) -> None:
        ours, theirs = socket.socketpair()
        args = [sys.executable, "-m", "kg.engine.worker", str(theirs.fileno())]
        if not self._network:
            args.append("--no-network")
        try:
            proc = subprocess.Popen(args, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        worker = _Worker(proc, Connection(ours.detach()))
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._live.add(worker)
        try:
            self._sync(worker)
        except (EOFError, OSError, RuntimeError):
            with self._lock:
                self._live.discard(worker)
                closing = self._closed
            if not closing:
                log.exception("a new query worker failed to load the data")
            worker.kill()
            return
        self._idle.put(worker)
