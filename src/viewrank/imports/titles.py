"""Catalog entries for imported titles: adding them in bulk, and finding existing titles by
the names other files use for them (a season title, or a film's name)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ..store.bulk import insert_arrow
from ..store.warehouse import Warehouse
from .identity import fold, season_name

TITLE_SCHEMA = pa.schema([
    ("title_id", pa.string()), ("show_title", pa.string()), ("season_number", pa.int32()),
    ("season_title", pa.string()), ("kind", pa.string()), ("original_language", pa.string()),
    ("release_date", pa.date32()), ("runtime_seconds", pa.int32()), ("source", pa.string()),
])
# The part of a name that says which season: 'Season 2', 'Limited Series', 'Part 3', 'Book 1', ...
SEASON_LABEL = re.compile(r"((?:Season|Temporada|Saison|Staffel) \d+|Limited Series|Miniseries|"
                          r"(?:Part|Parte|Book|Volume|Vol\.|Collection|Chapter|Series) (?:\d+|[IVX]+|One|Two|Three|Four|Five|Six))",
                          re.IGNORECASE)


# The spellings of Top 10 titles other than the one they show, in the titles' order.
ALIASES_SQL = """
SELECT t.title_id, a.show_title, a.season_title FROM title_aliases a JOIN titles t USING (title_key)
WHERE a.show_title <> t.show_title OR a.season_title IS DISTINCT FROM t.season_title
ORDER BY t.title_id, a.published, a.show_title, a.season_title
"""


def is_season_label(text: str) -> bool:
    return SEASON_LABEL.fullmatch(text.strip()) is not None


def insert_titles(warehouse: Warehouse, records: list[dict[str, Any]]) -> None:
    """Insert new titles (dicts with TITLE_SCHEMA's keys; missing keys are NULL) in one statement."""
    table = pa.Table.from_pylist([{name: record.get(name) for name in TITLE_SCHEMA.names} for record in records],
                                 schema=TITLE_SCHEMA)
    insert_arrow(warehouse, "titles", table)


def title_keys(warehouse: Warehouse) -> dict[str, int]:
    return dict(warehouse.execute("SELECT title_id, title_key FROM titles").fetchall())


@dataclass
class Known:
    """An existing title as name matching sees it."""

    title_id: str
    kind: str
    show_title: str
    season_title: str | None
    source: str
    release_date: dt.date | None
    # Its first week on the global list, else on a country list: a country list can carry a
    # namesake (or a licensed film) long before the title's own release, and whether it does
    # must not depend on which files were imported before a report.
    first_week: dt.date | None


class TitleIndex:
    """Existing titles by season title and, for titles without one, by name: every spelling a
    Top 10 title was published under, and a numbered season by its 'Show: Season N' name too."""

    def __init__(self, warehouse: Warehouse):
        self.by_season: dict[str, list[Known]] = {}
        self.by_name: dict[str, list[Known]] = {}
        self.by_id: dict[str, Known] = {}
        for row in warehouse.execute(
                """SELECT t.title_id, t.kind, t.show_title, t.season_title, t.source, t.release_date, w.first_week
                   FROM titles t LEFT JOIN (SELECT title_key, coalesce(min(week) FILTER (WHERE scope = 'global'), min(week)) AS first_week
                                            FROM current_entries GROUP BY title_key) w USING (title_key)
                   ORDER BY w.first_week NULLS LAST, t.title_id""").fetchall():
            self.add(Known(*row))
        for title_id, show, season in warehouse.execute(ALIASES_SQL).fetchall():
            self._index(self.by_id[title_id], show, season)

    def add(self, known: Known) -> None:
        self.by_id[known.title_id] = known
        self._index(known, known.show_title, known.season_title)

    def _index(self, known: Known, show: str, season: str | None) -> None:
        names = {fold(season), fold(season_name(season))} if season else {fold(show)}
        for name in names:
            found = (self.by_season if season else self.by_name).setdefault(name, [])
            if known not in found:
                found.append(known)

    def named(self, name: str, kind: str | None) -> list[Known]:
        """Titles this name denotes: a season title (of any kind: Netflix lists a few seasons
        under Films), or the name of a title without a season of a compatible kind."""
        seasons = self.by_season.get(fold(name), [])
        plain = [k for k in self.by_name.get(fold(name), []) if kind is None or k.kind == kind]
        return seasons + plain
