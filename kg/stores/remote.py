"""An external SPARQL 1.1 store behind the `Store` interface: each call becomes one query or update over HTTP.

Answers are parsed into pyoxigraph's own types (`QuerySolutions`, `QueryBoolean`, `Quad`), so pages, checks
and exports read them exactly as they read the embedded store's. The differences that leak through HTTP are
handled here:
- prefixes and a base IRI the caller passes become a prologue (a remote store knows none of ours);
- "the default graph is the union of the named graphs" is the store's own parameter (Oxigraph's
  `union-default-graph`) or its configuration (Virtuoso's default graph already is the union);
- lookups, counts and dumps cover the named graphs only: this project keeps nothing in the default graph
  (docs/model.md), and on a store whose default graph is the union they would otherwise count twice;
- a remote store cannot be asked about a blank node it has sent, because its label means nothing in the
  next request. So a subject's lookup also fetches, in the same response, the blank nodes its objects lead
  to; a later lookup of one of those blank nodes is answered from what that response held.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Protocol, cast

import pyoxigraph as ox

from kg.errors import KGError
from kg.remote import QueryStream, RemoteStore, RemoteStoreError
from kg.stores.protocol import GraphName, Object, Results, Subject, TripleList

ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8"
_ANY = "<urn:kg:any-predicate>"
_BLANK_CACHE = 20_000  # blank nodes remembered; the cache starts again when full
_FIRST_LINE = re.compile(r"(\bat )1:(\d+)")  # Oxigraph's "error at LINE:COLUMN"
_Dataset = tuple[
    bool, list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None, list[ox.NamedNode | ox.BlankNode] | None
]  # use_default_graph_as_union, default_graph, named_graphs: the dataset arguments of `query`
_DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE)
_VIRTUOSO_ASK = "__ASK_RETVAL"
# the query form, after the prologue; the Accept header follows it, because a store may send any form in any
# format (Virtuoso answers a CONSTRUCT with a table of ?s ?p ?o when the results format comes first)
_FORM = re.compile(
    r"(?:\s+|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE
)
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9"
# Virtuoso's blank node labels ("nodeID://b10001") are not valid labels in a results document
_NODE_ID = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
_RELABEL_CHUNK = 64 * 1024  # bytes read at a time from a streamed answer that is relabelled
# graphs some stores keep for themselves and show among the named graphs: never part of our dataset
STORE_OWN_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#",)  # Virtuoso's metadata
_NOT_OWN = f"FILTER(?g NOT IN ({', '.join(f'<{g}>' for g in STORE_OWN_GRAPHS)}))"


class UnsupportedByStoreError(KGError):
    status, title, slug = 501, "Not available on an external store", "not-on-external-store"


class RemoteDataset:
    """The `kg.stores.Store` interface over `client`; thread-safe (httpx's client is)."""

    def __init__(self, client: RemoteStore, *, union_parameter: str | None, timeout: float) -> None:
        self.client = client
        self.union_parameter = union_parameter
        self.timeout = timeout
        self._blank: dict[str, list[ox.Quad]] = {}
        self._blank_lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    # queries

    def query(
        self,
        query: str,
        *,
        base_iri: str | None = None,
        prefixes: dict[str, str] | None = None,
        use_default_graph_as_union: bool = False,
        default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None,
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None,
    ) -> Results:
        """Raises:
        SyntaxError: the store refused the query with 400 (as pyoxigraph raises it for its own parser).
        QueryTimeoutError, RemoteStoreError, RemoteUnavailableError: see `kg.remote.RemoteStore.query`.
        """
        dataset = (use_default_graph_as_union, default_graph, named_graphs)
        with self._answer(query, base_iri, prefixes, dataset) as answer:
            body = answer.read()
        return parse_answer(body, answer.content_type)

    @contextmanager
    def streamed(
        self,
        query: str,
        *,
        base_iri: str | None = None,
        prefixes: dict[str, str] | None = None,
        use_default_graph_as_union: bool = False,
        default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None,
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None,
    ) -> Iterator[Results]:
        """As `query`, but the results are parsed as they arrive, for a reader that may stop early (a row cap);
        leaving the `with` closes the connection unless the answer was read to its end, which stops the store.

        Raises:
            As `query`, also while the results are read; RemoteStoreError: the answer does not parse (cut off).
        """
        dataset = (use_default_graph_as_union, default_graph, named_graphs)
        with self._answer(query, base_iri, prefixes, dataset) as answer:
            try:
                yield parse_answer(answer, answer.content_type)
            except SyntaxError as e:  # Oxigraph writes an error met while it streams results into the answer
                tail = answer.tail.decode("utf-8", "replace").strip()
                raise RemoteStoreError(f"the external store's answer broke off ({e}); it ends with: {tail}") from None

    @contextmanager
    def _answer(
        self, query: str, base_iri: str | None, prefixes: dict[str, str] | None, dataset: _Dataset
    ) -> Iterator[QueryStream]:
        union, default_graph, named_graphs = dataset
        params: list[tuple[str, str]] = []
        params += [("default-graph-uri", g.value) for g in default_graph or () if isinstance(g, ox.NamedNode)]
        params += [("named-graph-uri", g.value) for g in named_graphs or () if isinstance(g, ox.NamedNode)]
        # with named-graph-uri the protocol's own dataset rules hold (stores refuse both at once)
        if union and not params and self.union_parameter:
            params.append((self.union_parameter, "true"))
        head = prologue(query, base_iri, prefixes)
        accept = query_accept(query)
        try:
            with self.client.stream_query(head + query, timeout=self.timeout, accept=accept, params=params) as answer:
                yield answer
        except RemoteStoreError as e:
            if e.store_status == 400:  # only the store's own answer to the request has a status
                raise SyntaxError(_unshifted(e.store_message, len(head))) from None
            raise

    def update(self, update: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None) -> None:
        """Raises:
        SyntaxError: the store refused the update with 400.
        RemoteStoreError, RemoteUnavailableError: see `kg.remote.RemoteStore.update`.
        """
        head = prologue(update, base_iri, prefixes)
        try:
            self.client.update(head + update)
        except RemoteStoreError as e:
            if e.store_status == 400:
                raise SyntaxError(_unshifted(e.store_message, len(head))) from None
            raise
        with self._blank_lock:
            self._blank.clear()  # what blank nodes lead to may have changed

    def quads_for_pattern(
        self,
        subject: Subject | None,
        predicate: ox.NamedNode | None,
        object: Object | None,
        graph_name: GraphName | None = None,
    ) -> Iterator[ox.Quad]:
        if isinstance(subject, ox.BlankNode) or isinstance(graph_name, ox.BlankNode):
            return iter(self._remembered(subject, predicate, object, graph_name))
        if isinstance(object, ox.BlankNode) or isinstance(subject, ox.Triple) or isinstance(object, ox.Triple):
            return iter(())  # labels of this store's blank nodes and quoted triples cannot be sent back to it
        pattern = f"{_term(subject, '?s')} {_term(predicate, '?p')} {_term(object, '?o')}"
        where = _graph_pattern(pattern, graph_name)
        if subject is not None:  # a page's lookup: bring the blank nodes it leads to in the same answer
            closure = (
                f"{subject} {_term(predicate, '?p0')} ?b0 . FILTER(isBlank(?b0)) "
                f"?b0 ({_ANY}|!{_ANY})* ?bs . FILTER(isBlank(?bs)) ?bs ?bp ?bo ."
            )
            where = f"{{ {where} }} UNION {{ {_graph_pattern(closure, graph_name, variable='?bg')} }}"
        rows = self._select(f"SELECT * WHERE {{ {where} }}")
        quads, blanks = [], []
        for row in rows:
            if _get(row, "bs") is not None:
                blanks.append(ox.Quad(row["bs"], row["bp"], row["bo"], _graph(row["bg"])))
                continue
            s = subject if subject is not None else row["s"]
            p = predicate if predicate is not None else row["p"]
            o = object if object is not None else row["o"]
            g = graph_name if graph_name is not None else _graph(_get(row, "g"))
            if isinstance(g, ox.NamedNode) and g.value in STORE_OWN_GRAPHS:
                continue
            quads.append(ox.Quad(s, p, o, g))
        self._remember(blanks)
        return iter(quads)

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]:
        rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        if any(_get(row, "g") is None for row in rows):  # Virtuoso 7 matches an empty group once, binding nothing
            rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return iter([g for row in rows if isinstance(g := row["g"], ox.NamedNode) and g.value not in STORE_OWN_GRAPHS])

    def __len__(self) -> int:
        rows = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_NOT_OWN} }}")
        return int(rows[0]["n"].value)

    def dump(
        self,
        output: IO[bytes] | str | None = None,
        format: ox.RdfFormat | None = None,
        *,
        from_graph: GraphName | None = None,
    ) -> bytes | None:
        """Raises:
        ValueError: a triple format (Turtle, N-Triples, ...) for the whole dataset, as pyoxigraph raises it.
        """
        if from_graph is not None:
            triples = [q.triple for q in self.quads_for_pattern(None, None, None, from_graph)]
            return ox.serialize(triples, output, format or ox.RdfFormat.N_TRIPLES)
        fmt = format or ox.RdfFormat.N_QUADS
        if not fmt.supports_datasets:
            raise ValueError(f"{fmt.name} holds one graph: give from_graph, or use N-Quads or TriG")
        return ox.serialize(self.quads_for_pattern(None, None, None, None), output, fmt)

    # writes

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """All quads in one INSERT: one update request, which the store applies as a whole or not at all."""
        by_graph: dict[str, list[str]] = {}
        blank = False
        for q in quads:
            if isinstance(q.subject, ox.Triple) or isinstance(q.object, ox.Triple):
                raise UnsupportedByStoreError("quoted triples (RDF-star) cannot be written to the external store")
            blank = blank or isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
            key = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
            by_graph.setdefault(key, []).append(f"{q.subject} {q.predicate} {q.object} .")
        blocks = [f"GRAPH {g} {{\n{chr(10).join(t)}\n}}" if g else "\n".join(t) for g, t in by_graph.items()]
        # INSERT DATA with blank nodes is standard, but Virtuoso 7 refuses it ("not allowed in a constant
        # clause"); a template with one empty solution makes the same fresh blank nodes on every store
        head, tail = ("INSERT {", "} WHERE {}") if blank else ("INSERT DATA {", "}")
        if blocks:
            self.update(f"{head}\n" + "\n".join(blocks) + f"\n{tail}")

    def flush(self) -> None:
        """Nothing to do: the external store makes its own writes durable."""

    def backup(self, target_directory: str) -> None:
        raise UnsupportedByStoreError(
            "the API serves an external store, which is backed up with that store's own tools, not from here"
        )

    # internals

    def _select(self, text: str) -> list[ox.QuerySolution]:
        answer = self.client.query(text, timeout=self.timeout, accept="application/sparql-results+json")
        results = parse_answer(answer.body, answer.content_type)
        assert isinstance(results, ox.QuerySolutions)
        return list(results)

    def _remember(self, quads: Sequence[ox.Quad]) -> None:
        with self._blank_lock:
            if len(self._blank) > _BLANK_CACHE:
                self._blank.clear()
            for q in dict.fromkeys(quads):
                # a blank node fetched again (the next page that leads to it) must not gain its quads twice
                if isinstance(q.subject, ox.BlankNode) and q not in self._blank.setdefault(q.subject.value, []):
                    self._blank[q.subject.value].append(q)

    def _remembered(
        self, subject: Subject | None, predicate: ox.NamedNode | None, object: Object | None, graph: GraphName | None
    ) -> list[ox.Quad]:
        with self._blank_lock:
            if isinstance(subject, ox.BlankNode):
                candidates = list(self._blank.get(subject.value, ()))
            else:
                candidates = [q for quads in self._blank.values() for q in quads]
        return [
            q
            for q in candidates
            if (predicate is None or q.predicate == predicate)
            and (object is None or q.object == object)
            and (graph is None or q.graph_name == graph)
        ]


