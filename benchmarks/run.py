"""The benchmark: one run loads the same generated data into four systems and runs the same query mix on each.

    python benchmarks/run.py --sizes 10k,100k,1m [--with-10m] [--seconds 10] [--kg-workers 1,2]

Systems: (a) pyoxigraph in-process over an on-disk store (the engine's limit; its in-memory store is shown
beside it), (b) `kg serve` over HTTP, (c) the Oxigraph server over HTTP, (d) rdflib's in-memory Dataset
in-process (up to 100k triples). In-process systems run in their own processes, and servers one at a time,
so every peak-memory figure belongs to one system. The report (Markdown, plus the raw JSON) goes to
benchmarks/results/<date>-<machine>.md and is copied to benchmarks/results/LATEST.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import generate
import report
import servers
from measure import measure
from mix import load_mix, load_params

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
RESULTS = HERE / "results"
RDFLIB_MAX = 100_000
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def dataset(label: str, triples: int) -> tuple[Path, Path, float | None]:
    """The generated file for a size (made when missing) and its params; the generation time when made."""
    path = WORK / f"g{label}.nq"
    side = generate.params_path(path)
    if path.exists() and side.exists() and load_params(side).get("generator") == generate.generator_version():
        return path, side, None
    log(f"generating {label} ({triples:,} quads) into {path}")
    t0 = time.perf_counter()
    generate.generate(path, triples)
    return path, generate.params_path(path), time.perf_counter() - t0


def inproc(system: str, file: Path, params: Path, store: Path, seconds: float) -> dict[str, Any]:
    out = WORK / "tmp" / f"{system}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = [PYTHON, str(HERE / "inproc.py"), system, "--file", str(file), "--params", str(params)]
    cmd += ["--store", str(store), "--seconds", str(seconds), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": f"{system} exited {proc.returncode}: {proc.stderr[-1500:]}"}
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def load_oxigraph_server(file: Path, store: Path) -> dict[str, Any]:
    timed = servers.run_measured(
        [servers.tool("oxigraph"), "load", "--location", str(fresh(store)), "--file", str(file)]
    )
    if timed.returncode != 0:
        return {"error": f"oxigraph load failed: {timed.stderr[-1500:]}"}
    return {"load_s": timed.seconds, "load_peak_rss_mb": timed.peak_rss_mb, "store_mb": dir_size_mb(store)}


def load_kg(file: Path, store: Path) -> dict[str, Any]:
    timed = servers.run_measured([servers.tool("kg"), "load", "--only", str(file), "--store", str(fresh(store))])
    if timed.returncode != 0:
        return {"error": f"kg load failed: {timed.stderr[-1500:]}"}
    match = re.search(r"([\d,]+) triples in \d+ graphs into .* in ([\d.]+) s", timed.stderr)
    reported = float(match.group(2)) if match else None
    return {
        "load_s": timed.seconds,  # the whole command, interpreter start-up included
        "load_s_reported": reported,  # kg's own timer: scan, bulk load, records, optimize, counts
        "quads_reported": int(match.group(1).replace(",", "")) if match else None,
        "load_peak_rss_mb": timed.peak_rss_mb,
        "store_mb": dir_size_mb(store),
    }


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def serve_and_measure(name: str, cmd: list[str], endpoint: str, mix_args: dict[str, Any]) -> dict[str, Any]:
    """Start a server, run the mix against it, read its peak memory, stop it (whatever happens)."""
    server = servers.start(name, cmd, endpoint, WORK / "logs" / f"{name}.log")
    try:
        started = time.perf_counter()
        result = measure(servers.http_factory(endpoint), **mix_args)
        return {
            **result.as_json(),
            "peak_rss_mb": servers.peak_rss_mb(server.process.pid),
            "mix_s": time.perf_counter() - started,
            "command": " ".join(cmd),
        }
    finally:
        servers.stop(server)


def system_a(file: Path, params: Path, stores: Path, seconds: float) -> dict[str, Any]:
    log("(a) pyoxigraph: bulk load into an on-disk store")
    loaded = inproc("pyoxigraph-load", file, params, fresh(stores / "a"), seconds)
    if "error" in loaded:
        return loaded
    log("(a) pyoxigraph on-disk: query mix")
    disk = inproc("pyoxigraph-disk", file, params, stores / "a", seconds)
    disk.update({k: loaded[k] for k in ("load_s", "optimize_s", "store_mb")})
    disk["load_peak_rss_mb"] = loaded["peak_rss_mb"]
    disk["quads_loaded"] = loaded["quads"]
    return disk


def system_b(file: Path, stores: Path, mix_args: dict[str, Any], workers: list[int | None]) -> dict[str, Any]:
    help_text = servers.kg_serve_help()
    if help_text is None:
        return {"error": "not available: `kg serve` does not exist yet in this checkout"}
    log("(b) kg load")
    loaded = load_kg(file, stores / "b")
    if "error" in loaded:
        return loaded
    out: dict[str, Any] = {}
    for w in workers:
        port = servers.free_port()
        cmd = servers.kg_serve_command(help_text, stores / "b", port, workers=w)
        name = "b" if w is None else f"b-w{w}"
        log(f"({name}) kg serve: query mix ({' '.join(cmd[1:])})")
        try:
            out[name] = {**loaded, **serve_and_measure(name, cmd, f"http://127.0.0.1:{port}/sparql", mix_args)}
        except RuntimeError as e:
            out[name] = {**loaded, "error": str(e)}
    return out


def system_c(file: Path, stores: Path, mix_args: dict[str, Any]) -> dict[str, Any]:
    log("(c) oxigraph load")
    loaded = load_oxigraph_server(file, stores / "c")
    if "error" in loaded:
        return loaded
    port = servers.free_port()
    cmd = [servers.tool("oxigraph"), "serve-read-only", "--location", str(stores / "c")]
    cmd += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    log("(c) oxigraph serve: query mix")
    try:
        return {**loaded, **serve_and_measure("c", cmd, f"http://127.0.0.1:{port}/query", mix_args)}
    except RuntimeError as e:
        return {**loaded, "error": str(e)}


def bench_size(label: str, triples: int, args: argparse.Namespace) -> dict[str, Any]:
    file, params_file, gen_s = dataset(label, triples)
    params = load_params(params_file)
    stores = WORK / "stores" / label
    mix = load_mix(params)
    mix_args = {"mix": mix, "seconds": args.seconds}
    systems: dict[str, Any] = {}
    result: dict[str, Any] = {
        "loadavg_start": os.getloadavg(),  # other work on the machine shows here, and skews everything
        "label": label,
        "target_triples": triples,
        "quads": int(params["quads"]),
        "file_mb": file.stat().st_size / 1e6,
        "generate_s": gen_s,
        "params": params,
        "queries": [q.name for q in mix],
        "systems": systems,
    }
    systems["a"] = system_a(file, params_file, stores, args.seconds)
    if not args.skip_memory:
        log("(a-mem) pyoxigraph in-memory: load and query mix")
        systems["a-mem"] = inproc("pyoxigraph-mem", file, params_file, stores / "mem", args.seconds)
    systems["c"] = system_c(file, stores, mix_args)
    b = system_b(file, stores, mix_args, args.kg_workers)
    systems.update(b if "error" not in b else {"b": b})
    if triples <= RDFLIB_MAX:
        log("(d) rdflib: parse and query mix")
        systems["d"] = inproc("rdflib", file, params_file, stores / "d", args.seconds)
    else:
        systems["d"] = {"error": f"skipped above {RDFLIB_MAX // 1000}k triples, too slow"}
    if not args.keep_stores:
        shutil.rmtree(stores, ignore_errors=True)
    result["loadavg_end"] = os.getloadavg()
    return result


def parse_workers(text: str) -> list[int | None]:
    """`--kg-workers default,2` → [None, 2]: None runs `kg serve` with its own default."""
    return [None if w in ("", "default") else int(w) for w in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma-separated sizes (10k, 100k, 1m, ...)")
    parser.add_argument("--with-10m", action="store_true", help="add the 10M-triple size")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each throughput run")
    parser.add_argument("--kg-workers", type=parse_workers, default=[None], help="kg serve --workers values")
    parser.add_argument("--skip-memory", action="store_true", help="skip pyoxigraph's in-memory store")
    parser.add_argument("--keep-stores", action="store_true", help="keep the stores under benchmarks/work/")
    parser.add_argument(
        "--validation", default="", metavar="CITIES", help="also run the validation benchmark, e.g. 100,1000,10000"
    )
    parser.add_argument("--machine-name", default=None, help="name in the results file (default: <n>core-<host>)")
    parser.add_argument("--no-save", action="store_true", help="print the report only")
    args = parser.parse_args(argv)
    labels = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.with_10m and "10m" not in labels:
        labels.append("10m")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    started = time.perf_counter()
    sizes = []
    for label in labels:
        log(f"=== size {label} ===")
        sizes.append(bench_size(label, generate.parse_size(label), args))
    run = {"machine": report.machine_info(), "args": sys.argv[1:], "sizes": sizes}
    if args.validation:
        import validation

        run["validation"] = validation.run_all(tuple(int(c) for c in args.validation.split(",")))
    run["total_s"] = time.perf_counter() - started
    text = report.render(run)
    print(text)
    if not args.no_save:
        path = report.save(run, text, RESULTS, args.machine_name)
        log(f"wrote {path} and {RESULTS / 'LATEST.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
