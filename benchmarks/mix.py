"""The query mix: `queries/*.rq` with their `$name` variables replaced by the entities a data file names.

The files are plain SPARQL (`$city` is a variable, so each runs as-is too); the runner writes the chosen IRI
or literal in place of each variable, so every system receives the same text and no engine has to push a
VALUES block down.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

QUERIES = Path(__file__).resolve().parent / "queries"
Kind = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
ACCEPT: dict[str, str] = {
    "SELECT": "application/sparql-results+json",
    "ASK": "application/sparql-results+json",
    "CONSTRUCT": "application/n-triples",
    "DESCRIBE": "application/n-triples",
}
IRI_PARAMS = ("city", "country", "round")
INT_PARAMS = ("year",)
_VARIABLE = re.compile(r"\$([A-Za-z_]+)")
_KIND = re.compile(r"^\s*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    name: str
    text: str
    kind: Kind

    @property
    def accept(self) -> str:
        return ACCEPT[self.kind]


def query_kind(text: str) -> Kind:
    """The form of a query, read off its first keyword line.

    >>> query_kind("PREFIX a: <x:>\\n\\nASK { ?s ?p ?o }")
    'ASK'
    """
    match = _KIND.search(text)
    if match is None:
        raise ValueError(f"no query form in {text[:60]!r}")
    kind = match.group(1).upper()
    assert kind in ACCEPT
    return kind  # type: ignore[return-value]


def bind(text: str, params: dict[str, str]) -> str:
    """The query with each `$name` written out: IRIs for entities, numbers for years, strings otherwise.

    >>> bind("SELECT * { $city ?p $search }", {"city": "http://x/c", "search": 'a"b'})
    'SELECT * { <http://x/c> ?p "a\\\\"b" }'
    """

    def term(match: re.Match[str]) -> str:
        key = match.group(1)
        value = params[key]
        if key in IRI_PARAMS:
            return f"<{value}>"
        if key in INT_PARAMS:
            return str(int(value))
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return _VARIABLE.sub(term, text)


def load_mix(params: dict[str, str], folder: Path = QUERIES) -> list[Query]:
    """Every query of the mix, in file order, bound to `params`."""
    files = sorted(folder.glob("*.rq"))
    if not files:
        raise FileNotFoundError(f"no queries in {folder}")
    mix = []
    for path in files:
        text = bind(path.read_text(encoding="utf-8"), params)
        mix.append(Query(path.stem, text, query_kind(text)))
    return mix


def load_params(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: str(v) for k, v in data.items()}


def count_results(kind: Kind, body: bytes) -> int:
    """Rows of a SELECT, 1/0 for ASK, triples of a graph: the same count for every system.

    >>> count_results("ASK", b'{"head": {}, "boolean": true}')
    1
    >>> count_results("CONSTRUCT", b"<a> <b> <c> .\\n<a> <b> <d> .\\n")
    2
    """
    if kind == "SELECT":
        return len(json.loads(body)["results"]["bindings"])
    if kind == "ASK":
        return int(bool(json.loads(body)["boolean"]))
    return sum(1 for line in body.splitlines() if line.strip() and not line.startswith(b"#"))
