"""Answering `SERVICE wikibase:label { ... }` locally, so that queries written for WDQS run here unchanged.

The Wikidata Query Service binds `?xLabel`, `?xDescription` and `?xAltLabel` for every `?x` of the query from
the entity's labels, trying the languages of `wikibase:language` in order and falling back to the Q-id. We do
the same by rewriting the query text: the SERVICE block is removed and, at the end of the group that held it
(WDQS runs the label service after everything else in that group), each variable gets per-language lookups
joined with COALESCE. The rewrite works on tokens (strings, IRIs and comments are never mistaken for syntax)
and splices the original text, so a query without the service comes back byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.iris import DEFAULT_BASE
from kg.querying import prefixes
from kg.wikidata import BIGDATA, ENTITY, WIKIBASE

LABEL_SERVICE = WIKIBASE + "label"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SCHEMA_DESCRIPTION = "http://schema.org/description"
SKOS_ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
AUTO_LANGUAGE = "[AUTO_LANGUAGE]"

# suffix of the bound variable -> property looked up
_SUFFIXES = {"AltLabel": SKOS_ALT_LABEL, "Label": RDFS_LABEL, "Description": SCHEMA_DESCRIPTION}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w\-.\u00B7-\uFFFF]*)?:(?:[\w\-:%\u00B7-\uFFFF]|\.(?=[\w\-:%]))*)
  | (?P<word>[A-Za-z_][\w]*)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|[{}()\[\].,;=<>!+\-*/^|])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


@dataclass
class _Service:
    start: int  # offset of SERVICE
    end: int  # offset after its closing brace
    group_end: int  # offset of the closing brace of the enclosing group
    group_start: int
    languages: list[str] = field(default_factory=list)
    explicit: list[tuple[str, str, str]] = field(default_factory=list)  # (?x, property, ?binding)


def is_label_service(iri: str) -> bool:
    """Whether a SERVICE target is Wikidata's label service, which we answer locally (no connection).

    >>> is_label_service("http://wikiba.se/ontology#label")
    True
    >>> is_label_service("https://query.wikidata.org/sparql")
    False
    """
    return iri.strip("<>") in (LABEL_SERVICE, "wikibase:label")


def rewrite_label_service(query: str, *, base: str = DEFAULT_BASE, auto_language: str = "en") -> str:
    """The query with every `SERVICE wikibase:label` block replaced by local label lookups.

    >>> q = 'SELECT ?c ?cLabel WHERE { ?c wdt:P17 wd:Q1028 . '
    >>> q += 'SERVICE wikibase:label { bd:serviceParam wikibase:language "fr,en". } }'
    >>> out = rewrite_label_service(q)
    >>> "SERVICE" in out, "AS ?cLabel)" in out
    (False, True)
    >>> rewrite_label_service("SELECT * { ?s ?p ?o }")
    'SELECT * { ?s ?p ?o }'
    """
    if "service" not in query.lower():
        return query  # the common case: no tokenizing on the hot path of every query
    tokens = _tokenize(query)
    names = {**prefixes(base), **_declared_prefixes(tokens)}
    services = _find_services(tokens, names)
    if not services:
        return query
    taken = {t.text[1:] for t in tokens if t.kind == "var"}
    outside = _variables_outside(tokens, services)
    assigned: set[str] = set()
    edits: list[tuple[int, int, str]] = []
    for n, service in enumerate(services):
        languages = _languages(service.languages, auto_language)
        wanted = service.explicit or _implicit_bindings(outside, service, assigned)
        lookups = [_lookup(*binding, languages, f"{n}_{i}", taken) for i, binding in enumerate(wanted)]
        edits.append((service.start, service.end, ""))
        if lookups:
            edits.append((service.group_end, service.group_end, "\n  " + "\n  ".join(lookups) + "\n"))
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        query = query[:start] + text + query[end:]
    return query


def _tokenize(query: str) -> list[_Token]:
    tokens = []
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup or "other"
        if kind not in ("ws", "comment"):
            tokens.append(_Token(kind, m.group(), m.start(), m.end()))
    return tokens


def _declared_prefixes(tokens: list[_Token]) -> dict[str, str]:
    declared = {}
    for i, t in enumerate(tokens[:-2]):
        if (
            t.kind == "word"
            and t.text.upper() == "PREFIX"
            and (tokens[i + 1].kind, tokens[i + 2].kind) == ("pname", "iri")
        ):
            declared[tokens[i + 1].text.rstrip(":")] = tokens[i + 2].text[1:-1]
    return declared


def _resolve(token: _Token, names: dict[str, str]) -> str | None:
    if token.kind == "iri":
        return token.text[1:-1]
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        return names[prefix] + local if prefix in names else None
    if token.kind == "word" and token.text == "a":
        return "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    return None


def _find_services(tokens: list[_Token], names: dict[str, str]) -> list[_Service]:
    services = []
    opened: list[int] = []  # indexes of the '{' tokens currently open
    matching = _matching_braces(tokens)
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.text == "{":
            opened.append(i)
        elif t.text == "}" and opened:
            opened.pop()
        elif t.kind == "word" and t.text.upper() == "SERVICE" and opened:
            j = i + 1
            if tokens[j].kind == "word" and tokens[j].text.upper() == "SILENT":
                j += 1
            target = _resolve(tokens[j], names) if j < len(tokens) else None
            if target == LABEL_SERVICE and j + 1 < len(tokens) and tokens[j + 1].text == "{":
                close = matching[j + 1]
                group = opened[-1]
                service = _Service(
                    start=t.start,
                    end=tokens[close].end,
                    group_start=tokens[group].end,
                    group_end=tokens[matching[group]].start,
                )
                _read_block(tokens[j + 2 : close], names, service)
                services.append(service)
                i = close + 1
                continue
        i += 1
    return services


def _matching_braces(tokens: list[_Token]) -> dict[int, int]:
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for i, t in enumerate(tokens):
        if t.text == "{":
            stack.append(i)
        elif t.text == "}" and stack:
            pairs[stack.pop()] = i
    for i in stack:  # unbalanced: let the parser report it, on the original text
        pairs[i] = len(tokens) - 1
    return pairs


def _read_block(block: list[_Token], names: dict[str, str], service: _Service) -> None:
    """Collect the languages and the explicit `?x rdfs:label ?name` bindings of a label-service block."""
    subject: _Token | None = None
    predicate: _Token | None = None
    expect = "subject"
    for t in block:
        if t.text == ".":
            subject, predicate, expect = None, None, "subject"
        elif t.text == ";":
            predicate, expect = None, "predicate"
        elif t.text == ",":
            expect = "object"
        elif expect == "subject":
            subject, expect = t, "predicate"
        elif expect == "predicate":
            predicate, expect = t, "object"
        elif expect == "object" and subject is not None and predicate is not None:
            s, p = _resolve(subject, names), _resolve(predicate, names)
            if s == BIGDATA + "serviceParam" and p == WIKIBASE + "language" and t.kind == "string":
                service.languages.extend(_unquote(t.text).split(","))
            elif subject.kind == "var" and t.kind == "var" and p is not None and p in _SUFFIXES.values():
                service.explicit.append((subject.text[1:], p, t.text[1:]))
            expect = "after-object"


def _unquote(text: str) -> str:
    quote = 3 if text[:3] in ('"""', "'''") else 1
    return text[quote:-quote]


