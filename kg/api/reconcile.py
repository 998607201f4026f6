"""/reconcile: the W3C Reconciliation Service API, version 0.2 (what OpenRefine speaks), over our entities.

GET /reconcile gives the manifest; `queries=` (GET or POST form) reconciles a batch; `extend=` extends
reconciled rows with country, Wikidata id and year joined; /reconcile/preview, /reconcile/suggest/{entity,
type,property} and /reconcile/extend/propose complete the protocol. Responses carry CORS headers; JSONP is not
offered (a `callback` parameter is refused), since CORS serves every browser OpenRefine runs in.
"""

from __future__ import annotations

import html
import json
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from kg import __version__
from kg.errors import BadRequestError, NotFoundError
from kg.settings import Settings
from kg.wikidata import ENTITY
from kg.wikidata.reconcile import PROPERTIES, TYPES, Candidate, ReconciliationIndex

router = APIRouter(prefix="/reconcile", tags=["reconciliation"])

SPEC = "https://reconciliation-api.github.io/specs/0.2/"
MAX_BATCH = 1000
MAX_LIMIT = 100
PREVIEW_WIDTH, PREVIEW_HEIGHT = 400, 140

TextParam = Annotated[str | None, Query()]


def install(app: FastAPI) -> None:
    """Build the candidate index at start-up, after the store is open."""
    app.state.startup.append(refresh_index)


def refresh_index(app: FastAPI) -> None:
    """(Re)build the reconciliation index from the store; call again after the store changes."""
    settings: Settings = app.state.settings
    app.state.reconciliation = ReconciliationIndex.from_store(app.state.store, settings.base_iri)


def _index(request: Request) -> ReconciliationIndex:
    index: ReconciliationIndex | None = getattr(request.app.state, "reconciliation", None)
    if index is None:
        refresh_index(request.app)
        index = request.app.state.reconciliation
    assert index is not None
    return index


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _cors(request: Request) -> dict[str, str]:
    origins = _settings(request).cors_origins
    if "*" in origins:
        return {"Access-Control-Allow-Origin": "*"}
    origin = request.headers.get("origin")
    if origin and origin in origins:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {}


def _json(request: Request, body: object) -> JSONResponse:
    return JSONResponse(body, headers=_cors(request))


def _no_jsonp(request: Request) -> None:
    if "callback" in request.query_params:
        raise BadRequestError(
            "JSONP is not offered: drop the 'callback' parameter; this service sends CORS headers, which "
            f"OpenRefine and browsers use instead ({SPEC})"
        )


def _service_url(request: Request) -> str:
    return str(request.url_for("reconcile_get")).rstrip("/")


