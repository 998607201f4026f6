"""The SPARQL files shipped in kg/queries/, read by name: one place that knows where they live."""

from __future__ import annotations

from importlib import resources


def load(name: str) -> str:
    """The text of kg/queries/<name>.rq.

    >>> load("page-class-counts").lstrip().startswith("#")
    True
    """
    return (resources.files("kg") / "queries" / f"{name}.rq").read_text(encoding="utf-8")
