"""What sqllint sends to a staging database, checked where a DB owner would check it: the server's log.

A full `sqllint check` over fixtures/shop and fixtures/mall (plus a file of writes, DDL and tricks) runs
with the general log on; every statement the server received from sqllint's account must be one of the
allowed kinds, judged here by sqlglot independently of sqllint's own guard.
"""

from __future__ import annotations

import os
import shutil
import uuid
from urllib.parse import quote
from pathlib import Path

import pytest
import sqlglot
from click.testing import CliRunner
from sqlglot import exp

from sqllint.cli import main
from sqllint.explain.dsn import parse_dsn
from sqllint.explain.safety import UnsafeStatement, as_select, guard, statement_kind
from sqllint.explain.session import Session
from sqllint.explain.settings import ExplainSettings

REPO = Path(__file__).resolve().parent.parent
WRITES = """\
UPDATE orders SET status = 'cancelled' WHERE status = 'new' AND created_at < '2023-02-01';
DELETE FROM shipments WHERE carrier = 'post';
DELETE o FROM orders o JOIN users u ON u.id = o.user_id WHERE u.status = 'banned';
INSERT INTO orders (user_id, status, total_cents, created_at) SELECT id, 'new', 0, NOW() FROM users WHERE status = 'pending';
INSERT INTO users (email, name, status, created_at) VALUES ('a@b.c', 'A', 'active', NOW());
CREATE INDEX idx_orders_status ON orders (status);
DROP TABLE shipments;
TRUNCATE TABLE order_items;
SELECT id FROM orders WHERE status = 'paid' FOR UPDATE;
SELECT id INTO @last FROM orders ORDER BY id DESC LIMIT 1;
SELECT id FROM orders WHERE id = SLEEP(5);
SELECT id FROM users WHERE name = 'x'; -- DELETE FROM users
"""
WRITE_NODES = (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable, exp.Lock,
               exp.Into, exp.Command)
DANGEROUS_CALLS = {"SLEEP", "BENCHMARK", "GET_LOCK", "LOAD_FILE"}


def invoke(args: list[str], cwd: Path) -> tuple[int, str, str]:
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner(env={"SQLLINT_DSN": None}).invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


def _read_only_select(sql: str) -> bool:
    tree = sqlglot.parse_one(sql, read="mysql")
    if not isinstance(tree, (exp.Select, exp.Union)):
        return False
    if any(isinstance(node, WRITE_NODES) for node in tree.walk()):
        return False
    calls = {(node.name if isinstance(node, exp.Anonymous) else node.sql_name()).upper()
             for node in tree.find_all(exp.Func)}
    return not calls & DANGEROUS_CALLS


def classify(statement: str, analyze: bool) -> str | None:
    """The kind of a logged statement, or None when sqllint should never have sent it."""
    text = statement.strip().rstrip(";")
    words = text.split(None, 2)
    head = words[0].upper() if words else ""
    if head == "EXPLAIN":
        body = text[len("EXPLAIN"):].strip()
        if body.upper().startswith("ANALYZE"):  # MySQL 8.0.18+'s EXPLAIN ANALYZE runs the statement
            return "analyze" if analyze and _read_only_select(body[len("ANALYZE"):].strip()) else None
        if body.upper().startswith("FORMAT=JSON"):
            body = body[len("FORMAT=JSON"):].strip()
        return "explain" if _read_only_select(body) else None
    if head == "ANALYZE":
        body = text[len("ANALYZE"):].strip()
        if body.upper().startswith("FORMAT=JSON"):
            body = body[len("FORMAT=JSON"):].strip()
        return "analyze" if analyze and _read_only_select(body) else None
    if head == "SET":
        return "set" if not any(w in text.upper() for w in ("GLOBAL", "PERSIST", "PASSWORD")) else None
    if head == "SHOW":
        return "show"
    if head == "SELECT":
        tree = sqlglot.parse_one(text, read="mysql")
        tables = list(tree.find_all(exp.Table))
        if tables and all(t.db.lower() == "information_schema" for t in tables):
            return "information_schema"
    return None


