"""The SQL the site and the API need, each query named once, returning plain rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import catalog
from ..errors import NotFound
from ..reports.history import title_history as title_history  # the one title history
from ..store.warehouse import Warehouse

EDITIONS_SQL = """
SELECT week, scope, edition_id, origin, revision, source, created_at
FROM current_editions ORDER BY week, scope
"""

# The entries of one edition with each title's rank on the same list in the previous week's
# edition. Editions are picked first (from current_editions), so this reads only their rows.
ENTRIES_SQL = """
WITH present AS (
    SELECT * FROM chart_entries
    WHERE edition_id = $edition AND ($country IS NULL OR country = $country) AND ($category IS NULL OR category = $category)
),
previous AS (SELECT title_key, category, country, rank FROM chart_entries WHERE edition_id = $previous)
SELECT c.country, c.category, c.rank, t.title_id, t.show_title, t.season_number, t.season_title, t.kind,
       year(t.release_date) AS year, t.tmdb_id, t.imdb_id, c.hours_viewed, c.runtime_hours, c.views, c.cumulative_weeks, c.streak_weeks,
       c.is_staggered_launch, p.rank AS previous_rank
FROM present c
JOIN titles t USING (title_key)
LEFT JOIN previous p ON p.title_key = c.title_key AND p.category = c.category
                    AND coalesce(p.country, '') = coalesce(c.country, '')
ORDER BY c.country NULLS FIRST, c.category, c.rank
"""

NUMBER_ONES_SQL = """
SELECT c.country AS iso2, n.name AS country_name, c.category, t.title_id, t.show_title, t.season_title,
       c.cumulative_weeks
FROM chart_entries c JOIN titles t USING (title_key) JOIN countries n ON n.iso2 = c.country
WHERE c.edition_id = $edition AND c.rank = 1
ORDER BY n.name, c.category
"""

CHART_COUNTRIES_SQL = """
SELECT n.iso2, n.name, count(DISTINCT c.week) AS weeks, min(c.week) AS first_week, max(c.week) AS last_week
FROM current_entries c JOIN countries n ON n.iso2 = c.country
WHERE c.scope = 'country'
GROUP BY n.iso2, n.name ORDER BY n.name
"""

TITLE_SQL = """
SELECT title_key, title_id, show_title, season_number, season_title, kind, original_language, release_date,
       year(release_date) AS year, is_original, genre, tmdb_id, imdb_id, image_url, source
FROM titles WHERE title_id = $title_id
"""

TITLE_COUNTRY_WEEKS_SQL = """
SELECT week, count(DISTINCT country) AS countries, count(*) FILTER (WHERE rank = 1) AS number_one
FROM current_entries WHERE scope = 'country' AND title_key = $title_key
GROUP BY week ORDER BY week
"""

TITLE_COUNTRIES_SQL = """
SELECT c.week, c.country AS iso2, n.name AS country_name, c.category, c.rank, c.cumulative_weeks
FROM current_entries c JOIN countries n ON n.iso2 = c.country
WHERE c.scope = 'country' AND c.title_key = $title_key AND ($week IS NULL OR c.week = $week)
ORDER BY c.week, c.rank, n.name
"""

LISTED_COUNTRIES_SQL = """
SELECT DISTINCT country FROM current_entries WHERE scope = 'country' AND week = $week
"""

# Titles whose name contains the search text (or whose id it is): prefix matches first, then
# the titles with most weeks on the global lists, then by name.
CHARTED_TITLES_SQL = """
SELECT DISTINCT t.title_id FROM current_entries c JOIN titles t USING (title_key) ORDER BY t.title_id
"""


def public_source(source: str | None) -> str | None:
    """An edition's source without the server's folders: '/data/all-weeks-global.tsv sha256:…'
    becomes 'all-weeks-global.tsv sha256:…' ('rollups' stays as is)."""
    if not source:
        return source
    path, marker, rest = source.partition(" sha256:")
    return path.replace("\\", "/").rsplit("/", 1)[-1] + (marker + rest if marker else "")


def editions_by_week(warehouse: Warehouse) -> dict[dt.date, dict[str, dict[str, Any]]]:
    """The current edition of every published week: {week: {'global': edition, 'country': edition}}."""
    weeks: dict[dt.date, dict[str, dict[str, Any]]] = {}
    for row in warehouse.rows(EDITIONS_SQL):
        row["source"] = public_source(row["source"])  # no server folders in any page or answer
        weeks.setdefault(row.pop("week"), {})[row.pop("scope")] = row
    return weeks


def movement(entry: dict[str, Any], *, previous_known: bool = True) -> tuple[str, int | None]:
    """Movement since last week on the same list: new, re_entry, up, down or same, with places;
    unknown when the week before was never published or imported (absence there proves nothing)."""
    previous = entry["previous_rank"]
    if previous is None:
        if entry["cumulative_weeks"] <= 1:
            return "new", None
        return ("re_entry", None) if previous_known else ("unknown", None)
    if previous > entry["rank"]:
        return "up", previous - entry["rank"]
    if previous < entry["rank"]:
        return "down", entry["rank"] - previous
    return "same", 0


def edition_ids(editions: dict[dt.date, dict[str, dict[str, Any]]], week: dt.date, scope: str) -> tuple[int, int | None]:
    """The current edition of a week and scope, and that of the week before (None if there is none)."""
    before = editions.get(week - dt.timedelta(days=7), {}).get(scope)
    return editions[week][scope]["edition_id"], before["edition_id"] if before else None


def entries(warehouse: Warehouse, editions: dict[dt.date, dict[str, dict[str, Any]]], week: dt.date, *, scope: str,
            country: str | None = None, category: str | None = None) -> list[dict[str, Any]]:
    """The entries of one week's lists with movement, ordered by country, category and rank."""
    edition, previous = edition_ids(editions, week, scope)
    rows = warehouse.rows(ENTRIES_SQL, {"edition": edition, "previous": previous, "country": country,
                                        "category": category})
    for row in rows:
        row["title"] = catalog.display_name(row["show_title"], row["season_title"])
        row["movement"], row["movement_places"] = movement(row, previous_known=previous is not None)
    return rows


