"""One title's history on the lists: its weeks on the global lists and its rows on the country
lists, each with the edition it came from. Facts, the fact sheet and the site's title page
all read a title's weeks here, so they cannot disagree."""

from __future__ import annotations

from typing import Any

from ..store.warehouse import Warehouse

# A title's weeks on the current global lists, oldest first, with the edition of each week.
TITLE_HISTORY_SQL = """
SELECT week, category, rank, hours_viewed, runtime_hours, views, cumulative_weeks, edition_id, origin, revision
FROM current_entries
WHERE scope = 'global' AND title_key = $title_key
ORDER BY week
"""

# A title's rows on the current country lists, by week then best rank, with country names.
TITLE_COUNTRY_ROWS_SQL = """
SELECT c.week, c.country AS iso2, n.name, c.category, c.rank, c.cumulative_weeks, c.edition_id, c.origin, c.revision
FROM current_entries c JOIN countries n ON n.iso2 = c.country
WHERE c.scope = 'country' AND c.title_key = $title_key
ORDER BY c.week, c.rank, n.name
"""


def title_history(warehouse: Warehouse, title_key: int) -> list[dict[str, Any]]:
    """A title's weeks on the global lists, oldest first (rank, hours, views, edition)."""
    return warehouse.rows(TITLE_HISTORY_SQL, {"title_key": title_key})


def title_country_rows(warehouse: Warehouse, title_key: int) -> list[dict[str, Any]]:
    """A title's rows on every country list, oldest week first, best rank first within a week."""
    return warehouse.rows(TITLE_COUNTRY_ROWS_SQL, {"title_key": title_key})

# How many countries had lists in each of some weeks (a title absent from them was not in their Top 10).
COUNTRY_LISTS_SQL = """
SELECT week, count(DISTINCT country) AS lists FROM current_entries
WHERE scope = 'country' AND list_contains($weeks, week) GROUP BY week
"""

# A title's rows in the newest imported engagement report of every half year, oldest half first.
TITLE_ENGAGEMENT_SQL = """
SELECT period_start, period_end, source_id, sheet, sheet_row, kind, title, release_date, available_globally,
       hours_viewed, runtime_hours, views
FROM current_engagement_rows WHERE title_key = $title_key
ORDER BY period_start, sheet, sheet_row
"""


def country_lists(warehouse: Warehouse, weeks: list[Any]) -> dict[Any, int]:
    """The number of countries with lists in each of `weeks` that has any."""
    if not weeks:
        return {}
    return dict(warehouse.execute(COUNTRY_LISTS_SQL, {"weeks": weeks}).fetchall())


def title_engagement(warehouse: Warehouse, title_key: int) -> list[dict[str, Any]]:
    """A title's half-year figures from the imported engagement reports, oldest half first."""
    return warehouse.rows(TITLE_ENGAGEMENT_SQL, {"title_key": title_key})