def split_statements(text: str) -> list[str]:
    """The statements of one logged query, split where the server splits a multi-statement packet: at
    semicolons outside literals and comments (found by sqlglot's tokenizer, not by sqllint's code)."""
    from sqlglot.tokens import TokenType

    cuts = [token.start for token in sqlglot.tokenize(text, read="mysql") if token.token_type == TokenType.SEMICOLON]
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(text[start:cut])
        start = cut + 1
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


@pytest.fixture()
def logged_account(db_server, shop_db, mall_db):
    """A fresh account (so its statements can be told apart in the log) and the general log switched on."""
    user, password = f"sqllint_gl_{uuid.uuid4().hex[:8]}", "G3n:log@pw"
    with db_server.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK('sqllint_test_general_log', 600)")
        cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password))
        for db in (shop_db, mall_db):
            cursor.execute(f"GRANT SELECT ON `{db.name}`.* TO %s@'%%'", (user,))
        cursor.execute("SELECT @@global.general_log, @@global.log_output")
        was_on, output = cursor.fetchone()
        cursor.execute("SET GLOBAL log_output = %s", ("TABLE" if "TABLE" in output.upper() else f"{output},TABLE",))
        cursor.execute("SET GLOBAL general_log = 1")
        try:
            yield user, password
        finally:
            cursor.execute("SET GLOBAL general_log = %s", (was_on,))
            cursor.execute("SET GLOBAL log_output = %s", (output,))
            cursor.execute("DROP USER %s@'%%'", (user,))
            cursor.execute("SELECT RELEASE_LOCK('sqllint_test_general_log')")


def logged_statements(db_server, user: str) -> list[tuple[str, str]]:
    with db_server.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT thread_id FROM mysql.general_log WHERE command_type = 'Connect' AND "
                       "CONVERT(argument USING utf8mb4) LIKE %s", (f"{user}@%",))
        threads = [row[0] for row in cursor.fetchall()]
        assert threads, "the general log shows no connection from sqllint's account"
        cursor.execute("SELECT command_type, CONVERT(argument USING utf8mb4) FROM mysql.general_log WHERE thread_id IN "
                       f"({', '.join(['%s'] * len(threads))}) ORDER BY event_time", threads)
        return list(cursor.fetchall())


def test_general_log_shows_only_allowed_statements(tmp_path: Path, db_server, shop_db, mall_db, logged_account) -> None:
    user, password = logged_account
    shutil.copytree(REPO / "fixtures/shop", tmp_path / "shop")
    shutil.copytree(REPO / "fixtures/mall", tmp_path / "mall")
    (tmp_path / "shop" / "writes.sql").write_text(WRITES, encoding="utf-8")
    runs = [("shop", shop_db, []), ("mall", mall_db, []), ("shop", shop_db, ["--analyze", "--no-cache"])]
    for folder, db, extra in runs:
        dsn = db.server.dsn(db.name, user, password)
        code, out, err = invoke(["check", folder, "--no-baseline", "--format", "json", "--dsn", dsn, *extra], tmp_path)
        assert code in (0, 1) and "could not be used" not in err, err
        assert password not in out + err
    logged = logged_statements(db_server, user)
    queries = [argument for command, argument in logged if command == "Query"]
    assert {command for command, _ in logged} <= {"Connect", "Query", "Quit", "Init DB"}
    # EXPLAINs go several to a packet (a multi-statement query): each statement in it is judged on its own.
    packets = [split_statements(entry) for entry in queries]
    packed = [s for packet in packets if len(packet) > 1 for s in packet]
    assert any(len(packet) > 1 and all(s.upper().startswith("EXPLAIN") for s in packet) for packet in packets)
    assert not [s for s in packed if classify(s, analyze=True) == "analyze"]  # what runs goes alone
    kinds = {}
    for statement in [s for packet in packets for s in packet]:
        kind = classify(statement, analyze=True)
        assert kind is not None, f"sqllint sent a statement it must not send: {statement}"
        kinds.setdefault(kind, []).append(statement)
    assert {"explain", "analyze", "set", "information_schema"} <= set(kinds)
    explained = " ".join(kinds["explain"])
    # The writes in writes.sql were explained as SELECTs over the same tables and conditions ...
    assert "FROM shipments WHERE carrier = 'post'" in explained
    assert "created_at < '2023-02-01'" in explained
    # ... ANALYZE (which runs the statement) only ever ran original SELECTs, and nothing wrote or slept.
    assert not any("carrier = 'post'" in s or "SLEEP" in s.upper() for s in kinds["analyze"])
    assert not any("SLEEP" in s.upper() or "FOR UPDATE" in s.upper() for s in queries)
    # The session was made read-only and given a time limit before any EXPLAIN.
    sets = " ".join(kinds["set"]).upper()
    assert "SET SESSION TRANSACTION READ ONLY" in sets and "MAX_STATEMENT_TIME" in sets


