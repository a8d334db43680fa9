"""Weekly charts from daily rollups: the global lists per category and the per-country
lists, ranked on exact values, with weeks in the Top 10 and streaks, stored as editions.

Charts read only rollups and the catalog, never raw events. An edition is frozen: when a
recomputation differs (late data, a corrected catalog) it becomes a new revision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from ..catalog import RUNTIME_AS_OF_SQL
from ..errors import NotFound
from ..rollup.daily import rolled_up_days
from ..settings import Methodology
from ..store.warehouse import Warehouse
from .editions import ENTRY_COLUMNS, Entry, write_editions

GLOBAL_CATEGORIES = ("Films (English)", "Films (Non-English)", "TV (English)", "TV (Non-English)")
COUNTRY_CATEGORIES = ("Films", "TV")

# The ranked lists of one week for one scope. The metric is views (seconds / runtime) or
# hours (seconds); ties fall to the other metric, then to the title id, so ranks are unique.
# Only the rows at or above each list's list_size-th best metric are sorted (ties at the
# edge included), which keeps a week of 20,000 titles x 93 countries well under a second.
# Where a list's viewing comes from: a chart week's rollup, raw events (a `week_events`
# view, for audits), the daily rollups of any window from $start to $end, or of each title's
# own first $days days from its release date ("premiere", only titles whose whole window lies
# in $start..$end). Each gives (country, title_key, seconds) for $scope; the two window
# sources count only the rollup rows whose `country` passes {country_filter}.
PREMIERE_DAYS_SQL = """p.release_date >= $start AND p.release_date + CAST($days - 1 AS INTEGER) <= $end
      AND day BETWEEN p.release_date AND p.release_date + CAST($days - 1 AS INTEGER)"""
VIEWING_SOURCES = {
    "week": """
    SELECT country, title_key, seconds FROM weekly_rollup WHERE week = $end AND $scope = 'country'
    UNION ALL
    SELECT NULL, title_key, sum(seconds) FROM weekly_rollup WHERE week = $end AND $scope = 'global' GROUP BY title_key""",
    "events": """
    SELECT CASE WHEN $scope = 'global' THEN NULL ELSE c.iso2 END AS country, e.title_key, sum(e.seconds) AS seconds
    FROM week_events e JOIN countries c USING (country_index) GROUP BY ALL""",
    "window": """
    SELECT CASE WHEN $scope = 'global' THEN NULL ELSE country END AS country, title_key, sum(seconds) AS seconds
    FROM daily_rollup WHERE day BETWEEN $start AND $end AND ({country_filter}) GROUP BY ALL""",
    "premiere": f"""
    SELECT CASE WHEN $scope = 'global' THEN NULL ELSE d.country END AS country, d.title_key, sum(d.seconds) AS seconds
    FROM daily_rollup d JOIN titles p USING (title_key)
    WHERE {PREMIERE_DAYS_SQL} AND ({{country_filter}}) GROUP BY ALL""",
}
# The day a source's runtimes are taken on: the end of its window (each title's own for "premiere").
RUNTIME_AS_OF = {"premiere": "t.release_date + CAST($days - 1 AS INTEGER)"}

# What a list ranks by, and the tie-break after it: views or hours viewed as $by_views says,
# or distinct viewing accounts from a `list_viewers` table (country, title_key, viewers) that
# the caller fills for the same window.
RANKING_METRICS = {
    "default": ("CASE WHEN $by_views THEN v.seconds / nullif(r.runtime_seconds, 0) ELSE v.seconds END",
                "CASE WHEN $by_views THEN seconds ELSE views_exact END"),
    "viewers": ("(SELECT w.viewers FROM list_viewers w "
                "WHERE w.title_key = v.title_key AND w.country IS NOT DISTINCT FROM v.country)", "views_exact"),
}

RANKED_LISTS_TEMPLATE = """
WITH viewing AS ({viewing}
),
scored AS (
    SELECT v.country, v.title_key, t.title_id,
           CASE WHEN t.kind = 'film' THEN 'Films' ELSE 'TV' END
             || CASE WHEN $scope = 'country' THEN ''
                     WHEN t.original_language = $english THEN ' (English)' ELSE ' (Non-English)' END AS category,
           v.seconds,
           r.runtime_seconds,
           v.seconds / nullif(r.runtime_seconds, 0) AS views_exact,
           {metric} AS metric
    FROM viewing v
    JOIN titles t USING (title_key)
    LEFT JOIN ({runtime}) r USING (title_key)
    WHERE v.seconds > 0 AND ({title_filter})
),
edges AS (
    SELECT country, category, list_min(max(metric, $list_size)) AS floor, count(metric) AS measured
    FROM scored GROUP BY country, category
),
candidates AS (
    SELECT s.* FROM scored s
    JOIN edges e ON e.country IS NOT DISTINCT FROM s.country AND e.category = s.category
    WHERE s.metric >= e.floor OR e.measured < $list_size
)
SELECT country, category,
       CAST(row_number() OVER (
           PARTITION BY country, category
           ORDER BY metric DESC NULLS LAST,
                    {tie} DESC NULLS LAST,
                    title_id
       ) AS INTEGER) AS rank,
       title_key,
       seconds / 3600.0 AS hours_viewed,
       runtime_seconds / 3600.0 AS runtime_hours,
       views_exact AS views
