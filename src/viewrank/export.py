"""Writing the current (or a given) revision of chart editions in the published TSV layouts."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import InvalidInput
from .files import replacing
from .formats.top10 import (
    COLUMN_ALIASES,
    COUNTRY_COLUMNS,
    CURRENT_LAYOUT,
    FINAL_NEWLINE,
    GLOBAL_COLUMNS,
    GLOBAL_COLUMNS_CLASSIC,
    GLOBAL_LAYOUTS,
    clean_text,
    format_number,
    format_runtime,
    round_display,
)
from .store.warehouse import Warehouse

# The entries a file shows: the current revision of every week, or with $revision set, that
# revision of each week that has one (a published edition stays readable after late data),
# or with $editions set, those editions (what one imported file held).
ENTRIES_SQL = """
SELECT e.week, e.scope, e.origin, e.revision, e.published, c.*
FROM chart_entries c JOIN editions e USING (edition_id)
WHERE CASE WHEN $editions IS NOT NULL THEN list_contains($editions, e.edition_id)
           ELSE e.revision = coalesce($revision, (SELECT max(revision) FROM editions x
                                                  WHERE x.week = e.week AND x.scope = e.scope)) END
"""

# A title as its publication spelled it: the spelling (title_aliases) of the earliest
# publication at or after the edition's that named it, else the catalog's.
SPELLING_SQL = """
LEFT JOIN LATERAL (SELECT a.show_title, a.season_title FROM title_aliases a
                   WHERE a.title_key = c.title_key AND a.published >= c.published
                   ORDER BY a.published, a.merged_from IS NOT NULL, a.show_title, a.season_title LIMIT 1) a ON true"""
SPELLED_NAMES = """coalesce(a.show_title, t.show_title) AS show_title,
       CASE WHEN a.show_title IS NULL THEN t.season_title ELSE a.season_title END AS season_title"""

GLOBAL_ROWS_SQL = """
SELECT c.week, c.category, c.rank, """ + SPELLED_NAMES + """, t.kind, c.hours_viewed, c.runtime_hours,
       c.views, c.cumulative_weeks, c.is_staggered_launch, c.episode_launch_details, c.runtime_override_flag,
       c.origin
FROM (""" + ENTRIES_SQL + """) c JOIN titles t USING (title_key) """ + SPELLING_SQL + """
WHERE c.scope = 'global' AND ($since IS NULL OR c.week >= $since) AND ($until IS NULL OR c.week <= $until)
ORDER BY c.week DESC, c.category, c.rank
"""

COUNTRY_ROWS_SQL = """
SELECT n.name AS country_name, c.country, c.week, c.category, c.rank, """ + SPELLED_NAMES + """, t.kind,
       c.cumulative_weeks, c.origin
