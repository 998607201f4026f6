"""Loading and serving through the HTTP systems: the Oxigraph server (c) and this project's `kg serve` (b).

Servers bind 127.0.0.1 only, on a free port, and are always stopped by the caller's `finally`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from measure import Executor, ExecutorFactory
from mix import Query

VENV_BIN = Path(__file__).resolve().parent.parent / ".venv" / "bin"
READY_TIMEOUT_S = 900.0  # kg serve's workers load a snapshot first: minutes at 10M


@dataclass
class Timed:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    endpoint: str
    log: Path


def tool(name: str) -> str:
    path = VENV_BIN / name
    return str(path) if path.exists() else name


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_measured(cmd: Sequence[str], *, env: dict[str, str] | None = None) -> Timed:
    """Run a command to completion: its wall time, output, and its own peak memory (from wait4's rusage)."""
    # output goes to files, not pipes: os.wait4 must reap the child itself, and a full pipe would block it
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, start_new_session=True
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Timed(seconds, usage.ru_maxrss / 1024, proc.returncode, _text(out.read()), _text(err.read()))


def _text(data: bytes) -> str:
    return data.decode(errors="replace")


def start(name: str, cmd: Sequence[str], endpoint: str, log: Path, *, env: dict[str, str] | None = None) -> Server:
    """Start a server and wait until its endpoint answers a trivial ASK."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as f:
        proc = subprocess.Popen(list(cmd), stdout=f, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    server = Server(name, proc, endpoint, log)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            r = httpx.get(endpoint, params={"query": "ASK {}"}, timeout=2.0)
            if r.status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"{name} did not answer on {endpoint} within {READY_TIMEOUT_S:.0f} s")


def stop(server: Server, *, graceful_s: float = 0.0) -> None:
    """Stop the server's whole process group (uvicorn and query workers included).

    With `graceful_s`, the server is first asked to shut down (SIGINT to it alone) and given that long.
    """
    if server.process.poll() is not None:
        return
    if graceful_s:
        server.process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=graceful_s)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=15)
            return


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a process plus that of its descendants (uvicorn workers), in MB."""
    total = 0.0
    for p in [pid, *_descendants(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) / 1024 if match else 0.0
    return total


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds of a process and of each live descendant, by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for p in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[p] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14 and 15 of stat)
    return out


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def http_factory(endpoint: str) -> ExecutorFactory:
    """One httpx.Client per client thread; GET with `query=`, reading the full body."""

    def factory() -> Executor:
        client = httpx.Client(timeout=600.0)

        def run(query: Query) -> bytes:
            r = client.get(endpoint, params={"query": query.text}, headers={"Accept": query.accept})
            if r.status_code != 200:
                raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
            return r.content

        return run

    return factory


def kg_serve_help() -> str | None:
    """`kg serve --help`, or None while the command does not exist."""
    try:
        proc = subprocess.run([tool("kg"), "serve", "--help"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def kg_serve_command(help_text: str, store: Path, port: int, *, workers: int | None = None) -> list[str]:
    """`kg serve` for our store and port on 127.0.0.1, with whichever options this version offers."""
    cmd = [tool("kg"), "serve"]
    if "--store" in help_text:
        cmd += ["--store", str(store)]
    if "--host" in help_text:
        cmd += ["--host", "127.0.0.1"]
    if "--bind" in help_text:
        cmd += ["--bind", f"127.0.0.1:{port}"]
    elif "--port" in help_text:
        cmd += ["--port", str(port)]
    if workers is not None and "--workers" in help_text:
        cmd += ["--workers", str(workers)]
    return cmd
