"""GET /validate (the upload page) and POST /validate: a SHACL report on submitted data, stored nowhere.

The body is the data itself (its Content-Type names the format) or a form (multipart/form-data or
urlencoded): a `file`, or a `data` text field, with an optional `format` (a media type, or `auto`). The
answer follows Accept: a JSON summary (default), the SHACL report as Turtle or JSON-LD, or an HTML page;
messages follow Accept-Language (or ?lang=) in en/fr/ar.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

from kg.errors import (
    BadRequestError,
    DataSyntaxError,
    NotAcceptableError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from kg.languages import choose_language
from kg.pages.html import page
from kg.parsing import (
    ParsedData,
    accepted_media_types,
    format_for_filename,
    format_for_media_type,
    parse_data,
    to_rdflib,
)
from kg.reports import Report, summary
from kg.reports.html import body as page_body
from kg.reports.html import t
from kg.settings import Settings
from kg.vetting import Rules, load_rules, vet

router = APIRouter(tags=["validation"])

SUMMARY = "application/json"
TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
HTML = "text/html"
OFFERS = (SUMMARY, TURTLE, JSON_LD, HTML)  # in order of preference when Accept allows several equally
VARY = {"Vary": "Accept, Accept-Language"}
_RULES_LOCK = threading.Lock()


@dataclass(frozen=True)
class Upload:
    data: bytes
    format: ox.RdfFormat
    source: str  # how messages name it: the uploaded file's name, or "the body"
    fields: Mapping[str, str]  # the other form fields (such as `submitter`)


def install(app: FastAPI) -> None:
    """Load the shapes and the ontology at start-up rather than on the first request."""
    app.state.startup.append(rules)


def rules(app: FastAPI) -> Rules:
    """The shapes and ontology, loaded once per app."""
    with _RULES_LOCK:
        loaded: Rules | None = getattr(app.state, "validation_rules", None)
        if loaded is None:
            settings: Settings = app.state.settings
            loaded = load_rules(settings.project_root, settings.base_iri)
            app.state.validation_rules = loaded
        return loaded


def negotiate(accept: str | None, offers: tuple[str, ...] = OFFERS) -> str:
    """The media type to answer with: the best Accept match; no Accept or */* gets the first offer.

    >>> negotiate("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    'text/html'
    >>> negotiate("text/turtle;q=0.5, application/ld+json")
    'application/ld+json'
    >>> negotiate(None)
    'application/json'

    Raises:
        NotAcceptableError: nothing offered is acceptable.
    """
    best, best_key = None, (0.0, 0, 0)
    ranges = []
    for part in (accept or "*/*").split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        q = next((_float(p.partition("=")[2]) for p in params if p.startswith("q=")), 1.0)
        if media:
            ranges.append((media, q, 0 if media == "*/*" else 1 if media.endswith("/*") else 2))
    for rank, offer in enumerate(offers):
        matching = [(spec, q) for media, q, spec in ranges if media in (offer, "*/*") or offer.startswith(media[:-1])]
        if not matching:
            continue
        spec, q = max(matching)  # the most specific range decides (RFC 9110 §12.5.1)
        key = (q, spec, -rank)
        if q > 0 and (best is None or key > best_key):
            best, best_key = offer, key
    if best is None:
        raise NotAcceptableError(f"Accept {accept!r} cannot be served by /validate; try {', '.join(offers)}")
    return best


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


async def read_upload(request: Request, limit: int) -> Upload:
    """The submitted data and its format, from a plain body or a multipart form, read up to `limit` bytes.

    Raises:
        PayloadTooLargeError: the body is (or says it is) larger than `limit`; reading stops at the limit.
        UnsupportedMediaTypeError: the Content-Type (or the uploaded file's type and name) is no RDF format.
        BadRequestError: a form without data, or a malformed one.
    """
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        fmt = format_for_media_type(content_type or None)  # 415 before reading anything
        return Upload(await read_body(request, limit), fmt, "the body", {})
    raw = await read_body(request, limit)

    async def replay() -> AsyncGenerator[bytes, None]:
        yield raw

    try:
        if kind == "multipart/form-data":
            parser = MultiPartParser(request.headers, replay(), max_files=1, max_fields=16, max_part_size=limit)
            form = await parser.parse()
        else:
            form = await FormParser(request.headers, replay(), max_fields=16, max_part_size=limit).parse()
    except MultiPartException as e:
        raise BadRequestError(f"the {kind} body is malformed: {e.message}") from None
    try:
        return await _from_form(form)
    finally:
        await form.close()  # uploaded files are spooled to temporary files


