"""The plan cache and "one EXPLAIN per distinct statement", live: hits, invalidation, bad cache files."""

from __future__ import annotations

import os
from pathlib import Path

from sqllint.config import Config
from sqllint.engine import run
from sqllint.explain.dsn import parse_dsn
from sqllint.explain.runner import build_stage
from sqllint.registry import builtin_registry

REGISTRY = builtin_registry()
REPO = Path(__file__).resolve().parent.parent
QUERIES = """\
SELECT id, total_cents FROM orders WHERE status = 'paid';
SELECT o.id, u.email FROM orders o JOIN users u ON u.name = o.status WHERE o.user_id = 7;
UPDATE orders SET status = 'cancelled' WHERE status = 'new' AND created_at < '2023-02-01';
SELECT id FROM orders WHERE user_id = 42;
"""


def stage_run(root: Path, dsn: str, config: Config | None = None, cache: bool = True):
    config = config or Config(root=root)
    result = run([str(root / "app")], config, root, jobs=1, registry=REGISTRY, keep_parsed=True)
    stage = build_stage(config, REGISTRY, parse_dsn(dsn), use_cache=cache)
    return stage.run(result.parsed)


def finding_keys(outcome) -> list[tuple]:
    return sorted((f.rule, f.path, f.line, f.message, f.suggestion) for f in outcome.findings)


def app(tmp_path: Path, text: str = QUERIES) -> Path:
    (tmp_path / "app").mkdir(exist_ok=True)
    (tmp_path / "app" / "queries.sql").write_text(text, encoding="utf-8")
    return tmp_path


def test_warm_run_answers_everything_from_the_cache_with_the_same_findings(tmp_path: Path, shop_db) -> None:
    root = app(tmp_path)
    cold = stage_run(root, shop_db.dsn)
    assert cold.statements == 4 and cold.cache_hits == 0 and cold.findings
    warm = stage_run(root, shop_db.dsn)
    assert warm.cache_hits == warm.statements == 4
    assert finding_keys(warm) == finding_keys(cold)
    # What `sqllint explain` and the baseline read is there on a hit too: plan, binding, subject.
    for item in warm.explained:
        assert item.cached and item.plan is not None and item.job.binding is not None
        assert item.subject is not None and item.subject.select is not None
    rewritten = next(i for i in warm.explained if i.job.rewritten_from == "update")
    assert rewritten.job.binding.sql.startswith("SELECT * FROM orders WHERE")


def test_one_explain_per_distinct_statement(tmp_path: Path, shop_db) -> None:
    root = app(tmp_path, "SELECT id, total_cents FROM orders WHERE status = 'paid';\n")
    (root / "app" / "dao.py").write_text(
        "def paid(cur):\n    cur.execute(\"SELECT id, total_cents FROM orders WHERE status = 'paid'\")\n"
        "def paid_again(cur):\n    cur.execute(\"SELECT id, total_cents FROM orders WHERE status = 'paid'\")\n"
        "def new(cur):\n    cur.execute(\"SELECT id, total_cents FROM orders WHERE status = 'new'\")\n",
        encoding="utf-8")
    outcome = stage_run(root, shop_db.dsn, cache=False)
    # Same text → one EXPLAIN shared by three call sites; another literal → its own EXPLAIN.
    assert outcome.statements == 2
    shared = next(i for i in outcome.explained if len(i.job.queries) == 3)
    assert {q.query.path.rsplit("/", 1)[-1] for q in shared.job.queries} == {"queries.sql", "dao.py"}
    scans = [f for f in outcome.findings if f.rule == "P001"]
    assert len(scans) == 4  # every call site gets its finding


