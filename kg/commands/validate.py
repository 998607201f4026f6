"""`kg validate FILE...`: the SHACL report on the union of the files, grouped by focus node.

Exit 0 when the data conforms (no violation; warnings allowed), 1 when it does not, 2 when a file cannot
be read or parsed. The store (--store) serves the checks against stored data: referenced entities exist, no
probable duplicate cities; without a store those checks are skipped, with a note on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import rdflib

from kg.commands import add_store_option, settings_from
from kg.errors import BadRequestError
from kg.parsing import format_for_filename, parse_data, to_rdflib
from kg.reports import summary, text
from kg.settings import Settings
from kg.store import current_generation
from kg.stores import Store, open_configured, release
from kg.vetting import load_rules, vet

if TYPE_CHECKING:
    from kg.commands import Subparsers

FORMATS = ("text", "json", "turtle")


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "validate",
        help="validate RDF files against the shapes (and the store)",
        description="Validate the union of FILEs (.ttl .trig .nt .nq .jsonld .rdf) against shapes/, with the "
        "ontology's class hierarchy, and against the store: referenced countries, regions and networks exist; "
        "no new city duplicates a stored one. Exit 0: conforms (warnings allowed); 1: does not; 2: unreadable.",
    )
    add_store_option(parser)
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="RDF files, validated as one graph")
    parser.add_argument("--format", "-f", choices=FORMATS, default="text", help="output (default: text)")
    parser.add_argument("--lang", choices=("en", "fr", "ar"), default="en", help="language of messages and hints")
    parser.set_defaults(func=run)


def read_files(paths: list[Path]) -> rdflib.Graph:
    """The union of the files' triples (named graphs merged).

    Raises:
        BadRequestError: a file cannot be read, or its extension names no RDF format.
        DataSyntaxError: a file does not parse (the message names file, line and column).
    """
    graph = rdflib.Graph()
    for path in paths:
        fmt = format_for_filename(path.name)
        if fmt is None:
            raise BadRequestError(f"{path}: unknown RDF file extension; use .ttl .trig .nt .nq .jsonld or .rdf")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise BadRequestError(f"cannot read {path}: {e.strerror}") from None
        to_rdflib(parse_data(data, fmt, source=str(path)).triples, graph)
    return graph


def _store(settings: Settings) -> tuple[Store | None, str | None]:
    """The store for the checks against stored data, or None and the reason they are skipped."""
    if settings.store_url:
        return open_configured(settings, read_only=True), None
    if current_generation(settings.store_path) is None:
        return None, f"there is no store at {settings.store_path} (run `kg load` first)"
    return open_configured(settings, read_only=True), None


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, remote_ok=True)
    data = read_files(args.files)
    store, why_not = _store(settings)
    notes: tuple[str, ...] = ()
    if why_not:
        note = f"checks against stored data (references exist, duplicates) skipped: {why_not}"
        print(f"note: {note}", file=sys.stderr)
        notes = (note,) if args.format != "text" else ()  # text output has the note on stderr already
    try:
        report = vet(data, load_rules(settings.project_root, settings.base_iri), store=store, notes=notes)
    finally:
        if store is not None:
            release(store)
    if args.format == "json":
        print(json.dumps(summary(report, args.lang), ensure_ascii=False, indent=2))
    elif args.format == "turtle":
        sys.stdout.write(report.graph.serialize(format="turtle"))
    else:
        sys.stdout.write(text(report, args.lang))
    return 0 if report.conforms else 1
