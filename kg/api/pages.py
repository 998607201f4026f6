"""Linked-data and human pages: /, /query, /id/…, /def/…, /graph/…, /.well-known/void, /export, /health, /static."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from kg.errors import NotAcceptableError, NotFoundError
from kg.languages import choose_language
from kg.pages import entity, graph_page, home, ontology, void
from kg.pages.html import Context, with_lang
from kg.pages.media import HTML, RDF_FORMATS, choose, rdf_format
from kg.pages.resources import Labels, description, exists, serialize
from kg.settings import Settings
from kg.stores import Store

router = APIRouter(tags=["pages"])

STATIC = Path(__file__).resolve().parent / "static"
VARY = {"Vary": "Accept, Accept-Language"}
EXPORT_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
EXPORT_BATCH = 20_000  # quads per chunk of a streamed N-Quads dump

FormatParam = Annotated[str | None, Query(alias="format", description="html, turtle, jsonld, ntriples, rdfxml…")]
LangParam = Annotated[str | None, Query(description="en, fr or ar; overrides Accept-Language")]


def install(app: FastAPI) -> None:
    """Serve the stylesheet, script and icon shipped in the package."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _context(request: Request, lang_param: str | None) -> Context:
    settings = _settings(request)
    lang = choose_language(lang_param, request.headers.get("accept-language"), settings.languages)
    return Context(lang=lang, base=settings.base_iri, labels=Labels(_store(request), lang))


def _html(text: str, lang: str) -> HTMLResponse:
    return HTMLResponse(text, headers={**VARY, "Content-Language": lang})


def _rdf(quads: list[ox.Quad], media: str, base: str) -> Response:
    fmt = rdf_format(media)
    return Response(serialize(quads, fmt, base), media_type=fmt.media_type, headers=VARY)