def test_rewritten_writes_say_so_in_the_finding(tmp_path: Path, shop_db) -> None:
    (tmp_path / "writes.sql").write_text(WRITES, encoding="utf-8")
    code, out, err = invoke(["check", "writes.sql", "--no-baseline", "--format", "json", "--select", "P,E",
                             "--dsn", shop_db.dsn], tmp_path)
    import json

    found = json.loads(out)["findings"]
    scan = [f for f in found if f["rule"] == "P001" and f["line"] == 2]
    assert scan and "equivalent SELECT" in scan[0]["message"] and "DELETE" in scan[0]["message"]
    sleeper = [f for f in found if f["line"] == 11]
    assert sleeper and sleeper[0]["rule"] == "E010" and "not sent" in sleeper[0]["message"]


def test_session_is_read_only_and_time_limited(shop_db) -> None:
    dsn = parse_dsn(shop_db.dsn)
    with Session(dsn, ExplainSettings(statement_timeout=1.5)) as session:
        variables = dict(session.query("SHOW VARIABLES WHERE Variable_name IN ('max_statement_time', "
                                       "'tx_read_only', 'transaction_read_only')")[1])
        assert float(variables["max_statement_time"]) == 1.5
        assert "ON" in {variables.get("tx_read_only"), variables.get("transaction_read_only")}
        with pytest.raises(UnsafeStatement):
            session.query("UPDATE orders SET status = 'x' WHERE id = 1")
        # Even past sqllint's guard, the server refuses to write in this session.
        import pymysql

        with pytest.raises(pymysql.MySQLError) as refused, session._conn.cursor() as cursor:
            cursor.execute("UPDATE orders SET status = 'x' WHERE id = 1")
        assert refused.value.args[0] == 1792


@pytest.mark.parametrize("sql", [
    "EXPLAIN SELECT 1", "EXPLAIN FORMAT=JSON SELECT id FROM t WHERE a = 'x; DROP TABLE t'",
    "  /* lead */ EXPLAIN WITH x AS (SELECT 1) SELECT * FROM x", "SET SESSION max_statement_time = 2",
    "SHOW VARIABLES LIKE 'version'",
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    "SET SESSION TRANSACTION READ ONLY", "SET SESSION max_execution_time = 5000",
    "EXPLAIN SELECT REPLACE(name, 'a', 'b'), INSERT(code, 1, 2, 'x') FROM users WHERE is_deleted = 0",
    "EXPLAIN SELECT id FROM orders WHERE status = 'UPDATE' AND note = 'DELETE FROM x'",
    # Comments are not code: a semicolon or a write word inside one is harmless, and so is a quote.
    "EXPLAIN SELECT id FROM orders -- don't; DELETE later\nWHERE id = 1", "EXPLAIN SELECT 1 /* it's; DROP TABLE t */",
    "EXPLAIN SELECT id FROM t # INSERT INTO x\n", "EXPLAIN SELECT 'it''s -- not a comment' FROM t",
    "EXPLAIN SELECT 'a\\'b' FROM t",
])
def test_guard_allows(sql: str) -> None:
    assert guard(sql) == sql


