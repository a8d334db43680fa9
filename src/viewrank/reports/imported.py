"""Most popular and the half-year engagement report as Netflix published them, for a
warehouse that has imported files but no rolled-up viewing: `viewrank most-popular` and
`viewrank engagement` answer from the imported lists and reports, in the shapes of the
computed ones (reports/popular.py), or say exactly which file or data they need."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..charts.weekly import GLOBAL_CATEGORIES
from ..charts.windows import EVENT_FILES_SQL
from ..errors import NotFound
from ..rollup.daily import rolled_up_days
from ..store.warehouse import Warehouse

# Rule -> the basis of the published most-popular list that ranks by it.
RULE_BASIS = {"views91": "first_91_days", "hours28": "first_28_days"}
SHEETS = {"tv": "TV", "film": "Film"}

IMPORTED_MOST_POPULAR_SQL = """
SELECT m.category, m.rank, t.title_key, t.title_id, t.show_title, t.season_number, t.season_title, t.kind,
       m.hours_viewed, m.runtime_hours, m.views, m.source_id, s.path
FROM current_most_popular m JOIN titles t USING (title_key) JOIN import_sources s USING (source_id)
WHERE m.basis = $basis ORDER BY m.category, m.rank
"""
MOST_POPULAR_BASES_SQL = "SELECT DISTINCT basis FROM current_most_popular ORDER BY basis"

IMPORTED_ENGAGEMENT_SQL = """
SELECT coalesce(e.kind, t.kind) AS kind, t.title_id, e.title_english AS title, e.available_globally, e.release_date,
       e.hours_viewed, e.runtime_hours, e.runtime_text, e.views, e.source_id, s.path