def test_schema_change_growth_and_rule_options_invalidate(tmp_path: Path, shop_db, scratch_db) -> None:
    db = scratch_db(f"CREATE TABLE orders LIKE `{shop_db.name}`.orders; "
                    f"INSERT INTO orders SELECT * FROM `{shop_db.name}`.orders WHERE id <= 15000; "
                    f"CREATE TABLE users LIKE `{shop_db.name}`.users; "
                    f"INSERT INTO users SELECT * FROM `{shop_db.name}`.users; ANALYZE TABLE orders, users;")
    root = app(tmp_path)
    stage_run(root, db.dsn)
    assert stage_run(root, db.dsn).cache_hits == 4
    db.query("ALTER TABLE orders ADD INDEX idx_orders_status (status)")  # a definition change
    after_index = stage_run(root, db.dsn)
    assert after_index.cache_hits == 0  # every statement reads orders
    (scan,) = [f for f in after_index.findings if f.rule == "P001" and f.line == 1]
    assert "chose not to use idx_orders_status" in scan.message  # a new plan, not the cached one
    db.script(f"INSERT INTO orders SELECT * FROM `{shop_db.name}`.orders WHERE id > 15000; ANALYZE TABLE orders;")
    assert stage_run(root, db.dsn).cache_hits == 0  # orders grew ~3x: another row-estimate bucket
    assert stage_run(root, db.dsn).cache_hits == 4
    (root / "sqllint.toml").write_text("[rules.full-table-scan]\nmin-rows = 5000\n", encoding="utf-8")
    from sqllint.config import load_config

    assert stage_run(root, db.dsn, load_config(REGISTRY, root, None, False)).cache_hits == 0  # rule options


def test_identical_schemas_in_two_databases_do_not_share_plans(tmp_path: Path, shop_db, scratch_db) -> None:
    """Same table definitions, same row-estimate bucket, one server, one cache directory: the database name
    is part of the key, so the second database's plans are its own (here its data makes them differ)."""
    schema = (f"CREATE TABLE orders LIKE `{shop_db.name}`.orders; "
              f"INSERT INTO orders SELECT * FROM `{shop_db.name}`.orders; ")
    spread = scratch_db(schema + "ANALYZE TABLE orders;")
    # Same definition and size, but every order belongs to user 42: the lookup by user_id reads them all.
    skewed = scratch_db(schema + "UPDATE orders SET user_id = 42; ANALYZE TABLE orders;")
    root = app(tmp_path, "SELECT id FROM orders WHERE user_id = 42;\n")
    first = stage_run(root, spread.dsn)
    assert first.cache_hits == 0 and first.explained[0].plan.rows[0].rows < 100
    assert stage_run(root, spread.dsn).cache_hits == 1
    second = stage_run(root, skewed.dsn)
    assert second.cache_hits == 0
    assert second.explained[0].plan.rows[0].rows > 10_000, second.explained[0].plan.rows
    assert stage_run(root, skewed.dsn).cache_hits == 1 and stage_run(root, spread.dsn).cache_hits == 1


def test_a_broken_or_unwritable_cache_is_never_an_error(tmp_path: Path, shop_db) -> None:
    root = app(tmp_path)
    cache_file = root / ".sqllint_cache" / "plans" / "plans.sqlite3"
    cache_file.parent.mkdir(parents=True)
    cache_file.write_bytes(b"this is not a database" * 100)
    first = stage_run(root, shop_db.dsn)
    assert first.connected and first.findings and not first.warnings  # replaced, then used
    assert stage_run(root, shop_db.dsn).cache_hits == 4
    if os.geteuid() != 0:  # root ignores permissions
        (root / ".sqllint_cache" / "plans").chmod(0o500)
    blocked = root / "blocked"
    blocked.write_text("a file where the cache directory should be", encoding="utf-8")
    config = Config(root=root)
    import dataclasses

    config = dataclasses.replace(config, explain=dataclasses.replace(config.explain, cache_dir="blocked/plans"))
    outcome = stage_run(root, shop_db.dsn, config)
    assert outcome.findings and any("plan cache" in w for w in outcome.warnings)


