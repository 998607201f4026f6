"""The query engine for an external store: each query goes to the store, within the time limit.

The store evaluates; its answer is parsed and written again in the negotiated format by the same code the
worker processes use (`kg.engine.answering.serialize`), so the row cap and the formats behave alike on both
kinds of store. No worker process is needed: the store, not this process, runs the query, and the time limit
is kept by closing the connection (kg/remote.py).
"""

from __future__ import annotations

import anyio.to_thread

from kg.engine.answering import chunked, serialize
from kg.engine.messages import Answer, QueryJob
from kg.errors import QuerySyntaxError
from kg.querying import evaluate, prefixes
from kg.stores.remote import RemoteDataset


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
        QuerySyntaxError: the store found the query malformed.
        QueryTimeoutError: the limit passed; the connection was closed.
        NotAcceptableError, RemoteStoreError, RemoteUnavailableError.
        """
        results = evaluate(
            self.store,
            job.text,
            base=job.base,
            default_graphs=job.default_graphs,
            named_graphs=job.named_graphs,
            union_default=job.union_default,
            base_iri=job.base,
        )
        media_type, truncated, form, body = serialize(results, job)
        return Answer(media_type, tuple(chunked(body)), truncated, form)

    async def aquery(self, job: QueryJob) -> Answer:
        return await anyio.to_thread.run_sync(self.query, job)

    def update(self, text: str) -> None:
        """Raises:
        QuerySyntaxError: the store found the update malformed.
        """
        try:
            self.store.update(text, base_iri=self.base, prefixes=prefixes(self.base))
        except SyntaxError as e:
            raise QuerySyntaxError(f"the update does not parse: {e}") from None