def _node(base: str, path: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(base + path)
    except ValueError:
        raise NotFoundError(f"/{path} is not a valid IRI path, so nothing is described there") from None


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


@router.get("/", response_class=HTMLResponse, summary="Home page: counts by class, map, admission rounds")
def home_page(request: Request, lang: LangParam = None) -> HTMLResponse:
    ctx = _context(request, lang)
    store = _store(request)
    graphs = sum(1 for _ in store.named_graphs())
    body = home.render_home(store, ctx, triples=len(store), graphs=graphs, query=_query(request))
    return _html(body, ctx.lang)


@router.get("/query", response_class=HTMLResponse, summary="Query page: editor, example questions, results")
def query_page(request: Request, lang: LangParam = None, query: str = "") -> HTMLResponse:
    ctx = _context(request, lang)
    return _html(home.render_query(ctx, initial=query, query=_query(request)), ctx.lang)


@router.get("/id/{path:path}", summary="A resource of the graph, as HTML or RDF by Accept or ?format=")
@router.head("/id/{path:path}", include_in_schema=False)  # one operation per path in OpenAPI: ids stay unique
def resource(request: Request, path: str, format: FormatParam = None, lang: LangParam = None) -> Response:
    settings, store = _settings(request), _store(request)
    node = _node(settings.base_iri, "id/" + path)
    media = choose(request.headers.get("accept"), format)
    if not path or not exists(store, node):
        raise NotFoundError(f"<{node.value}> is not described in this graph; the home page lists what is")
    if media != HTML:
        return _rdf(description(store, node), media, settings.base_iri)
    ctx = _context(request, lang)
    return _html(entity.render(store, node, ctx, path=request.url.path, query=_query(request)), ctx.lang)


@router.get("/def", include_in_schema=False)
def ontology_slash() -> RedirectResponse:
    return RedirectResponse("/def/", status_code=301)


@router.get("/def/", summary="The ontology: documentation page or RDF by Accept")
@router.head("/def/", include_in_schema=False)
def ontology_root(request: Request, format: FormatParam = None, lang: LangParam = None) -> Response:
    return _ontology(request, None, format, lang)


@router.get("/def/{path:path}", summary="An ontology module, term or concept")
@router.head("/def/{path:path}", include_in_schema=False)
def ontology_part(request: Request, path: str, format: FormatParam = None, lang: LangParam = None) -> Response:
    return _ontology(request, path, format, lang)


def _ontology(request: Request, path: str | None, format: str | None, lang: str | None) -> Response:
    settings, store = _settings(request), _store(request)
    base = settings.base_iri
    node = _node(base, "def/" + (path or ""))
    media = choose(request.headers.get("accept"), format)
    modules = ontology.modules(store, base)
    if node.value in modules:
        only = None if path is None else node.value
        if media != HTML:
            graphs = list(modules.values()) if only is None else [modules[node.value]]
            return _rdf(ontology.quads(store, graphs), media, base)
        ctx = _context(request, lang)
        text = ontology.render(store, ctx, only=only, path=request.url.path, query=_query(request))
        return _html(text, ctx.lang)
    if not exists(store, node):
        raise NotFoundError(f"<{node.value}> is not a term, module or concept of the ontology")
    if media != HTML:
        return _rdf(description(store, node), media, base)
    term = next((t for t in ontology.terms(store, base) if t.iri == node.value), None)
    if term is not None and term.kind != "concepts":
        # a class or property is documented on the ontology page, at its anchor
        target = f"/def/#{path}"
        if lang:
            target = with_lang(target, lang)
        return RedirectResponse(target, status_code=303, headers=VARY)
    ctx = _context(request, lang)
    return _html(entity.render(store, node, ctx, path=request.url.path, query=_query(request)), ctx.lang)


@router.get("/graph/{path:path}", summary="A named graph: what it holds and where it comes from")
@router.head("/graph/{path:path}", include_in_schema=False)
def graph(request: Request, path: str, format: FormatParam = None, lang: LangParam = None) -> Response:
    settings, store = _settings(request), _store(request)
    node = _node(settings.base_iri, "graph/" + path)
    media = choose(request.headers.get("accept"), format)
    if not any(True for _ in store.quads_for_pattern(None, None, None, node)) and not exists(store, node):
        raise NotFoundError(f"<{node.value}> is not a named graph of this store")
    if media != HTML:
        return _rdf(graph_page.describe(store, node), media, settings.base_iri)
    ctx = _context(request, lang)
    return _html(graph_page.render(store, node, ctx, path=request.url.path, query=_query(request)), ctx.lang)


@router.get("/.well-known/void", summary="VoID and DCAT description of the dataset")
def void_description(request: Request, format: FormatParam = None) -> Response:
    settings, store = _settings(request), _store(request)
    offers = [f.media_type for f in RDF_FORMATS if f not in EXPORT_FORMATS.values()]
    media = choose(request.headers.get("accept"), format, offers)
    server = str(request.base_url).rstrip("/")
    fmt = rdf_format(media)
    triples = void.describe(store, settings.base_iri, server)
    prefixes = void.PREFIXES if fmt != ox.RdfFormat.JSON_LD else None
    body = ox.serialize(triples, format=fmt, prefixes=prefixes)
    return Response(body, media_type=fmt.media_type, headers={"Vary": "Accept"})


@router.get("/export", summary="The whole store as a dump (N-Quads streamed, or TriG)")
def export(request: Request, format: Annotated[str, Query(alias="format")] = "nquads") -> Response:
    fmt = EXPORT_FORMATS.get(format)
    if fmt is None:
        raise NotAcceptableError(f"format {format!r} is not offered for dumps; try nquads or trig")
    store = _store(request)
    headers = {"Content-Disposition": f'attachment; filename="learning-cities.{fmt.file_extension}"'}
    if fmt is ox.RdfFormat.TRIG:
        return Response(store.dump(format=fmt), media_type=fmt.media_type, headers=headers)
    return StreamingResponse(_nquads(store), media_type=fmt.media_type, headers=headers)


def _nquads(store: Store) -> Iterator[bytes]:
    # N-Quads is line based, so serialized batches simply concatenate
    batch: list[ox.Quad] = []
    for quad in store.quads_for_pattern(None, None, None, None):
        batch.append(quad)
        if len(batch) >= EXPORT_BATCH:
            yield ox.serialize(batch, format=ox.RdfFormat.N_QUADS) or b""
            batch = []
    if batch:
        yield ox.serialize(batch, format=ox.RdfFormat.N_QUADS) or b""


@router.get("/health", summary="Liveness: the store answers, with its size")
def health(request: Request) -> JSONResponse:
    store = getattr(request.app.state, "store", None)
    if store is None:
        return JSONResponse({"status": "unavailable", "detail": "the store is not open"}, status_code=503)
    try:
        triples = len(store)
        graphs = sum(1 for _ in store.named_graphs())
    except OSError as e:
        return JSONResponse({"status": "unavailable", "detail": f"the store cannot be read: {e}"}, status_code=503)
    return JSONResponse({"status": "ok", "triples": triples, "graphs": graphs})
