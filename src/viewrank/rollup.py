"""Events to daily rollups per (day, title, country): seconds, sessions, distinct accounts.

This is the only step that reads raw events. It is incremental: a day is recomputed only
when its set of event parts changed since it was last rolled up, each day in its own
transaction, so a new day costs one day's work and a crash loses at most the day in hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from .store import Warehouse

# The one definition of the rollup, shared by every engine (`events` is one day's events).
ROLLUP_SELECT = """
SELECT title_key, country,
       sum(CAST(seconds AS BIGINT)) AS seconds,
       count(*) AS sessions,
       count(DISTINCT account_id) AS accounts
FROM events
GROUP BY title_key, country
"""

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


def rollup(warehouse: Warehouse, *, full: bool = False,
           progress: Callable[[int], None] | None = None) -> RollupReport:
    """Roll up every day that has new events (or every day with `full`)."""
    if full:
        with warehouse.atomic():
            warehouse.execute("DELETE FROM rollup_days")
    report = RollupReport()
    for day, parts, rows in pending_days(warehouse):
        _rollup_day(warehouse, day, parts, rows)
        report.days.append(day)
        report.event_rows += rows
        if progress:
            progress(1)
    return report


def _rollup_day(warehouse: Warehouse, day: dt.date, parts: int, rows: int) -> None:
    paths = warehouse.event_part_paths(day)
    with warehouse.atomic():
        warehouse.execute("DELETE FROM daily_rollup WHERE day = ?", [day])
        warehouse.execute(
            f"INSERT INTO daily_rollup SELECT CAST(? AS DATE) AS day, * FROM "
            f"(WITH events AS (SELECT * FROM read_parquet(?)) {ROLLUP_SELECT})",
            [day, paths])
        warehouse.execute("DELETE FROM rollup_days WHERE day = ?", [day])
        warehouse.execute("INSERT INTO rollup_days VALUES (?, ?, ?, 'duckdb', now())", [day, parts, rows])