async def _from_form(form: FormData) -> Upload:
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    chosen = fields.get("format", "auto").strip() or "auto"
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        name = upload.filename
        fmt = _form_format(chosen) or _file_format(upload.content_type, name)
    elif fields.get("data", "").strip():
        data, name = fields["data"].encode("utf-8"), "the pasted data"
        fmt = _form_format(chosen) or ox.RdfFormat.TURTLE
    else:
        raise BadRequestError("the form holds no data: upload a `file` or fill in the `data` field")
    return Upload(data, fmt, name, fields)


def _form_format(chosen: str) -> ox.RdfFormat | None:
    return None if chosen == "auto" else format_for_media_type(chosen)


def _file_format(content_type: str | None, name: str) -> ox.RdfFormat:
    try:
        return format_for_media_type(content_type)
    except UnsupportedMediaTypeError:  # browsers send .ttl as application/octet-stream: the name decides
        fmt = format_for_filename(name)
        if fmt is None:
            return format_for_media_type(content_type)  # raises, naming the accepted types
        return fmt


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it passes `limit` bytes (by Content-Length, or while streaming)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise PayloadTooLargeError(f"the body is {length} bytes; the limit is {limit} (KG_MAX_BODY_BYTES)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"the body is over the limit of {limit} bytes (KG_MAX_BODY_BYTES)")
        chunks.append(chunk)
    return b"".join(chunks)


def vet_upload(app: FastAPI, upload: Upload) -> tuple[ParsedData, Report]:
    """Parse and validate an upload against the shapes and the app's store (blocking: run in a thread).

    Raises:
        BadRequestError, DataSyntaxError: see `kg.parsing.parse_data`.
    """
    parsed = parse_data(upload.data, upload.format, source=upload.source)
    notes: tuple[str, ...] = ()
    if parsed.graph_names:
        notes = (f"the {parsed.graph_names} named graph(s) in the data were merged into one graph",)
    return parsed, vet(to_rdflib(parsed.triples), rules(app), store=app.state.store, notes=notes)


def language(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return choose_language(request.query_params.get("lang"), request.headers.get("accept-language"), settings.languages)


def render(report: Report, media: str, lang: str, *, status: int = 200) -> Response:
    """The report in the negotiated form."""
    headers = {**VARY, "Content-Language": lang}
    if media == TURTLE:
        return Response(report.graph.serialize(format="turtle"), status, headers, media_type=TURTLE)
    if media == JSON_LD:
        return Response(report.graph.serialize(format="json-ld"), status, headers, media_type=JSON_LD)
    if media == HTML:
        return HTMLResponse(_page(lang, report=report), status, headers)
    return JSONResponse(summary(report, lang), status, headers)


def _page(lang: str, *, report: Report | None = None, error: str | None = None, data: str = "") -> str:
    return page(
        title=t("title", lang),
        body=page_body(lang, report=report, error=error, data=data),
        lang=lang,
        path="/validate",
    )


@router.get("/validate", response_class=HTMLResponse, summary="The validation page: an upload form")
def validation_page(request: Request) -> HTMLResponse:
    lang = language(request)
    return HTMLResponse(_page(lang), headers={**VARY, "Content-Language": lang})


@router.post(
    "/validate",
    summary="Validate RDF about learning cities (nothing is stored)",
    description="Send the data as the body (Content-Type: " + ", ".join(accepted_media_types()) + ") or as a "
    "multipart/form-data upload. Answers with a JSON summary, the SHACL report (text/turtle, "
    "application/ld+json) or an HTML page, by Accept.",
)
async def validate_data(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    media = negotiate(request.headers.get("accept"))
    lang = language(request)
    upload: Upload | None = None
    try:
        upload = await read_upload(request, settings.max_body_bytes)
        _, report = await run_in_threadpool(vet_upload, request.app, upload)
    except (BadRequestError, DataSyntaxError) as e:
        if media != HTML:
            raise
        pasted = upload.fields.get("data", "") if upload is not None else ""
        return HTMLResponse(_page(lang, error=e.detail, data=pasted), 400, {**VARY, "Content-Language": lang})
    return render(report, media, lang)