def number_ones(warehouse: Warehouse, editions: dict[dt.date, dict[str, dict[str, Any]]],
                week: dt.date) -> list[dict[str, Any]]:
    """Per country with lists that week: its No. 1 of each category."""
    countries: dict[str, dict[str, Any]] = {}
    for row in warehouse.rows(NUMBER_ONES_SQL, {"edition": edition_ids(editions, week, "country")[0]}):
        country = countries.setdefault(row["iso2"], {"iso2": row["iso2"], "name": row["country_name"], "lists": {}})
        country["lists"][row["category"]] = {
            "title_id": row["title_id"], "title": catalog.display_name(row["show_title"], row["season_title"]),
            "cumulative_weeks": row["cumulative_weeks"]}
    return list(countries.values())


def chart_countries(warehouse: Warehouse) -> list[dict[str, Any]]:
    """Countries that have lists, with how many weeks and which."""
    return warehouse.rows(CHART_COUNTRIES_SQL)


def latest_week(warehouse: Warehouse) -> dt.date | None:
    return warehouse.scalar("SELECT max(week) FROM editions")  # type: ignore[no-any-return]


def country_names(warehouse: Warehouse) -> dict[str, str]:
    return dict(warehouse.execute("SELECT iso2, name FROM countries").fetchall())


def country_name(warehouse: Warehouse, iso2: str) -> str:
    name = warehouse.scalar("SELECT name FROM countries WHERE iso2 = ?", [iso2])
    if name is None:
        raise NotFound(f"no country with the code {iso2!r}")
    return str(name)


def title(warehouse: Warehouse, title_id: str) -> dict[str, Any]:
    """One title by its stable id."""
    rows = warehouse.rows(TITLE_SQL, {"title_id": title_id})
    if not rows:
        raise NotFound(f"no title with the id {title_id[:60]!r} (search for it at /search)")
    found = rows[0]
    found["title"] = catalog.display_name(found["show_title"], found["season_title"])
    return found


def title_country_weeks(warehouse: Warehouse, title_key: int) -> list[dict[str, Any]]:
    """The weeks a title was on any country list, with how many countries and No. 1s."""
    return warehouse.rows(TITLE_COUNTRY_WEEKS_SQL, {"title_key": title_key})


def country_weeks_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """title_country_weeks computed from a title's title_countries rows of every week, for a
    page that reads those anyway (one scan of the country lists instead of two)."""
    weeks: dict[dt.date, tuple[set[str], list[int]]] = {}
    for row in rows:
        countries, number_one = weeks.setdefault(row["week"], (set(), [0]))
        countries.add(row["iso2"])
        number_one[0] += row["rank"] == 1
    return [{"week": week, "countries": len(countries), "number_one": number_one[0]}
            for week, (countries, number_one) in sorted(weeks.items())]


def title_countries(warehouse: Warehouse, title_key: int, week: dt.date | None) -> list[dict[str, Any]]:
    """The country lists a title was on in one week (None: every week), best rank first."""
    return warehouse.rows(TITLE_COUNTRIES_SQL, {"title_key": title_key, "week": week})


def listed_countries(warehouse: Warehouse, week: dt.date) -> set[str]:
    """The countries that have lists in a week (a title absent from them was not in their Top 10)."""
    return {country for (country,) in warehouse.execute(LISTED_COUNTRIES_SQL, {"week": week}).fetchall()}


def search_titles(warehouse: Warehouse, query: str, *, page: int, per_page: int,
                  charted_only: bool = False) -> tuple[list[dict[str, Any]], int]:
    """One page of the titles matching `query` (all titles when empty) and the total count."""
    return catalog.search_titles(warehouse, query, limit=per_page, offset=(page - 1) * per_page,
                                 charted_only=charted_only)


def charted_title_ids(warehouse: Warehouse) -> list[str]:
    """Every title that has been on any list (the titles the static site writes pages for)."""
    return [title_id for (title_id,) in warehouse.execute(CHARTED_TITLES_SQL).fetchall()]