@pytest.mark.parametrize("sql", [
    "SELECT * FROM orders", "UPDATE t SET a = 1", "EXPLAIN UPDATE t SET a = 1", "EXPLAIN DELETE FROM t",
    "DROP TABLE t", "EXPLAIN SELECT 1; DROP TABLE t", "SET GLOBAL general_log = 1", "SET PASSWORD = 'x'",
    "ANALYZE SELECT * FROM t", "EXPLAIN ANALYZE SELECT * FROM t", "EXPLAIN SELECT * FROM t FOR UPDATE",
    "EXPLAIN SELECT SLEEP(10)", "EXPLAIN SELECT * INTO OUTFILE '/tmp/x' FROM t",
    "SELECT * FROM information_schema.TABLES JOIN mysql.user", "ANALYZE TABLE t", "CALL p()",
    "EXPLAIN INSERT INTO t SELECT * FROM u", "LOAD DATA INFILE 'x' INTO TABLE t",
    # Comma and STRAIGHT_JOIN joins reach application tables; file reads, waits and sequences are not reads.
    "SELECT * FROM information_schema.TABLES, orders", "SELECT * FROM information_schema.TABLES t STRAIGHT_JOIN orders",
    "SELECT LOAD_FILE('/etc/passwd') FROM information_schema.TABLES", "EXPLAIN SELECT RELEASE_ALL_LOCKS()",
    "EXPLAIN SELECT MASTER_POS_WAIT('f', 4)", "EXPLAIN SELECT NEXTVAL(seq)", "EXPLAIN SELECT NEXT VALUE FOR seq",
    "EXPLAIN SELECT * FROM t FOR SHARE",
    # SET is a whitelist: several assignments, MariaDB's SET STATEMENT … FOR, any other variable.
    "SET SESSION max_statement_time = 2, GLOBAL max_connections = 1",
    "SET STATEMENT max_statement_time = 1 FOR DELETE FROM t", "SET NAMES latin1", "SET SESSION sql_log_bin = 0",
    # Statement forms the old word list missed (aliases, INTO-less INSERT/REPLACE), even behind WITH.
    "ANALYZE WITH x AS (SELECT 1) UPDATE t a SET a.x = 1", "EXPLAIN WITH x AS (SELECT 1) INSERT t SELECT * FROM x",
    "EXPLAIN REPLACE t VALUES (1)", "EXPLAIN WITH x AS (SELECT 1) DELETE t FROM t JOIN x",
    # A quote inside a comment starts no string, so it cannot hide what follows the comment ...
    "EXPLAIN SELECT id FROM t -- it's\nWHERE id = SLEEP(5) -- '", "EXPLAIN SELECT 1 # it's\n; DROP TABLE t -- '",
    # ... executable comments are code to the server ...
    "EXPLAIN SELECT 1 /*!, SLEEP(1) */", "EXPLAIN SELECT 1 /*M!100000 , SLEEP(1) */",
    # ... and with NO_BACKSLASH_ESCAPES a backslash ends nothing: what that reading shows counts too.
    "EXPLAIN SELECT '\\', SLEEP(5), '\\'", "EXPLAIN SELECT '\\' ; DROP TABLE t -- '",
])
def test_guard_refuses(sql: str) -> None:
    with pytest.raises(UnsafeStatement):
        guard(sql)


def test_analyze_is_allowed_only_when_asked_and_only_for_select() -> None:
    assert statement_kind("ANALYZE SELECT id FROM t", analyze=True) == "analyze"
    assert statement_kind("ANALYZE UPDATE t SET a = 1", analyze=True) is None
    assert statement_kind("ANALYZE SELECT id FROM t") is None


