"""Events to daily rollups per (day, title, country): seconds, sessions, distinct accounts.

This is the only step that reads raw events. It is incremental: a day is recomputed only
when its set of event parts changed since it was last rolled up, each day in its own
transaction, so a new day costs one day's work and a crash loses at most the day in hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import pyarrow as pa

from .errors import SettingsError
from .rollup_kernel import empty_rollup, rollup_sorted_parts
from .store import Warehouse

# The one definition of the rollup, shared by every engine (`events` is one day's events).
ROLLUP_SELECT = """
SELECT title_key, country_index,
       sum(CAST(seconds AS BIGINT)) AS seconds,
       count(*) AS sessions,
       count(DISTINCT account_key) AS accounts
FROM events
GROUP BY title_key, country_index
"""

# Storing rollups (`day_rollup`: day plus the columns of ROLLUP_SELECT) under country codes.
STORE_ROLLUP_SQL = """
INSERT INTO daily_rollup
SELECT r.day, r.title_key, c.iso2, r.seconds, r.sessions, r.accounts
FROM day_rollup r JOIN countries c USING (country_index)
"""
ENGINES = ("auto", "duckdb")
# Days computed together and stored in one transaction; results are small, so memory stays low.
DAYS_PER_TRANSACTION = 32
_EMPTY_DAY_ROLLUP = empty_rollup().append_column("day", pa.array([], pa.date32()))

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


def pending_days(warehouse: Warehouse) -> list[tuple[dt.date, int, int]]:
    """Days whose event parts changed since their last rollup: (day, parts, rows)."""
    return [tuple(row) for row in warehouse.execute(PENDING_DAYS_SQL).fetchall()]  # type: ignore[misc]


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
    tables = rollup_sorted_parts([paths[day][0] for day in by_kernel], threads=threads)
    kernel_rollup = pa.concat_tables(
        [table.append_column("day", pa.array([day] * table.num_rows, pa.date32())) for day, table in zip(by_kernel, tables)]
        or [_EMPTY_DAY_ROLLUP])
    days = [day for day, _, _ in chunk]
    with warehouse.atomic():
        warehouse.execute("DELETE FROM daily_rollup WHERE list_contains(?, day)", [days])
        warehouse.execute("DELETE FROM rollup_days WHERE list_contains(?, day)", [days])
        warehouse.con.register("day_rollup", kernel_rollup)
        try:
            warehouse.execute(STORE_ROLLUP_SQL)
        finally:
            warehouse.con.unregister("day_rollup")
        for day in days:
            if day not in by_kernel:
                warehouse.execute(f"CREATE OR REPLACE TEMP TABLE day_rollup AS SELECT CAST($day AS DATE) AS day, * "
                                  f"FROM (WITH events AS (SELECT * FROM read_parquet($paths)) {ROLLUP_SELECT})",
                                  {"day": day, "paths": paths[day]})
                warehouse.execute(STORE_ROLLUP_SQL)
                warehouse.execute("DROP TABLE day_rollup")
        warehouse.execute("INSERT INTO rollup_days SELECT unnest($days), unnest($parts), unnest($rows), "
                          "unnest($engines), now()",
                          {"days": days, "parts": [parts for _, parts, _ in chunk],
                           "rows": [rows for _, _, rows in chunk],
                           "engines": ["kernel" if day in by_kernel else "duckdb" for day in days]})
