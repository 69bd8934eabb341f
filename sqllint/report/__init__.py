"""Reporters: findings → text for people or machines. One enum feeds click's choices and the registry."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping

from sqllint.engine import RunResult
from sqllint.report.github import render_github
from sqllint.report.json import render_json
from sqllint.report.junit import render_junit
from sqllint.report.markdown import render_markdown
from sqllint.report.sarif import render_sarif
from sqllint.report.text import render_text


class OutputFormat(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"
    JUNIT = "junit"
    MARKDOWN = "markdown"


Reporter = Callable[[RunResult, bool], str]  # (result, color) → document

REPORTERS: Mapping[OutputFormat, Reporter] = {
    OutputFormat.TEXT: render_text,
    OutputFormat.JSON: lambda result, _color: render_json(result),
    OutputFormat.SARIF: lambda result, _color: render_sarif(result),
    OutputFormat.GITHUB: lambda result, _color: render_github(result),
    OutputFormat.JUNIT: lambda result, _color: render_junit(result),
    OutputFormat.MARKDOWN: lambda result, _color: render_markdown(result),
}


def render(result: RunResult, output_format: OutputFormat, color: bool = False) -> str:
    return REPORTERS[output_format](result, color)