def test_dml_becomes_an_equivalent_select() -> None:
    cases = {
        "UPDATE orders SET status = 'x' WHERE status = 'paid' ORDER BY id LIMIT 10":
            ("update", "SELECT * FROM orders WHERE status = 'paid' ORDER BY id LIMIT 10"),
        "UPDATE orders o JOIN users u ON u.id = o.user_id SET o.status = 'x' WHERE u.status = 'banned'":
            ("update", "SELECT * FROM orders AS o JOIN users AS u ON u.id = o.user_id WHERE u.status = 'banned'"),
        "DELETE o FROM orders o JOIN users u ON u.id = o.user_id WHERE u.status = 'banned'":
            ("delete", "SELECT * FROM orders AS o JOIN users AS u ON u.id = o.user_id WHERE u.status = 'banned'"),
        "INSERT INTO archive SELECT * FROM orders WHERE status = 'x'":
            ("insert", "SELECT * FROM orders WHERE status = 'x'"),
        "SELECT id FROM orders WHERE status = 'paid' FOR UPDATE": (None, "SELECT id FROM orders WHERE status = 'paid'"),
    }
    for sql, (kind, select) in cases.items():
        result = as_select(sqlglot.parse_one(sql, read="mysql"))
        assert result is not None and (result.rewritten_from, result.tree.sql(dialect="mysql")) == (kind, select)
    assert as_select(sqlglot.parse_one("INSERT INTO t VALUES (1)", read="mysql")) is None
    assert as_select(sqlglot.parse_one("CREATE INDEX i ON t (a)", read="mysql")) is None


def test_a_server_that_answers_garbage_is_unavailable_with_the_password_masked() -> None:
    """Not a database at all (something else listens on the port): an error packet whose text echoes the
    password, and a truncated greeting (pymysql raises struct.error, not one of its own errors, which
    used to escape as a traceback). Both end as DatabaseUnavailable, the password masked."""
    import socket
    import struct
    import threading

    from sqllint.explain.session import DatabaseUnavailable

    password = "S3cret:pw@"
    message = f"Access denied, you sent {password}".encode()
    error_packet = b"\xff" + struct.pack("<H", 1045) + b"#28000" + message
    answers = [struct.pack("<I", len(error_packet))[:3] + b"\x00" + error_packet, b"\x01\x00\x00\x00\x0a"]
    texts = []
    for answer in answers:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def serve(listener: socket.socket = listener, answer: bytes = answer) -> None:
            conn, _ = listener.accept()
            conn.sendall(answer)
            conn.close()

        threading.Thread(target=serve, daemon=True).start()
        try:
            dsn = parse_dsn(f"mysql://app:{quote(password, safe='')}@127.0.0.1:{listener.getsockname()[1]}/db")
            with pytest.raises(DatabaseUnavailable) as error:
                Session(dsn, ExplainSettings(connect_timeout=2)).open()
        finally:
            listener.close()
        texts.append(str(error.value))
        assert password not in texts[-1] and quote(password, safe="") not in texts[-1], texts[-1]
    assert "you sent ***" in texts[0]  # the echo is masked, the rest of the server's message kept
    assert texts[1].startswith("error: ")  # struct.error, named


@pytest.mark.parametrize(("sql", "expected"), [
    ("UPDATE orders SET status = 'cancelled' WHERE status = 'new' AND created_at < '2023-02-01'",
     "SELECT * FROM orders WHERE status = 'new' AND created_at < '2023-02-01'"),
    ("UPDATE LOW_PRIORITY orders AS o SET o.total_cents = (SELECT 1 FROM users WHERE id = 2) WHERE o.id = 3 "
     "ORDER BY o.id LIMIT 5", "SELECT * FROM orders AS o WHERE o.id = 3 ORDER BY o.id LIMIT 5"),
    ("DELETE QUICK FROM shipments WHERE carrier = 'post' LIMIT 10", "SELECT * FROM shipments WHERE carrier = 'post' LIMIT 10"),
    ("DELETE FROM sessions", "SELECT * FROM sessions"),
    ("UPDATE orders o JOIN users u ON u.id = o.user_id SET o.status = 'x' WHERE u.id = 1", None),
    ("UPDATE orders, users SET orders.status = 'x'", None),
    ("DELETE o FROM orders o JOIN users u ON u.id = o.user_id WHERE u.status = 'banned'", None),
    ("DELETE FROM orders USING orders JOIN users WHERE orders.user_id = users.id", None),
    ("DELETE FROM orders -- old\nWHERE id = 1", None),
])
def test_select_text_cuts_a_plain_write_into_its_select(sql: str, expected: str | None) -> None:
    from sqllint.explain.safety import select_text

    kind = "update" if sql.startswith("UPDATE") else "delete"
    assert select_text(sql, kind) == expected


