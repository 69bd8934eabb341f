"""``sqllint config``: the effective configuration and where each value came from.

Each value comes from one of three places: the built-in default, the config file in use (naming the
file and the key), or a command-line flag. Per-rule severities and options are listed for every rule
whose settings differ from its defaults, and every rule's effective severity is available in JSON.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqllint.config import Config
from sqllint.registry import Registry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_HIDDEN = {"root", "source", "rule_options", "severities"}  # shown in the header or per rule


@dataclass(frozen=True)
class Setting:
    key: str  # as written in the config file, e.g. "per-file-ignores" or "rules.S002.threshold"
    value: Any  # JSON-ready
    source: str  # "default", "pyproject.toml [tool.sqllint] fail-on", "command line (--fail-on)"


def plain(value: Any) -> Any:
    """A JSON/TOML-ready form of a config value."""
    if isinstance(value, enum.Enum):
        return str(value)
    if isinstance(value, Path):
        return value.as_posix()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name.replace("_", "-"): plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


def _file_table(config: Config) -> tuple[dict[str, Any], str]:
    """The raw table the config came from (keys as written), and how to name it."""
    if config.source is None or not config.source.is_file():
        return {}, ""
    data = tomllib.loads(config.source.read_text(encoding="utf-8"))
    if config.source.name == "pyproject.toml":
        return data.get("tool", {}).get("sqllint", {}), f"{config.source.name} [tool.sqllint]"
    return data, config.source.name


def describe(config: Config, registry: Registry, flags: Mapping[str, str] | None = None) -> list[Setting]:
    """Every setting with its effective value and origin. ``flags`` maps a Config field to the flag
    that set it on the command line."""
    flags = flags or {}
    table, where = _file_table(config)
    from_file = {key.replace("_", "-"): key for key in table}
    settings: list[Setting] = []
    for item in dataclasses.fields(config):
        if item.name in _HIDDEN:
            continue
        key = item.name.replace("_", "-")
        if item.name in flags:
            source = f"command line ({flags[item.name]})"
        elif key in from_file:
            source = f"{where} {from_file[key]}"
        else:
            source = "default"
        settings.append(Setting(key, plain(getattr(config, item.name)), source))
    rules_table = table.get("rules", {}) if isinstance(table.get("rules"), dict) else {}
    for rule_key, options in rules_table.items():
        found = registry.get(rule_key)
        if found is None or not isinstance(options, dict):
            continue
        for option in options:
            value = (str(config.severities[found.code]) if option == "severity"
                     else plain(config.rule_options.get(found.code, {}).get(option)))
            settings.append(Setting(f"rules.{found.code}.{option}", value,
                                    f"{where.replace(']', '.rules.' + rule_key + ']')} {option}"))
    return settings


def render_config(config: Config, registry: Registry, flags: Mapping[str, str] | None = None,
                  output_format: str = "text") -> str:
    settings = describe(config, registry, flags)
    enabled = config.enabled_codes(registry)
    if output_format == "json":
        document = {
            "file": config.source.as_posix() if config.source else None,
            "root": config.root.as_posix(),
            "settings": {s.key: {"value": s.value, "source": s.source} for s in settings},
            "rules": {r.code: {"name": r.name, "enabled": r.code in enabled,
                               "severity": str(config.severities.get(r.code, r.severity)),
                               "options": plain(config.options_for(r.code, registry))} for r in registry.rules},
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    lines = [f"# config file: {config.source if config.source else '(none: built-in defaults)'}",
             f"# root: {config.root}", f"# rules enabled: {len(enabled)} of {len(registry.rules)}", ""]
    width = max(len(f"{s.key} = {json.dumps(s.value, ensure_ascii=False)}") for s in settings) if settings else 0
    width = min(width, 70)
    for s in settings:
        assignment = f"{s.key} = {json.dumps(s.value, ensure_ascii=False)}"
        lines.append(f"{assignment:<{width}}  # {s.source}")
    return "\n".join(lines) + "\n"
