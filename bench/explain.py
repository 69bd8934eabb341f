"""EXPLAIN stage throughput: sqllint's plans/s against ``SELECT 1``/s on the same pool, and warm vs cold.

    python bench/explain.py [--dsn mysql://root@127.0.0.1:3306/] [--statements 2000] [--db-jobs 4]

The server is ``--dsn`` (an account that may create databases), else ``SQLLINT_TEST_DSN``, else a
throwaway mariadbd started as the test suite does; the shop schema and its generated rows are loaded
as for the tests (tests/conftest.py). A .sql file of distinct statements (3-table joins, lookups,
ranges, IN-lists, UPDATE/DELETE explained as SELECTs, placeholders bound by type) is checked statically
once; then, side by side in one run:

- ``SELECT 1``/s: the raw round trip, over the same N connections the stage uses (each thread its own);
- raw EXPLAIN/s: the statements sqllint sent, sent raw as ``EXPLAIN FORMAT=JSON`` (what sqllint sends),
  one per round trip and, as sqllint sends them, ``batch`` (16) to a multi-statement round trip (the
  ceiling no client of this driver can pass), and as tabular ``EXPLAIN``;
- plans/s: ``ExplainStage.run`` end to end (connect, read the catalog, bind, one EXPLAIN per distinct
  statement, parse, plan rules, findings), plan cache off — target >= 50 % of the ``SELECT 1`` rate;
- cold vs warm: the same stage with the on-disk plan cache, empty and then filled — target >= 10x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqllint.config import Config  # noqa: E402
from sqllint.engine import run  # noqa: E402
from sqllint.explain.dsn import parse_dsn  # noqa: E402
from sqllint.explain.runner import build_stage, settings_for, DatabaseOptions  # noqa: E402
from sqllint.explain.pool import Pool  # noqa: E402
from sqllint.registry import builtin_registry  # noqa: E402

STATUSES = ["new", "paid", "shipped", "cancelled"]


def statement(i: int) -> str:
    """Distinct statements shaped like an application's (different literals → different EXPLAINs)."""
    shape = i % 8
    if shape == 0:
        return (f"SELECT o.id, u.email, oi.product_name FROM orders o JOIN users u ON u.id = o.user_id "
                f"JOIN order_items oi ON oi.order_id = o.id WHERE o.user_id = {i}")
    if shape == 1:
        return f"SELECT id, total_cents FROM orders WHERE status = '{STATUSES[i % 4]}' AND total_cents > {i}"
    if shape == 2:
        return f"SELECT id, email FROM users WHERE id IN ({i}, {i + 1}, {i + 2})"
    if shape == 3:
        return (f"SELECT p.category, SUM(oi.quantity) FROM order_items oi JOIN products p ON p.id = oi.product_id "
                f"WHERE oi.order_id BETWEEN {i} AND {i + 50} GROUP BY p.category")
    if shape == 4:
        return f"SELECT id FROM orders WHERE created_at >= '2024-01-01' + INTERVAL {i % 300} DAY ORDER BY created_at LIMIT 20"
    if shape == 5:
        return f"UPDATE orders SET status = 'cancelled' WHERE user_id = {i} AND status = 'new'"
    if shape == 6:
        return f"SELECT s.tracking_no FROM shipments s JOIN orders o ON o.id = s.order_id WHERE o.id = {i}"
    return f"DELETE FROM shipments WHERE order_id = {i}"


def server_and_database(dsn: str | None):
    from tests.conftest import DATA, DbServer, _server_from_env, _start_throwaway, provision

    throwaway = None
    if dsn:
        server: DbServer = _server_from_env(dsn)
    else:
        throwaway = _start_throwaway()
        server = throwaway.server
    database = provision(server, "shop", ROOT / "fixtures/shop/schema.sql", DATA / "shop_data.sql")
    return throwaway, database


def select_one_rate(pool: Pool, count: int) -> float:
    """Raw ``SELECT 1`` round trips per second over the pool's connections (bypasses the guard: this is
    the yardstick, not something sqllint sends)."""
    sessions = pool.sessions
    per = count // len(sessions)

    def work(session) -> None:
        with session._conn.cursor() as cursor:  # noqa: SLF001
            for _ in range(per):
                cursor.execute("SELECT 1")
                cursor.fetchall()

    start = time.perf_counter()
    with ThreadPoolExecutor(len(sessions)) as executor:
        list(executor.map(work, sessions))
    return per * len(sessions) / (time.perf_counter() - start)


