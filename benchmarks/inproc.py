"""In-process systems, each run in its own process by run.py so that its peak memory is its own.

    python benchmarks/inproc.py SYSTEM --file g.nq --params g.params.json --store DIR --out result.json

SYSTEM is one of:
  pyoxigraph-load  bulk-load the file into a new on-disk store at DIR (load rate, optimize time, size)
  pyoxigraph-disk  open the on-disk store at DIR and run the mix over it: system (a)
  pyoxigraph-mem   load the file into an in-memory store and run the mix over it
  rdflib           parse the file into rdflib's in-memory Dataset (union default graph) and run the mix: (d)
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import pyoxigraph as ox
from measure import Executor, measure
from mix import Query, load_mix, load_params


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def oxigraph_executor(store: ox.Store) -> Executor:
    def run(query: Query) -> bytes:
        result = store.query(query.text, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            return result.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
        return result.serialize(format=ox.QueryResultsFormat.JSON) or b""

    return run


def rdflib_executor(dataset: object) -> Executor:
    def run(query: Query) -> bytes:
        result = dataset.query(query.text)  # type: ignore[attr-defined]
        fmt = "nt" if query.kind in ("CONSTRUCT", "DESCRIBE") else "json"
        body = result.serialize(format=fmt)
        return body if isinstance(body, bytes) else str(body).encode()

    return run


def bulk_load(args: argparse.Namespace) -> dict[str, object]:
    args.store.mkdir(parents=True, exist_ok=True)
    store = ox.Store(str(args.store))
    t0 = time.perf_counter()
    store.bulk_load(path=str(args.file), format=ox.RdfFormat.N_QUADS)
    store.flush()
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    store.optimize()
    optimize_s = time.perf_counter() - t1
    quads = len(store)
    del store
    return {"load_s": load_s, "optimize_s": optimize_s, "quads": quads, "store_mb": dir_size_mb(args.store)}


def run_mix(args: argparse.Namespace, executor: Executor, load_s: float | None) -> dict[str, object]:
    mix = load_mix(load_params(args.params))
    heavy = args.system == "rdflib"
    result = measure(
        lambda: executor,
        mix,
        seconds=args.seconds,
        max_runs=5 if heavy else 25,
        budget_s=5.0 if heavy else 3.0,
    )
    return {"load_s": load_s, **result.as_json()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one in-process system of the benchmark")
    parser.add_argument("system", choices=("pyoxigraph-load", "pyoxigraph-disk", "pyoxigraph-mem", "rdflib"))
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--params", type=Path, required=True)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.system == "pyoxigraph-load":
        out = bulk_load(args)
    elif args.system == "pyoxigraph-disk":
        out = run_mix(args, oxigraph_executor(ox.Store(str(args.store))), None)
    elif args.system == "pyoxigraph-mem":
        store = ox.Store()
        t0 = time.perf_counter()
        store.bulk_load(path=str(args.file), format=ox.RdfFormat.N_QUADS)
        out = run_mix(args, oxigraph_executor(store), time.perf_counter() - t0)
    else:
        from rdflib import Dataset

        dataset = Dataset(default_union=True)
        t0 = time.perf_counter()
        dataset.parse(str(args.file), format="nquads")
        out = run_mix(args, rdflib_executor(dataset), time.perf_counter() - t0)
    out["peak_rss_mb"] = peak_rss_mb()
    args.out.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
