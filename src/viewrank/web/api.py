"""The JSON API under /api: one route table that makes both the routes and the OpenAPI 3.1 document."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from importlib.metadata import version
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
from .params import (
    LATEST,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY_LENGTH,
    parse_category,
    parse_iso2,
    parse_page,
    parse_per_page,
    parse_query,
    resolve_title_week,
    resolve_week,
    slug,
)

GLOBAL_ENTRY_KEYS = ("rank", "title_id", "show_title", "season_title", "title", "kind", "hours_viewed",
                     "runtime_hours", "views", "cumulative_weeks_in_top_10", "streak_weeks", "is_staggered_launch",
                     "previous_rank", "movement", "movement_places")
COUNTRY_ENTRY_KEYS = ("rank", "title_id", "show_title", "season_title", "title", "kind",
                      "cumulative_weeks_in_top_10", "streak_weeks", "previous_rank", "movement", "movement_places")
Builder = Callable[[Warehouse, Request], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    """One GET endpoint: its path, what builds its body, and what the OpenAPI document says of it."""

    path: str
    build: Builder
    summary: str
    parameters: tuple[str, ...]
    schema: str


def _entry(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    renamed = {**row, "cumulative_weeks_in_top_10": row["cumulative_weeks"]}
    return {key: renamed[key] for key in keys}


def _week(warehouse: Warehouse, request: Request, *,
          scope: str) -> tuple[dt.date, dict[str, Any], dict[dt.date, dict[str, dict[str, Any]]]]:
    """The week named in the path (or latest) that has an edition of `scope`, that edition, and all editions."""
    editions = queries.editions_by_week(warehouse)
    weeks = sorted(week for week, scopes in editions.items() if scope in scopes)
    week = resolve_week(request.path_params["week"], weeks)
    return week, editions[week][scope], editions


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
        raise NotFound(f"{name} has no Top 10 lists in the week of {week}")
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
             "GlobalLists"),
    Endpoint("/api/weeks/{week}/countries", countries_overview, "No. 1 in every country in a week", ("week",),
             "CountriesOverview"),
    Endpoint("/api/weeks/{week}/countries/{iso2}", country_lists, "A country's lists of a week", ("week", "iso2"),
             "CountryLists"),
    Endpoint("/api/titles", titles, "Search titles (paginated)", ("q", "page", "per_page"), "TitlesPage"),
    Endpoint("/api/titles/{title_id}", title, "A title's facts, history and countries", ("title_id", "title_week"),
             "Title"),
    Endpoint("/api/titles/{title_id}/factsheet", title_factsheet,
             "A title's press fact sheet, every figure with its source", ("title_id",), "FactSheet"),
    Endpoint("/api/countries", countries, "Countries with lists", (), "Countries"),
    Endpoint("/api/reports", available_reports, "Report tables in this warehouse", (), "Reports"),
    Endpoint("/api/reports/{report}", report, "One report table (most popular, engagement)",
             ("report", "q", "sort", "page", "per_page"), "ReportPage"),
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
    handle.__name__ = endpoint.build.__name__
    handle.__doc__ = endpoint.build.__doc__
    return handle


def openapi(request: Request) -> Response:
    """The OpenAPI 3.1 description of this API."""
    return cached(request, json_bytes(openapi_document()), JSON_MEDIA_TYPE, max_age=SHORT_MAX_AGE)


def routes() -> list[Route]:
    return [Route("/api/openapi.json", openapi)] + [
        Route(endpoint.path, _handler(endpoint), name=f"api_{endpoint.build.__name__}") for endpoint in ENDPOINTS]


# -- the OpenAPI document -----------------------------------------------------------------

def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: tuple[str, ...] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required or properties)}


DATE = {"type": "string", "format": "date"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
TEXT, NULLABLE_TEXT = {"type": "string"}, {"type": ["string", "null"]}
INTEGER, NULLABLE_INTEGER = {"type": "integer"}, {"type": ["integer", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
MOVEMENT = {"type": "string", "enum": ["new", "re_entry", "up", "down", "same", "unknown"],
            "description": "unknown: the week before is not in this warehouse, so no change can be told"}

PARAMETERS: dict[str, dict[str, Any]] = {
    "week": {"name": "week", "in": "path", "required": True,
             "description": "The week's last day (YYYY-MM-DD) or `latest`.",
             "schema": {"type": "string", "pattern": r"^(latest|\d{4}-\d{2}-\d{2})$"}},
    "category": {"name": "category", "in": "query", "required": False, "description": "Only this list.",
                 "schema": {"type": "string", "enum": [slug(category) for category in GLOBAL_CATEGORIES]}},
    "iso2": {"name": "iso2", "in": "path", "required": True, "description": "ISO 3166-1 alpha-2 country code.",
             "schema": {"type": "string", "pattern": "^[A-Za-z]{2}$"}},
    "q": {"name": "q", "in": "query", "required": False, "description": "Text the name contains.",
          "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH}},
    "page": {"name": "page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    "per_page": {"name": "per_page", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50}},
    "title_id": {"name": "title_id", "in": "path", "required": True, "description": "A stable title id.",
                 "schema": {"type": "string"}},
    "title_week": {"name": "week", "in": "query", "required": False,
                   "description": "The week whose country lists to include (default: the title's latest).",
                   "schema": {"type": "string", "format": "date"}},
    "report": {"name": "report", "in": "path", "required": True,
               "schema": {"type": "string", "enum": [declared.slug for declared in reports.REPORTS]}},
    "sort": {"name": "sort", "in": "query", "required": False,
             "description": "A column to sort by; prefix with `-` for descending.", "schema": {"type": "string"}},
}

EDITION = _object({"edition_id": INTEGER, "origin": {"type": "string", "enum": ["computed", "imported"]},
                   "revision": INTEGER, "source": TEXT, "created_at": {"type": "string", "format": "date-time"}})
ENTRY_COMMON = {"rank": INTEGER, "title_id": TEXT, "show_title": TEXT, "season_title": NULLABLE_TEXT, "title": TEXT,
                "kind": {"type": "string", "enum": ["film", "tv"]}, "cumulative_weeks_in_top_10": INTEGER,
                "streak_weeks": INTEGER, "previous_rank": NULLABLE_INTEGER, "movement": MOVEMENT,
                "movement_places": NULLABLE_INTEGER}
SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _object({"ok": {"const": False}, "status": INTEGER, "error": TEXT}),
    "Edition": EDITION,
    "NullableEdition": {"oneOf": [_ref("Edition"), {"type": "null"}]},
    "GlobalEntry": _object({**ENTRY_COMMON, "hours_viewed": NULLABLE_NUMBER, "runtime_hours": NULLABLE_NUMBER,
                            "views": NULLABLE_NUMBER, "is_staggered_launch": {"type": ["boolean", "null"]}}),
    "CountryEntry": _object(ENTRY_COMMON),
    "GlobalList": _object({"category": TEXT, "category_slug": TEXT,
                           "entries": {"type": "array", "items": _ref("GlobalEntry")}}),
    "CountryList": _object({"category": TEXT, "category_slug": TEXT,
                            "entries": {"type": "array", "items": _ref("CountryEntry")}}),
    "Weeks": _object({"ok": {"const": True}, "latest": NULLABLE_DATE, "count": INTEGER, "weeks": {
        "type": "array", "items": _object({"week": DATE, "start": DATE, "global": _ref("NullableEdition"),
                                           "countries": _ref("NullableEdition")})}}),
    "GlobalLists": _object({"ok": {"const": True}, "week": DATE, "start": DATE, "edition": _ref("Edition"),
                            "lists": {"type": "array", "items": _ref("GlobalList")}}),
    "CountriesOverview": _object({"ok": {"const": True}, "week": DATE, "edition": _ref("Edition"),
                                  "count": INTEGER, "countries": {"type": "array", "items": _object({
                                      "iso2": TEXT, "name": TEXT, "number_one": {"type": "object"}})}}),
    "CountryLists": _object({"ok": {"const": True}, "week": DATE, "edition": _ref("Edition"),
                             "country": _object({"iso2": TEXT, "name": TEXT}),
                             "lists": {"type": "array", "items": _ref("CountryList")}}),
    "TitleSummary": _object({"title_id": TEXT, "show_title": TEXT, "season_title": NULLABLE_TEXT, "title": TEXT,
                             "kind": TEXT, "original_language": NULLABLE_TEXT, "release_date": NULLABLE_DATE,
                             "weeks_in_top_10": INTEGER, "peak_rank": NULLABLE_INTEGER}),
    "TitlesPage": _object({"ok": {"const": True}, "query": TEXT, "page": INTEGER, "per_page": INTEGER,
                           "total": INTEGER, "pages": INTEGER, "previous": NULLABLE_TEXT, "next": NULLABLE_TEXT,
                           "items": {"type": "array", "items": _ref("TitleSummary")}}),
    "Title": _object({"ok": {"const": True}, "title": {"type": "object"}, "facts": {"type": "object"},
                      "history": {"type": "array", "items": {"type": "object"}},
                      "country_weeks": {"type": "array", "items": {"type": "object"}},
                      "countries_week": NULLABLE_DATE, "countries": {"type": "array", "items": {"type": "object"}}}),
    "FactSheet": _object({"ok": {"const": True}, "factsheet": _object({
        "title": {"type": "object"}, "first_weekend": {"type": ["object", "null"]}, "debut": {"type": ["object", "null"]},
        "weeks_in_top_10": INTEGER, "peak_rank": NULLABLE_INTEGER, "weeks_at_peak": INTEGER,
        "weeks": {"type": "array", "items": {"type": "object"}}, "countries": {"type": ["object", "null"]},
        "first_28_days": {"type": "object"}, "first_91_days": {"type": "object"},
        "seasons": {"type": "array", "items": {"type": "object"}}})}),
    "Countries": _object({"ok": {"const": True}, "count": INTEGER, "countries": {"type": "array", "items": _object(
        {"iso2": TEXT, "name": TEXT, "weeks": INTEGER, "first_week": DATE, "last_week": DATE})}}),
    "Reports": _object({"ok": {"const": True}, "reports": {"type": "array", "items": {"type": "object"}}}),
    "ReportPage": _object({"ok": {"const": True}, "report": TEXT, "query": TEXT,
                           "columns": {"type": "array", "items": TEXT},
                           "rows": {"type": "array", "items": {"type": "object"}}, "total": INTEGER,
                           "page": INTEGER, "pages": INTEGER, "sort": NULLABLE_TEXT, "descending": {"type": "boolean"}}),
}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON_MEDIA_TYPE: {"schema": _ref("Error")}}}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document, made from ENDPOINTS."""
    paths: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        paths[endpoint.path] = {"get": {
            "operationId": endpoint.build.__name__, "summary": endpoint.summary,
            "description": (endpoint.build.__doc__ or "").strip(),
            "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in endpoint.parameters],
            "responses": {
                "200": {"description": "OK", "headers": {"ETag": {"schema": TEXT}, "Cache-Control": {"schema": TEXT}},
                        "content": {JSON_MEDIA_TYPE: {"schema": _ref(endpoint.schema)}}},
                "304": {"description": "Not modified (If-None-Match matched the ETag)"},
                "400": _error_response("A malformed parameter"),
                "404": _error_response("No such week, country, title, page or report"),
                "503": _error_response("The warehouse is being written; retry after Retry-After seconds"),
            }}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "viewrank Top 10 API", "version": version("viewrank"),
                 "description": "Weekly Top 10 lists, titles and countries from a viewrank warehouse. "
                                "Keys are snake_case, dates ISO 8601, hours and views exact (unrounded)."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"parameters": PARAMETERS, "schemas": SCHEMAS},
    }
