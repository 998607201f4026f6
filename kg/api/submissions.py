"""POST /submissions (bearer token): validate, and store only data without violations; list, show, withdraw.

Stored data is visible to /sparql at once: after each write the app's `on_write(graph_iri)` hook is called
when one is installed, else the query engine takes a new snapshot of the store (`Engine.refresh`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kg.api.validate import Upload, language, read_upload, rules, vet_upload
from kg.errors import ForbiddenError
from kg.reports import summary
from kg.settings import Settings
from kg.submissions import (
    Submission,
    get_submission,
    list_submissions,
    store_submission,
    stored_report,
    withdraw,
)
from kg.tokens import check_bearer

router = APIRouter(tags=["submissions"])

MAX_SUBMITTER = 200  # characters


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _authorize(request: Request) -> None:
    """
    Raises:
        ForbiddenError: the server has no submission token, so it takes no submissions.
        UnauthorizedError: the request has no bearer token, or the wrong one.
    """
    token = _settings(request).submit_token
    if token is None:
        raise ForbiddenError("this server takes no submissions: it has no KG_SUBMIT_TOKEN")
    check_bearer(request.headers.get("authorization"), token, variable="KG_SUBMIT_TOKEN")


def _submitter(request: Request, upload: Upload) -> str:
    raw = upload.fields.get("submitter") or request.headers.get("x-submitter") or "anonymous"
    printable = "".join(ch for ch in raw if ch.isprintable()).strip()
    return printable[:MAX_SUBMITTER] or "anonymous"


def _notify(app: FastAPI, graph: str) -> None:
    """Let the query side know the store changed, so /sparql sees the write at once."""
    hook = getattr(app.state, "on_write", None)
    if hook is not None:
        hook(graph)
        return
    engine = getattr(app.state, "engine", None)
    if engine is not None:
        engine.refresh()


@router.post(
    "/submissions",
    status_code=201,
    summary="Submit RDF about learning cities: stored in a graph of its own when it has no violation",
)
async def submit(request: Request) -> Response:
    _authorize(request)
    settings = _settings(request)
    lang = language(request)
    upload = await read_upload(request, settings.max_body_bytes)
    parsed, report = await run_in_threadpool(vet_upload, request.app, upload)
    if not report.conforms:
        body: dict[str, Any] = {
            "type": "/problems/not-conforming",
            "title": "Data does not conform",
            "status": 422,
            "detail": f"nothing was stored: the data has {report.count('Violation')} violation(s); "
            "the report says what to fix",
            "instance": request.url.path,
            "report": summary(report, lang),
        }
        return JSONResponse(body, 422, media_type="application/problem+json")
    store = request.app.state.store

    def write() -> Submission:
        done = store_submission(store, parsed, report, submitter=_submitter(request, upload), base=settings.base_iri)
        _notify(request.app, done.graph)
        return done

    submission = await run_in_threadpool(write)
    return JSONResponse(
        {**submission.as_json(), "report": summary(report, lang)},
        201,
        headers={"Location": f"/submissions/{submission.id}"},
    )


@router.get("/submissions", summary="Stored submissions, newest first")
def submissions(request: Request) -> dict[str, Any]:
    found = list_submissions(request.app.state.store, _settings(request).base_iri)
    return {"submissions": [s.as_json() for s in found]}


@router.get("/submissions/{submission_id}", summary="One submission with the report it passed")
def submission(request: Request, submission_id: str) -> dict[str, Any]:
    settings = _settings(request)
    store = request.app.state.store
    found = get_submission(store, settings.base_iri, submission_id)
    report = stored_report(store, found, rules(request.app).shapes, base=settings.base_iri)
    return {**found.as_json(), "report": summary(report, language(request))}


@router.delete("/submissions/{submission_id}", status_code=204, summary="Withdraw a submission")
def withdraw_submission(request: Request, submission_id: str) -> Response:
    _authorize(request)
    gone = withdraw(request.app.state.store, _settings(request).base_iri, submission_id)
    _notify(request.app, gone.graph)
    return Response(status_code=204)
