"""A press fact sheet for one title: every figure a story needs, each with where it came from.

Built on facts.title_facts (first week, debut, countries, weeks in the Top 10) and adds:
the chart edition behind every list figure (edition id, revision, week), the rollup window
behind every viewing figure, the first 28 and 91 days (only once they are all rolled up),
the title's place among all titles of its category over the same days (rank and
percentile), and the other seasons of the same show for a season-over-season comparison.
`factsheet()` is the function the CLI and the web site call; cli/render.py prints it as Markdown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..catalog import display_name
from ..charts.specialty import title_filter
from ..charts.windows import Window, first_days_window, ranking
from ..rollup.daily import rolled_up_days
from ..store.warehouse import Warehouse
from .facts import TITLE_COLUMNS, facts_of, find_title
from .history import title_history
from .lede import lede, window_label

FIGURE_DAYS = (28, 91)
NAMED_COUNTRIES = 5  # more No. 1 countries than this are counted, not named

COUNTRY_WEEKS_SQL = """
SELECT week, edition_id, revision, origin, count(*) AS countries,
       list(n.name ORDER BY n.name) FILTER (WHERE c.rank = 1) AS number_one
FROM current_entries c JOIN countries n ON n.iso2 = c.country
WHERE c.scope = 'country' AND c.title_key = ?
GROUP BY ALL ORDER BY week
"""
SEASONS_SQL = f"""
SELECT {TITLE_COLUMNS} FROM titles
WHERE kind = 'tv' AND lower(show_title) = lower(?) AND title_id <> ?
ORDER BY season_number NULLS LAST, release_date NULLS LAST, title_id
"""


def factsheet(warehouse: Warehouse, query: str) -> dict[str, Any]:
    """The fact sheet of the title a name or id denotes, as plain data (JSON-ready but for dates)."""
    title = find_title(warehouse, query)
    weeks = title_history(warehouse, title["title_key"])
    facts = facts_of(warehouse, title, weeks)
    title = title | {"release_date": facts["release_date"]}   # the catalog's, else an engagement report's
    sheet: dict[str, Any] = {
        "title": {key: title[key] for key in ("title_id", "show_title", "season_number", "season_title", "kind",
                                              "original_language", "is_original", "release_date")}
        | {"name": display_name(title["show_title"], title["season_title"])},
        "first_weekend": _first_weekend(warehouse, title, facts),
        "debut": None if facts["debut"] is None else
        {key: facts["debut"][key] for key in ("week", "category", "rank", "hours_viewed", "views")}
        | {"source": _edition(facts["debut"], "global")},
        "weeks_in_top_10": facts["weeks_in_top_10"], "peak_rank": facts["peak_rank"],
        "weeks_at_peak": facts["weeks_at_peak"],
        "weeks": [{key: week[key] for key in ("week", "category", "rank", "hours_viewed", "views", "cumulative_weeks")}
                  | {"source": _edition(week, "global")} for week in weeks],
        "countries": _countries(warehouse, title["title_key"], facts),
        "release_date_source": facts["release_date_source"],
        "countries_peak": facts["countries_peak"], "number_one": facts["number_one"],
        "country_weeks": facts["country_weeks"], "engagement": facts["engagement"],
    }
    for days in FIGURE_DAYS:
        sheet[f"first_{days}_days"] = _first_days(warehouse, title, days)
    sheet["seasons"] = _seasons(warehouse, title) if title["kind"] == "tv" else []
    sheet["lede"] = lede(sheet)
    return sheet


def _edition(row: dict[str, Any], scope: str) -> dict[str, Any]:
    return {"kind": "edition", "scope": scope, "edition_id": row["edition_id"], "revision": row["revision"],
            "week": row["week"], "origin": row["origin"]}


def _rollups(start: dt.date, end: dt.date) -> dict[str, Any]:
    return {"kind": "rollups", "from": start, "to": end}


def _place(warehouse: Warehouse, title_key: int, start: dt.date, end: dt.date) -> dict[str, Any] | None:
    """The title's rank among all titles of its category over the same days, and its percentile
    (the share of the others it outranks: 100 for No. 1, 0 for the last)."""
    rows = ranking(warehouse, Window(start, end), list_size=0)
    mine = next((row for row in rows if row["title_key"] == title_key), None)
    if mine is None:
        return None
    of = sum(1 for row in rows if row["category"] == mine["category"])
    return {"rank": mine["rank"], "of": of, "category": mine["category"],
            "percentile": 100.0 if of == 1 else round(100 * (of - mine["rank"]) / (of - 1), 1)}


def _first_weekend(warehouse: Warehouse, title: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any] | None:
    first = facts["first_week"]
    if first is None:
        return None
    figures = {key: first[key] for key in ("start", "end", "days", "week", "hours_viewed", "views")}
    figures["label"] = window_label(first["days"], first["end"], first["week"])
    if first["source"] == "rollups":
        return figures | {"source": _rollups(first["start"], first["end"]),
                          "place": _place(warehouse, title["title_key"], first["start"], first["end"])}
    debut = facts["debut"]
    if first["source"] is not None and debut is not None:   # from the debut edition: imported charts
        return figures | {"source": _edition(debut, "global"), "place": None}
    return figures | {"source": None, "place": None}


def _first_days(warehouse: Warehouse, title: dict[str, Any], days: int) -> dict[str, Any]:
    """Hours and views over the title's first `days` days, only when every one of them is rolled up."""
    premiere: dt.date | None = title["release_date"]
    if premiere is None:
        return {"days": days, "complete": False, "reason": "the title has no release date"}
    end = premiere + dt.timedelta(days=days - 1)
    covered = rolled_up_days(warehouse)
    if covered is None or premiere < covered[0] or end > covered[1]:
        return {"days": days, "from": premiere, "to": end, "complete": False,
                "reason": "nothing is rolled up" if covered is None else f"the rollups cover {covered[0]} to {covered[1]}"}
    rows = ranking(warehouse, first_days_window(warehouse, days), where=title_filter(title["title_key"]))
    row = rows[0] if rows else {"hours_viewed": 0.0, "views": 0.0, "runtime_hours": None}
    return {"days": days, "from": premiere, "to": end, "complete": True, "hours_viewed": row["hours_viewed"],
            "runtime_hours": row["runtime_hours"], "views": row["views"], "source": _rollups(premiere, end),
            "place": _place(warehouse, title["title_key"], premiere, end)}