def prologue(text: str, base_iri: str | None, prefixes: dict[str, str] | None) -> str:
    """BASE and PREFIX declarations for what the text does not declare itself, on the text's first line, so
    that the store's error positions on the other lines are the user's own (`_unshifted` mends the first).

    >>> prologue("PREFIX ex: <http://ex/> SELECT * {}", "http://b/", {"ex": "http://other/", "kg": "http://k/"})
    'BASE <http://b/> PREFIX kg: <http://k/> '
    """
    declared = {m.group(1) or "" for m in _DECLARED.finditer(text)}
    parts = [f"BASE {ox.NamedNode(base_iri)}"] if base_iri else []
    parts += [f"PREFIX {name}: {ox.NamedNode(iri)}" for name, iri in (prefixes or {}).items() if name not in declared]
    return "".join(part + " " for part in parts)


def _unshifted(message: str, offset: int) -> str:
    """A store's "line:column" on the first line, moved back by the prologue we put before the user's text.

    >>> _unshifted("error at 1:52: expected WHERE", 40)
    'error at 1:12: expected WHERE'
    """
    return _FIRST_LINE.sub(lambda m: f"{m.group(1)}1:{max(int(m.group(2)) - offset, 1)}", message, count=1)


def query_accept(query: str) -> str:
    """The Accept header for a query's answer, by its form; both kinds when the form cannot be told.

    >>> query_accept("PREFIX ask: <http://ex/select#> # a comment\\nconstruct { ?s ?p ?o } WHERE {}")
    'application/n-triples, text/turtle;q=0.9'
    """
    form = _FORM.match(query)
    if form is None:
        return ACCEPT  # malformed: the store says why
    return GRAPH_ACCEPT if form.group(1).upper() in ("CONSTRUCT", "DESCRIBE") else SELECT_ACCEPT


