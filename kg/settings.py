"""Configuration, read once from the environment at the entry points and passed down as a value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from kg.errors import ConfigError
from kg.iris import DEFAULT_BASE
from kg.tokens import parse_tokens

N = TypeVar("N", int, float)


def _default_root() -> Path:
    # an editable install or a checkout: the project files sit beside the package
    here = Path(__file__).resolve().parent.parent
    return here if (here / "ontology").is_dir() else Path.cwd()


@dataclass(frozen=True)
class Settings:
    store_path: Path = Path("var/store")  # on-disk Oxigraph; survives restarts
    store_url: str | None = None  # an external SPARQL 1.1 store instead of the embedded one
    store_update_url: str | None = None  # default: <store_url>/update (Oxigraph's layout; kg/remote.py)
    store_gsp_url: str | None = None  # Graph Store Protocol; default: <store_url>/store
    store_user: str | None = None  # HTTP basic auth for the external store
    store_password: str | None = None
    store_timeout_param: str | None = None  # the store's own query timeout parameter: NAME or NAME:ms
    # the URL parameter asking the store for "default graph = union of the named graphs" (Oxigraph's); None for
    # a store configured that way already (Virtuoso)
    store_union_param: str | None = "union-default-graph"
    project_root: Path = field(default_factory=_default_root)  # holds ontology/, shapes/, data/
    base_iri: str = DEFAULT_BASE
    languages: tuple[str, ...] = ("en", "fr", "ar")
    update_token: str | None = None  # no token: read-only, no update route; format in kg/tokens.py
    submit_token: str | None = None  # no token: submissions are refused
    query_timeout: float = 30.0  # seconds per query, enforced by killing the evaluating worker
    max_query_length: int = 100_000  # characters
    max_result_rows: int = 100_000  # rows of a SELECT; truncation is signalled in a header
    max_body_bytes: int = 10 * 1024 * 1024
    service_allowlist: tuple[str, ...] = ()  # IRI prefixes SERVICE and LOAD may reach
    query_workers: int = 2
    rate_limit: float = 0.0  # requests per second per client; 0 switches limiting off
    cors_origins: tuple[str, ...] = ("*",)

    def __post_init__(self) -> None:
        if not self.base_iri.endswith("/"):
            raise ConfigError(f"KG_BASE_IRI must end with '/', got {self.base_iri!r}")
        for name in (
            "query_timeout",
            "max_query_length",
            "max_result_rows",
            "max_body_bytes",
            "query_workers",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)!r}")
        for entry in self.service_allowlist:
            # as a plain prefix, "https://host" would also allow https://host.evil.example/ and https://host@other/
            scheme, sep, rest = entry.partition("://")
            if not (scheme and sep and "/" in rest and rest.split("/", 1)[0]):
                raise ConfigError(
                    f"KG_SERVICE_ALLOWLIST entry {entry!r} must be scheme://host[:port]/ followed by an optional path"
                )
        for variable, tokens in (("KG_UPDATE_TOKEN", self.update_token), ("KG_SUBMIT_TOKEN", self.submit_token)):
            if tokens is not None:
                parse_tokens(tokens, variable=variable)  # a malformed token fails at start-up, not on first use

    @property
    def read_only(self) -> bool:
        return self.update_token is None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        d = cls()
        return cls(
            store_path=Path(env.get("KG_STORE_PATH", str(d.store_path))),
            store_url=env.get("KG_STORE_URL") or None,
            store_update_url=env.get("KG_STORE_UPDATE_URL") or None,
            store_gsp_url=env.get("KG_STORE_GSP_URL") or None,
            store_user=env.get("KG_STORE_USER") or None,
            store_password=env.get("KG_STORE_PASSWORD") or None,
            store_timeout_param=env.get("KG_STORE_TIMEOUT_PARAM") or None,
            store_union_param=env.get("KG_STORE_UNION_PARAM", d.store_union_param or "") or None,
            project_root=Path(env["KG_PROJECT_ROOT"]) if "KG_PROJECT_ROOT" in env else d.project_root,
            base_iri=env.get("KG_BASE_IRI", d.base_iri),
            update_token=env.get("KG_UPDATE_TOKEN") or None,
            submit_token=env.get("KG_SUBMIT_TOKEN") or None,
            query_timeout=_number(env, "KG_QUERY_TIMEOUT", d.query_timeout, float),
            max_query_length=_number(env, "KG_MAX_QUERY_LENGTH", d.max_query_length, int),
            max_result_rows=_number(env, "KG_MAX_RESULT_ROWS", d.max_result_rows, int),
            max_body_bytes=_number(env, "KG_MAX_BODY_BYTES", d.max_body_bytes, int),
            service_allowlist=_list(env, "KG_SERVICE_ALLOWLIST", d.service_allowlist),
            query_workers=_number(env, "KG_QUERY_WORKERS", d.query_workers, int),
            rate_limit=_number(env, "KG_RATE_LIMIT", d.rate_limit, float),
            cors_origins=_list(env, "KG_CORS_ORIGINS", d.cors_origins),
        )


def _number(env: Mapping[str, str], name: str, default: N, kind: type[N]) -> N:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a {kind.__name__}, got {raw!r}") from None


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())
