"""Facts about one title, the numbers of a press story: its first week, its debut on the
lists, the countries whose Top 10 it reached (first week, peak, No. 1s, weeks in each), weeks
in the Top 10 and peak rank, and its release date and half-year figures from engagement reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..catalog import RUNTIME_AS_OF_SQL, display_name
from ..errors import InvalidInput, NotFound
from ..rollup.daily import rolled_up_days
from ..store.warehouse import Warehouse
from .history import country_lists, title_country_rows, title_engagement, title_history

TITLE_COLUMNS = ("title_key, title_id, show_title, season_number, season_title, kind, original_language, "
                 "is_original, release_date, source")

FIND_TITLE_SQL = f"""
SELECT {TITLE_COLUMNS}
FROM titles
WHERE title_id = $query OR lower(season_title) = lower($query)
   OR (lower(show_title) = lower($query) AND (season_title IS NULL OR kind = 'film'))
ORDER BY release_date NULLS LAST, title_id
"""

FALLBACK_FIND_SQL = f"""
SELECT {TITLE_COLUMNS}
FROM titles WHERE lower(show_title) = lower($query) ORDER BY release_date NULLS LAST, title_id
"""


def find_title(warehouse: Warehouse, query: str) -> dict[str, Any]:
    """The one title a name or id denotes; namesakes make it ambiguous rather than merged."""
    matches = warehouse.rows(FIND_TITLE_SQL, {"query": query}) or warehouse.rows(FALLBACK_FIND_SQL, {"query": query})
    if not matches:
        raise NotFound(f"no title named {query!r} (try 'viewrank titles --search')")
    if len(matches) > 1:
        choices = "; ".join(f"{m['title_id']} = {display_name(m['show_title'], m['season_title'])} "
                            f"({m['kind']}, {m['release_date'] or 'release date unknown'})" for m in matches)
        raise InvalidInput(f"{query!r} names {len(matches)} titles, give its title id: {choices}")
    return matches[0]


def title_facts(warehouse: Warehouse, query: str) -> dict[str, Any]:
    """Everything `viewrank facts` reports about a title, as plain data."""
    return facts_of(warehouse, find_title(warehouse, query))


def facts_of(warehouse: Warehouse, title: dict[str, Any],
             history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The facts of a title already found (a row of find_title) and, when the caller has read
    it, its history (reports.history), so neither is read twice. Global lists, country lists
    and engagement reports together: a title that charted only in countries has country facts."""
    key = title["title_key"]
    if history is None:
        history = title_history(warehouse, key)
    country_rows = title_country_rows(warehouse, key)
    engagement = [_half_year(row, title["kind"]) for row in title_engagement(warehouse, key)]
    release_date, release_source = _release(title, engagement)
    facts: dict[str, Any] = {
        "title_id": title["title_id"], "title": display_name(title["show_title"], title["season_title"]),
        "show_title": title["show_title"], "kind": title["kind"], "release_date": release_date,
        "release_date_source": release_source,
        "weeks_in_top_10": len(history),
        "peak_rank": min((h["rank"] for h in history), default=None),
        "weeks_at_peak": sum(1 for h in history if h["rank"] == min(x["rank"] for x in history)) if history else 0,
        "history": [{"week": h["week"], "category": h["category"], "rank": h["rank"],
                     "hours_viewed": h["hours_viewed"], "views": h["views"]} for h in history],
    }
    debut = history[0] if history else None
    facts["debut"] = None if debut is None else {
        "week": debut["week"], "category": debut["category"], "rank": debut["rank"],
        "hours_viewed": debut["hours_viewed"], "views": debut["views"], "edition_id": debut["edition_id"],
        "origin": debut["origin"], "revision": debut["revision"]}
    listed = [week for week in (debut and debut["week"], country_rows[0]["week"] if country_rows else None) if week]
    first_listed = min(listed, default=None)
    facts["first_listed"] = None if first_listed is None else {
        "week": first_listed, "list": "global" if debut and debut["week"] == first_listed else "country"}
    facts["first_week"] = _first_week(warehouse, title, release_date, debut, first_listed)
    by_week = _country_weeks(warehouse, country_rows)
    facts["countries"] = next((week for week in by_week if week["week"] == first_listed), None)
    facts["countries_peak"] = _peak(by_week)
    facts["number_one"] = _number_one(by_week)
    facts["country_weeks"] = _weeks_by_country(country_rows)
    facts["engagement"] = engagement
    return facts


def _half_year(row: dict[str, Any], kind: str) -> dict[str, Any]:
    """One engagement report row as a fact with its source (report, sheet, row, and whether it
    is listed among TV or films: the sheet's kind, else the title's)."""
    return {"period_start": row["period_start"], "period_end": row["period_end"],
            "hours_viewed": row["hours_viewed"], "views": row["views"], "runtime_hours": row["runtime_hours"],
            "release_date": row["release_date"], "available_globally": row["available_globally"],
            "source": {"kind": "engagement", "source_id": row["source_id"], "period_start": row["period_start"],
                       "period_end": row["period_end"], "sheet": row["sheet"], "sheet_row": row["sheet_row"],
                       "title": row["title"], "sheet_kind": row["kind"] or kind}}


