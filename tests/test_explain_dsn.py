"""DSN parsing, masking and TLS options: where the staging database is, never showing its password."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqllint.cli import main
from sqllint.config import Config
from sqllint.explain.dsn import DsnError, Tls, parse_dsn, redact, resolve_dsn
from sqllint.explain.runner import DatabaseOptions, resolve_database, settings_for
from sqllint.explain.settings import ExplainSettings


def test_parse_and_mask() -> None:
    dsn = parse_dsn("mysql://app%40svc:p%40ss%3Aw%2Frd@db.internal:3307/shop")
    assert (dsn.user, dsn.password, dsn.host, dsn.port, dsn.database) == ("app@svc", "p@ss:w/rd", "db.internal",
                                                                          3307, "shop")
    assert dsn.masked() == "mysql://app@svc:***@db.internal:3307/shop" == str(dsn)
    assert "p@ss" not in repr(dsn) and "p@ss" not in str(dsn)
    assert dsn.redact("Access denied (password p@ss:w/rd, p%40ss%3Aw%2Frd)") == "Access denied (password ***, ***)"
    assert parse_dsn("mariadb://root@localhost/app").port == 3306


@pytest.mark.parametrize(("text", "problem"), [
    ("postgres://u:secret1@h/db", "mysql://"), ("mysql://u:secret1@/db", "no host"),
    ("mysql://u:secret1@h", "one database"), ("mysql://u:secret1@h:notaport/db", "invalid DSN"),
    ("mysql://u:secret1@h/db?sslmode=require", "unknown DSN option"),
    ("mysql://u:secret1@h/db?ssl-verify=maybe", "true or false"),
])
def test_bad_dsns_name_the_problem_and_never_the_password(text: str, problem: str) -> None:
    with pytest.raises(DsnError) as error:
        parse_dsn(text)
    assert problem in str(error.value) and "secret1" not in str(error.value)


@pytest.mark.parametrize("text", [
    "mysql://u:sec ret1@h", "mysql://u:sec%20ret1@h", "mysql://u:sec ret1@/db", "mysql://u:sec ret1@h:port/db",
    "postgres://u:sec ret1@h/db", "mysql://u:sec\tret1@h",
])
def test_passwords_the_url_pattern_cannot_see_are_masked_by_value(text: str) -> None:
    """A password with a space or tab breaks the ``user:pass@`` pattern; the parsed value is masked."""
    with pytest.raises(DsnError) as error:
        parse_dsn(text)
    assert "sec" not in str(error.value) and "ret1" not in str(error.value), str(error.value)


def test_redact_catches_urls_with_unknown_passwords() -> None:
    assert redact("failed: mysql://a:b@c@host/db and x") == "failed: mysql://a:***@host/db and x"


def test_tls_from_config_dsn_and_flags_in_that_order() -> None:
    config = Config(root=Path("."), explain=ExplainSettings(tls=Tls(enabled=True, ca="/etc/ca.pem")))
    dsn = resolve_database(config, DatabaseOptions(dsn="mysql://u@h/db?ssl-cert=/c.pem&ssl-key=/k.pem"))
    assert dsn.tls == Tls(enabled=True, ca="/etc/ca.pem", cert="/c.pem", key="/k.pem", verify=True)
    dsn = resolve_database(config, DatabaseOptions(dsn="mysql://u@h/db?ssl-verify=false", ssl_ca="/other.pem"))
    assert dsn.tls.ca == "/other.pem" and dsn.tls.verify is False
    assert resolve_database(config, DatabaseOptions(dsn="mysql://u@h/db", ssl=False)).tls.enabled is False
    assert resolve_dsn(None, "STAGING", environ={"STAGING": "mysql://u@h/db"}).host == "h"
    assert resolve_dsn(None, "STAGING", environ={}) is None


def test_timeouts_and_connections_from_flags_override_config() -> None:
    config = Config(root=Path("."), explain=ExplainSettings(connect_timeout=9, statement_timeout=4, jobs=2))
    settings = settings_for(config, DatabaseOptions(statement_timeout=0.5, db_jobs=8))
    assert (settings.connect_timeout, settings.statement_timeout, settings.jobs) == (9, 0.5, 8)


def test_tls_required_against_a_server_without_tls_is_a_clear_masked_warning(tmp_path: Path, shop_db) -> None:
    (tmp_path / "q.sql").write_text("SELECT id, total_cents FROM orders WHERE status = 'paid';\n", encoding="utf-8")
    dsn = shop_db.readonly_dsn
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner(env={"SQLLINT_DSN": None}).invoke(
            main, ["check", "q.sql", "--no-baseline", "--dsn", dsn, "--ssl", "--no-ssl-verify"], catch_exceptions=False)
    finally:
        os.chdir(previous)
    assert "could not be used" in result.stderr and "sqllint_ro:***@" in result.stderr
    assert "R0:p@ss" not in result.stdout + result.stderr and "R0%3Ap%40ss" not in result.stdout + result.stderr
