"""The JSON API under /api: one route table that makes both the routes and the OpenAPI 3.1 document."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..charts.weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES
from ..errors import NotFound
from ..reports.facts import title_facts
from ..reports.factsheet import factsheet
from ..store.warehouse import Warehouse
from . import queries, reports
from .http import JSON_MEDIA_TYPE, SHORT_MAX_AGE, WEEK_MAX_AGE, cache_key, cached, json_bytes
from .openapi import Endpoint, openapi_document, samples
from .params import (
    LATEST,
    parse_category,
    parse_iso2,
    parse_page,
    parse_per_page,
    parse_query,
    resolve_title_week,
    parse_date,
    slug,
)

GLOBAL_ENTRY_KEYS = ("rank", "title_id", "show_title", "season_title", "title", "kind", "hours_viewed",
                     "runtime_hours", "views", "cumulative_weeks_in_top_10", "streak_weeks", "is_staggered_launch",
                     "previous_rank", "movement", "movement_places")
COUNTRY_ENTRY_KEYS = ("rank", "title_id", "show_title", "season_title", "title", "kind",
                      "cumulative_weeks_in_top_10", "streak_weeks", "previous_rank", "movement", "movement_places")
def _entry(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    renamed = {**row, "cumulative_weeks_in_top_10": row["cumulative_weeks"]}
    return {key: renamed[key] for key in keys}


def _week(warehouse: Warehouse, request: Request, *,
          scope: str) -> tuple[dt.date, dict[str, Any], dict[dt.date, dict[str, dict[str, Any]]]]:
    """The week named in the path, that week's edition of `scope`, and all editions. `latest` is
    the latest published week of any scope: a week without `scope` lists is said to be so, never
    answered with an older week."""
    editions = queries.editions_by_week(warehouse)
    weeks = sorted(week for week, scopes in editions.items() if scope in scopes)
    text = request.path_params["week"]
    if not editions:
        raise NotFound("no lists have been published yet (run 'viewrank charts' or import published charts)")
    week = max(editions) if text == LATEST else parse_date(text)
    if week in editions and scope in editions[week]:
        return week, editions[week][scope], editions
    what = "country" if scope == "country" else "global"
    if week in editions:
        label = f"the latest week ({week})" if text == LATEST else f"the week of {week}"
        where = f"{what} lists run from {weeks[0]} to {weeks[-1]}" if weeks else f"no {what} lists are published"
        raise NotFound(f"no {what} lists were published for {label}; {where}")
    published = sorted(editions)
    raise NotFound(f"no lists for the week of {week}; published weeks run from {published[0]} to {published[-1]} "
                   f"and are labelled by their last day ({published[-1].strftime('%A')}s)")


def _lists(rows: list[dict[str, Any]], categories: tuple[str, ...], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    names = [name for name in categories if any(row["category"] == name for row in rows)]
    names += sorted({row["category"] for row in rows} - set(categories))
    return [{"category": name, "category_slug": slug(name),
             "entries": [_entry(row, keys) for row in rows if row["category"] == name]} for name in names]


def weeks(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """Every published week, newest first, with its current global and country editions."""
    editions = queries.editions_by_week(warehouse)
    method = warehouse.methodology
    items = [{"week": week, "start": method.week_start_of(week), "global": scopes.get("global"),
              "countries": scopes.get("country")} for week, scopes in sorted(editions.items(), reverse=True)]
    return {"ok": True, "latest": items[0]["week"] if items else None, "count": len(items), "weeks": items}


def global_lists(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """A week's global lists: all four categories, or ?category= one of them."""
    week, edition, editions = _week(warehouse, request, scope="global")
    text = request.query_params.get("category")
    category = parse_category(text, GLOBAL_CATEGORIES) if text else None
    rows = queries.entries(warehouse, editions, week, scope="global", category=category)
    categories = (category,) if category else GLOBAL_CATEGORIES
    return {"ok": True, "week": week, "start": warehouse.methodology.week_start_of(week), "edition": edition,
            "lists": _lists(rows, categories, GLOBAL_ENTRY_KEYS)}


