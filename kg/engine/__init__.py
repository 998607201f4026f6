"""The query engine: worker processes that answer SPARQL from an in-memory copy of the store.

pyoxigraph has no query timeout and aborts the whole process on some inputs, so queries never run in the
API process: a worker that overruns its time or dies is killed and replaced while the others keep answering.
"""

from __future__ import annotations

from kg.engine.messages import Answer, QueryJob
from kg.engine.pool import Engine

__all__ = ["Answer", "Engine", "QueryJob"]
