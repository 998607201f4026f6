"""The benchmark report: machine, tables per size with ratios to (a) and (c), and the issue's targets."""

from __future__ import annotations

import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("pyoxigraph", "oxigraph", "rdflib", "pyshacl", "fastapi", "uvicorn", "httpx")
NAMES = {
    "a": "(a) pyoxigraph on-disk, in-process",
    "a-mem": "pyoxigraph in-memory, in-process",
    "b": "(b) kg serve, HTTP",
    "c": "(c) Oxigraph server, HTTP",
    "d": "(d) rdflib Dataset, in-process",
}
TARGET_SIZE = "1m"
Run = dict[str, Any]


def machine_info() -> dict[str, Any]:
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.MULTILINE)
    mem = re.search(r"^MemTotal:\s+(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "host": socket.gethostname(),
        "ci": bool(os.environ.get("CI")),
        "nproc": os.cpu_count(),
        "memory_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": versions,
        "commit": _git("rev-parse", "--short", "HEAD"),
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        return ""


def systems_of(size: dict[str, Any]) -> list[str]:
    order = ["a", "a-mem", "b", "c", "d"]
    found = list(size["systems"])
    return [s for s in order if s in found] + sorted(s for s in found if s not in order)


def name_of(system: str) -> str:
    if system in NAMES:
        return NAMES[system]
    if system.startswith("b-w"):
        return f"(b) kg serve --workers {system[3:]}, HTTP"
    return system


def ok(result: dict[str, Any]) -> bool:
    return "error" not in result


def medians(result: dict[str, Any]) -> dict[str, float]:
    return {t["name"]: t["median_ms"] for t in result.get("latency", []) if t.get("error") is None}


def qps(result: dict[str, Any], clients: int) -> float | None:
    for t in result.get("throughput", []):
        if t["clients"] == clients:
            return float(t["qps"])
    return None


def ratio(x: float | None, y: float | None) -> str:
    if x is None or y is None or not y or math.isnan(x) or math.isnan(y):
        return "–"
    return f"{x / y:.2f}×"


def num(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v > 0 and not math.isnan(v)]
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else None


def load_rate(result: dict[str, Any], quads: int, key: str = "load_s") -> float | None:
    seconds = result.get(key)
    return quads / seconds if seconds else None


# --- tables -----------------------------------------------------------------------------------------


def render(run: Run) -> str:
    m = run["machine"]
    lines = [
        f"# Benchmark results, {m['date']}",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}; host `{m['host']}`{' (CI)' if m['ci'] else ''}; commit `{m['commit']}`.",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + ".",
        f"Command: `python benchmarks/run.py {' '.join(run['args'])}` ({run['total_s'] / 60:.1f} min in all).",
        "",
        "Systems: " + "; ".join(f"{k} = {v}" for k, v in NAMES.items()) + ". Ratios are to (a) and to (c); "
        "for latency and memory lower is better, for throughput and load rate higher is better. "
        "HTTP clients are Python threads with one `httpx.Client` each, on the same 2 cores as the server.",
        "",
    ]
    lines += [f"**Note:** {note}" for note in run.get("notes", [])] + ([""] if run.get("notes") else [])
    busy = [s for s in run["sizes"] if max(s.get("loadavg_start", [0])[0], s.get("loadavg_end", [0])[0]) > 1.5]
    if busy:
        lines += [
            f"**Warning: the machine was busy with other work during this run** (1-minute load average up to "
            f"{max(max(s['loadavg_start'][0], s['loadavg_end'][0]) for s in busy):.1f} on "
            f"{m['nproc']} cores, before any server of ours was up: other processes shared the cores). "
            "Absolute numbers and small ratios are unreliable; run again on a quiet machine before acting on them.",
            "",
        ]
    for size in run["sizes"]:
        lines += render_size(size)
    lines += render_targets(run)
    if run.get("analysis"):
        lines += ["## Where the time goes, and the next change", "", *(f"- {a}" for a in run["analysis"]), ""]
    if "validation" in run:
        lines += render_validation(run["validation"])
    return "\n".join(lines) + "\n"


def render_size(size: dict[str, Any]) -> list[str]:
    systems = systems_of(size)
    load = [f"{x:.1f}" for x in (size.get("loadavg_start", [None])[0], size.get("loadavg_end", [None])[0]) if x]
    lines = [
        f"## {size['label']}: {size['quads']:,} quads ({size['file_mb']:.1f} MB of N-Quads)",
        "",
        f"Load average (1 min) at the start and end of this size: {' → '.join(load) or '–'}.",
        "",
        f"Parameters: city `{size['params']['city'].rsplit('/', 1)[-1]}`, country "
        f"`{size['params']['country'].rsplit('/', 1)[-1]}`, year {size['params']['year']}, search "
        f'"{size["params"]["search"]}", regex `{size["params"]["regex"]}`.',
        "",
    ]
    for s in systems:
        if not ok(size["systems"][s]):
            lines.append(f"- {name_of(s)}: **{size['systems'][s]['error'].strip()}**")
    lines += ["", *load_table(size), "", *latency_table(size, systems), "", *throughput_table(size, systems), ""]
    return lines


