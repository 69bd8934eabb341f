"""``sqllint trace SOURCE``: what the application really sent, grouped, linked to the code, explained."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sqllint.config import Config, ConfigError, load_config, with_overrides
from sqllint.files import MissingPathError
from sqllint.records import Severity
from sqllint.registry import builtin_registry

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"sqllint: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.command("trace")
@click.argument("source")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--dsn", metavar="URL", help="Staging database, mysql://user:pass@host:port/db: explains the top "
              "statements, and is where performance_schema is read [default: the variable named by dsn-env].")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many fingerprints to list and (with a database) explain.")
@click.option("--window-ms", type=click.IntRange(min=0), metavar="MS",
              help="Longest pause within one connection's burst for the N+1 and mergeable checks [default: 1000].")
@click.option("--min-repeats", type=click.IntRange(min=2), metavar="K",
              help="Executions in a row that make an N+1 [default: 5].")
@click.option("--no-link", is_flag=True, help="Do not look for the statements in the code (PATHS).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]),
              help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for the code scan.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
def trace(source: str, paths: tuple[str, ...], dsn: str | None, top: int, window_ms: int | None,
          min_repeats: int | None, no_link: bool, output_format: str, output: str | None, fail_on: str | None,
          exit_zero: bool, jobs: int | None, config_path: Path | None, isolated: bool) -> None:
    """Group what the application sent to MySQL/MariaDB by fingerprint, find N+1 and mergeable queries
    in it, and link each statement to the code that sends it.

    SOURCE is a general query log or a slow query log file (MySQL 5.7/8.0 or MariaDB; .gz works; - reads
    standard input), or
    `performance_schema` to read events_statements_summary_by_digest on the --dsn server. PATHS (default:
    .) are scanned statically to find where each statement comes from. With a database, the top
    statements (by total time, else by count) are explained with the values that were logged.

    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error (unreadable or unknown log
    format, performance_schema disabled or unreachable, bad DSN).
    """
    from sqllint.explain.dsn import DsnError
    from sqllint.explain.runner import DatabaseOptions, build_stage, resolve_database, settings_for
    from sqllint.trace import render
    from sqllint.trace.link import code_sites
    from sqllint.trace.model import Source, TraceSourceError
    from sqllint.trace.runner import PERFORMANCE_SCHEMA, RuleSetup, explain_top, link, open_log
    from sqllint.trace.runner import trace as run_trace

    registry = builtin_registry()
    cwd = Path.cwd()
    try:
        config: Config = load_config(registry, cwd, config_path, isolated)
        if fail_on:
            config = with_overrides(config, fail_on=Severity.parse(fail_on))
        database = resolve_database(config, DatabaseOptions(dsn=dsn))
    except (ConfigError, DsnError) as error:
        _fail(str(error))
        return
    enabled = config.enabled_codes(registry)
    setup = RuleSetup.build(registry, enabled, {code: config.options_for(code, registry) for code in enabled},
                            {r.code: config.severities.get(r.code, r.severity) for r in registry.rules},
                            {"window-ms": window_ms, "min-repeats": min_repeats})
    window = window_ms if window_ms is not None else max(
        [int(options.get("window-ms", 0)) for options in setup.options.values()] or [1000])
    settings = settings_for(config, DatabaseOptions())
    try:
        if source == PERFORMANCE_SCHEMA:
            if database is None:
                _fail(f"performance_schema is read from the staging server: give --dsn (or set {config.dsn_env})")
                return
            from sqllint.trace.perfschema import read_performance_schema

            origin = Source(PERFORMANCE_SCHEMA, database.masked(), flavor=None, has_durations=True, has_order=False)
            digests, history = read_performance_schema(database, settings, origin)
            result = run_trace(origin, iter(digests), setup, window, iter(history) if history is not None else None)
        else:
            stream = sys.stdin.buffer if source == "-" else None
            origin, entries, _reader = open_log(Path("<stdin>" if stream else source), stream)
            result = run_trace(origin, entries, setup, window)
        if not no_link:
            link(result, code_sites(paths or (".",), config, cwd, registry, jobs=jobs), setup)
    except TraceSourceError as error:
        _fail(str(error))
        return
    except MissingPathError as error:
        _fail(f"path does not exist: {error}")
        return
    if database is not None and top > 0:
        explain_top(result, build_stage(config, registry, database, settings=settings), top)
    document = render.render_json(result) if output_format == "json" else render.render_text(result, top)
    if output:
        Path(output).write_text(document, encoding="utf-8")
    else:
        click.echo(document, nl=False)
    sys.exit(EXIT_CLEAN if exit_zero else result.exit_code(config.fail_on))
