"""``sqllint report --html FILE``: one self-contained page with findings per endpoint and plan trees."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sqllint.commands.endpoints import EXIT_CLEAN, EXIT_USAGE, database_options, planned_map


@click.command("report")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--html", "html_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML report to this file.")
@click.option("--title", default=None, help="Page title [default: sqllint report: <directory name>].")
@database_options
def report(paths: tuple[str, ...], html_file: Path, title: str | None, dsn: str | None, max_depth: int | None,
           jobs: int | None, no_cache: bool, config_path: Path | None, isolated: bool) -> None:
    """Write an HTML report of the application under PATHS (default: .).

    One page, no external assets: every HTTP endpoint with its queries in call order, their findings
    and the endpoint-level ones (N+1 and mergeable queries across the call chain), and with a DSN each
    query's plan drawn as a tree (nodes sized and coloured by estimated rows, full scans marked).
    Without a DSN the page shows the static picture and says that plans need a database.

    Exit codes: 0 written, 2 usage error (or the file cannot be written).
    """
    from sqllint.report.html import render_html

    planned = planned_map(paths, dsn, max_depth, jobs, no_cache, config_path, isolated)
    page = render_html(planned, title or f"sqllint report: {Path.cwd().name}")
    try:
        html_file.write_text(page, encoding="utf-8")
    except OSError as error:
        click.echo(f"sqllint: error: cannot write {html_file}: {error.strerror or error}", err=True)
        sys.exit(EXIT_USAGE)
    chains = planned.endpoint_map.chains
    # A DSN that could not be used says why (the warning's DSN is masked), as `check` does.
    plans = "plans from the database" if planned.plans is not None else planned.status("no plans: no database")
    click.echo(f"wrote {html_file} ({len(chains)} endpoints, {sum(len(c.queries) for c in chains)} queries, {plans})",
               err=True)
    sys.exit(EXIT_CLEAN)