def load_table(size: dict[str, Any]) -> list[str]:
    sy, quads = size["systems"], size["quads"]
    a_rate = load_rate(sy.get("a", {}), quads)
    c_rate = load_rate(sy.get("c", {}), quads)
    rows = [
        "### Load into the on-disk store",
        "",
        "| loader | seconds | quads/s | × (a) | × (c) | peak memory MB | store MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    a = sy.get("a", {})
    if ok(a) and "load_s" in a:
        rows.append(
            f"| (a) pyoxigraph `bulk_load` + flush | {num(a['load_s'])} | {num(a_rate, 0)} | 1.00× | "
            f"{ratio(a_rate, c_rate)} | {num(a.get('load_peak_rss_mb'), 0)} | {num(a.get('store_mb'), 1)} |"
        )
        rows.append(f"| (a) then `optimize()` (not in the rate) | {num(a.get('optimize_s'))} | | | | | |")
    b_key = next((k for k in systems_of(size) if k.startswith("b") and "load_s" in sy[k]), None)
    if b_key:
        b = sy[b_key]
        for key, label in (("load_s", "whole command"), ("load_s_reported", "its own timer")):
            rate = load_rate(b, quads, key)
            rows.append(
                f"| (b) `kg load --only`, {label} | {num(b.get(key))} | {num(rate, 0)} | {ratio(rate, a_rate)} | "
                f"{ratio(rate, c_rate)} | {num(b.get('load_peak_rss_mb'), 0)} | {num(b.get('store_mb'), 1)} |"
            )
    c = sy.get("c", {})
    if "load_s" in c:
        rows.append(
            f"| (c) `oxigraph load` | {num(c['load_s'])} | {num(c_rate, 0)} | {ratio(c_rate, a_rate)} | 1.00× | "
            f"{num(c.get('load_peak_rss_mb'), 0)} | {num(c.get('store_mb'), 1)} |"
        )
    for key in ("a-mem", "d"):
        r = sy.get(key, {})
        if ok(r) and r.get("load_s"):
            rate = load_rate(r, quads)
            rows.append(
                f"| {name_of(key)}, load into memory | {num(r['load_s'])} | {num(rate, 0)} | {ratio(rate, a_rate)} | "
                f"{ratio(rate, c_rate)} | | |"
            )
    return rows


def latency_table(size: dict[str, Any], systems: list[str]) -> list[str]:
    sy = size["systems"]
    med = {s: medians(sy[s]) for s in systems if ok(sy[s])}
    cols = [s for s in systems if s in med]
    rows = [
        "### Median latency per query (ms)",
        "",
        "| query | " + " | ".join(cols) + " | b ÷ c | b ÷ a | c ÷ a | a ÷ a-mem | rows |",
        "| --- | " + " | ".join("---:" for _ in cols) + " | ---: | ---: | ---: | ---: | ---: |",
    ]
    b = "b" if "b" in med else next((s for s in cols if s.startswith("b")), None)
    for q in size["queries"]:
        v = {s: med[s].get(q) for s in cols}
        rows.append(
            f"| {q} | "
            + " | ".join(num(v[s], 2) for s in cols)
            + f" | {ratio(v.get(b) if b else None, v.get('c'))} | {ratio(v.get(b) if b else None, v.get('a'))} | "
            f"{ratio(v.get('c'), v.get('a'))} | {ratio(v.get('a'), v.get('a-mem'))} | {rows_of(sy, q)} |"
        )
    gm = {s: geomean([x for x in med[s].values()]) for s in cols}
    rows.append(
        "| **geometric mean** | "
        + " | ".join(num(gm[s], 2) for s in cols)
        + f" | {ratio(gm.get(b) if b else None, gm.get('c'))} | {ratio(gm.get(b) if b else None, gm.get('a'))} | "
        f"{ratio(gm.get('c'), gm.get('a'))} | {ratio(gm.get('a'), gm.get('a-mem'))} | |"
    )
    errors = [(s, t) for s in cols for t in sy[s].get("latency", []) if t.get("error")]
    rows += [f"\n- {s} {t['name']}: {t['error']}" for s, t in errors]
    return rows


def rows_of(sy: dict[str, Any], query: str) -> str:
    """Result sizes per system, shown once when all agree (Oxigraph's union graph keeps duplicates)."""
    counts = {}
    for s, r in sy.items():
        for t in r.get("latency", []):
            if t["name"] == query and t.get("error") is None:
                counts[s] = t["rows"]
    distinct = sorted(set(counts.values()))
    if len(distinct) <= 1:
        return str(distinct[0]) if distinct else "–"
    return ", ".join(f"{s}:{n}" for s, n in counts.items())


def throughput_table(size: dict[str, Any], systems: list[str]) -> list[str]:
    sy = size["systems"]
    rows = [
        "### Throughput on the mix (queries/s, round-robin, bounded time) and peak memory",
        "",
        "| system | 1 client | 4 clients | 4 clients × (a) | 4 clients × (c) | 1 client × (c) | peak memory MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    a4, c4, c1 = qps(sy.get("a", {}), 4), qps(sy.get("c", {}), 4), qps(sy.get("c", {}), 1)
    for s in systems:
        r = sy[s]
        if not ok(r):
            continue
        q1, q4 = qps(r, 1), qps(r, 4)
        rows.append(
            f"| {name_of(s)} | {num(q1, 1)} | {num(q4, 1)} | {ratio(q4, a4)} | {ratio(q4, c4)} | {ratio(q1, c1)} | "
            f"{num(r.get('peak_rss_mb'), 0)} |"
        )
    errs = [(s, t) for s in systems for t in sy[s].get("throughput", []) if t.get("errors")]
    rows += [f"\n- {s}, {t['clients']} clients: {t['errors']} failed queries" for s, t in errs]
    rows.append(
        "\nPeak memory: VmHWM of the server process (and its children) after the mix, or the in-process "
        "system's own ru_maxrss (load included for the in-memory systems)."
    )
    return rows


# --- targets ----------------------------------------------------------------------------------------


def render_targets(run: Run) -> list[str]:
    lines = ["## Targets (issue 6)", "", "| target | size | measured | verdict |", "| --- | --- | --- | --- |"]
    notes: list[str] = []
    for size in run["sizes"]:
        for row, note in targets_for(size):
            lines.append(row)
            if note:
                notes.append(note)
    lines += ["", *notes, ""]
    return lines


def verdict(passed: bool | None, miss_by: str = "") -> str:
    if passed is None:
        return "n/a"
    return "PASS" if passed else f"**MISS**{' by ' + miss_by if miss_by else ''}"


def targets_for(size: dict[str, Any]) -> list[tuple[str, str]]:
    label, sy = size["label"], size["systems"]
    out: list[tuple[str, str]] = []
    b_key = "b" if "b" in sy else next((s for s in sy if s.startswith("b-")), "b")
    b, c, a, mem, d = (sy.get(k, {"error": "absent"}) for k in (b_key, "c", "a", "a-mem", "d"))
    scope = " (target size)" if label == TARGET_SIZE else ""
    if ok(b) and ok(c):
        b4, c4 = qps(b, 4), qps(c, 4)
        r = (b4 or 0) / c4 if c4 else 0.0
        out.append((f"| (b) 4-client throughput ≥ 1.0 × (c) | {label}{scope} | {ratio(b4, c4)} | "
                    f"{verdict(r >= 1.0, f'{(1 - r) * 100:.0f} %')} |", ""))  # fmt: skip
        misses = latency_misses(medians(b), medians(c))
        text = "all within" if not misses else ", ".join(f"{q} +{over:.2f} ms" for q, over in misses)
        out.append((f"| every query: median (b) ≤ 1.25 × (c) + 1 ms | {label}{scope} | {text} | "
                     f"{verdict(not misses, f'{len(misses)} queries')} |", ""))  # fmt: skip
    else:
        out.append((f"| (b) vs (c): throughput and latency | {label}{scope} | (b) not measured | n/a |", ""))
    if ok(a) and ok(mem) and label != "10k":
        ratios = [x / y for q, x in medians(a).items() if (y := medians(mem).get(q))]
        gm = geomean(ratios)
        out.append((f"| observed: in-memory 2–4× faster than on-disk (a) | {label} | geometric mean "
                    f"{num(gm)}×, range {num(min(ratios))}–{num(max(ratios))}× | "
                    f"{verdict(gm is not None and 2 <= gm <= 4) if gm else 'n/a'} |", ""))  # fmt: skip
    if ok(a) and ok(c):
        gm = geomean([y / x for q, x in medians(a).items() if (y := medians(c).get(q))])
        a4, c4 = qps(a, 4), qps(c, 4)
        out.append((f"| observed: (c) within 10 % of (a) | {label} | latency geometric mean "
                    f"{ratio(gm, 1.0)} of (a); 4-client throughput {ratio(c4, a4)} of (a) | "
                    f"{verdict(gm is not None and gm <= 1.10)} |", ""))  # fmt: skip
    if label == "100k" and ok(d):
        d1, d4 = qps(d, 1), qps(d, 4)
        for k in (b_key, "c", "a"):
            r = sy.get(k, {})
            if ok(r):
                x = (qps(r, 4) or 0) / d4 if d4 else None
                out.append((f"| {k} ≥ 50 × (d) throughput (4 clients; 1 client {ratio(qps(r, 1), d1)}) | {label} | "
                            f"{num(x, 0)}× | {verdict(x is not None and x >= 50)} |", ""))  # fmt: skip
    if b_key in sy and sy[b_key].get("load_s") and ok(a):
        quads = size["quads"]
        a_rate = load_rate(a, quads)
        for key, what in (("load_s_reported", "its own timer"), ("load_s", "whole command")):
            rate = load_rate(sy[b_key], quads, key)
            if rate and a_rate:
                r = rate / a_rate
                out.append((f"| `kg load` rate ≥ 0.8 × pyoxigraph bulk load ({what}) | {label} | {r:.2f}× | "
                            f"{verdict(r >= 0.8, f'{(0.8 - r) / 0.8 * 100:.0f} %')} |", ""))  # fmt: skip
    if label == "10m":
        answered = ok(a) and all(t.get("error") is None for t in a.get("latency", []))
        out.append((f"| 10M triples load and the whole mix answers | {label} | load {num(a.get('load_s'), 0)} s, "
                    f"store {num(a.get('store_mb'), 0)} MB, peak load memory {num(a.get('load_peak_rss_mb'), 0)} MB | "
                    f"{verdict(answered)} |", ""))  # fmt: skip
    return out


def latency_misses(b: dict[str, float], c: dict[str, float]) -> list[tuple[str, float]]:
    """Queries whose median on (b) exceeds 1.25 × (c) + 1 ms, with the excess in ms."""
    misses = []
    for q, cv in c.items():
        bv = b.get(q)
        if bv is None:
            misses.append((q, float("nan")))
        elif bv > 1.25 * cv + 1.0:
            misses.append((q, bv - (1.25 * cv + 1.0)))
    return misses


def render_validation(v: dict[str, Any]) -> list[str]:
    lines = [
        "## Validation: submitted cities, plain pyshacl vs the project's validation",
        "",
        f"Shapes: {v.get('shapes', '–')}. {v.get('note', '')}",
        "",
        "| cities | triples | plain pyshacl s | project s | project ÷ pyshacl | conforms (pyshacl / project) |",
        "| ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in v.get("rows", []):
        lines.append(
            f"| {r['cities']:,} | {r['triples']:,} | {num(r.get('pyshacl_s'))} | {num(r.get('project_s'))} | "
            f"{ratio(r.get('project_s'), r.get('pyshacl_s'))} | {r.get('pyshacl_conforms')} / "
            f"{r.get('project_conforms', '–')} |"
        )
    return [*lines, ""]


# --- files ------------------------------------------------------------------------------------------


def save(run: Run, text: str, folder: Path, machine_name: str | None) -> Path:
    """Write <date>-<machine>.md and .json, and copy the Markdown to LATEST.md."""
    m = run["machine"]
    name = machine_name or ("ci-2core" if m["ci"] else f"{m['nproc']}core-{_slug(m['host'])}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.strftime('%Y-%m-%d')}-{name}.md"
    path.write_text(text, encoding="utf-8")
    path.with_suffix(".json").write_text(json.dumps(run, indent=1, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(path, folder / "LATEST.md")
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:24] or "host"


def main(argv: list[str] | None = None) -> int:
    """Render a saved run again (after adding a validation result or a note): `report.py RUN.json`."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("run", type=Path, help="a results .json written by run.py")
    parser.add_argument("--validation", type=Path, help="a validation.py result to include")
    parser.add_argument("--analysis", type=Path, help="a Markdown list (one '- ' item a line) of findings")
    args = parser.parse_args(argv)
    run = json.loads(args.run.read_text(encoding="utf-8"))
    if args.validation:
        run["validation"] = json.loads(args.validation.read_text(encoding="utf-8"))
    if args.analysis:
        items = args.analysis.read_text(encoding="utf-8").split("\n- ")
        run["analysis"] = [" ".join(i.removeprefix("- ").split()) for i in items if i.strip()]
    text = render(run)
    args.run.write_text(json.dumps(run, indent=1, ensure_ascii=False), encoding="utf-8")
    args.run.with_suffix(".md").write_text(text, encoding="utf-8")
    shutil.copyfile(args.run.with_suffix(".md"), args.run.parent / "LATEST.md")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
