"""The HTTP/1.1 protocol `kg serve` runs under uvicorn: httptools' parser, with h11's bound on a request head.

uvicorn parses HTTP with h11 (pure Python) or httptools (llhttp, in C); on a light query h11 costs 0.1-0.2 ms
of CPU more, a tenth of the whole request. But h11 refuses a request head (request line and headers) that is
still incomplete after 16 KiB, and httptools buffers one of any size: `BoundedHttpTools` keeps h11's rule,
including its one allowance, a head that arrives whole in a single read, however long, is parsed.
"""

from __future__ import annotations

from typing import Any

MAX_INCOMPLETE_HEAD = 16 * 1024  # bytes; h11's default max_incomplete_event_size


def http_protocol() -> type[Any] | str:
    """What to pass uvicorn as `http`: the bounded httptools protocol, or "h11" when httptools is missing."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools is not installed
        return "h11"

    class BoundedHttpTools(HttpToolsProtocol):
        """uvicorn's httptools protocol, answering 400 and closing once a head is incomplete past the bound."""

        _head_bytes = 0
        _in_head = False

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head, self._head_bytes = True, 0

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if not self._in_head or self.transport.is_closing():
                return
            # counted after parsing, as h11 does: a read that completes the head never counts against it
            self._head_bytes += len(data)
            if self._head_bytes > MAX_INCOMPLETE_HEAD:
                self._in_head = False
                self.send_400_response("Request head too long.")

    return BoundedHttpTools
