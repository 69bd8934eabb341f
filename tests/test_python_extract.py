"""Python extraction: SQL reaching DB calls through the ways real code builds it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqllint.extract.python import extract_python
from sqllint.records import PlaceholderStyle, Query
from tests.helpers import check_snippet


def extract(code: str, max_variants: int = 32) -> list[Query]:
    result = extract_python(textwrap.dedent(code).encode(), "app.py", max_variants)
    assert result.syntax_error is None
    return result.queries


def texts(queries: list[Query]) -> list[str]:
    return [q.text for q in queries]


def test_literal_at_execute_carries_location_scope_and_call() -> None:
    [query] = extract("""
        class OrderRepo:
            def get(self, cur, order_id):
                cur.execute("SELECT id, status FROM orders WHERE id = %s", (order_id,))
    """)
    assert query.text == "SELECT id, status FROM orders WHERE id = ?"
    assert query.raw == "SELECT id, status FROM orders WHERE id = %s"
    assert (query.line, query.column) == (4, 9)
    assert query.scope == "OrderRepo.get"
    assert query.call == "cur.execute"
    assert query.loop_depth == 0 and query.variant is None
    assert [p.style for p in query.placeholders] == [PlaceholderStyle.FORMAT]


def test_conditional_appends_expand_into_labelled_variants() -> None:
    queries = extract("""
        def search(cur, kw=None, status=None):
            sql = "SELECT id FROM users WHERE 1=1"
            if kw:
                sql += " AND name LIKE %s"
            if status is not None:
                sql += " AND status = %s"
            cur.execute(sql)
    """)
    by_label = {q.variant.label: q.text for q in queries}
    assert by_label == {
        "when kw, status are absent": "SELECT id FROM users WHERE 1=1",
        "when status is absent; kw is present": "SELECT id FROM users WHERE 1=1 AND name LIKE ?",
        "when kw is absent; status is present": "SELECT id FROM users WHERE 1=1 AND status = ?",
        "when kw, status are present": "SELECT id FROM users WHERE 1=1 AND name LIKE ? AND status = ?",
    }
    assert queries[0].variant.label == "when kw, status are absent"  # the all-absent variant comes first
    assert len({q.site for q in queries}) == 1


def test_condition_list_joined_with_and() -> None:
    queries = extract("""
        def search(cur, filters):
            conds = []
            if filters.get("kw"):
                conds.append("name LIKE %s")
            if filters.get("city"):
                conds.append("city = %s")
            sql = "SELECT id FROM users"
            if conds:
                sql += " WHERE " + " AND ".join(conds)
            cur.execute(sql)
    """)
    assert sorted(texts(queries)) == sorted([
        "SELECT id FROM users",
        "SELECT id FROM users WHERE name LIKE ?",
        "SELECT id FROM users WHERE city = ?",
        "SELECT id FROM users WHERE name LIKE ? AND city = ?",
    ])
    assert {q.variant.label for q in queries} >= {"when kw, city are absent", "when kw, city are present"}


def test_conditional_expression_on_list_does_not_invent_variants() -> None:
    queries = extract("""
        def search(cur, kw):
            conds = ["deleted_at IS NULL"]
            if kw:
                conds.append("name = %s")
            where = " WHERE " + " AND ".join(conds) if conds else ""
            cur.execute(f"SELECT id FROM users{where}")
    """)
    assert sorted(texts(queries)) == [
        "SELECT id FROM users WHERE deleted_at IS NULL",
        "SELECT id FROM users WHERE deleted_at IS NULL AND name = ?",
    ]


def test_early_return_leaves_one_reading() -> None:
    queries = extract("""
        def find(cur, kw):
            sql = "SELECT id FROM users"
            if not kw:
                return []
            sql += " WHERE name = %s"
            cur.execute(sql, (kw,))
    """)
    assert texts(queries) == ["SELECT id FROM users WHERE name = ?"]
    assert queries[0].variant is None


def test_fstring_with_local_fragment_is_not_interpolation_but_values_are() -> None:
    [query] = extract("""
        def find(cur, email, limit):
            cols = "id, name"
            cur.execute(f"SELECT {cols} FROM users WHERE email = '{email}' LIMIT {int(limit)}")
    """)
    assert query.text == "SELECT id, name FROM users WHERE email = 'x' LIMIT ?"
    styles = [(p.name, p.style, p.safe) for p in query.placeholders]
    assert styles == [("email", PlaceholderStyle.FSTRING_HOLE, False), ("int(limit)", PlaceholderStyle.FSTRING_HOLE, True)]


def test_percent_and_format_substitute_constants_and_mark_values() -> None:
    queries = extract("""
        TABLE = "orders"

        def by_id(cur, order_id):
            cur.execute("SELECT id FROM %s WHERE id = %d" % (TABLE, order_id))

        def by_user(cur, user_id):
            cur.execute("SELECT id FROM {table} WHERE user_id = {uid}".format(table=TABLE, uid=user_id))
    """)
    first, second = queries
    assert first.text == "SELECT id FROM orders WHERE id = ?"
    assert first.placeholders[0].safe  # %d can only carry a number
    assert second.text == "SELECT id FROM orders WHERE user_id = ?"
    assert second.placeholders[0].interpolated and not second.placeholders[0].safe


def test_implicit_concatenation_and_plus() -> None:
    [query] = extract("""
        def q(cur, uid):
            sql = ("SELECT id "
                   "FROM orders ") + "WHERE user_id = %s"
            cur.execute(sql, (uid,))
    """)
    assert query.text == "SELECT id FROM orders WHERE user_id = ?"


def test_module_constant_is_reported_where_it_runs_and_unused_ones_where_defined() -> None:
    queries = extract("""
        USED = "SELECT id FROM users WHERE id = %s"
        UNUSED = "SELECT id FROM products WHERE sku = %s"
        NOT_SQL = "Select a file to upload"

        def get(cur, uid):
            cur.execute(USED, (uid,))
    """)
    assert [(q.text, q.line, q.scope) for q in queries] == [
        ("SELECT id FROM users WHERE id = ?", 7, "get"),
        ("SELECT id FROM products WHERE sku = ?", 3, "<module>"),
    ]


def test_class_constant_through_self() -> None:
    [query] = extract("""
        class Repo:
            QUERY = "SELECT id FROM users WHERE email = %(email)s"

            def find(self, cur, email):
                cur.execute(self.QUERY, {"email": email})
    """)
    assert query.scope == "Repo.find" and query.line == 6
    assert query.placeholders[0].style == PlaceholderStyle.PYFORMAT and query.placeholders[0].name == "email"


def test_sqlalchemy_text_and_pandas_and_django_raw() -> None:
    queries = extract("""
        from sqlalchemy import text
        import pandas as pd

        def a(session, uid):
            session.execute(text("SELECT id FROM users WHERE id = :uid"), {"uid": uid})

        def b(session):
            stmt = text("SELECT id FROM orders WHERE status = :status")
            return session.execute(stmt, {"status": "paid"}).all()

        def c(conn):
            return pd.read_sql("SELECT id, total FROM orders", conn)

        def d():
            return User.objects.raw("SELECT * FROM auth_user WHERE is_staff = 1")
    """)
    assert [(q.scope, q.text) for q in queries] == [
        ("a", "SELECT id FROM users WHERE id = ?"),
        ("b", "SELECT id FROM orders WHERE status = ?"),
        ("c", "SELECT id, total FROM orders"),
        ("d", "SELECT * FROM auth_user WHERE is_staff = 1"),
    ]
    assert queries[0].placeholders[0].style == PlaceholderStyle.NAMED


def test_loops_and_comprehensions_set_loop_depth() -> None:
    queries = extract("""
        def f(cur, ids, groups):
            for i in ids:
                cur.execute("SELECT a FROM t WHERE id = %s", (i,))
                for g in groups:
                    cur.execute("SELECT b FROM u WHERE id = %s", (g,))
            while True:
                cur.execute("SELECT c FROM v LIMIT 1")
                break
            rows = [cur.execute("SELECT d FROM w WHERE id = %s", (i,)) for i in ids]
            cur.execute("SELECT e FROM x")
    """)
    assert [(q.text.split()[1], q.loop_depth, q.loop_line) for q in queries] == [
        ("a", 1, 3), ("b", 2, 5), ("c", 1, 7), ("d", 1, 10), ("e", 0, None),
    ]


def test_local_builder_is_followed_into_the_call_site() -> None:
    queries = extract("""
        def _orders_sql(with_items):
            sql = "SELECT o.id FROM orders o"
            if with_items:
                sql += " JOIN order_items i ON i.order_id = o.id"
            return sql

        def unused_builder():
            return "SELECT id FROM archived_orders WHERE id = %s"

        def load(cur, with_items):
            cur.execute(_orders_sql(with_items))
    """)
    assert sorted((q.scope, q.text) for q in queries) == [
        ("load", "SELECT o.id FROM orders o"),
        ("load", "SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id"),
        ("unused_builder", "SELECT id FROM archived_orders WHERE id = ?"),
    ]


def test_placeholder_list_idiom_is_not_interpolation() -> None:
    [query] = extract("""
        def items(cur, ids):
            marks = ", ".join(["%s"] * len(ids))
            cur.execute(f"SELECT id FROM items WHERE order_id IN ({marks})", ids)
    """)
    assert query.text == "SELECT id FROM items WHERE order_id IN (?, ?, ?)"
    assert all(not p.interpolated for p in query.placeholders)


def test_unresolved_clause_is_a_fragment() -> None:
    [query] = extract("""
        def search(cur, where_clause):
            cur.execute(f"SELECT id FROM users {where_clause}")
    """)
    assert [p.fragment for p in query.placeholders] == [True]


def test_non_sql_strings_and_unrelated_calls_are_ignored() -> None:
    assert extract("""
        import logging
        def f(redis, cur, sql_from_caller):
            redis.execute("GET", "key")
            logging.info("SELECT id FROM users WHERE id = 1")
            cur.execute(sql_from_caller)
            print("Select your plan")
    """) == []


def test_suppression_comment_on_any_line_of_the_call() -> None:
    queries = extract("""
        def f(cur):
            cur.execute(
                "SELECT * FROM users",  # sqllint: ignore[S011, wide-join]
            )
            cur.execute("SELECT * FROM orders")
    """)
    assert queries[0].suppressed == frozenset({"S011", "wide-join"})
    assert queries[1].suppressed == frozenset()


def test_executescript_with_several_statements_is_split() -> None:
    queries = extract('''
        def migrate(cur):
            cur.executescript("UPDATE a SET x = 1 WHERE id = 2; DELETE FROM b WHERE id = 3;")
    ''')
    assert texts(queries) == ["UPDATE a SET x = 1 WHERE id = 2", "DELETE FROM b WHERE id = 3"]


def test_variant_cap_keeps_the_most_telling_variants() -> None:
    conditions = "\n".join(f"    if f{i}:\n        sql += ' AND c{i} = %s'" for i in range(8))
    code = f"def f(cur, {', '.join(f'f{i}' for i in range(8))}):\n    sql = 'SELECT id FROM t WHERE 1=1'\n{conditions}\n    cur.execute(sql)\n"
    queries = extract(code, max_variants=12)
    assert len(queries) <= 12
    ons = [len(q.variant.on) for q in queries]
    assert 0 in ons and 8 in ons  # all-off and all-on survive the cap


def test_syntax_error_is_reported_not_raised() -> None:
    result = extract_python(b"def broken(:\n    pass\n", "bad.py")
    assert result.queries == [] and result.syntax_error is not None
    message, line, _column = result.syntax_error
    assert line == 1 and message


def test_a_bare_keyword_at_a_db_looking_call_is_not_sql() -> None:
    assert extract("""
        def f(tree, cur):
            tree.select_set("with spaces")
            cur.execute("Update the cache please")
            cur.query("Select your plan")
    """) == []
    queries = extract("""
        def g(cur):
            cur.execute("SET NAMES utf8mb4")
            cur.execute("WITH recent AS (SELECT id FROM orders) SELECT id FROM recent")
            cur.execute("SELECT 1")
    """)
    assert len(queries) == 3


def test_format_templates_away_from_db_calls_become_holes() -> None:
    queries = extract("""
        INSERT_DEFAULT = "INSERT INTO {} () VALUES ()"
        PREFIX = "INSERT IGNORE INTO"

        def count_sql(table):
            return "SELECT COUNT(*) FROM {table} WHERE deleted = 0"
    """)
    assert sorted(q.text for q in queries) == [
        "INSERT INTO sqllint_hole_1 () VALUES ()",
        "SELECT COUNT(*) FROM sqllint_hole_1 WHERE deleted = 0",
    ]


def test_sqlalchemy_statement_methods_keep_the_sql() -> None:
    [query] = extract("""
        from sqlalchemy import text

        def f(session, uid):
            stmt = text("SELECT id, name FROM users WHERE id = :uid").bindparams(uid=uid)
            return session.execute(stmt.execution_options(stream_results=True)).all()
    """)
    assert query.text == "SELECT id, name FROM users WHERE id = ?" and query.scope == "f"


def test_queries_kept_in_a_dict_by_name() -> None:
    queries = extract("""
        QUERIES = {
            "by_id": "SELECT id, email FROM users WHERE id = %s",
            "unused": "DELETE FROM sessions WHERE expires_at < NOW()",
            "limit": 10,
        }

        def get(cur, uid):
            cur.execute(QUERIES["by_id"], (uid,))
    """)
    assert [(q.text, q.line, q.scope) for q in queries] == [
        ("SELECT id, email FROM users WHERE id = ?", 9, "get"),
        ("DELETE FROM sessions WHERE expires_at < NOW()", 4, "<module>"),
    ]


def test_a_loop_over_a_list_of_statements_runs_each_of_them() -> None:
    queries = extract("""
        MIGRATIONS = [
            "CREATE TABLE IF NOT EXISTS jobs (id INT AUTO_INCREMENT PRIMARY KEY)",
            "ALTER TABLE jobs ADD COLUMN state VARCHAR(16)",
        ]

        def migrate(cur):
            for ddl in MIGRATIONS:
                cur.execute(ddl)

        def search(cur):
            sql = "SELECT id FROM jobs WHERE 1=1"
            for condition in ["state = %s", "owner = %s"]:
                sql += " AND " + condition
            cur.execute(sql, ("new", "me"))
    """)
    assert sorted((q.line, q.raw) for q in queries) == [
        (9, "ALTER TABLE jobs ADD COLUMN state VARCHAR(16)"),
        (9, "CREATE TABLE IF NOT EXISTS jobs (id INT AUTO_INCREMENT PRIMARY KEY)"),
        (15, "SELECT id FROM jobs WHERE 1=1"),
        (15, "SELECT id FROM jobs WHERE 1=1 AND owner = %s"),
        (15, "SELECT id FROM jobs WHERE 1=1 AND state = %s"),
    ]
    assert not any(p.style is PlaceholderStyle.FSTRING_HOLE for q in queries for p in q.placeholders)


def test_fragments_kept_in_dict_entries_are_built_and_read_like_names() -> None:
    queries = extract("""
        SQL = {"by_id": "SELECT name FROM users WHERE id = %s"}

        def report(cur, filters):
            extra = {"orders": "", "items": ""}
            if filters.get("since"):
                extra["orders"] += " AND o.created_at >= %(since)s"
            extra["items"] = " AND i.qty > 0"
            cur.execute("SELECT o.id FROM orders o JOIN items i ON i.order_id = o.id WHERE o.paid = 1"
                        + extra["orders"] + extra.get("items", ""), filters)
            cur.execute(SQL.get("by_id"), (1,))
    """)
    assert sorted(q.raw for q in queries if q.line == 9) == [
        "SELECT o.id FROM orders o JOIN items i ON i.order_id = o.id WHERE o.paid = 1 AND i.qty > 0",
        "SELECT o.id FROM orders o JOIN items i ON i.order_id = o.id WHERE o.paid = 1"
        " AND o.created_at >= %(since)s AND i.qty > 0",
    ]
    assert [q.raw for q in queries if q.line == 11] == ["SELECT name FROM users WHERE id = %s"]


def test_show_with_a_comment_after_the_verb_is_sql() -> None:
    queries = extract("""
        def status(cur, table):
            cur.execute("SHOW /* tool */ TABLE STATUS LIKE %s", (table,))
    """)
    assert [q.raw for q in queries] == ["SHOW /* tool */ TABLE STATUS LIKE %s"]


def test_variants_failing_to_parse_once_stubbed_are_one_note_per_statement(tmp_path: Path) -> None:
    # Three mutually exclusive LIMIT ifs look independent to the extractor: the impossible combinations
    # ("LIMIT 0, ? LIMIT ?") are one E004 at the call, not one per combination.
    result = check_snippet(tmp_path, """\
        def page(cur, where="", start=0, limit=0):
            sql = "SELECT id, name FROM pets"
            if where:
                sql += " WHERE %s" % where
            if start > 0 and limit > 0:
                sql += " LIMIT %s, %s" % (start, limit)
            if start > 0 and limit < 1:
                sql += " LIMIT %s, 100" % start
            if start < 1 and limit > 0:
                sql += " LIMIT %s" % limit
            cur.execute(sql)
        """, language="python", name="pets")
    notes = [f for f in result.findings if f.rule == "E004"]
    assert len(notes) == 1
    assert notes[0].message.startswith("SQL built from ") and "does not parse once they are stubbed out" in notes[0].message
    assert {"`start`", "`limit`"} <= set(notes[0].message.split(" does not")[0][len("SQL built from "):].split(", "))


def test_values_passed_through_an_escaping_call_are_not_injection(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, """\
        def drop(cursor, connection, table, name):
            cursor.execute("DROP TABLE IF EXISTS %s" % connection.ops.quote_name(table))
            cursor.execute("SELECT id FROM u WHERE name = '%s'" % conn.escape_string(name))
            cursor.execute("SELECT id FROM t WHERE name = '%s'" % name)
        """, language="python", name="escaped")
    assert [(f.rule, f.line) for f in result.findings] == [("S003", 4)]


def test_a_value_spliced_inside_backticks_is_a_spliced_name(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, """\
        def create(cur, name, db, table, user):
            cur.execute('CREATE DATABASE `{0}`'.format(name))
            cur.execute(f"SELECT id FROM `{db}`.`{table}` WHERE a = 1")
            cur.execute("GRANT SELECT ON app.* TO '%s'@'localhost'" % user)
        """, language="python", name="ddl")
    assert [(f.rule, f.line, "names a table or column" in f.message or "name tables" in f.message)
            for f in result.findings] == [("S003", 2, True), ("S003", 3, True), ("S003", 4, False)]


def test_a_sort_map_looked_up_by_request_value_is_an_allow_list(tmp_path: Path) -> None:
    code = """\
        SORTS = {"new": "created_at DESC", "old": "created_at ASC"}

        def listing(cur, sort, direction):
            order = SORTS.get(sort, "id DESC")
            cur.execute(f"SELECT id FROM posts ORDER BY {order} LIMIT 20")
            cur.execute(f"SELECT id FROM drafts ORDER BY {SORTS[sort]} LIMIT 20")
            columns = {"a": "title", "b": 1}
            cur.execute(f"SELECT id FROM pages ORDER BY {columns[sort]} LIMIT 20")
        """
    queries = extract(code)
    assert sorted(q.raw for q in queries if q.line == 5) == [
        "SELECT id FROM posts ORDER BY created_at ASC LIMIT 20",
        "SELECT id FROM posts ORDER BY created_at DESC LIMIT 20",
        "SELECT id FROM posts ORDER BY id DESC LIMIT 20",
    ]
    result = check_snippet(tmp_path, code, language="python", name="sorts")
    assert [(f.rule, f.line) for f in result.findings] == [("S003", 8)]  # a dict with a non-text value: unknown


def bound(query: Query) -> list[tuple[str, str, bool] | None]:
    return [(p.bound.shown, p.bound.prefix, p.bound.varies) if p.bound else None for p in query.placeholders]


def test_values_bound_at_the_call_are_recorded_per_slot() -> None:
    by_id, named, dict_call, unknown_length = extract("""
        def f(cur, kw, status, ids):
            cur.execute("SELECT id FROM t WHERE name LIKE %s AND status = %s", ("%%%s%%" % kw, status))
            cur.execute("SELECT id FROM t WHERE name LIKE %(kw)s", {"kw": kw + "%"})
            cur.execute("SELECT id FROM t WHERE name LIKE :kw", params=dict(kw="%" + kw))
            cur.execute("SELECT id FROM t WHERE id IN (%s, %s, %s)", ids)
    """)
    assert bound(by_id) == [("%{kw}%", "%", True), ("{status}", "", True)]
    assert bound(named) == [("{kw}%", "", True)]
    assert bound(dict_call) == [("%{kw}", "%", True)]
    assert bound(unknown_length) == [None, None, None]


def test_a_filter_value_appended_beside_its_condition_binds_that_variant_slot() -> None:
    queries = extract("""
        def search(cur, status, kw, page):
            where, params = ["deleted = 0"], []
            if status:
                where.append("status = %s")
                params.append(status)
            if kw:
                where.append("title LIKE %s")
                params.append(f"%{kw}%")
            sql = "SELECT id FROM products WHERE " + " AND ".join(where) + " LIMIT %s"
            cur.execute(sql, tuple(params) + (page,))
    """)
    by_label = {q.variant.label: [b[0] if b else None for b in bound(q)] for q in queries}
    assert by_label == {
        "when status, kw are absent": ["{page}"],
        "when status is absent; kw is present": ["%{kw}%", "{page}"],
        "when kw is absent; status is present": ["{status}", "{page}"],
        "when status, kw are present": ["{status}", "%{kw}%", "{page}"],
    }


def test_a_bound_value_varies_in_a_loop_only_when_it_reads_what_the_loop_assigns() -> None:
    [update] = extract("""
        def mark_used(cur, items, user):
            now = clock()
            for r in items:
                cur.execute("UPDATE t SET status = 'USED', by = %s, at = %s WHERE id = %s", (user.id, now, r["id"]))
    """)
    assert [b[2] for b in bound(update)] == [False, False, True]


def test_parse_errors_show_spliced_names_as_the_code_writes_them(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, """
        def by_table(cur, table):
            cur.execute(f"SELECT id FROM {table} WHERE WHERE id = 1")

        def by_month(cur, n):
            cur.execute(f"SELECT id FROM log_{n:d} WHERE WHERE id = 1")
    """, "python")
    messages = {f.rule: f.message for f in result.findings}
    assert "at `SELECT id FROM {table} ⟨WHERE⟩ id = 1`" in messages["E004"]
    assert "at `SELECT id FROM log_{n} ⟨WHERE⟩ id = 1`" in messages["E001"]
    assert not any("sqllint_hole" in f.message for f in result.findings)


def test_execute_spreading_a_sql_and_params_tuple_built_in_the_function() -> None:
    queries = extract("""
        def set_plugin(cursor, user, host, plugin, hash_string):
            if hash_string:
                query_with_args = "ALTER USER %s@%s IDENTIFIED WITH %s AS %s", (user, host, plugin, hash_string)
            else:
                query_with_args = "ALTER USER %s@%s IDENTIFIED WITH %s", (user, host, plugin)
            cursor.execute(*query_with_args)
    """)
    assert sorted(texts(queries)) == ["ALTER USER ?@? IDENTIFIED WITH ?", "ALTER USER ?@? IDENTIFIED WITH ? AS ?"]


def test_conditions_returned_by_a_helper_as_a_dict_or_a_list_complete_the_statement() -> None:
    queries = extract("""
        def get_conditions(filters):
            conditions = {"orders": "", "notes": ""}
            if filters.get("from_date"):
                conditions["orders"] += " AND so.transaction_date >= %(from_date)s"
                conditions["notes"] += " AND dn.posting_date >= %(from_date)s"
            return conditions

        def get_filters(filters):
            found = []
            if filters.get("company"):
                found.append("company = %(company)s")
            return found

        def report(db, filters):
            conditions = get_conditions(filters)
            db.sql(f"SELECT so.name FROM `tabSales Order` so WHERE so.docstatus = 1 {conditions.get('orders', '')}",
                   filters)
            where = " AND ".join(["docstatus = 1"] + get_filters(filters))
            return db.sql(f"SELECT name FROM tabInvoice WHERE {where}", filters)
    """)
    assert sorted(q.text for q in queries if q.scope == "report") == [
        "SELECT name FROM tabInvoice WHERE docstatus = 1",
        "SELECT name FROM tabInvoice WHERE docstatus = 1 AND company = ?",
        "SELECT so.name FROM `tabSales Order` so WHERE so.docstatus = 1",
        "SELECT so.name FROM `tabSales Order` so WHERE so.docstatus = 1  AND so.transaction_date >= ?",
    ]
    assert not any(p.fragment for q in queries for p in q.placeholders)


def test_repr_formatted_values_are_values_not_fragments() -> None:
    create, select, known, percent = extract("""
        def f(cur, user, host):
            cur.execute("CREATE USER {0!r}@{1!r}".format(user, host))
            cur.execute(f"SELECT User FROM mysql.user WHERE User = {user!r} AND Host = {host!r}")
            cur.execute("SELECT User FROM mysql.user WHERE Host = {!r}".format("localhost"))
            cur.execute("DROP USER %r@%r" % (user, host))
    """)
    assert create.text == "CREATE USER ?@?" and percent.text == "DROP USER ?@?"
    for query in (create, select, percent):
        assert [(p.name, p.fragment, p.identifier, p.interpolated) for p in query.placeholders] \
            == [("user", False, False, True), ("host", False, False, True)]
    assert known.text == "SELECT User FROM mysql.user WHERE Host = 'localhost'" and not known.placeholders


def test_a_helper_returning_conditions_and_values_unpacked_at_the_caller() -> None:
    queries = extract("""
        def execute(filters):
            conditions, values = get_conditions(filters)
            return frappe.db.sql(f"select name from `tabSales Invoice` where 1=1 {conditions}", values)

        def get_conditions(filters):
            conditions, values = [], {}
            if filters.get("customer"):
                conditions.append("customer = %(customer)s")
                values["customer"] = filters.get("customer")
            return " and " + " and ".join(conditions) if conditions else "", values
    """)
    assert sorted(" ".join(q.text.split()) for q in queries) == [
        "select name from `tabSales Invoice` where 1=1",
        "select name from `tabSales Invoice` where 1=1 and customer = ?"]


def test_self_attributes_set_in_the_method_are_followed_until_a_method_of_self_may_change_them() -> None:
    queries = extract("""
        class Report:
            def run(self):
                self.conditions = self.get_conditions()
                return frappe.db.sql(f"select name from `tabItem` where 1=1 {self.conditions}")

            def get_conditions(self):
                return " and item_group = %(item_group)s" if self.filters.get("item_group") else ""

            def rows(self, cur):
                self.sql = "DELETE FROM tabItem"
                self.add_filters()
                cur.execute(self.sql)
    """)
    assert sorted(" ".join(q.text.split()) for q in queries if q.scope == "Report.run") == [
        "select name from `tabItem` where 1=1", "select name from `tabItem` where 1=1 and item_group = ?"]
    assert not [q for q in queries if q.scope == "Report.rows"]  # not the DELETE without its filters


def test_a_text_parameter_default_is_the_variant_called_without_it() -> None:
    queries = extract("""
        def notes_for_order(order, note_conditions=""):
            query = f"SELECT dn.name FROM `tabDelivery Note` dn WHERE dn.order = %s {note_conditions} ORDER BY dn.name"
            return frappe.db.sql(query, (order,))

        def page(cur, where="", orderby="name"):
            query = "SELECT * FROM servants"
            if where != "":
                query += " WHERE %s" % where
            cur.execute(query + " ORDER BY " + orderby)
    """)
    notes = {q.variant.label: q for q in queries if q.scope == "notes_for_order"}
    called_without = notes["when note_conditions is absent"]
    assert " ".join(called_without.text.split()) == \
        "SELECT dn.name FROM `tabDelivery Note` dn WHERE dn.order = ? ORDER BY dn.name"
    assert [p.fragment for p in notes["when note_conditions is present"].placeholders] == [False, True]
    # A parameter the function tests keeps no default variant (`WHERE ` + '' would be text nobody runs);
    # one it only splices does.
    page = sorted(q.text for q in queries if q.scope == "page")
    assert page == ["SELECT * FROM servants ORDER BY name", "SELECT * FROM servants ORDER BY sqllint_hole_1",
                    "SELECT * FROM servants WHERE ? ORDER BY name", "SELECT * FROM servants WHERE ? ORDER BY sqllint_hole_2"]


def test_repr_of_a_value_with_a_default_quotes_the_default_and_names_the_parameter() -> None:
    queries = extract("""
        def user_exists(cur, user, host="localhost"):
            cur.execute("SELECT User FROM mysql.user WHERE User = {0!r} AND Host = {1!r}".format(user, host))
    """)
    by_label = {q.variant.label: q for q in queries}
    assert by_label["when host is absent"].text == "SELECT User FROM mysql.user WHERE User = ? AND Host = 'localhost'"
    assert [p.name for p in by_label["when host is present"].placeholders] == ["user", "host"]


def test_a_class_constant_built_by_calling_a_module_function_is_read_after_indexing() -> None:
    # unittest/mock.py, wsgiref/handlers.py: X = " ".join(f()) in a class body walked f before the walker
    # was ready (AttributeError); the constant is read once every function is indexed.
    from sqllint.extract.python import extract_python

    source = textwrap.dedent('''
        def columns():
            return ["id", "name"]

        class Repo:
            QUERY = "SELECT " + ", ".join(columns()) + " FROM users WHERE id = %s"

            def get(self, cur, uid):
                cur.execute(self.QUERY, (uid,))
    ''').encode()
    result = extract_python(source, "repo.py")
    assert result.syntax_error is None
    assert [q.raw for q in result.queries] == ["SELECT id, name FROM users WHERE id = %s"]


def test_a_file_the_extractor_fails_on_is_an_e005_finding_and_the_run_goes_on(tmp_path, monkeypatch) -> None:
    import sqllint.checker as checker
    from sqllint.config import Config
    from sqllint.engine import run

    (tmp_path / "bad.py").write_text("def f(cur):\n    cur.execute('SELECT 1 FROM t')\n", encoding="utf-8")
    (tmp_path / "good.sql").write_text("DELETE FROM t;\n", encoding="utf-8")
    real = checker.extract_source

    def failing(data, path, language, options):  # type: ignore[no-untyped-def]
        if path.endswith("bad.py"):
            raise KeyError("boom")
        return real(data, path, language, options)

    monkeypatch.setattr(checker, "extract_source", failing)
    found = run(["."], Config(root=tmp_path), tmp_path, jobs=1).findings
    assert sorted((f.path, f.rule) for f in found) == [("bad.py", "E005"), ("good.sql", "S004")]
    assert "KeyError" in next(f.message for f in found if f.rule == "E005")


def test_functions_calling_each_other_are_each_evaluated_once(monkeypatch) -> None:
    # A parser module of small functions calling the two before it (email/_header_value_parser.py) was
    # walked again at every call: exponential in the depth of the chain.
    from sqllint.extract import pywalk
    from sqllint.extract.python import extract_python

    lines = ["def f0():\n    return 'a'\n", "def f1():\n    return 'b'\n"]
    lines += [f"def f{i}():\n    x = f{i - 1}()\n    y = f{i - 2}()\n    return x\n" for i in range(2, 30)]
    lines.append("def run(cur):\n    cur.execute('SELECT id FROM t WHERE name = %s', (f29(),))\n")
    walks = []
    real = pywalk.PythonExtractor._walk_function

    def counted(self, info, *args, **kwargs):  # type: ignore[no-untyped-def]
        walks.append(info.qualname)
        return real(self, info, *args, **kwargs)

    monkeypatch.setattr(pywalk.PythonExtractor, "_walk_function", counted)
    result = extract_python("\n".join(lines).encode(), "parser.py")
    assert [q.raw for q in result.queries] == ["SELECT id FROM t WHERE name = %s"]
    assert len(walks) <= 3 * 31, len(walks)  # each function: its own walk and one evaluation (was ~10^6)


def test_a_concatenation_of_many_optional_pieces_stays_bounded() -> None:
    """Each ``+`` multiplies alternatives: 24 optional pieces are 2**24 ways to build the text. The value
    keeps a bounded number of them (all off, all on, one at a time first) and says it was capped."""
    flags = [f"f{i}" for i in range(24)]
    pieces = " + ".join(f'(" AND c{i} = 1" if {flag} else "")' for i, flag in enumerate(flags))
    code = f'def q(cur, {", ".join(flags)}):\n    cur.execute("SELECT id FROM t WHERE 1 = 1" + {pieces})\n'
    extraction = extract_python(code.encode(), "many.py", max_variants=32)
    texts = {q.text for q in extraction.queries}
    assert 0 < len(texts) <= 32 and extraction.capped
    assert "SELECT id FROM t WHERE 1 = 1" in texts  # every piece off
