"""Profile `kg serve`'s hot path while the query mix runs against it, to explain where (b) loses time.

    python benchmarks/profile_server.py [--size 100k] [--seconds 15] [--clients 4] [--workers N]

The server runs in a child process under cProfile, one profiler per thread (the asyncio loop and the
threadpool that hands queries to the engine) timing CPU, not wall, time, merged when uvicorn shuts down.
The engine's worker processes are not profiled (they spend their time inside pyoxigraph, which the
in-process columns of the benchmark measure), but the CPU time of every process is counted, and the same
load is sent to the Oxigraph server and to an unprofiled `kg serve` for comparison: CPU milliseconds per
query, per process, which is where the time goes on 2 cores. The report (that table, then the top functions
by own and cumulative time and the time per package) goes to benchmarks/results/<date>-profile-kg-serve.md.
py-spy would also see native frames, but cannot attach to this interpreter here, hence cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def serve_profiled(stats_out: Path, serve_args: list[str]) -> int:
    """The child: `kg serve` with every thread profiled, stats written when it stops."""
    from kg.cli import main as kg_main

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_thread_profile(*_: object) -> None:
        # the first event of a new thread: enabling the profiler replaces this hook for that thread
        profile = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(profile)
        profile.enable()

    threading.setprofile(start_thread_profile)
    main_profile = cProfile.Profile(time.thread_time)
    main_profile.enable()
    try:
        return kg_main(["serve", *serve_args])
    finally:
        main_profile.disable()
        for p in profiles:
            p.disable()
        stats = pstats.Stats(main_profile)
        for p in profiles:
            stats.add(p)
        stats.dump_stats(str(stats_out))


def package_of(filename: str) -> str:
    """Which package a profiled function belongs to, for the time-per-package table.

    >>> package_of("/x/.venv/lib/python3.11/site-packages/starlette/routing.py")
    'starlette'
    >>> package_of("/work/main/kg/engine/pool.py")
    'kg.engine'
    """
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/kg/" in filename:
        return "kg." + filename.split("/kg/", 1)[1].split("/")[0].removesuffix(".py")
    if filename.startswith("~") or filename == "":
        return "builtins (C)"
    return "stdlib:" + Path(filename).stem


def summarize(stats_file: Path, top: int = 30) -> str:
    stats = pstats.Stats(str(stats_file))
    own: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        own[package_of(filename)] += tt
    total = sum(own.values()) or 1.0
    lines = ["### Own time per package (all profiled threads of the server process)", ""]
    lines += ["| package | seconds | share |", "| --- | ---: | ---: |"]
    for package, seconds in sorted(own.items(), key=lambda kv: -kv[1])[:15]:
        lines.append(f"| {package} | {seconds:.2f} | {seconds / total * 100:.1f} % |")
    for key, title in (("tottime", "own"), ("cumulative", "cumulative")):
        out = io.StringIO()
        pstats.Stats(str(stats_file), stream=out).sort_stats(key).print_stats(top)
        body = out.getvalue().split("\n   ncalls", 1)[-1]
        lines += ["", f"### Top {top} functions by {title} time", "", "```", "   ncalls" + body.rstrip(), "```"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return serve_profiled(Path(args.child[0]), args.child[1:])
    return profile(args)


def loaded_under(server: Any, mix: list[Any], args: argparse.Namespace) -> tuple[Any, dict[int, float]]:
    """The throughput run against a started server, and the CPU seconds each of its processes spent in it."""
    import servers
    from measure import throughput

    before = servers.cpu_seconds(server.process.pid)
    result = throughput(servers.http_factory(server.endpoint), mix, clients=args.clients, seconds=args.seconds)
    after = servers.cpu_seconds(server.process.pid)
    return result, {pid: after[pid] - before.get(pid, 0.0) for pid in after}


def cpu_table(rows: list[tuple[str, Any, dict[int, float], int]]) -> str:
    lines = [
        "### CPU per query (all processes of each server; client threads excluded)",
        "",
        "| server | queries/s | server process ms/query | query workers ms/query | total ms/query |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, result, cpu, main_pid in rows:
        n = max(result.completed, 1)
        main = cpu.get(main_pid, 0.0) * 1000 / n
        rest = sum(v for pid, v in cpu.items() if pid != main_pid) * 1000 / n
        lines.append(f"| {name} | {result.qps:.1f} | {main:.2f} | {rest:.2f} | {main + rest:.2f} |")
    return "\n".join(lines)


def profile(args: argparse.Namespace) -> int:
    import run
    import servers
    from mix import load_mix, load_params

    file, params_file, _ = run.dataset(args.size, run.generate.parse_size(args.size))
    mix = load_mix(load_params(params_file))
    store = run.WORK / "stores" / "profile"
    loaded = run.load_kg(file, store)
    oxi = run.load_oxigraph_server(file, run.WORK / "stores" / "profile-oxigraph")
    if "error" in loaded or "error" in oxi:
        print(loaded.get("error") or oxi.get("error"), file=sys.stderr)
        return 1
    rows = []
    port = servers.free_port()
    cmd = [servers.tool("oxigraph"), "serve-read-only", "--location", str(run.WORK / "stores" / "profile-oxigraph")]
    cmd += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    server = servers.start("oxigraph", cmd, f"http://127.0.0.1:{port}/query", run.WORK / "logs" / "profile-c.log")
    try:
        rows.append(("(c) Oxigraph server", *loaded_under(server, mix, args), server.process.pid))
    finally:
        servers.stop(server)
    port = servers.free_port()
    plain = servers.kg_serve_command(servers.kg_serve_help() or "", store, port, workers=args.workers)
    server = servers.start("kg", plain, f"http://127.0.0.1:{port}/sparql", run.WORK / "logs" / "profile-b.log")
    try:
        rows.append(("(b) kg serve", *loaded_under(server, mix, args), server.process.pid))
    finally:
        servers.stop(server)
    port = servers.free_port()
    stats_file = run.WORK / "kg-serve.prof"
    serve_args = servers.kg_serve_command(servers.kg_serve_help() or "", store, port, workers=args.workers)[2:]
    serve_args += ["--log-level", "warning"]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(stats_file), *serve_args]
    server = servers.start("kg-profiled", cmd, f"http://127.0.0.1:{port}/sparql", run.WORK / "logs" / "profile.log")
    try:
        rows.append(("(b) kg serve, under cProfile", *loaded_under(server, mix, args), server.process.pid))
    finally:
        servers.stop(server, graceful_s=60)
    result = rows[-1][1]
    text = "\n".join(
        [
            f"# Profile of `kg serve` under the query mix, {time.strftime('%Y-%m-%d %H:%M')}",
            "",
            f"Data: {args.size} ({file.name}); {args.clients} clients for {args.seconds:.0f} s each: "
            f"{result.completed} queries on (b) ({result.errors} errors).",
            f"Server: `kg serve {' '.join(serve_args)}`, every thread of its process under cProfile (CPU time).",
            "The profiler slows (b)'s server process, so compare its ms/query with the benchmark's, not (c)'s.",
            "",
            cpu_table(rows),
            "",
            summarize(stats_file),
            "",
        ]
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{time.strftime('%Y-%m-%d')}-profile-kg-serve.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
