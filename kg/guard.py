"""Checking SPARQL text before evaluation: where SERVICE and LOAD would reach, and which graphs an update names.

pyoxigraph 0.5 performs real HTTP requests for `SERVICE <iri>` and `LOAD <iri>` and offers no hook to stop
them, so every target is found here, lexically, before a query reaches the engine. The scanner understands
comments, all four string forms, IRIs, prefixed names (with PREFIX/BASE declarations) and variables.

Where the text is lexically ambiguous it follows every reading: `<` opens an IRI or is the less-than
operator (which reading holds depends on the grammar, and `?a<'x>'` differs in where a string starts), and a
keyword may be glued to what follows (`SERVICEs:x` is `SERVICE s:x` to Oxigraph's parser). A target found
on any reading is checked, so a query cannot hide one from this scanner by choosing the reading it does not
follow. Readings that meet again at the same place and state are merged, which keeps the scan linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin

from kg.errors import ForbiddenError

Kind = Literal["service", "load", "iri", "graph-var", "all-graphs"]

_IRI = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]*)>")
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS = _PN_CHARS_BASE + r"_\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_LOCAL_ESC = r"\\[_~.\-!$&'()*+,;=/?#@%]"
_PNAME = re.compile(
    rf"((?:[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)?):"
    rf"((?:[{_PN_CHARS}:.]|%[0-9A-Fa-f]{{2}}|{_LOCAL_ESC})*)"
)
_WORD = re.compile(rf"[{_PN_CHARS_BASE}_][{_PN_CHARS}]*")
_VAR = re.compile(rf"[?$][{_PN_CHARS}]+")
_BNODE = re.compile(rf"_:[{_PN_CHARS}.]*")
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_KEYWORDS = ("SERVICE", "SILENT", "LOAD", "PREFIX", "BASE", "GRAPH", "CLEAR", "DROP")
_MAX_STATES = 200_000  # lexer states per text: far above any real query, a bound on a crafted one


@dataclass(frozen=True)
class Finding:
    kind: Kind
    target: str  # the resolved IRI, or the token itself when it cannot be resolved or is a variable
    resolved: bool = True


@dataclass(frozen=True)
class _State:
    pos: int
    expect: str = ""  # what the previous keyword makes the next token: service, load, prefix, base, graph, clear
    pending: str = ""  # a SERVICE/LOAD target waiting for the token that confirms it
    pending_resolved: bool = True
    prefix_name: str = ""
    prefixes: tuple[tuple[str, str], ...] = ()
    base: str = ""  # the BASE in force; the caller's default base until a BASE declaration


@dataclass
class _Scan:
    text: str
    predefined: Mapping[str, str]
    findings: set[Finding] = field(default_factory=set)


def scan(text: str, *, prefixes: Mapping[str, str] = {}, base: str = "") -> set[Finding]:  # never mutated
    """Every SERVICE and LOAD target, IRI, `GRAPH ?var` and `CLEAR/DROP ALL|NAMED` in `text`, on any reading.

    >>> sorted(f.target for f in scan("SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } }") if f.kind == "service")
    ['http://x/sparql']
    >>> [f.target for f in scan("PREFIX e: <http://e/> SELECT * { SERVICE e:q { } } # SERVICE <http://no/> {}")
    ...  if f.kind == "service"]
    ['http://e/q']

    Raises:
        ForbiddenError: the text is too convoluted to check.
    """
    findings: set[Finding] = set()
    texts = {text}
    unescaped = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    if unescaped != text:
        texts.add(unescaped)  # Oxigraph 0.5 does not unescape \u before parsing; a later version may
    for t in texts:
        findings |= _scan_one(_Scan(t, prefixes), base)
    return findings


def _scan_one(sc: _Scan, base: str) -> set[Finding]:
    seen: set[_State] = set()
    todo = [_State(0, base=base)]
    while todo:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        if len(seen) > _MAX_STATES:
            raise ForbiddenError("the query is too convoluted to check for SERVICE and LOAD targets")
        todo.extend(_step(sc, state))
    return sc.findings


def _step(sc: _Scan, st: _State) -> list[_State]:
    text, pos, n = sc.text, st.pos, len(sc.text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    if pos < n and text[pos] == "#":
        end = _line_end(text, pos)
        return [_replace(st, pos=end)]
    if pos >= n:
        _token(sc, st, "eof", "")
        return []
    c = text[pos]
    if c == "<":
        m = _IRI.match(text, pos)
        if m is None:
            return [_token(sc, st, "punct", "<", end=pos + 1)]
        iri_state = _token(sc, st, "iri", m.group(1), end=m.end())
        if "'" in m.group(1) or "#" in m.group(1):
            return [iri_state, _token(sc, st, "punct", "<", end=pos + 1)]  # also the less-than reading
        return [iri_state]
    if c in "'\"":
        return [_token(sc, st, "literal", "", end=_string_end(text, pos))]
    if c in "?$":
        m = _VAR.match(text, pos)
        if m:
            return [_token(sc, st, "var", m.group(0), end=m.end())]
        return [_token(sc, st, "punct", c, end=pos + 1)]
    if text.startswith("_:", pos):
        m = _BNODE.match(text, pos)
        assert m is not None
        return [_token(sc, st, "bnode", m.group(0), end=m.end())]
    m = _PNAME.match(text, pos) or _WORD.match(text, pos)
    if m is None or m.end() == pos:
        return [_token(sc, st, "punct", c, end=pos + 1)]
    word = m.group(0)
    if ":" in word:
        while word.endswith(".") and not word.endswith("\\."):
            word = word[:-1]  # a local name does not end with '.': that dot ends the triple
        kind = "pname"
    else:
        kind = "word"
    states = [_token(sc, st, kind, word, end=pos + len(word))]
    upper = word.upper()
    for keyword in _KEYWORDS:
        if upper.startswith(keyword) and len(word) > len(keyword):
            # the parser matches keywords without a word boundary: SERVICEs:x is SERVICE s:x
            states.append(_token(sc, st, "word", keyword, end=pos + len(keyword)))
    return states


def _token(sc: _Scan, st: _State, kind: str, value: str, *, end: int = -1) -> _State:
    """The state after one token, recording what the token completes."""
    nxt = _State(end, prefixes=st.prefixes, base=st.base)
    upper = value.upper() if kind == "word" else ""
    if st.pending:
        # a SERVICE target counts when a group follows; a LOAD target when INTO, ';' or the end follows
        confirms = (st.expect == "service-target" and value == "{") or (
            st.expect == "load-target" and (upper == "INTO" or value == ";" or kind == "eof")
        )
        if confirms:
            what: Kind = "service" if st.expect == "service-target" else "load"
            sc.findings.add(Finding(what, st.pending, st.pending_resolved))
    if kind in ("iri", "pname"):
        target, resolved = _resolve(sc, st, kind, value)
        if resolved:
            sc.findings.add(Finding("iri", target))
        if st.expect in ("service", "load"):
            return _replace(nxt, expect=st.expect + "-target", pending=target, pending_resolved=resolved)
        if st.expect == "prefix" and kind == "pname" and value.endswith(":"):
            return _replace(nxt, expect="prefix-iri", prefix_name=value[:-1])
        if st.expect == "prefix-iri" and kind == "iri":
            declared = (*(p for p in st.prefixes if p[0] != st.prefix_name), (st.prefix_name, target))
            return _replace(nxt, prefixes=declared)
        if st.expect == "base" and kind == "iri":
            return _replace(nxt, base=target)
        return nxt
    if kind == "var":
        if st.expect == "service":
            return _replace(nxt, expect="service-target", pending=value, pending_resolved=False)
        if st.expect == "graph":
            sc.findings.add(Finding("graph-var", value, resolved=False))
        return nxt
    if upper == "SILENT" and st.expect in ("service", "load", "clear"):
        return _replace(nxt, expect=st.expect)
    if upper in ("ALL", "NAMED") and st.expect == "clear":
        sc.findings.add(Finding("all-graphs", f"{upper}", resolved=False))
        return nxt
    keyword_expect = {
        "SERVICE": "service",
        "LOAD": "load",
        "PREFIX": "prefix",
        "BASE": "base",
        "GRAPH": "graph",
        "CLEAR": "clear",
        "DROP": "clear",
    }
    return _replace(nxt, expect=keyword_expect.get(upper, ""))


def _resolve(sc: _Scan, st: _State, kind: str, value: str) -> tuple[str, bool]:
    if kind == "iri":
        if st.base and not re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", value):
            return urljoin(st.base, value), True
        return value, bool(re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", value))
    prefix, _, local = value.partition(":")
    declared = dict(st.prefixes)
    namespace = declared.get(prefix, sc.predefined.get(prefix))
    if namespace is None:
        return value, False
    return namespace + re.sub(r"\\(.)", r"\1", local), True


def _replace(st: _State, **changes: object) -> _State:
    values = {f: getattr(st, f) for f in _State.__dataclass_fields__}
    values.update(changes)
    return _State(**values)


def _line_end(text: str, pos: int) -> int:
    ends = [i for i in (text.find("\n", pos), text.find("\r", pos)) if i >= 0]
    return min(ends) if ends else len(text)


def _string_end(text: str, pos: int) -> int:
    quote = text[pos]
    if text.startswith(quote * 3, pos):
        i = pos + 3
        while i < len(text):
            if text[i] == "\\":
                i += 2
            elif text.startswith(quote * 3, i):
                return i + 3
            else:
                i += 1
        return len(text)
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
        elif ch == quote or ch in "\r\n":
            return i + 1
        else:
            i += 1
    return len(text)


def check_remote(
    text: str, allowlist: Iterable[str], *, prefixes: Mapping[str, str], base: str = "", update: bool = False
) -> None:
    """Refuse SERVICE (and, in an update, LOAD) targets outside the allowlist, and `SERVICE ?var`.

    >>> check_remote("SELECT * { ?s ?p 'SERVICE <http://x/> {}' }", (), prefixes={})
    >>> check_remote("SELECT * { SERVICE <http://x/> {} }", ("http://x/",), prefixes={})

    Raises:
        ForbiddenError: a target is not on the allowlist, is a variable, or cannot be resolved.
    """
    allowed = tuple(a for a in allowlist if a)
    # a \u escape needs a backslash: without one the text is its own unescaped form, and one pass suffices
    unescaped = text if "\\" not in text else _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    folded = unescaped.upper()
    if "SERVICE" not in folded and not (update and "LOAD" in folded):
        return  # nothing to find: the common case costs one pass over the text, not a scan
    for f in sorted(scan(text, prefixes=prefixes, base=base), key=lambda f: (f.kind, f.target)):
        if f.kind not in ("service", "load") or (f.kind == "load" and not update):
            continue
        keyword = f.kind.upper()
        if not f.resolved:
            raise ForbiddenError(
                f"{keyword} {f.target} is refused: only IRIs on the configured allowlist can be reached, "
                "and a variable or an undeclared prefix cannot be checked"
            )
        if not f.target.startswith(allowed) or not allowed:
            offered = ", ".join(allowed) if allowed else "none (KG_SERVICE_ALLOWLIST is empty)"
            raise ForbiddenError(
                f"{keyword} <{f.target}> is refused: this endpoint reaches only IRIs starting with an "
                f"allowlisted prefix; allowed: {offered}"
            )


def check_graphs(text: str, protected: Iterable[str], *, prefixes: Mapping[str, str], base: str = "") -> None:
    """Refuse an update that names a protected graph, uses `GRAPH ?var`, or clears/drops ALL or NAMED graphs.

    >>> check_graphs("INSERT DATA { GRAPH <http://mine/g> { <a:s> <a:p> 1 } }", ["http://kg/graph/"], prefixes={})

    Raises:
        ForbiddenError: the update could touch a protected graph.
    """
    prefixes_ = tuple(protected)
    for f in scan(text, prefixes=prefixes, base=base):
        if f.kind == "iri" and f.target.startswith(prefixes_):
            raise ForbiddenError(
                f"the update names <{f.target}>, a curated graph loaded from the project's files; "
                "change the files and run `kg load` instead"
            )
        if f.kind == "graph-var":
            raise ForbiddenError(
                f"GRAPH {f.target} is refused in updates: it could reach the curated graphs; name the graph"
            )
        if f.kind == "all-graphs":
            raise ForbiddenError(f"CLEAR/DROP {f.target} is refused: it would reach the curated graphs")