FROM candidates
QUALIFY rank <= $list_size
"""


def ranked_lists_sql(source: str = "week", *, title_filter: str = "TRUE", country_filter: str = "TRUE",
                     metric: str = "default") -> str:
    """The ranking query over viewing from `source`, for titles `t` passing `title_filter` (SQL),
    counting the viewing of countries passing `country_filter` (SQL on `country`, window sources)."""
    if country_filter != "TRUE" and "{country_filter}" not in VIEWING_SOURCES[source]:
        raise ValueError(f"viewing source {source!r} takes no country filter")
    ranked_by, tie = RANKING_METRICS[metric]
    return RANKED_LISTS_TEMPLATE.format(viewing=VIEWING_SOURCES[source].format(country_filter=country_filter),
                                        title_filter=title_filter, runtime=runtime_sql(source),
                                        metric=ranked_by, tie=tie)


def runtime_sql(source: str) -> str:
    """(title_key, runtime_seconds) of every title at the end of a `source` window."""
    return RUNTIME_AS_OF_SQL.replace("$as_of", RUNTIME_AS_OF.get(source, "$end"))

# Weeks in the Top 10 count every earlier week on the same list (re-entries included); the
# streak is the edition writer's (editions.STREAKS_SQL), the same for every origin.
WEEKS_IN_TOP_10_SQL = """
SELECT n.country, n.category, n.rank, n.title_key, n.hours_viewed, n.runtime_hours, n.views,
       CAST(1 + (SELECT count(*) FROM current_entries h
                 WHERE h.scope = $scope AND h.week < $week AND h.title_key = n.title_key
                   AND h.category = n.category AND h.country IS NOT DISTINCT FROM n.country) AS INTEGER)
           AS cumulative_weeks
FROM new_lists n
ORDER BY country NULLS FIRST, category, rank
"""
HAS_EDITION_SQL = "SELECT count(*) > 0 FROM editions WHERE week = ? AND scope = ?"
REVISION_SQL = "SELECT revision FROM editions WHERE edition_id = ?"


@dataclass
class ChartsReport:
    weeks: list[dt.date] = field(default_factory=list)
    new_editions: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0


def chartable_weeks(warehouse: Warehouse, *, now: dt.datetime | None = None) -> list[dt.date]:
    """Every week fully covered by rolled-up days whose last day has ended (and the grace
    period after it) by `now`, oldest first: an event dated tomorrow does not make this week
    or the next one complete."""
    covered = rolled_up_days(warehouse)
    if covered is None:
        return []
    method = warehouse.methodology
    first, last = covered[0], min(covered[1], method.last_closed_week(now or dt.datetime.now(dt.timezone.utc)))
    week = method.week_end(first)
    if method.week_start_of(week) < first:
        week += dt.timedelta(days=7)
    weeks = []
    while week <= last:
        weeks.append(week)
        week += dt.timedelta(days=7)
    return weeks


STALE_WEEKS_SQL = """
SELECT w.week FROM (SELECT CAST(unnest($weeks) AS DATE) AS week) w
LEFT JOIN chart_runs c USING (week)
WHERE c.week IS NULL OR EXISTS (SELECT 1 FROM rollup_days r
                                WHERE r.day BETWEEN w.week - INTERVAL 6 DAY AND w.week AND r.rolled_at > c.computed_at)
   OR w.week IN (SELECT week FROM stale_weeks)
