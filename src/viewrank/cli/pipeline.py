"""The pipeline's commands, in the order a warehouse goes through them: init, catalog,
ingest, rollup, charts, export; then the checks (revisions, verify, check), the catalog and
quarantine listings, and the demo and the benchmark."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from .. import shapes
from ..catalog import import_catalog
from ..charts.published import check_week_end, published_week, week_lists
from ..charts.weekly import compute_charts, weeks_to_chart
from ..export import export_all
from ..formats.top10 import CURRENT_LAYOUT, GLOBAL_LAYOUTS
from ..ingest import ingest_files
from ..ingest.sources import expand as expand_inputs
from ..ingest.quarantine import quarantined_rows
from ..reports import audit
from ..rollup.daily import days_to_roll
from ..rollup.daily import rollup as run_rollup
from ..settings import parse_assignments
from ..store import integrity
from ..store.warehouse import Warehouse, migrate_warehouse
from ..tools.bench import ENGINES as BENCH_ENGINES
from ..tools.bench import REPEATS as BENCH_REPEATS
from ..tools.demo import run_demo
from ..web.params import MAX_PER_PAGE
from .options import DATE, json_option, open_warehouse, silent_option, warehouse_option
from .output import format_table, print_json, progress, show
from .render import render_ingest_total, render_ingested, render_lists, render_revisions, render_verification

T = TypeVar("T")


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@warehouse_option
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE",
              help="A methodology setting, e.g. --set timezone=America/New_York (repeatable).")
def init(directory: Path | None, warehouse_path: Path, assignments: tuple[str, ...]) -> None:
    """Create an empty warehouse with the methodology settings it will use.

    Example:

        viewrank init ./warehouse --set timezone=UTC --set week_start=monday
    """
    target = directory or warehouse_path
    Warehouse.init(target, parse_assignments(assignments)).close()
    click.echo(f"Created warehouse {target}")


@click.command()
@warehouse_option
@json_option
def migrate(warehouse_path: Path, as_json: bool) -> None:
    """Upgrade a warehouse made by an older viewrank to this one's schema, in one transaction.

    Commands that only read (lists, facts, check, publish...) never write, so they refuse an
    older warehouse until it is migrated; commands that write migrate it first by themselves.

    Example:

        viewrank migrate --warehouse ./warehouse
    """
    upgrade = migrate_warehouse(warehouse_path)
    if as_json:
        print_json(upgrade)
    elif upgrade["applied"]:
        click.echo(f"Migrated {warehouse_path} from schema version {upgrade['from']} to {upgrade['to']}")
    else:
        click.echo(f"{warehouse_path} is already at schema version {upgrade['to']}")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@warehouse_option
@json_option
def catalog(files: tuple[Path, ...], warehouse_path: Path, as_json: bool) -> None:
    """Load catalog files: titles (films and seasons) and episodes, as CSV, JSONL or Parquet.

    Load titles before the episodes that refer to them. Re-loading updates titles in place.

    Example:

        viewrank catalog titles.csv episodes.csv
    """
    with open_warehouse(warehouse_path) as warehouse:
        reports = [import_catalog(warehouse, path) for path in files]
    if as_json:
        print_json([report.__dict__ for report in reports])
    for report in reports if not as_json else []:
        click.echo(f"{report.path}: {report.added} {report.kind} added, {report.updated} updated")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@warehouse_option
@click.option("--strict", is_flag=True, help="Reject a whole file that has any bad row.")
@click.option("--format", "input_format", type=click.Choice(["csv", "tsv", "jsonl", "parquet"]),
              help="Input format (default: from the file name).")
@json_option
@silent_option
def ingest(files: tuple[Path, ...], warehouse_path: Path, strict: bool, input_format: str | None,
           as_json: bool, silent: bool) -> None:
    """Ingest playback-log files, or every log file under folders; bad rows go to the
    quarantine with file, row and reason.

    Columns: event_id, account_id, title_id or episode_id, country (ISO 3166-1 alpha-2),
    start_time (UTC), seconds_watched. A file ingested before (same content) is skipped, a
    file unchanged since (same path, size and modification time) without being read; an
    event id already stored is dropped as a duplicate, whatever its day.

    Example:

        viewrank ingest logs/2026-11-*.parquet
        viewrank ingest deliveries/          # again later: only the files that arrived since
    """
    with open_warehouse(warehouse_path) as warehouse:
        found = expand_inputs(list(files))
        with progress("Ingesting", len(found), silent=silent or as_json) as advance:
            reports = ingest_files(warehouse, found, strict=strict, format=input_format, advance=advance)
    if as_json:
        print_json([report.__dict__ for report in reports])
        return
    unchanged = [report for report in reports if report.unchanged]
    if unchanged:
        click.echo(f"{len(unchanged):,} files skipped: unchanged since they were ingested")
    read = [report for report in reports if not report.unchanged]
    for report in read:
        click.echo(render_ingested(report, skipped="nothing to do"))
    if len(read) > 1:
        click.echo(render_ingest_total(read))


@click.command()
@warehouse_option
@click.option("--full", is_flag=True, help="Recompute every day, not only days with new events.")
@click.option("--engine", type=click.Choice(["auto", "duckdb", "spark"]), default="auto", show_default=True,
              help="auto: the streaming kernel for sorted one-part days, DuckDB otherwise; spark: Apache Spark.")
@click.option("--master", default="local[2]", show_default=True, help="Spark master URL (with --engine spark).")
@click.option("--events-url", help="Where Spark reads the warehouse's events/ folder from (e.g. hdfs://.../events).")
@json_option
@silent_option
def rollup(warehouse_path: Path, full: bool, engine: str, master: str, events_url: str | None,
           as_json: bool, silent: bool) -> None:
    """Roll new events up into daily totals per title and country (incremental).

    Example:

        viewrank rollup
        viewrank rollup --engine spark --master spark://head:7077 --events-url hdfs:///viewrank/events
    """
    with open_warehouse(warehouse_path) as warehouse:
        with progress("Rolling up days", days_to_roll(warehouse, full=full), silent=silent or as_json) as advance:
            if engine == "spark":
                from ..rollup.spark import rollup_with_spark
                report = rollup_with_spark(warehouse, master=master, events_url=events_url, full=full, progress=advance)
            else:
                report = run_rollup(warehouse, full=full, engine=engine, progress=advance)
    if as_json:
        print_json(report.__dict__)
    else:
        for kind, period, why in report.repaired:
            click.echo(f"The {kind} rollup part of {period} was {why}: recomputed from the events")
        click.echo(f"Rolled up {len(report.days)} days ({report.event_rows:,} events) with {report.engine}")


@click.command()
@warehouse_option
@click.option("--week", "weeks", multiple=True, type=DATE, help="Week to compute, by its last day (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Recompute every complete week, changed or not.")
@json_option
@silent_option
def charts(warehouse_path: Path, weeks: tuple[dt.date, ...], everything: bool, as_json: bool, silent: bool) -> None:
    """Compute the weekly global and country lists from the rollups.

    By default every complete week whose rollups changed since it was last charted. A week
    whose lists come out different from its published edition gets a new revision.

    Example:

        viewrank charts --week 2026-11-15
    """
    with open_warehouse(warehouse_path) as warehouse:
        chosen = [check_week_end(warehouse.methodology, week) for week in weeks] or None
        with progress("Computing charts", weeks_to_chart(warehouse, chosen, everything),
                      silent=silent or as_json) as advance:
            report = compute_charts(warehouse, weeks=chosen, everything=everything, progress=advance)
    if as_json:
        print_json(report.__dict__)
    else:
        click.echo(f"Charted {len(report.weeks)} weeks: {len(report.new_editions)} new editions, "
                   f"{report.unchanged} unchanged")


@click.command()
@warehouse_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Directory to write the TSV files into.")
@click.option("--layout", type=click.Choice(list(GLOBAL_LAYOUTS)), default=CURRENT_LAYOUT, show_default=True,
              help="The columns of the global file, as Netflix published them: 2021 (hours only), classic "
                   "(the current file's 9), staggered (2023-07's 11), 2024-11 (12).")
@click.option("--classic", is_flag=True, help="The same as --layout classic.")
@click.option("--final-newline", is_flag=True, help="End the files with a newline (Netflix's files have none).")
@click.option("--since", type=DATE, help="First week to include (YYYY-MM-DD).")
@click.option("--until", type=DATE, help="Last week to include (YYYY-MM-DD).")
@click.option("--week", type=DATE, help="Only this week (YYYY-MM-DD, its last day); the same as --since W --until W.")
@click.option("--revision", type=click.IntRange(min=1),
              help="Export this revision of each week instead of the current one (see viewrank revisions).")
@json_option
def export(warehouse_path: Path, out_dir: Path, layout: str, classic: bool, final_newline: bool,
           since: dt.date | None, until: dt.date | None, week: dt.date | None, revision: int | None,
           as_json: bool) -> None:
    """Write all-weeks-global.tsv and all-weeks-countries.tsv in Netflix's published layout.

    Example:

        viewrank export --out site/files
        viewrank export --week 2026-11-15 --revision 1 --out first-edition
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        if week:
            since = until = published_week(warehouse, week)
        result = export_all(warehouse, out_dir, layout="classic" if classic else layout, since=since, until=until,
                            revision=revision, final_newline=final_newline)
    if as_json:
        print_json(result)
    else:
        for name, rows in result["files"].items():
            click.echo(f"Wrote {Path(result['directory']) / name} ({rows:,} rows)")


