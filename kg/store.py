"""The embedded on-disk Oxigraph store, kept as generations so that a rebuild is all-or-nothing.

A store folder holds generation folders (`gen-<nanoseconds>-<pid>`) and a `CURRENT` symlink naming the live one.
`kg load` builds a new generation beside the live one and swaps the link in one rename, so a crash or a
syntax error mid-load leaves the previous store exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pyoxigraph

CURRENT = "CURRENT"


def current_generation(path: Path) -> Path | None:
    """The live generation of a store folder, or None for a folder that holds no store yet."""
    link = path / CURRENT
    if not link.is_symlink():
        return None
    target = path / os.readlink(link)
    return target if target.is_dir() else None


def open_store(path: Path, *, read_only: bool = False) -> pyoxigraph.Store:
    """Open the live generation, creating an empty first one when the folder holds none.

    Raises:
        OSError: the folder cannot be created or holds a store RocksDB cannot open.
    """
    generation = current_generation(path)
    if generation is None:
        if read_only:
            raise FileNotFoundError(f"no store at {path}: run `kg load --store {path}` first")
        generation = new_generation(path)
        pyoxigraph.Store(str(generation)).flush()
        publish_generation(path, generation)
    if read_only:
        return pyoxigraph.Store.read_only(str(generation))
    return pyoxigraph.Store(str(generation))


def new_generation(path: Path) -> Path:
    """A fresh, empty folder for the next generation (not yet live)."""
    path.mkdir(parents=True, exist_ok=True)
    # names sort by creation time, which discard_stale_generations relies on
    generation = path / f"gen-{time.time_ns():020d}-{os.getpid()}"
    generation.mkdir()
    return generation


def publish_generation(path: Path, generation: Path) -> None:
    """Make `generation` the live one atomically, then remove the generations nobody names any more."""
    tmp_link = path / f".{CURRENT}.{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(generation.name, tmp_link)
    os.replace(tmp_link, path / CURRENT)  # rename(2) is atomic: readers see the old or the new link
    _fsync_dir(path)
    discard_stale_generations(path)


def discard_stale_generations(path: Path) -> None:
    """Remove generations older than the live one: replaced stores, or loads that died half-way.

    Newer ones are left alone: another `kg load` may be building one right now.
    """
    live = current_generation(path)
    if live is None:
        return
    for child in path.glob("gen-*"):
        if child.name < live.name and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


def discard_generation(generation: Path) -> None:
    shutil.rmtree(generation, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
