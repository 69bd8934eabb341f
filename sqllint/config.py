"""Configuration: ``[tool.sqllint]`` in pyproject.toml or a ``sqllint.toml``, validated strictly.

The closest config file at or above the working directory wins (pyproject.toml before sqllint.toml in
one directory); command-line flags override it. Unknown keys and bad values raise ``ConfigError``
naming the key, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqllint.records import Severity
from sqllint.explain.settings import DEFAULT_DSN_ENV, ExplainConfigError, ExplainSettings, dsn_env_name, explain_settings
from sqllint.registry import Registry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Matched against every path component, like ruff's defaults; `target` and `build` hold copies of
# sources (Maven, Gradle) that would double every finding.
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".bzr", ".direnv", ".eggs", ".mypy_cache", ".nox", ".pytest_cache",
    ".ruff_cache", ".tox", ".venv", "venv", "__pycache__", "__pypackages__", "_build", "buck-out",
    "build", "dist", "node_modules", "site-packages", "target", ".idea", ".gradle",
)
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
DEFAULT_ENDPOINT_MAX_DEPTH = 6  # calls followed from an HTTP handler (sqllint endpoints / explain --endpoint)
MAX_ENDPOINT_MAX_DEPTH = 64


class ConfigError(Exception):
    """A configuration problem; the message names the file and key."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    max_variants: int = 32
    fail_on: Severity = Severity.WARNING
    respect_gitignore: bool = True
    force_exclude: bool = False
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # code → options
    severities: Mapping[str, Severity] = field(default_factory=dict)  # code → override
    root: Path = field(default_factory=Path.cwd)  # where relative patterns are anchored
    source: Path | None = None  # the config file, if any
    dsn_env: str = DEFAULT_DSN_ENV  # environment variable holding the staging DSN (never the DSN itself)
    explain: ExplainSettings = field(default_factory=ExplainSettings)  # [tool.sqllint.explain]
    endpoint_max_depth: int = DEFAULT_ENDPOINT_MAX_DEPTH  # endpoint-max-depth
    endpoints: bool = False  # check also reports findings across each HTTP endpoint's call chain

    def options_for(self, code: str, registry: Registry) -> dict[str, Any]:
        merged = registry[code].defaults()
        merged.update(self.rule_options.get(code, {}))
        return merged

    def enabled_codes(self, registry: Registry) -> frozenset[str]:
        enabled: set[str] = set()
        for selector in self.select:
            enabled |= {r.code for r in registry.matching(selector)}
        for selector in self.ignore:
            enabled -= {r.code for r in registry.matching(selector)}
        return frozenset(enabled)


_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
          "g": 1024**3, "gb": 1024**3, "gib": 1024**3}


