"""`kg export-wikidata` (QuickStatements v1) and `kg import-wikidata FILE` (offline enrichment)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kg.commands import add_store_option, settings_from
from kg.errors import BadRequestError
from kg.stores import opened
from kg.wikidata.enrichment import import_facts, read_wikidata_file
from kg.wikidata.quickstatements import quickstatements, unmatched_csv

if TYPE_CHECKING:
    from kg.commands import Subparsers


def register(sub: Subparsers) -> None:
    export = sub.add_parser(
        "export-wikidata",
        help="write QuickStatements (v1) for statements about entities with verified Wikidata ids",
        description="Write QuickStatements v1 commands (tab-separated) for the statements of the Wikidata-shaped "
        "view whose item and value have verified Wikidata ids and whose source article has a URL; each line "
        "carries S854 (reference URL) and S813 (retrieved). Entities without an id, which keep other "
        "statements out, can be written as a Mix'n'match-style CSV with --unmatched.",
    )
    add_store_option(export)
    export.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the commands here, not stdout")
    export.add_argument("--unmatched", type=Path, metavar="CSV", help="write entities without a Wikidata id here")
    export.add_argument(
        "--retrieved", type=_date, metavar="YYYY-MM-DD", help="retrieval date for S813 (default: today)"
    )
    export.set_defaults(func=run_export)

    imp = sub.add_parser(
        "import-wikidata",
        help="add what a Wikidata JSON file says about our linked entities, in a graph of its own",
        description="Read, offline, an entity file as Special:EntityData/Q….json serves it or a Wikidata Query "
        "Service SPARQL JSON results file (columns item, coord, population, pointInTime, website, label), "
        "and write coordinates, population with its point in time, official website and en/fr/ar labels of "
        "entities linked by owl:sameAs into graph/wikidata/import/<name>. Curated graphs are never touched: "
        "values that differ from ours are kept beside them and listed on stderr.",
    )
    add_store_option(imp)
    imp.add_argument("file", type=Path, metavar="FILE", help="the JSON file")
    imp.add_argument("--name", help="name of the import graph (default: the file's name)")
    imp.set_defaults(func=run_import)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def run_export(args: argparse.Namespace) -> int:
    settings = settings_from(args, remote_ok=True)
    with opened(settings, read_only=True) as store:
        export = quickstatements(store, base=settings.base_iri, retrieved=args.retrieved)
    text = "".join(line + "\n" for line in export.lines)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if args.unmatched:
        args.unmatched.write_text(unmatched_csv(export.unmatched), encoding="utf-8")
    reasons: dict[str, int] = {}
    for skipped in export.skipped:
        reasons[skipped.reason] = reasons.get(skipped.reason, 0) + 1
    print(
        f"{len(export.lines)} QuickStatements lines; {len(export.unmatched)} entities without a Wikidata id"
        + (f" (written to {args.unmatched})" if args.unmatched else " (see --unmatched)"),
        file=sys.stderr,
    )
    for reason, count in sorted(reasons.items()):
        print(f"left out: {count} statements: {reason}", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace) -> int:
    settings = settings_from(args, remote_ok=True)
    if not args.file.is_file():
        raise BadRequestError(f"{args.file}: no such file")
    facts = read_wikidata_file(args.file)
    with opened(settings) as store:
        name = args.name or args.file.name
        report = import_facts(store, facts, name=name, source=str(args.file), base=settings.base_iri)
        store.flush()
    print(
        f"{report.quads} quads into <{report.graph}> for {', '.join(report.linked) or 'no linked entity'}",
        file=sys.stderr,
    )
    if report.unlinked:
        print(f"not linked to any entity of ours (nothing written): {', '.join(report.unlinked)}", file=sys.stderr)
    for d in report.differences:
        print(
            f"differs from ours (kept beside it): {d.entity} {d.what}: ours {d.ours}, Wikidata {d.theirs}",
            file=sys.stderr,
        )
    return 0
