"""The reporting commands: a week's lists, lists over any window, a title's facts and fact
sheet, most popular, the engagement report and the specialty list definitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from .. import shapes
from ..charts.lists import window_lists
from ..charts.specialty import list_definitions as defined_lists
from ..charts.windows import RANK_BY, Window, date_window, first_days_window
from ..charts.published import check_country_lists, check_week_end, country_code, published_week, week_lists
from ..errors import NotFound
from ..reports.factsheet import factsheet as build_factsheet
from ..reports.imported import imported_only, without_logs
from ..reports.popular import engagement_report, export_engagement, export_most_popular
from ..reports.popular import most_popular as build_most_popular
from ..settings import MOST_POPULAR_RULES
from ..store.warehouse import Warehouse
from .options import DATE, json_option, open_warehouse, silent_option, warehouse_option
from .output import format_table, print_json, progress, show
from .render import render_facts, render_factsheet, render_lists, render_window_lists

F = TypeVar("F", bound=Callable[..., Any])


def list_options(function: F) -> F:
    """Options shared by every list command: country, specialty list, ranking and audience columns."""
    for option in reversed((
        click.option("--country", help="ISO code of a country's lists (default: the global lists)."),
        click.option("--list", "list_name", help="A specialty list from the specialty_lists setting, e.g. kids."),
        click.option("--rank-by", type=click.Choice(RANK_BY),
                     help="views, hours (most watched) or viewers (most popular: distinct accounts); "
                          "default: the methodology's metric."),
        click.option("--audience", is_flag=True,
                     help="Add viewers and exact accounts, starters, watchers and completers (reads events)."),
        click.option("--exact", "exact_viewers", is_flag=True,
                     help="Count viewers exactly from the events instead of estimating them from sketches."),
    )):
        function = option(function)
    return function


def _check_country(warehouse: Warehouse, options: dict[str, Any]) -> None:
    """Replace the --country value by its checked ISO code."""
    if options["country"]:
        options["country"] = country_code(warehouse, options["country"])


def _show_lists(warehouse: Warehouse, window: Window, options: dict[str, Any], as_json: bool, silent: bool) -> None:
    result = window_lists(warehouse, window, country=options["country"], rank_by=options["rank_by"],
                          list_name=options["list_name"], audience=options["audience"],
                          exact_viewers=options["exact_viewers"],
                          progress=lambda label, length: progress(label, length, silent=silent or as_json))
    show(result, as_json, render_window_lists)


@click.command()
@click.argument("title")
@warehouse_option
@json_option
def facts(title: str, warehouse_path: Path, as_json: bool) -> None:
    """Facts about a title: first week, debut, countries, weeks in the Top 10, peak.

    TITLE is a title id, a season title ("The Diplomat: Season 1") or a film's name.

    Example:

        viewrank facts "The Diplomat: Season 1"
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        result = shapes.facts(warehouse, title)  # what GET /api/titles/{title_id}/facts answers
    show(result, as_json, lambda body: render_facts(body["facts"]))


@click.command()
@warehouse_option
@click.option("--week", type=DATE, help="Week by its last day (default: the latest).")
@click.option("--country", help="ISO code of a country list (default: the global lists).")
@json_option
def lists(warehouse_path: Path, week: dt.date | None, country: str | None, as_json: bool) -> None:
    """Print a week's Top 10 lists.

    Example:

        viewrank lists --week 2026-11-15 --country KR
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        if as_json:  # what GET /api/weeks/{week}/global or /api/weeks/{week}/countries/{iso2} answers
            chosen = published_week(warehouse, week)
            code = country_code(warehouse, country) if country else None
            if code:
                check_country_lists(warehouse, code, chosen)
            print_json(shapes.country_lists(warehouse, chosen.isoformat(), code) if code
                       else shapes.global_lists(warehouse, chosen.isoformat()))
            return
        result = week_lists(warehouse, week, country)
    click.echo(render_lists(result))


@click.command()
@click.option("--day", required=True, type=DATE, help="The day (YYYY-MM-DD).")
@list_options
@warehouse_option
@json_option
@silent_option
def daily(day: dt.date, warehouse_path: Path, as_json: bool, silent: bool, **options: Any) -> None:
    """Print a day's Top 10 lists (global per category, or one country's).

    Example:

        viewrank daily --day 2026-11-14 --country KR
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        _check_country(warehouse, options)
        _show_lists(warehouse, date_window(warehouse, day, day), options, as_json, silent)


@click.command()
@click.option("--from", "start", type=DATE, help="First day of the window (YYYY-MM-DD).")
@click.option("--to", "end", type=DATE, help="Last day of the window (YYYY-MM-DD).")
@click.option("--week", type=DATE, help="A chart week by its last day (the same as --from its Monday --to it).")
@click.option("--first-days", type=int, help="Each title's first N days from its premiere instead of fixed dates.")
@list_options
@warehouse_option
@json_option
@silent_option
def window(start: dt.date | None, end: dt.date | None, week: dt.date | None, first_days: int | None, warehouse_path: Path,
           as_json: bool, silent: bool, **options: Any) -> None:
    """Print the Top 10 lists of any window: a date range, a chart week, or each title's first N days.

    Example:

    \b
        viewrank window --from 2026-11-01 --to 2026-11-15 --rank-by viewers --audience
        viewrank window --first-days 28 --list originals
    """
    chosen = [name for name, value in (("--from/--to", start or end), ("--week", week), ("--first-days", first_days))
              if value]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --from and --to, --week, or --first-days")
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        _check_country(warehouse, options)
        if week:
            check_week_end(warehouse.methodology, week)
            start, end = warehouse.methodology.week_start_of(week), week
        elif not first_days and not (start and end):
            raise click.UsageError("--from and --to go together")
        if without_logs(warehouse):
            what = f"each title's first {first_days} days" if first_days else f"a window of days ({start} to {end})"
            raise NotFound(imported_only(warehouse, what, start, end))
        if first_days:
            span = first_days_window(warehouse, first_days)
        else:
            assert start and end
            span = date_window(warehouse, start, end)
        _show_lists(warehouse, span, options, as_json, silent)


