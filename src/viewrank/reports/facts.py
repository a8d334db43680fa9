"""Facts about one title, the numbers of a press story: its first week, its debut on the
lists, the countries whose Top 10 it reached, weeks in the Top 10 and peak rank."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..catalog import RUNTIME_AS_OF_SQL, display_name
from ..errors import InvalidInput, NotFound
from ..rollup.daily import rolled_up_days
from ..store.warehouse import Warehouse
from .history import title_history

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
    it, its history (reports.history), so neither is read twice."""
    key = title["title_key"]
    if history is None:
        history = title_history(warehouse, key)
    facts: dict[str, Any] = {
        "title_id": title["title_id"], "title": display_name(title["show_title"], title["season_title"]),
        "show_title": title["show_title"], "kind": title["kind"], "release_date": title["release_date"],
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
    facts["first_week"] = _first_week(warehouse, title, debut)
    facts["countries"] = _countries(warehouse, key, debut["week"]) if debut else None
    return facts


def _first_week(warehouse: Warehouse, title: dict[str, Any], debut: dict[str, Any] | None) -> dict[str, Any] | None:
    """Premiere to the end of its chart week: from rollups when there are events, else from the
    edition of that week (imported charts carry no events)."""
    method = warehouse.methodology
    premiere: dt.date | None = title["release_date"]
    if premiere is None:
        if debut is None:
            return None
        premiere = method.week_start_of(debut["week"])
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


def _countries(warehouse: Warehouse, title_key: int, week: dt.date) -> dict[str, Any]:
    rows = warehouse.rows(
        """SELECT c.country AS iso2, n.name, c.category, c.rank
           FROM current_entries c JOIN countries n ON n.iso2 = c.country
           WHERE c.scope = 'country' AND c.week = ? AND c.title_key = ? ORDER BY c.rank, n.name""",
        [week, title_key])
    lists = warehouse.scalar(
        "SELECT count(DISTINCT country) FROM current_entries WHERE scope = 'country' AND week = ?", [week])
    return {"week": week, "count": len(rows), "of": lists, "number_one": [r["name"] for r in rows if r["rank"] == 1],
            "ranks": {r["name"]: r["rank"] for r in rows}}
