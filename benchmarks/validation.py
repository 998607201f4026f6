"""The validation benchmark: submissions of 100 / 1,000 / 10,000 cities, plain pyshacl beside the project's.

    python benchmarks/validation.py [--cities 100,1000,10000] [--out benchmarks/work/validation.json]

A submission is what a contributor sends for new cities: each city with its labels, coordinates and geometry,
country, region and membership, plus the countries, regions and rounds it names, as one Turtle document
(made by the benchmark's generator, so it is in the project's model). Both sides parse the Turtle and
validate against shapes/*.ttl with ontology/*.ttl: plain `pyshacl.validate` (ontology as `ont_graph`, no
inference) and `kg.shacl.validate`, which is skipped with a message while that module is missing. Shapes and
ontology are parsed once, outside the timings.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import generate
import pyoxigraph as ox
from rdflib import RDF, SH, Graph

ROOT = Path(__file__).resolve().parent.parent
# the cities and what they name: places, rounds, the network and its coordinator, the award
SUBMITTED_KINDS = (
    *("/id/city/", "/id/membership/", "/id/geometry/", "/id/country/", "/id/region/", "/id/round/"),
    *("/id/network/", "/id/org/unesco>", "/id/award/"),
)
Validator = Callable[[str], tuple[bool, int]]  # Turtle text in; conforms, and the number of results, out


def submission(cities: int, seed: int = generate.SEED) -> str:
    """A Turtle submission of `cities` synthetic cities and what they name."""
    # the generator's city blocks, cut down to the kinds a city submission carries
    gen = generate.Generator(generate.make_plan(cities * 110), seed)
    head, gen.regions = generate.header(gen.plan, gen.rng)
    lines = list(head.lines)
    for i in range(cities):
        lines += gen.city_block(i).lines
    kept = (line for line in lines if line.startswith(tuple(f"<{generate.BASE[:-1]}{k}" for k in SUBMITTED_KINDS)))
    triples = {q.triple for q in ox.parse("".join(kept).encode(), format=ox.RdfFormat.N_QUADS)}
    return ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.TURTLE).decode()


def parse_turtle(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle")


def union_of(folder: Path) -> Graph:
    graph = Graph()
    for path in sorted(folder.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def plain_pyshacl(shapes: Graph, ontology: Graph) -> Validator:
    """pyshacl.validate as a user would call it: ontology merged into the data (so the SKOS concepts that
    sh:class points at are there), no inference, warnings allowed."""
    import pyshacl

    def run(text: str) -> bool:
        data = parse_turtle(text)
        for triple in ontology:
            data.add(triple)
        conforms, report, _ = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", advanced=False, allow_warnings=True, inplace=True
        )
        return bool(conforms), len(set(report.subjects(RDF.type, SH.ValidationResult)))

    return run


def project_validator() -> Validator | str:
    """What POST /validate runs (kg.vetting.vet: the submission alone through the shapes, plus the SPARQL checks
    against the stored curated graph, loaded here into an in-memory store), or the reason it cannot be measured."""
    try:
        vetting = importlib.import_module("kg.vetting")
        loading = importlib.import_module("kg.loading")
    except ModuleNotFoundError as e:
        return f"the project's validation is not available ({e.name} missing): project side skipped"
    store = ox.Store()
    loading.load_files(store, loading.project_files(ROOT))
    rules = vetting.load_rules(ROOT, generate.BASE)

    def run(text: str) -> tuple[bool, int]:
        report = vetting.vet(parse_turtle(text), rules, store=store)
        return bool(report.conforms), len(report.results)

    return run


def timed(run: Validator, text: str) -> tuple[float, bool, int]:
    t0 = time.perf_counter()
    conforms, results = run(text)
    return time.perf_counter() - t0, conforms, results


def run_all(sizes: tuple[int, ...] = (100, 1_000, 10_000), *, budget_s: float = 7200.0) -> dict[str, Any]:
    """Both validators over each size, skipping sizes once the previous one took more than a fifth of the budget."""
    shapes, ontology = union_of(ROOT / "shapes"), union_of(ROOT / "ontology")
    plain = plain_pyshacl(shapes, ontology)
    project = project_validator()
    note = project if isinstance(project, str) else ""
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for cities in sizes:
        if rows and time.perf_counter() - started > budget_s / 5:
            note += f" {cities:,} cities skipped: the smaller sizes used the time budget ({budget_s:.0f} s)."
            continue
        text = submission(cities)
        row: dict[str, Any] = {"cities": cities, "triples": len(parse_turtle(text)), "turtle_kb": len(text) // 1024}
        row["pyshacl_s"], row["pyshacl_conforms"], row["pyshacl_results"] = timed(plain, text)
        row["pyshacl_results_per_s"] = row["pyshacl_results"] / row["pyshacl_s"]
        if not isinstance(project, str):
            row["project_s"], row["project_conforms"], row["project_results"] = timed(project, text)
            row["project_results_per_s"] = row["project_results"] / row["project_s"]
            row["project_vs_pyshacl"] = row["pyshacl_s"] / row["project_s"]
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    return {"shapes": f"{len(shapes):,} triples of shapes, {len(ontology):,} of ontology", "note": note, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cities", default="100,1000,10000")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "work" / "validation.json")
    args = parser.parse_args(argv)
    result = run_all(tuple(int(c) for c in args.cities.split(",")))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
