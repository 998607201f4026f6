"""QuickStatements (v1) export of the statements Wikidata could take from us, and what it cannot take yet.

A statement is written only when its item and, for an item value, its value have a verified Wikidata id
(owl:sameAs in the graph) and a reference gives the source article's URL; each line carries that reference
URL (S854) and the retrieval date (S813). Everything else is reported: entities without an id as a
Mix'n'match-style CSV (so they can be matched first), statements left out with the reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox

from kg.iris import DEFAULT_BASE
from kg.querying import prefixes
from kg.stores import Store
from kg.wikidata import qid_of
from kg.wikidata.view import load_query, view_triples

WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
XSD = "http://www.w3.org/2001/XMLSchema#"
PRECISIONS = {9: "year", 10: "month", 11: "day"}
_POINT = re.compile(r"Point\(\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s*\)")
_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T")


@dataclass(frozen=True)
class Skipped:
    statement: str  # e.g. "Q7903 P463 <…/id/network/gnlc>"
    reason: str


@dataclass(frozen=True)
class Unmatched:
    """An entity without a verified Wikidata id: one Mix'n'match row."""

    iri: str
    name: str
    description: str
    classes: str
    blocks: tuple[str, ...]  # the statements waiting for its id


@dataclass(frozen=True)
class Export:
    lines: list[str]
    unmatched: list[Unmatched]
    skipped: list[Skipped] = field(default_factory=list)


def qs_time(lexical: str, precision: int) -> str:
    """A Wikidata time in QuickStatements syntax, units below the precision zeroed as Wikibase stores them.

    >>> qs_time("2024-02-14T00:00:00Z", 11)
    '+2024-02-14T00:00:00Z/11'
    >>> qs_time("2015-09-01T00:00:00Z", 10)
    '+2015-09-00T00:00:00Z/10'
    >>> qs_time("2024-01-01T00:00:00Z", 9)
    '+2024-00-00T00:00:00Z/9'
    """
    m = _TIME.match(lexical)
    if m is None or precision not in PRECISIONS:
        raise ValueError(f"not a day/month/year time: {lexical!r} /{precision}")
    year, month, day = m.groups()
    if precision < 11:
        day = "00"
    if precision < 10:
        month = "00"
    return f"+{year}-{month}-{day}T00:00:00Z/{precision}"


def qs_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, precision: int | None) -> str | None:
    """A main or qualifier value in QuickStatements syntax; None when it has no Wikidata form (no Q-id).

    >>> qs_value(ox.NamedNode("http://www.wikidata.org/entity/Q1028"), None)
    'Q1028'
    >>> qs_value(ox.Literal("Point(-5 34.033)", datatype=ox.NamedNode(WKT)), None)
    '@34.033/-5'
    """
    if isinstance(term, ox.NamedNode):
        return qid_of(term.value)
    if not isinstance(term, ox.Literal):
        return None
    datatype = term.datatype.value
    if datatype == WKT:
        m = _POINT.fullmatch(term.value.strip())
        return f"@{m.group(2)}/{m.group(1)}" if m else None
    if datatype == XSD + "dateTime":
        return qs_time(term.value, precision if precision is not None else 11)
    if datatype in (XSD + "decimal", XSD + "integer"):
        return term.value
    return '"' + term.value.replace('"', "'") + '"'


def quickstatements(store: Store, *, base: str = DEFAULT_BASE, retrieved: date | None = None) -> Export:
    """The export of the store's Wikidata-shaped view (computed afresh; nothing is written)."""
    retrieved_on = qs_time((retrieved or date.today()).isoformat() + "T", 11)
    view = ox.Store()
    view.extend(ox.Quad(t.subject, t.predicate, t.object) for t in view_triples(store, base))
    rows = view.query(load_query("wikidata-export-statements"), prefixes=prefixes(base))
    assert isinstance(rows, ox.QuerySolutions)
    statements: dict[str, _Statement] = {}
    for row in rows:
        key = str(row["statement"])
        st = statements.get(key)
        if st is None:
            st = statements[key] = _Statement(
                row["subject"], str(row["pid"].value), row["value"], _int(row["precision"])
            )
        if row["qualifier"] is not None:
            st.qualifiers[str(row["qualifier"].value)] = (row["qualifierValue"], _int(row["qualifierPrecision"]))
        if row["url"] is not None:
            st.urls.add(row["url"].value)
    lines: list[str] = []
    skipped: list[Skipped] = []
    blocked: dict[str, list[str]] = {}
    for st in statements.values():
        line, reason, missing = st.render()
        if reason:
            skipped.append(Skipped(st.label(), reason))
            for iri in missing:
                blocked.setdefault(iri, []).append(st.label())
            continue
        for url in sorted(st.urls):
            lines.append(f'{line}\tS854\t"{url}"\tS813\t{retrieved_on}')
    return Export(sorted(set(lines)), _unmatched(store, base, blocked), skipped)


