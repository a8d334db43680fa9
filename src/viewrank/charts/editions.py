"""Writing chart editions from rows that were not computed here (imports, identity fixes).

A week's rows become a new revision only when they differ from the current edition of that
week and scope, exactly as recomputed charts do; streaks (consecutive weeks) are derived
from the week before, the way the charts derive them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ..store.bulk import insert_arrow
from ..store.warehouse import Warehouse

ENTRY_SCHEMA = pa.schema([
    ("country", pa.string()), ("category", pa.string()), ("rank", pa.int32()), ("title_key", pa.int32()),
    ("hours_viewed", pa.float64()), ("runtime_hours", pa.float64()), ("views", pa.float64()),
    ("cumulative_weeks", pa.int32()), ("streak_weeks", pa.int32()), ("is_staggered_launch", pa.bool_()),
    ("episode_launch_details", pa.string()),
])
ENTRY_COLUMNS = tuple(ENTRY_SCHEMA.names)
# What makes two editions of a week the same: everything published, not the derived streak.
COMPARED = tuple(name for name in ENTRY_COLUMNS if name != "streak_weeks")
WEEK = dt.timedelta(days=7)


@dataclass
class Entry:
    """One row of a list as it will be stored."""

    country: str | None
    category: str
    rank: int
    title_key: int
    hours_viewed: float | None
    runtime_hours: float | None
    views: float | None
    cumulative_weeks: int
    streak_weeks: int = 1
    is_staggered_launch: bool | None = None
    episode_launch_details: str | None = None

    def compared(self) -> tuple[Any, ...]:
        return tuple(_comparable(getattr(self, name)) for name in COMPARED)


def _comparable(value: Any) -> Any:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _order(entry: Entry) -> tuple[str, str, int]:
    return (entry.country or "", entry.category, entry.rank)


def fill_streaks(warehouse: Warehouse, scope: str, weeks: dict[dt.date, list[Entry]]) -> None:
    """Set each entry's streak: 1 + its streak in the week before (stored or in `weeks`)."""
    before = sorted({week - WEEK for week in weeks} - set(weeks))
    streaks: dict[tuple[dt.date, str | None, str, int], int] = {}
    if before:
        for week, country, category, key, streak in warehouse.execute(
                "SELECT week, country, category, title_key, streak_weeks FROM current_entries "
                "WHERE scope = ? AND week IN (SELECT unnest(?))", [scope, before]).fetchall():
            streaks[(week, country, category, key)] = streak
    for week in sorted(weeks):
        for entry in weeks[week]:
            entry.streak_weeks = 1 + streaks.get((week - WEEK, entry.country, entry.category, entry.title_key), 0)
            streaks[(week, entry.country, entry.category, entry.title_key)] = entry.streak_weeks


def write_editions(warehouse: Warehouse, scope: str, weeks: dict[dt.date, list[Entry]], *, origin: str,
                   source: str, methodology: dict[str, Any]) -> dict[dt.date, tuple[int, bool]]:
    """Store each week's entries as a new revision unless the current edition already holds
    them; returns week -> (edition id, whether it is new). Call inside warehouse.atomic()."""
    current: dict[dt.date, list[tuple[Any, ...]]] = {}
    editions: dict[dt.date, int] = {}
    columns = ", ".join(COMPARED)
    for row in warehouse.execute(
            f"SELECT week, edition_id, {columns} FROM current_entries WHERE scope = ? AND week IN (SELECT unnest(?)) "
            "ORDER BY week, country NULLS FIRST, category, rank", [scope, sorted(weeks)]).fetchall():
        current.setdefault(row[0], []).append(tuple(_comparable(value) for value in row[2:]))
        editions[row[0]] = row[1]
    result: dict[dt.date, tuple[int, bool]] = {}
    stored: list[Entry] = []
    edition_ids: list[int] = []
    for week in sorted(weeks):
        entries = sorted(weeks[week], key=_order)
        if week in current and current[week] == [entry.compared() for entry in entries]:
            result[week] = (editions[week], False)
            continue
        edition_id = warehouse.scalar(
            "INSERT INTO editions (week, scope, origin, revision, source, methodology, created_at) "
            "SELECT ?, ?, ?, coalesce(max(revision), 0) + 1, ?, ?, now() FROM editions WHERE week = ? AND scope = ? "
            "RETURNING edition_id",
            [week, scope, origin, source, json.dumps(methodology, sort_keys=True), week, scope])
        result[week] = (edition_id, True)
        stored.extend(entries)
        edition_ids.extend([edition_id] * len(entries))
    if stored:
        table = pa.Table.from_pylist([{name: getattr(entry, name) for name in ENTRY_COLUMNS} for entry in stored],
                                     schema=ENTRY_SCHEMA)
        insert_arrow(warehouse, "chart_entries", table.append_column("edition_id", pa.array(edition_ids, pa.int64())))
    return result
