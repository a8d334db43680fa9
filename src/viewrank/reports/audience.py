"""Distinct viewing accounts per title over any window, and its starters, watchers and completers.

Two ways to count distinct accounts:
- estimated: merge the DataSketches HLL sketches the rollup step stores per day and title
  (daily_sketch, rollup/sketches.py) over the window's days. Reads no raw events: one stored
  sketch per title and day. Relative standard error sketch.STANDARD_ERROR.
  Sketches cover all countries together, so this serves global lists without a country filter.
- exact: stream the window's event parts a batch of titles at a time and count each title's
  distinct accounts (per country too). Reads every event of the window's days once (a batch is
  a range of title keys, and parts are sorted by title, so each pass skips the row groups of
  other titles) and holds at most one batch's events, EXACT_BATCH_SESSIONS, in memory.

Starters, watchers and completers are exact only. An account is a starter of a title in a
window if it played at least starter_seconds of it there, a watcher at least
watcher_fraction of the title's runtime at the window's end, a completer at least
completer_fraction of it. Seconds are summed over the window and all of a season's
episodes: the logs carry durations, not positions, so a rewatched episode counts again.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable


from ..charts.specialty import NO_FILTER, ListFilter
from ..charts.weekly import PREMIERE_DAYS_SQL, runtime_sql
from ..charts.windows import Window, bind
from ..errors import NotFound
from ..rollup import sketch
from ..store import events
from ..store.warehouse import Warehouse

# Which days of the rows (`day`, with titles joined as `p`) a window takes.
WINDOW_DAYS_SQL = {"window": "day BETWEEN $start AND $end", "premiere": PREMIERE_DAYS_SQL}
# Events one pass of an exact count reads at most (by the rollups' session counts): bounds memory.
EXACT_BATCH_SESSIONS = 20_000_000
AUDIENCE_COLUMNS = ("accounts", "starters", "watchers", "completers")
Key = tuple[str | None, int]  # (country or None for global, title_key)

SKETCHES_SQL = """
SELECT s.title_key, list(s.sketch) AS sketches
FROM daily_sketch s JOIN titles p USING (title_key)
WHERE {days} AND (CAST($title_keys AS INTEGER[]) IS NULL OR list_contains($title_keys, title_key))
GROUP BY s.title_key ORDER BY s.title_key
"""

EXACT_AUDIENCE_SQL = """
WITH events AS (
    SELECT e.day, e.title_key, e.account_key, e.seconds, c.iso2 AS country
    FROM {events} e JOIN countries c USING (country_index)
    WHERE e.title_key BETWEEN $first_key AND $last_key AND list_contains($title_keys, e.title_key)
),
per_account AS (
    SELECT CASE WHEN $scope = 'global' THEN NULL ELSE country END AS country, title_key, account_key,
           sum(seconds) AS seconds
    FROM events JOIN titles p USING (title_key)
    WHERE {days} AND ({country_filter})
    GROUP BY ALL
)
SELECT a.country, a.title_key, count(*) AS accounts,
       count(*) FILTER (WHERE a.seconds >= $starter_seconds) AS starters,
       CASE WHEN any_value(r.runtime_seconds) IS NOT NULL
            THEN count(*) FILTER (WHERE a.seconds >= $watcher_fraction * r.runtime_seconds) END AS watchers,
       CASE WHEN any_value(r.runtime_seconds) IS NOT NULL
            THEN count(*) FILTER (WHERE a.seconds >= $completer_fraction * r.runtime_seconds) END AS completers
