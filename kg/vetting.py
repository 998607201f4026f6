"""Validating submitted data: the shapes over the submission alone, plus checks against the stored graph.

The stored graph is never validated as a whole. Only the submission goes through pySHACL (kg/shacl.py), with
the ontology's class hierarchy (rdfs:subClassOf, so sh:targetClass and sh:class honour subclasses), the types
of the ontology's individuals the submission points at (the SKOS focus areas, roles and units that sh:class
expects), and, when a store is given, a small set of stored facts about the entities the submission names
(their types, labels, a network's launch year, a city's country; kg/queries/validate-context.rq). Those
facts let the rules that span entities work — a membership of the stored GNLC that starts before the
network's launch year, a kg:country that points at a stored country — and results about the stored entities
themselves are dropped: a report speaks only of the nodes the submission describes. Existence of referenced
entities and probable duplicates are SPARQL queries over the store (kg/checks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import RDF, RDFS
from rdflib.term import Node

from kg import checks
from kg.checks import Vocabulary
from kg.reports import Report, Result, build_report, read_results
from kg.shacl import load_ontology, load_shapes, validate
from kg.stores import Store

# results our checks replace: the shapes report a missing or mistyped reference as a class mismatch
_REPLACED_BY_CHECKS = {"StoreCheck-unknownReference", "StoreCheck-wrongType"}


@dataclass(frozen=True)
class Rules:
    shapes: rdflib.Graph
    ontology: rdflib.Graph
    hierarchy: rdflib.Graph  # the ontology's rdfs:subClassOf axioms, all that validation needs of its classes
    vocabulary: Vocabulary


def load_rules(root: Path, base: str) -> Rules:
    """The shapes and the ontology of the project at `root`, loaded once and reused for every validation.

    Raises:
        FileNotFoundError: `root` has no shapes/ or ontology/ files.
    """
    ontology = load_ontology(root)
    hierarchy = rdflib.Graph()
    for triple in ontology.triples((None, RDFS.subClassOf, None)):
        hierarchy.add(triple)
    return Rules(load_shapes(root), ontology, hierarchy, checks.vocabulary(ontology, base))


def vet(data: rdflib.Graph, rules: Rules, *, store: Store | None, notes: tuple[str, ...] = ()) -> Report:
    """Validate `data` with the shapes and, when `store` is given, against the stored graph."""
    vocab = rules.vocabulary
    context = checks.stored_context(store, data, vocab) if store is not None else rdflib.Graph()
    # the whole ontology would make pySHACL check every ontology term on every request (labels, concepts);
    # the hierarchy and the types of what the data points at give the same answers about the data
    for o in set(data.objects()) - set(data.subjects()):
        for t in rules.ontology.objects(o, RDF.type):
            context.add((o, RDF.type, t))
    outcome = validate(data + context if len(context) else data, shapes=rules.shapes, ontology=rules.hierarchy)
    extra: list[Result] = []
    if store is not None:
        extra += checks.reference_results(data, context, vocab)
        extra += checks.duplicate_results(store, data, context, vocab)
    no_city = checks.no_city_result(data, context, vocab)
    if no_city is not None:
        extra.append(no_city)
    replaced = {(r.focus, r.value) for r in extra if str(r.component).rsplit("/", 1)[-1] in _REPLACED_BY_CHECKS}
    subjects = set(data.subjects())
    kept = [
        (node, r)
        for node, r in read_results(outcome.report, rules.shapes)
        if r.focus in subjects and (r.focus, r.value) not in replaced
    ]
    focus_nodes = {r.focus for _, r in kept} | {r.focus for r in extra}
    return build_report(
        outcome.report,
        kept,
        extra,
        prefixes=checks.report_prefixes(vocab.base),
        notes=notes,
        labels=_labels(data, context, focus_nodes),
    )


def _labels(data: rdflib.Graph, context: rdflib.Graph, nodes: set[Node]) -> dict[Node, str]:
    """Each node's English label (else any label), for readers of the report."""
    out = {}
    for node in nodes:
        labels = [x for g in (data, context) for x in g.objects(node, RDFS.label) if isinstance(x, rdflib.Literal)]
        if labels:
            english = [x for x in labels if x.language == "en"]
            out[node] = str(min(english or labels, key=str))
    return out
