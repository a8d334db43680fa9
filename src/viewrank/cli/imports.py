"""`viewrank import ...`: published Top 10 lists, engagement reports and personal viewing
exports into the warehouse, identity corrections, and re-export of imported files."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any, Callable

import click

from ..charts.published import check_week_end
from ..imports.corrections import merge_titles, split_title
from ..imports.engagement import EngagementReport, import_engagement_files
from ..imports.netflix_top10 import Top10Report, import_top10_files
from ..imports.personal import PersonalReport, import_personal_files
from ..imports.reexport import reexport
from ..imports.sources import list_sources
from ..imports.viewing_activity import ActivityReport
from .options import DATE, json_option, open_warehouse, silent_option, warehouse_option
from .output import format_table, print_json, progress

FILES = click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))


def _run_import(warehouse_path: Path, files: tuple[Path, ...], label: str,
                importer: Callable[..., list[Any]], describe: Callable[[Any], str], *, as_json: bool,
                silent: bool) -> None:
    """Import `files` with a progress bar, then print a report per file (or all of them as JSON)."""
    with open_warehouse(warehouse_path) as warehouse, \
            progress(label, len(files), silent=silent or as_json) as advance:
        reports = importer(warehouse, list(files), progress=advance)
    if as_json:
        print_json([dataclasses.asdict(report) for report in reports])
        return
    for report in reports:
        click.echo(describe(report))


@click.group("import")
def import_group() -> None:
    """Import published charts, engagement reports and personal viewing exports.

    A file whose exact content was imported before is skipped. Every file is validated
    completely first; a bad one stops the import with its file, row and column, and
    nothing of that file is written.
    """


@import_group.command("netflix-top10")
@FILES
@click.option("--published", type=DATE, default=None,
              help="The day the files were published (default: the date in the file name, "
                   "..._published-2021-11-17.tsv, else the latest week each file holds).")
@warehouse_option
@json_option
@silent_option
def netflix_top10(files: tuple[Path, ...], published: dt.date | None, warehouse_path: Path, as_json: bool,
                  silent: bool) -> None:
    """Import Netflix Top 10 files: the global, country and most-popular lists.

    all-weeks-global, all-weeks-countries and most-popular as TSV, CSV or .xlsx (first
    sheet), in every column layout Netflix has used (with or without runtime/weekly_views
    and the staggered-launch columns; 28- or 91-day most-popular); the header tells which
    file it is. Each week and scope (global, country) becomes a chart edition with origin
    'imported', values as published; a week whose rows differ from its current edition gets
    a new revision. Revisions are ordered by publication, so the newest publication is
    current whatever the order of imports; an older one is kept as earlier revisions, and
    the report lists what each restated week changed. Titles get stable ids: a weeks-in-Top-10 count that starts again marks a
    namesake (a different title). Country and most-popular rows take the ids of the global
    titles. Fix an identity with 'viewrank import titles-merge' or 'titles-split'.

    Example:

        viewrank import netflix-top10 all-weeks-global.tsv all-weeks-countries.tsv most-popular.tsv
    """
    _run_import(warehouse_path, files, "Importing Top 10 files",
                lambda *args, **kwargs: import_top10_files(*args, **kwargs, published=published), _top10_line,
                as_json=as_json, silent=silent)


def _top10_line(report: Top10Report) -> str:
    if report.already_imported_as:
        return f"{report.path}: already imported as {report.already_imported_as}; nothing to do"
    what = f"{report.path}: {report.kind} ({len(report.layout)} columns), {report.rows_read:,} rows"
    if report.weeks:
        what += (f", {report.weeks} week{'s' if report.weeks != 1 else ''}: {report.editions_new} new "
                 f"edition{'s' if report.editions_new != 1 else ''}, {report.editions_unchanged} unchanged")
    what += f"; {report.titles_new:,} new titles"
    if report.namesakes:
        what += f" ({report.namesakes} namesakes told apart)"
    if report.rows_on_titles_not_in_global_lists:
        what += f"; {report.rows_on_titles_not_in_global_lists:,} rows on titles not on any global list"
    lines = [what]
    if report.published:
        lines.append(f"  published {report.published} (from the {report.published_from})")
    if report.editions_superseded:
        lines.append(f"  {report.editions_superseded:,} week{'s' if report.editions_superseded != 1 else ''} kept as "
                     "earlier revisions: a newer publication of them is current, and stays so")
    if report.restated:
        changes = [change for week in report.restated for change in week["changes"]]
        lines.append(f"  {len(report.restated):,} restated week{'s' if len(report.restated) != 1 else ''} "
                     f"({len(changes):,} changed values), e.g. " + "; ".join(
                         _restatement(week["week"], change) for week in report.restated[:3] for change in week["changes"][:1]))
    if report.report_rows_rehomed:
        lines.append(f"  {report.report_rows_rehomed:,} rows of imported engagement reports now meet their Top 10 title")
    if report.weeks_count_mismatches:
        lines.append(f"  {report.weeks_count_mismatches:,} rows' weeks in the Top 10 are not reproduced by the stored "
                     "history (earlier weeks not imported, or an identity to fix with titles-merge/titles-split)")
    if report.noncanonical_cells:
        lines.append(f"  {report.noncanonical_cells:,} cells are spelled unlike the published files; a re-export "
                     "writes them the published way")
    return "\n".join(lines)


def _restatement(week: str, change: dict[str, Any]) -> str:
    where = f"{week} {change['category']}" + (f" in {change['country']}" if change["country"] else "")
    return f"{where} No. {change['rank']}: {change['column']} {change['before']} -> {change['after']}"


@import_group.command("engagement")
@FILES
@warehouse_option
@json_option
@silent_option
def engagement(files: tuple[Path, ...], warehouse_path: Path, as_json: bool, silent: bool) -> None:
    """Import Netflix's half-year engagement reports (What We Watched, .xlsx).

    Every layout: the first report's single "Engagement" sheet (Title, Available Globally?,
    Release Date, Hours Viewed) and the later TV/Film or Shows/Movies sheets with Runtime and
    Views. Values are stored as published in engagement_rows; a title's original-language
    name after ' // ' is kept apart. Rows are matched to Top 10 titles by exact season title
    or film name of a compatible kind (namesakes by release date); the rest become new
    catalog titles (source 'engagement').

    Example:

        viewrank import engagement What_We_Watched_*.xlsx
    """
    _run_import(warehouse_path, files, "Importing engagement reports", import_engagement_files, _engagement_line, as_json=as_json, silent=silent)


def _engagement_line(report: EngagementReport) -> str:
    if report.already_imported_as:
        return f"{report.path}: already imported as {report.already_imported_as}; nothing to do"
    sheets = "; ".join(f"{sheet} {figures['rows']:,} rows, {figures['hours_viewed']:,} hours"
                       for sheet, figures in report.sheets.items())
    return (f"{report.path}: {report.period}: {sheets}; matched {report.matched_top10:,} rows to Top 10 titles "
            f"and {report.matched_catalog:,} to other catalog titles, {report.new_titles:,} new titles")


@import_group.command("viewing-activity")
@FILES
@warehouse_option
@json_option
@silent_option
def viewing_activity(files: tuple[Path, ...], warehouse_path: Path, as_json: bool, silent: bool) -> None:
    """Import personal exports: ViewingActivity.csv, NetflixViewingHistory.csv.

    ViewingActivity.csv rows become playback events through the ordinary ingest (its
    validation, quarantine and duplicate checks): one account per profile and file, the
    country from 'US (United States)', titles and episodes parsed from 'Show: Season 1:
    Name (Episode 3)' and found in the catalog or added to it (runtime unknown: the
    furthest playback position seen is kept as a lower bound). Trailers, hooks, recaps and
    other supplemental videos are left out and counted by type.

    NetflixViewingHistory.csv has only Title and Date (dd/mm/yyyy or m/d/yy, read from the
    file): its titles go into the catalog and each row counts as one play of that title on
    that day. It has no durations, so it never becomes hours viewed.

    Every row read is reported as loaded, duplicate, quarantined, supplemental or untitled.

    Example:

        viewrank import viewing-activity ViewingActivity.csv NetflixViewingHistory.csv
    """
    _run_import(warehouse_path, files, "Importing viewing exports", import_personal_files, _personal_lines, as_json=as_json, silent=silent)


def _personal_lines(report: PersonalReport) -> str:
    if report.already_imported_as:
        return f"{report.path}: already imported as {report.already_imported_as}; nothing to do"
    if isinstance(report, ActivityReport):
        supplemental = ", ".join(f"{kind} {count:,}" for kind, count in sorted(report.supplemental.items()))
        lines = [f"{report.path}: {report.rows_read:,} rows read: {report.loaded:,} loaded, {report.duplicates:,} "
                 f"duplicates, {report.quarantined:,} quarantined, {report.untitled:,} untitled, "
                 f"{sum(report.supplemental.values()):,} supplemental ({supplemental or 'none'}); "
                 f"{report.titles_new:,} new titles, {report.episodes_new:,} new episodes"]
        lines += [f"  row {row}: {reason}" for row, reason in report.first_problems]
        return "\n".join(lines)
    return (f"{report.path}: viewing history ({report.date_format} dates, {report.first_day} to {report.last_day}): "
            f"{report.rows_read:,} rows read: {report.plays_loaded:,} plays on {report.days:,} days loaded, "
            f"{report.untitled:,} untitled; {report.titles_new:,} new titles.\n"
            f"  Note: {report.note}.")


@import_group.command("titles-merge")
@click.argument("from_id")
@click.argument("into_id")
@warehouse_option
@json_option
def titles_merge(from_id: str, into_id: str, warehouse_path: Path, as_json: bool) -> None:
    """Merge title FROM_ID into INTO_ID: they are one title.

    Every chart edition listing FROM_ID gets a new revision listing INTO_ID; engagement,
    most-popular and viewing-history rows and episodes move over; FROM_ID disappears.
    Titles with playback events cannot be merged.

    Example:

        viewrank import titles-merge aftermath-905cadfb aftermath-815a5183
    """
    with open_warehouse(warehouse_path) as warehouse:
        result = merge_titles(warehouse, from_id, into_id)
    if as_json:
        print_json(result)
    else:
        click.echo(f"Merged {from_id} into {into_id}: {result['new_editions']} editions revised")


@import_group.command("titles-split")
@click.argument("title_id")
@click.option("--from-week", type=DATE, required=True, help="First week (YYYY-MM-DD) that belongs to the namesake.")
@warehouse_option
@json_option
def titles_split(title_id: str, from_week: dt.date, warehouse_path: Path, as_json: bool) -> None:
    """Split a title's chart history at a week where a namesake takes over.

    From --from-week on, TITLE_ID's entries are a different title.

    The chart entries from that week on move to a new title id (a copy of the title) in new
    revisions of their editions; engagement and viewing rows stay with TITLE_ID.

    Example:

        viewrank import titles-split kingdom-945b378f --from-week 2025-08-31
    """
    with open_warehouse(warehouse_path) as warehouse:
        result = split_title(warehouse, title_id, check_week_end(warehouse.methodology, from_week))
    if as_json:
        print_json(result)
    else:
        click.echo(f"Split {title_id} at {from_week}: weeks from then on are now {result['new_title_id']} "
                   f"({result['new_editions']} editions revised)")


@import_group.command("reexport")
@click.option("--source", "source_ids", type=int, multiple=True,
              help="Source id of one imported file (repeatable; default: every imported Top 10 file).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Directory to write the files into.")
@warehouse_option
@json_option
def reexport_command(source_ids: tuple[int, ...], out_dir: Path, warehouse_path: Path, as_json: bool) -> None:
    """Write imported Top 10 files back in their own layout.

    Same columns, delimiter, line endings and row order, from the current editions of the
    weeks each file covered: a file imported unchanged comes back byte for byte (an .xlsx
    comes back as TSV). 'viewrank export' writes the standard published layout instead.

    Example:

        viewrank import reexport --out roundtrip/
    """
    with open_warehouse(warehouse_path) as warehouse:
        results = reexport(warehouse, out_dir, list(source_ids) or None)
    if as_json:
        print_json([dataclasses.asdict(result) for result in results])
        return
    for result in results:
        same = {True: "identical to the imported file", False: "differs from the imported file",
                None: "written as TSV"}[result.identical]
        click.echo(f"Wrote {result.written} ({result.rows:,} rows, {same})")


@import_group.command("sources")
@warehouse_option
@json_option
def sources(warehouse_path: Path, as_json: bool) -> None:
    """List the imported files with their kind, rows and outcome.

    Example:

        viewrank import sources
    """
    with open_warehouse(warehouse_path) as warehouse:
        rows = list_sources(warehouse)
    if as_json:
        print_json(rows)
        return
    click.echo(format_table([(r["source_id"], r["kind"], f"{r['rows_read']:,}", r["imported_at"].isoformat(" ", "seconds"),
                              r["path"]) for r in rows], ["Id", "Kind", "Rows", "Imported", "File"], right=(0, 2)))


COMMANDS = (import_group,)