def test_select_text_explains_like_the_rewritten_tree(shop_db) -> None:
    """For every write it handles, the SELECT cut from the text has the plan of the SELECT ``as_select``
    generates from the tree (what was sent before), on the live server."""
    from sqllint.explain.planjson import parse_json
    from sqllint.explain.safety import select_text

    writes = [w for w in WRITES.splitlines() if w.startswith(("UPDATE", "DELETE"))] + [
        "UPDATE orders SET status = 'paid' WHERE user_id = 42 ORDER BY created_at DESC LIMIT 3",
        "DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE status = 'cancelled')",
        "UPDATE users AS u SET u.status = 'x' WHERE u.email LIKE 'a%' AND u.created_at > '2024-01-01'",
    ]
    cut = 0
    with Session(parse_dsn(shop_db.dsn), ExplainSettings()) as session:
        for write in writes:
            statement = write.rstrip(";")
            kind = "update" if statement.startswith("UPDATE") else "delete"
            text = select_text(statement, kind)
            if text is None:
                continue
            cut += 1
            generated = as_select(sqlglot.parse_one(statement, read="mysql")).tree.sql(dialect="mysql")
            plans = [parse_json(session.query(f"EXPLAIN FORMAT=JSON {sql}")[1][0][0]).summary()
                     for sql in (text, generated)]
            assert plans[0] == plans[1], (text, generated)
    assert cut >= 5


_PIECES = ["INSERT", "insert", "UPDATE", "DELETE", "REPLACE", "INTO", "OUTFILE", "FOR", "SHARE", "LOCK", "IN",
           "MODE", "NEXT", "VALUE", "LOAD", "DATA", "SLEEP", "load_file", "NEXTVAL", "CREATE", "TABLE", "SELECT",
           "FROM", "t", "x_", "_", "1", "é", "(", ")", " ", "  ", "\n", ",", ".", "`", "=", "'"]


@pytest.mark.parametrize("seed", range(3))
def test_the_word_scan_never_clears_what_the_write_search_catches(seed: int) -> None:
    """``_writes`` skips the slow search when no trigger word occurs; on any text it must answer as the
    search does (random texts built from trigger words, their neighbours and separators)."""
    import random

    from sqllint.explain import safety

    rng = random.Random(seed)
    for _ in range(4000):
        text = "".join(rng.choice(_PIECES) + rng.choice(["", " ", "(", "_", "1"]) for _ in range(rng.randint(1, 12)))
        assert safety._writes(text) == (safety._WRITE_WORDS.search(text) is not None), text


_WRITE_HEADS = ["UPDATE ", "update ", "UPDATE LOW_PRIORITY ", "UPDATE IGNORE ", "UPDATE QUICK ", "DELETE FROM ",
                "delete from ", "DELETE QUICK FROM ", "DELETE LOW_PRIORITY IGNORE FROM ", "DELETE o FROM ", "UPDATE\t"]
_WRITE_PIECES = ["orders", "o", "AS", "db.orders", "`orders`", "t1", "SET", "set", "status", "=", "'x'", "'a(b'",
                 "'WHERE'", '"q"', "'it''s'", "'a\\'b'", "'a\"'", "1", "1.5", "1e5", "0x1F", ",", "(", ")", "WHERE",
                 "where", "ORDER BY", "ORDER  BY", "ORDER\nBY", "order", "BY", "LIMIT", "limit", "USING", "JOIN",
                 "SELECT", "FROM", "x.where", "a$b", "_w", "AND", "IN", "<", ">=", "!=", "+", "-", "*", "/", "%",
                 "`a b`", "é", "\f", "@v", "?", "users", "u", "id", "DESC", "IGNORE", "LOW_PRIORITY"]


