"""The OpenAPI 3.1 document of the API, made from its endpoint table, with examples taken
from the warehouse it describes (so every example can be called and answers)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Callable
from urllib.parse import quote, urlencode

from starlette.requests import Request

from ..charts.weekly import GLOBAL_CATEGORIES
from ..store.warehouse import Warehouse
from . import queries, reports
from .http import JSON_MEDIA_TYPE
from .params import LATEST, MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_LENGTH, slug

Builder = Callable[[Warehouse, Request], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    """One GET endpoint: its path, what builds its body, what the OpenAPI document says of it,
    and which sample values (see `samples`) make its example: ((parameter, sample name), ...)."""

    path: str
    build: Builder
    summary: str
    parameters: tuple[str, ...]
    schema: str
    examples: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.build.__name__

    def example_values(self, values: dict[str, str]) -> dict[str, str]:
        """The parameter values of this endpoint's example, by parameter key."""
        return {parameter: values[sample] for parameter, sample in self.examples}

    def example_url(self, values: dict[str, str]) -> str:
        """The example request, e.g. /api/weeks/2026-11-15/countries/US."""
        chosen = self.example_values(values)
        path_names = {part[1:-1] for part in self.path.split("/") if part.startswith("{")}
        path = self.path.format(**{name: quote(chosen[name], safe="") for name in path_names})
        query = [(PARAMETERS[key]["name"], value) for key, value in chosen.items() if key not in path_names]
        return path + ("?" + urlencode(query) if query else "")


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
KIND = {"type": "string", "enum": ["film", "tv"]}
# What every list entry and search result says of its title: enough to match it to a library
# (season number, release year, TMDB and IMDb ids where the catalog carries them) in one call.
TITLE_FIELDS = {"title_id": TEXT, "show_title": TEXT, "season_number": NULLABLE_INTEGER, "season_title": NULLABLE_TEXT,
                "title": TEXT, "kind": KIND, "year": NULLABLE_INTEGER,
                "tmdb_id": {"type": ["integer", "null"], "description": "The Movie Database id of the film or show"},
                "imdb_id": {"type": ["string", "null"], "description": "IMDb id of the film or show, like tt1856010"}}
ENTRY_COMMON = {"rank": INTEGER, **TITLE_FIELDS, "cumulative_weeks_in_top_10": INTEGER,
                "streak_weeks": INTEGER, "previous_rank": NULLABLE_INTEGER, "movement": MOVEMENT,
                "movement_places": NULLABLE_INTEGER}
FIGURES = {"hours_viewed": NULLABLE_NUMBER, "views": NULLABLE_NUMBER}
FACTS = _object({
    "title_id": TEXT, "title": TEXT, "show_title": TEXT, "kind": KIND, "release_date": NULLABLE_DATE,
    "weeks_in_top_10": INTEGER, "peak_rank": NULLABLE_INTEGER, "weeks_at_peak": INTEGER,
    "history": {"type": "array", "items": _object({"week": DATE, "category": TEXT, "rank": INTEGER, **FIGURES})},
    "debut": {"oneOf": [{"type": "null"}, _object({"week": DATE, "category": TEXT, "rank": INTEGER, **FIGURES,
                                                    "edition_id": INTEGER, "origin": TEXT, "revision": INTEGER})]},
    "first_week": {"oneOf": [{"type": "null"}, _object({"start": DATE, "end": DATE, "days": INTEGER, "week": DATE,
                                                         **FIGURES, "source": NULLABLE_TEXT})]},
    "countries": {"oneOf": [{"type": "null"}, _object({
        "week": DATE, "count": INTEGER, "of": INTEGER, "number_one": {"type": "array", "items": TEXT},
        "ranks": {"type": "object", "additionalProperties": INTEGER},
        "edition_id": INTEGER, "revision": INTEGER, "origin": TEXT})],
        "description": "The country lists of the title's first week on any list, global or country"},
    "release_date_source": {"type": ["object", "null"],
                            "description": "Where the release date comes from: the catalog, or an engagement report "
                                           "(kind 'engagement' with source_id, period, sheet and row)"},
    "first_listed": {"oneOf": [{"type": "null"}, _object({"week": DATE, "list": {"enum": ["global", "country"]}})],
                     "description": "The first week the title was on any list, and which list had it first"},
    "countries_peak": {"oneOf": [{"type": "null"}, _object({
        "week": DATE, "count": INTEGER, "of": INTEGER, "weeks": INTEGER, "edition_id": INTEGER})],
        "description": "The most countries in one week (the first such week) and how many weeks reached it"},
    "number_one": {"oneOf": [{"type": "null"}, _object({
        "week": DATE, "count": INTEGER, "countries": {"type": "array", "items": TEXT}, "edition_id": INTEGER,
        "weeks_at_most": INTEGER, "weeks": INTEGER})],
        "description": "The most countries where it was No. 1 in one week; weeks: weeks it was No. 1 anywhere"},
    "country_weeks": {"type": "array", "description": "Weeks on each country's list, most first",
                      "items": _object({"iso2": TEXT, "name": TEXT, "weeks": INTEGER, "best_rank": INTEGER,
                                        "weeks_at_number_one": INTEGER, "first_week": DATE, "last_week": DATE})},
    "engagement": {"type": "array", "description": "Half-year figures from the imported engagement reports",
                   "items": _object({"period_start": DATE, "period_end": DATE, "hours_viewed": INTEGER,
                                     "views": NULLABLE_INTEGER, "runtime_hours": NULLABLE_NUMBER,
                                     "release_date": NULLABLE_DATE, "available_globally": {"type": ["boolean", "null"]},
                                     "source": {"type": "object"}})}})
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
    "TitleSummary": _object({**TITLE_FIELDS, "original_language": NULLABLE_TEXT, "release_date": NULLABLE_DATE,
                             "weeks_in_top_10": INTEGER, "peak_rank": NULLABLE_INTEGER}),
    "Facts": _object({"ok": {"const": True}, "facts": FACTS}),
    "TitlesPage": _object({"ok": {"const": True}, "query": TEXT, "page": INTEGER, "per_page": INTEGER,
                           "total": INTEGER, "pages": INTEGER, "previous": NULLABLE_TEXT, "next": NULLABLE_TEXT,
                           "items": {"type": "array", "items": _ref("TitleSummary")}}),
    "Title": _object({"ok": {"const": True}, "title": _object({
                          **TITLE_FIELDS, "original_language": NULLABLE_TEXT, "release_date": NULLABLE_DATE,
                          "is_original": {"type": "boolean"}, "genre": NULLABLE_TEXT, "source": TEXT}),
                      "facts": FACTS,
                      "history": {"type": "array", "items": {"type": "object"}},
                      "country_weeks": {"type": "array", "items": {"type": "object"}},
                      "countries_week": NULLABLE_DATE, "countries": {"type": "array", "items": {"type": "object"}}}),
    "FactSheet": _object({"ok": {"const": True}, "factsheet": _object({
        "title": {"type": "object"}, "first_weekend": {"type": ["object", "null"]}, "debut": {"type": ["object", "null"]},
        "weeks_in_top_10": INTEGER, "peak_rank": NULLABLE_INTEGER, "weeks_at_peak": INTEGER,
        "weeks": {"type": "array", "items": {"type": "object"}}, "countries": {"type": ["object", "null"]},
        "first_28_days": {"type": "object"}, "first_91_days": {"type": "object"},
        "seasons": {"type": "array", "items": {"type": "object"}},
        "release_date_source": {"type": ["object", "null"]}, "countries_peak": {"type": ["object", "null"]},
        "number_one": {"type": ["object", "null"]}, "country_weeks": {"type": "array", "items": {"type": "object"}},
        "engagement": {"type": "array", "items": {"type": "object"}},
        "lede": {"type": "array", "description": "The opening sentences; each part with a source is a figure",
                 "items": _object({"text": TEXT, "parts": {"type": "array", "items": _object(
                     {"text": TEXT, "source": {"type": "object"}}, ("text",))}})}})}),
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