def _languages(raw: list[str], auto_language: str) -> list[str]:
    languages: list[str] = []
    for item in raw:
        code = item.strip()
        if code == AUTO_LANGUAGE:
            code = auto_language
        if code and code.lower() not in languages:
            languages.append(code.lower())
    return languages or [auto_language]


def _variables_outside(tokens: list[_Token], services: list[_Service]) -> list[tuple[str, int]]:
    """(name, offset) of each variable occurrence that is not inside a label-service block."""
    found = []
    for t in tokens:
        if t.kind == "var" and not any(s.start <= t.start < s.end for s in services):
            found.append((t.text[1:], t.start))
    return found


def _implicit_bindings(
    variables: list[tuple[str, int]], service: _Service, assigned: set[str]
) -> list[tuple[str, str, str]]:
    """Like WDQS: ?xLabel, ?xDescription and ?xAltLabel, for each ?x used in the group holding the service."""
    names = {name for name, _ in variables}
    local = {name for name, offset in variables if service.group_start <= offset < service.group_end}
    wanted = []
    for name in sorted(names):
        if name in assigned:
            continue
        for suffix, prop in _SUFFIXES.items():
            subject = name.removesuffix(suffix)
            if subject != name and subject and subject in local:
                wanted.append((subject, prop, name))
                assigned.add(name)
                break
    return wanted


def _lookup(subject: str, prop: str, target: str, languages: list[str], tag: str, taken: set[str]) -> str:
    """OPTIONAL lookups per language (one value each, so no row multiplies) and a COALESCE in order."""
    parts = []
    candidates = []
    for k, language in enumerate(languages):
        var = _fresh(f"wb{tag}_{k}", taken)
        inner = _fresh(f"wb{tag}_{k}v", taken)
        aggregate = f'GROUP_CONCAT(DISTINCT ?{inner}; SEPARATOR=", ")' if prop == SKOS_ALT_LABEL else f"MIN(?{inner})"
        parts.append(
            f"OPTIONAL {{ SELECT ?{subject} ({aggregate} AS ?{var}) WHERE {{ ?{subject} <{prop}> ?{inner} "
            f'FILTER(LCASE(LANG(?{inner})) = "{language}") }} GROUP BY ?{subject} }}'
        )
        candidates.append(f"?{var}")
    if prop == RDFS_LABEL:
        # no label in any language: WDQS shows the Q-id (and any other value as its string)
        candidates.append(
            f'IF(isIRI(?{subject}) && STRSTARTS(STR(?{subject}), "{ENTITY}"), '
            f'STRAFTER(STR(?{subject}), "{ENTITY}"), STR(?{subject}))'
        )
    parts.append(f"BIND(COALESCE({', '.join(candidates)}) AS ?{target})")
    return "\n  ".join(parts)


def _fresh(stem: str, taken: set[str]) -> str:
    name = f"_{stem}"
    while name in taken:
        name += "_"
    taken.add(name)
    return name
