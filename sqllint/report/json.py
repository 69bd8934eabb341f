"""The JSON contract (version 1): other tools read it, so changes are additive only."""

from __future__ import annotations

import json

from sqllint.engine import RunResult

JSON_VERSION = 1


def render_json(result: RunResult) -> str:
    findings = [
        {
            "rule": f.rule,
            "name": f.name,
            "severity": str(f.severity),
            "path": f.path,
            "line": f.line,
            "column": f.column,
            "message": f.message,
            "sql": f.sql,
            "fingerprint": f.fingerprint,
            "variant": f.variant,
            "suggestion": f.suggestion,
            "scope": f.scope,
            "end_line": f.end_line,
        }
        for f in result.findings
    ]
    return json.dumps({"version": JSON_VERSION, "findings": findings, "stats": result.stats.as_dict()},
                      indent=2, ensure_ascii=False) + "\n"