FROM (""" + ENTRIES_SQL + """) c JOIN titles t USING (title_key) """ + SPELLING_SQL + """ JOIN countries n ON n.iso2 = c.country
WHERE c.scope = 'country' AND ($since IS NULL OR c.week >= $since) AND ($until IS NULL OR c.week <= $until)
ORDER BY n.name, c.week DESC, c.category, c.rank
"""


def global_rows(warehouse: Warehouse, *, since: dt.date | None = None, until: dt.date | None = None,
                classic: bool = False, revision: int | None = None, editions: list[int] | None = None,
                columns: tuple[str, ...] | None = None) -> Iterable[tuple[str, ...]]:
    """Rows of all-weeks-global.tsv in `columns` (any published layout; default the current
    one, or the classic one), rounded for display by the rule in force each week; imported
    rows are written exactly as they were published."""
    method = warehouse.methodology
    names = columns or (GLOBAL_COLUMNS_CLASSIC if classic else GLOBAL_COLUMNS)
    for row in warehouse.rows(GLOBAL_ROWS_SQL, {"since": since, "until": until, "revision": revision,
                                                "editions": editions}):
        imported = row["origin"] == "imported"
        shown = imported or method.ranks_by_views(row["week"])
        staggered = row["is_staggered_launch"]
        values = {
            "week": row["week"].isoformat(), "category": row["category"], "weekly_rank": str(row["rank"]),
            "show_title": clean_text(row["show_title"]), "season_title": season_cell(row, imported),
            "weekly_hours_viewed": format_number(
                _as_published(row["hours_viewed"]) if imported
                else round_display(row["hours_viewed"], method.hours_rounding_for(row["week"]))),
            "runtime": format_runtime(row["runtime_hours"]) if shown else "",
            "weekly_views": format_number(_as_published(row["views"]) if imported
                                          else round_display(row["views"], method.views_rounding)) if shown else "",
            "cumulative_weeks_in_top_10": str(row["cumulative_weeks"]),
            "is_staggered_launch": "" if staggered is None else str(bool(staggered)),
            "episode_launch_details": row["episode_launch_details"] or "",
            "runtime_override_flag": row["runtime_override_flag"] or "",
        }
        yield tuple(values[COLUMN_ALIASES.get(name, name)] for name in names)


def season_cell(row: dict[str, Any], imported: bool) -> str:
    """The season_title cell as Netflix writes it: the season's title, else N/A. Imported rows
    are written as published; a catalog TV title without a season carries its show's name
    as season title, which Netflix writes N/A."""
    season = row["season_title"]
    if not imported and season == row["show_title"]:
        season = None
    return clean_text(season)


def _as_published(value: float | None) -> int | None:
    """An imported figure is stored as published (already rounded): write it unchanged."""
    return None if value is None else int(value)


def country_rows(warehouse: Warehouse, *, since: dt.date | None = None, until: dt.date | None = None,
                 revision: int | None = None, editions: list[int] | None = None) -> Iterable[tuple[str, ...]]:
    """Rows of all-weeks-countries.tsv."""
    for row in warehouse.rows(COUNTRY_ROWS_SQL, {"since": since, "until": until, "revision": revision,
                                                 "editions": editions}):
        yield (row["country_name"], row["country"], row["week"].isoformat(), row["category"], str(row["rank"]),
               clean_text(row["show_title"]), season_cell(row, row["origin"] == "imported"),
               str(row["cumulative_weeks"]))


def tsv_lines(header: tuple[str, ...], rows: Iterable[tuple[str, ...]], *,
              final_newline: bool = True) -> Iterator[str]:
    """A TSV's text in pieces: lines separated by newlines, and one after the last line only
    if `final_newline` (Netflix's files have none: formats.top10.FINAL_NEWLINE)."""
    yield "\t".join(header)
    for row in rows:
        yield "\n" + "\t".join(row)
    if final_newline:
        yield "\n"


def write_tsv(path: str | os.PathLike[str], header: tuple[str, ...], rows: Iterable[tuple[str, ...]], *,
              final_newline: bool = True) -> int:
    """Write a TSV atomically (temporary file, then rename); returns the number of data rows."""
    count = 0

    def counted() -> Iterator[tuple[str, ...]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row
    with replacing(Path(path), "w", encoding="utf-8", newline="") as handle:
        handle.writelines(tsv_lines(header, counted(), final_newline=final_newline))
    return count


def export_all(warehouse: Warehouse, out_dir: str | os.PathLike[str], *, layout: str = CURRENT_LAYOUT,
               since: dt.date | None = None, until: dt.date | None = None,
               revision: int | None = None, final_newline: bool = FINAL_NEWLINE) -> dict[str, Any]:
    """Write all-weeks-global.tsv (in one of Netflix's published layouts, by default its
    current one) and all-weeks-countries.tsv into `out_dir` (current revisions, or `revision`
    of each week that has it), ending like Netflix's files unless `final_newline`."""
    if layout not in GLOBAL_LAYOUTS:
        raise InvalidInput(f"unknown layout {layout!r} (choose from {', '.join(GLOBAL_LAYOUTS)})")
    out = Path(out_dir)
    written = {}
    header = GLOBAL_LAYOUTS[layout]
    written["all-weeks-global.tsv"] = write_tsv(
        out / "all-weeks-global.tsv", header,
        global_rows(warehouse, since=since, until=until, revision=revision, columns=header), final_newline=final_newline)
    written["all-weeks-countries.tsv"] = write_tsv(
        out / "all-weeks-countries.tsv", COUNTRY_COLUMNS, country_rows(warehouse, since=since, until=until, revision=revision),
        final_newline=final_newline)
    return {"directory": str(out), "layout": layout, "files": written}
