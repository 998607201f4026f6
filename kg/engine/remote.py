"""The query engine for an external store: each query goes to the store, within the time limit.

The store evaluates; its answer is parsed as it arrives and written again in the negotiated format by the same
code the worker processes use (`kg.engine.answering.serialize`), so the row cap and the formats behave alike on
both kinds of store. Reading stops at the row cap, and leaving the answer unread closes the connection, which
stops a store that streams (Oxigraph does). No worker process is needed: the store, not this process, runs the
query, and the time limit is kept by closing the connection (kg/remote.py).

What a worker process does for the embedded store, dying in place of the API, nothing does for an external
one: a query that crashes its parser would take the store down for everyone. So queries nested deeper than
`MAX_NESTING` are refused here, before anything is sent (`nesting_depth`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache

import anyio.to_thread
import pyoxigraph as ox

from kg.engine.answering import chunked, serialize
from kg.engine.messages import Answer, QueryJob
from kg.errors import BadRequestError, QueryFailedError, QuerySyntaxError
from kg.querying import evaluate, prefixes
from kg.stores.remote import RemoteDataset

# Oxigraph's server (0.5) crashes from about 3,000 nested groups, 6,000 nested parentheses or quoted triples
MAX_NESTING = 1_000

_OPEN, _CLOSE = "({[", ")}]"
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")  # SPARQL 1.1, 19.2
_IRI_STOP = re.compile(r"[>\x00-\x20]")  # what ends an IRI's reading: its '>', or white space (no IRI)
_LEXICAL = {"code": "#'\"<\\", "iri": ">", "comment": "\r\n", "short": "\\\r\n", "long": "\\"}  # what ends or forks one
_State = tuple[str, str, int]  # mode (code, iri, comment, short, long), its quote, characters still to pass over
_CODE: _State = ("code", "", 0)


class RemoteEngine:
    """Same calls as `kg.engine.Engine`, answered by an external store."""

    def __init__(self, store: RemoteDataset, *, base: str) -> None:
        self.store = store
        self.base = base

    def start(self) -> None:
        """Fail at start-up, with the store's own error, when it cannot be reached."""
        evaluate(self.store, "ASK {}", base=self.base)

    def close(self) -> None:
        pass

    def refresh(self) -> None:
        """Nothing to refresh: every query reads the store itself."""

    def wait_ready(self, count: int | None = None, timeout: float = 30.0) -> None:
        pass

    def pids(self) -> list[int]:
        return []

    def query(self, job: QueryJob) -> Answer:
        """Raises:
        BadRequestError: the query nests too deep, or names a malformed graph IRI.
        QuerySyntaxError: the store found the query malformed.
        QueryTimeoutError: the limit passed; the connection was closed.
        NotAcceptableError, RemoteStoreError, RemoteUnavailableError.
        """
        check_nesting(job.text)
        try:
            with self.store.streamed(
                job.text,
                base_iri=job.base,  # relative IRIs resolve against the graph's base, as in the workers
                prefixes=prefixes(job.base),
                use_default_graph_as_union=job.union_default and not job.default_graphs,
                default_graph=[ox.NamedNode(g) for g in job.default_graphs] or None,
                named_graphs=[ox.NamedNode(g) for g in job.named_graphs] or None,
            ) as results:
                media_type, truncated, form, body = serialize(results, job)
        except SyntaxError as e:
            raise QuerySyntaxError(f"the query does not parse: {e}") from None
        except ValueError as e:  # a graph IRI that is no IRI, as the workers report it
            raise BadRequestError(str(e)) from None
        except (OSError, RuntimeError) as e:
            raise QueryFailedError(f"the evaluation failed: {e}") from None
        return Answer(media_type, tuple(chunked(body)), truncated, form)

    async def aquery(self, job: QueryJob) -> Answer:
        return await anyio.to_thread.run_sync(self.query, job)

    def update(self, text: str) -> None:
        """Raises:
        BadRequestError: the update nests too deep.
        QuerySyntaxError: the store found the update malformed.
        """
        check_nesting(text)
        try:
            self.store.update(text, base_iri=self.base, prefixes=prefixes(self.base))
        except SyntaxError as e:
            raise QuerySyntaxError(f"the update does not parse: {e}") from None