def parse_size(key: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.match(str(value)) if isinstance(value, str) else None
    if not match or match.group(2).lower() not in _UNITS:
        raise ConfigError(f"{key} must be a positive size such as 2097152 or \"2MB\", got {value!r}")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings, got {value!r}")
    return tuple(value)


def _selectors(key: str, value: Any, registry: Registry) -> tuple[str, ...]:
    selectors = _strings(key, value)
    for selector in selectors:
        if not registry.matching(selector):
            raise ConfigError(f"{key}: {selector!r} matches no rule (see `sqllint rules`)")
    return selectors


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    return value


def _rules_table(prefix: str, table: Any, registry: Registry) -> tuple[dict[str, dict[str, Any]], dict[str, Severity]]:
    if not isinstance(table, dict):
        raise ConfigError(f"{prefix} must be a table of rule names")
    options: dict[str, dict[str, Any]] = {}
    severities: dict[str, Severity] = {}
    for rule_key, settings in table.items():
        found = registry.get(rule_key)
        if found is None:
            raise ConfigError(f"{prefix}.{rule_key}: no such rule (see `sqllint rules`)")
        if not isinstance(settings, dict):
            raise ConfigError(f"{prefix}.{rule_key} must be a table of options")
        for option_key, value in settings.items():
            key = f"{prefix}.{rule_key}.{option_key}"
            if option_key == "severity":
                try:
                    severities[found.code] = Severity.parse(str(value))
                except ValueError as error:
                    raise ConfigError(f"{key}: {error}") from None
                continue
            option = found.options.get(option_key)
            if option is None:
                known = ", ".join(["severity", *found.options]) or "severity"
                raise ConfigError(f"{key}: unknown option (known: {known})")
            try:
                options.setdefault(found.code, {})[option_key] = option.validate(key, value)
            except ValueError as error:
                raise ConfigError(str(error)) from None
    return options, severities


def from_mapping(data: Mapping[str, Any], registry: Registry, root: Path, source: Path | None,
                 where: str = "[tool.sqllint]") -> Config:
    """Build a Config from a parsed ``[tool.sqllint]`` table, rejecting anything unknown."""
    values: dict[str, Any] = {"root": root, "source": source}
    for raw_key, value in data.items():
        key = f"{where} {raw_key}"
        name = raw_key.replace("_", "-")
        if name == "select":
            values["select"] = _selectors(key, value, registry)
        elif name == "ignore":
            values["ignore"] = _selectors(key, value, registry)
        elif name == "exclude":
            values["exclude"] = _strings(key, value)
        elif name == "extend-exclude":
            values["extend_exclude"] = _strings(key, value)
        elif name == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{key} must be a table of glob = [codes]")
            values["per_file_ignores"] = {g: _selectors(f"{key}.{g}", v, registry) for g, v in value.items()}
        elif name == "max-file-size":
            values["max_file_size"] = parse_size(key, value)
        elif name == "max-variants":
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise ConfigError(f"{key} must be an integer of at least 2, got {value!r}")
            values["max_variants"] = value
        elif name == "endpoint-max-depth":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ENDPOINT_MAX_DEPTH:
                raise ConfigError(f"{key} must be an integer from 1 to {MAX_ENDPOINT_MAX_DEPTH}, got {value!r}")
            values["endpoint_max_depth"] = value
        elif name == "endpoints":
            values["endpoints"] = _bool(key, value)
        elif name == "fail-on":
            try:
                values["fail_on"] = Severity.parse(str(value))
            except ValueError as error:
                raise ConfigError(f"{key}: {error}") from None
        elif name == "respect-gitignore":
            values["respect_gitignore"] = _bool(key, value)
        elif name == "force-exclude":
            values["force_exclude"] = _bool(key, value)
        elif name in ("dsn-env", "explain"):
            try:
                if name == "dsn-env":
                    values["dsn_env"] = dsn_env_name(key, value)
                else:
                    values["explain"] = explain_settings(f"{where}.explain", value)
            except ExplainConfigError as error:
                raise ConfigError(str(error)) from None
        elif name == "rules":
            values["rule_options"], values["severities"] = _rules_table(f"{where}.rules", value, registry)
        else:
            raise ConfigError(f"{key}: unknown key")
    return Config(**values)


def find_config_file(start: Path) -> Path | None:
    """The closest pyproject.toml with a [tool.sqllint] table, or sqllint.toml, at or above ``start``."""
    for directory in (start, *start.parents):
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            try:
                if "sqllint" in _read_toml(pyproject).get("tool", {}):
                    return pyproject
            except ConfigError:
                return pyproject  # report the broken file rather than silently skipping it
        if (directory / "sqllint.toml").is_file():
            return directory / "sqllint.toml"
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None


def load_config(registry: Registry, cwd: Path, explicit: Path | None = None, isolated: bool = False) -> Config:
    if isolated:
        return Config(root=cwd)
    path = explicit or find_config_file(cwd)
    if path is None:
        return Config(root=cwd)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("sqllint", {})
        where = "[tool.sqllint]"
    else:
        table, where = data, "sqllint.toml"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    try:
        return from_mapping(table, registry, path.parent.resolve(), path, where)
    except ConfigError as error:
        raise ConfigError(f"{path.name}: {error}") from None


def with_overrides(config: Config, **overrides: Any) -> Config:
    """Command-line flags over the file's values (None means "not given")."""
    return dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
