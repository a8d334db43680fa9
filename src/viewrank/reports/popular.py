"""Most popular of all time, and the half-year engagement report, computed from the rollups.

Most popular (METHODOLOGY.md): originals only, each title over its own first days from its
premiere, the four global categories, top list_size. Rule views91 ranks views in the first
most_popular_days days (since June 2023); rule hours28 ranks hours viewed in the first
most_popular_hours_days days (the rule before). A title qualifies only once its whole window
is rolled up. Exported in the published most-popular.tsv layout.

Engagement report: every title with more than engagement_min_hours hours viewed in a half
year (Jan-Jun, Jul-Dec), with its release date, runtime (H:MM) on the half's last rolled-up
day, views, and "Available Globally?". The publisher does not define that flag; here it means:
viewed in every country that had any viewing on the service in the half. Hours and views are rounded
with the weekly rounding settings (hours_rounding, views_rounding: 100,000 by default, as
published) and a figure under one step shows as one step (the floor bucket; published for
hours, applied to views as well so that no listed title shows 0 views). Exported as TSV and as
XLSX in the layout of the published reports since 2023H2 (TV and Film sheets).

A warehouse without playback logs answers both from the imported published lists and reports
(reports/imported.py), in the same shapes.

Neither is stored: both are recomputed on demand from the daily rollups (one GROUP BY over
the window's days), and the importer's most_popular and engagement_rows tables keep only what
was published (their rows point at an imported file, and their current_* views pick the newest
import, so computed rows would displace published ones).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Iterable

from ..charts.lists import window_lists
from ..charts.specialty import ORIGINALS
from ..charts.weekly import GLOBAL_CATEGORIES
from ..charts.windows import Window, covered_days, first_days_window, ranking
from ..errors import InvalidInput, NotFound
from ..export import write_tsv
from ..formats.top10 import FINAL_NEWLINE, MOST_POPULAR_COLUMNS, clean_text, format_number, format_runtime, round_display
from ..settings import MOST_POPULAR_RULES
from ..store.warehouse import Warehouse
from .imported import imported_engagement, imported_most_popular, without_logs

# Rule -> (the setting that holds its days, ranked by views).
RULES = dict(zip(MOST_POPULAR_RULES, (("most_popular_days", True), ("most_popular_hours_days", False))))
HALF_YEAR = re.compile(r"(\d{4})H([12])")
SHEETS = {"tv": "TV", "film": "Film"}
ENGAGEMENT_TSV_COLUMNS = ("sheet", "title", "available_globally", "release_date", "hours_viewed", "runtime", "views")

AVAILABILITY_SQL = """
WITH seen AS (SELECT title_key, country FROM daily_rollup
              WHERE day BETWEEN $start AND $end AND seconds > 0 GROUP BY ALL)
SELECT title_key, count(*) = (SELECT count(DISTINCT country) FROM seen) AS everywhere
FROM seen GROUP BY title_key
"""
ENGAGEMENT_TITLES_SQL = """
SELECT title_key, title_id, kind, display_name(show_title, season_title) AS title, release_date
FROM titles WHERE list_contains(?, title_key)
"""


# -- most popular ----------------------------------------------------------------------------

def most_popular(warehouse: Warehouse, *, rule: str | None = None) -> dict[str, Any]:
    """The most-popular lists of originals over their first days from premiere, per global category."""
    method = warehouse.methodology
    rule = rule or method.most_popular_rule
    if rule not in RULES:
        raise InvalidInput(f"unknown most-popular rule {rule!r} (choose from {', '.join(RULES)})")
    setting, by_views = RULES[rule]
    if without_logs(warehouse):
        return imported_most_popular(warehouse, rule)   # no logs: Netflix's published list, if imported
    window = first_days_window(warehouse, method.values[setting])
    result = window_lists(warehouse, window, rank_by="views" if by_views else "hours", where=ORIGINALS)
    return {"rule": rule, "days": window.first_days, "ranked_by": result["rank_by"], "window": result["window"],
            "lists": result["lists"]}


def most_popular_columns(days: int) -> tuple[str, ...]:
    """The most-popular.tsv header for a window of `days` days (published: 91)."""
    return tuple(column.replace("_91_days", f"_{days}_days") for column in MOST_POPULAR_COLUMNS)


def most_popular_rows(warehouse: Warehouse, result: dict[str, Any]) -> Iterable[tuple[str, ...]]:
    """Rows of most-popular.tsv: figures rounded for display by the warehouse's rounding settings."""
    method = warehouse.methodology
    for category in GLOBAL_CATEGORIES:
        for entry in result["lists"][category]:
            yield (category, str(entry["rank"]), clean_text(entry["show_title"]), clean_text(entry["season_title"]),
                   format_number(round_display(entry["hours_viewed"], method.hours_rounding)),
                   format_runtime(entry["runtime_hours"]),
                   format_number(round_display(entry["views"], method.views_rounding)))


