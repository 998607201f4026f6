"""W3C SPARQL test suites: the protocol tests for queries against the app (on both backends), and query
evaluation against pyoxigraph.

The evaluation tests run through kg.querying.evaluate with the store's own default graph (the suites'
dataset semantics, not our union default) and compare results with blank-node-aware equality: solutions as
multisets (in order when the query has ORDER BY), graphs by isomorphism.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from starlette.exceptions import StarletteDeprecationWarning

from kg.api.app import create_app
from kg.querying import evaluate
from kg.settings import Settings
from kg.stores import release
from tests.backends import OxigraphServers, on_backend
from tests.conftest import SHARED

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

SUITES = SHARED / "w3c-tests"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
pytestmark = pytest.mark.skipif(not SUITES.is_dir(), reason=f"the W3C test suites are not at {SUITES}")

# --- protocol: /sparql against the query tests of sparql11/protocol/manifest.ttl

PROTOCOL = SUITES / "sparql11" / "protocol" / "manifest.ttl"
PROTOCOL_QUERY = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX mf: <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#>
PREFIX ht: <http://www.w3.org/2011/http#>
PREFIX cnt: <http://www.w3.org/2011/content#>
SELECT ?test ?method ?path ?chars ?encoding ?ctype ?boolean ?format
       (GROUP_CONCAT(DISTINCT STR(?status); separator=" ") AS ?statuses)
WHERE {
  ?test a mf:ProtocolTest ; mf:action/ht:requests/rdf:first ?request .
  ?request ht:methodName ?method ; ht:absolutePath ?path ; ht:resp ?resp .
  ?resp mf:expectedStatus ?status .
  OPTIONAL { ?request ht:body [ cnt:chars ?chars ; cnt:characterEncoding ?encoding ] }
  OPTIONAL { ?request ht:headers/rdf:first [ ht:fieldName "content-type" ; ht:fieldValue ?ctype ] }
  OPTIONAL { ?resp mf:expectedBoolean ?boolean }
  OPTIONAL { ?resp mf:expectedFormat ?format }
} GROUP BY ?test ?method ?path ?chars ?encoding ?ctype ?boolean ?format ORDER BY ?test
"""


@dataclass(frozen=True)
class ProtocolCase:
    name: str
    method: str
    path: str
    body: bytes | None
    content_type: str | None
    statuses: tuple[str, ...]  # "2xx", "3xx", "4xx"
    boolean: bool | None
    format: str | None


def _protocol_cases() -> list[ProtocolCase]:
    if not PROTOCOL.is_file():
        return []
    store = ox.Store()
    store.load(path=str(PROTOCOL), format=ox.RdfFormat.TURTLE, base_iri=PROTOCOL.as_uri())
    cases = []
    for row in store.query(PROTOCOL_QUERY):  # type: ignore[union-attr]
        name = str(row["test"].value).rsplit("#", 1)[-1]
        if not name.startswith(("query_", "bad_query")) and name != "bad_multiple_queries":
            continue  # update tests: updates go to /update with a token, not to /sparql
        chars, encoding = row["chars"], row["encoding"]
        body = chars.value.encode(encoding.value.lower()) if chars is not None and encoding is not None else None
        cases.append(
            ProtocolCase(
                name=name,
                method=row["method"].value,
                path=row["path"].value.replace("/sparql/", "/sparql", 1),
                body=body,
                content_type=row["ctype"].value if row["ctype"] is not None else None,
                statuses=tuple(s.rsplit("StatusCode", 1)[-1] for s in row["statuses"].value.split()),
                boolean=(row["boolean"].value == "true") if row["boolean"] is not None else None,
                format=row["format"].value if row["format"] is not None else None,
            )
        )
    return cases


PROTOCOL_CASES = _protocol_cases()