def check_nesting(text: str, limit: int = MAX_NESTING) -> None:
    """Refuse SPARQL text whose brackets may nest deeper than `limit`.

    >>> check_nesting("SELECT * WHERE { { ?s ?p ?o } }")
    >>> check_nesting("ASK " + "{" * 1500 + "}" * 1500)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    kg.errors.BadRequestError: the text nests brackets up to 1500 deep; the limit is 1000...

    Raises:
        BadRequestError: the depth may exceed the limit.
    """
    readings = [text]
    if "\\u" in text or "\\U" in text:  # a store may read \u escapes before it parses (Jena does, Oxigraph 0.5 not)
        readings.append(_CODEPOINT.sub(_codepoint, text))
    for reading in readings:
        if sum(reading.count(c) for c in _OPEN) + reading.count("<<") <= limit:
            continue  # fewer openers than the limit: no need to look closer (the common case)
        depth = nesting_depth(reading)
        if depth > limit:
            raise BadRequestError(
                f"the text nests brackets up to {depth} deep; the limit is {limit}, since deeper nesting can crash "
                "the external store's parser (brackets in strings and comments count too): nest less deeply"
            )


def _codepoint(escape: re.Match[str]) -> str:
    code = int(escape.group(1) or escape.group(2), 16)
    return chr(code) if code <= 0x10FFFF else "\ufffd"  # beyond Unicode: no bracket, whatever a store makes of it


def nesting_depth(text: str) -> int:
    """How deep ( ), { }, [ ] and << >> nest in SPARQL text: never less than the parser's depth, maybe more.

    The text is read the way a SPARQL parser may read it, on every reading at once: `<` opens an IRI (when a
    `>` comes before any white space, which no IRI holds) or is the less-than operator, `\\` in a name may
    escape the next character, and quotes and `#` start strings and comments. An opening bracket counts when
    any reading takes it as code; a closing one only when every reading does. So a bracket in a string, a
    comment or an IRI can only raise the count, and a closing bracket that might not be one (which could hide
    depth) never lowers it: the count is an upper bound.

    >>> nesting_depth("SELECT * { ?s ?p '}}}' . FILTER((?o)) }")
    3
    >>> nesting_depth("SELECT * { ?s <http://x/)> ?o { { } } }")
    3
    """
    stops = [m.start() for m in _IRI_STOP.finditer(text)]
    depth = deepest = 0
    states = frozenset({_CODE})
    closed_pair = -1  # where a counted `>>` ends, so that `>>>` is not two of them
    i, n = 0, len(text)
    while i < n:
        boring = _boring(states)
        if boring is not None and (run := boring.match(text, i)):
            i = run.end()  # nothing in it changes a reading or the count
            continue
        c = text[i]
        if _CODE in states and (c in _OPEN or (c == "<" and text.startswith("<", i + 1))):
            depth += 1
            deepest = max(deepest, depth)
        elif states == {_CODE} and (c in _CLOSE or (c == ">" and text.startswith(">", i + 1) and i > closed_pair)):
            depth -= 1
            closed_pair = i + 1 if c == ">" else closed_pair
        if boring is not None and c in _OPEN + _CLOSE:  # a bracket leaves every reading where it is
            i += 1
            continue
        iri = c == "<" and (k := bisect_right(stops, i)) < len(stops) and text[stops[k]] == ">"
        states = frozenset(after for state in states for after in _step(text, i, state, iri=iri))
        i += 1
    return deepest


def _step(text: str, i: int, state: _State, *, iri: bool) -> tuple[_State, ...]:
    """The lexical states after character `i`, from `state`: one, or two where the readings fork.

    `iri`: the character is a `<` that may open an IRI.
    """
    mode, quote, skip = state
    if skip:
        return ((mode, quote, skip - 1),)
    c = text[i]
    if mode == "code":
        if c == "#":
            return (("comment", "", 0),)
        if c in "'\"":
            return (("long", c, 2),) if text.startswith(c * 3, i) else (("short", c, 0),)
        if iri:
            return (_CODE, ("iri", "", 0))
        if c == "\\":
            return (_CODE, ("code", "", 1))  # a local name's escape (ex:a\)) takes the next character
        return (_CODE,)
    if mode == "iri":
        return (_CODE,) if c == ">" else (state,)
    if mode == "comment":
        return (_CODE,) if c in "\r\n" else (state,)
    if c == "\\":
        return ((mode, quote, 1),)
    if mode == "short":
        # a newline ends the string's reading too: the parser fails there, and reads nothing beyond
        return (_CODE,) if c == quote or c in "\r\n" else (state,)
    return (("code", "", 2),) if text.startswith(quote * 3, i) else (state,)


@cache
def _boring(states: frozenset[_State]) -> re.Pattern[str] | None:
    """A run of characters that changes none of these readings, nor the count; None while one passes over some."""
    if any(skip for _, _, skip in states):
        return None
    stop = {c for mode, quote, _ in states for c in _LEXICAL[mode] + quote}
    if _CODE in states:
        stop |= set(_OPEN + _CLOSE + "<>")
    return re.compile(f"[^{re.escape(''.join(sorted(stop)))}]+")
