"""Top 10 lists for any window, as people and the API read them: titles resolved, ranked by
views, hours viewed or distinct viewers, optionally a specialty list, with audience columns.

Daily lists are one-day windows; date ranges and first-N-days windows come from windows.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from ..errors import NotFound
from ..reports.audience import AUDIENCE_COLUMNS, Key, can_estimate, estimated_viewers, exact_audience
from ..store.warehouse import Warehouse
from ..types import ProgressFactory, no_progress
from .specialty import NO_FILTER, ListFilter, country_filter, specialty_filter
from .weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES
from .windows import RANK_BY, Window, by_views_default, ranking

TITLES_SQL = """
SELECT title_key, title_id, show_title, season_title, release_date FROM titles WHERE list_contains(?, title_key)
"""


def window_lists(warehouse: Warehouse, window: Window, *, country: str | None = None, rank_by: str | None = None,
                 list_name: str | None = None, where: ListFilter = NO_FILTER, audience: bool = False,
                 exact_viewers: bool = False, progress: ProgressFactory = no_progress) -> dict[str, Any]:
    """The global lists per category (or one country's lists) of a window.

    rank_by: views, hours or viewers (default: the methodology's metric for the window's start).
    list_name, where: a specialty list by name, and/or a filter of the caller's.
    audience: add viewers and the exact accounts, starters, watchers and completers of each title.
    exact_viewers: viewers counted from the event parts rather than estimated from the sketches (always
    so for country lists and lists that count only some countries: sketches cover all countries).
    progress: makes the progress bar of a step that reads events, from its label and length.
    """
    if rank_by is not None and rank_by not in RANK_BY:
        raise NotFound(f"unknown ranking {rank_by!r} (choose from {', '.join(RANK_BY)})")
    scope = "country" if country else "global"
    if list_name:
        where = where & specialty_filter(warehouse, list_name)
    if country:
        where = where & country_filter(warehouse, country)
    with_viewers = audience or rank_by == "viewers"
    exact = exact_viewers or not can_estimate(warehouse, scope, where)
    if rank_by == "viewers":
        viewers = _viewers(warehouse, window, scope, where, None, exact, progress)
        rows = _ranked_by_viewers(warehouse, window, scope, where, viewers)
    else:
        rows = ranking(warehouse, window, scope=scope, where=where,
                       by_views=None if rank_by is None else rank_by == "views")
    keys = sorted({row["title_key"] for row in rows})
    if audience:
        with progress("Counting accounts", len(keys)) as advance:
            counted = exact_audience(warehouse, window, keys, scope=scope, where=where, progress=advance)
        for row in rows:
            row.update(counted.get((row["country"], row["title_key"])) or dict.fromkeys(AUDIENCE_COLUMNS))
    if with_viewers:
        if rank_by != "viewers":
            viewers = ({key: float(counts["accounts"] or 0) for key, counts in counted.items()} if audience and exact
                       else _viewers(warehouse, window, scope, where, keys, exact, progress))
        for row in rows:
            count = viewers.get((row["country"], row["title_key"]))
            row["viewers"] = None if count is None else round(count)
    titles = {row["title_key"]: row for row in warehouse.rows(TITLES_SQL, [keys])}
    lists: dict[str, list[dict[str, Any]]] = {
        category: [] for category in (COUNTRY_CATEGORIES if country else GLOBAL_CATEGORIES)}
    for row in rows:
        lists[row["category"]].append(_entry(row, titles[row["title_key"]], window))
    return {"window": window.describe(), "scope": scope, "country": country.upper() if country else None,
            "list": list_name, "rank_by": rank_by or ("views" if by_views_default(warehouse, window) else "hours"),
            "viewers": ("exact" if exact else "estimated") if with_viewers else None, "lists": lists}


def _viewers(warehouse: Warehouse, window: Window, scope: str, where: ListFilter, title_keys: list[int] | None,
             exact: bool, progress: ProgressFactory) -> dict[Key, float]:
    """Distinct viewers per (country, title): counted from the event parts, or estimated from the sketches."""
    if not exact:
        return estimated_viewers(warehouse, window, title_keys=title_keys)
    keys = title_keys or [key for (key,) in warehouse.execute("SELECT title_key FROM titles").fetchall()]
    with progress("Counting viewers", len(keys)) as advance:
        counted = exact_audience(warehouse, window, keys, scope=scope, where=where, progress=advance)
    return {key: float(counts["accounts"] or 0) for key, counts in counted.items()}


def _ranked_by_viewers(warehouse: Warehouse, window: Window, scope: str, where: ListFilter,
                       viewers: dict[Key, float]) -> list[dict[str, Any]]:
    """Rank by distinct viewers: the ranking query reads them from a list_viewers table."""
    table = pa.table({"country": pa.array([key[0] for key in viewers], pa.string()),
                      "title_key": pa.array([key[1] for key in viewers], pa.int32()),
                      "viewers": pa.array(list(viewers.values()), pa.float64())})
    with warehouse.registered("list_viewers", table):
        return ranking(warehouse, window, scope=scope, where=where, metric="viewers")


def _entry(row: dict[str, Any], title: dict[str, Any], window: Window) -> dict[str, Any]:
    entry = {"rank": row["rank"], "title_id": title["title_id"], "show_title": title["show_title"],
             "season_title": title["season_title"], "hours_viewed": row["hours_viewed"],
             "runtime_hours": row["runtime_hours"], "views": row["views"]}
    if window.first_days is not None:
        entry["window_from"] = title["release_date"]
        entry["window_to"] = title["release_date"] + dt.timedelta(days=window.first_days - 1)
    for name in ("viewers", *AUDIENCE_COLUMNS):
        if name in row:
            entry[name] = row[name]
    return entry
