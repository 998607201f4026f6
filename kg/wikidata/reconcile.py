"""Reconciliation (the W3C Reconciliation Service API as OpenRefine speaks it): the candidate index and scoring.

Names are compared on a key: accents and Arabic diacritics dropped (NFKD), case folded, Arabic letters
unified (alef forms, tatweel, ة→ه, ى→ي, ڭ/گ→ك), spaces, hyphens and punctuation removed, so "Fès", "Fes",
"FES" and "Ben Guerir"/"Benguerir"/"بن جرير"/"بنجرير" meet. A candidate's score (0–100) is its best name's:
100 for an equal key, else difflib's similarity ratio × 100; a query of at least four characters that begins
the key of one candidate's name, where every other name it begins extends that name, scores 90 ("Casa" →
Casablanca, not "Casablanca Municipal Council"). A country constraint adds 5 when it
agrees and takes 30 when it disagrees. `match` is set only when the best score is at least 90 and leads the
next candidate by at least 10.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import pyoxigraph as ox

from kg.iris import DEFAULT_BASE
from kg.querying import prefixes
from kg.stores import Store
from kg.wikidata import qid_of
from kg.wikidata.view import load_query

TYPES = {
    "City": "City",
    "Country": "Country",
    "Territory": "Territory",
    "AdministrativeRegion": "Administrative region",
    "Organization": "Organization",
    "Network": "Network",
    "Person": "Person",
}
PROPERTIES = {
    "country": "Country",
    "wikidata": "Wikidata id",
    "yearJoined": "Year joined a learning-city network",
}
MATCH_SCORE = 90.0
MATCH_MARGIN = 10.0
PREFIX_SCORE = 90.0
PREFIX_MIN = 4
MIN_SCORE = 45.0  # below this difflib finds shared letters, not a shared name
COUNTRY_AGREES = 5.0
COUNTRY_DISAGREES = 30.0
_ARABIC = str.maketrans({"ـ": "", "ٱ": "ا", "ة": "ه", "ى": "ي", "ڭ": "ك", "گ": "ك"})


def name_key(text: str) -> str:
    """The comparison key of a name.

    >>> [name_key(n) for n in ("Fès", "FES", "Ben Guerir", "بن جرير", "بنجرير", "Laâyoune")]
    ['fes', 'fes', 'benguerir', 'بنجرير', 'بنجرير', 'laayoune']
    >>> name_key("أكادير") == name_key("اكادير")
    True
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = unicodedata.normalize("NFC", stripped).casefold().translate(_ARABIC)
    return "".join(c for c in folded if c.isalnum())


@dataclass
class Candidate:
    id: str  # the path after <base>id/, e.g. "city/fez"
    iri: str
    name: str  # English label when there is one
    description: str = ""
    types: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    countries: dict[str, str] = field(default_factory=dict)  # country id -> English name
    wikidata: str | None = None
    year_joined: int | None = None

    @property
    def keys(self) -> set[str]:
        return {k for k in (name_key(n) for n in self.names) if k}


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    match: bool


