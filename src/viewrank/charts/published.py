"""The weeks and countries a user may ask for, checked against the warehouse: a day that does
not end a chart week, a week with no published lists, or an unknown country is one clear error
naming what to use instead."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..errors import InvalidInput, NotFound
from ..settings import Methodology
from ..store.warehouse import Warehouse
from .weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES, published_weeks, weekly_list

COUNTRY_NAME_SQL = "SELECT name FROM countries WHERE iso2 = ?"
COUNTRY_LISTS_SQL = """
SELECT count(*) FILTER (WHERE country = $country) AS entries, count(DISTINCT country) AS countries
FROM current_entries WHERE week = $week AND scope = 'country'
"""


def check_week_end(method: Methodology, week: dt.date) -> dt.date:
    """`week` itself when it is the last day of a chart week (weeks are labelled by that day)."""
    end = method.week_end(week)
    if end != week:
        raise InvalidInput(f"{week} is a {week:%A}; weeks are labelled by their last day, a {end:%A}: "
                           f"use {end} for the week {method.week_start_of(end)} to {end}")
    return week


def published_week(warehouse: Warehouse, week: dt.date | None) -> dt.date:
    """The published week asked for (the latest when None), or an error saying which weeks exist."""
    weeks = published_weeks(warehouse)
    if not weeks:
        raise NotFound("no published weeks yet (run 'viewrank charts' or 'viewrank import netflix-top10')")
    if week is None:
        return weeks[-1]
    check_week_end(warehouse.methodology, week)
    if week not in set(weeks):
        raise NotFound(f"no lists for the week ending {week}: the published weeks run from {weeks[0]} to {weeks[-1]}")
    return week


def country_code(warehouse: Warehouse, text: str) -> str:
    """The ISO code `text` names, upper-cased, if it is one of the warehouse's countries."""
    code = text.strip().upper()
    if warehouse.scalar(COUNTRY_NAME_SQL, [code]) is None:
        raise InvalidInput(f"{text!r} is not a country code: use an ISO 3166-1 alpha-2 code such as US, GB or KR")
    return code


def check_country_lists(warehouse: Warehouse, code: str, week: dt.date) -> None:
    """An error unless the week has Top 10 lists for the country `code`."""
    entries, countries = warehouse.execute(COUNTRY_LISTS_SQL, {"country": code, "week": week}).fetchone() or (0, 0)
    if not entries:
        name = warehouse.scalar(COUNTRY_NAME_SQL, [code])
        raise NotFound(f"no Top 10 lists for {code} ({name}) in the week ending {week}"
                       + (f"; {countries} countries have lists that week" if countries else
                          "; that week has no country lists"))


def week_lists(warehouse: Warehouse, week: dt.date | None, country: str | None) -> dict[str, Any]:
    """A published week's lists (the latest by default): global per category, or one country's."""
    chosen = published_week(warehouse, week)
    code = country_code(warehouse, country) if country else None
    if code:
        check_country_lists(warehouse, code, chosen)
    categories = COUNTRY_CATEGORIES if code else GLOBAL_CATEGORIES
    return {"week": chosen, "country": code,
            "lists": {category: weekly_list(warehouse, chosen, category=category, country=code)
                      for category in categories}}