FROM current_engagement_rows e JOIN titles t USING (title_key) JOIN import_sources s USING (source_id)
WHERE e.period_start = $start AND e.period_end = $end AND ($min_hours IS NULL OR e.hours_viewed > $min_hours)
ORDER BY e.sheet, e.sheet_row
"""
ENGAGEMENT_HALVES_SQL = "SELECT DISTINCT period_start FROM current_engagement_rows ORDER BY 1"
# The imported weekly lists: per scope, how many weeks, the first and last, and the last week
# ending on or before $end (a chart week ends on its last day).
IMPORTED_WEEKS_SQL = """
SELECT scope, count(DISTINCT week), min(week), max(week), max(week) FILTER (WHERE week <= $end)
FROM current_editions WHERE origin = 'imported' GROUP BY scope ORDER BY scope DESC
"""


def without_logs(warehouse: Warehouse) -> bool:
    """Whether the warehouse has no playback events and no rolled-up days: imported files only."""
    return rolled_up_days(warehouse) is None and not warehouse.scalar(EVENT_FILES_SQL)


def _half(start: dt.date) -> str:
    return f"{start.year}H{1 if start.month <= 6 else 2}"


def imported_only(warehouse: Warehouse, what: str, start: dt.date | None = None, end: dt.date | None = None) -> str:
    """Why `what` (figures over days) cannot be read off a warehouse of imported files only, and
    what it holds instead: weekly lists by week (the week nearest start..end), the engagement
    halves and most-popular lists, each with the command that reads it."""
    held = []
    for scope, count, first, last, before in warehouse.execute(IMPORTED_WEEKS_SQL, {"end": end}).fetchall():
        week = (before or first) if end else last
        weeks = f"the week {first}" if count == 1 else f"{count:,} weeks from {first} to {last}"
        held.append(f"the published {scope} weekly lists of {weeks} "
                    f"('viewrank lists --week {week}{' --country XX' if scope == 'country' else ''}')")
    halves = [_half(found) for (found,) in warehouse.execute(ENGAGEMENT_HALVES_SQL).fetchall()]
    if halves:
        chosen = next((h for h in halves if start and h == _half(start)), halves[-1])
        held.append(f"the engagement reports of {', '.join(halves)} ('viewrank engagement --half {chosen}')")
    if warehouse.scalar("SELECT count(*) FROM current_most_popular"):
        held.append("Netflix's most-popular lists ('viewrank most-popular')")
    return (f"{what} needs daily viewing from playback logs ('viewrank ingest', then 'viewrank rollup'), and this "
            f"warehouse holds only imported files: " + ("; ".join(held) or "none with lists or reports"))


def imported_most_popular(warehouse: Warehouse, rule: str) -> dict[str, Any]:
    """The newest imported most-popular lists ranked by `rule`, shaped as reports.popular.most_popular."""
    basis = RULE_BASIS[rule]
    rows = warehouse.rows(IMPORTED_MOST_POPULAR_SQL, {"basis": basis})
    if not rows:
        bases = [found for (found,) in warehouse.execute(MOST_POPULAR_BASES_SQL).fetchall()]
        have = [name for name, found in RULE_BASIS.items() if found in bases]
        raise NotFound(
            f"most popular by rule {rule} needs playback logs rolled up ('viewrank ingest', 'viewrank rollup') "
            + (f"or an imported most-popular.tsv ranked that way; the imported one ranks by rule {have[0]} "
               f"(use --rule {have[0]})" if have else
               "or Netflix's most-popular.tsv imported ('viewrank import netflix-top10 most-popular.tsv')"))
    days = int(basis.split("_")[1])
    lists: dict[str, list[dict[str, Any]]] = {category: [] for category in GLOBAL_CATEGORIES}
    for row in rows:
        lists.setdefault(row["category"], []).append(
            {key: row[key] for key in ("rank", "title_key", "title_id", "show_title", "season_number", "season_title",
                                       "kind", "hours_viewed", "runtime_hours", "views")})
    return {"rule": rule, "days": days, "ranked_by": "views" if rule == "views91" else "hours",
            "window": {"first_days": days, "imported": True},
            "source": {"kind": "imported", "source_id": rows[0]["source_id"], "path": rows[0]["path"]},
            "lists": lists}


def imported_engagement(warehouse: Warehouse, half: str, start: dt.date, end: dt.date,
                        min_hours: float | None) -> dict[str, Any]:
    """The imported engagement report of a half year, shaped as reports.popular.engagement_report:
    its rows as published (figures already rounded), in published order, TV and Film sheets."""
    rows = warehouse.rows(IMPORTED_ENGAGEMENT_SQL, {"start": start, "end": end, "min_hours": min_hours})
    if not rows:
        halves = [f"{found.year}H{1 if found.month <= 6 else 2}"
                  for (found,) in warehouse.execute(ENGAGEMENT_HALVES_SQL).fetchall()]
        raise NotFound(
            f"the engagement report of {half} needs playback logs rolled up over {start} to {end} "
            f"('viewrank ingest', 'viewrank rollup') or Netflix's report for it imported "
            f"('viewrank import engagement What_We_Watched_..._{start.year}{'Jan-Jun' if start.month == 1 else 'Jul-Dec'}.xlsx')"
            + (f"; imported reports: {', '.join(halves)}" if halves else ""))
    sheets: dict[str, list[dict[str, Any]]] = {sheet: [] for sheet in SHEETS.values()}
    for row in rows:
        sheets[SHEETS[row["kind"]]].append({
            "title_id": row["title_id"], "title": row["title"], "available_globally": bool(row["available_globally"]),
            "release_date": row["release_date"], "hours_viewed": row["hours_viewed"],
            "runtime_hours": row["runtime_hours"], "views": row["views"], "hours_shown": row["hours_viewed"],
            "runtime_shown": row["runtime_text"] if row["runtime_text"] != "*" else None, "views_shown": row["views"]})
    return {"half": half, "period": {"from": start, "to": end},
            "covered": {"from": start, "to": end, "complete": True},
            "min_hours": min_hours or 0, "rounding": {"hours": None, "views": None}, "sheets": sheets,
            "source": {"kind": "imported", "source_id": rows[0]["source_id"], "path": rows[0]["path"]}}
