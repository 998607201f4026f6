"""Submissions: validated data stored in a named graph of its own, with PROV provenance and its report.

A submission with id ID fills two graphs, written by ONE SPARQL update (a single transaction on either kind
of store), so a crash leaves all of it or none of it:

- `<base>graph/submission/ID`: the submitted triples, whatever graphs the input named, plus the provenance
  of the graph itself (prov:wasAttributedTo, prov:generatedAtTime, dcterms:format, kg:sha256, void:triples);
- `<base>graph/submission/ID/report`: the SHACL validation report it passed (warnings allowed).

The update inserts nothing when the submission is already stored, so it may be sent twice: an external
store's client repeats a write whose answer was lost (kg/remote.py), and repeating a plain INSERT DATA would
store every blank node (the submitter, the report's results) a second time.

Nothing is ever written to another graph, so a submission cannot change the curated ones. Withdrawing drops
both graphs in one SPARQL update, which is also a single transaction, and also safe to repeat.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox
import rdflib

from kg.checks import report_prefixes
from kg.errors import BadRequestError, NotFoundError
from kg.parsing import ParsedData, term_to_ox, term_to_rdflib
from kg.querying import prefixes
from kg.reports import Report, build_report, read_results
from kg.stores import Store

_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")
_XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

_LIST = """
SELECT ?g ?id ?created ?format ?sha256 ?submitter ?triples
WHERE {
    VALUES ?prefix { }
    VALUES ?g { }
    GRAPH ?g {
        ?g a prov:Entity ;
            dcterms:identifier ?id ;
            prov:generatedAtTime ?created ;
            dcterms:format ?format ;
            kg:sha256 ?sha256 ;
            void:triples ?triples ;
            prov:wasAttributedTo [ rdfs:label ?submitter ] .
    }
    FILTER (STRSTARTS(STR(?g), STR(?prefix)))
}
ORDER BY DESC(?created) ?id
"""


@dataclass(frozen=True)
class Submission:
    id: str
    graph: str
    submitter: str
    created: str  # xsd:dateTime, UTC
    format: str  # the media type the data was sent as
    sha256: str  # of the bytes as received
    triples: int  # submitted triples stored (provenance not counted)

    def as_json(self) -> dict[str, str | int]:
        return {
            "id": self.id,
            "graph": self.graph,
            "submitter": self.submitter,
            "created": self.created,
            "format": self.format,
            "sha256": self.sha256,
            "triples": self.triples,
        }


def graph_of(base: str, submission_id: str) -> str:
    """The named graph of a submission.

    >>> graph_of("https://w3id.org/learning-cities/", "20250101T000000Z-0123abcd")
    'https://w3id.org/learning-cities/graph/submission/20250101T000000Z-0123abcd'

    Raises:
        NotFoundError: the id is not one this module makes.
    """
    if not _ID.match(submission_id):
        raise NotFoundError(f"{submission_id!r} is not a submission id (they look like 20250101T120000Z-0123abcd)")
    return f"{base}graph/submission/{submission_id}"


def new_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(4)


def store_submission(
    store: Store,
    parsed: ParsedData,
    report: Report,
    *,
    submitter: str,
    base: str,
    now: datetime | None = None,
) -> Submission:
    """Store data that passed validation, its provenance and its report, all in one transaction.

    Raises:
        BadRequestError: the report holds a violation, so the data may not be stored.
    """
    if not report.conforms:
        raise BadRequestError("data with violations is not stored; validate it at /validate and fix it first")
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    submission_id = new_id(now)
    graph = graph_of(base, submission_id)
    submission = Submission(
        id=submission_id,
        graph=graph,
        submitter=submitter,
        created=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        format=parsed.format.media_type,
        sha256=parsed.sha256,
        triples=len(set(parsed.triples)),
    )
    store.update(insert_once(submission_quads(parsed.triples, report, submission, base), ox.NamedNode(graph)))
    return submission


def insert_once(quads: Iterable[ox.Quad], graph: ox.NamedNode) -> str:
    """An update that inserts `quads` unless `graph` already describes itself as a prov:Entity.

    >>> g = ox.NamedNode("http://ex/g")
    >>> quads = [ox.Quad(g, RDF_TYPE, ox.NamedNode(PROV + "Entity"), g), ox.Quad(ox.BlankNode(), RDFS_LABEL, g, g)]
    >>> store = ox.Store()
    >>> for _ in range(2):
    ...     store.update(insert_once(quads, g))
    >>> len(store)
    2
    """
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
    blocks = "".join(f"GRAPH {g} {{\n{chr(10).join(lines)}\n}}\n" for g, lines in by_graph.items())
    # N-Triples terms, as pyoxigraph writes them, are SPARQL terms: request data is never pasted in raw
    marker = f"GRAPH {graph} {{ {graph} {RDF_TYPE} <{PROV}Entity> }}"
    return f"INSERT {{\n{blocks}}}\nWHERE {{ FILTER NOT EXISTS {{ {marker} }} }}"


def submission_quads(
    triples: Iterable[ox.Triple], report: Report, submission: Submission, base: str
) -> Iterator[ox.Quad]:
    """Every quad a submission adds: its triples and provenance in its graph, its report beside it."""
    g = ox.NamedNode(submission.graph)
    for t in triples:
        yield ox.Quad(t.subject, t.predicate, t.object, g)
    agent = ox.BlankNode()
    facts: list[tuple[ox.NamedNode | ox.BlankNode, str, ox.NamedNode | ox.BlankNode | ox.Literal]] = [
        (g, "rdf:type", ox.NamedNode(PROV + "Entity")),
        (g, "dcterms:identifier", ox.Literal(submission.id)),
        (g, "prov:wasAttributedTo", agent),
        (agent, "rdf:type", ox.NamedNode(PROV + "Agent")),
        (agent, "rdfs:label", ox.Literal(submission.submitter)),
        (g, "prov:generatedAtTime", ox.Literal(submission.created, datatype=ox.NamedNode(_XSD + "dateTime"))),
        (g, "dcterms:format", ox.Literal(submission.format)),
        (g, "kg:sha256", ox.Literal(submission.sha256)),
        (g, "void:triples", ox.Literal(str(submission.triples), datatype=ox.NamedNode(_XSD + "integer"))),
    ]
    names = {**prefixes(base), "void": VOID}
    for subject, name, value in facts:
        prefix, _, local = name.partition(":")
        yield ox.Quad(subject, ox.NamedNode(names[prefix] + local), value, g)
    report_graph = ox.NamedNode(submission.graph + "/report")
    for rs, rp, ro in report.graph:
        subject_term, predicate_term = term_to_ox(rs), term_to_ox(rp)
        assert not isinstance(subject_term, ox.Literal) and isinstance(predicate_term, ox.NamedNode)
        yield ox.Quad(subject_term, predicate_term, term_to_ox(ro), report_graph)


def list_submissions(store: Store, base: str) -> list[Submission]:
    """Every stored submission, newest first."""
    return _select(store, base, None)


def get_submission(store: Store, base: str, submission_id: str) -> Submission:
    """
    Raises:
        NotFoundError: no such submission (never made, or withdrawn).
    """
    found = _select(store, base, ox.NamedNode(graph_of(base, submission_id)))
    if not found:
        raise NotFoundError(f"there is no submission {submission_id} (it may have been withdrawn)")
    return found[0]


def stored_report(store: Store, submission: Submission, shapes: rdflib.Graph, *, base: str) -> Report:
    """The report a submission passed, as stored beside it."""
    graph = rdflib.Graph()
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(submission.graph + "/report")):
        graph.add((term_to_rdflib(q.subject), term_to_rdflib(q.predicate), term_to_rdflib(q.object)))
    found = read_results(graph, shapes)
    labels = {}
    data = ox.NamedNode(submission.graph)
    for node in {r.focus for _, r in found}:
        names = [q.object for q in store.quads_for_pattern(term_to_ox(node), RDFS_LABEL, None, data)]  # type: ignore[arg-type]
        texts = [n for n in names if isinstance(n, ox.Literal)]
        if texts:
            english = [n for n in texts if n.language == "en"]
            labels[node] = min(n.value for n in english or texts)
    return build_report(graph, found, (), prefixes=report_prefixes(base), labels=labels)


def withdraw(store: Store, base: str, submission_id: str) -> Submission:
    """Remove a submission's data, provenance and report in one transaction.

    Raises:
        NotFoundError: no such submission.
    """
    submission = get_submission(store, base, submission_id)
    g = ox.NamedNode(submission.graph)
    report = ox.NamedNode(submission.graph + "/report")
    store.update(f"DROP SILENT GRAPH {g} ; DROP SILENT GRAPH {report}")
    return submission


def _select(store: Store, base: str, graph: ox.NamedNode | None) -> list[Submission]:
    # the terms are written by pyoxigraph, which escapes them: nothing from a request is pasted in raw
    query = _LIST.replace("VALUES ?prefix { }", f"VALUES ?prefix {{ {ox.Literal(f'{base}graph/submission/')} }}")
    query = query.replace("VALUES ?g { }", f"VALUES ?g {{ {graph} }}" if graph is not None else "")
    rows = store.query(query, prefixes={**prefixes(base), "void": VOID}, use_default_graph_as_union=False)
    assert isinstance(rows, ox.QuerySolutions)
    out = []
    for row in rows:
        g = graph if graph is not None else row["g"]
        out.append(
            Submission(
                id=str(row["id"].value),
                graph=str(g.value),
                submitter=str(row["submitter"].value),
                created=str(row["created"].value),
                format=str(row["format"].value),
                sha256=str(row["sha256"].value),
                triples=int(row["triples"].value),
            )
        )
    return out