@pytest.mark.parametrize("seed", range(3))
def test_the_simple_write_cut_agrees_with_the_tokenizer(seed: int) -> None:
    """``_simple_cut`` answers only for writes whose tokens are beyond doubt, and then as sqlglot's tokenizer
    (``_token_cut``) does: random writes from plain and tricky pieces (quotes, keywords in strings and after
    dots, odd spacing of ORDER BY, USING, joins, non-ASCII)."""
    import random

    from sqllint.explain.safety import _simple_cut, _token_cut

    rng = random.Random(seed)
    answered = 0
    for _ in range(3000):
        pieces = [rng.choice(_WRITE_PIECES) for _ in range(rng.randint(1, 14))]
        if rng.random() < 0.6:  # most writes have the plain shape: table [alias] SET … [WHERE …]
            pieces = [rng.choice(["orders", "orders o", "orders AS o", "db.t"]), "SET", "a", "=", "1", *pieces]
        text = rng.choice(_WRITE_HEADS) + rng.choice([" ", "  ", "\n"]).join(pieces)
        kind = "update" if text.upper().startswith("UPDATE") else "delete"
        cut = _simple_cut(text, kind)
        if cut is not None:
            answered += 1
            assert cut == _token_cut(text, kind), text
    assert answered > 300


@pytest.mark.parametrize("sql", [
    "UPDATE orders SET status = 'cancelled' WHERE user_id = 5 AND status = 'new'",
    "UPDATE LOW_PRIORITY db.orders AS o SET o.total = (SELECT MAX(x) FROM y WHERE z = 1), n = 2 WHERE o.id = 3 "
    "ORDER BY o.id LIMIT 5",
    "DELETE FROM shipments WHERE order_id = 7", "DELETE QUICK FROM sessions",
    "UPDATE t SET note = 'WHERE (' WHERE id IN (1, 2)",
])
def test_plain_writes_take_the_simple_cut(sql: str) -> None:
    from sqllint.explain.safety import _simple_cut, _token_cut

    kind = "update" if sql.startswith("UPDATE") else "delete"
    assert _simple_cut(sql, kind) is not None and _simple_cut(sql, kind) == _token_cut(sql, kind)


def test_as_select_with_the_statements_node_index_strips_as_without_it() -> None:
    """``as_select(tree, find)`` asks the statement's node index whether any FOR UPDATE / INTO is in it
    instead of walking the tree; the SELECT it gives is the same."""
    for sql in ["SELECT id FROM orders WHERE status = 'paid' FOR UPDATE", "SELECT id INTO @x FROM orders LIMIT 1",
                "SELECT id FROM orders WHERE status = 'paid'", "UPDATE orders SET a = 1 WHERE id IN "
                "(SELECT id FROM (SELECT id FROM users FOR UPDATE) AS x)",
                "INSERT INTO t SELECT * FROM orders WHERE id = 1 FOR UPDATE"]:
        tree = sqlglot.parse_one(sql, read="mysql")
        calls: list[tuple[type, ...]] = []

        def find(*types: type, tree=tree, calls=calls) -> list:
            calls.append(types)
            return [node for node in tree.walk() if type(node) in types]

        expected = as_select(sqlglot.parse_one(sql, read="mysql"))
        got = as_select(tree, find)
        assert calls and got is not None and expected is not None
        assert (got.tree.sql(dialect="mysql"), got.rewritten_from) == (expected.tree.sql(dialect="mysql"),
                                                                       expected.rewritten_from), sql
        assert "FOR UPDATE" not in got.tree.sql(dialect="mysql") and "INTO" not in got.tree.sql(dialect="mysql")
