"""Subcommands of `kg`, one module each, each with `register(subparsers)`."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import ConfigError
from kg.settings import Settings

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="PATH|URL",
        help="store folder (default: $KG_STORE_PATH, else var/store), or an external store's URL ($KG_STORE_URL)",
    )


def settings_from(args: argparse.Namespace, *, remote_ok: bool = False) -> Settings:
    """The environment's settings, with the command line's --store on top.

    Raises:
        ConfigError: an external store is named (a URL) for a command that works on the embedded store only.
    """
    settings = Settings.from_env()
    store = getattr(args, "store", None)
    if store:
        if store.startswith(("http://", "https://")):
            settings = replace(settings, store_url=store)
        else:
            settings = replace(settings, store_path=Path(store), store_url=None)
    if settings.store_url and not remote_ok:
        # rather than quietly reading var/store while the user means their external store
        raise ConfigError(
            f"`kg {args.command}` works on the embedded store only, not on {settings.store_url}; "
            "`kg load --store URL` fills an external store, which you then query at its own endpoint"
        )
    return settings
