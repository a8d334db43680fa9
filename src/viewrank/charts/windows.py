"""Windows of days that lists are measured over, and the one ranking over any of them.

A window is a day, a date range, or "the first N days from each title's premiere" (each
title measured over its own days, ranked among titles of its category). Every ranking is
charts.ranked_lists_sql over the daily rollups, so a window ranks exactly as a chart week
does; runtimes are those at the window's end (each title's own end for first-N-days).
A window must lie inside the rolled-up days: a partial window would understate its titles.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ..errors import NotFound
from ..rollup.daily import rolled_up_days
from ..store.warehouse import Warehouse
from .specialty import NO_FILTER, ListFilter
from .weekly import ranked_lists_sql

RANK_BY = ("views", "hours", "viewers")
PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Window:
    """The days a list measures: the same dates for every title, or each title's first N days
    (then start..end are the rolled-up days its premiere and its last day must lie in)."""

    start: dt.date
    end: dt.date
    first_days: int | None = None

    @property
    def source(self) -> str:
        """The charts.VIEWING_SOURCES entry that reads this window."""
        return "window" if self.first_days is None else "premiere"

    @property
    def parameters(self) -> dict[str, Any]:
        values: dict[str, Any] = {"start": self.start, "end": self.end}
        if self.first_days is not None:
            values["days"] = self.first_days
        return values

    def describe(self) -> dict[str, Any]:
        """The window as plain data: what a list or a figure was computed from."""
        if self.first_days is None:
            return {"from": self.start, "to": self.end, "days": (self.end - self.start).days + 1}
        return {"first_days": self.first_days, "premieres_from": self.start,
                "premieres_to": self.end - dt.timedelta(days=self.first_days - 1)}


EVENT_FILES_SQL = "SELECT count(*) FROM event_files"
IMPORTED_WEEKS_SQL = "SELECT count(*) FROM current_editions WHERE origin = 'imported'"


def covered_days(warehouse: Warehouse) -> tuple[dt.date, dt.date]:
    """The first and last rolled-up day; there must be some."""
    covered = rolled_up_days(warehouse)
    if covered is None:
        raise NotFound(_why_no_rolled_up_days(warehouse))
    return covered


def _why_no_rolled_up_days(warehouse: Warehouse) -> str:
    """What a warehouse without rolled-up days needs before figures over days can be read off it."""
    if warehouse.scalar(EVENT_FILES_SQL):
        return "no rolled-up days yet: the stored playback events are not rolled up (run 'viewrank rollup')"
    if warehouse.scalar(IMPORTED_WEEKS_SQL):
        return ("this needs daily viewing from playback logs, and this warehouse holds only imported published "
                "lists: read those with 'viewrank lists', 'viewrank facts' or 'viewrank factsheet'")
    return "no playback events yet (run 'viewrank ingest', then 'viewrank rollup')"


def date_window(warehouse: Warehouse, start: dt.date, end: dt.date) -> Window:
    """The days start..end, which must all be rolled up."""
    if end < start:
        raise NotFound(f"the window ends ({end}) before it starts ({start})")
    first, last = covered_days(warehouse)
    if start < first or end > last:
        raise NotFound(f"{start} to {end} is not inside the rolled-up days {first} to {last}")
    return Window(start, end)


def first_days_window(warehouse: Warehouse, days: int) -> Window:
    """Each title's first `days` days from its release date, for titles whose days are all rolled up."""
    if days < 1:
        raise NotFound(f"first days must be at least 1, got {days}")
    first, last = covered_days(warehouse)
    return Window(first, last, days)


def by_views_default(warehouse: Warehouse, window: Window) -> bool:
    """The methodology's metric for a window: views once it starts on or after the switch date."""
    return window.start >= dt.date.fromisoformat(warehouse.methodology.rank_by_views_from)


def bind(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The parameters `sql` uses, taken from `values` (DuckDB refuses unused named parameters)."""
    names = set(PARAMETER.findall(sql))
    missing = names - set(values)
    if missing:
        raise KeyError(f"no value for parameter(s) {sorted(missing)}")
    return {name: values[name] for name in names}


def ranking(warehouse: Warehouse, window: Window, *, scope: str = "global", where: ListFilter = NO_FILTER,
            by_views: bool | None = None, metric: str = "default", list_size: int | None = None) -> list[dict[str, Any]]:
    """The ranked lists of a window: (country, category, rank, title_key, hours_viewed, runtime_hours,
    views) per list; `list_size` None means the methodology's, 0 means every title."""
    if list_size == 0:
        list_size = max(1, warehouse.scalar("SELECT count(*) FROM titles"))
    sql = ranked_lists_sql(window.source, title_filter=where.title_filter, country_filter=where.country_filter,
                           metric=metric)
    values = window.parameters | where.parameters | {
        "scope": scope, "english": warehouse.methodology.english_language,
        "by_views": by_views_default(warehouse, window) if by_views is None else by_views,
        "list_size": list_size or warehouse.methodology.list_size}
    return warehouse.rows(f"SELECT * FROM ({sql}) ORDER BY country NULLS FIRST, category, rank", bind(sql, values))