def countries_overview(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """The No. 1 of each category in every country with lists that week."""
    week, edition, editions = _week(warehouse, request, scope="country")
    countries = [{"iso2": row["iso2"], "name": row["name"],
                  "number_one": {slug(category): row["lists"].get(category) for category in COUNTRY_CATEGORIES}}
                 for row in queries.number_ones(warehouse, editions, week)]
    return {"ok": True, "week": week, "edition": edition, "count": len(countries), "countries": countries}


def country_lists(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """A country's Films and TV lists of a week (ranks only, as published)."""
    iso2 = parse_iso2(request.path_params["iso2"])
    name = queries.country_name(warehouse, iso2)
    week, edition, editions = _week(warehouse, request, scope="country")
    rows = queries.entries(warehouse, editions, week, scope="country", country=iso2)
    if not rows:
        covered = {row["iso2"]: row for row in queries.chart_countries(warehouse)}.get(iso2)
        last = (f"; its latest lists are of the week of {covered['last_week']}: "
                f"/api/weeks/{covered['last_week']}/countries/{iso2}") if covered else " (nor in any other week)"
        raise NotFound(f"{name} has no Top 10 lists in the week of {week}{last}")
    return {"ok": True, "week": week, "country": {"iso2": iso2, "name": name}, "edition": edition,
            "lists": _lists(rows, COUNTRY_CATEGORIES, COUNTRY_ENTRY_KEYS)}


def titles(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """Titles whose name contains ?q= (all when empty), a page at a time."""
    query = parse_query(request.query_params.get("q"))
    page = parse_page(request.query_params.get("page"))
    per_page = parse_per_page(request.query_params.get("per_page"))
    items, total = queries.search_titles(warehouse, query, page=page, per_page=per_page)
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        raise NotFound(f"page {page:,} is past the last page ({pages:,}) of {total:,} titles")

    def link(number: int) -> str:
        return "/api/titles?" + urlencode({key: value for key, value in
                                           (("q", query), ("page", number), ("per_page", per_page)) if value})

    return {"ok": True, "query": query, "page": page, "per_page": per_page, "total": total, "pages": pages,
            "previous": link(page - 1) if page > 1 else None, "next": link(page + 1) if page < pages else None,
            "items": items}


def title(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """A title with its facts, its weeks on the global lists and its countries in one week."""
    found = queries.title(warehouse, request.path_params["title_id"])
    history = queries.title_history(warehouse, found["title_key"])
    country_weeks = queries.title_country_weeks(warehouse, found["title_key"])
    chosen = resolve_title_week(found["title"], request.query_params.get("week"), [row["week"] for row in country_weeks])
    catalog = {key: value for key, value in found.items() if key != "title_key"}
    return {"ok": True, "title": catalog, "facts": title_facts(warehouse, found["title_id"]),
            "history": history,
            "country_weeks": country_weeks, "countries_week": chosen,
            "countries": queries.title_countries(warehouse, found["title_key"], chosen) if chosen else []}


def title_factsheet(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """A title's press fact sheet: every figure with the edition or rollup window it came from."""
    found = queries.title(warehouse, request.path_params["title_id"])
    return {"ok": True, "factsheet": factsheet(warehouse, found["title_id"])}


def countries(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """The countries that have lists, with the weeks they cover."""
    found = queries.chart_countries(warehouse)
    return {"ok": True, "count": len(found), "countries": found}


def report(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """A report table (most popular, engagement), searchable, sortable and paginated."""
    found = reports.find(warehouse, request.path_params["report"])
    query = parse_query(request.query_params.get("q"))
    result = reports.rows(warehouse, found, query=query, sort=request.query_params.get("sort"),
                          page=parse_page(request.query_params.get("page")),
                          per_page=parse_per_page(request.query_params.get("per_page")))
    return {"ok": True, "report": found.slug, "query": query, **result}


def available_reports(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """The report tables this warehouse has."""
    return {"ok": True, "reports": [{"slug": found.slug, "label": found.label, "path": f"/api/reports/{found.slug}",
                                     "columns": found.shown_columns} for found in reports.available(warehouse)]}


ENDPOINTS = (
    Endpoint("/api/weeks", weeks, "Published weeks with their current editions", (), "Weeks"),
    Endpoint("/api/weeks/{week}/global", global_lists, "The global lists of a week", ("week", "category"),
             "GlobalLists", (("week", "week"), ("category", "category"))),
    Endpoint("/api/weeks/{week}/countries", countries_overview, "No. 1 in every country in a week", ("week",),
             "CountriesOverview", (("week", "country_week"),)),
    Endpoint("/api/weeks/{week}/countries/{iso2}", country_lists, "A country's lists of a week", ("week", "iso2"),
             "CountryLists", (("week", "country_week"), ("iso2", "iso2"))),
    Endpoint("/api/titles", titles, "Search titles (paginated)", ("q", "page", "per_page"), "TitlesPage",
             (("q", "query"), ("per_page", "per_page"))),
    Endpoint("/api/titles/{title_id}", title, "A title's facts, history and countries", ("title_id", "title_week"),
             "Title", (("title_id", "title_id"),)),
    Endpoint("/api/titles/{title_id}/factsheet", title_factsheet,
             "A title's press fact sheet, every figure with its source", ("title_id",), "FactSheet",
             (("title_id", "title_id"),)),
    Endpoint("/api/countries", countries, "Countries with lists", (), "Countries"),
    Endpoint("/api/reports", available_reports, "Report tables in this warehouse", (), "Reports"),
    Endpoint("/api/reports/{report}", report, "One report table (most popular, engagement)",
             ("report", "q", "sort", "page", "per_page"), "ReportPage", (("report", "report"), ("per_page", "per_page"))),
)


def max_age(request: Request) -> int:
    """A named week's data is cached long; 'latest' and everything else briefly."""
    week = request.path_params.get("week")
    return WEEK_MAX_AGE if week and week != LATEST else SHORT_MAX_AGE


def _handler(endpoint: Endpoint) -> Callable[[Request], Response]:
    def handle(request: Request) -> Response:
        body = request.app.state.reader.read(cache_key(request),
                                             lambda warehouse: json_bytes(endpoint.build(warehouse, request)))
        return cached(request, body, JSON_MEDIA_TYPE, max_age=max_age(request))
    handle.__name__ = endpoint.name
    handle.__doc__ = endpoint.build.__doc__
    return handle


def openapi(request: Request) -> Response:
    """The OpenAPI 3.1 description of this API, its examples taken from this warehouse."""
    body = request.app.state.reader.read(cache_key(request), lambda warehouse: json_bytes(
        openapi_document(ENDPOINTS, samples(warehouse))))
    return cached(request, body, JSON_MEDIA_TYPE, max_age=SHORT_MAX_AGE)


def routes() -> list[Route]:
    return [Route("/api/openapi.json", openapi)] + [
        Route(endpoint.path, _handler(endpoint), name=f"api_{endpoint.name}") for endpoint in ENDPOINTS]
