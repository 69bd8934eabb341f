"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure).

One ``<testsuite>`` per file, one ``<testcase>`` per finding (named by rule and line, failing), so a
clean run is one passing testcase and the report never comes out empty.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from sqllint.engine import RunResult
from sqllint.records import Finding


def _case(suite: ET.Element, finding: Finding) -> None:
    case = ET.SubElement(suite, "testcase", name=f"{finding.rule} {finding.name} at line {finding.line}",
                         classname=finding.path.replace("/", ".").rsplit(".", 1)[0] or finding.path,
                         file=finding.path, line=str(finding.line))
    failure = ET.SubElement(case, "failure", message=finding.message, type=f"{finding.rule}/{finding.severity}")
    details = [f"{finding.path}:{finding.line}:{finding.column}: {finding.rule} ({finding.severity}) {finding.message}"]
    if finding.variant:
        details.append(f"variant: {finding.variant}")
    if finding.sql:
        details.append(f"sql: {finding.sql}")
    if finding.suggestion:
        details.append(f"fix: {finding.suggestion}")
    failure.text = "\n".join(details)


def render_junit(result: RunResult) -> str:
    root = ET.Element("testsuites", name="sqllint", tests=str(max(len(result.findings), 1)),
                      failures=str(len(result.findings)), errors="0")
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    for path, findings in by_path.items():
        suite = ET.SubElement(root, "testsuite", name=path, tests=str(len(findings)),
                              failures=str(len(findings)), errors="0", skipped="0")
        for finding in findings:
            _case(suite, finding)
    if not result.findings:
        suite = ET.SubElement(root, "testsuite", name="sqllint", tests="1", failures="0", errors="0", skipped="0")
        ET.SubElement(suite, "testcase", name=f"{result.stats.statements} statements in {result.stats.files} files",
                      classname="sqllint")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
