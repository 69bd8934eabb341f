from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import conjuncts


def _alias(node: exp.Expression) -> str:
    return (node.alias_or_name or "").lower()


def _links(where: exp.Expression | None, alias: str, earlier: set[str]) -> bool:
    """Does some WHERE conjunct compare a column of ``alias`` with a column of an earlier relation?"""
    for predicate in conjuncts(where):
        if not isinstance(predicate, (exp.EQ, exp.NullSafeEQ, exp.In, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            continue
        tables = {col.table.lower() for col in predicate.find_all(exp.Column)}
        if "" in tables and len(list(predicate.find_all(exp.Column))) >= 2:
            return True  # unqualified columns on both sides: assume it is the join condition
        if alias in tables and tables & earlier:
            return True
    return False


@rule(code="S008", name="cartesian-join", severity=Severity.ERROR)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """A table is joined without any condition linking it to the others (a cartesian product).

    ## Why is this bad?
    ``FROM a, b`` or ``JOIN b`` with neither ``ON``/``USING`` nor a ``WHERE`` predicate relating the two
    pairs every row of ``a`` with every row of ``b``: rows multiply, and the result is almost never what
    was meant (usually the join condition lives in an optional filter). An explicit ``CROSS JOIN`` is
    taken as deliberate and not reported.

    ## Example
    ```sql bad
    SELECT o.id, u.name FROM orders o, users u WHERE o.status = 'paid'
    ```

    Use instead:
    ```sql good
    SELECT o.id, u.name FROM orders o JOIN users u ON u.id = o.user_id WHERE o.status = 'paid'
    ```
    """
    for select in query.find(exp.Select):
        joins = select.args.get("joins") or []
        from_ = select.args.get("from_") or select.args.get("from")
        if not joins or from_ is None:
            continue
        earlier = {_alias(from_.this)}
        where = select.args.get("where")
        for join in joins:
            alias = _alias(join.this)
            kind = (join.args.get("kind") or "").upper()
            conditioned = join.args.get("on") or join.args.get("using") or kind in ("CROSS", "NATURAL") \
                or join.args.get("method")
            if not conditioned and not isinstance(join.this, exp.Unnest) \
                    and not _links(where.this if where else None, alias, earlier):
                yield Violation(
                    f"`{join.this.sql(dialect='mysql')}` is joined without a condition relating it to "
                    f"{', '.join(sorted(earlier))}: every row pairs with every row",
                    suggestion="add the ON condition (or write CROSS JOIN if the product is intended)",
                )
            earlier.add(alias)
