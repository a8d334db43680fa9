"""The JSON API under /api: one route table that makes both the routes and the OpenAPI 3.1 document."""

from __future__ import annotations

from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import shapes
from ..reports.factsheet import factsheet
from ..store.warehouse import Warehouse
from . import queries, reports
from .http import JSON_MEDIA_TYPE, SHORT_MAX_AGE, WEEK_MAX_AGE, cache_key, cached, json_bytes
from .openapi import Endpoint, openapi_document, samples
from .params import LATEST, parse_page, parse_per_page, parse_query, resolve_title_week

def weeks(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """Every published week, newest first, with its current global and country editions."""
    return shapes.weeks(warehouse)


def global_lists(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """A week's global lists: all four categories, or ?category= one of them. `latest` is the
    latest published week."""
    return shapes.global_lists(warehouse, request.path_params["week"], category=request.query_params.get("category"))


def countries_overview(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """The No. 1 of each category in every country with lists that week (`latest`: the latest
    published week, a 404 if it has no country lists)."""
    return shapes.countries_overview(warehouse, request.path_params["week"])


def country_lists(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """A country's Films and TV lists of a week (ranks only, as published). `latest` is the
    latest published week; a country without lists that week is a 404 naming its latest week."""
    return shapes.country_lists(warehouse, request.path_params["week"], request.path_params["iso2"])


def titles(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """Titles whose name contains ?q= (all when empty), best match first, a page at a time."""
    return shapes.titles_page(warehouse, parse_query(request.query_params.get("q")),
                              page=parse_page(request.query_params.get("page")),
                              per_page=parse_per_page(request.query_params.get("per_page")))


def title_facts(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """A title's facts: first week, debut, weeks in the Top 10, peak and countries (what
    `viewrank facts --json` prints)."""
    return shapes.facts(warehouse, queries.title(warehouse, request.path_params["title_id"])["title_id"])


def title(warehouse: Warehouse, request: Request) -> dict[str, Any]:
    """A title with its facts, its weeks on the global lists and its countries in one week."""
    found = queries.title(warehouse, request.path_params["title_id"])
    history = queries.title_history(warehouse, found["title_key"])
    country_weeks = queries.title_country_weeks(warehouse, found["title_key"])
    chosen = resolve_title_week(found["title"], request.query_params.get("week"), [row["week"] for row in country_weeks])
    catalog = {key: value for key, value in found.items() if key != "title_key"}
    return {"ok": True, "title": catalog, "facts": shapes.facts(warehouse, found["title_id"])["facts"],
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
    Endpoint("/api/titles/{title_id}/facts", title_facts, "A title's facts", ("title_id",), "Facts",
             (("title_id", "title_id"),)),
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
