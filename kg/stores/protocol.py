"""The store interface the rest of `kg` is written against: the part of pyoxigraph's `Store` it uses.

`pyoxigraph.Store` satisfies it as it is (the embedded store); `kg.stores.remote.RemoteDataset` satisfies it
over SPARQL 1.1 Query and Update (an external store). Results are pyoxigraph's own types either way, so code
that reads them never knows where they came from. The one exception is a CONSTRUCT or DESCRIBE from an
external store, which cannot produce a `pyoxigraph.QueryTriples`: test with `is_graph`, not `isinstance`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Final, Protocol

import pyoxigraph as ox

Subject = ox.NamedNode | ox.BlankNode | ox.Triple
Object = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


class TripleList:
    """The triples of a CONSTRUCT or DESCRIBE that arrived over HTTP, read like `pyoxigraph.QueryTriples`."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self._triples = list(triples)

    def __iter__(self) -> Iterator[ox.Triple]:
        return iter(self._triples)

    def __len__(self) -> int:
        return len(self._triples)

    def serialize(self, output: IO[bytes] | str | None = None, format: ox.RdfFormat | None = None) -> bytes | None:
        return ox.serialize(self._triples, output, format or ox.RdfFormat.N_TRIPLES)


Results = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | TripleList
GRAPH_RESULTS: Final = (ox.QueryTriples, TripleList)  # for isinstance: a CONSTRUCT or DESCRIBE answered


def is_graph(results: Results) -> bool:
    """Whether `results` are triples (a CONSTRUCT or DESCRIBE), from either kind of store."""
    return isinstance(results, GRAPH_RESULTS)


class Store(Protocol):
    def query(
        self,
        query: str,
        *,
        base_iri: str | None = None,
        prefixes: dict[str, str] | None = None,
        use_default_graph_as_union: bool = False,
        default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None,
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None,
    ) -> Results: ...

    def update(self, update: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None) -> None: ...

    def quads_for_pattern(
        self,
        subject: Subject | None,
        predicate: ox.NamedNode | None,
        object: Object | None,
        graph_name: GraphName | None = None,
    ) -> Iterator[ox.Quad]: ...

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]: ...

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads in one transaction: all of them or none."""

    def dump(
        self,
        output: IO[bytes] | str | None = None,
        format: ox.RdfFormat | None = None,
        *,
        from_graph: GraphName | None = None,
    ) -> bytes | None: ...

    def flush(self) -> None: ...

    def backup(self, target_directory: str) -> None:
        """A consistent copy of the store in a new folder (a RocksDB checkpoint for the embedded store)."""

    def __len__(self) -> int: ...
