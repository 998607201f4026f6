"""Bearer tokens from the settings: who may write, and until when.

KG_UPDATE_TOKEN and KG_SUBMIT_TOKEN each hold one token or several, comma-separated. A token is a bare
`secret`, or `name:secret`, or `name:secret:YYYY-MM-DD`; a dated token is accepted until the end of that
day (UTC) and refused after it. The name is what the log records; the secret is never logged.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from kg.errors import ConfigError, UnauthorizedError


@dataclass(frozen=True)
class Token:
    name: str
    secret: str = ""
    expires: date | None = None  # the last day it is valid (UTC)


def parse_tokens(raw: str, *, variable: str) -> tuple[Token, ...]:
    """The tokens in a setting.

    >>> [(t.name, t.secret, str(t.expires)) for t in parse_tokens("s3cret, alice:pw:2026-12-31", variable="KG_X")]
    [('token-1', 's3cret', 'None'), ('alice', 'pw', '2026-12-31')]

    Raises:
        ConfigError: an entry has an empty secret, more than three parts, or a date that is no ISO date.
    """
    tokens = []
    for n, entry in enumerate((e.strip() for e in raw.split(",")), start=1):
        if not entry:
            continue
        parts = entry.split(":")
        if len(parts) > 3:
            raise ConfigError(f"{variable}: token {n} has {len(parts)} ':'-separated parts; use name:secret[:date]")
        name, secret = (parts[0], parts[1]) if len(parts) > 1 else (f"token-{n}", parts[0])
        expires = None
        if len(parts) == 3:
            try:
                expires = date.fromisoformat(parts[2])
            except ValueError:
                raise ConfigError(
                    f"{variable}: token {n} expires on {parts[2]!r}, which is no YYYY-MM-DD date"
                ) from None
        if not secret or not name:
            raise ConfigError(f"{variable}: token {n} has an empty name or secret")
        tokens.append(Token(name, secret, expires))
    if not tokens:
        raise ConfigError(f"{variable} holds no token")
    return tuple(tokens)


def check_bearer(authorization: str | None, raw: str, *, variable: str, now: datetime | None = None) -> str:
    """The name of the token an `Authorization: Bearer <secret>` header presents.

    Every configured secret is compared in constant time, so the answer's timing does not tell which
    (or how much of one) matched.

    Raises:
        UnauthorizedError: no bearer token, an unknown one, or one past its date.
    """
    scheme, _, given = (authorization or "").partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        raise UnauthorizedError(f"this needs the header `Authorization: Bearer <token>` with a token of {variable}")
    found = None
    for token in parse_tokens(raw, variable=variable):
        if secrets.compare_digest(given.encode(), token.secret.encode()):
            found = token
    if found is None:
        raise UnauthorizedError(f"the bearer token is not one of {variable}")
    today = (now or datetime.now(UTC)).date()
    if found.expires is not None and today > found.expires:
        raise UnauthorizedError(f"the token {found.name!r} expired on {found.expires.isoformat()}")
    return found.name