class ReconciliationIndex:
    """Every reconcilable entity of the store with its names, built once (at start-up)."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self.candidates = {c.id: c for c in candidates}
        self._keys = {c.id: c.keys for c in self.candidates.values()}

    @classmethod
    def from_store(cls, store: Store, base: str = DEFAULT_BASE) -> ReconciliationIndex:
        rows = store.query(
            load_query("wikidata-reconcile-candidates"), prefixes=prefixes(base), use_default_graph_as_union=True
        )
        assert isinstance(rows, ox.QuerySolutions)
        found: dict[str, Candidate] = {}
        labels: dict[str, dict[str, set[str]]] = {}
        for row in rows:
            iri = row["entity"].value
            if not iri.startswith(base + "id/"):
                continue
            local = iri[len(base) + 3 :]
            c = found.setdefault(local, Candidate(local, iri, local))
            c.types.add(row["type"].value.rsplit("/", 1)[-1])
            name = row["name"]
            c.names.add(name.value)
            if row["preferred"].value == "true" and isinstance(name, ox.Literal):
                labels.setdefault(local, {}).setdefault(name.language or "", set()).add(name.value)
            # rows come in no set order (an external store orders them its own way), so where an entity has
            # several values the choice must not depend on which row comes first: the shortest description,
            # the smallest name, the smallest id
            if row["comment"] is not None:
                c.description = _shortest(c.description, row["comment"].value)
            if row["country"] is not None:
                country = row["country"].value[len(base) + 3 :]
                name_of = row["countryName"].value if row["countryName"] is not None else country
                c.countries[country] = min(c.countries.get(country, name_of), name_of)
            if row["wikidata"] is not None:
                qid = qid_of(row["wikidata"].value)
                if qid is not None:
                    c.wikidata = qid if c.wikidata is None else min(c.wikidata, qid)
            if row["joined"] is not None:
                c.year_joined = int(row["joined"].value)
        for local, by_language in labels.items():
            # named by its English label (the smallest, if sources give several), else by any label
            chosen = by_language.get("en") or min(by_language.values(), key=min)
            found[local].name = min(chosen)
        return cls(found.values())

    def reconcile(
        self,
        query: str,
        *,
        type_id: str | None = None,
        properties: Iterable[Mapping[str, object]] = (),
        limit: int = 5,
    ) -> list[Scored]:
        """The best candidates for a name, best first, with the match flag set on a clear winner."""
        key = name_key(query)
        if not key:
            return []
        pool = [c for c in self.candidates.values() if type_id is None or type_id in c.types]
        root = self._prefix_root(key, pool)
        countries = [_constraint_values(p.get("v")) for p in properties if p.get("pid") == "country"]
        scored = []
        for c in pool:
            score = max((_similarity(key, k) for k in self._keys[c.id]), default=0.0)
            if c is root:
                score = max(score, PREFIX_SCORE)
            for wanted in countries:
                score += _country_adjustment(c, wanted)
            score = max(0.0, min(100.0, round(score, 1)))
            if score >= MIN_SCORE:
                scored.append((score, c))
        scored.sort(key=lambda sc: (-sc[0], sc[1].name))
        best = scored[:limit]
        winner = bool(best) and best[0][0] >= MATCH_SCORE
        if winner and len(scored) > 1:
            winner = scored[0][0] - scored[1][0] >= MATCH_MARGIN
        return [Scored(c, s, winner and i == 0) for i, (s, c) in enumerate(best)]

    def _prefix_root(self, key: str, pool: list[Candidate]) -> Candidate | None:
        """The one candidate a name prefix points to: "casa" begins "Casablanca", and the other names it begins
        ("Casablanca Municipal Council") extend that name, so Casablanca is the root; None when ambiguous."""
        if len(key) < PREFIX_MIN:
            return None
        prefixed = {c.id: [k for k in self._keys[c.id] if k.startswith(key) and k != key] for c in pool}
        prefixed = {i: keys for i, keys in prefixed.items() if keys}
        roots = [
            i
            for i, keys in prefixed.items()
            if any(all(any(o.startswith(k) for o in others) for others in prefixed.values()) for k in keys)
        ]
        return self.candidates[roots[0]] if len(roots) == 1 else None

    def suggest(self, prefix: str, *, limit: int = 10) -> list[Candidate]:
        """Entities with a name beginning with `prefix` (compared on keys), then ones containing it."""
        key = name_key(prefix)
        if not key:
            return []
        starts = [c for c in self.candidates.values() if any(k.startswith(key) for k in self._keys[c.id])]
        contains = [c for c in self.candidates.values() if c not in starts and any(key in k for k in self._keys[c.id])]
        return (sorted(starts, key=lambda c: c.name) + sorted(contains, key=lambda c: c.name))[:limit]


def _shortest(current: str, other: str) -> str:
    """The shorter text, the smaller on a tie; "" is no text yet.

    >>> _shortest("", "b"), _shortest("ab", "c"), _shortest("b", "a")
    ('b', 'c', 'a')
    """
    if not current:
        return other
    return min(current, other, key=lambda text: (len(text), text))


def _similarity(a: str, b: str) -> float:
    if a == b:
        return 100.0
    return SequenceMatcher(None, a, b).ratio() * 100


def _constraint_values(v: object) -> set[str]:
    """The keys a property constraint's value may take: a string, an {"id": …, "name": …} object, or a list."""
    items = v if isinstance(v, list) else [v]
    keys = set()
    for item in items:
        if isinstance(item, str):
            keys.add(name_key(item))
        elif isinstance(item, dict):
            for part in ("id", "name"):
                if isinstance(item.get(part), str):
                    keys.add(name_key(str(item[part])))
    return {k for k in keys if k}


def _country_adjustment(c: Candidate, wanted: set[str]) -> float:
    if not wanted or not c.countries:
        return 0.0
    known = {name_key(i) for i in c.countries} | {name_key(n) for n in c.countries.values()}
    known |= {name_key(i.rsplit("/", 1)[-1]) for i in c.countries}
    return COUNTRY_AGREES if known & wanted else -COUNTRY_DISAGREES
