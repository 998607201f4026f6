"""What a worker does with one message: evaluate, serialize completely with Oxigraph's writers, reply."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from multiprocessing.connection import Connection

import pyoxigraph as ox

from kg.engine.messages import CHUNK, QueryJob
from kg.errors import KGError, NotAcceptableError
from kg.querying import evaluate, prefixes
from kg.stores import GRAPH_RESULTS, Results, is_graph


def handle(store: ox.Store, message: tuple[object, ...], conn: Connection) -> tuple[object, ...] | None:
    kind = message[0]
    try:
        if kind == "load":
            store.clear()
            store.bulk_load(path=str(message[1]), format=ox.RdfFormat.N_QUADS)
            return ("ok",)
        if kind == "update":
            text, base = str(message[1]), str(message[2])
            store.update(text, base_iri=base, prefixes=prefixes(base))
            return ("ok",)
        job = message[1]
        assert kind == "query" and isinstance(job, QueryJob)
        media_type, truncated, form, body = _answer(store, job)
    except KGError as e:
        return ("error", e.slug, e.detail)
    except SyntaxError as e:
        return ("error", "query-syntax", f"the text does not parse: {e}")
    except ValueError as e:
        return ("error", "bad-request", str(e))
    except (OSError, RuntimeError) as e:
        return ("error", "query-failed", f"the evaluation failed: {e}")
    chunks = chunked(body)
    conn.send(("ok", media_type, truncated, form, len(chunks), len(body)))
    for chunk in chunks:
        conn.send_bytes(chunk)
    return None


def _answer(store: ox.Store, job: QueryJob) -> tuple[str, bool, str, bytes]:
    results = evaluate(
        store,
        job.text,
        base=job.base,
        default_graphs=job.default_graphs,
        named_graphs=job.named_graphs,
        union_default=job.union_default,
        base_iri=job.base,  # relative IRIs resolve against the graph's base: <id/city/fez> works
    )
    return serialize(results, job)


def serialize(results: Results, job: QueryJob) -> tuple[str, bool, str, bytes]:
    """Results written in the job's format, at most `job.max_rows` of them: (media type, truncated, form, bytes).

    Raises:
        NotAcceptableError: the job accepts no format for this form of results.
    """
    if is_graph(results):
        assert isinstance(results, GRAPH_RESULTS)
        gfmt = ox.RdfFormat.from_media_type(job.graph_type) if job.graph_type else None
        if gfmt is None:
            raise NotAcceptableError(f"no acceptable format for the graph a CONSTRUCT or DESCRIBE gives; {job.offered}")
        if gfmt == ox.RdfFormat.N_TRIPLES:
            # one triple a line, so the cap is a line count, and Oxigraph's writer streams without Python objects
            nt, truncated = _capped(results.serialize, gfmt, job.max_rows)
            return gfmt.media_type, truncated, "graph", nt
        # other formats are not line-based: the writer gets at most max_rows triples, once (not the N-Triples
        # written, parsed back and written again), then one more triple, if any, tells that there were more
        triples = iter(results)
        body = ox.serialize(itertools.islice(triples, job.max_rows), format=gfmt)
        truncated = next(triples, None) is not None
        return gfmt.media_type, truncated, "graph", body or b""
    rfmt = ox.QueryResultsFormat.from_media_type(job.results_type) if job.results_type else None
    if rfmt is None:
        raise NotAcceptableError(f"no acceptable format for the results of a SELECT or ASK; {job.offered}")
    if isinstance(results, ox.QueryBoolean):
        return rfmt.media_type, False, "boolean", results.serialize(format=rfmt) or b""
    assert isinstance(results, ox.QuerySolutions)
    # TSV is one solution a line (after the header), so the cap is a line count; other formats are written from it
    tsv, truncated = _capped(results.serialize, ox.QueryResultsFormat.TSV, job.max_rows + 1)
    if rfmt == ox.QueryResultsFormat.TSV:
        return rfmt.media_type, truncated, "solutions", tsv
    body = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV).serialize(format=rfmt)
    assert isinstance(body, bytes)
    return rfmt.media_type, truncated, "solutions", body


def chunked(body: bytes) -> list[bytes]:
    """The pieces a body travels in between processes (at least one, maybe empty)."""
    return [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)] or [b""]


class _Full(Exception):
    pass


class _LineSink:
    """A binary writer that stops the serializer (and so the evaluation) once it holds more than `limit` lines."""

    def __init__(self, limit: int) -> None:
        self.parts: list[bytes] = []
        self.lines = 0
        self.limit = limit

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _Full
        return len(chunk)

    def flush(self) -> None:
        pass


def _capped(serialize: Callable[..., object], fmt: object, limit: int) -> tuple[bytes, bool]:
    """The first `limit` lines a line-based writer produces, and whether there were more."""
    sink = _LineSink(limit)
    try:
        serialize(sink, fmt)
    except _Full:
        data = b"".join(sink.parts)
        end = -1
        for _ in range(limit):
            end = data.index(b"\n", end + 1)
        return data[: end + 1], True
    return b"".join(sink.parts), False
