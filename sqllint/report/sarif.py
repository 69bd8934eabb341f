"""SARIF 2.1.0 for code-scanning services (GitHub's among them).

One run, one ``rules[]`` entry per rule that fired (short and full description, help text from the
rule's docstring, ``helpUri`` into docs/rules.md), one result per finding with a repository-relative
``artifactLocation.uri`` under the ``%SRCROOT%`` base, ``region.startLine``/``startColumn``, and the
query fingerprint as ``partialFingerprints`` so that a result survives code moving around it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqllint import __version__
from sqllint.engine import RunResult
from sqllint.records import Finding, Severity
from sqllint.registry import Rule, builtin_registry

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
# Where the rule docs live; docs/rules.md has one "## CODE name" heading per rule.
HELP_URI = "https://github.com/sqllint/sqllint/blob/main/docs/rules.md"
INFORMATION_URI = "https://github.com/sqllint/sqllint"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def project_root(cwd: Path) -> Path:
    """The enclosing git work tree (what code scanning calls the repository root), else ``cwd``."""
    for candidate in (cwd, *cwd.parents):
        if (candidate / ".git").exists():
            return candidate
    return cwd


def repo_uri(path: str, cwd: Path, root: Path) -> str:
    absolute = (cwd / path).resolve()
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        return absolute.as_uri()


def anchor(rule: Rule) -> str:
    """GitHub's anchor for the heading ``## S001 unconditional-select-star-subquery``."""
    return f"{rule.code.lower()}-{rule.name}"


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    body = rule.doc.strip()
    why = body.partition("## Why is this bad?")[2].split("##", 1)[0].strip()
    full = " ".join(f"{rule.summary} {why}".split())
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {"text": body or rule.summary, "markdown": body or rule.summary},
        "helpUri": f"{HELP_URI}#{anchor(rule)}",
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"tags": [rule.family], "precision": "high"},
    }


def _result(finding: Finding, index: int, cwd: Path, root: Path) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(finding.line, 1), "startColumn": max(finding.column, 1)}
    if finding.end_line and finding.end_line >= finding.line:
        region["endLine"] = finding.end_line
    if finding.sql:
        region["snippet"] = {"text": finding.sql}
    message = finding.message + (f" ({finding.variant})" if finding.variant else "")
    if finding.suggestion:
        message += f"\nFix: {finding.suggestion}"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _LEVELS[finding.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": repo_uri(finding.path, cwd, root), "uriBaseId": "%SRCROOT%"},
            "region": region,
        }}],
    }
    if finding.fingerprint:
        # Rule + query fingerprint: stable across moves, whitespace, literal values.
        result["partialFingerprints"] = {"sqllintQuery/v1": f"{finding.rule}:{finding.fingerprint}"}
    return result


def render_sarif(result: RunResult, cwd: Path | None = None) -> str:
    cwd = cwd or Path.cwd()
    root = project_root(cwd)
    registry = builtin_registry()
    fired = sorted({f.rule for f in result.findings})
    rules = [registry[code] for code in fired if registry.get(code) is not None]
    indexes = {rule.code: i for i, rule in enumerate(rules)}
    document = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "sqllint", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI,
                                "rules": [_rule_descriptor(rule) for rule in rules]}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
            "results": [_result(f, indexes.get(f.rule, -1), cwd, root) for f in result.findings],
            "columnKind": "unicodeCodePoints",
            "properties": {"stats": result.stats.as_dict()},
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
