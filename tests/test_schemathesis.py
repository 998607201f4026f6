"""schemathesis against the app's own OpenAPI document, over a real uvicorn on loopback, on both backends:
every documented operation, with generated (valid and invalid) requests, never answers a server error."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pyoxigraph as ox
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from kg.api.app import create_app
from kg.api.serving import http_protocol
from kg.settings import Settings
from kg.stores import Store
from tests.backends import OxigraphServers
from tests.test_safety import own_server

# the query time limit; a generated query that runs into it gets the documented 503, not a hang
TIMEOUT = 2.0


@pytest.fixture(scope="module")
def served(
    settings: Settings, backend: str, api_store: Store, store: ox.Store, oxigraph_servers: OxigraphServers
) -> Iterator[Store]:
    """The curated store; on the Oxigraph backend a server of its own, in case a generated query runs away
    (Oxigraph goes on counting an aggregate after the API hangs up), stopped with the module."""
    if backend != "oxigraph":
        yield api_store
        return
    with own_server(oxigraph_servers, store, timeout=TIMEOUT) as dataset:
        yield dataset


@pytest.fixture(scope="module")
def base_url(settings: Settings, served: Store) -> Iterator[str]:
    """The read-only app (no tokens, so nothing generated can write) under uvicorn on a free port."""
    app = create_app(replace(settings, query_timeout=TIMEOUT, query_workers=2, max_result_rows=1000), store=served)
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", http=http_protocol()))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn")
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@pytest.fixture(scope="module")
def api_schema(base_url: str) -> schemathesis.schemas.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    schema.config.update(base_url=base_url)
    return schema


SEEN: list[tuple[str, int]] = []  # (operation, status) of every response checked


@schemathesis.check
def problem_details(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """An error is an RFC 9457 problem with a detail; 500 never, 503 only as the documented limit."""
    SEEN.append((case.operation.label, response.status_code))
    status = response.status_code
    assert status != 500, f"500 on {case.operation.label}: {response.text[:500]}"
    if status < 400:
        return
    media = response.headers.get("content-type", [""])[0]
    if media.startswith("text/html"):  # the upload page shows its errors to a browser that asked for HTML
        return
    assert media.startswith("application/problem+json"), f"{status} {media}: {response.text[:300]}"
    body = response.json()
    assert body["status"] == status and body["detail"], body
    if status >= 500:
        assert body["type"] in ("/problems/timeout", "/problems/busy"), body


# per operation (about 25 operations); the external backend answers the same code, so fewer examples there
# look for what differs: the store's own answers and errors
EXAMPLES = 15
EXTERNAL_EXAMPLES = 5


def test_openapi_operations(api_schema: schemathesis.schemas.BaseSchema, base_url: str, backend: str) -> None:
    # schemathesis' pytest integration (from_fixture) does not run under pytest 9, so each operation gets a
    # hypothesis test of its own here; failures are gathered so that one run names all of them
    SEEN.clear()  # this run's own, not the other backend's
    examples = EXAMPLES if backend == "embedded" else EXTERNAL_EXAMPLES
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    for operation in operations:

        @hypothesis_settings(
            max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            # not_a_server_error would count the documented 503 (time limit) as a failure; problem_details
            # replaces it and still refuses any 500
            case.call_and_validate(base_url=base_url, timeout=TIMEOUT + 15, checks=[problem_details])

        try:
            run()
        except Exception as e:
            failures[operation.label] = f"{type(e).__name__}: {e}"[:2000]
    assert not failures, "\n\n".join(f"{label}\n{detail}" for label, detail in failures.items())
    checked = {label for label, _ in SEEN}
    assert checked == {op.label for op in operations}  # every operation got requests, and the check ran
    assert {status for _, status in SEEN} & {200, 201} and {status for _, status in SEEN} & {400, 404, 415}
