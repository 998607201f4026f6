"""Enrichment from Wikidata files, offline: what Wikidata says about our linked entities, in a graph of its own.

Two inputs are read: an entity JSON file as Special:EntityData/Q….json serves it, and a SPARQL JSON results
file from the Wikidata Query Service whose `?item` column holds entity IRIs and whose other columns are named
after what they hold (see WDQS_COLUMNS). For every entity linked to ours by owl:sameAs we keep its
coordinates (P625), population (P1082) with its point in time (P585), official website (P856) and labels in
en/fr/ar, in `graph/wikidata/import/<name>`, never in a curated graph: a value that differs from ours sits
beside it, and the import report lists each such difference.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import DataSyntaxError
from kg.iris import DEFAULT_BASE, graph_iri
from kg.stores import Store
from kg.wikidata import DIRECT, ENTITY, PROP, QUALIFIER, STATEMENT, WIKIBASE, qid_of

LANGUAGES = ("en", "fr", "ar")
WDQS_COLUMNS = {
    "item": ("item",),
    "coordinates": ("coord", "coords", "coordinates", "location"),
    "population": ("population",),
    "point_in_time": ("pointInTime", "populationDate", "popDate", "date"),
    "website": ("website", "officialWebsite"),
    "label": ("label", "itemLabel"),
}
PRECISION_DAY = 11

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_ALT = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
XSD = "http://www.w3.org/2001/XMLSchema#"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
FOAF_HOMEPAGE = ox.NamedNode("http://xmlns.com/foaf/0.1/homepage")
PROV = "http://www.w3.org/ns/prov#"
WKT = ox.NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")
_POINT = re.compile(r"\s*Point\(\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s*\)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Population:
    amount: Decimal
    time: str | None  # "2014-09-01T00:00:00Z"
    precision: int | None


@dataclass
class EntityFacts:
    qid: str
    labels: dict[str, str] = field(default_factory=dict)
    coordinates: list[tuple[Decimal, Decimal]] = field(default_factory=list)  # (lat, long)
    populations: list[Population] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Difference:
    entity: str
    what: str  # "latitude", "longitude", "population", "website"
    ours: str
    theirs: str


@dataclass(frozen=True)
class ImportReport:
    graph: str
    quads: int
    linked: tuple[str, ...]  # Q-ids found linked to our entities
    unlinked: tuple[str, ...]  # Q-ids in the file that no entity of ours is linked to (nothing written)
    differences: tuple[Difference, ...]


def read_wikidata_file(path: Path) -> list[EntityFacts]:
    """The facts of an EntityData JSON file or a WDQS SPARQL JSON results file.

    Raises:
        DataSyntaxError: the file is not JSON, or neither of the two formats.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataSyntaxError(f"{path}: not a readable JSON file: {e}") from None
    if isinstance(data, dict) and isinstance(data.get("entities"), dict):
        return parse_entity_data(data)
    if isinstance(data, dict) and isinstance(data.get("results"), dict) and isinstance(data.get("head"), dict):
        return parse_wdqs_results(data)
    raise DataSyntaxError(
        f"{path}: neither an entity file (Special:EntityData/Q….json: an 'entities' object) nor SPARQL JSON "
        "results ('head' and 'results')"
    )


def parse_entity_data(data: dict[str, Any]) -> list[EntityFacts]:
    """Facts from the `entities` of a Special:EntityData JSON document (deprecated statements skipped)."""
    found = []
    for key, entity in data["entities"].items():
        qid = str(entity.get("id", key))
        if qid_of(ENTITY + qid) is None:
            continue  # a property or lexeme, or a redirect stub
        facts = EntityFacts(qid)
        for language, label in (entity.get("labels") or {}).items():
            if language in LANGUAGES and isinstance(label, dict) and "value" in label:
                facts.labels[language] = str(label["value"])
        claims = entity.get("claims") or {}
        for claim in _values(claims, "P625", "globecoordinate"):
            value = claim["mainsnak"]["datavalue"]["value"]
            facts.coordinates.append((_decimal(value["latitude"]), _decimal(value["longitude"])))
        for claim in _values(claims, "P1082", "quantity"):
            amount = _decimal(claim["mainsnak"]["datavalue"]["value"]["amount"])
            time, precision = _qualifier_time(claim, "P585")
            facts.populations.append(Population(amount, time, precision))
        for claim in _values(claims, "P856", "string"):
            facts.websites.append(str(claim["mainsnak"]["datavalue"]["value"]))
        found.append(facts)
    return found


