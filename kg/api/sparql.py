"""The SPARQL 1.1 Protocol: `/sparql` for queries (and the service description), `/update` when a token is set.

Queries are checked here (length, SERVICE targets, formats) and evaluated by the engine's worker processes,
which send back results already serialized by Oxigraph; this module only moves bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, StreamingResponse

from kg.accept import bare, choose
from kg.api.direct import DirectRoutes
from kg.api.form import parse_pairs
from kg.description import PREFIXES, service_description
from kg.engine import Answer, QueryEngine, QueryJob, engine_for
from kg.errors import (
    BadRequestError,
    NotAcceptableError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from kg.formats import GRAPH_FORMATS, RESULT_FORMATS, graph_format, result_format
from kg.guard import check_graphs, check_remote
from kg.iris import graph_iri
from kg.querying import prefixes
from kg.settings import Settings
from kg.stores import Store
from kg.tokens import check_bearer
from kg.wikidata.labels import rewrite_label_service

router = APIRouter(tags=["SPARQL"])
update_router = APIRouter(tags=["SPARQL"])

RESULT_TYPES = [bare(f.media_type) for f in RESULT_FORMATS.values()]  # JSON first: the default
GRAPH_TYPES = [bare(f.media_type) for f in GRAPH_FORMATS.values()]  # Turtle first: the default
FORM = "application/x-www-form-urlencoded"
CURATED = ("ontology/", "shapes/", "data/", "source/", "reference/", "provenance", "load")
OFFERED = (
    f"offered for SELECT/ASK: {', '.join(RESULT_TYPES)}; for CONSTRUCT/DESCRIBE: {', '.join(GRAPH_TYPES)}; "
    f"or ?format= one of {', '.join([*RESULT_FORMATS, *GRAPH_FORMATS])}"
)

_QUERY_PARAMS: list[dict[str, Any]] = [
    {"name": "query", "in": "query", "schema": {"type": "string"}, "description": "the SPARQL query"},
    {"name": "default-graph-uri", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
    {"name": "named-graph-uri", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
    {
        "name": "format",
        "in": "query",
        "schema": {"type": "string", "enum": [*RESULT_FORMATS, *GRAPH_FORMATS]},
        "description": "a format for browsers, instead of Accept (a short name or a media type)",
    },
]
_FORMATS_DOC: dict[str, dict[str, Any]] = {t: {} for t in [*RESULT_TYPES, *GRAPH_TYPES]}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "query results, in the negotiated format", "content": _FORMATS_DOC},
    400: {"description": "malformed query or request"},
    403: {"description": "SERVICE/LOAD target outside the allowlist"},
    406: {"description": "no acceptable format"},
    413: {"description": "query or body too long"},
    415: {"description": "unsupported Content-Type"},
    503: {"description": "time limit reached, engine failure, or all workers busy"},
}


def install(app: FastAPI) -> None:
    """Start the engine with the app, stop it with the app; offer /update only when a token is configured.

    Queries skip FastAPI's routing (kg/api/direct.py), which would cost them as much as a light query takes.
    """
    app.state.startup.append(_start_engine)
    app.state.shutdown.append(_stop_engine)
    app.add_middleware(DirectRoutes, routes={("GET", "/sparql"): sparql_get, ("POST", "/sparql"): sparql_post})
    if app.state.settings.update_token:
        app.include_router(update_router)


def _start_engine(app: FastAPI) -> None:
    engine = engine_for(app.state.store, app.state.settings)
    engine.start()
    app.state.engine = engine


def _stop_engine(app: FastAPI) -> None:
    engine: QueryEngine | None = getattr(app.state, "engine", None)
    if engine is not None:
        engine.close()


@router.get(
    "/sparql",
    summary="Query (GET), or the service description without a query",
    openapi_extra={"parameters": _QUERY_PARAMS},
    responses=_RESPONSES,
)
async def sparql_get(request: Request) -> Response:
    params = _url_params(request)
    if not _values(params, "query") and not _values(params, "update"):
        return await _describe(request)
    return await _query(request, params)


@router.post(
    "/sparql",
    summary="Query (POST, form-encoded or application/sparql-query)",
    openapi_extra={
        "parameters": _QUERY_PARAMS[1:],
        "requestBody": {
            "content": {
                FORM: {"schema": {"type": "object", "properties": {"query": {"type": "string"}}}},
                "application/sparql-query": {"schema": {"type": "string"}},
            }
        },
    },
    responses=_RESPONSES,
)
async def sparql_post(request: Request) -> Response:
    params = await _post_params(request, direct="application/sparql-query", field="query")
    if not _values(params, "query"):
        raise BadRequestError("no query: send the form field `query` or an application/sparql-query body")
    return await _query(request, params)


@update_router.post(
    "/update",
    summary="Update (needs Authorization: Bearer <token>)",
    status_code=204,
    openapi_extra={
        "requestBody": {
            "content": {
                FORM: {"schema": {"type": "object", "properties": {"update": {"type": "string"}}}},
                "application/sparql-update": {"schema": {"type": "string"}},
            }
        }
    },
)
async def sparql_update(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    _authorize(request, settings)
    params = await _post_params(request, direct="application/sparql-update", field="update")
    updates = _values(params, "update")
    if _values(params, "query"):
        raise BadRequestError("a request carries a query or an update, not both: queries go to /sparql")
    if len(updates) != 1:
        raise BadRequestError(f"the request must carry exactly one `update`, got {len(updates)}")
    if _values(params, "using-graph-uri") or _values(params, "using-named-graph-uri"):
        raise BadRequestError("using-graph-uri and using-named-graph-uri are not supported: write USING in the update")
    text = updates[0]
    _check_length(text, settings)
    known = prefixes(settings.base_iri)
    base = settings.base_iri
    check_remote(text, settings.service_allowlist, prefixes=known, base=base, update=True)
    check_graphs(text, [graph_iri(base, c) for c in CURATED], prefixes=known, base=base)
    engine: QueryEngine = request.app.state.engine
    await run_in_threadpool(engine.update, text)
    return Response(status_code=204)


# --- the protocol


async def _query(request: Request, params: Sequence[tuple[str, str]]) -> Response:
    settings: Settings = request.app.state.settings
    queries = _values(params, "query")
    if _values(params, "update"):
        raise BadRequestError(
            "updates are not accepted at /sparql (and never by GET): POST them to /update"
            if not queries
            else "a request carries a query or an update, not both"
        )
    if len(queries) > 1:
        raise BadRequestError(f"the request carries {len(queries)} `query` parameters; send exactly one")
    text = queries[0]
    _check_length(text, settings)
    # WDQS's label service is answered here, from our own labels: rewritten away before the guard looks
    text = rewrite_label_service(text, base=settings.base_iri)
    check_remote(text, settings.service_allowlist, prefixes=prefixes(settings.base_iri), base=settings.base_iri)
    results_type, graph_type = _negotiate(request, params)
    job = QueryJob(
        text=text,
        base=settings.base_iri,
        results_type=results_type,
        graph_type=graph_type,
        max_rows=settings.max_result_rows,
        default_graphs=tuple(_values(params, "default-graph-uri")),
        named_graphs=tuple(_values(params, "named-graph-uri")),
        offered=OFFERED,
    )
    engine: QueryEngine = request.app.state.engine
    answer = await engine.aquery(job)
    return _respond(answer, settings)


def _respond(answer: Answer, settings: Settings) -> Response:
    headers = {"Vary": "Accept"}
    if answer.truncated:
        headers["X-KG-Truncated"] = "true"
        headers["X-KG-Row-Limit"] = str(settings.max_result_rows)
    if len(answer.chunks) == 1:
        return Response(answer.chunks[0], media_type=answer.media_type, headers=headers)
    return StreamingResponse(iter(answer.chunks), media_type=answer.media_type, headers=headers)


def _negotiate(request: Request, params: Sequence[tuple[str, str]]) -> tuple[str | None, str | None]:
    """The media types to use for SELECT/ASK results and for graphs; None where nothing is acceptable."""
    formats = _values(params, "format")
    if len(formats) > 1:
        raise BadRequestError("give at most one `format`")
    if formats:
        rfmt, gfmt = result_format(formats[0]), graph_format(formats[0])
        if rfmt is None and gfmt is None:
            raise BadRequestError(f"unknown format {formats[0]!r}; {OFFERED}")
        return (bare(rfmt.media_type) if rfmt else None), (bare(gfmt.media_type) if gfmt else None)
    accept = request.headers.get("accept")
    results, graph = _accepted(accept)
    if results is None and graph is None:
        raise NotAcceptableError(f"Accept {accept!r} cannot be served; {OFFERED}")
    return results, graph


@lru_cache(maxsize=256)  # a client sends the same Accept every time; reading it again costs 25-80 µs
def _accepted(accept: str | None) -> tuple[str | None, str | None]:
    """The media types `accept` prefers for SELECT/ASK results and for graphs (None: none acceptable)."""
    results = choose(accept, RESULT_TYPES, canonical=_canonical_results)
    return results, choose(accept, GRAPH_TYPES, canonical=_canonical_graph)


def _canonical_results(media_type: str) -> str | None:
    fmt = ox.QueryResultsFormat.from_media_type(media_type)
    return bare(fmt.media_type) if fmt else None


def _canonical_graph(media_type: str) -> str | None:
    fmt = ox.RdfFormat.from_media_type(media_type)
    return bare(fmt.media_type) if fmt else None


async def _describe(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    accept = request.headers.get("accept")
    chosen = choose(accept, [*GRAPH_TYPES, "text/html"], canonical=_canonical_graph)
    if chosen is None:
        raise NotAcceptableError(
            f"Accept {accept!r} cannot be served for the service description; offered: {', '.join(GRAPH_TYPES)}"
        )
    if chosen == "text/html":
        return RedirectResponse("/query", status_code=303, headers={"Vary": "Accept"})
    fmt = ox.RdfFormat.from_media_type(chosen)
    assert fmt is not None
    store: Store = request.app.state.store
    graphs = await run_in_threadpool(lambda: [str(g.value) for g in store.named_graphs()])
    triples = service_description(
        str(request.url_for("sparql_get")),
        named_graphs=graphs,
        update=settings.update_token is not None,
        federated=bool(settings.service_allowlist),
        title=request.app.title,
    )
    body = ox.serialize(triples, format=fmt, prefixes=PREFIXES if fmt != ox.RdfFormat.JSON_LD else None)
    return Response(body, media_type=fmt.media_type, headers={"Vary": "Accept"})


# --- request details


async def _post_params(request: Request, *, direct: str, field: str) -> list[tuple[str, str]]:
    """The protocol parameters of a POST: URL parameters plus the form, or plus a direct body as `field`.

    Raises:
        UnsupportedMediaTypeError: the Content-Type is neither form-encoded nor `direct`, or not UTF-8.
        PayloadTooLargeError: the body is longer than max_body_bytes.
    """
    settings: Settings = request.app.state.settings
    content_type = request.headers.get("content-type", "")
    media = bare(content_type)
    charset = _charset(content_type)
    if media not in (FORM, direct):
        got = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
        raise UnsupportedMediaTypeError(f"{got} is not accepted here; send {FORM} or {direct}")
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaTypeError(f"charset {charset} is not accepted: SPARQL requests are UTF-8")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_body_bytes:
        raise PayloadTooLargeError(f"the body exceeds the limit of {settings.max_body_bytes} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():  # not request.body(): a chunked body has no length to check first
        size += len(chunk)
        if size > settings.max_body_bytes:
            raise PayloadTooLargeError(f"the body exceeds the limit of {settings.max_body_bytes} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequestError(f"the body is not UTF-8 (byte {e.start})") from None
    params = _url_params(request)
    if media == FORM:
        return [*params, *parse_pairs(text)]
    if _values(params, field):
        raise BadRequestError(f"a {direct} body carries the {field}; the URL must not carry another")
    return [*params, (field, text)]


def _url_params(request: Request) -> list[tuple[str, str]]:
    # what request.query_params holds (the same Latin-1 reading of the raw bytes), decoded in C
    return parse_pairs(request.scope["query_string"].decode("latin-1"))


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _values(params: Sequence[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in params if k == name]


def _check_length(text: str, settings: Settings) -> None:
    if len(text) > settings.max_query_length:
        raise PayloadTooLargeError(
            f"the text is {len(text)} characters long; the limit is {settings.max_query_length} (KG_MAX_QUERY_LENGTH)"
        )


def _authorize(request: Request, settings: Settings) -> None:
    check_bearer(request.headers.get("authorization"), settings.update_token or "", variable="KG_UPDATE_TOKEN")
