"""POST /admin/backup (update token): a consistent backup of the live store, taken while the server runs.

The server holds the store's RocksDB lock, so `kg backup` cannot open it while it serves; this route takes the
checkpoint itself. Backups go into a folder the server chooses (`<store>-backups/<UTC timestamp>`, beside
the store folder), never one the client names, so a request cannot make the server write anywhere else.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kg.errors import BadRequestError, ForbiddenError
from kg.settings import Settings
from kg.stores import Store
from kg.tokens import check_bearer

router = APIRouter(tags=["admin"])
log = logging.getLogger("kg.admin")


def backups_folder(settings: Settings) -> Path:
    """Where POST /admin/backup writes: beside the store folder, so on the same file system (cheap hard links)."""
    return settings.store_path.parent / f"{settings.store_path.name}-backups"


@router.post(
    "/admin/backup",
    status_code=201,
    summary="Back up the live store (needs Authorization: Bearer <update token>)",
    responses={401: {"description": "missing, wrong or expired token"}, 403: {"description": "no update token"}},
)
def take_backup(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    if settings.update_token is None:
        raise ForbiddenError("this server has no KG_UPDATE_TOKEN, so it offers no admin routes")
    who = check_bearer(request.headers.get("authorization"), settings.update_token, variable="KG_UPDATE_TOKEN")
    store: Store = request.app.state.store
    folder = backups_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    try:
        store.backup(str(target))  # a RocksDB checkpoint: consistent while queries and writes go on
    except RuntimeError as e:  # pyoxigraph's answer for an in-memory store
        raise BadRequestError(f"this store cannot be backed up: {e}") from None
    quads = len(ox.Store.read_only(str(target)))
    log.info("backup by %s: %d quads in %s", who, quads, target)
    return JSONResponse({"backup": target.name, "path": str(target.resolve()), "quads": quads}, 201)
