"""EXPLAINs several to a round trip (``Session.query_many``), live: answers in order, each statement's
own error, what may share a packet, and the one-statement-per-packet path beside it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sqllint.explain.dsn import parse_dsn
from sqllint.explain.safety import UnsafeStatement, _atomic_repeat, batchable
from sqllint.explain.session import ExplainError, Session
from sqllint.explain.settings import ExplainConfigError, ExplainSettings, explain_settings


def _tables(answer) -> set[str]:
    """The tables a JSON plan reads (to tell which statement an answer belongs to)."""
    return set(re.findall(r'"table_name":\s*"(\w+)"', answer[1][0][0]))


@pytest.mark.parametrize("sql", [
    "EXPLAIN SELECT id FROM orders WHERE status = 'paid'",
    "EXPLAIN SELECT \"it's\" FROM t", "EXPLAIN SELECT 'it''s'", "EXPLAIN SELECT '--#/*' FROM `a-b`",
    "EXPLAIN SELECT a-b, c - -d FROM t WHERE x/2 > 1",
])
def test_batchable_texts(sql: str) -> None:
    assert batchable(sql)


@pytest.mark.parametrize("sql", [
    "EXPLAIN SELECT 'a;b'",  # a semicolon anywhere, even quoted
    "EXPLAIN SELECT 'a\\'b'",  # NO_BACKSLASH_ESCAPES would end the string at the backslash
    "EXPLAIN SELECT 'open", "EXPLAIN SELECT `open", 'EXPLAIN SELECT "open',
    "EXPLAIN SELECT 1 -- trailing comment", "EXPLAIN SELECT 1 # comment", "EXPLAIN SELECT 1 /* c */",
    "EXPLAIN SELECT 1 /*!50000 , 2 */", "EXPLAIN SELECT 1 --x",
])
def test_unbatchable_texts(sql: str) -> None:
    assert not batchable(sql)


def test_atomic_repeat_matches_the_same_texts_without_possessive_quantifiers() -> None:
    tokens = r"""'[^']*'|[A-Za-z_]\w*|\d+|[ =,()]"""
    possessive, emulated = re.compile(_atomic_repeat(tokens, True)), re.compile(_atomic_repeat(tokens, False))
    for text in ["UPDATE t SET a = 'x' WHERE id = 5", "a" * 3000 + "?", "x = 'open", "", "f(1, 2)", "a;b"]:
        assert bool(possessive.fullmatch(text)) == bool(emulated.fullmatch(text)), text


def test_answers_come_back_in_order_each_with_its_own_error(shop_db) -> None:
    statements = [
        "EXPLAIN FORMAT=JSON SELECT id FROM orders WHERE user_id = 7",
        "EXPLAIN FORMAT=JSON SELECT nickname FROM users",  # schema drift, mid-packet
        "EXPLAIN FORMAT=JSON SELECT id FROM products WHERE category = 'x'",
        "EXPLAIN FORMAT=JSON SELECT id FROM users WHERE name = 'a;b'",  # a semicolon: its own packet
        "EXPLAIN FORMAT=JSON SELECT SLEEP(1) FROM orders",  # refused by the guard, never sent
        "EXPLAIN FORMAT=JSON SELECT id FROM coupons",  # the last of the packet fails
        "EXPLAIN FORMAT=JSON SELECT id FROM shipments WHERE order_id = 3",
    ]
    with Session(parse_dsn(shop_db.dsn), ExplainSettings(batch=4)) as session:
        answers = session.query_many(statements)
        assert session.multi and session._single is not None  # the semicolon went the other way
    assert _tables(answers[0]) == {"orders"}
    assert isinstance(answers[1], ExplainError) and answers[1].code == 1054 and "nickname" in answers[1].message
    assert _tables(answers[2]) == {"products"}
    assert _tables(answers[3]) == {"users"}
    assert isinstance(answers[4], UnsafeStatement)
    assert isinstance(answers[5], ExplainError) and "coupons" in answers[5].message
    assert _tables(answers[6]) == {"shipments"}