"""


def compute_charts(warehouse: Warehouse, *, weeks: list[dt.date] | None = None, everything: bool = False,
                   progress: Callable[[int], None] | None = None, now: dt.datetime | None = None) -> ChartsReport:
    """Compute the lists of the given weeks, oldest first.

    By default: every complete week whose rollups changed since it was last computed, and
    every later week once one of them comes out different (weeks in the Top 10 carry over).
    `everything` recomputes every complete week. A week is complete once its last day has
    ended, plus the week_close_grace_hours setting, at `now`; a week asked for by name is
    computed whatever the time.
    """
    report = ChartsReport()
    candidates = weeks if weeks is not None else _default_weeks(warehouse, now)
    for week in candidates:
        if warehouse.methodology.week_end(week) != week:
            raise NotFound(f"{week} is not the last day of a chart week (weeks end on the day before {warehouse.methodology.week_start})")
    stale = set(candidates) if weeks is not None or everything else {
        week for (week,) in warehouse.execute(STALE_WEEKS_SQL, {"weeks": candidates}).fetchall()}
    cascade = False
    for week in sorted(candidates):
        if week not in stale and not cascade:
            continue
        for scope in ("global", "country"):
            edition = _compute_scope(warehouse, week, scope)
            if edition:
                report.new_editions.append(edition)
                cascade = True
            else:
                report.unchanged += 1
        warehouse.execute("INSERT OR REPLACE INTO chart_runs VALUES (?, now())", [week])
        warehouse.execute("DELETE FROM stale_weeks WHERE week = ?", [week])
        report.weeks.append(week)
        if progress:
            progress(1)
    return report


def _default_weeks(warehouse: Warehouse, now: dt.datetime | None = None) -> list[dt.date]:
    """Every complete week, and any other week charted before (it is kept up to date too),
    except weeks whose published lists were imported: computed lists never replace them
    unless a week is asked for by name."""
    charted = [week for (week,) in warehouse.execute("SELECT week FROM chart_runs").fetchall()]
    imported = {week for (week,) in warehouse.execute(
        "SELECT DISTINCT week FROM current_editions WHERE origin = 'imported'").fetchall()}
    return sorted((set(chartable_weeks(warehouse, now=now)) | set(charted)) - imported)


def pending_weeks(warehouse: Warehouse) -> int:
    """How many weeks `compute_charts` would look at first (for progress bars)."""
    weeks = _default_weeks(warehouse)
    return len(warehouse.execute(STALE_WEEKS_SQL, {"weeks": weeks}).fetchall()) if weeks else 0


def weeks_to_chart(warehouse: Warehouse, weeks: list[dt.date] | None, everything: bool) -> int:
    """How many weeks `compute_charts(weeks=..., everything=...)` computes (for progress bars)."""
    if weeks:
        return len(weeks)
    return len(chartable_weeks(warehouse)) if everything else pending_weeks(warehouse)


def list_parameters(method: Methodology, week: dt.date, scope: str) -> dict[str, Any]:
    """The bound parameters of the ranking query for one week and scope under `method`."""
    return {"scope": scope, "end": week, "english": method.english_language,
            "by_views": method.ranks_by_views(week), "list_size": method.list_size}


def _compute_scope(warehouse: Warehouse, week: dt.date, scope: str) -> dict[str, Any] | None:
    """Rank one week's lists of one scope and store them through the edition writer, a new
    revision only when anything (streaks included) differs from the current one."""
    method = warehouse.methodology
    with warehouse.atomic():
        warehouse.execute("CREATE OR REPLACE TEMP TABLE new_lists AS " + ranked_lists_sql("week"),
                          list_parameters(method, week, scope))
        entries = [Entry(**row) for row in warehouse.rows(WEEKS_IN_TOP_10_SQL, {"scope": scope, "week": week})]
        warehouse.execute("DROP TABLE new_lists")
        if not entries and not warehouse.scalar(HAS_EDITION_SQL, [week, scope]):
            return None
        written = write_editions(warehouse, scope, {week: entries}, origin="computed", source="rollups",
                                 methodology=method.values, compared=ENTRY_COLUMNS)[week]
        if not written.new:
            return None
        revision = warehouse.scalar(REVISION_SQL, [written.edition_id])
    return {"edition_id": written.edition_id, "week": week, "scope": scope, "revision": revision}


def weekly_list(warehouse: Warehouse, week: dt.date, *, category: str,
                country: str | None = None) -> list[dict[str, Any]]:
    """One published list of a week (current revision) with titles resolved."""
    return warehouse.rows(
        """SELECT c.rank, t.title_id, t.show_title, t.season_title, c.hours_viewed, c.runtime_hours, c.views,
                  c.cumulative_weeks, c.streak_weeks, c.origin, c.revision
           FROM current_entries c JOIN titles t USING (title_key)
           WHERE c.week = ? AND c.category = ? AND c.country IS NOT DISTINCT FROM ?
           ORDER BY c.rank""",
        [week, category, country])


def published_weeks(warehouse: Warehouse) -> list[dt.date]:
    return [week for (week,) in warehouse.execute(
        "SELECT DISTINCT week FROM current_editions ORDER BY week").fetchall()]
