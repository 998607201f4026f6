"""Validation results as dataclasses, read from a SHACL report graph and written back into one.

A report conforms when it holds no Violation: warnings and infos are advice, and do not stop a submission.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import rdflib
from rdflib import RDF, BNode, URIRef
from rdflib.namespace import SH
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath
from rdflib.term import Node

from kg.iris import DEFAULT_BASE

Severity = Literal["Violation", "Warning", "Info"]
SEVERITIES: tuple[Severity, ...] = ("Violation", "Warning", "Info")
ResultPath = URIRef | Path

# our checks' hint parameters (the stored IRI a duplicate matches…), kept in the report graph so a stored report
# gives the same hints when it is read again
HINT_PARAMETER = URIRef(DEFAULT_BASE + "shapes/hintParameter")

_PLACEHOLDER = re.compile(r"\{[?$](\w+)\}")


@dataclass(frozen=True)
class Result:
    focus: Node
    path: ResultPath | None
    value: Node | None
    severity: Severity
    component: URIRef  # sh:…ConstraintComponent, or a kgsh:store-check/… IRI for our own checks
    shape: Node | None  # the source shape
    messages: tuple[tuple[str, str], ...]  # (language, text), most specific first; "" for untagged
    params: tuple[tuple[str, str], ...] = ()  # the shape's parameters (minCount, datatype…), for hints


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]
    graph: rdflib.Graph = field(compare=False)  # the SHACL report: sh:ValidationReport with every result
    notes: tuple[str, ...] = ()  # what was or was not checked, for whoever reads the report
    labels: Mapping[Node, str] = field(default_factory=dict, compare=False)  # focus node -> its English label

    @property
    def conforms(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    def count(self, severity: Severity) -> int:
        return sum(1 for r in self.results if r.severity == severity)


@dataclass(frozen=True)
class _Found:
    node: Node
    result: Result


_PARAMS = (
    "minCount",
    "maxCount",
    "datatype",
    "class",
    "pattern",
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
    "minLength",
    "maxLength",
    "nodeKind",
    "hasValue",
    "qualifiedMinCount",
    "qualifiedMaxCount",
)


def read_results(report: rdflib.Graph, shapes: rdflib.Graph) -> list[tuple[Node, Result]]:
    """Each sh:ValidationResult of a pySHACL report with the node it was read from, in a stable order."""
    found = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(node, SH.focusNode)
        if focus is None:
            continue
        shape = report.value(node, SH.sourceShape)
        value = report.value(node, SH.value)
        path_node = report.value(node, SH.resultPath)
        result = Result(
            focus=focus,
            path=_path(report, path_node) if path_node is not None else None,
            value=value,
            severity=_severity(report.value(node, SH.resultSeverity)),
            component=URIRef(str(report.value(node, SH.sourceConstraintComponent) or SH.ConstraintComponent)),
            shape=shape,
            messages=_messages(report, node, shapes, shape, focus, value, path_node),
            params=_params(shapes, shape) + _stored_params(report, node),
        )
        found.append((node, result))
    found.sort(key=lambda f: sort_key(f[1]))
    return found


def sort_key(r: Result) -> tuple[str, int, str, str, str]:
    return (str(r.focus), SEVERITIES.index(r.severity), _text(r.path), str(r.shape or ""), str(r.value or ""))


def build_report(
    source: rdflib.Graph,
    kept: Iterable[tuple[Node, Result]],
    extra: Iterable[Result],
    *,
    prefixes: Mapping[str, str],
    notes: Iterable[str] = (),
    labels: Mapping[Node, str] | None = None,
) -> Report:
    """A report of the kept pySHACL results (copied from `source` with their sub-nodes) and our own results."""
    graph = rdflib.Graph(bind_namespaces="core")
    for prefix, ns in prefixes.items():
        graph.bind(prefix, ns, override=True, replace=True)
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    results: list[Result] = []
    for node, result in kept:
        copy = BNode()
        _copy_description(source, node, graph, copy)
        graph.add((report, SH.result, copy))
        results.append(result)
    for result in extra:
        graph.add((report, SH.result, write_result(graph, result)))
        results.append(result)
    results.sort(key=sort_key)
    final = Report(tuple(results), graph, tuple(notes), dict(labels or {}))
    graph.add((report, SH.conforms, rdflib.Literal(final.conforms)))
    return final


def write_result(graph: rdflib.Graph, result: Result) -> Node:
    node = BNode()
    graph.add((node, RDF.type, SH.ValidationResult))
    graph.add((node, SH.focusNode, result.focus))
    if isinstance(result.path, URIRef):
        graph.add((node, SH.resultPath, result.path))
    if result.value is not None:
        graph.add((node, SH.value, result.value))
    graph.add((node, SH.resultSeverity, SH[result.severity]))
    graph.add((node, SH.sourceConstraintComponent, result.component))
    if result.shape is not None:
        graph.add((node, SH.sourceShape, result.shape))
    for language, text in result.messages:
        graph.add((node, SH.resultMessage, rdflib.Literal(text, lang=language or None)))
    for name, value in result.params:
        graph.add((node, HINT_PARAMETER, rdflib.Literal(f"{name}={value}")))
    return node


def display(term: Node | Path | None, graph: rdflib.Graph | None = None) -> str:
    """A term as Turtle writes it, with the graph's prefixes.

    >>> display(URIRef("http://www.w3.org/2000/01/rdf-schema#label"), rdflib.Graph())
    'rdfs:label'
    """
    if term is None:
        return ""
    manager = graph.namespace_manager if graph is not None else None
    if isinstance(term, rdflib.Literal | URIRef | Path):
        return str(term.n3(manager))
    return f"_:{term}"


def _text(term: Node | Path | None) -> str:
    return "" if term is None else str(term.n3() if isinstance(term, Path) else term)


def _severity(node: Node | None) -> Severity:
    name = str(node).rsplit("#", 1)[-1] if node is not None else "Violation"
    for severity in SEVERITIES:
        if name == severity:
            return severity
    return "Violation"


def _messages(
    report: rdflib.Graph,
    node: Node,
    shapes: rdflib.Graph,
    shape: Node | None,
    focus: Node,
    value: Node | None,
    path: Node | None,
) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    # pySHACL drops the language of SPARQL-based messages when it fills their placeholders, so those are
    # rebuilt from the constraint's own tagged sh:message
    constraint = report.value(node, SH.sourceConstraint)
    bindings = {"this": focus, "value": value, "path": path}
    if constraint is not None:
        for m in report.objects(constraint, SH.message):
            if isinstance(m, rdflib.Literal) and m.language:
                out.append((m.language, _fill(str(m), bindings, report)))
    tagged = [m for m in report.objects(node, SH.resultMessage) if isinstance(m, rdflib.Literal) and m.language]
    out.extend((str(m.language), str(m)) for m in tagged)
    if shape is not None:
        for m in shapes.objects(shape, SH.message):
            if isinstance(m, rdflib.Literal) and m.language:
                out.append((m.language, _fill(str(m), bindings, report)))
    if not out:
        out.extend(("", str(m)) for m in report.objects(node, SH.resultMessage))
    return tuple(dict.fromkeys(out))


def _fill(template: str, bindings: dict[str, Node | None], graph: rdflib.Graph) -> str:
    def one(match: re.Match[str]) -> str:
        term = bindings.get(match.group(1))
        if term is None:
            return match.group(0)
        return str(term) if isinstance(term, rdflib.Literal) else display(term, graph)

    return _PLACEHOLDER.sub(one, template)


def _params(shapes: rdflib.Graph, shape: Node | None) -> tuple[tuple[str, str], ...]:
    if shape is None:
        return ()
    out = []
    for name in _PARAMS:
        v = shapes.value(shape, SH[name])
        if v is not None:
            out.append((name, str(v) if isinstance(v, rdflib.Literal) else v.n3()))
    languages = shapes.value(shape, SH.languageIn)
    if languages is not None:
        out.append(("languageIn", ", ".join(str(x) for x in rdflib.collection.Collection(shapes, languages))))
    return tuple(out)


def _stored_params(report: rdflib.Graph, node: Node) -> tuple[tuple[str, str], ...]:
    pairs = (str(v).partition("=") for v in report.objects(node, HINT_PARAMETER))
    return tuple(sorted((name, value) for name, _, value in pairs))


def _path(graph: rdflib.Graph, node: Node) -> ResultPath:
    """A SHACL path node as an rdflib path (which renders as SPARQL path syntax)."""
    if isinstance(node, URIRef):
        return node
    if (inverse := graph.value(node, SH.inversePath)) is not None:
        return InvPath(_path(graph, inverse))
    if (alternatives := graph.value(node, SH.alternativePath)) is not None:
        return AlternativePath(*(_path(graph, p) for p in rdflib.collection.Collection(graph, alternatives)))
    modifiers: tuple[tuple[URIRef, Literal["*", "+", "?"]], ...] = (
        (SH.zeroOrMorePath, "*"),
        (SH.oneOrMorePath, "+"),
        (SH.zeroOrOnePath, "?"),
    )
    for predicate, mod in modifiers:
        if (inner := graph.value(node, predicate)) is not None:
            return MulPath(_path(graph, inner), mod)
    if graph.value(node, RDF.first) is not None:
        return SequencePath(*(_path(graph, p) for p in rdflib.collection.Collection(graph, node)))
    raise ValueError(f"not a SHACL path: {node!r}")


def _copy_description(source: rdflib.Graph, node: Node, target: rdflib.Graph, as_node: Node) -> None:
    """Copy `node`'s triples, and those of the blank nodes it reaches, renaming the blank nodes."""
    names: dict[Node, Node] = {node: as_node}
    for s, p, o in _closure(source, node):
        if isinstance(o, BNode):
            o = names.setdefault(o, BNode())
        target.add((names.setdefault(s, BNode()), p, o))


def _closure(graph: rdflib.Graph, node: Node) -> Iterator[tuple[Node, Node, Node]]:
    seen = {node}
    todo = [node]
    while todo:
        current = todo.pop()
        for _, p, o in graph.triples((current, None, None)):
            yield current, p, o
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                todo.append(o)
