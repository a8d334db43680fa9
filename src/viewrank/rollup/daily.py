"""Events to daily rollups per (day, title, country): seconds, sessions, distinct accounts;
their chart week's totals per (title, country); and a distinct-account sketch per (day,
title) for viewers over any window (sketch_rollup.py).

This is the only step that reads raw events. It is incremental: a day is recomputed only
when its set of event parts changed since it was last rolled up, each chart week's pending
days in one transaction, so a new day costs one day's work (and its week's totals) and a
crash loses at most the week in hand.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa

from ..errors import SettingsError, WarehouseError
from ..store import events
from ..store.rollup_parts import (DAILY, WEEKLY, Kind, forget_damaged_parts, refresh_views, rollup_transaction,
                                  split_by_period)
from ..store.warehouse import Warehouse
from .kernel import arrow_integers, integer_values, mergeable, rollup_merged_parts, rollup_sorted_parts
from .sketches import replace_day_sketches

# The one definition of the rollup, shared by every engine: DuckDB and Spark run this SQL,
# the kernel computes the same thing from sorted parts (`events` has the day of each event).
ROLLUP_SELECT = """
SELECT day, title_key, country_index,
       sum(CAST(seconds AS BIGINT)) AS seconds,
       count(*) AS sessions,
       count(DISTINCT account_key) AS accounts
