"""Choosing the language of a response: `?lang=` first, then `Accept-Language` (q-values honoured), else English."""

from __future__ import annotations

from collections.abc import Sequence

from kg.accept import weight

DEFAULT_LANGUAGE = "en"


def choose_language(requested: str | None, accept_language: str | None, offered: Sequence[str]) -> str:
    """The page language: `?lang=` if offered, else the best `Accept-Language` match, else English.

    >>> choose_language(None, "ar-MA,ar;q=0.9,fr;q=0.8", ("en", "fr", "ar"))
    'ar'
    >>> choose_language("fr", "ar", ("en", "fr", "ar"))
    'fr'
    >>> choose_language(None, "de, *;q=0.1", ("en", "fr", "ar"))
    'en'
    """
    if requested and requested.lower() in offered:
        return requested.lower()
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for position, (tag, q) in enumerate(_ranges(accept_language or "")):
        primary = tag.split("-")[0]
        # earlier entries win ties, as listed order is the client's preference among equal weights
        score = q - position * 1e-6
        if primary in offered and score > best_q:
            best, best_q = primary, score
    return best


def _ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        q = weight(params.split(";"))
        if tag and q > 0:
            ranges.append((tag.lower(), q))
    return ranges
