"""GitHub Actions workflow commands: each finding becomes an annotation on the PR's diff.

``::error file=app/dao.py,line=12,col=5,endLine=14,title=S001 unconditional-select-star-subquery::message``.
Property values and messages are escaped as the runner expects (``%``, CR, LF; and ``:``/``,`` in
properties), so a message holding SQL cannot end the command early.
"""

from __future__ import annotations

from sqllint.engine import RunResult
from sqllint.records import Severity

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: RunResult) -> str:
    lines = []
    for f in result.findings:
        props = [f"file={escape_property(f.path)}", f"line={f.line}", f"col={f.column}"]
        if f.end_line and f.end_line > f.line:
            props.append(f"endLine={f.end_line}")
        props.append(f"title={escape_property(f'{f.rule} {f.name}')}")
        message = f.message + (f" ({f.variant})" if f.variant else "")
        if f.suggestion:
            message += f"\nFix: {f.suggestion}"
        lines.append(f"::{_COMMANDS[f.severity]} {','.join(props)}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)