def parse_wdqs_results(data: dict[str, Any]) -> list[EntityFacts]:
    """Facts from WDQS results: one row per item and value, columns named as in WDQS_COLUMNS."""
    by_qid: dict[str, EntityFacts] = {}
    for row in data["results"].get("bindings", []):
        item = _column(row, "item")
        qid = qid_of(item["value"]) if item and item.get("type") == "uri" else None
        if qid is None:
            continue
        facts = by_qid.setdefault(qid, EntityFacts(qid))
        coord = _column(row, "coordinates")
        if coord and (m := _POINT.fullmatch(coord["value"])):
            point = (_decimal(m.group(2)), _decimal(m.group(1)))
            if point not in facts.coordinates:
                facts.coordinates.append(point)
        population = _column(row, "population")
        if population:
            when = _column(row, "point_in_time")
            time = when["value"] if when else None
            entry = Population(_decimal(population["value"]), time, PRECISION_DAY if time else None)
            if entry not in facts.populations:
                facts.populations.append(entry)
        website = _column(row, "website")
        if website and website["value"] not in facts.websites:
            facts.websites.append(website["value"])
        label = _column(row, "label")
        if label and label.get("xml:lang") in LANGUAGES:
            facts.labels.setdefault(label["xml:lang"], label["value"])
    return list(by_qid.values())


def import_facts(
    store: Store,
    facts: list[EntityFacts],
    *,
    name: str,
    source: str,
    base: str = DEFAULT_BASE,
    now: datetime | None = None,
) -> ImportReport:
    """Write the facts about our linked entities into graph/wikidata/import/<name>, replacing that graph.

    Raises:
        OSError: the store cannot be written.
    """
    graph = ox.NamedNode(import_graph(name, base))
    linked = _linked(store, {f.qid for f in facts})
    quads: list[ox.Quad] = []
    differences: list[Difference] = []
    for f in facts:
        for ours in linked.get(f.qid, []):
            quads += _entity_quads(ours, f, graph, base)
            differences += _differences(store, ours, f, base)
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    quads += [
        ox.Quad(graph, RDFS_LABEL, ox.Literal(f"Imported from the Wikidata file {source}", language="en"), graph),
        ox.Quad(graph, ox.NamedNode(PROV + "wasDerivedFrom"), ox.NamedNode(_file_iri(source)), graph),
        ox.Quad(graph, ox.NamedNode(PROV + "generatedAtTime"), ox.Literal(when, datatype=_xsd("dateTime")), graph),
    ]
    quads += [
        ox.Quad(graph, ox.NamedNode(PROV + "wasDerivedFrom"), ox.NamedNode(ENTITY + q), graph) for q in sorted(linked)
    ]
    body = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in dict.fromkeys(quads))
    # one update: the previous import of this name is replaced, never half-replaced
    store.update(f"DROP SILENT GRAPH {graph} ;\nINSERT DATA {{ GRAPH {graph} {{\n{body}\n}} }}")
    return ImportReport(
        graph=graph.value,
        quads=len(dict.fromkeys(quads)),
        linked=tuple(sorted(linked)),
        unlinked=tuple(sorted({f.qid for f in facts} - linked.keys())),
        differences=tuple(differences),
    )


def import_graph(name: str, base: str = DEFAULT_BASE) -> str:
    """The graph an import of that name goes to.

    >>> import_graph("Q80985 (Fez).json")
    'https://w3id.org/learning-cities/graph/wikidata/import/q80985-fez-json'
    """
    return graph_iri(base, "wikidata", "import", re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "file")


def _values(claims: dict[str, Any], pid: str, kind: str) -> list[dict[str, Any]]:
    """The statements of `pid` whose main value is of `kind`, best rank first, deprecated ones left out."""
    found = []
    for claim in claims.get(pid, []):
        snak = claim.get("mainsnak", {})
        if claim.get("rank") == "deprecated" or snak.get("snaktype", "value") != "value":
            continue
        if snak.get("datavalue", {}).get("type") == kind:
            found.append(claim)
    return sorted(found, key=lambda c: c.get("rank") != "preferred")


def _qualifier_time(claim: dict[str, Any], pid: str) -> tuple[str | None, int | None]:
    for snak in (claim.get("qualifiers") or {}).get(pid, []):
        value = snak.get("datavalue", {})
        if value.get("type") == "time":
            return str(value["value"]["time"]).lstrip("+"), int(value["value"].get("precision", PRECISION_DAY))
    return None, None


def _column(row: dict[str, Any], what: str) -> dict[str, Any] | None:
    for name in WDQS_COLUMNS[what]:
        if name in row:
            value: dict[str, Any] = row[name]
            return value
    return None


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value).lstrip("+"))
    except InvalidOperation:
        raise DataSyntaxError(f"not a number: {value!r}") from None


