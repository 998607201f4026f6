"""`kg export`: the whole store, with its named graphs, to stdout or a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.commands import add_store_option, settings_from
from kg.stores import GRAPH_RESULTS, Store, opened

UNION = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "turtle": ox.RdfFormat.TURTLE}

if TYPE_CHECKING:
    from kg.commands import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "export",
        help="write the whole store to stdout or a file",
        description="Write the whole store. N-Quads and TriG keep the named graphs (which source states "
        "what); Turtle gives the union of all graphs as plain triples.",
    )
    add_store_option(parser)
    parser.add_argument("--format", "-f", choices=list(FORMATS), default="nquads")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write here instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, remote_ok=True)
    fmt = FORMATS[args.format]
    with opened(settings, read_only=True) as store:
        if args.output:
            with args.output.open("wb") as out:
                _write(store, fmt, out)
        else:
            _write(store, fmt, sys.stdout.buffer)
            sys.stdout.buffer.flush()
    return 0


def _write(store: Store, fmt: ox.RdfFormat, out: object) -> None:
    if fmt.supports_datasets:
        store.dump(out, fmt)  # type: ignore[arg-type]
    else:
        triples = store.query(UNION)
        assert isinstance(triples, GRAPH_RESULTS)
        triples.serialize(out, fmt)  # type: ignore[arg-type]