def test_a_time_limit_stops_one_statement_of_a_packet(shop_db) -> None:
    joins = " ".join(f"JOIN order_items t{i} ON t{i}.price_cents > t{i - 1}.id" for i in range(2, 16))
    statements = ["EXPLAIN FORMAT=JSON SELECT id FROM orders WHERE id = 1",
                  f"EXPLAIN FORMAT=JSON SELECT 1 FROM orders t1 {joins}",
                  "EXPLAIN FORMAT=JSON SELECT id FROM users WHERE id = 2"]
    with Session(parse_dsn(shop_db.dsn), ExplainSettings(statement_timeout=0.3)) as session:
        first, slow, last = session.query_many(statements)
    assert _tables(first) == {"orders"} and _tables(last) == {"users"}
    assert isinstance(slow, ExplainError) and slow.time_limit


def test_batch_of_one_takes_no_multi_statement_packets(shop_db) -> None:
    with Session(parse_dsn(shop_db.dsn), ExplainSettings(batch=1)) as session:
        assert not session.multi
        answers = session.query_many(["EXPLAIN FORMAT=JSON SELECT id FROM orders",
                                        "EXPLAIN FORMAT=JSON SELECT id FROM users WHERE name = 'a;b'"])
        assert [_tables(a) for a in answers] == [{"orders"}, {"users"}] and session._single is None
        import pymysql

        with pytest.raises(pymysql.MySQLError), session._conn.cursor() as cursor:  # the server splits nothing
            cursor.execute("EXPLAIN SELECT 1;EXPLAIN SELECT 2")


def test_batch_setting_is_validated() -> None:
    assert explain_settings("explain", {"batch": 1}).batch == 1
    assert ExplainSettings().batch == 16
    for bad in (0, -1, True, "8", 2.5):
        with pytest.raises(ExplainConfigError, match="batch"):
            explain_settings("explain", {"batch": bad})


def test_a_run_with_batches_finds_what_a_run_without_finds(tmp_path: Path, shop_db) -> None:
    from sqllint.config import Config
    from sqllint.engine import run
    from sqllint.explain.runner import build_stage
    from sqllint.registry import builtin_registry

    registry = builtin_registry()
    (tmp_path / "q.sql").write_text("".join(
        f"SELECT id, total_cents FROM orders WHERE status = 'paid' AND total_cents > {i};\n"
        f"SELECT o.id FROM orders o JOIN users u ON u.name = o.status WHERE o.user_id = {i};\n"
        f"UPDATE orders SET status = 'x' WHERE created_at < '2023-0{1 + i % 9}-01';\n"
        f"SELECT nickname FROM users WHERE id = {i};\n" for i in range(30)), encoding="utf-8")
    config = Config(root=tmp_path)
    result = run([str(tmp_path / "q.sql")], config, tmp_path, jobs=1, registry=registry, keep_parsed=True)

    def findings(batch: int) -> list[tuple]:
        stage = build_stage(config, registry, parse_dsn(shop_db.dsn), settings=ExplainSettings(batch=batch, jobs=2),
                            use_cache=False)
        outcome = stage.run(result.parsed)
        assert outcome.connected and outcome.statements == 99  # the UPDATEs repeat every 9
        return sorted((f.rule, f.line, f.message) for f in outcome.findings)

    batched, single = findings(16), findings(1)
    assert batched == single
    assert sum(rule == "E010" for rule, _, _ in batched) == 30 and any(rule == "P001" for rule, _, _ in batched)
    assert json.dumps(batched)  # plain data


def test_a_server_that_does_not_split_packets_gets_one_statement_each(tmp_path: Path, shop_db, monkeypatch) -> None:
    """A proxy that passes packets on without splitting them looks, to the server, like one statement
    with a syntax error at the first separator: the statement alone parses, so packets are given up,
    every statement is answered on its own and the run says so once."""
    from types import SimpleNamespace

    import sqllint.explain.session as session_module

    monkeypatch.setattr(session_module, "CLIENT", SimpleNamespace(MULTI_STATEMENTS=0))  # never negotiated
    statements = [f"EXPLAIN FORMAT=JSON SELECT id FROM orders WHERE user_id = {i}" for i in range(5)]
    statements[3] = "EXPLAIN FORMAT=JSON SELECT nickname FROM users"
    with Session(parse_dsn(shop_db.dsn), ExplainSettings(batch=4)) as session:
        answers = session.query_many(statements)
        assert session.packets_refused and not session.multi
    assert [_tables(a) for i, a in enumerate(answers) if i != 3] == [{"orders"}] * 4
    assert isinstance(answers[3], ExplainError) and answers[3].code == 1054

    from sqllint.config import Config
    from sqllint.engine import run
    from sqllint.explain.runner import build_stage
    from sqllint.registry import builtin_registry

    registry = builtin_registry()
    (tmp_path / "q.sql").write_text("".join(f"SELECT id FROM orders WHERE user_id = {i};\n" for i in range(40)))
    config = Config(root=tmp_path)
    result = run([str(tmp_path / "q.sql")], config, tmp_path, jobs=1, registry=registry, keep_parsed=True)
    outcome = build_stage(config, registry, parse_dsn(shop_db.dsn), settings=ExplainSettings(jobs=1),
                          use_cache=False).run(result.parsed)
    assert outcome.connected and outcome.statements == 40
    assert not [f for f in outcome.findings if f.rule.startswith("E")]
    assert len([w for w in outcome.warnings if "one per round trip" in w]) == 1


