"""The Store interface on both kinds of store: an external store (a real `oxigraph serve`) must answer every
call the way the embedded store does for the same data, and the commands must reach it with --store URL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.cli import main
from kg.remote import RemoteStore
from kg.settings import Settings
from kg.stores import open_configured, release
from kg.stores.remote import RemoteDataset
from tests.backends import FAST, OxigraphServers, external_copy
from tests.net import free_port, interrupt, wait_until_up

from .conftest import ROOT

KG = "https://w3id.org/learning-cities/"
FEZ = ox.NamedNode(KG + "id/city/fez")
CITY = ox.NamedNode(KG + "def/City")
UNION_OF = ox.NamedNode("http://www.w3.org/2002/07/owl#unionOf")


@pytest.fixture(scope="module")
def external(oxigraph_servers: OxigraphServers, store: ox.Store) -> Iterator[RemoteDataset]:
    remote = external_copy(oxigraph_servers, store)
    yield remote
    remote.close()


def _no_blank(quads: Iterator[ox.Quad]) -> set[ox.Quad]:
    return {q for q in quads if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}


def test_settings_choose_the_store() -> None:
    assert Settings.from_env({}).store_union_param == "union-default-graph"
    assert Settings.from_env({"KG_STORE_UNION_PARAM": ""}).store_union_param is None
    assert Settings.from_env({"KG_STORE_UNION_PARAM": "union"}).store_union_param == "union"


def test_open_configured_gives_an_external_store_for_a_url(tmp_path: Path) -> None:
    remote = open_configured(Settings(store_path=tmp_path, store_url="http://127.0.0.1:9/"))
    try:
        assert isinstance(remote, RemoteDataset)
        assert not any(tmp_path.iterdir())  # the embedded store was not created on the side
    finally:
        release(remote)
    assert isinstance(open_configured(Settings(store_path=tmp_path / "s")), ox.Store)


def test_lookups_match_the_embedded_store(external: RemoteDataset, store: ox.Store) -> None:
    assert _no_blank(external.quads_for_pattern(FEZ, None, None, None)) == _no_blank(
        store.quads_for_pattern(FEZ, None, None, None)
    )
    assert _no_blank(external.quads_for_pattern(None, None, FEZ, None)) == _no_blank(
        store.quads_for_pattern(None, None, FEZ, None)
    )
    graph = ox.NamedNode(KG + "graph/source/s001")
    assert set(external.quads_for_pattern(None, None, None, graph)) == set(
        store.quads_for_pattern(None, None, None, graph)
    )
    assert sorted(g.value for g in external.named_graphs()) == sorted(g.value for g in store.named_graphs())
    assert len(external) == len(store)


def _list_members(
    store: ox.Store | RemoteDataset, head: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
) -> list[str]:
    first = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#first")
    rest = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#rest")
    members = []
    while isinstance(head, ox.BlankNode):
        members += [str(q.object) for q in store.quads_for_pattern(head, first, None, None)]
        head = next(iter(q.object for q in store.quads_for_pattern(head, rest, None, None)), None)  # type: ignore[assignment]
    return members


def test_blank_nodes_a_subject_leads_to_can_be_followed(external: RemoteDataset, store: ox.Store) -> None:
    # owl:unionOf lists in the ontology: a page walks them from the term it shows
    with_union = {q.subject for q in store.quads_for_pattern(None, UNION_OF, None, None)}
    owners = {
        q.subject
        for q in store.quads_for_pattern(None, None, None, None)
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.BlankNode) and q.object in with_union
    }
    assert owners, "the ontology has unionOf lists under named terms"
    for owner in sorted(owners, key=str):
        theirs = [q for q in external.quads_for_pattern(owner, None, None, None) if isinstance(q.object, ox.BlankNode)]
        ours = [q for q in store.quads_for_pattern(owner, None, None, None) if isinstance(q.object, ox.BlankNode)]
        assert len(theirs) == len(ours)
        lists = sorted(
            _list_members(external, u.object)
            for b in theirs
            for u in external.quads_for_pattern(b.object, UNION_OF, None, None)
        )
        expected = sorted(
            _list_members(store, u.object)
            for b in ours
            for u in store.quads_for_pattern(b.object, UNION_OF, None, None)
        )
        assert lists == expected and all(lists)


def test_extend_writes_all_or_nothing(oxigraph_servers: OxigraphServers) -> None:
    remote = external_copy(oxigraph_servers, ox.Store())
    g = ox.NamedNode(KG + "graph/submission/t")
    try:
        remote.extend(
            [
                ox.Quad(FEZ, ox.NamedNode(KG + "def/p"), ox.Literal("x"), g),
                ox.Quad(FEZ, ox.NamedNode(KG + "def/q"), ox.BlankNode(), g),
            ]
        )
        assert len(remote) == 2
        bad = ox.Quad(FEZ, ox.NamedNode(KG + "def/p"), ox.Literal("y"), g)
        # a quoted triple cannot travel in INSERT DATA: the whole batch is refused before anything is sent
        quoted = ox.Quad(FEZ, ox.NamedNode(KG + "def/p"), ox.Triple(FEZ, FEZ, FEZ), g)
        with pytest.raises(Exception, match="quoted triples"):
            remote.extend([bad, quoted])
        assert len(remote) == 2
    finally:
        remote.close()


def test_syntax_errors_are_syntax_errors_with_the_users_position(external: RemoteDataset) -> None:
    with pytest.raises(SyntaxError, match=r"2:"):
        external.query("SELECT * WHERE {\n  ?s ?p }", prefixes={"kg": KG + "def/"}, base_iri=KG)
    with pytest.raises(SyntaxError):
        external.update("INSERT DATA { nonsense")


def test_dump_of_one_graph_and_of_all(external: RemoteDataset, store: ox.Store) -> None:
    graph = ox.NamedNode(KG + "graph/source/s001")
    one = external.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
    assert set(ox.parse(one, ox.RdfFormat.N_TRIPLES)) == {
        ox.Quad(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, graph)
    }
    with pytest.raises(ValueError, match="from_graph"):
        external.dump(format=ox.RdfFormat.TURTLE)
    assert len(list(ox.parse(external.dump(format=ox.RdfFormat.N_QUADS), ox.RdfFormat.N_QUADS))) == len(store)


def test_kg_query_and_export_read_an_external_store(
    external: RemoteDataset, store: ox.Store, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    url = external.client.query_url.rsplit("/", 1)[0]
    assert (
        main(["query", "--store", url, "--format", "csv", "SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:LearningCity }"])
        == 0
    )
    embedded = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?c a <" + KG + "def/LearningCity> } }")
    [row] = list(embedded)  # type: ignore[arg-type]
    assert capsysbinary.readouterr().out.split()[-1].decode() == row["n"].value
    assert main(["export", "--store", url, "--format", "nquads"]) == 0
    assert len(list(ox.parse(capsysbinary.readouterr().out, ox.RdfFormat.N_QUADS))) == len(store)


@pytest.mark.slow
def test_kg_serve_over_an_external_store(oxigraph_servers: OxigraphServers, tmp_path: Path) -> None:
    """The two commands of the README, with an external store: `kg load --store URL`, `kg serve --store URL`."""
    url = oxigraph_servers.start()
    assert main(["load", "--store", url]) == 0
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    env = {**os.environ, "KG_PROJECT_ROOT": str(ROOT), "KG_STORE_PATH": str(tmp_path / "unused")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--store", url, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(
            f"{api}/sparql", proc, seconds=60, params={"query": "ASK {}"}, detail=(tmp_path / "server.log").read_text
        )
        page = httpx.get(f"{api}/id/city/fez", headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 200 and "فاس" in page.text
        answer = httpx.get(f"{api}/sparql", params={"query": "ASK { <id/city/fez> rdfs:label 'Fez'@en }"}, timeout=30)
        assert answer.json() == {"head": {}, "boolean": True}
        assert not (tmp_path / "unused").exists()  # it never opened an embedded store
        with RemoteStore(url, retry=FAST) as direct:  # and the data it served is the store's
            assert direct.count() > 5000
    finally:
        interrupt(proc)
        log.close()
