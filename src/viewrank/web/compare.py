"""Up to four titles side by side: hours, views, rank and countries over their runs, aligned
by week since premiere (week 1 is the chart week of the release date, or the first week on a
list where the release date is unknown)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from markupsafe import Markup, escape

from ..errors import NotFound
from ..store.warehouse import Warehouse
from . import queries
from .svg import BOTTOM, HEIGHT, LEFT, PLOT_HEIGHT, PLOT_WIDTH, RIGHT, TOP, WIDTH, compact, nice_step

MAX_TITLES = 4
SERIES_CLASSES = ("series-1", "series-2", "series-3", "series-4")


def first_week(title: dict[str, Any], history: list[dict[str, Any]], country_weeks: list[dict[str, Any]]) -> dt.date | None:
    """Week 1 of a title: the chart week (ending Sunday) holding its release date, else its first listed week."""
    weeks: list[dt.date] = [row["week"] for row in history] + [row["week"] for row in country_weeks]
    first_listed = min(weeks) if weeks else None
    release = title.get("release_date")
    if release is not None and first_listed is not None:
        offset = (first_listed - release).days % 7  # chart weeks end on the weekday of every listed week
        ending: dt.date = release + dt.timedelta(days=offset)
        return min(ending, first_listed)
    return first_listed


def compared_title(warehouse: Warehouse, title_id: str) -> dict[str, Any]:
    """One title's weeks by week since premiere: rank, hours, views and countries."""
    title = queries.title(warehouse, title_id)
    history = queries.title_history(warehouse, title["title_key"])
    country_weeks = queries.title_country_weeks(warehouse, title["title_key"])
    start = first_week(title, history, country_weeks)
    weeks: dict[int, dict[str, Any]] = {}
    for row in history:
        index = (row["week"] - start).days // 7 + 1 if start else 0
        weeks.setdefault(index, {"week": row["week"]}).update(
            rank=row["rank"], hours_viewed=row["hours_viewed"], views=row["views"], category=row["category"])
    for row in country_weeks:
        index = (row["week"] - start).days // 7 + 1 if start else 0
        weeks.setdefault(index, {"week": row["week"]})["countries"] = row["countries"]
    return {**title, "start": start, "weeks": dict(sorted(weeks.items()))}


def compare(warehouse: Warehouse, title_ids: list[str]) -> list[dict[str, Any]]:
    """The titles to compare, in the order asked, each once; at most MAX_TITLES."""
    unique = list(dict.fromkeys(title_ids))
    if len(unique) > MAX_TITLES:
        raise NotFound(f"compare at most {MAX_TITLES} titles at once ({len(unique)} asked)")
    return [compared_title(warehouse, title_id) for title_id in unique]


def line_chart(titles: list[dict[str, Any]], key: str, *, label: str, chart_id: str,
               rank_scale: int | None = None) -> Markup | None:
    """One line per title of `key` by week since premiere; ranks with No. 1 at the top. None: no data."""
    values = [{index: week[key] for index, week in title["weeks"].items() if week.get(key) is not None and index > 0}
              for title in titles]
    last = max((max(series) for series in values if series), default=0)
    if last == 0:
        return None
    first: int = min(min(series) for series in values if series)  # a title long out before it charted starts late
    weeks = max(last - first + 1, 2)
    top = float(rank_scale or 0)
    if rank_scale is None:
        highest = max(max(series.values()) for series in values if series)
        step = nice_step(highest)
        top = step * math.ceil(highest / step) or step

    def x(index: int) -> float:
        return LEFT + (index - first) * PLOT_WIDTH / (weeks - 1)

    def y(value: float) -> float:
        if rank_scale:
            return float(TOP + (value - 1) * PLOT_HEIGHT / max(1, rank_scale - 1))
        return TOP + PLOT_HEIGHT * (1 - value / top)

    body = []
    ticks = sorted({1, (rank_scale + 1) // 2, rank_scale}) if rank_scale else [
        top * part / 4 for part in range(5)]
    for tick in ticks:
        text = f"No. {tick:.0f}" if rank_scale else compact(tick)
        body.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
                    f'<text class="chart-label" x="{LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{text}</text>')
    every = max(1, math.ceil(weeks / 10))
    for index in range(first, first + weeks, every):
        body.append(f'<text class="chart-label" x="{x(index):.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                    f'Week {index}</text>')
    for css, title, series in zip(SERIES_CLASSES, titles, values):
        segments: list[list[str]] = [[]]
        for index in range(first, first + weeks):
            if index in series:
                segments[-1].append(f"{x(index):.1f},{y(series[index]):.1f}")
            elif segments[-1]:
                segments.append([])
        body += [f'<polyline class="compare-line {css}" points="{" ".join(points)}"/>'
                 for points in segments if len(points) > 1]
        body += [f'<circle class="compare-point {css}" cx="{x(index):.1f}" cy="{y(value):.1f}" r="3.5">'
                 f'<title>{escape(title["title"])}, week {index}: {escape(_value_text(key, value))}</title></circle>'
                 for index, value in series.items()]
    description = "; ".join(
        f"{title['title']}: " + (", ".join(f"week {index} {_value_text(key, value)}" for index, value in series.items())
                                 or "no data")
        for title, series in zip(titles, values))
    return Markup(
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT + BOTTOM - 30}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(label)} by week since premiere</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>")


def _value_text(key: str, value: float) -> str:
    if key == "rank":
        return f"No. {value:.0f}"
    if key == "countries":
        return f"{value:.0f} countries"
    return f"{value:,.0f} {key.replace('_viewed', '').replace('_', ' ')}"


def charts(titles: list[dict[str, Any]], *, list_size: int) -> list[dict[str, Any]]:
    """The comparison's charts that have data: hours, views, rank and countries."""
    made = [("Hours viewed", line_chart(titles, "hours_viewed", label="Hours viewed", chart_id="compare-hours")),
            ("Views", line_chart(titles, "views", label="Views", chart_id="compare-views")),
            ("Rank on the global lists", line_chart(titles, "rank", label="Rank", chart_id="compare-rank",
                                                    rank_scale=list_size)),
            ("Countries with the title in their Top 10", line_chart(titles, "countries", label="Countries",
                                                                    chart_id="compare-countries"))]
    return [{"heading": heading, "svg": chart} for heading, chart in made if chart is not None]
