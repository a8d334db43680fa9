"""Events to daily rollups per (day, title, country): seconds, sessions, distinct accounts;
and a distinct-account sketch per (day, title) for viewers over any window (sketch_rollup.py).

This is the only step that reads raw events. It is incremental: a day is recomputed only
when its set of event parts changed since it was last rolled up, each day in its own
transaction, so a new day costs one day's work and a crash loses at most the day in hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import SettingsError, WarehouseError
from .rollup_kernel import arrow_integers, rollup_sorted_parts
from .sketch_rollup import replace_day_sketches
from .store import Warehouse

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
INSERT INTO weekly_rollup
SELECT $week, title_key, country, sum(seconds), sum(sessions)
FROM daily_rollup WHERE day BETWEEN $start AND $week
GROUP BY title_key, country
"""
EPOCH = dt.date(1970, 1, 1)
ENGINES = ("auto", "duckdb")
# Days computed together and stored in one transaction; results are small, so memory stays low.
DAYS_PER_TRANSACTION = 32

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


def rolled_up_days(warehouse: Warehouse) -> tuple[dt.date, dt.date] | None:
    """The first and last rolled-up day, or None before any rollup (imported charts only)."""
    first, last = warehouse.execute("SELECT min(day), max(day) FROM rollup_days").fetchone() or (None, None)
    return None if first is None else (first, last)


def pending_days(warehouse: Warehouse) -> list[tuple[dt.date, int, int]]:
    """Days whose event parts changed since their last rollup: (day, parts, rows)."""
    return [(day, int(parts), int(rows)) for day, parts, rows in warehouse.execute(PENDING_DAYS_SQL).fetchall()]


def rollup(warehouse: Warehouse, *, full: bool = False, engine: str = "auto", threads: int = 2,
           progress: Callable[[int], None] | None = None) -> RollupReport:
    """Roll up every day that has new events (or every day with `full`).

    engine "auto" streams days stored as one sorted part through the fast kernel, several
    days at once, and hands a day assembled from several parts to DuckDB; "duckdb" uses
    DuckDB for every day. Each chunk of days is stored in one transaction.
    """
    if engine not in ENGINES:
        raise SettingsError(f"unknown rollup engine {engine!r} (choose from {', '.join(ENGINES)})")
    if full:
        with warehouse.atomic():
            warehouse.execute("DELETE FROM rollup_days")
    report = RollupReport(engine=engine)
    pending = pending_days(warehouse)
    for start in range(0, len(pending), DAYS_PER_TRANSACTION):
        chunk = pending[start:start + DAYS_PER_TRANSACTION]
        _rollup_days(warehouse, chunk, engine, threads)
        report.days += [day for day, _, _ in chunk]
        report.event_rows += sum(rows for _, _, rows in chunk)
        if progress:
            progress(len(chunk))
    return report


def _rollup_days(warehouse: Warehouse, chunk: list[tuple[dt.date, int, int]], engine: str, threads: int) -> None:
    paths = {day: warehouse.event_part_paths(day) for day, _, _ in chunk}
    by_kernel = [day for day, _, _ in chunk if engine == "auto" and len(paths[day]) == 1]

    def day_rollups() -> Iterator[pa.Table]:
        kernel = rollup_sorted_parts([paths[day][0] for day in by_kernel], threads=threads)
        for day, table in zip(by_kernel, kernel):
            yield table.add_column(0, "day", arrow_integers(np.full(table.num_rows, (day - EPOCH).days), pa.date32()))
        for day in [day for day in paths if day not in by_kernel]:
            yield warehouse.arrow(
                f"WITH events AS (SELECT CAST($day AS DATE) AS day, * FROM read_parquet($paths)) {ROLLUP_SELECT}",
                {"day": day, "paths": paths[day]})

    store_rollups(warehouse, chunk, day_rollups(),
                  engine={day: "kernel" if day in by_kernel else "duckdb" for day, _, _ in chunk})


def store_rollups(warehouse: Warehouse, chunk: list[tuple[dt.date, int, int]], rollups: Iterable[pa.Table], *,
                  engine: str | dict[dt.date, str]) -> None:
    """Replace the rollups of the chunk's days with `rollups` (tables with the columns of
    ROLLUP_SELECT), atomically; each table is stored as soon as it arrives."""
    days = [day for day, _, _ in chunk]
    engines = [engine if isinstance(engine, str) else engine[day] for day in days]
    with warehouse.atomic():
        warehouse.execute("DELETE FROM daily_rollup WHERE list_contains(?, day)", [days])
        warehouse.execute("DELETE FROM rollup_days WHERE list_contains(?, day)", [days])
        iso2 = _country_codes(warehouse)
        for table in rollups:
            if table.num_rows:
                _insert_daily_rollup(warehouse, table, iso2)
        replace_day_sketches(warehouse, days)
        for week in sorted({warehouse.methodology.week_end(day) for day in days}):
            warehouse.execute("DELETE FROM weekly_rollup WHERE week = ?", [week])
            warehouse.execute(WEEKLY_ROLLUP_SQL, {"week": week, "start": warehouse.methodology.week_start_of(week)})
        warehouse.execute("INSERT INTO rollup_days SELECT unnest($days), unnest($parts), unnest($rows), "
                          "unnest($engines), now()",
                          {"days": days, "parts": [parts for _, parts, _ in chunk],
                           "rows": [rows for _, _, rows in chunk], "engines": engines})


def _country_codes(warehouse: Warehouse) -> pa.Array:
    """ISO codes indexed by country_index (null where no country has the index)."""
    return warehouse.arrow("""
        SELECT c.iso2 FROM range((SELECT coalesce(max(country_index) + 1, 0) FROM countries)) slots(i)
        LEFT JOIN countries c ON c.country_index = slots.i ORDER BY slots.i""").column(0).combine_chunks()


def _insert_daily_rollup(warehouse: Warehouse, table: pa.Table, iso2: pa.Array) -> None:
    """Store one table of rollups under country codes, mapped in Arrow rather than by a join."""
    index = table["country_index"].cast(pa.int32())
    country = pc.take(iso2, index) if pc.max(index).as_py() < len(iso2) else None
    if country is None or country.null_count:
        raise WarehouseError("a rollup refers to a country index that the countries table does not have")
    rows = pa.table({
        "day": table["day"].cast(pa.date32()), "title_key": table["title_key"].cast(pa.int32()), "country": country,
        "seconds": table["seconds"].cast(pa.int64()), "sessions": table["sessions"].cast(pa.int64()),
        "accounts": table["accounts"].cast(pa.int64()),
    })
    warehouse.con.register("day_rollup", rows)
    try:
        warehouse.execute("INSERT INTO daily_rollup BY NAME SELECT * FROM day_rollup")
    finally:
        warehouse.con.unregister("day_rollup")