def _xsd(name: str) -> ox.NamedNode:
    return ox.NamedNode(XSD + name)


def _file_iri(source: str) -> str:
    return source if re.match(r"https?://", source) else Path(source).resolve().as_uri()


def _linked(store: Store, qids: set[str]) -> dict[str, list[ox.NamedNode]]:
    """Q-id -> our entities with owl:sameAs to it."""
    linked: dict[str, list[ox.NamedNode]] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs"), None, None):
        if isinstance(quad.object, ox.NamedNode) and isinstance(quad.subject, ox.NamedNode):
            qid = qid_of(quad.object.value)
            if qid in qids and quad.subject not in linked.get(qid, []):
                linked.setdefault(qid, []).append(quad.subject)
    return linked


def _entity_quads(ours: ox.NamedNode, f: EntityFacts, graph: ox.NamedNode, base: str) -> list[ox.Quad]:
    """Our vocabulary on our IRI, plus the Wikidata-shaped statements on the wd: IRI (labels, P1082 with P585)."""
    wd = ox.NamedNode(ENTITY + f.qid)
    quads = [ox.Quad(wd, RDF_TYPE, ox.NamedNode(WIKIBASE + "Item"), graph)]
    for language, text in sorted(f.labels.items()):
        label = ox.Literal(text, language=language)
        quads += [ox.Quad(wd, RDFS_LABEL, label, graph), ox.Quad(ours, SKOS_ALT, label, graph)]
    for lat, long in f.coordinates:
        quads += [
            ox.Quad(ours, ox.NamedNode(WGS + "lat"), ox.Literal(str(lat), datatype=_xsd("decimal")), graph),
            ox.Quad(ours, ox.NamedNode(WGS + "long"), ox.Literal(str(long), datatype=_xsd("decimal")), graph),
            ox.Quad(wd, ox.NamedNode(DIRECT + "P625"), ox.Literal(f"Point({long} {lat})", datatype=WKT), graph),
        ]
    for p in f.populations:
        amount = ox.Literal(str(p.amount), datatype=_xsd("decimal"))
        statement = ox.NamedNode(base + "id/statement/" + _digest(f.qid, "P1082", str(p.amount), p.time or ""))
        quads += [
            ox.Quad(
                ours,
                ox.NamedNode(base + "def/population"),
                ox.Literal(str(int(p.amount)), datatype=_xsd("integer")),
                graph,
            ),
            ox.Quad(wd, ox.NamedNode(DIRECT + "P1082"), amount, graph),
            ox.Quad(wd, ox.NamedNode(PROP + "P1082"), statement, graph),
            ox.Quad(statement, RDF_TYPE, ox.NamedNode(WIKIBASE + "Statement"), graph),
            ox.Quad(statement, ox.NamedNode(STATEMENT + "P1082"), amount, graph),
        ]
        if p.time:
            time = ox.Literal(p.time, datatype=_xsd("dateTime"))
            quads.append(ox.Quad(statement, ox.NamedNode(QUALIFIER + "P585"), time, graph))
    for url in f.websites:
        quads += [
            ox.Quad(ours, FOAF_HOMEPAGE, ox.NamedNode(url), graph),
            ox.Quad(wd, ox.NamedNode(DIRECT + "P856"), ox.NamedNode(url), graph),
        ]
    return quads


def _digest(*parts: str) -> str:
    return hashlib.sha1(" ".join(parts).encode()).hexdigest()


def _differences(store: Store, ours: ox.NamedNode, f: EntityFacts, base: str) -> list[Difference]:
    """Where our curated graphs already hold a value and Wikidata's differs."""
    own = graph_iri(base, "wikidata") + "/"

    def values(predicate: str) -> set[str]:
        return {
            q.object.value
            for q in store.quads_for_pattern(ours, ox.NamedNode(predicate), None, None)
            if isinstance(q.object, ox.NamedNode | ox.Literal)
            and not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(own))
        }

    found = []
    checks = [
        ("latitude", WGS + "lat", [str(lat) for lat, _ in f.coordinates]),
        ("longitude", WGS + "long", [str(long) for _, long in f.coordinates]),
        ("population", base + "def/population", [str(int(p.amount)) for p in f.populations]),
        ("website", FOAF_HOMEPAGE.value, f.websites),
    ]
    for what, predicate, theirs in checks:
        mine = values(predicate)
        for value in theirs:
            if mine and not any(_same(value, m) for m in mine):
                found.append(Difference(ours.value, what, " ".join(sorted(mine)), value))
    return found


def _same(a: str, b: str) -> bool:
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return a == b
