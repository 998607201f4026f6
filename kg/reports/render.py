"""A report as a JSON summary (schema in docs/readme-validation.md) and as terminal text grouped by focus node."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

import rdflib
from rdflib import BNode, URIRef
from rdflib.paths import Path
from rdflib.term import Node

from kg.reports.messages import SEVERITY_NAMES, hint, message
from kg.reports.model import SEVERITIES, Report, Result, display

_MARKS = {"Violation": "✗", "Warning": "!", "Info": "i"}

_HEADINGS = {
    "en": ("Conforms", "Does not conform", "focus node", "focus nodes", "hint", "shape"),
    "fr": ("Conforme", "Non conforme", "nœud", "nœuds", "conseil", "forme"),
    "ar": ("مطابق", "غير مطابق", "عقدة", "عقد", "تلميح", "الشكل"),
}


def summary(report: Report, language: str = "en") -> dict[str, Any]:
    """The JSON summary: conformance, counts by severity, one entry per result."""
    return {
        "conforms": report.conforms,
        "counts": {s: report.count(s) for s in SEVERITIES},
        "language": language,
        "notes": list(report.notes),
        "results": [_entry(report, r, language) for r in report.results],
    }


def _entry(report: Report, r: Result, language: str) -> dict[str, Any]:
    return {
        "focusNode": _plain(r.focus),
        "focusLabel": report.labels.get(r.focus),
        "path": _plain(r.path),
        "value": _term(r.value),
        "severity": r.severity,
        "message": message(r, language, report.graph),
        "hint": hint(r, language, report.graph),
        "sourceShape": _plain(r.shape),
        "sourceConstraintComponent": str(r.component),
    }


def _plain(term: Node | Path | None) -> str | None:
    if term is None:
        return None
    if isinstance(term, Path):
        return str(term.n3())
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _term(term: Node | None) -> dict[str, str] | None:
    """A term as in SPARQL JSON results."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, rdflib.Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def text(report: Report, language: str = "en") -> str:
    """The report for a terminal: a summary line, then the results of each focus node together."""
    return "\n".join(_lines(report, language)) + "\n"


def _lines(report: Report, language: str) -> Iterator[str]:
    ok, not_ok, node, nodes, hint_word, shape_word = _HEADINGS.get(language, _HEADINGS["en"])
    names = SEVERITY_NAMES.get(language, SEVERITY_NAMES["en"])
    focus_count = len({r.focus for r in report.results})
    counts = ", ".join(f"{report.count(s)} {names[s]}" for s in SEVERITIES)
    where = f" ({focus_count} {node if focus_count == 1 else nodes})" if focus_count else ""
    yield f"{ok if report.conforms else not_ok}: {counts}{where}"
    for note in report.notes:
        yield f"  note: {note}"
    g = report.graph
    for focus, group in groupby(report.results, key=lambda r: r.focus):
        label = report.labels.get(focus)
        yield ""
        yield display(focus, g) + (f"  ({label})" if label else "")
        for r in group:
            about = " ".join(x for x in (display(r.path, g), display(r.value, g) and f"= {display(r.value, g)}") if x)
            yield f"  {_MARKS[r.severity]} {names[r.severity]}: {about}".rstrip()
            yield f"      {message(r, language, g)}"
            yield f"      {hint_word}: {hint(r, language, g)}"
            component = f" ({display(r.component, g)})" if r.component != r.shape else ""
            yield f"      {shape_word}: {display(r.shape, g)}{component}"