def test_plan_cache_keys_are_the_same_in_every_process(tmp_path: Path) -> None:
    """The key's rule signature must not depend on the process (a code object's repr holds its address,
    and set order follows the hash seed): otherwise every new `sqllint check` misses the whole cache."""
    import subprocess
    import sys

    code = ("from pathlib import Path; from sqllint.config import Config; "
            "from sqllint.explain.dsn import parse_dsn; from sqllint.explain.runner import build_stage; "
            "from sqllint.registry import builtin_registry; "
            "print(build_stage(Config(root=Path('.')), builtin_registry(), "
            "parse_dsn('mysql://u@localhost/db')).rules_signature)")
    seen = {subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=REPO,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    here = build_stage(Config(root=Path(".")), REGISTRY, parse_dsn("mysql://u@localhost/db")).rules_signature
    assert seen == {here}


def test_statements_round_trip_through_the_result_cache_record() -> None:
    """Every statement of the fixtures (variants, placeholders of every style, branches, suppressions)
    comes back from its JSON record equal, with the plan facts its tree gives."""
    import json

    from sqllint.explain.facts import MEMO_KEY, PlanFacts, facts_of, plan_facts, restore, store

    for fixture in ("shop", "mall", "goapp"):
        root = REPO / "fixtures" / fixture
        result = run([str(root)], Config(root=root), root, jobs=1, registry=REGISTRY, keep_parsed=True)
        assert result.parsed
        for item in result.parsed:
            back = restore(json.loads(json.dumps(store(item))))
            assert back.query == item.query and hash(back.query) == hash(item.query)
            assert (back.fingerprint, back.kind, back.tree) == (item.fingerprint, item.kind, None)
            assert back._memo[MEMO_KEY] == facts_of(item)
            assert back._memo[MEMO_KEY].identity and back._memo[MEMO_KEY].tables == plan_facts(item.tree).tables
    # A record written before facts carried their identity still reads (the stage computes it then).
    old = PlanFacts.from_json([True, None, True, ["orders"], {"o": "orders"}, False])
    assert old.identity == "" and old.tables == ("orders",)


def test_entries_unused_for_a_month_are_deleted_when_the_cache_is_written(tmp_path: Path) -> None:
    import sqlite3

    from sqllint.explain.binding import Binding
    from sqllint.explain.cache import STALE_AFTER_DAYS, CachedPlan, PlanCache
    from sqllint.explain.plan import Plan

    def entry(sql: str) -> CachedPlan:
        return CachedPlan(Plan(()).to_json(), Binding(sql, sql, ()), ())

    day = 20_000
    cache = PlanCache(tmp_path, today=day)
    cache.put_many([("kept", entry("SELECT 1")), ("forgotten", entry("SELECT 2"))])
    cache.close()
    later = PlanCache(tmp_path, today=day + STALE_AFTER_DAYS)
    assert set(later.get_many(["kept"])) == {"kept"}  # a hit marks the entry used on that day
    later.close()
    last = PlanCache(tmp_path, today=day + STALE_AFTER_DAYS + 1)
    last.put_many([("new", entry("SELECT 3"))])
    assert set(last.get_many(["kept", "forgotten", "new"])) == {"kept", "new"}
    last.close()
    with sqlite3.connect(tmp_path / "plans.sqlite3") as db:  # a cache file of the earlier layout is emptied
        db.execute("CREATE TABLE plans3 (key TEXT PRIMARY KEY)")
        db.execute("CREATE TABLE plans4 (key TEXT PRIMARY KEY)")
    PlanCache(tmp_path).close()
    with sqlite3.connect(tmp_path / "plans.sqlite3") as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"plans5"}


def test_job_keys_do_not_depend_on_where_the_facts_came_from(tmp_path: Path) -> None:
    """The statement part of a plan cache key is the same whether the facts were computed now, came from
    the result cache with their identity, or from an older record without it."""
    import dataclasses
    import json

    from sqllint.explain.facts import MEMO_KEY, restore, store
    from sqllint.explain.jobs import plan_jobs

    root = REPO / "fixtures" / "shop"
    result = run([str(root)], Config(root=root), root, jobs=1, registry=REGISTRY, keep_parsed=True)
    fresh = [dataclasses.replace(item, _memo={}) for item in result.parsed]
    stored = [restore(json.loads(json.dumps(store(item)))) for item in result.parsed]
    older = [restore(json.loads(json.dumps(store(item)))) for item in result.parsed]
    for item in older:
        if MEMO_KEY in item._memo:
            item._memo[MEMO_KEY] = dataclasses.replace(item._memo[MEMO_KEY], identity="")
    keys = [sorted(job.key for job in plan_jobs(items)) for items in (fresh, stored, older)]
    assert keys[0] and keys[0] == keys[1] == keys[2]
