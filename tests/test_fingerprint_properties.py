"""Property tests for the query fingerprint (hypothesis).

The fingerprint must not move when only the spelling of a query changes — whitespace, keyword case,
literal values, placeholder style, where the code sits — and must move when its structure changes.
Queries are generated from a small structural model (columns, table, predicates, order, limit) and
then rendered in many spellings; the fingerprint is taken as the pipeline takes it: the extractor's
placeholder normalisation, then ``SqlParser.parse_text``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sqllint.config import Config
from sqllint.engine import run
from sqllint.extract.placeholders import normalise
from sqllint.parse import SqlParser

PARSER = SqlParser()
TABLES = ("users", "orders", "order_items", "products")
COLUMNS = ("id", "user_id", "status", "created_at", "total", "name")
OPERATORS = ("=", "<>", "<", ">=", "LIKE")
STYLES = ("?", "%s", ":name", "%(name)s", "#{name}", "literal")  # JDBC, DB-API, SQLAlchemy, MyBatis


@dataclass(frozen=True)
class Predicate:
    column: str
    operator: str


@dataclass(frozen=True)
class Shape:
    """What a query *is*: everything here is structure."""

    columns: tuple[str, ...]
    table: str
    where: tuple[Predicate, ...]
    connective: str  # AND / OR
    order: tuple[str, str] | None  # (column, ASC/DESC)
    limit: bool


shapes = st.builds(
    Shape,
    columns=st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=3, unique=True).map(tuple),
    table=st.sampled_from(TABLES),
    where=st.lists(st.builds(Predicate, st.sampled_from(COLUMNS), st.sampled_from(OPERATORS)),
                   max_size=3).map(tuple),
    connective=st.sampled_from(("AND", "OR")),
    order=st.none() | st.tuples(st.sampled_from(COLUMNS), st.sampled_from(("ASC", "DESC"))),
    limit=st.booleans(),
)


def canonical(shape: Shape) -> Shape:
    """The connective does not exist with fewer than two predicates."""
    return shape if len(shape.where) > 1 else Shape(shape.columns, shape.table, shape.where, "AND", shape.order,
                                                   shape.limit)


@dataclass(frozen=True)
class Spelling:
    """How a query is written: nothing here is structure."""

    gaps: tuple[str, ...]  # whitespace between tokens, cycled
    upper: tuple[bool, ...]  # keyword case, cycled
    values: tuple[int | str | float, ...]  # literal values, cycled
    style: str  # placeholder style, or literals


spellings = st.builds(
    Spelling,
    gaps=st.lists(st.sampled_from((" ", "  ", "\n", "\t", "\n    ", " \r\n ")), min_size=1, max_size=6).map(tuple),
    upper=st.lists(st.booleans(), min_size=1, max_size=5).map(tuple),
    values=st.lists(st.integers(-10**9, 10**9) | st.text("abcxyz %_'", max_size=8)
                    | st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=4).map(tuple),
    style=st.sampled_from(STYLES),
)


def _literal(value: int | str | float) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def render(shape: Shape, spelling: Spelling) -> str:
    tokens: list[str] = []
    counter = {"k": 0, "v": 0}

    def kw(word: str) -> None:
        upper = spelling.upper[counter["k"] % len(spelling.upper)]
        counter["k"] += 1
        tokens.append(word.upper() if upper else word.lower())

    def value(name: str) -> None:
        index = counter["v"]
        counter["v"] += 1
        style = spelling.style
        if style == "literal":
            tokens.append(_literal(spelling.values[index % len(spelling.values)]))
        else:
            tokens.append(style.replace("name", f"{name}{index}"))

    kw("SELECT")
    for i, column in enumerate(shape.columns):
        tokens.append(column + ("," if i < len(shape.columns) - 1 else ""))
    kw("FROM")
    tokens.append(shape.table)
    for i, predicate in enumerate(shape.where):
        kw("WHERE" if i == 0 else shape.connective)
        tokens.append(predicate.column)
        if predicate.operator == "LIKE":
            kw("LIKE")
        else:
            tokens.append(predicate.operator)
        value(predicate.column)
    if shape.order:
        kw("ORDER")
        kw("BY")
        tokens.append(shape.order[0])
        kw(shape.order[1])
    if shape.limit:
        kw("LIMIT")
        value("limit")
    text = ""
    for i, token in enumerate(tokens):
        text += (spelling.gaps[i % len(spelling.gaps)] if i else "") + token
    return text


def fingerprint(raw: str) -> str:
    text, _ = normalise(raw)
    tree, error, digest = PARSER.parse_text(text)
    assert error is None, (raw, error)
    return digest


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(shapes, spellings, spellings)
def test_stable_across_whitespace_case_literals_and_placeholder_style(shape: Shape, one: Spelling,
                                                                      other: Spelling) -> None:
    assert fingerprint(render(shape, one)) == fingerprint(render(shape, other))


@FAST
@given(shapes, shapes, spellings, spellings)
def test_changes_when_structure_changes(a: Shape, b: Shape, one: Spelling, other: Spelling) -> None:
    assume(canonical(a) != canonical(b))
    assert fingerprint(render(a, one)) != fingerprint(render(b, other))


@FAST
@given(shapes, spellings)
def test_signed_and_boolean_literals_are_values_too(shape: Shape, spelling: Spelling) -> None:
    text = render(shape, Spelling(spelling.gaps, spelling.upper, (7,), "literal"))
    for replacement in ("-7", "- 7", "+7", "TRUE", "false", "-7.5e3"):
        assert fingerprint(text.replace("7", replacement)) == fingerprint(text)


def test_unary_minus_is_erased_but_subtraction_is_structure() -> None:
    assert fingerprint("SELECT a FROM t WHERE b = -5") == fingerprint("SELECT a FROM t WHERE b = 5")
    assert fingerprint("SELECT a FROM t WHERE b = (-5)") == fingerprint("SELECT a FROM t WHERE b = (5)")
    assert fingerprint("SELECT a - 1 FROM t") != fingerprint("SELECT a FROM t")
    assert fingerprint("SELECT a - 1 FROM t") != fingerprint("SELECT a + 1 FROM t")
    assert fingerprint("SELECT a FROM t WHERE b IS NULL") != fingerprint("SELECT a FROM t WHERE b = 1")
    assert fingerprint("SELECT a FROM t WHERE b IN (1, -2, 3)") == fingerprint("SELECT a FROM t WHERE b IN (?)")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(shape=shapes, blank_lines=st.integers(0, 30), depth=st.integers(0, 3), in_class=st.booleans())
def test_stable_across_code_moves(tmp_path: Path, shape: Shape, blank_lines: int, depth: int, in_class: bool) -> None:
    """The same call found at another line, nesting depth, function, class and file."""
    star = Shape(("*",), shape.table, shape.where, shape.connective, shape.order, shape.limit)  # S011 fires
    sql = render(star, Spelling((" ",), (True,), (1,), "%s"))
    call = f'cur.execute("{sql}", params)'
    moved = "def fetch(cur, params):\n" + "".join("    " * (i + 1) + "if params:\n" for i in range(depth)) \
        + "    " * (depth + 1) + call + "\n"
    if in_class:
        moved = "class Repo:\n" + textwrap.indent(moved, "    ")
    here = tmp_path / f"case_{blank_lines}_{depth}_{int(in_class)}"
    here.mkdir(exist_ok=True)
    (here / "original.py").write_text(f"def load(cur, params):\n    {call}\n", encoding="utf-8")
    (here / "moved.py").write_text('"""Moved."""\nimport os\n' + "\n" * blank_lines + moved, encoding="utf-8")
    result = run([str(here)], Config(root=here, select=("S011",)), here, jobs=1)
    found = {(Path(f.path).name, f.fingerprint) for f in result.findings}
    assert {name for name, _ in found} == {"original.py", "moved.py"}, result.findings
    assert {fp for _, fp in found} == {fingerprint(sql)}


def test_same_query_in_a_sql_file_and_in_python_code_has_one_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "dao.py").write_text(
        'def f(cur, x):\n    cur.execute("SELECT * FROM users WHERE id = %s AND status = %s", (x, 1))\n')
    (tmp_path / "report.sql").write_text("select *\n  from USERS\n where id = 42 and status = 'new';\n")
    result = run([str(tmp_path)], Config(root=tmp_path, select=("S011",)), tmp_path, jobs=1)
    assert len(result.findings) == 2 and len({f.fingerprint for f in result.findings}) == 1
