"""A map of places drawn as inline SVG from their coordinates: no tiles, no script, no network."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kg.pages.html import esc

_POINT = re.compile(r"POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    iri: str
    lat: float
    long: float
    member: bool  # a member of the network, drawn filled


def wkt_point(wkt: str) -> tuple[float, float] | None:
    """(lat, long) of a WKT point, which writes longitude first.

    >>> wkt_point("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(-5.0 34.033)")
    (34.033, -5.0)
    """
    match = _POINT.search(wkt)
    return (float(match[2]), float(match[1])) if match else None


def render(
    places: Sequence[Place],
    *,
    label: Callable[[str], str],
    href: Callable[[str], str],
    highlight: str | None = None,
    width: int = 640,
    title: str = "",
) -> str:
    """An SVG map: one dot per place, labelled and linked, on a graticule; `highlight` drawn larger.

    The projection is equirectangular around the mean latitude, fine at the scale of one country.
    """
    if not places:
        return ""
    lats, longs = [p.lat for p in places], [p.long for p in places]
    pad = 1.0
    south, north = min(lats) - pad, max(lats) + pad
    west, east = min(longs) - pad * 2.5, max(longs) + pad * 2.5  # room for labels east of the dots
    shrink = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * shrink, 1.0), max(north - south, 1.0)
    scale = width / span_x
    height = round(span_y * scale)

    def xy(lat: float, long: float) -> tuple[float, float]:
        return round((long - west) * shrink * scale, 1), round((north - lat) * scale, 1)

    grid = []
    step = 2 if span_y > 4 else 1
    for lat in range(math.ceil(south), math.floor(north) + 1):
        if lat % step == 0:
            _, y = xy(lat, west)
            grid.append(f'<line x1="0" y1="{y}" x2="{width}" y2="{y}"/>')
            grid.append(
                f'<text x="4" y="{max(y - 3, 10)}" class="grid-label">{abs(lat)}°{"N" if lat >= 0 else "S"}</text>'
            )
    for long in range(math.ceil(west), math.floor(east) + 1):
        if long % step == 0:
            x, _ = xy(south, long)
            grid.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height}"/>')
            grid.append(
                f'<text x="{x + 3}" y="{height - 4}" class="grid-label">{abs(long)}°{"E" if long >= 0 else "W"}</text>'
            )
    points = {p.iri: xy(p.lat, p.long) for p in places}
    taken = [(x - 6, y - 6, x + 6, y + 6) for x, y in points.values()]
    dots = []
    for p in sorted(places, key=lambda p: p.iri == highlight):  # the highlighted dot is drawn last, on top
        x, y = points[p.iri]
        css = "place" + (" member" if p.member else "") + (" current" if p.iri == highlight else "")
        radius = 7 if p.iri == highlight else 5
        name = label(p.iri)
        tx, ty, anchor = _label_position(x, y, radius, len(name) * 6.8, width, height, taken)
        dots.append(
            f'<a href="{esc(href(p.iri))}" class="{css}"><title>{esc(name)} ({p.lat:.3f}, {p.long:.3f})</title>'
            f'<circle cx="{x}" cy="{y}" r="{radius}"/>'
            f'<text x="{tx}" y="{ty}" text-anchor="{anchor}">{esc(name)}</text></a>'
        )
    return (
        f'<svg class="map" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{esc(title)}" xmlns="http://www.w3.org/2000/svg" direction="ltr">'
        f'<rect width="{width}" height="{height}" class="sea"/><g class="grid">{"".join(grid)}</g>'
        f'<g class="places">{"".join(dots)}</g></svg>'
    )


Box = tuple[float, float, float, float]


def _label_position(
    x: float, y: float, radius: int, text_width: float, width: int, height: int, taken: list[Box]
) -> tuple[float, float, str]:
    """Where a dot's label goes: right, left, above or below it, wherever it overlaps nothing drawn yet."""
    gap = radius + 3
    candidates = [
        (x + gap, y + 4, "start", (x + gap, y - 8, x + gap + text_width, y + 5)),
        (x - gap, y + 4, "end", (x - gap - text_width, y - 8, x - gap, y + 5)),
        (x, y - gap - 2, "middle", (x - text_width / 2, y - gap - 14, x + text_width / 2, y - gap)),
        (x, y + gap + 11, "middle", (x - text_width / 2, y + gap, x + text_width / 2, y + gap + 13)),
    ]
    for tx, ty, anchor, box in candidates:
        inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
        if inside and not any(_overlap(box, other) for other in taken):
            taken.append(box)
            return round(tx, 1), round(ty, 1), anchor
    tx, ty, anchor, box = candidates[0]
    taken.append(box)
    return round(tx, 1), round(ty, 1), anchor


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
