"""Backups of the embedded store: RocksDB checkpoints, restored through a new generation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox

from kg.errors import BadRequestError
from kg.store import current_generation, discard_generation, new_generation, open_store, publish_generation


def backup(store_path: Path, target: Path) -> int:
    """Checkpoint the live store into `target`; returns the number of quads in the backup.

    Raises:
        BadRequestError: `target` exists already, or there is no store to back up.
    """
    if target.exists():
        raise BadRequestError(f"{target} exists already; a backup goes into a new folder")
    if current_generation(store_path) is None:
        raise BadRequestError(f"no store at {store_path} to back up")
    # a second read-write handle on the live store is refused by RocksDB's lock, so a server that holds it
    # must take the backup itself (POST /admin/backup); from the command line we are the only user
    try:
        ox_store = open_store(store_path)
    except OSError as e:
        raise BadRequestError(
            f"the store at {store_path} is in use ({e}); ask the running server for a backup instead "
            "(POST /admin/backup with the update token)"
        ) from None
    ox_store.backup(str(target))
    del ox_store
    return len(ox.Store.read_only(str(target)))


def restore(source: Path, store_path: Path) -> int:
    """Make the backup in `source` the live store; returns the number of quads restored.

    Raises:
        BadRequestError: `source` is not a store backup.
    """
    try:
        quads = len(ox.Store.read_only(str(source)))
    except (OSError, RuntimeError) as e:  # RocksDB reports a damaged folder as RuntimeError
        raise BadRequestError(f"{source} is not a store backup: {e}") from None
    generation = new_generation(store_path)
    try:
        shutil.copytree(source, generation, dirs_exist_ok=True)
        ox.Store(str(generation)).flush()  # opens it read-write once: the copy is a usable store
    except BaseException:
        discard_generation(generation)
        raise
    publish_generation(store_path, generation)
    return quads