def test_a_statement_the_server_cannot_parse_fails_alone_in_a_packet(shop_db) -> None:
    statements = ["EXPLAIN FORMAT=JSON SELECT id FROM orders WHERE id = 1 QUALIFY x",  # not MariaDB syntax
                  "EXPLAIN FORMAT=JSON SELECT id FROM users WHERE id = 2"]
    with Session(parse_dsn(shop_db.dsn), ExplainSettings()) as session:
        bad, good = session.query_many(statements)
        assert session.multi and not session.packets_refused  # packets still work here
    assert isinstance(bad, ExplainError) and bad.code == 1064 and _tables(good) == {"users"}


def test_connections_open_side_by_side_and_a_refused_one_only_shrinks_the_pool(shop_db, db_server) -> None:
    import threading
    import uuid

    from sqllint.explain.pool import Pool

    user, password = f"sqllint_cap_{uuid.uuid4().hex[:8]}", "Cap:pw@1"
    with db_server.connect() as conn, conn.cursor() as cursor:
        cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY %s WITH MAX_USER_CONNECTIONS 2", (user, password))
        cursor.execute(f"GRANT SELECT ON `{shop_db.name}`.* TO %s@'%%'", (user,))
    try:
        statements = [f"EXPLAIN FORMAT=JSON SELECT id FROM orders WHERE id = {i}" for i in range(200)]
        for dsn, opened in ((shop_db.dsn, 4), (shop_db.server.dsn(shop_db.name, user, password), 2)):
            pool = Pool(parse_dsn(dsn), ExplainSettings(), 4).open()
            threads: set[int] = set()
            answered: list[object] = []

            def work(session, chunk) -> None:
                threads.add(threading.get_ident())
                answered.extend(session.query_many(chunk))

            try:
                pool.map_chunks(work, statements, 16)
                # Every session the server allowed was opened (which threads found chunks left is timing).
                assert len(pool.sessions) == opened and threads
                assert len(answered) == 200 and all(isinstance(a, tuple) for a in answered)
                assert bool(pool.notes) == (opened < 4)
                assert not pool.notes or "opened 2 of 4 connections" in pool.notes[0]
                assert password not in " ".join(pool.notes)
            finally:
                pool.close()
    finally:
        with db_server.connect() as conn, conn.cursor() as cursor:
            cursor.execute("DROP USER %s@'%%'", (user,))


def test_a_proxy_greeting_does_not_decide_the_flavour(shop_db, monkeypatch) -> None:
    """ProxySQL greets with its own configured version: the server behind it is asked."""
    import sqllint.explain.session as session_module

    class ProxyGreeting(session_module._Connection):
        def _get_server_information(self) -> None:
            super()._get_server_information()
            self.server_version = "8.0.11 (ProxySQL)"

    monkeypatch.setattr(session_module, "_Connection", ProxyGreeting)
    with Session(parse_dsn(shop_db.dsn), ExplainSettings(statement_timeout=1.5)) as session:
        assert session._conn.server_version == "8.0.11 (ProxySQL)"
        assert session.server is not None and session.server.flavor == "mariadb"
        assert "MariaDB" in session.server.version
        limit = dict(session.query("SHOW VARIABLES LIKE 'max_statement_time'")[1])
        assert float(limit["max_statement_time"]) == 1.5
