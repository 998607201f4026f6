"""`kg serve`: the HTTP API (SPARQL endpoint, pages) under uvicorn, over the embedded store."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.commands import add_store_option, settings_from
from kg.loading import project_files, rebuild
from kg.settings import Settings
from kg.store import open_store

if TYPE_CHECKING:
    from kg.commands import Subparsers

log = logging.getLogger("kg.serve")


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "serve",
        help="serve the SPARQL endpoint and the linked-data pages over HTTP",
        description="Serve the API over the embedded store (loading the project's files first if the store is "
        "empty), or over an external SPARQL 1.1 store with --store URL (fill it first with `kg load --store URL`). "
        "Queries run with a time limit; see the README for the KG_* settings.",
    )
    add_store_option(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument(
        "--workers", type=int, metavar="N", help="query worker processes (default: $KG_QUERY_WORKERS, else 2)"
    )
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"], help="default: info"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from kg.api.app import create_app
    from kg.api.serving import http_protocol

    settings = settings_from(args, remote_ok=True)
    if args.workers is not None:
        settings = replace(settings, query_workers=args.workers)  # __post_init__ checks it is positive
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # the format shows no thread or process, and looking them up for every record (the access log writes one
    # per request) costs as much as the rest of the record: the logging HOWTO's own optimisation
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    # an external store is opened (and closed) by the app itself; it is filled with `kg load --store URL`
    app = create_app(settings, store=None if settings.store_url else ensure_loaded(settings))
    # one server process: query parallelism comes from the engine's worker processes. HTTP is parsed by httptools
    # with h11's bound on a request head when httptools is installed, else by h11 itself (kg/api/serving.py);
    # the event loop is uvloop (a dependency), which takes 0.1 ms of CPU off each request
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False, http=http_protocol())
    return 0


def ensure_loaded(settings: Settings) -> ox.Store:
    """The embedded store, rebuilt from the project's files first when it holds no quad at all.

    Raises:
        LoadError: the store is empty and a project file does not load.
    """
    store = open_store(settings.store_path)
    if next(iter(store.quads_for_pattern(None, None, None, None)), None) is not None:
        return store
    del store  # RocksDB keeps its lock until the handle goes
    log.info("the store at %s is empty: loading %s", settings.store_path, settings.project_root)
    counts = rebuild(
        settings.store_path, project_files(settings.project_root, settings.base_iri), base=settings.base_iri
    )
    log.info("loaded %d triples in %d graphs", sum(c.triples for c in counts), len(counts))
    return open_store(settings.store_path)
