"""A query worker: `python -m kg.engine.worker FD [--no-network]`, driven over the socket FD by the Engine.

It holds an in-memory copy of the store and answers one message at a time:
  ("load", path)        replace its data with the N-Quads snapshot at path      -> ("ok",)
  ("update", text, base) apply a SPARQL update already applied to the record     -> ("ok",) | ("error", slug, detail)
  ("query", QueryJob)   evaluate and serialize                                   -> ("ok", media type, truncated,
                        form, n, size) then n byte chunks of size bytes in all   |  ("error", slug, detail)
Results are serialized here by Oxigraph's writers, completely, before the first byte goes back: the API
process never converts a term, and a query that overruns its time never yields a truncated answer.
"""

from __future__ import annotations

import ctypes
import signal
import sys
from multiprocessing.connection import Connection

CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


def _drop_network() -> bool:
    # A fresh network namespace has no interface but a downed loopback: nothing SERVICE or LOAD could reach,
    # whatever the lexical guard missed. It needs an unprivileged user namespace, which not every kernel allows.
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server, which ends its workers itself
    if "--no-network" in argv and not _drop_network():
        print("kg worker: could not drop network access; relying on the SERVICE/LOAD guard", file=sys.stderr)
    # imported after unshare(2), which needs the process to have a single thread
    import pyoxigraph as ox

    from kg.engine.answering import handle

    conn = Connection(int(argv[0]))
    store = ox.Store()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return 0
        reply = handle(store, message, conn)
        if reply is not None:
            conn.send(reply)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