class StreamedTriples(TripleList):
    """The triples of a CONSTRUCT or DESCRIBE, read once as they arrive (no `len`)."""

    def __init__(self, triples: Iterator[ox.Triple]) -> None:  # no list, unlike TripleList: that reads them all
        self._stream = triples

    def __iter__(self) -> Iterator[ox.Triple]:
        return self._stream

    def __len__(self) -> int:
        raise TypeError("streamed triples have no length before they are read")

    def serialize(self, output: IO[bytes] | str | None = None, format: ox.RdfFormat | None = None) -> bytes | None:
        return ox.serialize(self._stream, output, format or ox.RdfFormat.N_TRIPLES)


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def parse_answer(body: bytes | _Reader, content_type: str) -> Results:
    """A store's answer as pyoxigraph objects, by its media type; from a reader (`QueryStream`), parsed as it
    is read, a graph as `StreamedTriples`.

    >>> import io
    >>> answer = b'{"head": {"vars": ["b"]}, "results": {"bindings": [{"b": {"type": "bnode", "value": "nodeID://b1"}}]}}'
    >>> [str(row["b"]) for row in parse_answer(io.BytesIO(answer), "application/sparql-results+json")]
    ['_:b1']

    Raises:
        RemoteStoreError: the media type is neither a SPARQL results format nor an RDF format.
        SyntaxError: the head of a streamed answer does not parse.
    """
    results_format = ox.QueryResultsFormat.from_media_type(content_type)
    if results_format is not None:
        if results_format == ox.QueryResultsFormat.JSON:
            body = _NODE_ID.sub(rb"\1", body) if isinstance(body, bytes) else _Relabelled(body)
        results = ox.parse_query_results(_readable(body), results_format)
        if isinstance(results, ox.QuerySolutions) and [v.value for v in results.variables] == [_VIRTUOSO_ASK]:
            # Virtuoso 7 answers ASK with a table of one column, one row when true and none when false
            return ox.parse_query_results(
                b'{"head": {}, "boolean": %s}' % (b"true" if list(results) else b"false"), ox.QueryResultsFormat.JSON
            )
        return results
    graph_format = ox.RdfFormat.from_media_type(content_type)
    if graph_format is not None:
        triples = (t.triple for t in ox.parse(_readable(body), graph_format))
        return TripleList(triples) if isinstance(body, bytes) else StreamedTriples(triples)
    raise RemoteStoreError(f"the external store answered with {content_type or 'no Content-Type'}, not SPARQL results")


