"""A bounded load test of `kg serve`: concurrent clients mixing queries, validations and one slow query.

    python benchmarks/loadtest.py [--clients 50] [--seconds 20] [--timeout 2] [--workers 2]

It starts `kg serve` on a free loopback port over a fresh store (loaded from the project), with a short
KG_QUERY_TIMEOUT, then runs the clients: most send the competency queries (kg/queries/examples/*.rq), some
POST the files of examples/ to /validate, and one sends a query that runs past the time limit, whose 503 is
the only error expected. It reports the answers by kind and status, p50/p99 latency per kind, and the memory
of the server and its query workers (peak RSS sampled during the run, and each process's VmHWM), to
benchmarks/results/loadtest-<date>.md. `run_load` is also used, much smaller, by tests/test_security.py.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
QUERIES = [p.read_text() for p in sorted((ROOT / "kg" / "queries" / "examples").glob("*.rq"))]
EXAMPLES = [p.read_bytes() for p in sorted((ROOT / "examples").glob("*.ttl"))]
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"  # runs into any short limit
EXPECTED = {"query": {200}, "validate": {200, 400}, "slow": {503}}  # 400: examples/invalid-syntax.ttl


@dataclass
class Results:
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # transport errors by kind

    @property
    def unexpected(self) -> dict[tuple[str, int], int]:
        return {(k, s): n for (k, s), n in self.statuses.items() if s not in EXPECTED[k]}

    def percentile(self, kind: str, p: float) -> float:
        values = sorted(self.latencies[kind])
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(p / 100 * len(values)))]


def run_load(base_url: str, *, clients: int, seconds: float, validators: int | None = None) -> Results:
    """`clients` threads for `seconds`: one sends the slow query, `validators` POST examples, the rest query."""
    validators = max(1, clients // 4) if validators is None else validators
    results = Results()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        kind = "slow" if number == 0 else "validate" if number <= validators else "query"
        sent = 0
        with httpx.Client(base_url=base_url, timeout=60) as http:
            while time.monotonic() < stop:
                started = time.monotonic()
                try:
                    if kind == "validate":
                        body = EXAMPLES[(number + sent) % len(EXAMPLES)]
                        response = http.post("/validate", content=body, headers={"Content-Type": "text/turtle"})
                    else:
                        text = SLOW if kind == "slow" else QUERIES[(number + sent) % len(QUERIES)]
                        response = http.post("/sparql", data={"query": text})
                except httpx.HTTPError as e:
                    with lock:
                        results.failures[f"{kind}: {type(e).__name__}"] += 1
                    continue
                finally:
                    sent += 1
                took = time.monotonic() - started
                with lock:
                    results.latencies[kind].append(took)
                    results.statuses[(kind, response.status_code)] += 1

    threads = [threading.Thread(target=client, args=(n,), name=f"load-{n}") for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.seconds = time.monotonic() - started
    return results


# --- the server and its memory


def _kib(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _family(pid: int) -> list[int]:
    pids = [pid]
    for p in pids:  # grows while it is walked: children of children too
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                pids.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                continue
    return pids


class Memory:
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.pid, self.every = pid, every
        self.peak_kib = 0
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory")

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(_kib(p, "VmRSS") for p in _family(self.pid))
            self.samples.append(total)
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self.every)

    def high_water_marks(self) -> dict[int, int]:
        """VmHWM of each live process of the family (workers killed by the time limit are gone)."""
        return {p: _kib(p, "VmHWM") for p in _family(self.pid)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(store: Path, *, port: int, timeout: float, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KG_STORE_PATH": str(store),
        "KG_PROJECT_ROOT": str(ROOT),
        "KG_QUERY_TIMEOUT": str(timeout),
        "KG_QUERY_WORKERS": str(workers),
        "KG_RATE_LIMIT": "0",
    }
    args = [sys.executable, "-m", "kg", "serve", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(args, env=env, cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"kg serve exited with {proc.returncode}")
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("kg serve did not answer /health within 120 s")


def report(results: Results, memory: Memory, hwm: dict[int, int], *, args: argparse.Namespace, idle_kib: int) -> str:
    total = sum(results.statuses.values())
    lines = [
        f"# Load test of `kg serve`, {datetime.now(UTC):%Y-%m-%d}",
        "",
        f"`python benchmarks/loadtest.py --clients {args.clients} --seconds {args.seconds:g} "
        f"--timeout {args.timeout:g} --workers {args.workers}` on {os.cpu_count()} cores, loopback. "
        f"{args.clients} clients for {results.seconds:.1f} s: one sends a query that runs past KG_QUERY_TIMEOUT="
        f"{args.timeout:g} s (its 503 is expected), {max(1, args.clients // 4)} POST the files of examples/ to "
        "/validate, the others send the competency queries of kg/queries/examples/ in turn.",
        "",
        f"{total} answers, {total / results.seconds:.0f} per second; unexpected statuses: "
        f"{results.unexpected or 'none'}; transport errors: {dict(results.failures) or 'none'}.",
        "",
        "| kind | answers | statuses | p50 (ms) | p99 (ms) | max (ms) |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for kind in ("query", "validate", "slow"):
        statuses = ", ".join(f"{s}: {n}" for (k, s), n in sorted(results.statuses.items()) if k == kind)
        values = results.latencies[kind]
        lines.append(
            f"| {kind} | {len(values)} | {statuses} | {results.percentile(kind, 50) * 1000:.0f} | "
            f"{results.percentile(kind, 99) * 1000:.0f} | {max(values, default=0) * 1000:.0f} |"
        )
    lines += [
        "",
        "Memory of the server process and its query workers (RSS summed over the family, sampled every 0.25 s):",
        "",
        f"- idle, before the load: {idle_kib / 1024:.0f} MiB",
        f"- peak during the load: {memory.peak_kib / 1024:.0f} MiB",
        f"- after the load: {(memory.samples[-1] if memory.samples else 0) / 1024:.0f} MiB",
        "- VmHWM of each live process at the end: "
        + ", ".join(f"{'server' if i == 0 else 'worker'} {kib / 1024:.0f} MiB" for i, kib in enumerate(hwm.values())),
        "",
        "Workers killed by the time limit are replaced, so the slow client's workers do not appear in the "
        "VmHWM list; their RSS is in the sampled peak.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=2.0, help="KG_QUERY_TIMEOUT for the server")
    parser.add_argument("--workers", type=int, default=2, help="KG_QUERY_WORKERS for the server")
    parser.add_argument("--out", type=Path, help="default: benchmarks/results/loadtest-<date>.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-load-") as scratch:
        port = _free_port()
        proc = serve(Path(scratch) / "store", port=port, timeout=args.timeout, workers=args.workers)
        try:
            time.sleep(1.0)
            idle = sum(_kib(p, "VmRSS") for p in _family(proc.pid))
            with Memory(proc.pid) as memory:
                results = run_load(f"http://127.0.0.1:{port}", clients=args.clients, seconds=args.seconds)
            hwm = memory.high_water_marks()
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = report(results, memory, hwm, args=args, idle_kib=idle)
    out = args.out or RESULTS / f"loadtest-{datetime.now(UTC):%Y-%m-%d}.md"
    out.write_text(text)
    print(text)
    print(f"written to {out}", file=sys.stderr)
    return 1 if results.unexpected or results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
