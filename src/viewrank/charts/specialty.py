"""Specialty lists (kids, originals, a genre, a language, a group of countries) as filters.

A list is defined as data in the `specialty_lists` setting (validated in settings.py) and
turned here into SQL predicates with bound parameters for charts.ranked_lists_sql: a filter
on titles `t` and one on the rollup rows' `country`. No user text ever becomes SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFound, SettingsError
from ..settings import Methodology
from ..store.warehouse import Warehouse

# Definition field -> (predicate, parameter name); every parameter is prefixed list_ so it
# cannot collide with the ranking query's own.
TITLE_PREDICATES = {
    "kids": ("t.is_kids = $list_kids", "list_kids"),
    "kinds": ("list_contains($list_kinds, t.kind)", "list_kinds"),
    "genres": ("list_contains($list_genres, lower(t.genre))", "list_genres"),
    "languages": ("list_contains($list_languages, t.original_language)", "list_languages"),
}


@dataclass(frozen=True)
class ListFilter:
    """Which titles a list ranks and whose viewing counts: SQL predicates plus their parameters."""

    title_filter: str = "TRUE"
    country_filter: str = "TRUE"
    parameters: dict[str, Any] = field(default_factory=dict)

    def __and__(self, other: ListFilter) -> ListFilter:
        clash = set(self.parameters) & set(other.parameters)
        if clash:
            raise ValueError(f"list filters bind the same parameters: {sorted(clash)}")
        return ListFilter(_both(self.title_filter, other.title_filter), _both(self.country_filter, other.country_filter),
                          self.parameters | other.parameters)


NO_FILTER = ListFilter()
ORIGINALS = ListFilter("t.is_original")


def _both(left: str, right: str) -> str:
    if left == "TRUE":
        return right
    return left if right == "TRUE" else f"({left}) AND ({right})"


def definition_filter(definition: dict[str, Any]) -> ListFilter:
    """The filter of one validated list definition (see settings.LIST_FIELDS)."""
    clauses, parameters = [], {}
    if definition.get("originals_only"):
        clauses.append("t.is_original")
    for key, (predicate, parameter) in TITLE_PREDICATES.items():
        if key in definition:
            clauses.append(predicate)
            parameters[parameter] = definition[key]
    countries = "TRUE"
    if "countries" in definition:
        countries = "list_contains($list_countries, country)"
        parameters["list_countries"] = definition["countries"]
    return ListFilter(" AND ".join(clauses) or "TRUE", countries, parameters)


def specialty_filter(warehouse: Warehouse, name: str) -> ListFilter:
    """The filter of the specialty list `name` defined in the warehouse's settings."""
    definitions = warehouse.methodology.specialty_lists
    if name not in definitions:
        known = ", ".join(sorted(definitions)) or "none"
        raise NotFound(f"no specialty list named {name!r} (defined: {known}; add one with the specialty_lists setting)")
    unknown = sorted(set(definitions[name].get("countries", [])) - _country_codes(warehouse))
    if unknown:
        raise SettingsError(f"specialty list {name!r}: unknown country code {unknown[0]!r}")
    return definition_filter(definitions[name])


def country_filter(warehouse: Warehouse, country: str) -> ListFilter:
    """Only the viewing of one country (a country list)."""
    code = country.strip().upper()
    if code not in _country_codes(warehouse):
        raise NotFound(f"unknown country code {country!r} (use an ISO 3166-1 alpha-2 code like 'US')")
    return ListFilter(country_filter="country = $list_country", parameters={"list_country": code})


def title_filter(title_key: int) -> ListFilter:
    """Only one title (its own figures through the one ranking definition)."""
    return ListFilter("t.title_key = $list_title", parameters={"list_title": title_key})


def list_definitions(method: Methodology) -> list[dict[str, Any]]:
    """The defined specialty lists, for people and the API."""
    return [{"name": name, **definition} for name, definition in sorted(method.specialty_lists.items())]


def _country_codes(warehouse: Warehouse) -> set[str]:
    return {code for (code,) in warehouse.execute("SELECT iso2 FROM countries").fetchall()}
