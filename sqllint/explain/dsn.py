"""Where the staging database is, and how to say so without ever showing its password.

A DSN is ``mysql://user:password@host:port/database?ssl-ca=…&ssl-verify=true``; ``mariadb://`` is an alias.
It comes from ``--dsn``, else from the environment variable the config names (``dsn-env``, default
``SQLLINT_DSN``). The password is kept out of ``repr``/``str`` and every message goes through ``redact``
so that a server error quoting the connection string cannot leak it either.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PORT = 3306
MASK = "***"
SCHEMES = ("mysql", "mariadb")
_TLS_KEYS = {"ssl-ca": "ca", "ssl-cert": "cert", "ssl-key": "key", "ssl-verify": "verify", "ssl": "enabled"}


class DsnError(ValueError):
    """A DSN that cannot be used; the message never contains the password."""


@dataclass(frozen=True)
class Tls:
    enabled: bool = False
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    verify: bool = True


@dataclass(frozen=True)
class Dsn:
    user: str
    host: str
    port: int
    database: str
    password: str = field(default="", repr=False)
    tls: Tls = field(default_factory=Tls)

    def masked(self) -> str:
        """The DSN as it may be printed: the password replaced by ``***``."""
        auth = self.user + (f":{MASK}" if self.password else "")
        return f"mysql://{auth}@{self.host}:{self.port}/{self.database}"

    def __str__(self) -> str:
        return self.masked()

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the password (raw or URL-encoded) masked."""
        return redact(text, self.password)


def redact(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
            from urllib.parse import quote

            encoded = quote(secret, safe="")
            if encoded != secret:
                text = text.replace(encoded, MASK)
    # A DSN-shaped string whose password we were not told about (e.g. typed into an error message).
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}@", text)


# Any scheme (a mistyped ``postgres://`` DSN holds a password too); up to the last ``@`` of the word, so a
# password with an unencoded ``@`` is masked whole (masking too much is the safe side).
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^:/@\s]*:)\S*@")


def _mask_userinfo(text: str) -> str:
    """``scheme://user:<anything>@rest`` with everything from the ``:`` to the last ``@`` masked."""
    start = text.find("://")
    at = text.rfind("@")
    if start < 0 or at < start:
        return text
    colon = text.find(":", start + 3, at)
    return text if colon < 0 else f"{text[:colon + 1]}{MASK}{text[at:]}"


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise DsnError(f"DSN option {name} must be true or false, got {value!r}")


def parse_dsn(text: str, tls_defaults: Tls | None = None) -> Dsn:
    """Parse a ``mysql://`` URL; errors name the part that is wrong but never echo the password."""
    try:
        parts = urlsplit(text.strip())
    except ValueError as error:
        raise DsnError(f"invalid DSN {redact(text)}: {redact(str(error))}") from None
    # The password as parsed, and whatever sits between ``user:`` and the last ``@``: the URL pattern cannot
    # see a password with a space in it, and urlsplit drops tabs and newlines from what it parses.
    secret = parts.password or ""
    shown = redact(_mask_userinfo(text), secret, unquote(secret))
    try:
        port = parts.port
    except ValueError as error:
        raise DsnError(f"invalid DSN {shown}: {redact(str(error), secret, unquote(secret))}") from None
    if parts.scheme not in SCHEMES:
        raise DsnError(f"DSN must start with mysql:// or mariadb://, got {shown!r}")
    if not parts.hostname:
        raise DsnError(f"DSN has no host: {shown!r}")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise DsnError(f"DSN must name one database (mysql://user@host/db): {shown!r}")
    tls = tls_defaults or Tls()
    values: dict[str, object] = vars(tls).copy()
    for key, items in parse_qs(parts.query, keep_blank_values=True).items():
        if key not in _TLS_KEYS:
            raise DsnError(f"unknown DSN option {key!r} (known: {', '.join(_TLS_KEYS)})")
        target, value = _TLS_KEYS[key], items[-1]
        values[target] = _flag(key, value) if target in ("verify", "enabled") else value
    if values["ca"] or values["cert"]:
        values["enabled"] = True
    return Dsn(user=unquote(parts.username or ""), host=parts.hostname, port=port or DEFAULT_PORT,
               database=database, password=unquote(parts.password or ""), tls=Tls(**values))  # type: ignore[arg-type]


def resolve_dsn(explicit: str | None, env_name: str, environ: Mapping[str, str] | None = None,
                tls_defaults: Tls | None = None) -> Dsn | None:
    """``--dsn`` first, else the named environment variable; None when neither is set."""
    environ = os.environ if environ is None else environ
    text = explicit or environ.get(env_name, "")
    return parse_dsn(text, tls_defaults) if text.strip() else None
