"""Where the graph lives, chosen by configuration: the embedded Oxigraph store, or an external SPARQL 1.1 store.

Everything else in `kg` is written against `Store` (kg/stores/protocol.py) and never asks which one it has;
the query engine for each is chosen in `kg.engine.engine_for`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kg.settings import Settings
from kg.stores.protocol import GRAPH_RESULTS, Results, Store, TripleList, is_graph

__all__ = ["GRAPH_RESULTS", "Results", "Store", "TripleList", "is_graph", "open_configured", "opened", "release"]


def open_configured(settings: Settings, *, read_only: bool = False) -> Store:
    """The external store when `store_url` is set, else the embedded one at `store_path`.

    An absent embedded store is created empty, unless `read_only` (for commands that only read).

    Raises:
        ConfigError: the external store's settings are inconsistent (see `kg.remote.RemoteStore.from_settings`).
        FileNotFoundError: `read_only` and there is no embedded store yet.
        OSError: the embedded store cannot be opened.
    """
    if settings.store_url:
        from kg.remote import RemoteStore
        from kg.stores.remote import RemoteDataset

        client = RemoteStore.from_settings(settings)
        return RemoteDataset(client, union_parameter=settings.store_union_param, timeout=settings.query_timeout)
    from kg.store import open_store

    return open_store(settings.store_path, read_only=read_only)


@contextmanager
def opened(settings: Settings, *, read_only: bool = False) -> Iterator[Store]:
    """`open_configured` for the length of a `with`, released on the way out (for commands)."""
    store = open_configured(settings, read_only=read_only)
    try:
        yield store
    finally:
        release(store)


def release(store: Store) -> None:
    """Close what the store holds open (an external store's connections); the embedded store needs nothing."""
    close = getattr(store, "close", None)
    if callable(close):
        close()