def _of_published_week(warehouse_path: Path, week: dt.date, report: Callable[[Warehouse, dt.date], T]) -> T:
    """`report` of a week that must be published, from the warehouse at `warehouse_path`."""
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        return report(warehouse, published_week(warehouse, week))


@click.command()
@click.argument("week", type=DATE)
@warehouse_option
@json_option
def revisions(week: dt.date, warehouse_path: Path, as_json: bool) -> None:
    """Show every revision of a week's editions and what changed between them.

    Example:

        viewrank revisions 2026-11-15
    """
    show(_of_published_week(warehouse_path, week, audit.revisions), as_json, render_revisions)


@click.command()
@click.argument("week", type=DATE)
@warehouse_option
@json_option
def verify(week: dt.date, warehouse_path: Path, as_json: bool) -> None:
    """Recompute a published week from the stored events and report every difference.

    Uses the methodology settings recorded in each edition. Exits with code 1 when the
    published lists do not follow from the events.

    Example:

        viewrank verify 2026-11-15
    """
    report = _of_published_week(warehouse_path, week, audit.verify)
    show(report, as_json, render_verification)
    if not report["ok"]:
        raise click.ClickException(f"the published lists of {week} do not follow from the stored events")


@click.command()
@warehouse_option
@click.option("--deep", is_flag=True, help="Also recompute every daily rollup from its event parts.")
@json_option
def check(warehouse_path: Path, deep: bool, as_json: bool) -> None:
    """Check the warehouse for inconsistencies (manifest, event parts, rollups, editions).

    Exits with code 1 if anything is wrong.

    Example:

        viewrank check --deep
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        problems = integrity.check(warehouse, deep=deep)
    if as_json:
        print_json({"ok": not problems, "problems": problems})
    else:
        for problem in problems:
            click.echo(f"{problem['check']}: {problem['rows']}")
    if problems:
        raise click.ClickException(f"{len(problems)} consistency checks failed")
    if not as_json:
        click.echo("The warehouse is consistent.")


@click.command()
@warehouse_option
@click.option("--search", default="", help="Only titles whose name contains this text.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, MAX_PER_PAGE),
              help="At most this many titles (a page).")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1), help="Which page of --limit titles.")
@json_option
def titles(warehouse_path: Path, search: str, limit: int, page: int, as_json: bool) -> None:
    """List and search the titles with their stable ids, best match first.

    Example:

        viewrank titles --search diplomat
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        result = shapes.titles_page(warehouse, search, page=page, per_page=limit)  # what GET /api/titles answers
    if as_json:
        print_json(result)
    else:
        click.echo(format_table([(r["title_id"], r["title"], r["kind"], r["original_language"], r["release_date"])
                                 for r in result["items"]], ["Id", "Title", "Kind", "Language", "Released"]))


