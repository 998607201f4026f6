"""`kg load`: rebuild the store from ontology/, shapes/ and data/ (and any extra files named)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kg.commands import add_store_option, settings_from
from kg.loading import GraphCount, ProjectFile, data_files, project_files, rebuild

PROGRESS_MIN_BYTES = 8 * 1024 * 1024  # smaller inputs load faster than a progress line could say anything

if TYPE_CHECKING:
    from kg.commands import Subparsers
    from kg.remote_loading import PushStep
    from kg.settings import Settings


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "load",
        help="rebuild the store from the project's files",
        description="Rebuild the store from ontology/, shapes/ and data/ (each file in its own named graph), "
        "plus any FILE given. The old store stays live until the new one is complete. With --store "
        "http://HOST:PORT, each of those graphs is replaced on that external SPARQL 1.1 store instead "
        "(Graph Store Protocol; other graphs there are left alone).",
    )
    add_store_option(parser)
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help="extra RDF files to load as well")
    parser.add_argument("--only", action="store_true", help="load only the FILEs, not the project's files")
    parser.add_argument("--quiet", "-q", action="store_true", help="print no summary")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, remote_ok=True)
    files = [] if args.only else project_files(settings.project_root, settings.base_iri)
    files += data_files(args.files, settings.base_iri)
    if settings.store_url:
        return _push(args, settings, files)
    total = sum(f.path.stat().st_size for f in files)
    progress = _ProgressLine() if total >= PROGRESS_MIN_BYTES or sys.stderr.isatty() else None
    started = time.monotonic()
    try:
        counts = rebuild(settings.store_path, files, base=settings.base_iri, progress=progress)
    finally:
        if progress:
            progress.finish()  # an error message then starts on a line of its own
    seconds = time.monotonic() - started
    if not args.quiet:
        _summary(counts, f"loaded {len(files)} files", str(settings.store_path), seconds)
    return 0


def _push(args: argparse.Namespace, settings: Settings, files: list[ProjectFile]) -> int:
    """Replace each graph of the files on the external store (kg/remote_loading.py); other graphs stay."""
    # imported here: the HTTP client takes longer to import than a small load into a folder takes to run
    from kg.remote import open_remote
    from kg.remote_loading import push

    progress = None if args.quiet else _push_progress
    started = time.monotonic()
    with open_remote(settings) as remote:
        counts = push(remote, files, base=settings.base_iri, progress=progress)
    seconds = time.monotonic() - started
    if progress:
        print(file=sys.stderr)
    if not args.quiet:
        _summary(counts, f"pushed {len(files)} files", str(settings.store_url), seconds)
    return 0


def _push_progress(step: PushStep) -> None:
    print(
        f"\rpushing graph {step.graphs_done}/{step.graphs_total}  {step.triples_done:,}/{step.triples_total:,} triples",
        end="",
        file=sys.stderr,
        flush=True,
    )


def _summary(counts: list[GraphCount], what: str, where: str, seconds: float) -> None:
    triples = sum(c.triples for c in counts)
    width = max((len(c.graph) for c in counts), default=5)
    for c in counts:
        print(f"{c.graph:<{width}}  {c.triples:>10,}")
    print(f"{'total':<{width}}  {triples:>10,}")
    print(
        f"{what}, {triples:,} triples in {len(counts)} graphs into "
        f"{where} in {seconds:.1f} s ({triples / max(seconds, 1e-9):,.0f} triples/s)",
        file=sys.stderr,
    )


class _ProgressLine:
    """One line on stderr, rewritten at most five times a second: file, percentage, bytes, rate."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._last = 0.0
        self._bytes_before = 0
        self._label = ""
        self._done = 0

    def __call__(self, label: str, done: int, total: int) -> None:
        if label != self._label:
            self._bytes_before += self._done
            self._label, self._done = label, 0
        self._done = done
        now = time.monotonic()
        if now - self._last < 0.2 and done < total:
            return
        self._last = now
        rate = (self._bytes_before + done) / max(now - self._started, 1e-9) / 1e6
        pct = 100 * done / total if total else 100
        print(
            f"\rloading {label}  {pct:5.1f}%  {done / 1e6:,.1f}/{total / 1e6:,.1f} MB  {rate:,.1f} MB/s",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def finish(self) -> None:
        print(file=sys.stderr)