def export_most_popular(warehouse: Warehouse, path: str | os.PathLike[str], result: dict[str, Any]) -> int:
    """Write most-popular.tsv in the published layout; returns the number of rows."""
    return write_tsv(path, most_popular_columns(result["days"]), most_popular_rows(warehouse, result),
                     final_newline=FINAL_NEWLINE)


# -- engagement report -----------------------------------------------------------------------

def half_year(text: str) -> tuple[dt.date, dt.date]:
    """'2026H2' -> (2026-07-01, 2026-12-31)."""
    match = HALF_YEAR.fullmatch(text.strip().upper())
    if not match:
        raise InvalidInput(f"{text!r} is not a half year (write it like 2026H1 for January-June or 2026H2 for July-December)")
    year, half = int(match[1]), int(match[2])
    return (dt.date(year, 1, 1), dt.date(year, 6, 30)) if half == 1 else (dt.date(year, 7, 1), dt.date(year, 12, 31))


def shown(value: float | None, step: int) -> int | None:
    """A report figure as displayed: rounded to `step`, and never below one step (the floor bucket)."""
    rounded = round_display(value, step)
    return None if rounded is None else max(step, rounded)


def runtime_text(hours: float | None) -> str | None:
    """Runtime as the engagement report shows it: H:MM, to the nearest minute."""
    if hours is None:
        return None
    minutes = round(hours * 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def engagement_report(warehouse: Warehouse, half: str, *, min_hours: float | None = None,
                      rounding: int | None = None) -> dict[str, Any]:
    """Every title above the hours threshold in a half year, per sheet (TV, Film), sorted by views."""
    method = warehouse.methodology
    period_start, period_end = half_year(half)
    if without_logs(warehouse):
        # No logs: Netflix's published report of that half, if imported.
        return imported_engagement(warehouse, half.strip().upper(), period_start, period_end, min_hours)
    first, last = covered_days(warehouse)
    window = Window(max(period_start, first), min(period_end, last))
    if window.start > window.end:
        raise NotFound(f"no rolled-up days in {half.upper()} (the warehouse covers {first} to {last})")
    threshold = method.engagement_min_hours if min_hours is None else min_hours
    hours_step, views_step = (rounding, rounding) if rounding else (method.hours_rounding, method.views_rounding)
    ranked = [row for row in ranking(warehouse, window, by_views=True, list_size=0) if row["hours_viewed"] > threshold]
    keys = [row["title_key"] for row in ranked]
    titles = {row["title_key"]: row for row in warehouse.rows(ENGAGEMENT_TITLES_SQL, [keys])}
    everywhere = dict(warehouse.execute(AVAILABILITY_SQL, window.parameters).fetchall())
    ranked.sort(key=lambda row: (row["views"] is None, -(row["views"] or 0), -row["hours_viewed"],
                                 titles[row["title_key"]]["title_id"]))
    sheets: dict[str, list[dict[str, Any]]] = {sheet: [] for sheet in SHEETS.values()}
    for row in ranked:
        title = titles[row["title_key"]]
        sheets[SHEETS[title["kind"]]].append({
            "title_id": title["title_id"], "title": title["title"],
            "available_globally": bool(everywhere.get(row["title_key"])), "release_date": title["release_date"],
            "hours_viewed": row["hours_viewed"], "runtime_hours": row["runtime_hours"], "views": row["views"],
            "hours_shown": shown(row["hours_viewed"], hours_step), "runtime_shown": runtime_text(row["runtime_hours"]),
            "views_shown": shown(row["views"], views_step)})
    return {"half": half.strip().upper(), "period": {"from": period_start, "to": period_end},
            "covered": {"from": window.start, "to": window.end,
                        "complete": (window.start, window.end) == (period_start, period_end)},
            "min_hours": threshold, "rounding": {"hours": hours_step, "views": views_step}, "sheets": sheets}


def engagement_rows(report: dict[str, Any]) -> Iterable[tuple[str, ...]]:
    """Rows of the engagement TSV: the sheets' rows as displayed, the sheet first."""
    for sheet, entries in report["sheets"].items():
        for entry in entries:
            yield (sheet, clean_text(entry["title"]), "Yes" if entry["available_globally"] else "No",
                   entry["release_date"].isoformat() if entry["release_date"] else "",
                   format_number(entry["hours_shown"]), entry["runtime_shown"] or "", format_number(entry["views_shown"]))


def export_engagement(report: dict[str, Any], *, xlsx: str | os.PathLike[str] | None = None,
                      tsv: str | os.PathLike[str] | None = None) -> dict[str, int]:
    """Write the report as XLSX (published layout) and/or TSV; returns rows written per file."""
    written = {}
    if xlsx is not None:
        # openpyxl is imported here, not with the module: it was a quarter of every command's start-up
        from ..formats.workbook import write_engagement_workbook
        written[str(xlsx)] = write_engagement_workbook(Path(xlsx), report)
    if tsv is not None:
        written[str(tsv)] = write_tsv(tsv, ENGAGEMENT_TSV_COLUMNS, engagement_rows(report))
    return written
