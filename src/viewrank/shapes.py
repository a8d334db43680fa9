"""The JSON the API and the CLI's --json both print, defined once so the two cannot drift
apart: weeks, a week's global or country lists, a page of titles and a title's facts, each
a function of plain values; and the one conversion to JSON values."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

from .charts.weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES
from .errors import NotFound
from .reports.facts import title_facts
from .store.warehouse import Warehouse
from .web import queries
from .web.params import LATEST, parse_category, parse_date, parse_iso2, slug

TITLE_KEYS = ("title_id", "show_title", "season_number", "season_title", "title", "kind", "year", "tmdb_id", "imdb_id")
COUNTRY_ENTRY_KEYS = ("rank", *TITLE_KEYS, "cumulative_weeks_in_top_10", "streak_weeks", "previous_rank", "movement",
                      "movement_places")
GLOBAL_ENTRY_KEYS = (*COUNTRY_ENTRY_KEYS[:len(TITLE_KEYS) + 1], "hours_viewed", "runtime_hours", "views",
                     *COUNTRY_ENTRY_KEYS[len(TITLE_KEYS) + 1:], "is_staggered_launch")
Editions = dict[dt.date, dict[str, dict[str, Any]]]


def jsonable(value: Any) -> Any:
    """Plain JSON values: ISO dates, and whole numbers as integers (57480000, not 57480000.0)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return int(value)
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


def _entry(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    renamed = {**row, "cumulative_weeks_in_top_10": row["cumulative_weeks"]}
    return {key: renamed[key] for key in keys}


def _lists(rows: list[dict[str, Any]], categories: tuple[str, ...], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    names = [name for name in categories if any(row["category"] == name for row in rows)]
    names += sorted({row["category"] for row in rows} - set(categories))
    return [{"category": name, "category_slug": slug(name),
             "entries": [_entry(row, keys) for row in rows if row["category"] == name]} for name in names]


def week_edition(warehouse: Warehouse, week: str | None, *, scope: str) -> tuple[dt.date, dict[str, Any], Editions]:
    """The week asked for ('YYYY-MM-DD', or 'latest'/None: the latest published week of any
    scope), its edition of `scope`, and all editions. A week without `scope` lists is said to be
    so, never answered with an older week."""
    editions = queries.editions_by_week(warehouse)
    if not editions:
        raise NotFound("no lists have been published yet (run 'viewrank charts' or import published charts)")
    latest = week is None or week == LATEST
    chosen = max(editions) if latest else parse_date(week or "")
    if chosen in editions and scope in editions[chosen]:
        return chosen, editions[chosen][scope], editions
    if chosen in editions:
        what = "country" if scope == "country" else "global"
        weeks = sorted(day for day, scopes in editions.items() if scope in scopes)
        label = f"the latest week ({chosen})" if latest else f"the week ending {chosen}"
        where = f"{what} lists run from {weeks[0]} to {weeks[-1]}" if weeks else f"no {what} lists are published"
        raise NotFound(f"no {what} lists were published for {label}; {where}")
    published = sorted(editions)
    raise NotFound(f"no lists for the week ending {chosen}; published weeks run from {published[0]} to {published[-1]} "
                   f"and are labelled by their last day ({published[-1].strftime('%A')}s)")


def weeks(warehouse: Warehouse) -> dict[str, Any]:
    """Every published week, newest first, with its current global and country editions."""
    editions = queries.editions_by_week(warehouse)
    method = warehouse.methodology
    items = [{"week": week, "start": method.week_start_of(week), "global": scopes.get("global"),
              "countries": scopes.get("country")} for week, scopes in sorted(editions.items(), reverse=True)]
    return {"ok": True, "latest": items[0]["week"] if items else None, "count": len(items), "weeks": items}


def global_lists(warehouse: Warehouse, week: str | None = None, *, category: str | None = None) -> dict[str, Any]:
    """A week's global lists: all four categories, or one (by name or slug)."""
    chosen, edition, editions = week_edition(warehouse, week, scope="global")
    name = parse_category(category, GLOBAL_CATEGORIES) if category else None
    rows = queries.entries(warehouse, editions, chosen, scope="global", category=name)
    return {"ok": True, "week": chosen, "start": warehouse.methodology.week_start_of(chosen), "edition": edition,
            "lists": _lists(rows, (name,) if name else GLOBAL_CATEGORIES, GLOBAL_ENTRY_KEYS)}


def countries_overview(warehouse: Warehouse, week: str | None = None) -> dict[str, Any]:
    """The No. 1 of each category in every country with lists that week."""
    chosen, edition, editions = week_edition(warehouse, week, scope="country")
    countries = [{"iso2": row["iso2"], "name": row["name"],
                  "number_one": {slug(category): row["lists"].get(category) for category in COUNTRY_CATEGORIES}}
                 for row in queries.number_ones(warehouse, editions, chosen)]
    return {"ok": True, "week": chosen, "edition": edition, "count": len(countries), "countries": countries}


def country_lists(warehouse: Warehouse, week: str | None, country: str) -> dict[str, Any]:
    """A country's Films and TV lists of a week (ranks only, as published)."""
    iso2 = parse_iso2(country)
    name = queries.country_name(warehouse, iso2)
    chosen, edition, editions = week_edition(warehouse, week, scope="country")
    rows = queries.entries(warehouse, editions, chosen, scope="country", country=iso2)
    if not rows:
        covered = {row["iso2"]: row for row in queries.chart_countries(warehouse)}.get(iso2)
        last = (f"; its latest lists are of the week ending {covered['last_week']}: "
                f"/api/weeks/{covered['last_week']}/countries/{iso2}") if covered else " (nor in any other week)"
        raise NotFound(f"{name} has no Top 10 lists in the week ending {chosen}{last}")
    return {"ok": True, "week": chosen, "country": {"iso2": iso2, "name": name}, "edition": edition,
            "lists": _lists(rows, COUNTRY_CATEGORIES, COUNTRY_ENTRY_KEYS)}


def titles_page(warehouse: Warehouse, query: str = "", *, page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """Titles whose name contains `query` (all when empty), best match first, a page at a time."""
    items, total = queries.search_titles(warehouse, query, page=page, per_page=per_page)
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        raise NotFound(f"page {page:,} is past the last page ({pages:,}) of {total:,} titles")

    def link(number: int) -> str:
        return "/api/titles?" + urlencode({key: value for key, value in
                                           (("q", query), ("page", number), ("per_page", per_page)) if value})

    return {"ok": True, "query": query, "page": page, "per_page": per_page, "total": total, "pages": pages,
            "previous": link(page - 1) if page > 1 else None, "next": link(page + 1) if page < pages else None,
            "items": [{key: row[key] for key in (*TITLE_KEYS, "original_language", "release_date", "weeks_in_top_10",
                                                 "peak_rank")} for row in items]}


def facts(warehouse: Warehouse, title: str) -> dict[str, Any]:
    """A title's facts (by id, season title or film name): first week, debut, countries, weeks, peak."""
    return {"ok": True, "facts": title_facts(warehouse, title)}
