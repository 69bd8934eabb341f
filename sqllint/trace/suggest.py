"""Rewrites the runtime rules suggest, written with the values the application really sent.

A traced statement shares its group's tree (the first statement with its fingerprint); the values of
*this* statement are read by parsing its own text, which only happens for the few statements a finding
quotes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from sqllint.parse import SqlParser, statement_kind
from sqllint.records import ParsedQuery, Query
from sqllint.sqlshape import SelectShape, select_shape
from sqllint.trace.model import TracedStatement

SHOWN_VALUES = 3


def reparse(statement: TracedStatement, parser: SqlParser | None = None) -> ParsedQuery:
    tree, error, _digest = (parser or SqlParser()).parse_text(statement.sql)
    query = Query(path=statement.parsed.query.path, line=statement.line, column=1, language="log",
                  raw=statement.sql, text=statement.sql)
    kind = statement_kind(tree) if tree is not None else "unknown"
    return ParsedQuery(query, tree, statement.fingerprint, error, kind)


def shape_of(statement: TracedStatement, parser: SqlParser | None = None) -> SelectShape | None:
    return select_shape(reparse(statement, parser))


def in_list_query(run: Sequence[TracedStatement]) -> str | None:
    """``SELECT … WHERE key IN (v1, v2, v3, …)`` for a run of one SELECT with varying key values."""
    parser = SqlParser()
    first_parsed = reparse(run[0], parser)
    shapes = [select_shape(first_parsed)] + [shape_of(s, parser) for s in run[1 : SHOWN_VALUES + 1]]
    if not shapes or any(shape is None for shape in shapes):
        return None
    first: SelectShape = shapes[0]  # type: ignore[assignment]
    columns = [column for column, _ in first.values]
    varying = [i for i, column in enumerate(columns)
               if len({shape.values[i][1] for shape in shapes if shape and len(shape.values) == len(columns)}) > 1]
    if not varying:
        return None
    where = []
    for index, (column, value) in enumerate(first.values):
        if index in varying:
            values = list(dict.fromkeys(shape.values[index][1] for shape in shapes[:SHOWN_VALUES] if shape))
            more = ", …" if len(run) > len(values) else ""
            where.append(f"{column} IN ({', '.join(values)}{more})")
        else:
            where.append(f"{column} = {value}")
    where += [f"{column} {op.upper()} …" for column, op in sorted(first.predicates) if op != "eq"]
    projections = list(first.projections)
    selected, alias = _selected_columns(first_parsed)
    keys = [columns[i] for i in varying]
    if not any(p.endswith("*") for p in projections):  # the key comes back with each row, to group by
        projections = [k for k in keys if k not in selected] + projections
    # A per-item LIMIT cannot carry over to the IN-list query; ORDER BY / GROUP BY can.
    tail = f" {first.tail}" if first.tail and "LIMIT" not in first.tail.upper() else ""
    source = f"{first.table} {alias}" if alias else first.table  # ORMs qualify columns by the alias
    return f"SELECT {', '.join(projections)} FROM {source} WHERE {' AND '.join(where)}{tail}"


def _selected_columns(parsed: ParsedQuery) -> tuple[set[str], str | None]:
    """(column names the SELECT returns, the table's alias) — ``o.user_id AS uid`` returns user_id."""
    tree = parsed.tree
    if not isinstance(tree, exp.Select):
        return set(), None
    names = {e.unalias().name.lower() for e in tree.expressions if isinstance(e.unalias(), exp.Column)}
    return names, table_alias(parsed)


def table_alias(parsed: ParsedQuery) -> str | None:
    """The alias of a one-table SELECT's table (ORMs write ``from orders order0_``), else None."""
    tree = parsed.tree
    source = (tree.args.get("from_") or tree.args.get("from")) if isinstance(tree, exp.Select) else None
    table = source.this if source is not None else None
    return (table.alias or None) if isinstance(table, exp.Table) else None
