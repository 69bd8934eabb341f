"""What MyBatis does with a statement besides expanding it: body adjustments before the variants
(framework-built clauses, the example object of generated writes) and the mapper defects MyBatis
refuses at start-up or at run time (E023 duplicate ids, E024 a parameter inside quotes)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from sqllint.extract import Problem
from sqllint.extract.dynsql import Choose, Foreach, Fragment, If, Node, Text, Trim
from sqllint.extract.mybatis_text import own_texts

if TYPE_CHECKING:
    from sqllint.extract.mybatis import Statement, _Element


# Clauses frameworks splice in whole: MyBatis-Plus's wrapper (``${ew.customSqlSegment}``: "WHERE …
# ORDER BY …" built from bound parameters, or nothing) and RuoYi's data-permission filter
# (``${params.dataScope}``: " AND (d.dept_id = …)", empty for administrators).
_FRAMEWORK_CLAUSE = re.compile(r"\$\{\s*((?:[\w]+\.)*(?:customSqlSegment|getCustomSqlSegment|dataScope))\s*\}")


def optional_framework_clauses(body: tuple[Node, ...]) -> tuple[Node, ...]:
    """A SELECT ending in a framework-built clause is checked as it runs when the clause is empty (an
    administrator's data scope, a wrapper without conditions: the unfiltered variant that matters most);
    the variant with the clause stays unresolved (E004), as the clause is unknown here."""
    out: list[Node] = []
    for node in body:
        if isinstance(node, Text) and "${" in node.text and _FRAMEWORK_CLAUSE.search(node.text):
            position = 0
            for match in _FRAMEWORK_CLAUSE.finditer(node.text):
                if match.start() > position:
                    out.append(Text(node.text[position:match.start()], node.line, node.column))
                name = match.group(1)
                out.append(If(f"{name} != null and {name} != ''", (Text(match.group(0)),)))
                position = match.end()
            if node.text[position:].strip():
                out.append(Text(node.text[position:], 0, 0))
        elif isinstance(node, (If, Trim, Foreach)):
            out.append(dataclasses.replace(node, body=optional_framework_clauses(node.body)))
        elif isinstance(node, Choose):
            out.append(Choose(tuple((t, optional_framework_clauses(b)) for t, b in node.whens),
                              optional_framework_clauses(node.otherwise)))
        else:
            out.append(node)
    return tuple(out)


def parameter_given(body: tuple[Node, ...]) -> tuple[Node, ...]:
    """A write's ``<if test="_parameter != null">`` around its WHERE (MyBatis Generator's
    ``deleteByExample``/``updateByExampleSelective``) is taken as true: the example object is what the
    caller passes, and calling the generated method with null to empty the table is not how it is used.
    So is a loop's test of each item that wraps the whole item (``criteria.valid``): an example whose
    every criteria group is empty is the same null in disguise."""
    out: list[Node] = []
    for node in body:
        if isinstance(node, If) and " ".join(node.test.split()) == "_parameter != null":
            out.extend(parameter_given(node.body))
        elif (isinstance(node, Foreach) and node.item and len(node.body) == 1 and isinstance(node.body[0], If)
              and node.body[0].test.strip().startswith(f"{node.item}.")):
            out.append(dataclasses.replace(node, body=parameter_given(node.body[0].body)))
        elif isinstance(node, (If, Trim, Foreach)):
            out.append(dataclasses.replace(node, body=parameter_given(node.body)))
        else:
            out.append(node)
    return tuple(out)


def _quoted_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each '…' literal in a SQL text ('' and \\' escapes; -- and /* */ comments skipped)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "'":
            j = i + 1
            while j < n:
                if text[j] == "\\":
                    j += 2
                elif text[j] == "'" and j + 1 < n and text[j + 1] == "'":
                    j += 2
                elif text[j] == "'":
                    break
                else:
                    j += 1
            yield i, min(j + 1, n)
            i = j + 1
        elif text.startswith("--", i) or c == "#" and not text.startswith("#{", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 2
        elif c == '"' or c == "`":
            close = text.find(c, i + 1)
            i = n if close < 0 else close + 1
        else:
            i += 1


def quoted_parameters(statement: Statement, fragments: Mapping[str, Fragment]) -> Iterator[Problem]:
    """E024 for ``'%#{name}%'`` / ``CONCAT('%', '#{name}', '%')``: MyBatis turns ``#{name}`` into ``?``
    inside the quotes too, where the driver sees a character, not a parameter; binding the value then
    fails ("Parameter index out of range") and the filter never works."""
    if "E024" in statement.suppressed:
        return
    for node in own_texts(statement.body, fragments, statement.namespace, statement.path):
        if "#{" not in node.text or "'" not in node.text:
            continue
        for start, end in _quoted_spans(node.text):
            literal = node.text[start:end]
            if "#{" not in literal:
                continue
            offset = node.text.count("\n", 0, start)
            line = node.line + offset if node.line else statement.line
            column = start - node.text.rfind("\n", 0, start) if offset and node.line else statement.column
            yield Problem("E024", line, column, f"`{literal}` puts a #{{}} parameter inside a quoted literal in "
                          f"{statement.qualified}: MyBatis sends '?' as text there, so binding the value fails at run "
                          "time; pass it outside the quotes, e.g. CONCAT('%', #{…}, '%')")


def duplicate_element(child: _Element, ident: str, namespace: str,
               first_seen: dict[tuple[str, str, str], int]) -> Problem | None:
    """E023 for a second ``<select|insert|update|delete>`` (or ``<sql>``) with an id already used in the
    mapper for the same databaseId: MyBatis's StrictMap throws at start-up ("Mapped Statements
    collection already contains value for …"), so the application does not run at all."""
    kind = "sql" if child.tag == "sql" else "statement"
    key = (kind, ident, child.attrs.get("databaseId", "").strip())
    first = first_seen.setdefault(key, child.line)
    if first == child.line:
        return None
    what = "<sql> fragment" if kind == "sql" else "statement"
    qualified = f"{namespace}.{ident}" if namespace else ident
    return Problem("E023", child.line, child.column, f"{what} id `{ident}` is defined twice in this mapper (first on "
                   f"line {first}): MyBatis refuses to start (\"… already contains value for {qualified}\")")


def _module(path: str) -> str:
    """The build module a source file belongs to: what precedes ``src/main/`` (Maven/Gradle layout)."""
    normalised = "/" + path.replace("\\", "/")
    cut = normalised.rfind("/src/main/")
    return normalised[:cut] if cut >= 0 else ""


def duplicate_problem(statement: Statement, other: Statement | None) -> Problem | None:
    """E023 for a statement defined again in another file of its namespace (a second mapper XML, or an
    annotation on the mapper interface): one of the two must go."""
    if not statement.duplicates(other) or other is None or other.path == statement.path:
        return None
    if _module(other.path) != _module(statement.path):
        return None  # two modules (or a copied build output) of one repository: not one SqlSessionFactory
    return Problem("E023", statement.line, statement.column, f"statement `{statement.qualified}` is also defined in "
                   f"{other.path}:{other.line}: MyBatis refuses to start (\"Mapped Statements collection already "
                   f"contains value for {statement.qualified}\")")
