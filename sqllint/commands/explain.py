"""``sqllint explain TARGET``: every variant of a query, its plan as a table and a tree, in words."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sqllint.config import MAX_ENDPOINT_MAX_DEPTH, Config, ConfigError, load_config, with_overrides
from sqllint.files import MissingPathError
from sqllint.records import Severity
from sqllint.registry import builtin_registry

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"sqllint: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.command("explain")
@click.argument("target", required=False)
@click.option("--dsn", metavar="URL", help="Staging database, mysql://user:pass@host:port/db "
              "[default: the variable named by dsn-env, SQLLINT_DSN].")
@click.option("--ssl/--no-ssl", default=None, help="Use TLS [default: from the DSN or config].")
@click.option("--ssl-ca", metavar="FILE", help="CA certificate for TLS.")
@click.option("--ssl-cert", metavar="FILE", help="Client certificate for TLS.")
@click.option("--ssl-key", metavar="FILE", help="Client key for TLS.")
@click.option("--ssl-verify/--no-ssl-verify", default=None, help="Verify the server's certificate.")
@click.option("--connect-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Seconds to open a connection [default: 5].")
@click.option("--statement-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Seconds one EXPLAIN may take on the server [default: 2].")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to a file instead of standard output.")
@click.option("--analyze", is_flag=True, help="Run the SELECT (MariaDB ANALYZE) for measured row counts; "
              "only SELECTs, never writes.")
@click.option("--variant", default="all", show_default=True, metavar="LABEL|N|all",
              help="Only this variant of dynamic SQL: its label as printed, or its number.")
@click.option("--require-db", is_flag=True, help="Exit 2 when no plan can be obtained (no DSN, server unreachable).")
@click.option("--search", "search_paths", multiple=True, metavar="PATH",
              help="Where to look for statement ids and functions named without a path [default: .].")
@click.option("--endpoint", metavar='"METHOD /path"',
              help='Every query of this HTTP endpoint, in call order through the repository, instead of TARGET '
              '("GET /orders", a concrete URL such as "GET /orders/42", or the handler\'s name).')
@click.option("--max-depth", type=click.IntRange(min=1, max=MAX_ENDPOINT_MAX_DEPTH), metavar="N",
              help="With --endpoint: how many calls deep to follow the handler [default: the config's "
              "endpoint-max-depth, 6].")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]),
              help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--no-cache", is_flag=True, help="Explain again instead of reusing cached plans.")
@click.option("--color/--no-color", default=None, help="Colour the text output [default: when a terminal].")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
def explain(target: str | None, dsn: str | None, ssl: bool | None, ssl_ca: str | None, ssl_cert: str | None,
            ssl_key: str | None, ssl_verify: bool | None, connect_timeout: float | None,
            statement_timeout: float | None, output_format: str, analyze: bool, variant: str, require_db: bool,
            search_paths: tuple[str, ...], fail_on: str | None, exit_zero: bool, no_cache: bool,
            color: bool | None, config_path: Path | None, isolated: bool, endpoint: str | None = None,
            output: str | None = None, max_depth: int | None = None) -> None:
    """Explain the queries of TARGET against the staging database, variant by variant.

    TARGET is raw SQL ("SELECT …", or - for stdin), a file, path:line (the query at or spanning that
    line), path:function (every query of that function or method, in order; Class.method or a bare
    name), or a MyBatis statement id (com.example.mapper.OrderMapper.listOrders, or an unambiguous
    suffix such as OrderMapper.listOrders).

    --endpoint "GET /orders" explains every query that endpoint's handler reaches through the
    repository (services, DAOs, mappers), in call order, with the chain that reaches each one and the
    findings across the whole chain (N+1 through a helper, mergeable queries in different functions).

    For each query and variant: the SQL as sent to EXPLAIN (placeholders bound with literals typed
    from the columns' types; guesses marked), the plan as a table and as a tree, the static and plan
    findings, a summary in words (which table is read in full and why, rows examined, where the time
    goes) and index advice (never executed). Without a database: the SQL, variants and static
    findings, and why no plan is shown.

    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error (unknown or ambiguous
    TARGET, bad DSN; no database with --require-db).
    """
    from sqllint.explain.document import render_json, render_text
    from sqllint.explain.dsn import DsnError
    from sqllint.explain.lookup import TargetError, Workspace, choose_variants, parse_target
    from sqllint.explain.runner import DatabaseOptions, resolve_database, settings_for
    from sqllint.explain.walkthrough import gather

    registry = builtin_registry()
    cwd = Path.cwd()
    try:
        config: Config = load_config(registry, cwd, config_path, isolated)
        if fail_on:
            config = with_overrides(config, fail_on=Severity.parse(fail_on))
        options = DatabaseOptions(dsn=dsn, ssl=ssl, ssl_ca=ssl_ca, ssl_cert=ssl_cert, ssl_key=ssl_key,
                                  ssl_verify=ssl_verify, connect_timeout=connect_timeout,
                                  statement_timeout=statement_timeout, analyze=analyze, require_db=require_db,
                                  use_cache=not no_cache)
        database = resolve_database(config, options)
        if database is None and (require_db or analyze):
            raise ConfigError(f"{'--require-db' if require_db else '--analyze'} needs a database: pass --dsn or set "
                              f"{config.dsn_env}")
        if max_depth is not None and endpoint is None:
            raise ConfigError("--max-depth applies to --endpoint only")
        workspace = Workspace(config, cwd, search_paths or (".",))
        if (target is None) == (endpoint is None):
            raise ConfigError("give either TARGET or --endpoint, not both" if target else
                              'missing TARGET: SQL, a file, path:line, path:function, a statement id, '
                              'or --endpoint "METHOD /path"')
        if endpoint is not None:
            from sqllint.endpoints.lookup import EndpointSelector

            selector = by_endpoint = EndpointSelector(endpoint, max_depth or config.endpoint_max_depth)
        else:
            by_endpoint = None
            selector = parse_target(target, cwd, lambda: sys.stdin.read())
        sites = choose_variants(selector(workspace), variant)
    except (ConfigError, DsnError, TargetError) as error:
        _fail(str(error))
        return
    except MissingPathError as error:
        _fail(f"path does not exist: {error}")
        return
    walkthrough = gather(target or f"endpoint {endpoint}", sites, workspace, config, registry, database,
                         settings=settings_for(config, options), analyze=analyze, use_cache=not no_cache)
    use_color = color if color is not None else (output is None and sys.stdout.isatty())
    if by_endpoint is not None and by_endpoint.chain is not None:
        from sqllint.endpoints.lookup import render_endpoint

        document = render_endpoint(by_endpoint.chain, walkthrough, output_format, use_color)
    elif output_format == "json":
        document = render_json(walkthrough)
    else:
        document = render_text(walkthrough, color=use_color)
    if output:
        Path(output).write_text(document, encoding="utf-8")
    else:
        click.echo(document, nl=False, color=use_color)  # keep the colours --color asked for, even in a pipe
    if require_db and not walkthrough.database.connected:
        click.echo(f"sqllint: error: --require-db: {walkthrough.database.reason}", err=True)
        sys.exit(EXIT_USAGE)
    chain_code = int(any(f.severity >= config.fail_on for f in by_endpoint.chain.findings)) \
        if by_endpoint is not None and by_endpoint.chain is not None else EXIT_CLEAN
    sys.exit(EXIT_CLEAN if exit_zero else max(walkthrough.exit_code(config.fail_on), chain_code))
