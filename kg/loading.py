"""Loading the project's files (ontology/, shapes/, data/) into the store, each file in its own graph(s).

Turtle and N-Triples files go into a graph named after their place (`graph/ontology/kg-people`); TriG and
N-Quads files name their own graphs, and no two files may name the same one, so reloading a file replaces
exactly its triples. Oxigraph's bulk loader does the work; a file written under the default base is
rewritten term by term only when another base is configured.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, TypeVar, cast

import pyoxigraph as ox

from kg.errors import LoadError
from kg.iris import DEFAULT_BASE, graph_iri, rebase
from kg.parallel_loading import RangeReader, Reads, available_cores, bulk_load_parts, plan_parts
from kg.store import discard_generation, new_generation, publish_generation
from kg.wikidata.view import add_view, view_graph

FOLDERS = ("ontology", "shapes", "data")
EXTENSIONS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
}
# dataset files up to this size are parsed once before loading, to check that no two files fill one graph;
# curated files are far smaller, and a second pass over a large input would halve the load rate
SCAN_LIMIT = 8 * 1024 * 1024
LOAD_GRAPH = "load"  # graph/load records which file filled which graph

_T = TypeVar("_T")

Progress = Callable[[str, int, int], None]  # (file label, bytes read, bytes in all)


@dataclass(frozen=True)
class ProjectFile:
    path: Path
    label: str  # the path relative to the project root, as messages show it
    format: ox.RdfFormat
    graph: str | None  # None: the file names its own graphs (TriG, N-Quads)


@dataclass(frozen=True)
class GraphCount:
    graph: str
    triples: int


def project_files(root: Path, base: str = DEFAULT_BASE) -> list[ProjectFile]:
    """The files `kg load` reads, in a stable order.

    Raises:
        LoadError: a project folder is missing, or holds no RDF file at all.
    """
    files: list[ProjectFile] = []
    for folder in FOLDERS:
        where = root / folder
        if not where.is_dir():
            raise LoadError(f"{where} is missing: is {root} the project folder?")
        for path in sorted(where.rglob("*")):
            fmt = EXTENSIONS.get(path.suffix)
            if fmt is None or not path.is_file():
                continue
            label = str(path.relative_to(root))
            graph = None if fmt.supports_datasets else graph_iri(base, folder, path.name.split(".")[0])
            files.append(ProjectFile(path, label, fmt, graph))
    if not files:
        raise LoadError(f"no RDF files under {root}/{{{','.join(FOLDERS)}}}")
    return files


def data_files(paths: Iterable[Path], base: str = DEFAULT_BASE) -> list[ProjectFile]:
    """Files named on a command line: triples files go into a graph named after the file.

    Raises:
        LoadError: a file's extension is not one of the RDF formats the loader reads.
    """
    files = []
    for path in paths:
        fmt = EXTENSIONS.get(path.suffix) or _extension_format(path)
        graph = None if fmt.supports_datasets else graph_iri(base, "file", path.stem)
        files.append(ProjectFile(path, str(path), fmt, graph))
    return files


def _extension_format(path: Path) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise LoadError(f"{path}: unknown RDF file extension {path.suffix!r}")
    return fmt


def load_files(
    store: ox.Store, files: list[ProjectFile], *, base: str = DEFAULT_BASE, progress: Progress | None = None
) -> None:
    """Bulk-load `files` into `store` (which should be a fresh generation: the bulk loader is not atomic).

    Raises:
        LoadError: a file cannot be read or parsed (the message names file, line and column), a dataset
            file puts triples in the default graph, or two files name the same graph.
    """
    owners: dict[str, str] = {}
    records: list[ox.Quad] = []
    for file in files:
        graphs = _check(file, owners)
        try:
            _load_one(store, file, base, progress)
        except SyntaxError as e:
            raise LoadError(_where(file, e)) from None
        except OSError as e:
            raise LoadError(f"{file.label}: {e}") from None
        records.extend(_record(file, graphs, base))
    store.bulk_extend(records)


def _check(file: ProjectFile, owners: dict[str, str]) -> list[str]:
    """The graphs a file fills, after checking that no other file fills them."""
    if file.graph is not None:
        graphs = [file.graph]
    elif file.path.stat().st_size <= SCAN_LIMIT:
        graphs = sorted(_scan_graphs(file))
    else:
        return []  # too large to read twice: its graphs are trusted, which the docs say
    for graph in graphs:
        if graph in owners:
            raise LoadError(f"{file.label}: graph <{graph}> is already filled by {owners[graph]}")
        owners[graph] = file.label
    return graphs


def _scan_graphs(file: ProjectFile) -> set[str]:
    graphs: set[str] = set()
    try:
        with file.path.open("rb") as f:
            for quad in ox.parse(f, format=file.format):
                if isinstance(quad.graph_name, ox.DefaultGraph):
                    raise LoadError(
                        f"{file.label}: the triple {quad.subject} {quad.predicate} … is outside any GRAPH block; "
                        "every fact belongs to the named graph of the source that states it"
                    )
                graphs.add(str(quad.graph_name.value))
    except SyntaxError as e:
        raise LoadError(_where(file, e)) from None
    return graphs


def _load_one(store: ox.Store, file: ProjectFile, base: str, progress: Progress | None) -> None:
    to_graph = ox.NamedNode(rebase(file.graph, base)) if file.graph else None
    shown = None if progress is None else partial(progress, file.label)
    if base == DEFAULT_BASE:
        parts = plan_parts(file.path, file.format)
        bulk_load_parts(store, file.path, file.format, parts, to_graph=to_graph, progress=shown)
        return
    size = file.path.stat().st_size
    with RangeReader(file.path, (0, size), Reads(size, shown)) as reader:
        store.bulk_extend(_rebased(ox.parse(cast(IO[bytes], reader), format=file.format), base, to_graph))


def _rebased(quads: Iterator[ox.Quad], base: str, to_graph: ox.NamedNode | None) -> Iterator[ox.Quad]:
    for q in quads:
        graph = to_graph if to_graph is not None else _term(q.graph_name, base)
        yield ox.Quad(_term(q.subject, base), _term(q.predicate, base), _term(q.object, base), graph)


def _term(term: _T, base: str) -> _T:
    if isinstance(term, ox.NamedNode):
        return ox.NamedNode(rebase(term.value, base))  # type: ignore[return-value]
    return term


def _record(file: ProjectFile, graphs: list[str], base: str) -> list[ox.Quad]:
    """Where each graph came from: the file and its content hash, in graph/load."""
    load = ox.NamedNode(graph_iri(base, LOAD_GRAPH))
    digest = hashlib.sha256(file.path.read_bytes()).hexdigest() if file.path.stat().st_size <= SCAN_LIMIT else ""
    source = ox.NamedNode("http://purl.org/dc/terms/source")
    sha = ox.NamedNode(base + "def/sha256")
    quads = []
    for graph in graphs:
        node = ox.NamedNode(rebase(graph, base))
        quads.append(ox.Quad(node, source, ox.Literal(file.label), load))
        if digest:
            quads.append(ox.Quad(node, sha, ox.Literal(digest), load))
    return quads


def _where(file: ProjectFile, e: SyntaxError) -> str:
    line, col = _position(e)
    message = str(e.args[0]) if e.args else str(e)
    return f"{file.label}:{line}:{col}: {message}" if line else f"{file.label}: {message}"


def _position(e: SyntaxError) -> tuple[int | None, int | None]:
    # pyoxigraph puts (file, line, column, ...) in args[1]; lineno/offset carry the same when set
    if len(e.args) > 1 and isinstance(e.args[1], tuple) and len(e.args[1]) >= 3:
        return e.args[1][1], e.args[1][2]
    return e.lineno, e.offset


def rebuild(
    store_path: Path, files: list[ProjectFile], *, base: str = DEFAULT_BASE, progress: Progress | None = None
) -> list[GraphCount]:
    """Build a new store generation from `files` and make it live; on any error the old one stays live.

    Raises:
        LoadError: see `load_files`.
    """
    generation = new_generation(store_path)
    try:
        store = ox.Store(str(generation))
        load_files(store, files, base=base, progress=progress)
        # the loaded graphs are counted on a core of their own while the view is built (Oxigraph works outside
        # the GIL); whether the count sees the view or not, the view's own count replaces it
        with ThreadPoolExecutor(max_workers=1) as counting:
            counted = counting.submit(graph_counts, store)
            # graph/wikidata/view: the same facts in Wikidata's model, for WDQS queries
            view = GraphCount(view_graph(base), add_view(store, base, workers=available_cores()))
            counts = [c for c in counted.result() if c.graph != view.graph]
        store.flush()  # no optimize(): RocksDB compacts in the background, and it cost 16% of a 100k load
        del store  # RocksDB lets go of its lock only when the handle is dropped
    except BaseException:
        discard_generation(generation)
        raise
    publish_generation(store_path, generation)
    return sorted([*counts, view] if view.triples else counts, key=lambda c: (-c.triples, c.graph))


def graph_counts(store: ox.Store) -> list[GraphCount]:
    """Triples per named graph, largest first."""
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY DESC(?n) ?g"
    rows = store.query(query)
    assert isinstance(rows, ox.QuerySolutions)
    return [GraphCount(str(r["g"].value), int(r["n"].value)) for r in rows]
