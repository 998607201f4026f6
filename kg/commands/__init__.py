"""Subcommands of `kg`, one module each, each with `register(subparsers)`."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.settings import Settings

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH", help="store folder (default: $KG_STORE_PATH, else var/store)")


def settings_from(args: argparse.Namespace) -> Settings:
    """The environment's settings, with the command line's --store on top."""
    settings = Settings.from_env()
    store = getattr(args, "store", None)
    if store:
        if store.startswith(("http://", "https://")):
            return _replace(settings, store_url=store)
        return _replace(settings, store_path=Path(store))
    return settings


def _replace(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)
