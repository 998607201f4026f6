"""The Engine: a pool of worker processes over one record store.

The record store (on disk, opened read-write by the API process) takes every write. Workers answer queries
from an in-memory copy: at start each bulk-loads an N-Quads snapshot of the record, and each write is logged
and replayed to a worker before it answers its next query, so a write is visible to every query after it.
A worker that overruns the time limit is SIGKILLed (which frees its core at once); one that dies is reaped;
either way a replacement loads the snapshot and the log in the background while the others keep answering.

From the event loop (`aquery`), a query to an idle, up-to-date worker is sent and its reply awaited on the
loop itself: the worker's socket is watched like any other, so a light query costs no thread hand-off.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NamedTuple

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
ON_LOOP_BYTES = 1 << 16  # results up to this size are read on the event loop; larger ones in a thread


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

    async def readable(self, timeout: float) -> bool:
        """Wait on the running event loop until the reply starts (or the worker dies); False after `timeout`."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[bool] = loop.create_future()

        def settle(value: bool) -> None:
            if not ready.done():
                ready.set_result(value)

        fd = self.conn.fileno()
        loop.add_reader(fd, settle, True)
        timer = loop.call_later(timeout, settle, False)
        try:
            return await ready
        finally:
            timer.cancel()
            loop.remove_reader(fd)
            with self._closing:  # once close() has closed it, the number may already belong to another file
                if not self.conn.closed:
                    os.set_blocking(fd, True)  # uvloop (libuv) made it non-blocking; the Connection reads blocking


class _Head(NamedTuple):
    """What a worker's reply says before its bytes."""

    media_type: str
    truncated: bool
    form: str
    parts: int  # byte chunks to read
    size: int  # bytes in all


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
        # last in, first out: the worker that answered last has warm caches (a fifth to a third off a light query)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._waiting = 0  # threads blocked in _checkout; they get the next free worker before the loop does
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
        return self._run(self._checkout(), job)

    async def aquery(self, job: QueryJob) -> Answer:
        """`query` for the event loop: with an idle worker that is up to date, the wait happens on the loop.

        Raises:
            the same errors as `query`.
        """
        worker = self._take_idle()
        if worker is None:  # wait for one in a thread, in turn with the others waiting
            return await anyio.to_thread.run_sync(self.query, job)
        if self._behind(worker):  # replaying writes (or reloading) takes long enough for a thread
            return await anyio.to_thread.run_sync(self._run, worker, job)
        with self._exchange(worker):
            worker.conn.send(("query", job))  # a few hundred bytes: the socket buffer takes them at once
            if not await worker.readable(self.timeout):
                await anyio.to_thread.run_sync(self._discard, worker)  # reaping a big worker takes a while
                raise self._overran()
            head = self._head(worker)
            if head.size > ON_LOOP_BYTES:
                answer = await anyio.to_thread.run_sync(self._read, worker, head)
            else:
                answer = self._read(worker, head)  # complete in the worker, so reading it does not wait
        self._idle.put(worker)
        return answer

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
        with self._lock:
            self._waiting += 1
        try:
            return self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise EngineBusyError(
                f"all {self._size} query workers stayed busy for {self.timeout:g} s; try again later"
            ) from None
        finally:
            with self._lock:
                self._waiting -= 1

    def _take_idle(self) -> _Worker | None:
        """An idle worker without waiting; None when there is none, or when threads already wait for one."""
        if self._waiting:
            return None
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return None

    def _behind(self, worker: _Worker) -> bool:
        with self._lock:
            return worker.generation != self._record.generation or worker.applied < len(self._record.writes)

    def _run(self, worker: _Worker, job: QueryJob) -> Answer:
        """One query on a checked-out worker, blocking: bring it up to date, send, wait, read the reply."""
        with self._exchange(worker):
            self._sync(worker)
            worker.conn.send(("query", job))
            if not worker.conn.poll(self.timeout):
                self._discard(worker)
                raise self._overran()
            answer = self._read(worker, self._head(worker))
        self._idle.put(worker)
        return answer

    @contextmanager
    def _exchange(self, worker: _Worker) -> Iterator[None]:
        """Around one query on a checked-out worker: one that failed, or was left mid-query, is replaced."""
        try:
            yield
        except KGError:
            raise  # already put back (an error it reported) or discarded (a timeout)
        except (EOFError, OSError) as e:
            self._discard(worker)
            raise EngineCrashError(self._crash_detail(worker, e)) from None
        except BaseException:
            self._discard(worker)  # e.g. cancelled while it evaluates: its reply would reach the next caller
            raise

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

    def _head(self, worker: _Worker) -> _Head:
        """The first part of a reply; an error the worker reported is raised, and the worker is put back."""
        reply = worker.conn.recv()
        assert isinstance(reply, tuple)
        if reply[0] == "error":
            self._idle.put(worker)
            raise error_for(str(reply[1]), str(reply[2]))
        _, media_type, truncated, form, count, size = reply
        return _Head(str(media_type), bool(truncated), str(form), int(count), int(size))

    def _read(self, worker: _Worker, head: _Head) -> Answer:
        chunks = tuple(worker.conn.recv_bytes() for _ in range(head.parts))  # already complete in the worker
        return Answer(head.media_type, chunks, head.truncated, head.form)

    def _overran(self) -> QueryTimeoutError:
        return QueryTimeoutError(
            f"the query ran longer than the limit of {self.timeout:g} s and was stopped; "
            "narrow it (LIMIT, more specific patterns) or raise KG_QUERY_TIMEOUT"
        )

    def _crash_detail(self, worker: _Worker, e: BaseException) -> str:
        code = worker.proc.returncode
        how = f"exit status {code}" if code is None or code >= 0 else f"signal {-code}"
        return f"the query engine failed on this query ({how}); it has been restarted, other queries are unaffected"

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker (it may be mid-query) and start a replacement in the background; once per worker."""
        worker.kill()
        with self._lock:
            if worker not in self._live or self._closed:
                return  # already replaced, or closing
            self._live.discard(worker)
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
