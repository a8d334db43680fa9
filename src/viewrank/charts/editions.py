"""The one edition writer: computed charts, imports and identity fixes store their lists here.

A week's rows become a new revision only when they differ from the revision they would
replace, or come from another publication (each publication keeps its own, placed by date);
streaks (consecutive weeks on the same list) are derived here, by one rule, for
every origin.
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
    ("episode_launch_details", pa.string()), ("runtime_override_flag", pa.string()),
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
    runtime_override_flag: str | None = None

    def compared(self, columns: tuple[str, ...] = COMPARED) -> tuple[Any, ...]:
        return tuple(_comparable(getattr(self, name)) for name in columns)


def _comparable(value: Any) -> Any:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _order(entry: Entry) -> tuple[str, str, int]:
    return (entry.country or "", entry.category, entry.rank)


# A streak counts the consecutive weeks on the same list up to this one: an entry continues
# the streak of the same title on the same list in the week just before, whether that week is
# being written with it or is stored (and not being rewritten); otherwise it starts at 1.
# The entries come as lists ($positions, $weeks, ...); those of one title on one list in
# consecutive weeks form one run, numbered from its first week.
STREAKS_SQL = """
WITH streak_entries AS (
    SELECT unnest($positions) AS position, CAST(unnest($weeks) AS DATE) AS week,
           CAST(unnest($countries) AS VARCHAR) AS country, unnest($categories) AS category,
           unnest($title_keys) AS title_key
),
runs AS (
    SELECT *, week - CAST(7 * dense_rank() OVER same_list AS INTEGER) AS run,
           dense_rank() OVER same_list AS step
    FROM streak_entries
    WINDOW same_list AS (PARTITION BY country, category, title_key ORDER BY week)
),
started AS (
    SELECT *, min(week) OVER run AS first_week, min(step) OVER run AS first_step
    FROM runs
    WINDOW run AS (PARTITION BY country, category, title_key, run)
),
stored AS (
    SELECT week, country, category, title_key, max(streak_weeks) AS streak_weeks
    FROM current_entries
    WHERE scope = $scope AND list_contains($before, week)
    GROUP BY ALL
)
SELECT s.position, CAST(1 + s.step - s.first_step + coalesce(b.streak_weeks, 0) AS INTEGER) AS streak_weeks
FROM started s
LEFT JOIN stored b ON b.week = s.first_week - 7 AND b.title_key = s.title_key AND b.category = s.category
                  AND b.country IS NOT DISTINCT FROM s.country
"""


def fill_streaks(warehouse: Warehouse, scope: str, weeks: dict[dt.date, list[Entry]]) -> None:
    """Set each entry's streak by STREAKS_SQL, against the stored weeks before `weeks`."""
    listed = [(week, entry) for week in sorted(weeks) for entry in weeks[week]]
    if not listed:
        return
    before = sorted({week - WEEK for week in weeks} - set(weeks))
    streaks = warehouse.execute(STREAKS_SQL, {
        "scope": scope, "before": before, "positions": list(range(len(listed))),
        "weeks": [week for week, _ in listed], "countries": [entry.country for _, entry in listed],
        "categories": [entry.category for _, entry in listed], "title_keys": [entry.title_key for _, entry in listed],
    }).fetchall()
    for position, streak in streaks:
        listed[position][1].streak_weeks = streak


@dataclass
class Written:
    """What became of one week's entries: the edition that holds them, whether it is new,
    whether it is the current one, and what it changed against the revision before it."""

    edition_id: int
    new: bool
    current: bool
    changes: list[Change]


@dataclass
class Change:
    """One published value that differs between two revisions of a list."""

    country: str | None
    category: str
    rank: int
    column: str
    before: Any
    after: Any


@dataclass
class _Stored:
    edition_id: int
    revision: int
    dated: dt.date | None   # its publication, or the one it revises (computed editions inherit)


EDITIONS_OF_WEEKS_SQL = """
SELECT week, edition_id, revision, published FROM editions
WHERE scope = ? AND week IN (SELECT unnest(?)) ORDER BY week, revision
"""


