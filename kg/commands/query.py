"""`kg query`: run SPARQL against the store and print a table, or results in a standard format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kg.commands import add_store_option, settings_from
from kg.errors import BadRequestError
from kg.formats import GRAPH_FORMATS, RESULT_FORMATS
from kg.querying import evaluate
from kg.stores import GRAPH_RESULTS, opened
from kg.tables import render_table

if TYPE_CHECKING:
    from kg.commands import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "query",
        help="run a SPARQL query",
        description="Run a SPARQL query over the store (default graph: the union of all named graphs). "
        "The prefixes rdf, rdfs, owl, xsd, skos, dcterms, prov, org, schema, geo, wgs, kg, wd, wdt ... "
        "are predefined.",
    )
    add_store_option(parser)
    parser.add_argument("query", help="the query text, or @FILE to read it from a file ('@-' reads stdin)")
    parser.add_argument(
        "--format",
        "-f",
        choices=["table", *RESULT_FORMATS, *GRAPH_FORMATS],
        help="output format (default: a table for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE)",
    )
    parser.add_argument(
        "--graph",
        action="append",
        default=[],
        metavar="IRI",
        help="use this named graph as (part of) the default graph; repeatable",
    )
    parser.set_defaults(func=run)


def read_query(arg: str) -> str:
    """The query text itself, or the content of the file named after '@'.

    Raises:
        BadRequestError: the file cannot be read.
    """
    if not arg.startswith("@"):
        return arg
    if arg == "@-":
        return sys.stdin.read()
    try:
        return Path(arg[1:]).read_text(encoding="utf-8")
    except OSError as e:
        raise BadRequestError(f"cannot read the query file {arg[1:]}: {e.strerror}") from None


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, remote_ok=True)
    text = read_query(args.query)
    with opened(settings, read_only=True) as store:
        results = evaluate(store, text, base=settings.base_iri, default_graphs=args.graph)
    out = sys.stdout.buffer
    if isinstance(results, GRAPH_RESULTS):
        fmt = GRAPH_FORMATS.get(args.format or "turtle")
        if fmt is None:
            raise BadRequestError(
                f"--format {args.format} is for SELECT/ASK; a CONSTRUCT gives {', '.join(GRAPH_FORMATS)}"
            )
        results.serialize(out, fmt)
    elif args.format in (None, "table"):
        out.write(render_table(results).encode())
    else:
        rfmt = RESULT_FORMATS.get(args.format)
        if rfmt is None:
            raise BadRequestError(
                f"--format {args.format} is for CONSTRUCT/DESCRIBE; a SELECT or ASK gives "
                f"table, {', '.join(RESULT_FORMATS)}"
            )
        results.serialize(out, rfmt)
    out.flush()
    return 0