def _countries(warehouse: Warehouse, title_key: int, facts: dict[str, Any]) -> dict[str, Any] | None:
    """The debut week's countries (from facts) and the countries count of every week, with editions."""
    by_week = [{"week": row["week"], "count": row["countries"], "number_one": row["number_one"] or [],
                "source": _edition(row, "country")} for row in warehouse.rows(COUNTRY_WEEKS_SQL, [title_key])]
    debut = facts["countries"]
    if debut is None and not by_week:
        return None
    debut_source = next((week["source"] for week in by_week if debut and week["week"] == debut["week"]), None)
    first = None if debut is None else {key: debut[key] for key in ("week", "count", "of", "number_one", "ranks")}
    return {"debut_week": None if first is None else first | {"source": debut_source},
            "most": max(by_week, key=lambda week: week["count"], default=None),   # the first such week
            "by_week": by_week}


def _seasons(warehouse: Warehouse, title: dict[str, Any]) -> list[dict[str, Any]]:
    """The show's other seasons with their first-week, debut and first-28-day figures."""
    seasons = []
    for other in warehouse.rows(SEASONS_SQL, [title["show_title"], title["title_id"]]):
        title_id = other["title_id"]
        facts = facts_of(warehouse, other)
        other = other | {"release_date": facts["release_date"]}
        weekend = _first_weekend(warehouse, other, facts)
        seasons.append({
            "title_id": title_id, "name": display_name(other["show_title"], other["season_title"]),
            "season_number": other["season_number"], "release_date": other["release_date"],
            "first_weekend": None if weekend is None else {key: weekend[key] for key in
                                                           ("start", "end", "days", "label", "hours_viewed", "views",
                                                            "source")},
            "debut": None if facts["debut"] is None else
            {key: facts["debut"][key] for key in ("week", "category", "rank")} | {"source": _edition(facts["debut"], "global")},
            "weeks_in_top_10": facts["weeks_in_top_10"],
            "first_28_days": _first_days(warehouse, other, 28) | {"place": None}})
    return seasons
