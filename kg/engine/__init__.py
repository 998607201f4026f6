"""The query engine: worker processes that answer SPARQL from an in-memory copy of the store.

pyoxigraph has no query timeout and aborts the whole process on some inputs, so queries never run in the
API process: a worker that overruns its time or dies is killed and replaced while the others keep answering.
An external store runs its own queries, so it gets a thin engine that forwards them (kg/engine/remote.py).
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.engine.messages import Answer, QueryJob
from kg.engine.pool import Engine
from kg.engine.remote import RemoteEngine
from kg.settings import Settings
from kg.stores import Store
from kg.stores.remote import RemoteDataset

QueryEngine = Engine | RemoteEngine

__all__ = ["Answer", "Engine", "QueryEngine", "QueryJob", "RemoteEngine", "engine_for"]


def engine_for(store: Store, settings: Settings) -> QueryEngine:
    """Worker processes over the embedded store; direct queries to an external one. Not started yet."""
    if isinstance(store, RemoteDataset):
        return RemoteEngine(store, base=settings.base_iri)
    assert isinstance(store, ox.Store), f"no query engine for {type(store).__name__}"
    return Engine(
        store,
        workers=settings.query_workers,
        timeout=settings.query_timeout,
        base=settings.base_iri,
        network=bool(settings.service_allowlist),
    )