FROM per_account a LEFT JOIN ({runtime}) r USING (title_key)
GROUP BY ALL
"""


# -- estimates from the sketches -----------------------------------------------------------

def estimated_viewers(warehouse: Warehouse, window: Window, *,
                      title_keys: list[int] | None = None) -> dict[Key, float]:
    """Estimated distinct accounts per (None, title) over the window in all countries, from sketches only."""
    _check_sketches(warehouse, window)
    sql = SKETCHES_SQL.format(days=WINDOW_DAYS_SQL[window.source])
    rows = warehouse.execute(sql, bind(sql, window.parameters | {"title_keys": title_keys})).fetchall()
    return {(None, title_key): sketch.estimate(*sketches) for title_key, sketches in rows}


def can_estimate(warehouse: Warehouse, scope: str, where: ListFilter) -> bool:
    """Whether sketches answer: they are kept (a setting) and cover every country together, so
    they serve global viewing with no country filter only."""
    return bool(warehouse.methodology.distinct_sketches) and scope == "global" and where.country_filter == "TRUE"


def _check_sketches(warehouse: Warehouse, window: Window) -> None:
    """Refuse to estimate from days rolled up before sketches existed (they would undercount)."""
    missing = warehouse.execute(
        """SELECT min(day), max(day) FROM (SELECT DISTINCT day FROM daily_rollup WHERE day BETWEEN $start AND $end
                                           EXCEPT SELECT DISTINCT day FROM daily_sketch WHERE day BETWEEN $start AND $end)""",
        {"start": window.start, "end": window.end}).fetchone()
    if missing and missing[0] is not None:
        raise NotFound(f"no distinct-account sketches for {missing[0]} to {missing[1]}: they are off (the "
                       "distinct_sketches setting) or the days were rolled up before sketches existed ('viewrank "
                       "rollup --full' builds them); count viewers exactly instead (--exact)")


# -- exact counts from the event parts -----------------------------------------------------

def exact_audience(warehouse: Warehouse, window: Window, title_keys: list[int], *, scope: str = "global",
                   where: ListFilter = NO_FILTER,
                   progress: Callable[[int], None] | None = None) -> dict[Key, dict[str, int | None]]:
    """Exact accounts, starters, watchers and completers per (country or None, title) over the window,
    read from the event parts a batch of titles at a time."""
    method = warehouse.methodology
    sql = EXACT_AUDIENCE_SQL.format(days=WINDOW_DAYS_SQL[window.source], country_filter=where.country_filter,
                                    runtime=runtime_sql(window.source),
                                    events=events.parameter_relation("paths"))
    result: dict[Key, dict[str, int | None]] = {}
    for batch in _batches(warehouse, window, title_keys):
        paths = _window_parts(warehouse, window, batch)
        if paths:
            values = window.parameters | where.parameters | {
                "scope": scope, "paths": paths, "title_keys": batch, "first_key": batch[0], "last_key": batch[-1],
                "starter_seconds": method.starter_seconds, "watcher_fraction": method.watcher_fraction,
                "completer_fraction": method.completer_fraction}
            for row in warehouse.rows(sql, bind(sql, values)):
                result[(row["country"], row["title_key"])] = {name: row[name] for name in AUDIENCE_COLUMNS}
        if progress:
            progress(len(batch))
    return result


def _batches(warehouse: Warehouse, window: Window, title_keys: list[int]) -> list[list[int]]:
    """Title keys in ascending runs of at most EXACT_BATCH_SESSIONS sessions in the window's days."""
    sessions = dict(warehouse.execute(
        "SELECT title_key, sum(sessions) FROM daily_rollup WHERE day BETWEEN ? AND ? AND list_contains(?, title_key) "
        "GROUP BY title_key", [window.start, window.end, title_keys]).fetchall())
    batches: list[list[int]] = []
    size = 0
    for key in sorted(set(title_keys)):
        if not batches or size + sessions.get(key, 0) > EXACT_BATCH_SESSIONS:
            batches.append([])
            size = 0
        batches[-1].append(key)
        size += sessions.get(key, 0)
    return batches


def _window_parts(warehouse: Warehouse, window: Window, title_keys: list[int]) -> list[str]:
    """The event parts of the days the titles' windows can touch."""
    first, last = window.start, window.end
    if window.first_days is not None:
        released = warehouse.execute("SELECT min(release_date), max(release_date) FROM titles "
                                     "WHERE list_contains(?, title_key)", [title_keys]).fetchone()
        if released is None or released[0] is None:
            return []
        first = max(first, released[0])
        last = min(last, released[1] + dt.timedelta(days=window.first_days - 1))
    return [path for offset in range((last - first).days + 1)
            for path in events.part_paths(warehouse, first + dt.timedelta(days=offset))]