def write_editions(warehouse: Warehouse, scope: str, weeks: dict[dt.date, list[Entry]], *, origin: str,
                   source: str, methodology: dict[str, Any], published: dt.date | None = None,
                   compared: tuple[str, ...] = COMPARED) -> dict[dt.date, Written]:
    """Store each week's entries as a revision placed by publication: undated entries (computed,
    corrected) go on top; dated ones above every revision published no later, so the newest
    publication is current whatever the order of imports. Entries equal (on the `compared`
    columns) to the revision just below or above their place, of the same publication (or
    undated), make no revision. Call inside
    warehouse.atomic(). Each entry's streak is set first (fill_streaks)."""
    fill_streaks(warehouse, scope, weeks)
    stored: dict[dt.date, list[_Stored]] = {}
    for week, edition_id, revision, dated in warehouse.execute(EDITIONS_OF_WEEKS_SQL, [scope, sorted(weeks)]).fetchall():
        history = stored.setdefault(week, [])
        history.append(_Stored(edition_id, revision, dated or (history[-1].dated if history else None)))
    places = {week: _place(stored.get(week, []), published) for week in weeks}
    neighbours = {s.edition_id for below, above in places.values() for s in (below, above) if s is not None}
    entries = _entries_of(warehouse, sorted(neighbours))
    result: dict[dt.date, Written] = {}
    fresh: list[Entry] = []
    edition_ids: list[int] = []
    for week in sorted(weeks):
        rows = sorted(weeks[week], key=_order)
        below, above = places[week]
        values = [entry.compared(compared) for entry in rows]
        # Another publication of the same lists is a revision of its own (so each publication
        # can be written back, and any import order keeps the same revisions).
        same = next((s for s in (below, above) if s is not None and (published is None or s.dated == published) and
                     [e.compared(compared) for e in entries.get(s.edition_id, [])] == values), None)
        if same is not None:
            result[week] = Written(same.edition_id, False, same is stored[week][-1], [])
            continue
        revision = below.revision + 1 if below else 1
        if above is not None:  # placed under a later publication: the revisions above move up
            warehouse.execute("UPDATE editions SET revision = revision + 1 WHERE week = ? AND scope = ? AND revision >= ?",
                              [week, scope, revision])
        edition_id = warehouse.scalar(
            "INSERT INTO editions (week, scope, origin, revision, source, methodology, created_at, published) "
            "VALUES (?, ?, ?, ?, ?, ?, now(), ?) RETURNING edition_id",
            [week, scope, origin, revision, source, json.dumps(methodology, sort_keys=True), published])
        changes = changed(entries.get(below.edition_id, []), rows, compared) if below else []
        result[week] = Written(edition_id, True, above is None, changes)
        fresh.extend(rows)
        edition_ids.extend([edition_id] * len(rows))
    if fresh:
        table = pa.Table.from_pylist([{name: getattr(entry, name) for name in ENTRY_COLUMNS} for entry in fresh],
                                     schema=ENTRY_SCHEMA)
        insert_arrow(warehouse, "chart_entries", table.append_column("edition_id", pa.array(edition_ids, pa.int64())))
    return result


def _place(history: list[_Stored], published: dt.date | None) -> tuple[_Stored | None, _Stored | None]:
    """The revisions just below and just above where an edition published on `published`
    belongs (undated: on top)."""
    if published is None:
        return (history[-1] if history else None), None
    below = [s for s in history if s.dated is None or s.dated <= published]
    above = history[len(below):]
    return (below[-1] if below else None), (above[0] if above else None)


def _entries_of(warehouse: Warehouse, edition_ids: list[int]) -> dict[int, list[Entry]]:
    found: dict[int, list[Entry]] = {}
    if edition_ids:
        for row in warehouse.execute(
                f"SELECT edition_id, {', '.join(ENTRY_COLUMNS)} FROM chart_entries WHERE edition_id IN (SELECT unnest(?)) "
                "ORDER BY edition_id, country NULLS FIRST, category, rank", [edition_ids]).fetchall():
            found.setdefault(row[0], []).append(Entry(*row[1:]))
    return found


def changed(before: list[Entry], after: list[Entry], compared: tuple[str, ...] = COMPARED) -> list[Change]:
    """Every compared value that both revisions of the same lists carry and that differs, by list row."""
    old = {_order(entry): entry for entry in before}
    new = {_order(entry): entry for entry in after}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        for column in compared:
            if column in ("country", "category", "rank"):
                continue
            was = _comparable(getattr(old[key], column)) if key in old else None
            now = _comparable(getattr(new[key], column)) if key in new else None
            # A value one side does not carry (a column added or dropped by a layout) is no change.
            if was != now and (was is not None and now is not None or column == "title_key"):
                changes.append(Change(key[0] or None, key[1], key[2], column, was, now))
    return changes