@dataclass
class _Statement:
    subject: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
    pid: str
    value: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
    precision: int | None
    qualifiers: dict[str, tuple[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, int | None]] = field(
        default_factory=dict
    )
    urls: set[str] = field(default_factory=set)

    def label(self) -> str:
        return f"{_short(self.subject)} {self.pid} {_short(self.value)}"

    def render(self) -> tuple[str, str, list[str]]:
        """(the line without its reference, the reason it cannot be exported or "", IRIs lacking a Q-id)."""
        missing = [
            t.value for t in (self.subject, self.value) if isinstance(t, ox.NamedNode) and qid_of(t.value) is None
        ]
        subject = qs_value(self.subject, None) if isinstance(self.subject, ox.NamedNode) else None
        value = qs_value(self.value, self.precision)
        if subject is None:
            return "", "the item has no verified Wikidata id", missing
        if value is None:
            return "", "the value has no verified Wikidata id", missing
        parts = [subject, self.pid, value]
        for pid, (term, precision) in sorted(self.qualifiers.items()):
            qualifier = qs_value(term, precision)
            if qualifier is None:
                return "", f"the {pid} qualifier has no Wikidata form", missing
            parts += [pid, qualifier]
        if not self.urls:
            return "", "no reference gives the source article's URL", missing
        return "\t".join(parts), "", missing


def _short(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """A Q-id, our IRI from its kind on (city/benguerir), or a literal's text."""
    if isinstance(term, ox.NamedNode):
        return qid_of(term.value) or term.value.split("/id/", 1)[-1]
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _int(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> int | None:
    return int(term.value) if isinstance(term, ox.Literal) else None


def _unmatched(store: Store, base: str, blocked: dict[str, list[str]]) -> list[Unmatched]:
    rows = store.query(load_query("wikidata-export-entities"), prefixes=prefixes(base), use_default_graph_as_union=True)
    assert isinstance(rows, ox.QuerySolutions)
    found = {}
    for row in rows:
        iri = row["entity"].value
        if iri in blocked:
            found[iri] = Unmatched(
                iri=iri,
                name=str(row["name"].value),
                description=str(row["description"].value) if row["description"] is not None else "",
                classes=str(row["classes"].value) if row["classes"] is not None else "",
                blocks=tuple(sorted(set(blocked[iri]))),
            )
    for iri in blocked.keys() - found.keys():  # no English label: still listed, by its IRI
        found[iri] = Unmatched(iri, iri.rsplit("/", 1)[-1], "", "", tuple(sorted(set(blocked[iri]))))
    return [found[iri] for iri in sorted(found)]


MIXNMATCH_COLUMNS = ("id", "name", "desc", "url", "kg_class", "blocks")


def unmatched_csv(entries: Iterable[Unmatched]) -> str:
    """Mix'n'match-style CSV (id, name, desc, url; then our class and the statements waiting for a match)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MIXNMATCH_COLUMNS)
    for e in entries:
        local = e.iri.split("/id/", 1)[-1]
        writer.writerow([local, e.name, e.description[:250], e.iri, e.classes, " | ".join(e.blocks)])
    return out.getvalue()