def raw_explain_rate(pool: Pool, statements: list[str], prefix: str = "EXPLAIN FORMAT=JSON", batch: int = 1) -> float:
    """The same EXPLAINs sqllint sent (``prefix`` as sqllint sends it), sent raw over the pool's
    connections, ``batch`` to a round trip (the pool's connections take multi-statement packets): with
    sqllint's batch, the ceiling for plans/s (the server's planning and the driver's decoding, which no
    client of this driver can avoid)."""
    sessions = pool.sessions
    chunks = [statements[i :: len(sessions)] for i in range(len(sessions))]

    def work(pair) -> None:
        session, chunk = pair
        with session._conn.cursor() as cursor:  # noqa: SLF001
            for start in range(0, len(chunk), batch):
                cursor.execute(";".join(f"{prefix} {sql}" for sql in chunk[start:start + batch]))
                cursor.fetchall()
                while cursor.nextset():
                    cursor.fetchall()

    start = time.perf_counter()
    with ThreadPoolExecutor(len(sessions)) as executor:
        list(executor.map(work, zip(sessions, chunks)))
    return len(statements) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("SQLLINT_TEST_DSN"))
    parser.add_argument("--statements", type=int, default=2000)
    parser.add_argument("--db-jobs", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    throwaway, database = server_and_database(args.dsn)
    try:
        registry = builtin_registry()
        with tempfile.TemporaryDirectory() as work:
            root = Path(work)
            (root / "queries.sql").write_text(";\n".join(statement(i) for i in range(args.statements)) + ";\n")
            config = Config(root=root)
            result = run([str(root / "queries.sql")], config, root, jobs=1, registry=registry, keep_parsed=True)
            settings = settings_for(config, DatabaseOptions(db_jobs=args.db_jobs))
            dsn = parse_dsn(database.dsn)

            def stage(cache: bool):
                return build_stage(config, registry, dsn, settings=settings, use_cache=cache)

            selects, raws, batched, tabulars, plans, colds, warms = [], [], [], [], [], [], []
            cpus: dict[str, list[float]] = {"select": [], "json": [], "batched": [], "tabular": [], "sqllint": []}
            explained = 0
            for attempt in range(args.repeat):
                start, cpu = time.perf_counter(), time.process_time()
                outcome = stage(cache=False).run(result.parsed)
                plans.append(outcome.statements / (time.perf_counter() - start))
                cpus["sqllint"].append((time.process_time() - cpu) / outcome.statements)
                pool = Pool(dsn, settings, args.db_jobs).open()
                pool.grow(args.db_jobs)
                try:
                    cpu = time.process_time()
                    selects.append(select_one_rate(pool, args.statements))
                    cpus["select"].append((time.process_time() - cpu) / args.statements)
                    sent = [i.job.binding.sql for i in outcome.explained]
                    cpu = time.process_time()
                    raws.append(raw_explain_rate(pool, sent))
                    cpus["json"].append((time.process_time() - cpu) / len(sent))
                    cpu = time.process_time()
                    batched.append(raw_explain_rate(pool, sent, batch=settings.batch))
                    cpus["batched"].append((time.process_time() - cpu) / len(sent))
                    cpu = time.process_time()
                    tabulars.append(raw_explain_rate(pool, sent, "EXPLAIN"))
                    cpus["tabular"].append((time.process_time() - cpu) / len(sent))
                finally:
                    pool.close()
                explained = outcome.statements
                assert outcome.connected and not outcome.warnings, outcome.warnings
                cache_dir = root / f".cache{attempt}"
                cached = build_stage(config, registry, dsn, settings=settings_for(
                    config, DatabaseOptions(db_jobs=args.db_jobs)), use_cache=True)
                cached.cache_dir = cache_dir
                start = time.perf_counter()
                cold = cached.run(result.parsed)
                colds.append(time.perf_counter() - start)
                start = time.perf_counter()
                warm = cached.run(result.parsed)
                warms.append(time.perf_counter() - start)
                assert warm.cache_hits == warm.statements, (warm.cache_hits, warm.statements)
                assert sorted(f.sort_key() for f in warm.findings) == sorted(f.sort_key() for f in cold.findings)
    finally:
        if throwaway is not None:
            throwaway.stop()

    median = statistics.median
    # Ratios are taken within each round (measured back to back) and their median reported: on a shared
    # machine the load drifts between rounds, and a ratio of medians would mix rounds.
    def ratio(values: list[float]) -> float:
        return median(v / s for v, s in zip(values, selects))

    cold, warm = median(colds), median(warms)
    print(f"statements: {args.statements} written, {explained} distinct EXPLAINs; {args.db_jobs} connections; "
          f"median of {args.repeat} rounds (ratios within each round)")
    print(f"SELECT 1 on the same pool : {median(selects):9,.0f} /s")
    print(f"raw EXPLAIN FORMAT=JSON   : {median(raws):9,.0f} /s  = {ratio(raws):.0%} of SELECT 1 "
          "(same SQL, one per round trip)")
    print(f"  {settings.batch} to a round trip    : {median(batched):9,.0f} /s  = {ratio(batched):.0%} of SELECT 1 "
          "(same SQL, sent as sqllint sends it: the ceiling)")
    print(f"raw tabular EXPLAIN       : {median(tabulars):9,.0f} /s  = {ratio(tabulars):.0%} of SELECT 1 "
          "(same SQL, one per round trip; ten columns for the driver to decode)")
    print(f"sqllint plans (cache off) : {median(plans):9,.0f} /s  = {ratio(plans):.0%} of SELECT 1 "
          f"(target >= 50%), {median(p / r for p, r in zip(plans, batched)):.0%} of the ceiling")
    us = {name: median(values) * 1e6 for name, values in cpus.items()}
    print(f"client CPU per statement  : SELECT 1 {us['select']:.0f} us, raw EXPLAIN FORMAT=JSON {us['json']:.0f} us "
          f"({us['batched']:.0f} us batched), raw tabular {us['tabular']:.0f} us, sqllint {us['sqllint']:.0f} us "
          "(driver, kernel and sqllint's own work; the client is one process, so this bounds plans/s however "
          "many connections)")
    print(f"cold (empty plan cache)   : {cold * 1000:9,.1f} ms")
    print(f"warm (plan cache filled)  : {warm * 1000:9,.1f} ms  = {median(c / w for c, w in zip(colds, warms)):.1f}x "
          "faster (target >= 10x)")


if __name__ == "__main__":
    main()
