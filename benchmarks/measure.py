"""Latency and throughput of one system over the mix, whatever the system: it is given as an executor factory.

An executor runs one query and returns the full response body (SPARQL JSON for SELECT/ASK, N-Triples for
graphs), so every system does the same work: evaluate, serialize, hand over every byte.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from mix import Query, count_results

Executor = Callable[[Query], bytes]
ExecutorFactory = Callable[[], Executor]  # one executor per client thread (an HTTP client is not shared)


@dataclass
class QueryTiming:
    name: str
    median_ms: float
    runs: int
    rows: int
    error: str | None = None


@dataclass
class Throughput:
    clients: int
    seconds: float
    completed: int
    errors: int

    @property
    def qps(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


@dataclass
class SystemResult:
    timings: list[QueryTiming] = field(default_factory=list)
    throughput: list[Throughput] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "latency": [asdict(t) for t in self.timings],
            "throughput": [{**asdict(t), "qps": t.qps} for t in self.throughput],
        }


def latency(run: Executor, query: Query, *, warmup: int = 2, max_runs: int = 25, budget_s: float = 3.0) -> QueryTiming:
    """Median wall time of one query: `warmup` runs first, then up to `max_runs` or `budget_s`, at least 3."""
    try:
        rows = count_results(query.kind, run(query))
        for _ in range(warmup - 1):
            run(query)
    except Exception as e:  # a failing query is reported in the table, not allowed to stop the benchmark
        return QueryTiming(query.name, float("nan"), 0, 0, f"{type(e).__name__}: {e}"[:300])
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < max_runs and (len(samples) < 3 or time.perf_counter() - started < budget_s):
        t0 = time.perf_counter()
        run(query)
        samples.append((time.perf_counter() - t0) * 1000)
    return QueryTiming(query.name, statistics.median(samples), len(samples), rows)


def throughput(factory: ExecutorFactory, mix: list[Query], *, clients: int, seconds: float) -> Throughput:
    """Queries completed by `clients` threads running the mix round-robin until the deadline.

    Each client starts at a different place in the mix; a query under way at the deadline is allowed to
    finish (and counted), so the loop is bounded by `seconds` plus one query.
    """
    counts = [0] * clients
    errors = [0] * clients
    executors = [factory() for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(i: int) -> None:
        run = executors[i]
        barrier.wait()
        n = i * len(mix) // clients
        while time.perf_counter() < deadline[0]:
            try:
                run(mix[n % len(mix)])
                counts[i] += 1
            except Exception:  # counted, so a system that fails under load shows it
                errors[i] += 1
            n += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for th in threads:
        th.start()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    barrier.wait()
    for th in threads:
        th.join()
    return Throughput(clients, time.perf_counter() - started, sum(counts), sum(errors))


def measure(
    factory: ExecutorFactory,
    mix: list[Query],
    *,
    seconds: float,
    clients: tuple[int, ...] = (1, 4),
    max_runs: int = 25,
    budget_s: float = 3.0,
) -> SystemResult:
    """Per-query median latency, then throughput with each number of clients."""
    result = SystemResult()
    run = factory()
    for query in mix:
        result.timings.append(latency(run, query, max_runs=max_runs, budget_s=budget_s))
    for n in clients:
        result.throughput.append(throughput(factory, mix, clients=n, seconds=seconds))
    return result
