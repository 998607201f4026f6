"""Content negotiation: an `Accept` header and the media types on offer in, the best offer out (RFC 9110 §12.5.1)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    type: str  # "*" for a wildcard
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...] = ()

    def specificity(self) -> int:
        """3 for type/subtype;params, 2 for type/subtype, 1 for type/*, 0 for */*."""
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 3 if self.params else 2


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed entries are skipped, as RFC 9110 allows.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/*;q=0.5, application/json, */*;q=0.1")]
    [('text', '*', 0.5), ('application', 'json', 1.0), ('*', '*', 0.1)]
    """
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        kind, _, sub = fields[0].lower().partition("/")
        if not kind or not sub or (kind == "*" and sub != "*"):
            continue
        params = []
        for f in fields[1:]:
            name, _, value = f.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name and name != "q":
                params.append((name, value))
        q = min(max(weight(fields[1:]), 0.0), 1.0)
        ranges.append(MediaRange(kind, sub, q, tuple(params)))
    return ranges


def weight(params: Sequence[str]) -> float:
    """The q-value among a header entry's `;`-separated parameters: 1 when absent, 0 when unreadable.

    >>> weight([" q=0.5"]), weight(["level=1"]), weight(["q=high"])
    (0.5, 1.0, 0.0)
    """
    q = 1.0
    for param in params:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip().strip('"'))
            except ValueError:
                q = 0.0
    return q


def choose(
    accept: str | None,
    offers: Sequence[str],
    *,
    canonical: Callable[[str], str | None] = lambda m: None,
) -> str | None:
    """The offer the client prefers: highest q, then the most specific range, then the server's order.

    `offers` are bare media types (no parameters), the server's preferred first; `canonical` maps a
    requested type onto an offer when the two differ only by an alias (`application/json` for SPARQL JSON).
    No header, or an empty one, accepts everything.

    >>> choose("text/csv;q=0.9, application/sparql-results+json;q=0.1", ["application/sparql-results+json", "text/csv"])
    'text/csv'
    >>> choose("text/turtle, */*", ["application/ld+json", "text/turtle"])
    'text/turtle'
    >>> choose("image/png", ["text/turtle"]) is None
    True
    """
    if not accept or not accept.strip():
        return offers[0] if offers else None
    ranges = parse_accept(accept)
    best: tuple[float, int, int] | None = None
    chosen = None
    for order, offer in enumerate(offers):
        kind, _, sub = offer.lower().partition("/")
        match: MediaRange | None = None
        for r in ranges:
            if r.type == "*" or (r.type == kind and r.subtype in ("*", sub)):
                hit = True
            else:
                hit = canonical(f"{r.type}/{r.subtype}") == offer.lower()
            if hit and (match is None or r.specificity() > match.specificity()):
                match = r
        if match is None or match.q <= 0:
            continue
        key = (match.q, match.specificity(), -order)
        if best is None or key > best:
            best, chosen = key, offer
    return chosen


def bare(media_type: str) -> str:
    """A media type without its parameters.

    >>> bare("text/csv; charset=utf-8")
    'text/csv'
    """
    return media_type.split(";", 1)[0].strip().lower()
