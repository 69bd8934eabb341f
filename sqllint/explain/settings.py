"""``[tool.sqllint.explain]`` and ``dsn-env``: how sqllint talks to the staging database.

Kept free of pymysql so that loading a config never needs the database driver. Rule thresholds are
not here: they are rule options (``[tool.sqllint.rules.full-table-scan] min-rows = 50000``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqllint.explain.dsn import Tls

DEFAULT_DSN_ENV = "SQLLINT_DSN"


class ExplainConfigError(ValueError):
    """A bad ``[tool.sqllint.explain]`` value; the message names the key."""


@dataclass(frozen=True)
class ExplainSettings:
    connect_timeout: float = 5.0  # seconds to open a connection
    statement_timeout: float = 2.0  # seconds one EXPLAIN may take on the server
    tls: Tls = field(default_factory=Tls)
    cache: bool = True
    cache_dir: str = ".sqllint_cache/plans"  # relative to the config root
    jobs: int = 4  # connections used in parallel
    # EXPLAINs sent in one round trip (a multi-statement packet); 1 sends one per round trip, for proxies
    # that refuse multi-statement packets.
    batch: int = 16


_NUMBERS = {"connect-timeout": "connect_timeout", "statement-timeout": "statement_timeout"}
_TLS = {"ssl-ca": "ca", "ssl-cert": "cert", "ssl-key": "key"}


def explain_settings(where: str, table: Any) -> ExplainSettings:
    """Validate the ``explain`` table strictly: unknown keys and wrong types are errors."""
    if not isinstance(table, Mapping):
        raise ExplainConfigError(f"{where} must be a table")
    values: dict[str, Any] = {}
    tls: dict[str, Any] = {}
    for raw_key, value in table.items():
        key, name = f"{where}.{raw_key}", raw_key.replace("_", "-")
        if name in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ExplainConfigError(f"{key} must be a positive number of seconds, got {value!r}")
            values[_NUMBERS[name]] = float(value)
        elif name in _TLS:
            if not isinstance(value, str) or not value:
                raise ExplainConfigError(f"{key} must be a file path, got {value!r}")
            tls[_TLS[name]] = value
            tls["enabled"] = True
        elif name in ("ssl", "ssl-verify", "cache"):
            if not isinstance(value, bool):
                raise ExplainConfigError(f"{key} must be true or false, got {value!r}")
            if name == "cache":
                values["cache"] = value
            else:
                tls["enabled" if name == "ssl" else "verify"] = value
        elif name == "cache-dir":
            if not isinstance(value, str) or not value:
                raise ExplainConfigError(f"{key} must be a directory path, got {value!r}")
            values["cache_dir"] = value
        elif name in ("jobs", "batch"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ExplainConfigError(f"{key} must be a positive integer, got {value!r}")
            values[name] = value
        else:
            raise ExplainConfigError(f"{key}: unknown key (known: connect-timeout, statement-timeout, ssl, "
                                     "ssl-ca, ssl-cert, ssl-key, ssl-verify, cache, cache-dir, jobs, batch)")
    return ExplainSettings(tls=Tls(**tls), **values)


def dsn_env_name(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or not value.replace("_", "").isalnum():
        raise ExplainConfigError(f"{key} must name an environment variable, got {value!r}")
    return value