@pytest.fixture(scope="module")
def protocol_client(
    tmp_path_factory: pytest.TempPathFactory, backend: str, oxigraph_servers: OxigraphServers
) -> Iterator[TestClient]:
    data = ox.Store()
    for n in (1, 2, 3):  # the data every query test names, each in the graph its label gives
        graph = ox.NamedNode(f"http://kasei.us/2009/09/sparql/data/data{n}.rdf")
        data.load(path=str(PROTOCOL.parent / f"data{n}.nt"), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
    store = on_backend(backend, oxigraph_servers, data)
    settings = Settings(store_path=tmp_path_factory.mktemp("unused"), query_workers=1)
    try:
        with TestClient(create_app(settings, store=store)) as client:
            yield client
    finally:
        release(store)


def test_protocol_cases_found() -> None:
    if not PROTOCOL.is_file():
        pytest.skip(f"no protocol manifest at {PROTOCOL}")
    assert len(PROTOCOL_CASES) >= 20, [c.name for c in PROTOCOL_CASES]


@pytest.mark.parametrize("case", PROTOCOL_CASES, ids=lambda c: c.name)
def test_protocol(protocol_client: TestClient, case: ProtocolCase) -> None:
    headers = {"content-type": case.content_type} if case.content_type else {}
    r = protocol_client.request(case.method, case.path, content=case.body, headers=headers, follow_redirects=False)
    assert f"{r.status_code // 100}xx" in case.statuses, (r.status_code, r.text)
    media = r.headers.get("content-type", "").split(";")[0]
    if case.format in ("boolean", "tabular"):
        assert ox.QueryResultsFormat.from_media_type(media) is not None, media
    elif case.format == "RDF":
        assert ox.RdfFormat.from_media_type(media) is not None, media
    if case.boolean is not None:
        fmt = ox.QueryResultsFormat.from_media_type(media)
        assert fmt is not None
        assert bool(ox.parse_query_results(r.content, fmt)) is case.boolean
    if case.statuses == ("4xx",):
        assert r.headers["content-type"] == "application/problem+json"


# --- query evaluation: mf:QueryEvaluationTest entries of representative folders, run through evaluate()

EVALUATION_FOLDERS = [
    *(
        f"sparql11/{f}"
        for f in (
            "aggregates",
            "bind",
            "bindings",
            "cast",
            "construct",
            "exists",
            "functions",
            "grouping",
            "negation",
            "project-expression",
            "property-path",
            "subquery",
        )
    ),
    *(
        f"sparql10/{f}"
        for f in (
            "algebra",
            "ask",
            "basic",
            "bnode-coreference",
            "boolean-effective-value",
            "bound",
            "construct",
            "dataset",
            "distinct",
            "expr-builtin",
            "expr-equals",
            "expr-ops",
            "graph",
            "i18n",
            "open-world",
            "optional",
            "optional-filter",
            "reduced",
            "regex",
            "solution-seq",
            "sort",
            "triple-match",
            "type-promotion",
        )
    ),
]
EVALUATION_QUERY = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX mf: <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#>
PREFIX qt: <http://www.w3.org/2001/sw/DataAccess/tests/test-query#>
PREFIX dawgt: <http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#>
SELECT ?test ?query ?result (GROUP_CONCAT(DISTINCT STR(?data); separator=" ") AS ?datas)
       (GROUP_CONCAT(DISTINCT CONCAT(STR(?file), "|", STR(?name)); separator=" ") AS ?graphs)
WHERE {
  ?manifest mf:entries/rdf:rest*/rdf:first ?test .
  ?test a mf:QueryEvaluationTest ; mf:action ?action ; mf:result ?result .
  ?action qt:query ?query .
  OPTIONAL { ?action qt:data ?data }
  OPTIONAL {
    ?action qt:graphData ?graph .
    OPTIONAL { ?graph qt:graph ?inner OPTIONAL { ?graph rdfs:label ?label } }
    BIND(COALESCE(?inner, ?graph) AS ?file)
    BIND(COALESCE(?label, ?file) AS ?name)
  }
  FILTER NOT EXISTS { ?test dawgt:approval dawgt:Withdrawn }
  FILTER NOT EXISTS { ?action qt:serviceData ?service }
} GROUP BY ?test ?query ?result ORDER BY ?test
"""

# Oxigraph 0.5 (or this comparison) disagrees with the expected results; found by running the suite
_LEXICAL = (
    "Oxigraph stores literals in canonical form (01 becomes 1), "
    "so lexically different inputs compare, or DISTINCT, as one value"
)
_REDUCED = "REDUCED may drop any number of duplicates; the expected file fixes one choice"
_ZERO_PATH = "zero-length paths with a constant end over an empty dataset: Oxigraph 0.5 yields no solution"
_GRAPH_SCOPE = "a variable used both as GRAPH ?g and inside its pattern (scoping differs in Oxigraph 0.5)"
_BNODE = "BNODE(str) within one solution: this harness cannot match the blank-node pattern the expected file uses"
KNOWN_FAILURES: dict[str, str] = {
    "sparql10/distinct/distinct-1": _LEXICAL,
    "sparql10/distinct/distinct-9": _LEXICAL,
    "sparql10/distinct/no-distinct-1": _LEXICAL,
    "sparql10/distinct/no-distinct-9": _LEXICAL,
    "sparql10/expr-builtin/case-insensitive-booleans": _LEXICAL,
    "sparql10/expr-builtin/dawg-str-1": _LEXICAL,
    "sparql10/expr-builtin/dawg-str-2": _LEXICAL,
    "sparql10/expr-builtin/sameTerm-eq": _LEXICAL,
    "sparql10/expr-builtin/sameTerm-not-eq": _LEXICAL,
    "sparql10/expr-builtin/sameTerm-simple": _LEXICAL,
    "sparql10/expr-equals/eq-graph-1": _LEXICAL,
    "sparql10/expr-equals/eq-graph-2": _LEXICAL,
    "sparql10/open-world/date-2": _LEXICAL,
    "sparql10/open-world/date-3": _LEXICAL,
    "sparql10/open-world/open-eq-01": _LEXICAL,
    "sparql10/open-world/open-eq-03": _LEXICAL,
    "sparql10/open-world/open-eq-04": _LEXICAL,
    "sparql11/aggregates/agg-avg-02": _LEXICAL,
    "sparql11/aggregates/agg-groupconcat-04": _LEXICAL,
    "sparql11/aggregates/agg-groupconcat-06": _LEXICAL,
    "sparql11/aggregates/agg-max-02": _LEXICAL,
    "sparql11/aggregates/agg-max-distinct": _LEXICAL,
    "sparql11/aggregates/agg-min-02": _LEXICAL,
    "sparql11/aggregates/agg-min-distinct": _LEXICAL,
    "sparql11/functions/plus-1-corrected": _LEXICAL,
    "sparql11/functions/plus-2-corrected": _LEXICAL,
    "sparql10/reduced/reduced-1": _REDUCED,
    "sparql10/reduced/reduced-2": _REDUCED,
    "sparql11/property-path/zero_or_more_set_end": _ZERO_PATH,
    "sparql11/property-path/zero_or_more_set_start": _ZERO_PATH,
    "sparql11/property-path/zero_or_one_set_end": _ZERO_PATH,
    "sparql11/property-path/zero_or_one_set_start": _ZERO_PATH,
    "sparql10/graph/graph-optional": _GRAPH_SCOPE,
    "sparql10/graph/graph-variable-scope": _GRAPH_SCOPE,
    "sparql11/aggregates/agg-empty-group-count-graph": _GRAPH_SCOPE,
    "sparql11/bindings/graph": _GRAPH_SCOPE,
    "sparql11/negation/graph-minus": _GRAPH_SCOPE,
    "sparql11/functions/bnode01": _BNODE,
}


@dataclass(frozen=True)
class EvaluationCase:
    id: str
    query: Path
    result: Path
    data: tuple[Path, ...]
    graphs: tuple[tuple[Path, str], ...]  # file, graph name


def _path(iri: str) -> Path:
    return Path(unquote(urlsplit(iri).path))


def _words(term: ox.Literal | None) -> list[str]:
    return term.value.split() if term is not None else []  # GROUP_CONCAT of nothing is unbound in Oxigraph


def _evaluation_cases() -> list[EvaluationCase]:
    cases = []
    for folder in EVALUATION_FOLDERS:
        manifest = SUITES / folder / "manifest.ttl"
        if not manifest.is_file():
            continue
        store = ox.Store()
        store.load(path=str(manifest), format=ox.RdfFormat.TURTLE, base_iri=manifest.as_uri())
        for row in store.query(EVALUATION_QUERY):  # type: ignore[union-attr]
            name = str(row["test"].value).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            cases.append(
                EvaluationCase(
                    id=f"{folder.split('/', 1)[0]}/{folder.rsplit('/', 1)[-1]}/{name}",
                    query=_path(row["query"].value),
                    result=_path(row["result"].value),
                    data=tuple(_path(d) for d in _words(row["datas"])),
                    graphs=tuple((_path(g.split("|")[0]), g.split("|")[1]) for g in _words(row["graphs"])),
                )
            )
    return cases


EVALUATION_CASES = _evaluation_cases()


def _marked(case: EvaluationCase) -> object:
    reason = KNOWN_FAILURES.get(case.id)
    return pytest.param(case, id=case.id, marks=pytest.mark.xfail(reason=reason, strict=True) if reason else ())


def test_evaluation_cases_found() -> None:
    assert len(EVALUATION_CASES) >= 300, len(EVALUATION_CASES)


@pytest.mark.parametrize("case", [_marked(c) for c in EVALUATION_CASES])
def test_evaluation(case: EvaluationCase) -> None:
    store = ox.Store()
    for path in case.data:
        store.load(path=str(path), format=_rdf_format(path), base_iri=path.as_uri())
    for path, name in case.graphs:
        store.load(path=str(path), format=_rdf_format(path), base_iri=path.as_uri(), to_graph=ox.NamedNode(name))
    text = case.query.read_text(encoding="utf-8")
    for _named, iri in re.findall(r"FROM\s+(NAMED\s+)?<([^>]*)>", text, re.IGNORECASE):
        path = _path(urljoin(case.query.as_uri(), iri))  # the dataset tests name their data in FROM
        graph = ox.NamedNode(urljoin(case.query.as_uri(), iri))
        store.load(path=str(path), format=_rdf_format(path), base_iri=path.as_uri(), to_graph=graph)
    results = evaluate(store, text, union_default=False, base_iri=case.query.as_uri())
    ordered = re.search(r"ORDER\s+BY", text, re.IGNORECASE) is not None
    if isinstance(results, ox.QueryTriples):
        got = _graph(ox.serialize(results, format=ox.RdfFormat.N_TRIPLES) or b"")
        expected = _graph(
            ox.serialize(ox.parse(path=str(case.result), base_iri=case.result.as_uri()), format=ox.RdfFormat.N_TRIPLES)
            or b""
        )
        assert isomorphic(got, expected), f"got:\n{got.serialize(format='nt')}"
        return
    expected_results = _expected_results(case.result)
    if isinstance(results, ox.QueryBoolean):
        assert isinstance(expected_results, bool)
        assert bool(results) is expected_results
        return
    assert not isinstance(expected_results, bool)
    variables = [v.value for v in results.variables]
    rows = [{v: row[v] for v in variables if row[v] is not None} for row in results]
    got = _canonical_solutions(rows, ordered=ordered)
    want = _canonical_solutions(expected_results, ordered=ordered)
    assert got == want, f"got {rows}\nwant {expected_results}"


def _rdf_format(path: Path) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    assert fmt is not None, path
    return fmt


def _graph(ntriples: bytes) -> Graph:
    return Graph().parse(data=ntriples.decode(), format="nt")


Solutions = list[dict[str, object]]

RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"


def _expected_results(path: Path) -> bool | Solutions:
    fmt = ox.QueryResultsFormat.from_extension(path.suffix.lstrip("."))
    if fmt is not None:
        parsed = ox.parse_query_results(path=str(path), format=fmt)
        if isinstance(parsed, ox.QueryBoolean):
            return bool(parsed)
        names = [v.value for v in parsed.variables]
        return [{v: row[v] for v in names if row[v] is not None} for row in parsed]
    # an RDF encoding of the results (rs:ResultSet), as older tests have
    store = ox.Store()
    store.load(path=str(path), format=_rdf_format(path), base_iri=path.as_uri())
    boolean = list(store.query(f"SELECT ?b WHERE {{ ?rs <{RS}boolean> ?b }}"))  # type: ignore[union-attr]
    if boolean:
        return bool(boolean[0]["b"].value == "true")
    rows: dict[object, dict[str, object]] = {}
    query = f"""SELECT ?s ?var ?value ?index WHERE {{
        ?rs <{RS}solution> ?s . OPTIONAL {{ ?s <{RS}index> ?index }}
        OPTIONAL {{ ?s <{RS}binding> [ <{RS}variable> ?var ; <{RS}value> ?value ] }} }}"""
    indexes: dict[object, int] = {}
    for r in store.query(query):  # type: ignore[union-attr]
        solution = rows.setdefault(r["s"], {})
        if r["var"] is not None:
            solution[r["var"].value] = r["value"]
        if r["index"] is not None:
            indexes[r["s"]] = int(r["index"].value)
    order = sorted(rows, key=lambda s: indexes.get(s, 0))
    return [rows[s] for s in order]


def _canonical_solutions(solutions: Solutions, *, ordered: bool) -> list[str]:
    """Solutions as canonical N-Quads: a row is named by its index (ORDER BY) or by its content and blank-node
    pattern, so that only the blank nodes that are values stay blank and Oxigraph's canonicalization maps them."""
    keyed = []
    for row in solutions:
        plain = sorted((v, str(t)) for v, t in row.items() if not isinstance(t, ox.BlankNode))
        blanks = [(v, t) for v, t in sorted(row.items()) if isinstance(t, ox.BlankNode)]
        pattern = [(v, [w for w, u in blanks if u == t]) for v, t in blanks]
        keyed.append((repr((plain, pattern)), row))
    if not ordered:
        keyed.sort(key=lambda k: k[0])
    dataset = ox.Dataset()
    for i, (_, row) in enumerate(keyed):
        node = ox.NamedNode(f"{RS}row{i}")
        for var, term in row.items():
            binding = ox.NamedNode(f"{RS}row{i}/{var}")
            dataset.add(ox.Quad(node, ox.NamedNode(f"{RS}binding"), binding))
            dataset.add(ox.Quad(binding, ox.NamedNode(f"{RS}value"), term))  # type: ignore[arg-type]
    # through a store, which normalizes literals ("01"^^xsd:integer is 1) as it did for the data
    store = ox.Store()
    store.extend(dataset)
    normalized = ox.Dataset(store)
    normalized.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return sorted(str(q) for q in normalized)