def manifest(request: Request) -> dict[str, Any]:
    """The service manifest (0.2): name, spaces, view/preview templates, suggest and extend services."""
    base = _settings(request).base_iri
    service = _service_url(request)
    return {
        "versions": ["0.2"],
        "name": "Learning Cities Knowledge Graph",
        "identifierSpace": base + "id/",
        "schemaSpace": base + "def/",
        "documentation": str(request.base_url) + "docs#/reconciliation",
        "serviceVersion": __version__,
        "defaultTypes": [{"id": k, "name": v} for k, v in TYPES.items()],
        "view": {"url": base + "id/{{id}}"},
        "preview": {"url": service + "/preview?id={{id}}", "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
        "suggest": {
            "entity": {"service_url": service, "service_path": "/suggest/entity"},
            "type": {"service_url": service, "service_path": "/suggest/type"},
            "property": {"service_url": service, "service_path": "/suggest/property"},
        },
        "extend": {
            "propose_properties": {"service_url": service, "service_path": "/extend/propose"},
            "property_settings": [],
        },
    }


@router.get("", name="reconcile_get", summary="Manifest, or a reconciliation / extension batch")
def reconcile_get(request: Request, queries: TextParam = None, extend: TextParam = None) -> JSONResponse:
    _no_jsonp(request)
    return _dispatch(request, queries, extend)


@router.post("", summary="A reconciliation or extension batch (form fields queries= or extend=)")
def reconcile_post(
    request: Request,
    queries: Annotated[str | None, Form()] = None,
    extend: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    _no_jsonp(request)
    return _dispatch(request, queries, extend)


@router.options("", include_in_schema=False)
@router.options("/{path:path}", include_in_schema=False)
def preflight(request: Request, path: str = "") -> Response:
    headers = {
        **_cors(request),
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Accept",
        "Access-Control-Max-Age": "86400",
    }
    return Response(status_code=204, headers=headers)


def _dispatch(request: Request, queries: str | None, extend: str | None) -> JSONResponse:
    if queries is not None and extend is not None:
        raise BadRequestError("send either 'queries' (reconciliation) or 'extend' (data extension), not both")
    if queries is not None:
        return _json(request, reconcile_batch(_index(request), _parse(queries, "queries")))
    if extend is not None:
        return _json(request, extend_rows(_index(request), _parse(extend, "extend")))
    return _json(request, manifest(request))


def _parse(text: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadRequestError(f"'{name}' is not JSON: {e.msg} at character {e.pos} ({SPEC})") from None
    if not isinstance(value, dict):
        raise BadRequestError(f"'{name}' must be a JSON object ({SPEC})")
    return value


def reconcile_batch(index: ReconciliationIndex, batch: dict[str, Any]) -> dict[str, Any]:
    """{"q0": {"query": …, "type"?: …, "limit"?: …, "properties"?: [{"pid", "v"}]}} → {"q0": {"result": […]}}.

    Raises:
        BadRequestError: the batch is too large or a query is malformed (the key is named).
    """
    if len(batch) > MAX_BATCH:
        raise BadRequestError(f"a batch holds at most {MAX_BATCH} queries, this one {len(batch)}")
    out: dict[str, Any] = {}
    for key, q in batch.items():
        if not isinstance(q, dict) or not isinstance(q.get("query"), str) or not q["query"].strip():
            raise BadRequestError(f"query {key!r} needs a non-empty string 'query' ({SPEC})")
        type_id = q.get("type")
        if type_id is not None and (not isinstance(type_id, str) or type_id not in TYPES):
            raise BadRequestError(f"query {key!r}: unknown type {type_id!r}; types: {', '.join(TYPES)}")
        limit = q.get("limit", 5)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= MAX_LIMIT:
            raise BadRequestError(f"query {key!r}: 'limit' must be an integer from 1 to {MAX_LIMIT}")
        properties = q.get("properties") or []
        if not isinstance(properties, list) or not all(isinstance(p, dict) and "pid" in p for p in properties):
            raise BadRequestError(f'query {key!r}: \'properties\' must be a list of {{"pid", "v"}} objects')
        scored = index.reconcile(q["query"], type_id=type_id, properties=properties, limit=limit)
        out[key] = {
            "result": [
                {
                    "id": s.candidate.id,
                    "name": s.candidate.name,
                    "description": _short(s.candidate.description),
                    "score": s.score,
                    "match": s.match,
                    "type": [{"id": t, "name": TYPES[t]} for t in sorted(s.candidate.types)],
                }
                for s in scored
            ]
        }
    return out


def extend_rows(index: ReconciliationIndex, query: dict[str, Any]) -> dict[str, Any]:
    """{"ids": […], "properties": [{"id": …}]} → {"meta": […], "rows": {id: {pid: [values]}}}.

    Raises:
        BadRequestError: malformed request or an unknown property (the known ones are named).
    """
    ids, props = query.get("ids"), query.get("properties")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequestError(f"'extend' needs 'ids', a list of entity ids ({SPEC})")
    if not isinstance(props, list) or not all(isinstance(p, dict) and isinstance(p.get("id"), str) for p in props):
        raise BadRequestError(f"'extend' needs 'properties', a list of {{\"id\": …}} objects ({SPEC})")
    unknown = [p["id"] for p in props if p["id"] not in PROPERTIES]
    if unknown:
        raise BadRequestError(f"unknown properties {unknown}; this service extends with {', '.join(PROPERTIES)}")
    meta: list[dict[str, Any]] = []
    for p in props:
        entry: dict[str, Any] = {"id": p["id"], "name": PROPERTIES[p["id"]]}
        if p["id"] == "country":
            entry["type"] = {"id": "Country", "name": TYPES["Country"]}
        meta.append(entry)
    rows: dict[str, Any] = {}
    for i in ids:
        c = index.candidates.get(i)
        rows[i] = {p["id"]: _values(index, c, p["id"]) if c else [] for p in props}
    return {"meta": meta, "rows": rows}


def _values(index: ReconciliationIndex, c: Candidate, pid: str) -> list[dict[str, Any]]:
    if pid == "country":
        return [{"id": cid, "name": name} for cid, name in sorted(c.countries.items())]
    if pid == "wikidata":
        return [{"str": c.wikidata}] if c.wikidata else []
    return [{"int": c.year_joined}] if c.year_joined is not None else []


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


@router.get("/preview", response_class=HTMLResponse, summary="A small HTML card for one entity")
def preview(request: Request, id: Annotated[str, Query()]) -> HTMLResponse:
    _no_jsonp(request)
    c = _index(request).candidates.get(id)
    if c is None:
        raise NotFoundError(f"no reconcilable entity has the id {id!r}")
    facts = []
    if c.countries:
        facts.append("Country: " + ", ".join(html.escape(n) for n in sorted(c.countries.values())))
    if c.year_joined is not None:
        facts.append(f"Joined: {c.year_joined}")
    if c.wikidata:
        facts.append(f'Wikidata: <a href="{ENTITY}{c.wikidata}" target="_blank">{c.wikidata}</a>')
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>'
        f"{html.escape(c.name)}</title></head>"
        '<body style="font:14px sans-serif;margin:6px">'
        f'<strong><a href="{html.escape(c.iri)}" target="_blank">{html.escape(c.name)}</a></strong> '
        f"<small>{html.escape(', '.join(TYPES[t] for t in sorted(c.types)))}</small>"
        f"<p>{html.escape(_short(c.description, 240))}</p>"
        f"<p>{' · '.join(facts)}</p></body></html>"
    )
    return HTMLResponse(body, headers=_cors(request))


@router.get("/suggest/entity", summary="Entities whose name begins with (or contains) the prefix")
def suggest_entity(
    request: Request, prefix: Annotated[str, Query()], cursor: Annotated[int, Query(ge=0)] = 0
) -> JSONResponse:
    _no_jsonp(request)
    found = _index(request).suggest(prefix, limit=cursor + 10)[cursor:]
    result = [{"id": c.id, "name": c.name, "description": _short(c.description, 120)} for c in found]
    return _json(request, {"result": result})


@router.get("/suggest/type", summary="Types whose name begins with the prefix")
def suggest_type(request: Request, prefix: Annotated[str, Query()]) -> JSONResponse:
    _no_jsonp(request)
    wanted = prefix.casefold()
    result = [{"id": k, "name": v} for k, v in TYPES.items() if wanted in v.casefold() or wanted in k.casefold()]
    return _json(request, {"result": result})


@router.get("/suggest/property", summary="Properties whose name begins with the prefix")
def suggest_property(request: Request, prefix: Annotated[str, Query()]) -> JSONResponse:
    _no_jsonp(request)
    wanted = prefix.casefold()
    result = [{"id": k, "name": v} for k, v in PROPERTIES.items() if wanted in v.casefold() or wanted in k.casefold()]
    return _json(request, {"result": result})


@router.get("/extend/propose", summary="Properties this service can add to reconciled rows of a type")
def propose(request: Request, type: Annotated[str, Query()], limit: Annotated[int, Query(ge=1)] = 10) -> JSONResponse:
    _no_jsonp(request)
    if type not in TYPES:
        raise BadRequestError(f"unknown type {type!r}; types: {', '.join(TYPES)}")
    properties = [{"id": k, "name": v} for k, v in PROPERTIES.items()][:limit]
    return _json(request, {"type": type, "properties": properties, "limit": limit})
