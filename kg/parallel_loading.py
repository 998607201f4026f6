"""Bulk-loading one N-Triples or N-Quads file on every core, as parts cut at line ends.

Oxigraph's bulk loader parses on the calling thread and hands quads to a worker a million at a time, so a file of
up to a million quads loads on one core however many there are. N-Triples and N-Quads hold one statement per
line, so the parts of a file cut at line ends hold the same quads as the file, and each part can be bulk-loaded by
a thread of its own into the same store: the loader runs outside the GIL and writes files of its own.

Blank nodes are the exception: each bulk load gives them fresh identities, so `_:b1` in two parts would become two
nodes. A file with `_:` anywhere (inside a literal too, which keeps the check a plain byte search) loads in one
piece, as does a file too small for a second thread to pay off.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

LINE_FORMATS = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)
MIN_PART_BYTES = 4 * 1024 * 1024  # below this, starting a thread costs about what it saves
# about a million quads: a larger part fills more than one of the loader's batches, which it already spreads over
# the cores itself, while every part held in memory at once multiplies the load's peak memory
MAX_PART_BYTES = 256 * 1024 * 1024
_SCAN_BYTES = 16 * 1024 * 1024

Range = tuple[int, int]  # [start, end) in bytes
Progress = Callable[[int, int], None]  # (bytes read by all parts, bytes in all)


def plan_parts(
    path: Path, fmt: ox.RdfFormat, *, cores: int | None = None, min_part_bytes: int = MIN_PART_BYTES
) -> list[Range]:
    """The byte ranges to bulk-load `path` as, each ending at a line end; one range unless splitting pays.

    Raises:
        OSError: the file cannot be read.
    """
    size = path.stat().st_size
    cores = cores or available_cores()
    count = min(cores, size // min_part_bytes)
    if fmt not in LINE_FORMATS or count < 2 or size > count * MAX_PART_BYTES or _has_blank_node(path):
        return [(0, size)]
    cuts = [0]
    with path.open("rb") as f:
        for i in range(1, count):
            f.seek(max(size * i // count, cuts[-1]))
            f.readline()  # to the end of the line the cut falls in, so that no statement is split
            cuts.append(f.tell())
    cuts.append(size)
    return [(start, end) for start, end in itertools.pairwise(cuts) if end > start]


def available_cores() -> int:
    """The cores this process may run on (fewer than the machine's when its affinity is restricted)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _has_blank_node(path: Path) -> bool:
    # each "_" found by memchr, then the byte after it checked: five times faster than a regular expression
    with path.open("rb") as f:
        last = b""
        while chunk := f.read(_SCAN_BYTES):
            if last == b"_" and chunk.startswith(b":"):
                return True
            at = chunk.find(b"_")
            while at >= 0:
                if chunk[at + 1 : at + 2] == b":":
                    return True
                at = chunk.find(b"_", at + 1)
            last = chunk[-1:]
    return False


def bulk_load_parts(
    store: ox.Store,
    path: Path,
    fmt: ox.RdfFormat,
    parts: list[Range],
    *,
    to_graph: ox.NamedNode | None = None,
    progress: Progress | None = None,
) -> None:
    """Bulk-load each byte range of `path` into `store`, each on a thread of its own.

    Raises:
        SyntaxError: a part does not parse; its line numbers count from the start of the file.
        OSError: the file cannot be read.
    """
    if len(parts) == 1 and progress is None:
        # Oxigraph reads the file itself: no Python call per 2 kB read
        store.bulk_load(path=str(path), format=fmt, to_graph=to_graph)
        return
    reads = Reads(sum(end - start for start, end in parts), progress)
    errors: list[BaseException | None] = [None] * len(parts)

    def load(i: int) -> None:
        try:
            with RangeReader(path, parts[i], reads) as reader:
                store.bulk_load(cast(IO[bytes], reader), format=fmt, to_graph=to_graph)
        except BaseException as e:  # handed to the calling thread, which raises it
            errors[i] = e
            reads.stop.set()  # the other parts end at their next read

    if len(parts) == 1:
        load(0)
    else:
        threads = [threading.Thread(target=load, args=(i,), name=f"kg-load-{i}") for i in range(len(parts))]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except BaseException:  # e.g. Ctrl-C: stop the parts before the caller removes their folder
            reads.stop.set()
            for thread in threads:
                thread.join()
            raise
    for (start, _), error in zip(parts, errors, strict=True):
        if error is not None and not isinstance(error, _Stopped):
            if isinstance(error, SyntaxError) and start:
                raise _shifted(error, _lines_before(path, start)) from None
            raise error


class _Stopped(Exception):
    """Raised by a part's reader once another part has failed."""


class Reads:
    """What the readers of one file share: the bytes read by all so far, and a flag that stops them all."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.progress = total, progress
        self.done = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def read(self, n: int) -> None:
        if self.stop.is_set():
            raise _Stopped()
        if self.progress is not None:
            with self.lock:
                self.done += n
                done = self.done
            self.progress(done, self.total)


class RangeReader:
    """A binary reader over bytes [start, end) of a file, which counts what it reads into `reads`."""

    def __init__(self, path: Path, where: Range, reads: Reads) -> None:
        self._file = path.open("rb")
        self._file.seek(where[0])
        self._left = where[1] - where[0]
        self._reads = reads

    def __enter__(self) -> RangeReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(self._left if size < 0 else min(size, self._left))
        self._left -= len(chunk)
        self._reads.read(len(chunk))
        return chunk


def _lines_before(path: Path, offset: int) -> int:
    lines = 0
    with path.open("rb") as f:
        while offset > 0 and (chunk := f.read(min(_SCAN_BYTES, offset))):
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines


def _shifted(error: SyntaxError, lines: int) -> SyntaxError:
    """The parser's error for a part, with its line numbers counted from the start of the file instead.

    >>> e = _shifted(SyntaxError("error between line 2 column 3 and line 3 column 1", (None, 2, 3, None, 3, 1)), 10)
    >>> e.args
    ('error between line 12 column 3 and line 13 column 1', (None, 12, 3, None, 13, 1))
    """
    message = re.sub(r"\bline (\d+)", lambda m: f"line {int(m[1]) + lines}", str(error.args[0]))
    where = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], tuple) else None
    if where is None or len(where) < 3:
        return SyntaxError(message)
    shifted = list(where)
    for i in (1, 4):
        if i < len(shifted) and isinstance(shifted[i], int):
            shifted[i] += lines
    return SyntaxError(message, tuple(shifted))
