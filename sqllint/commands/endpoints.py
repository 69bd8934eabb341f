"""``sqllint endpoints``: the HTTP endpoints of an application and the queries their call chains reach."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sqllint.config import MAX_ENDPOINT_MAX_DEPTH, Config, ConfigError, load_config
from sqllint.files import MissingPathError
from sqllint.registry import builtin_registry

EXIT_CLEAN, EXIT_USAGE = 0, 2


def _fail(message: str) -> None:
    click.echo(f"sqllint: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def database_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options every endpoint command shares: where the staging database is, how deep to follow."""
    for option in reversed([
        click.option("--dsn", metavar="URL", help="Staging database for plans and estimated rows, "
                     "mysql://user:pass@host:port/db [default: the variable named by dsn-env, SQLLINT_DSN]."),
        click.option("--max-depth", type=click.IntRange(min=1, max=MAX_ENDPOINT_MAX_DEPTH), metavar="N",
                     help="How many calls deep to follow a handler through the repository [default: the config's "
                     "endpoint-max-depth, 6]."),
        click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for the static run."),
        click.option("--no-cache", is_flag=True, help="Explain again instead of reusing cached plans."),
        click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file."),
        click.option("--isolated", is_flag=True, help="Ignore every config file."),
    ]):
        func = option(func)
    return func


def planned_map(paths: tuple[str, ...], dsn: str | None, max_depth: int | None, jobs: int | None, no_cache: bool,
                config_path: Path | None, isolated: bool) -> Any:
    """Load the config, build the endpoint map and, with a DSN, the plans; usage errors exit 2."""
    from sqllint.endpoints.build import build_with_plans
    from sqllint.explain.dsn import DsnError
    from sqllint.explain.runner import DatabaseOptions, resolve_database

    registry = builtin_registry()
    cwd = Path.cwd()
    try:
        config: Config = load_config(registry, cwd, config_path, isolated)
        database = resolve_database(config, DatabaseOptions(dsn=dsn))
        planned = build_with_plans(paths, config, cwd, database, jobs=jobs,
                                   max_depth=max_depth or config.endpoint_max_depth,
                                   use_cache=not no_cache, registry=registry)
    except (ConfigError, DsnError) as error:
        _fail(str(error))
        return None
    except MissingPathError as error:
        _fail(f"path does not exist: {error}")
        return None
    for warning in planned.warnings:
        click.echo(f"sqllint: warning: {warning}", err=True)
    return planned


@click.command("endpoints")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@database_options
def endpoints(paths: tuple[str, ...], output_format: str, dsn: str | None, max_depth: int | None, jobs: int | None,
              no_cache: bool, config_path: Path | None, isolated: bool) -> None:
    """List the HTTP endpoints under PATHS (default: .) with the queries their call chains reach.

    Finds Flask, FastAPI, Django, Spring MVC and Go (net/http, gorilla/mux, gin, echo, chi) endpoints,
    follows each handler's calls through the repository (services, DAOs, MyBatis mappers) up to
    --max-depth calls deep (config: endpoint-max-depth), and lists per endpoint:
    method, path, handler, where it is declared, how many queries it runs, its worst finding (including
    mergeable queries and N+1 across the whole call chain) and, with a DSN, the estimated rows its
    queries examine. Use `sqllint explain --endpoint "GET /path"` for one endpoint in detail.

    Exit codes: 0 listed (findings do not change it), 2 usage error.
    """
    from sqllint.report.endpoints import NO_DSN, render_json, render_text

    planned = planned_map(paths, dsn, max_depth, jobs, no_cache, config_path, isolated)
    if output_format == "json":
        rows = None
        if planned.plans is not None:
            rows = {id(c): [planned.plans.rows(q) for q in c.queries] for c in planned.endpoint_map.chains}
        click.echo(render_json(planned.endpoint_map, planned.database, rows), nl=False)
    else:
        click.echo(render_text(planned.endpoint_map, planned.status(NO_DSN)), nl=False)
    sys.exit(EXIT_CLEAN)