def _release(title: dict[str, Any], engagement: list[dict[str, Any]]) -> tuple[Any, dict[str, Any] | None]:
    """The release date: the catalog's, else the earliest an engagement report gives, with its source."""
    if title["release_date"] is not None:
        return title["release_date"], {"kind": "catalog", "source": title["source"]}
    dated = [row for row in engagement if row["release_date"] is not None]
    if not dated:
        return None, None
    first = min(dated, key=lambda row: (row["release_date"], row["period_start"]))
    return first["release_date"], first["source"]


def _first_week(warehouse: Warehouse, title: dict[str, Any], premiere: dt.date | None, debut: dict[str, Any] | None,
                first_listed: dt.date | None) -> dict[str, Any] | None:
    """Premiere to the end of its chart week: from rollups when there are events, else from the
    edition of that week (imported charts carry no events). Without a release date the first
    week is the first on any list, global or country."""
    method = warehouse.methodology
    if premiere is None:
        if first_listed is None:
            return None
        premiere = method.week_start_of(first_listed)
    week = method.week_end(premiere)
    window = {"start": premiere, "end": week, "days": (week - premiere).days + 1, "week": week}
    covered = rolled_up_days(warehouse)
    if covered is not None and covered[0] <= premiere and week <= covered[1]:
        seconds = warehouse.scalar(
            "SELECT coalesce(sum(seconds), 0) FROM daily_rollup WHERE title_key = ? AND day BETWEEN ? AND ?",
            [title["title_key"], premiere, week])
        runtime = warehouse.scalar(f"SELECT runtime_seconds FROM ({RUNTIME_AS_OF_SQL}) WHERE title_key = $key",
                                   {"as_of": week, "key": title["title_key"]})
        return {**window, "hours_viewed": seconds / 3600, "views": seconds / runtime if runtime else None,
                "source": "rollups"}
    if debut is not None and debut["week"] == week:
        return {**window, "hours_viewed": debut["hours_viewed"], "views": debut["views"],
                "source": f"edition {debut['edition_id']}"}
    return {**window, "hours_viewed": None, "views": None, "source": None}


def _country_weeks(warehouse: Warehouse, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every week the title was on a country list: how many countries of how many lists, its
    No. 1 countries and rank in each, and the edition."""
    weeks: dict[dt.date, list[dict[str, Any]]] = {}
    for row in rows:
        weeks.setdefault(row["week"], []).append(row)
    lists = country_lists(warehouse, list(weeks))
    return [{"week": week, "count": len({row["iso2"] for row in found}), "of": lists.get(week, 0),
             "number_one": [row["name"] for row in found if row["rank"] == 1],
             "ranks": {row["name"]: row["rank"] for row in found},
             "edition_id": found[0]["edition_id"], "revision": found[0]["revision"], "origin": found[0]["origin"]}
            for week, found in weeks.items()]


def _peak(by_week: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most countries in one week (the first such week) and how many weeks reached it."""
    if not by_week:
        return None
    most = max(by_week, key=lambda week: week["count"])
    return {"week": most["week"], "count": most["count"], "of": most["of"],
            "weeks": sum(1 for week in by_week if week["count"] == most["count"]), "edition_id": most["edition_id"]}


def _number_one(by_week: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most countries where it was No. 1 in one week (the first such week, named), how many
    weeks reached that many, and in how many weeks it was No. 1 anywhere."""
    ones = [week for week in by_week if week["number_one"]]
    if not ones:
        return None
    most = max(ones, key=lambda week: len(week["number_one"]))
    count = len(most["number_one"])
    return {"week": most["week"], "count": count, "countries": most["number_one"], "edition_id": most["edition_id"],
            "weeks_at_most": sum(1 for week in ones if len(week["number_one"]) == count), "weeks": len(ones)}


def _weeks_by_country(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Weeks on each country's list, best rank and weeks at No. 1: most weeks first."""
    countries: dict[str, dict[str, Any]] = {}
    for row in rows:
        found = countries.setdefault(row["iso2"], {"iso2": row["iso2"], "name": row["name"], "weeks": 0,
                                                   "best_rank": row["rank"], "weeks_at_number_one": 0,
                                                   "first_week": row["week"], "last_week": row["week"]})
        found["weeks"] += 1
        found["best_rank"] = min(found["best_rank"], row["rank"])
        found["weeks_at_number_one"] += row["rank"] == 1
        found["last_week"] = row["week"]
    return sorted(countries.values(), key=lambda found: (-found["weeks"], found["best_rank"], found["name"]))
