"""Loopback helpers for tests that run servers or prove that no connection is made."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping

import httpx
import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Listener:
    """A TCP listener on loopback that counts every connection made to it (and closes each at once)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:  # the accept timed out (TimeoutError is one), or the socket was closed
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def interrupt(process: subprocess.Popen[bytes]) -> None:
    """End a `kg serve` the way Ctrl-C does (a clean shutdown that ends its workers); SIGKILL after 20 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a server started by a test: SIGTERM, then SIGKILL if it has not gone in 10 s; close its pipe."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout:
        process.stdout.close()


def wait_until_up(
    url: str,
    process: subprocess.Popen[bytes],
    *,
    seconds: float,
    params: Mapping[str, str] | None = None,
    detail: Callable[[], str] = lambda: "",
) -> None:
    """Poll GET `url` until it answers 200; fail the test if the server exits first or time runs out.

    `detail` says more on failure (a log, the server's output).
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, params=params, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode} before {url} answered\n{detail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer within {seconds:g} s\n{detail()}")
        time.sleep(0.1)