FROM events
GROUP BY day, title_key, country_index
"""

WEEKLY_ROLLUP_SQL = """
SELECT title_key, country_index, CAST(sum(seconds) AS BIGINT) AS seconds, CAST(sum(sessions) AS BIGINT) AS sessions
FROM daily_rollup_rows WHERE day BETWEEN $start AND $week
GROUP BY title_key, country_index ORDER BY title_key, country_index
"""
EPOCH = dt.date(1970, 1, 1)
ENGINES = ("auto", "duckdb")

EVENT_DAYS_SQL = "SELECT count(DISTINCT day) FROM event_files"
PENDING_DAYS_SQL = """
WITH parts AS (SELECT day, count(*) AS parts, sum(rows) AS event_rows FROM event_files GROUP BY day)
SELECT p.day, p.parts, p.event_rows
FROM parts p LEFT JOIN rollup_days r USING (day)
WHERE r.day IS NULL OR r.event_parts <> p.parts OR r.event_rows <> p.event_rows
ORDER BY p.day
"""


@dataclass
class RollupReport:
    days: list[dt.date] = field(default_factory=list)
    event_rows: int = 0
    engine: str = "duckdb"
    repaired: list[tuple[str, dt.date, str]] = field(default_factory=list)  # rollup parts found damaged


def rolled_up_days(warehouse: Warehouse) -> tuple[dt.date, dt.date] | None:
    """The first and last rolled-up day, or None before any rollup (imported charts only)."""
    first, last = warehouse.execute("SELECT min(day), max(day) FROM rollup_days").fetchone() or (None, None)
    return None if first is None else (first, last)


def pending_days(warehouse: Warehouse) -> list[tuple[dt.date, int, int]]:
    """Days whose event parts changed since their last rollup: (day, parts, rows)."""
    return [(day, int(parts), int(rows)) for day, parts, rows in warehouse.execute(PENDING_DAYS_SQL).fetchall()]


SPARK_RAW_ENGINE = "spark-raw"  # rollup_days.engine of a day rolled up on Spark from its raw files (spark_raw.py)


def days_to_roll(warehouse: Warehouse, *, full: bool = False) -> int:
    """How many days `rollup(full=...)` rolls up (for progress bars)."""
    return int(warehouse.scalar(EVENT_DAYS_SQL)) if full else len(pending_days(warehouse))


def pending_weeks(warehouse: Warehouse) -> list[list[tuple[dt.date, int, int]]]:
    """The pending days grouped by chart week, in order: each week is stored in one transaction."""
    weeks: dict[dt.date, list[tuple[dt.date, int, int]]] = {}
    for pending in pending_days(warehouse):
        weeks.setdefault(warehouse.methodology.week_end(pending[0]), []).append(pending)
    return list(weeks.values())


def rollup(warehouse: Warehouse, *, full: bool = False, engine: str = "auto", threads: int = 2,
           progress: Callable[[int], None] | None = None) -> RollupReport:
    """Roll up every day that has new events (or every day with `full`), a week at a time.

    engine "auto" streams days stored as one sorted part through the fast kernel, several
    days at once, and merges a day assembled from several parts in memory (DuckDB past
    MERGE_MAX_ROWS); "duckdb" uses DuckDB for every day.
    """
    if engine not in ENGINES:
        raise SettingsError(f"unknown rollup engine {engine!r} (choose from {', '.join(ENGINES)})")
    report = RollupReport(engine=engine)
    report.repaired = forget_damaged_parts(warehouse)  # their days are rolled up again below
    if full:  # every day with local events; a day Spark rolled up from raw files has none to recompute from
        with warehouse.atomic():
            warehouse.execute("DELETE FROM rollup_days WHERE engine <> ?", [SPARK_RAW_ENGINE])
    for week in pending_weeks(warehouse):
        _rollup_days(warehouse, week, engine, threads)
        report.days += [day for day, _, _ in week]
        report.event_rows += sum(rows for _, _, rows in week)
        if progress:
            progress(len(week))
    return report


def _rollup_days(warehouse: Warehouse, chunk: list[tuple[dt.date, int, int]], engine: str, threads: int) -> None:
    """Roll up one week's pending days: a day stored as one sorted part streams through the
    kernel; a day of several parts (or of a part written in sorted slices) is merged in
    memory; only a day too large to merge, or the "duckdb" engine, runs the SQL."""
    parts = events.day_parts(warehouse, [day for day, _, _ in chunk])
    rows = {day: count for day, _, count in chunk}
    method = {day: ("kernel" if len(parts[day]) == 1 and parts[day][0][1]
                    else "merge" if mergeable(rows[day]) else "duckdb") if engine == "auto" else "duckdb"
              for day, _, _ in chunk}
    by_kernel = [day for day in parts if method[day] == "kernel"]

    def merged(day: dt.date) -> pa.Table | None:
        return rollup_merged_parts([path for path, _ in parts[day]])

    def day_rollups() -> Iterator[pa.Table]:
        kernel = rollup_sorted_parts([parts[day][0][0] for day in by_kernel], threads=threads)
        for day, table in zip(by_kernel, kernel):
            yield _with_day(day, table)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            to_merge = [day for day in parts if method[day] == "merge"]
            for day, table in zip(to_merge, pool.map(merged, to_merge)):
                if table is None:
                    method[day] = "duckdb"
                else:
                    yield _with_day(day, table)
        for day in [day for day in parts if method[day] == "duckdb"]:
            yield warehouse.arrow(
                f"WITH events AS (SELECT CAST($day AS DATE) AS day, * FROM "
                f"{events.relation([path for path, _ in parts[day]])}) {ROLLUP_SELECT}", {"day": day})

    store_rollups(warehouse, chunk, day_rollups(), engine=method)


def _with_day(day: dt.date, table: pa.Table) -> pa.Table:
    return table.add_column(0, "day", arrow_integers(np.full(table.num_rows, (day - EPOCH).days), pa.date32()))


def store_rollups(warehouse: Warehouse, chunk: list[tuple[dt.date, int, int]], rollups: Iterable[pa.Table], *,
                  engine: str | dict[dt.date, str]) -> None:
    """Replace the rollups of the chunk's days, all of one chart week, with `rollups` (tables
    with the columns of ROLLUP_SELECT), atomically; each table is written as a part as soon
    as it arrives.

    The week's totals are summed from the tables in hand when they hold every rolled-up day
    of the week, and otherwise by SQL over the stored days.
    """
    days = [day for day, _, _ in chunk]
    week = warehouse.methodology.week_end(days[0])
    if any(warehouse.methodology.week_end(day) != week for day in days):
        raise ValueError("store_rollups takes the days of one chart week")
    start = warehouse.methodology.week_start_of(week)
    with rollup_transaction(warehouse) as parts:
        parts.drop(DAILY, days)
        warehouse.execute("DELETE FROM rollup_days WHERE list_contains(?, day)", [days])
        known = _known_countries(warehouse)
        whole_week = not warehouse.scalar(
            "SELECT count(*) FROM rollup_parts WHERE kind = ? AND period BETWEEN ? AND ?", [DAILY.name, start, week])
        totals = WeekTotals(len(known)) if whole_week else None
        for table in rollups:
            if table.num_rows:
                _check_countries(table, known)
                for day, rows in split_by_period(table, DAILY.period):
                    parts.add(DAILY, day, rows)
                if totals and not totals.add(table):
                    totals = None
        replace_day_sketches(warehouse, days)
        parts.drop(WEEKLY, [week])
        if totals:
            parts.add(WEEKLY, week, totals.table())
        else:
            refresh_views(warehouse.con)  # the SQL reads this transaction's daily parts
            parts.add(WEEKLY, week, warehouse.arrow(WEEKLY_ROLLUP_SQL, {"week": week, "start": start}))
        engines = [engine if isinstance(engine, str) else engine[day] for day in days]  # after: a merge may fall back
        warehouse.execute("INSERT INTO rollup_days SELECT unnest($days), unnest($parts), unnest($rows), "
                          "unnest($engines), now()",
                          {"days": days, "parts": [parts for _, parts, _ in chunk],
                           "rows": [rows for _, _, rows in chunk], "engines": engines})


def replace_rollup_rows(warehouse: Warehouse, kind: Kind, period: dt.date, table: pa.Table) -> None:
    """Make `table` (a kind's columns) the rollup rows of one day or week, atomically: for
    rollups made elsewhere, such as a benchmark's synthetic ones."""
    _check_countries(table, _known_countries(warehouse))
    with rollup_transaction(warehouse) as parts:
        parts.drop(kind, [period])
        parts.add(kind, period, table)


def clear_rollups(warehouse: Warehouse) -> None:
    """Remove every stored rollup, so that the next rollup computes every day afresh."""
    with rollup_transaction(warehouse) as parts:
        for kind in (DAILY, WEEKLY):
            parts.drop(kind, [period for (period,) in warehouse.execute(
                "SELECT DISTINCT period FROM rollup_parts WHERE kind = ?", [kind.name]).fetchall()])
        warehouse.execute("DELETE FROM daily_sketch")
        warehouse.execute("DELETE FROM rollup_days")


class WeekTotals:
    """Seconds and sessions per (title, country) summed over a week's daily rollups as they
    arrive: exact integer sums into a dense titles x countries grid, with no sort or hash.

    The grid has a column only for each country that occurs, in order of appearance: fresh
    memory is costly to touch (each page is zeroed on first use), and most country indexes
    of the countries table never occur in a week. Used while the grid stays within
    MAX_CELLS; SQL sums the rest."""

    MAX_CELLS = 1 << 24

    def __init__(self, countries: int):
        self.column_of = np.full(countries, -1, np.int64)  # grid column of each country index
        self.countries = np.empty(0, np.int64)  # country index of each grid column
        self.seconds = np.zeros((0, 0), np.int64)
        self.sessions = np.zeros((0, 0), np.int64)

    def add(self, table: pa.Table) -> bool:
        """Add one table of daily rollups; False (nothing added) when it does not fit."""
        titles, countries = (integer_values(table[name]).astype(np.int64) for name in ("title_key", "country_index"))
        present = np.flatnonzero(np.bincount(countries, minlength=len(self.column_of)))
        new = present[self.column_of[present] < 0]
        rows, needed = self.seconds.shape[0], int(titles.max()) + 1
        if needed > rows:  # later titles grow the grid with headroom, so that it is seldom copied
            rows = needed if rows == 0 else max(needed, rows * 5 // 4)
        shape = (rows, len(self.countries) + len(new))
        if shape[0] * shape[1] > self.MAX_CELLS or titles.min() < 0:
            return False
        if new.size:
            self.column_of[new] = np.arange(len(self.countries), shape[1])
            self.countries = np.concatenate([self.countries, new])
        if shape != self.seconds.shape:
            self.seconds, self.sessions = (_grown(grid, shape) for grid in (self.seconds, self.sessions))
        cell = titles * shape[1] + self.column_of[countries]
        np.add.at(self.seconds.reshape(-1), cell, integer_values(table["seconds"]))
        np.add.at(self.sessions.reshape(-1), cell, integer_values(table["sessions"]))
        return True

    def table(self) -> pa.Table:
        """The week's rows in the layout of a weekly rollup part."""
        cells = np.flatnonzero(self.sessions)
        titles, columns = np.divmod(cells, self.sessions.shape[1])
        return pa.table({
            "title_key": arrow_integers(titles, pa.int32()),
            "country_index": arrow_integers(self.countries[columns], pa.int16()),
            "seconds": arrow_integers(self.seconds.reshape(-1)[cells], pa.int64()),
            "sessions": arrow_integers(self.sessions.reshape(-1)[cells], pa.int64())})


def _grown(grid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A zero grid of `shape` holding `grid` in its top-left corner."""
    larger = np.zeros(shape, grid.dtype)
    larger[:grid.shape[0], :grid.shape[1]] = grid
    return larger


def _known_countries(warehouse: Warehouse) -> np.ndarray:
    """Whether each country index up to the largest is one the countries table has."""
    indexes = np.array([index for (index,) in warehouse.execute("SELECT country_index FROM countries").fetchall()], np.int64)
    known = np.zeros(indexes.max() + 1 if len(indexes) else 0, bool)
    known[indexes] = True
    return known


def _check_countries(table: pa.Table, known: np.ndarray) -> None:
    """Refuse a rollup naming a country index that the countries table lacks (the views' join would drop it)."""
    index = integer_values(table["country_index"])
    if len(index) and (index.min() < 0 or index.max() >= len(known) or not known[index].all()):
        raise WarehouseError("a rollup refers to a country index that the countries table does not have")
