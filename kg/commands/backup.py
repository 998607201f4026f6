"""`kg backup DIR` and `kg restore DIR`: consistent copies of the embedded store, taken while it serves."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kg.backups import backup, restore
from kg.commands import add_store_option, settings_from

if TYPE_CHECKING:
    from kg.commands import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "backup",
        help="copy the store to DIR, consistently, while it may be in use",
        description="Write a consistent snapshot of the store to DIR (which must not exist). On the same "
        "file system, unchanged files are hard-linked, so a backup is cheap.",
    )
    add_store_option(parser)
    parser.add_argument("target", type=Path, metavar="DIR")
    parser.set_defaults(func=_backup)
    parser = sub.add_parser(
        "restore",
        help="replace the store with a backup made by `kg backup`",
        description="Make a backup the live store. The backup is copied into a new generation and swapped "
        "in atomically; the backup itself is left untouched.",
    )
    add_store_option(parser)
    parser.add_argument("source", type=Path, metavar="DIR")
    parser.set_defaults(func=_restore)


def _backup(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    quads = backup(settings.store_path, args.target)
    print(f"backed up {quads:,} quads to {args.target}", file=sys.stderr)
    return 0


def _restore(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    quads = restore(args.source, settings.store_path)
    print(f"restored {quads:,} quads from {args.source} into {settings.store_path}", file=sys.stderr)
    return 0