@click.command("most-popular")
@click.option("--rule", type=click.Choice(MOST_POPULAR_RULES),
              help="views91: views in the first 91 days; hours28: hours in the first 28 days "
                   "(default: the most_popular_rule setting).")
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the lists to this file in the published most-popular.tsv layout.")
@warehouse_option
@json_option
def most_popular(rule: str | None, export_path: Path | None, warehouse_path: Path, as_json: bool) -> None:
    """Print the most popular originals of all time over their first days from premiere.

    A title counts only once its whole window is rolled up.

    Example:

        viewrank most-popular --export most-popular.tsv
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        result = build_most_popular(warehouse, rule=rule)
        written = export_most_popular(warehouse, export_path, result) if export_path else None
    if as_json:
        print_json(result | ({"exported": {str(export_path): written}} if export_path else {}))
        return
    window = result["window"]
    click.echo(render_window_lists({"window": window, "country": None, "list": "originals",
                                    "rank_by": result["ranked_by"], "lists": result["lists"]}))
    if "source" in result:
        click.echo(f"\nAs published in {result['source']['path']} (this warehouse has no playback logs).")
    elif not any(result["lists"].values()):
        first, last = window["premieres_from"], window["premieres_to"]
        click.echo(f"\nNo original's first {result['days']} days are all rolled up yet" + (
            f" (it would need a premiere from {first} to {last})." if first <= last else
            f": fewer than {result['days']} days are rolled up."))
    if export_path:
        click.echo(f"Wrote {export_path} ({written:,} rows)")


@click.command()
@click.option("--half", required=True, help="The half year: 2026H1 (January-June) or 2026H2 (July-December).")
@click.option("--min-hours", type=float, help="Hours a title needs (default: the engagement_min_hours setting).")
@click.option("--rounding", type=int, help="Round hours and views to this (default: hours_rounding, views_rounding).")
@click.option("--out", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the .xlsx (default: engagement-<HALF>.xlsx).")
@click.option("--tsv", "tsv_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write a TSV here.")
@warehouse_option
@json_option
def engagement(half: str, min_hours: float | None, rounding: int | None, xlsx_path: Path | None,
               tsv_path: Path | None, warehouse_path: Path, as_json: bool) -> None:
    """Write the half-year engagement report: every title above the hours threshold, TV and Film sheets.

    Example:

        viewrank engagement --half 2026H2 --min-hours 10 --tsv engagement-2026H2.tsv
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        report = engagement_report(warehouse, half, min_hours=min_hours, rounding=rounding)
    written = export_engagement(report, xlsx=xlsx_path or Path(f"engagement-{report['half']}.xlsx"), tsv=tsv_path)
    if as_json:
        print_json(report | {"written": written})
        return
    covered = report["covered"]
    sheets = ", ".join(f"{sheet} {len(rows):,}" for sheet, rows in report["sheets"].items())
    if "source" in report:  # imported: the published report's own selection, no hours threshold of ours
        click.echo(f"{report['half']}: as published in {report['source']['path']} (this warehouse has no playback "
                   f"logs), {covered['from']} to {covered['to']}: {sheets}")
    else:
        click.echo(f"{report['half']}: {covered['from']} to {covered['to']}"
                   f"{'' if covered['complete'] else ' (the days rolled up so far)'}, titles over "
                   f"{report['min_hours']:,g} hours: {sheets}")
    for path, rows in written.items():
        click.echo(f"Wrote {path} ({rows:,} rows)")


@click.command()
@click.argument("title")
@click.option("--format", "output_format", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True, help="Markdown for people, JSON for machines (the same as --json).")
@warehouse_option
@json_option
def factsheet(title: str, output_format: str, warehouse_path: Path, as_json: bool) -> None:
    """A press fact sheet for a title, every figure linked to its edition or rollup window.

    TITLE is a title id, a season title or a film's name.

    Example:

        viewrank factsheet "The Diplomat: Season 1" --format markdown
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        sheet = build_factsheet(warehouse, title)
        method = warehouse.methodology
    if as_json or output_format == "json":
        print_json(sheet)
    else:
        click.echo(render_factsheet(sheet, hours_rounding=method.hours_rounding, views_rounding=method.views_rounding),
                   nl=False)


@click.command("list-definitions")
@warehouse_option
@json_option
def list_definitions(warehouse_path: Path, as_json: bool) -> None:
    """Show the specialty lists defined in the specialty_lists setting.

    Example:

        viewrank list-definitions
    """
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        rows = defined_lists(warehouse.methodology)
    if as_json:
        print_json(rows)
        return
    click.echo(format_table([(row["name"], row.get("description", ""),
                              "; ".join(f"{key}={value}" for key, value in row.items()
                                        if key not in ("name", "description"))) for row in rows],
                            ["List", "Description", "Filter"]))


COMMANDS = (facts, lists, daily, window, most_popular, engagement, factsheet, list_definitions)
