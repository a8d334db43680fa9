"""Events to daily rollups per (day, title, country): seconds, sessions, distinct accounts.

This is the only step that reads raw events. It is incremental: a day is recomputed only
when its set of event parts changed since it was last rolled up, each day in its own
transaction, so a new day costs one day's work and a crash loses at most the day in hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from .errors import SettingsError
from .rollup_kernel import rollup_sorted_part
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

# Storing a day's rollup (`day_rollup` has the columns of ROLLUP_SELECT) under country codes.
STORE_DAY_SQL = """
INSERT INTO daily_rollup
SELECT CAST($day AS DATE), r.title_key, c.iso2, r.seconds, r.sessions, r.accounts
FROM day_rollup r JOIN countries c USING (country_index)
"""
ENGINES = ("auto", "duckdb")

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


def rollup(warehouse: Warehouse, *, full: bool = False, engine: str = "auto",
           progress: Callable[[int], None] | None = None) -> RollupReport:
    """Roll up every day that has new events (or every day with `full`).

    engine "auto" streams a day stored as one sorted part through the fast kernel and hands
    a day assembled from several parts to DuckDB; "duckdb" uses DuckDB for every day.
    """
    if engine not in ENGINES:
        raise SettingsError(f"unknown rollup engine {engine!r} (choose from {', '.join(ENGINES)})")
    if full:
        with warehouse.atomic():
            warehouse.execute("DELETE FROM rollup_days")
    report = RollupReport(engine=engine)
    for day, parts, rows in pending_days(warehouse):
        _rollup_day(warehouse, day, parts, rows, engine)
        report.days.append(day)
        report.event_rows += rows
        if progress:
            progress(1)
    return report


def _rollup_day(warehouse: Warehouse, day: dt.date, parts: int, rows: int, engine: str) -> None:
    paths = warehouse.event_part_paths(day)
    if engine == "auto" and len(paths) == 1:
        used = "kernel"
        warehouse.con.register("day_rollup", rollup_sorted_part(paths[0]))
    else:
        used = "duckdb"
        warehouse.execute(f"CREATE OR REPLACE TEMP TABLE day_rollup AS "
                          f"WITH events AS (SELECT * FROM read_parquet(?)) {ROLLUP_SELECT}", [paths])
    try:
        with warehouse.atomic():
            warehouse.execute("DELETE FROM daily_rollup WHERE day = ?", [day])
            warehouse.execute(STORE_DAY_SQL, {"day": day})
            warehouse.execute("DELETE FROM rollup_days WHERE day = ?", [day])
            warehouse.execute("INSERT INTO rollup_days VALUES (?, ?, ?, ?, now())", [day, parts, rows, used])
    finally:
        if used == "kernel":
            warehouse.con.unregister("day_rollup")
        else:
            warehouse.execute("DROP TABLE day_rollup")
