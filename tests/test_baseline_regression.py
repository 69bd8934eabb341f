"""Plan regression logic on the plan-summary dataclasses (no database needed)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sqllint.baseline import Baseline, Entry, QueryPlan, compare, query_plans
from sqllint.regression import (ACCESS_ORDER, PlanFormatError, PlanSummary, TablePlan, compare_plans,
                                rows_bucket, summary_from_plan)


def plan(*tables: TablePlan) -> PlanSummary:
    return PlanSummary(tuple(tables))


def changes(diff_part) -> list[tuple[str, str, str, str]]:
    return [(c.table, c.what, c.before, c.after) for c in diff_part]


def test_access_type_order_every_step_down_is_a_regression() -> None:
    for better, worse in zip(ACCESS_ORDER, ACCESS_ORDER[1:]):
        diff = compare_plans(plan(TablePlan("t", better)), plan(TablePlan("t", worse)))
        assert changes(diff.regressions) == [("t", "access", better, worse)]
        assert not diff.improvements
        back = compare_plans(plan(TablePlan("t", worse)), plan(TablePlan("t", better)))
        assert changes(back.improvements) == [("t", "access", worse, better)] and not back.regressions


def test_key_lost_is_a_regression_key_gained_an_improvement_key_swapped_neither() -> None:
    before = plan(TablePlan("orders", "ref", "idx_user"))
    assert changes(compare_plans(before, plan(TablePlan("orders", "ref", None))).regressions) == [
        ("orders", "key", "idx_user", "none")]
    assert changes(compare_plans(plan(TablePlan("orders", "ref")), before).improvements) == [
        ("orders", "key", "none", "idx_user")]
    swapped = compare_plans(before, plan(TablePlan("orders", "ref", "idx_other")))
    assert not swapped.regressions and not swapped.improvements


def test_rows_factor_default_ten_and_configurable() -> None:
    before = plan(TablePlan("t", "ref", "k", rows=100))
    assert not compare_plans(before, plan(TablePlan("t", "ref", "k", rows=1000))).regressions  # exactly 10×
    assert changes(compare_plans(before, plan(TablePlan("t", "ref", "k", rows=1001))).regressions) == [
        ("t", "rows", "100", "1001")]
    assert changes(compare_plans(before, plan(TablePlan("t", "ref", "k", rows=300)), rows_factor=2).regressions) == [
        ("t", "rows", "100", "300")]
    assert changes(compare_plans(plan(TablePlan("t", rows=5000)), plan(TablePlan("t", rows=10))).improvements) == [
        ("t", "rows", "5000", "10")]
    with pytest.raises(ValueError):
        compare_plans(before, before, rows_factor=1)


@pytest.mark.parametrize("flag", ["filesort", "temporary", "dependent"])
def test_flags_appearing_regress_and_disappearing_improve(flag: str) -> None:
    off, on = plan(TablePlan("t", "ALL")), plan(TablePlan("t", "ALL", **{flag: True}))
    assert changes(compare_plans(off, on).regressions) == [("t", flag, "no", "yes")]
    assert changes(compare_plans(on, off).improvements) == [("t", flag, "yes", "no")]


def test_more_tables_joined_and_self_joins_keyed_apart() -> None:
    before = plan(TablePlan("o", "ALL"), TablePlan("u", "eq_ref", "PRIMARY"))
    after = plan(TablePlan("o", "ALL"), TablePlan("u", "eq_ref", "PRIMARY"), TablePlan("u", "ALL"))
    diff = compare_plans(before, after)
    assert changes(diff.regressions) == [("", "joins", "2", "3")]
    assert list(after.by_table()) == ["o", "u", "u#2"]
    assert changes(compare_plans(after, before).improvements) == [("", "joins", "3", "2")]


def test_unchanged_plan_and_unknown_access_compare_clean() -> None:
    same = plan(TablePlan("t", "range", "k", 40, filesort=True))
    diff = compare_plans(same, same)
    assert diff.regressions == () and diff.improvements == ()
    assert not compare_plans(plan(TablePlan("t", None)), plan(TablePlan("t", "ALL"))).regressions


def test_rows_bucket_rounds_up_to_a_power_of_two() -> None:
    assert [rows_bucket(n) for n in (None, 0, 1, 2, 3, 12, 16, 17, 480000)] == [None, 0, 1, 2, 4, 16, 16, 32, 524288]


def test_summary_round_trips_through_json_and_rejects_bad_shapes() -> None:
    summary = plan(TablePlan("orders", "ref", "idx_user", 12, filesort=True), TablePlan("u", "eq_ref", "PRIMARY", 1))
    data = summary.to_json()
    assert data["joins"] == 2 and data["tables"][0]["rows_bucket"] == 16
    back = PlanSummary.from_json(data, "plan")
    assert back.tables[0] == TablePlan("orders", "ref", "idx_user", 16, filesort=True)
    for bad in ({"tables": [{"table": "t", "access": "TELEPORT"}]}, {"tables": [{"table": ""}]},
                {"tables": [{"table": "t", "rows_bucket": -1}]}, {"tables": [], "joins": 3},
                {"tables": [{"table": "t", "filesort": "yes"}]}, {"tables": [{"table": "t", "colour": 1}]}, []):
        with pytest.raises(PlanFormatError):
            PlanSummary.from_json(bad, "plan")


def test_compare_reports_before_after_per_regressed_table_and_improvements_as_info() -> None:
    before = plan(TablePlan("orders", "ref", "idx_orders_user", 12), TablePlan("users", "eq_ref", "PRIMARY", 1))
    after = plan(TablePlan("orders", "ALL", None, 480000, filesort=True), TablePlan("users", "const", "PRIMARY", 1))
    baseline = Baseline({"00000000000000aa": Entry("00000000000000aa", "SELECT …", ("app/dao.py",), plan=before)})
    current = QueryPlan("00000000000000aa", "app/dao.py", 7, "SELECT o.id FROM orders o JOIN users u", after)
    result = compare(baseline, [], [current], lambda p: p)
    by_rule = {f.rule: f for f in result.findings}
    regression = by_rule["R001"]
    assert regression.severity.name == "ERROR" and (regression.path, regression.line) == ("app/dao.py", 7)
    assert regression.message == ("plan got worse: orders: access ref → ALL, key idx_orders_user → none, "
                                  "rows 12 → 480000, filesort no → yes")
    assert by_rule["R002"].severity.name == "INFO" and "users: access eq_ref → const" in by_rule["R002"].message
    # A query the baseline has no plan for is not a regression; R001 can be deselected.
    assert compare(Baseline(), [], [current], lambda p: p).findings == []
    assert [f.rule for f in compare(baseline, [], [current], lambda p: p, enabled=frozenset({"R002"})).findings] == ["R002"]


# --- mapping from the EXPLAIN stage's plan model (read by attribute; stand-ins mirror PlanRow) ---------

@dataclass(frozen=True)
class _Row:
    table: str | None
    access_type: str | None
    key: str | None = None
    rows: int | None = None
    extra: tuple[str, ...] = ()
    select_type: str = "SIMPLE"


@dataclass(frozen=True)
class _Plan:
    rows: tuple[_Row, ...]


def test_summary_from_plan_maps_rows_extras_and_dependent_subqueries() -> None:
    explained = _Plan((
        _Row("o", "ALL", None, 5000, ("Using where", "Using temporary", "Using filesort")),
        _Row("u", "eq_ref", "PRIMARY", 1),
        _Row("i", "hash_ALL", None, 20, ("Using join buffer (flat, BNLH join)",), "DEPENDENT SUBQUERY"),
        _Row(None, "weird", None, None),
    ))
    summary = summary_from_plan(explained)
    assert summary.tables == (
        TablePlan("o", "ALL", None, 5000, filesort=True, temporary=True),
        TablePlan("u", "eq_ref", "PRIMARY", 1),
        TablePlan("i", "ALL", None, 20, dependent=True),
        TablePlan("<row4>", None, None, None),
    )
    assert PlanSummary.from_json(summary.to_json(), "plan").joins == 4  # what the stage produces, the file accepts


def test_query_plans_one_per_fingerprint_at_its_first_site() -> None:
    from types import SimpleNamespace as NS

    def parsed(fp: str, path: str, line: int) -> NS:
        return NS(fingerprint=fp, query=NS(path=path, line=line, column=3, raw="SELECT id FROM o"))

    plan = _Plan((_Row("o", "ref", "k", 3),))
    items = [NS(plan=plan, job=NS(queries=(parsed("00000000000000aa", "b.py", 9), parsed("00000000000000aa", "a.py", 4)))),
             NS(plan=None, job=NS(queries=(parsed("00000000000000bb", "a.py", 1),)))]
    plans = query_plans(items)
    assert [(q.fingerprint, q.path, q.line, q.column) for q in plans] == [("00000000000000aa", "b.py", 9, 3)]
    assert plans[0].plan.tables[0].key == "k"
