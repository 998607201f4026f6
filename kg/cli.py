"""The `kg` command line: it parses and prints; the work happens in the kg modules.

Exit codes: 0 success; 1 data does not conform (validate) or a check finds rows; 2 bad input (usage,
unreadable file, parse error, malformed query).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kg import __version__
from kg.errors import KGError

# each module registers one or more subcommands with register(subparsers)
COMMANDS = ("load", "query", "validate", "export", "serve", "wikidata", "backup")

EPILOG = """exit codes:
  0  success
  1  the data does not conform (validate)
  2  bad input: usage, unreadable file, parse error, malformed query

Settings come from KG_* environment variables (see the README); --store overrides KG_STORE_PATH."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: only the named command's module when the command is one, else every command."""
    parser = argparse.ArgumentParser(
        prog="kg",
        description="Learning Cities Knowledge Graph: load, query, validate, serve and export.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # importing every command costs more than half a second (pyshacl, rdflib, httpx), as long as a 100k-triple
    # `kg load` itself; a command that is a module's own name needs only that module
    named = (argv[0],) if argv and argv[0] in COMMANDS else COMMANDS
    for name in named:
        try:
            module = importlib.import_module(f"kg.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"kg.commands.{name}":
                raise
            continue  # a command whose module is not written yet is simply not offered
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        return int(e.code or 0)
    try:
        code: int = args.func(args)
    except KGError as e:
        print(f"error: {e.detail}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return code