def _readable(body: bytes | _Reader) -> bytes | IO[bytes]:
    return body if isinstance(body, bytes) else cast(IO[bytes], body)  # pyoxigraph's parsers only call read(size)


class _Relabelled:
    """A JSON answer with Virtuoso's blank node labels made valid (`_NODE_ID`) as it is read."""

    def __init__(self, answer: _Reader) -> None:
        self._answer = answer
        self._pending = b""  # read, not rewritten yet
        self._ready = bytearray()
        self._end = False

    def read(self, size: int = -1, /) -> bytes:
        while not self._end and (size < 0 or len(self._ready) < size):
            chunk = self._answer.read(_RELABEL_CHUNK)
            self._end = not chunk
            self._pending += chunk
            # a label's pattern holds no '{', which opens each term: cutting before one never splits a label
            cut = len(self._pending) if self._end else self._pending.rfind(b"{")
            if cut > 0:
                self._ready += _NODE_ID.sub(rb"\1", self._pending[:cut])
                self._pending = self._pending[cut:]
        end = len(self._ready) if size < 0 else min(size, len(self._ready))
        data = bytes(self._ready[:end])
        del self._ready[:end]
        return data


def _term(term: ox.NamedNode | ox.Literal | ox.BlankNode | ox.Triple | None, variable: str) -> str:
    return variable if term is None else str(term)  # N-Triples syntax, which SPARQL reads as the same term


def _graph_pattern(pattern: str, graph: GraphName | None, *, variable: str = "?g") -> str:
    if isinstance(graph, ox.NamedNode):
        return f"GRAPH {graph} {{ {pattern} }}"
    if isinstance(graph, ox.DefaultGraph):
        return pattern
    return f"GRAPH {variable} {{ {pattern} }}"


def _get(row: ox.QuerySolution, variable: str) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None:
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None = row[variable]  # None when unbound
    return term


def _graph(term: object) -> ox.NamedNode | ox.BlankNode | ox.DefaultGraph:
    if isinstance(term, ox.NamedNode | ox.BlankNode):
        return term
    return ox.DefaultGraph()
