"""Pushing the project's files into an external store, graph by graph (`kg load --store URL`).

The files are first loaded into an in-memory Oxigraph store by the embedded loader (`load_files`, then the
Wikidata view), so parsing, rebasing, the one-file-per-graph check, `graph/load` and `graph/wikidata/view` are
exactly those of `kg load` into a folder. Each named graph is then *replaced* on the remote store through the
Graph Store Protocol: a PUT of its first batch of N-Triples, then POSTs (appends) of the rest, each batch at
most `BATCH_TRIPLES` triples. Triples sharing a blank node always travel in the same batch, because a store
gives the blank nodes of each request fresh identities. Loading twice therefore leaves the same quads; graphs
on the remote store that the files no longer fill are left alone (drop them with `RemoteStore.drop_graph`),
and so is the default graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from kg.iris import DEFAULT_BASE
from kg.loading import GraphCount, ProjectFile, load_files
from kg.remote import RemoteStore
from kg.wikidata.view import add_view

BATCH_TRIPLES = 50_000  # per request: a few MB of N-Triples, well inside any store's body limit


@dataclass(frozen=True)
class PushStep:
    graph: str  # the graph just written
    graphs_done: int
    graphs_total: int
    triples_done: int  # in all graphs so far
    triples_total: int


Progress = Callable[[PushStep], None]


def push(
    remote: RemoteStore,
    files: list[ProjectFile],
    *,
    base: str = DEFAULT_BASE,
    batch_triples: int = BATCH_TRIPLES,
    progress: Progress | None = None,
) -> list[GraphCount]:
    """Replace, on `remote`, every graph `files` fill (plus graph/load and the Wikidata view).

    Returns the triples per graph as the remote store counts them afterwards, largest first.

    Raises:
        LoadError: a file cannot be read or parsed (see `kg.loading.load_files`); nothing is sent then.
        RemoteStoreError: the store refused a request.
        RemoteUnavailableError: the store kept failing; graphs already written stay written.
    """
    staged = ox.Store()
    load_files(staged, files, base=base)
    add_view(staged, base)
    graphs = sorted(g.value for g in staged.named_graphs() if isinstance(g, ox.NamedNode))
    sizes = {g: len(list(staged.quads_for_pattern(None, None, None, ox.NamedNode(g)))) for g in graphs}
    total, done = sum(sizes.values()), 0
    for n, graph in enumerate(graphs, start=1):
        triples = (q.triple for q in staged.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        batches = [_ntriples(batch) for batch in batched(triples, batch_triples)]
        remote.replace_graph(graph, batches)
        done += sizes[graph]
        if progress:
            progress(PushStep(graph, n, len(graphs), done, total))
    counts = remote.graph_counts()
    return sorted((GraphCount(g, counts.get(g, 0)) for g in graphs), key=lambda c: (-c.triples, c.graph))


def batched(triples: Iterable[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """Batches of about `size` triples, never splitting triples linked through blank nodes.

    A group of linked triples larger than `size` makes one batch of its own.

    >>> p, b = ox.NamedNode("http://example.org/p"), ox.BlankNode("b")
    >>> ts = [ox.Triple(ox.NamedNode("http://example.org/a"), p, b), ox.Triple(b, p, ox.Literal("x")),
    ...       ox.Triple(ox.NamedNode("http://example.org/c"), p, ox.Literal("y"))]
    >>> [len(batch) for batch in batched(ts, 1)]
    [2, 1]
    """
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    listed = list(triples)
    for triple in listed:
        nodes = _blank_nodes(triple)
        for other in nodes[1:]:
            parent[find(other)] = find(nodes[0])
    groups: dict[str | int, list[ox.Triple]] = {}
    for i, triple in enumerate(listed):
        nodes = _blank_nodes(triple)
        groups.setdefault(find(nodes[0]) if nodes else i, []).append(triple)
    batch: list[ox.Triple] = []
    for group in groups.values():
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def _blank_nodes(triple: ox.Triple) -> list[str]:
    return [t.value for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]


def _ntriples(triples: list[ox.Triple]) -> bytes:
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert body is not None  # without an output, serialize returns the bytes
    return body
