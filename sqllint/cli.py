"""The command line: a thin layer over config → engine → report."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from sqllint import __version__
from sqllint.config import Config, ConfigError, load_config, with_overrides
from sqllint.baseline import BaselineError
from sqllint.cache import DEFAULT_CACHE_DIR
from sqllint.changed import DiffBaseError
from sqllint.explain.runner import RUN_OPTIONS, DatabaseOptions, DsnError, explain_hook
from sqllint.gate import GateOptions, gated_run
from sqllint.files import MissingPathError
from sqllint.records import Severity
from sqllint.registry import builtin_registry
from sqllint.report import OutputFormat, render

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def _fail(message: str) -> None:
    click.echo(f"sqllint: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _split(values: tuple[str, ...]) -> tuple[str, ...] | None:
    items = tuple(part.strip() for value in values for part in value.split(",") if part.strip())
    return items or None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="sqllint")
def main() -> None:
    """sqllint: find the SQL inside your application, lint it, and gate MySQL query regressions.

    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or configuration error.
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "output_format", type=click.Choice([f.value for f in OutputFormat]),
              default=OutputFormat.TEXT.value, show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to a file instead of standard output.")
@click.option("--select", multiple=True, metavar="CODES",
              help="Rules to run: codes, names or prefixes, comma-separated (replaces the config's).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Rules to skip (replaces the config's).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]),
              help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Config file (pyproject.toml or sqllint.toml); default: the closest one upward.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option("--force-exclude", is_flag=True, default=None,
              help="Apply excludes to files named on the command line too (for pre-commit).")
@click.option("--no-gitignore", "no_gitignore", is_flag=True, help="Check files that .gitignore ignores.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes [default: CPU count].")
@click.option("--color/--no-color", default=None, help="Colour the text report [default: when a terminal].")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Baseline file [default: sqllint.baseline.json at the project root, when present].")
@click.option("--no-baseline", is_flag=True, help="Report every finding, ignoring the baseline.")
@click.option("--update-baseline", is_flag=True, help="Accept the current findings into the baseline.")
@click.option("--diff-base", metavar="REF", help="Check only files changed since this git ref (for PRs).")
@click.option("--no-cache", is_flag=True, help="Check every file again instead of reusing .sqllint_cache/.")
@click.option("--dsn", metavar="URL", help="Staging database to EXPLAIN against: mysql://user:pass@host:port/db "
              "[default: $SQLLINT_DSN, or the variable named by dsn-env].")
@click.option("--ssl/--no-ssl", "ssl", default=None, help="Use TLS for the database connection.")
@click.option("--ssl-ca", type=click.Path(dir_okay=False), help="CA certificate file (turns TLS on).")
@click.option("--ssl-cert", type=click.Path(dir_okay=False), help="Client certificate file.")
@click.option("--ssl-key", type=click.Path(dir_okay=False), help="Client key file.")
@click.option("--ssl-verify/--no-ssl-verify", "ssl_verify", default=None,
              help="Check the server certificate and host name [default: yes when TLS is on].")
@click.option("--connect-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Seconds to wait for the database connection [default: 5].")
@click.option("--statement-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Server-side time limit per EXPLAIN [default: 2].")
@click.option("--db-jobs", type=click.IntRange(min=1), metavar="N", help="Database connections [default: 4].")
@click.option("--analyze", is_flag=True,
              help="Run SELECTs for real (MariaDB ANALYZE) to get actual row counts; never other statements.")
@click.option("--require-db", is_flag=True, help="Exit 2 when the database cannot be reached.")
@click.option("--endpoints/--no-endpoints", "with_endpoints", default=None,
              help="Also report mergeable queries and N+1 across each HTTP endpoint's call chain (services, "
              "helpers, mappers; as `sqllint endpoints` finds them) [default: the config's endpoints, false].")
def check(paths: tuple[str, ...], output_format: str, output: str | None, select: tuple[str, ...],
          ignore: tuple[str, ...], fail_on: str | None, exit_zero: bool, config_path: Path | None,
          isolated: bool, force_exclude: bool | None, no_gitignore: bool, jobs: int | None,
          color: bool | None, baseline_file: Path | None = None, no_baseline: bool = False,
          update_baseline: bool = False, diff_base: str | None = None, no_cache: bool = False,
          dsn: str | None = None, ssl: bool | None = None, ssl_ca: str | None = None, ssl_cert: str | None = None,
          ssl_key: str | None = None, ssl_verify: bool | None = None, connect_timeout: float | None = None,
          statement_timeout: float | None = None, db_jobs: int | None = None, analyze: bool = False,
          require_db: bool = False, with_endpoints: bool | None = None) -> None:
    """Check the SQL in PATHS (default: the current directory).

    Finds SQL in .sql files (named queries of aiosql/sqlc/PugSQL too), Python code (string building,
    f-strings, %/format, conditional `sql += ...`, the project's own executor helpers), MyBatis XML
    mappers, Java (annotations, JDBC/JdbcTemplate strings, MyBatis-Plus wrappers) and Go
    (database/sql, sqlx); expands dynamic SQL into its variants and applies the static rules. With a
    baseline, only new findings and plan regressions are reported. With --dsn (or SQLLINT_DSN) every
    distinct query is also explained on that staging database (EXPLAIN only, read-only session) and
    the plan rules apply.
    """
    registry = builtin_registry()
    cwd = Path.cwd()
    try:
        config: Config = load_config(registry, cwd, config_path, isolated)
        selected, ignored = _split(select), _split(ignore)
        for selector in (selected or ()) + (ignored or ()):
            if not registry.matching(selector):
                raise ConfigError(f"--select/--ignore: {selector!r} matches no rule (see `sqllint rules`)")
        config = with_overrides(
            config, select=selected, ignore=ignored, force_exclude=force_exclude,
            fail_on=Severity.parse(fail_on) if fail_on else None,
            respect_gitignore=False if no_gitignore else None, endpoints=with_endpoints)
        cache_dir = None if no_cache else config.root / DEFAULT_CACHE_DIR
        database = DatabaseOptions(dsn, ssl, ssl_ca, ssl_cert, ssl_key, ssl_verify, connect_timeout,
                                   statement_timeout, db_jobs, analyze, require_db, use_cache=not no_cache)
        hook = explain_hook(config, registry, database)
        if hook is None and (require_db or analyze):
            raise ConfigError(f"{'--require-db' if require_db else '--analyze'} needs a database: pass --dsn or "
                              f"set ${config.dsn_env}")
        stages = hook
        if config.endpoints:
            from sqllint.endpoints.check import endpoints_hook

            stages = endpoints_hook(list(paths) or ["."], config, cwd, registry, then=hook)
        gate = gated_run(paths, config, cwd, GateOptions(baseline_file, not no_baseline, update_baseline, diff_base,
                                                         cache_dir), registry, jobs=jobs, explain=stages,
                         run_options=RUN_OPTIONS if stages else None)
        result = gate.result
        for note in gate.notes:
            click.echo(note, err=True)
        for warning in hook.warnings if hook else ():
            click.echo(f"sqllint: warning: {warning}", err=True)
    except (ConfigError, BaselineError, DiffBaseError, DsnError) as error:
        _fail(str(error))
    except MissingPathError as error:
        _fail(f"path does not exist: {error}")
    use_color = (color if color is not None else (output is None and sys.stdout.isatty()))
    document = render(result, OutputFormat(output_format), color=use_color and output_format == "text")
    if output:
        Path(output).write_text(document, encoding="utf-8")
    else:
        click.echo(document, nl=False)
    if hook is not None and require_db and not hook.connected:  # the report above is static-only
        _fail("--require-db: the database could not be used (see the warning above)")
    sys.exit(EXIT_CLEAN if exit_zero else result.exit_code(config.fail_on))


@main.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Baseline file to write [default: sqllint.baseline.json at the project root].")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.pass_context
def write_baseline(ctx: click.Context, paths: tuple[str, ...], baseline_file: Path | None,
                   config_path: Path | None, isolated: bool) -> None:
    """Record the current findings (and plans) in the baseline, so that `check` reports only new ones.

    Entries of files outside PATHS are kept; entries that no longer occur are dropped and named.
    """
    # Everything is accepted, so there is no report to show: only what was written (on stderr).
    ctx.invoke(check, paths=paths, baseline_file=baseline_file, config_path=config_path, isolated=isolated,
               update_baseline=True, exit_zero=True, output=os.devnull)


@main.command("config")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option("--select", multiple=True, metavar="CODES", help="As for `check`.")
@click.option("--ignore", multiple=True, metavar="CODES", help="As for `check`.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), help="As for `check`.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show_config(config_path: Path | None, isolated: bool, select: tuple[str, ...], ignore: tuple[str, ...],
                fail_on: str | None, output_format: str) -> None:
    """Print the effective configuration and where each value came from (default, file, flag)."""
    from sqllint.showconfig import render_config

    registry = builtin_registry()
    try:
        config = load_config(registry, Path.cwd(), config_path, isolated)
        overrides = {"select": _split(select), "ignore": _split(ignore),
                     "fail_on": Severity.parse(fail_on) if fail_on else None}
        config = with_overrides(config, **overrides)
    except ConfigError as error:
        _fail(str(error))
        return
    flags = {name: f"--{name.replace('_', '-')}" for name, value in overrides.items() if value is not None}
    click.echo(render_config(config, registry, flags, output_format), nl=False)


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_rules(output_format: str) -> None:
    """List every rule with its code, name, default severity and summary."""
    registry = builtin_registry()
    if output_format == "json":
        import json

        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": str(r.severity), "target": r.target,
                                "summary": r.summary, "options": r.defaults()} for r in registry.rules], indent=2))
        return
    from tabulate import tabulate

    rows = [(r.code, r.name, str(r.severity), r.summary) for r in registry.rules]
    click.echo(tabulate(rows, headers=["code", "name", "severity", "summary"], tablefmt="simple"))


@main.command("rule")
@click.argument("code")
def show_rule(code: str) -> None:
    """Show one rule's documentation (by code or name), with its options."""
    found = builtin_registry().get(code)
    if found is None:
        _fail(f"no rule {code!r} (see `sqllint rules`)")
        return
    click.echo(f"{found.code} {found.name} ({found.severity})\n")
    click.echo(found.doc)
    if found.options:
        click.echo("\n## Options")
        for key, option in found.options.items():
            click.echo(f"- {key} (default {option.default!r}): {option.help}")


from sqllint.commands.explain import explain as _explain_command  # noqa: E402 - sub-commands register last

main.add_command(_explain_command)
from sqllint.commands.endpoints import endpoints as _endpoints_command  # noqa: E402

main.add_command(_endpoints_command)
from sqllint.commands.trace import trace as _trace_command  # noqa: E402

main.add_command(_trace_command)
from sqllint.commands.report import report as _report_command  # noqa: E402

main.add_command(_report_command)