# Values for the examples when the warehouse has no published week yet.
FALLBACK_SAMPLES = {"latest": LATEST, "week": LATEST, "country_week": LATEST, "iso2": "US",
                    "category": "tv-english", "title_id": "the-diplomat-season-1-0339b047", "query": "diplomat",
                    "per_page": "10", "report": "most-popular"}


def samples(warehouse: Warehouse) -> dict[str, str]:
    """Example values that answer on this warehouse: its latest weeks, a country with lists in
    the latest country week, the No. 1 of the latest week's first list, an available report."""
    values = dict(FALLBACK_SAMPLES)
    editions = queries.editions_by_week(warehouse)
    global_weeks = sorted(week for week, scopes in editions.items() if "global" in scopes)
    country_weeks = sorted(week for week, scopes in editions.items() if "country" in scopes)
    if global_weeks:
        values["week"] = global_weeks[-1].isoformat()
        rows = queries.entries(warehouse, editions, global_weeks[-1], scope="global")
        first = min(rows, key=lambda row: (GLOBAL_CATEGORIES.index(row["category"])
                                           if row["category"] in GLOBAL_CATEGORIES else 99, row["rank"]))
        values["category"], values["title_id"] = slug(first["category"]), first["title_id"]
        words = [word for word in first["title"].lower().split() if word.isalnum() and len(word) >= 3]
        values["query"] = max(words, key=len) if words else first["title_id"]
    if country_weeks:
        values["country_week"] = country_weeks[-1].isoformat()
        countries = [row["iso2"] for row in queries.number_ones(warehouse, editions, country_weeks[-1])]
        values["iso2"] = "US" if "US" in countries else countries[0]
    available = reports.available(warehouse)
    if available:
        values["report"] = available[0].slug
    return values


def _parameter(key: str, example: str | None) -> dict[str, Any]:
    parameter = dict(PARAMETERS[key])
    if example is not None:
        parameter["example"] = int(example) if parameter["schema"].get("type") == "integer" else example
    return parameter


def openapi_document(endpoints: tuple[Endpoint, ...], values: dict[str, str] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `endpoints`, each parameter with its example value."""
    values = values or FALLBACK_SAMPLES
    paths: dict[str, Any] = {}
    for endpoint in endpoints:
        chosen = endpoint.example_values(values)
        paths[endpoint.path] = {"get": {
            "operationId": endpoint.name, "summary": endpoint.summary,
            "description": (endpoint.build.__doc__ or "").strip(),
            "parameters": [_parameter(key, chosen.get(key)) for key in endpoint.parameters],
            "x-example": endpoint.example_url(values),
            "responses": {
                "200": {"description": "OK", "headers": {"ETag": {"schema": TEXT}, "Cache-Control": {"schema": TEXT},
                                                         "Access-Control-Allow-Origin": {"schema": TEXT}},
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
                                "Keys are snake_case, dates ISO 8601, hours and views exact (unrounded; "
                                "whole numbers are integers). Every GET may be called from any origin (CORS)."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"parameters": PARAMETERS, "schemas": SCHEMAS},
    }