@click.command()
@warehouse_option
@click.option("--limit", default=20, show_default=True, help="At most this many rows.")
@json_option
def quarantine(warehouse_path: Path, limit: int, as_json: bool) -> None:
    """Show quarantined input rows with their file, row and reason.

    Example:

        viewrank quarantine --limit 5
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        rows = quarantined_rows(warehouse, limit)
    if as_json:
        print_json(rows)
    else:
        click.echo(format_table([(r["path"], r["row_number"], r["reason"]) for r in rows], ["File", "Row", "Reason"]))


@click.command()
@warehouse_option
@click.option("--titles", "title_count", default=2000, show_default=True, help="Titles in the synthetic catalog.")
@click.option("--weeks", default=12, show_default=True, help="Weeks of playback logs.")
@click.option("--sessions", default=5_000_000, show_default=True, help="Playback sessions in all.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same data).")
@click.option("--force", is_flag=True, help="Replace the warehouse directory if it is not empty.")
@json_option
@silent_option
def demo(warehouse_path: Path, title_count: int, weeks: int, sessions: int, seed: int, force: bool,
         as_json: bool, silent: bool) -> None:
    """Build a realistic synthetic service and run the whole pipeline on it.

    Writes the generated inputs to WAREHOUSE/demo-input, the TSVs to WAREHOUSE/exports and
    prints the latest week's global lists.

    Example:

        viewrank demo --warehouse demo-warehouse
    """
    def bar(label: str, length: int) -> Any:
        return progress(label, length, silent=silent or as_json)

    summary = run_demo(warehouse_path, titles=title_count, weeks=weeks, sessions=sessions, seed=seed,
                       force=force, progress=bar)
    if as_json:
        print_json(summary.__dict__)
        return
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        click.echo(render_lists(week_lists(warehouse, None, None)))
    click.echo(f"\n{summary.sessions:,} sessions over {summary.titles:,} titles, {summary.first_day} to "
               f"{summary.last_day}: {len(summary.weeks)} weeks charted, {summary.quarantined} rows quarantined.")
    for name, rows in summary.exports["files"].items():
        click.echo(f"Wrote {Path(summary.exports['directory']) / name} ({rows:,} rows)")
    click.echo(f"See the site: viewrank serve --warehouse {warehouse_path}, then open http://127.0.0.1:8000")


@click.command()
@click.option("--sessions", default="10000000,100000000", show_default=True,
              help="Comma-separated volumes of sessions to benchmark (1000000000 for the large run).")
@click.option("--engines", default=",".join(BENCH_ENGINES), show_default=True,
              help="Comma-separated engines to time.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("bench/data"),
              show_default=True, help="Scratch folder for the generated event stores.")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("bench/results"), show_default=True, help="Where to write the results.")
@click.option("--repeats", type=click.IntRange(1), default=BENCH_REPEATS, show_default=True,
              help="Runs of each quick engine (under 15 s a run); the median counts.")
@json_option
@silent_option
def bench(sessions: str, engines: str, data_dir: Path, results_dir: Path, repeats: int, as_json: bool,
          silent: bool) -> None:
    """Benchmark the rollup against DuckDB's GROUP BY, a bare scan, pandas and Spark.

    Writes rollup_scale.md, .json and a .png plot of time against volume to --results.

    Example:

        viewrank bench --sessions 10000000,100000000
    """
    from ..tools.bench import run_benchmark
    command = "viewrank bench " + " ".join(sys.argv[2:])
    results = run_benchmark([int(v) for v in sessions.split(",")], engines.split(","), data_dir=data_dir,
                            results_dir=results_dir, command=command.strip(), repeats=repeats,
                            progress=lambda label, length: progress(label, length, silent=silent or as_json))
    if as_json:
        print_json(results)
    else:
        click.echo((results_dir / "rollup_scale.md").read_text())


COMMANDS = (init, migrate, catalog, ingest, rollup, charts, export, revisions, verify, check, titles, quarantine, demo, bench)
