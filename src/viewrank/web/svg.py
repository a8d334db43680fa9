"""Server-side SVG charts of a title's weeks on the global lists (no JavaScript, nothing downloaded)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable

from markupsafe import Markup, escape

WIDTH, HEIGHT = 960, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 14, 30
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_X_LABELS = 7
MIN_CHART_WEEKS = 3
GAP_WEEKS = 8  # weeks off the list longer than this are drawn as one break in the axis


def compact(value: float) -> str:
    """Axis numbers: 1234567 -> '1.2M', 45000 -> '45K', 12 -> '12'."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}"


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) that splits 0..maximum into about `ticks` parts."""
    if maximum <= 0:
        return 1.0
    rough = maximum / ticks
    power = 10 ** math.floor(math.log10(rough))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= rough))


def _slots(history: list[dict[str, Any]]) -> list[dt.date | None]:
    """The chart's columns: every week of each run, short gaps kept as empty weeks, and a gap of
    more than GAP_WEEKS weeks as one break (None), so runs years apart each stay readable."""
    weeks = sorted({row["week"] for row in history})
    slots: list[dt.date | None] = [weeks[0]]
    for previous, week in zip(weeks, weeks[1:]):
        gap = (week - previous).days // 7
        if gap > GAP_WEEKS:
            slots += [None, week]
        else:
            slots += [previous + dt.timedelta(days=7 * step) for step in range(1, gap + 1)]
    return slots


def _x(index: int, count: int) -> float:
    return LEFT + (index + 0.5) * PLOT_WIDTH / count


def _x_labels(slots: list[dt.date | None]) -> list[str]:
    """Dates under the axis (each run's first week among them) and a dashed line at each break."""
    every = max(1, math.ceil(len(slots) / MAX_X_LABELS))
    starts = {index for index in range(1, len(slots)) if slots[index - 1] is None}
    chosen = starts | {index for index in range(0, len(slots), every)
                       if slots[index] is not None and not any(abs(start - index) <= every for start in starts)}
    parts = []
    for index in sorted(chosen):
        week = slots[index]
        if week is None:
            continue
        last = index == len(slots) - 1 and len(slots) > 1  # the last label ends at the plot's edge, not past it
        x = WIDTH - RIGHT if last else _x(index, len(slots))
        parts.append(f'<text class="chart-label" x="{x:.1f}" y="{HEIGHT - 8}" '
                     f'text-anchor="{"end" if last else "middle"}">{escape(f"{week.day} {week:%b} {week.year}")}</text>')
    for index, week in enumerate(slots):
        if week is None:
            before, after = slots[index - 1], slots[index + 1]
            x = _x(index, len(slots))
            parts.append(f'<line class="chart-break" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}">'
                         f'<title>{escape(f"Off the list from {before} to {after}")}</title></line>')
    return parts


def _frame(chart_id: str, heading: str, description: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(heading)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(body) + "</svg>")


def _polylines(css_class: str, points: list[tuple[float, float] | None]) -> list[str]:
    """One polyline per run of two or more points; a missing point (a week off the list) breaks the line."""
    segments: list[list[str]] = [[]]
    for point in points:
        if point is not None:
            segments[-1].append(f"{point[0]:.1f},{point[1]:.1f}")
        elif segments[-1]:
            segments.append([])
    return [f'<polyline class="{css_class}" points="{" ".join(segment)}"/>' for segment in segments if len(segment) > 1]


def rank_chart(history: list[dict[str, Any]], *, list_size: int, title: str) -> Markup:
    """Rank by week as a line (No. 1 at the top); weeks off the list break the line."""
    slots = _slots(history)
    ranks = {row["week"]: row["rank"] for row in history}

    def y(rank: int) -> float:
        return TOP + (rank - 1) * PLOT_HEIGHT / max(1, list_size - 1)

    body = []
    for rank in sorted({1, (list_size + 1) // 2, list_size}):
        body.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(rank):.1f}" y2="{y(rank):.1f}"/>'
                    f'<text class="chart-label" x="{LEFT - 8}" y="{y(rank) + 4:.1f}" text-anchor="end">No. {rank}</text>')
    body += _polylines("chart-line", [(_x(index, len(slots)), y(ranks[week])) if week in ranks else None
                                      for index, week in enumerate(slots)])
    for index, week in enumerate(slots):
        if week is not None and week in ranks:
            body.append(f'<circle class="chart-point" cx="{_x(index, len(slots)):.1f}" cy="{y(ranks[week]):.1f}" r="4">'
                        f'<title>{escape(f"Week ending {week}: No. {ranks[week]}")}</title></circle>')
    peak = min(ranks.values())
    description = (f"{title}: rank on the global Top 10 in {len(ranks)} weeks from {history[0]['week']} to "
                   f"{history[-1]['week']}; "
                   f"peak No. {peak}.")
    return _frame("rank-chart", f"Weekly rank of {title}", description, body + _x_labels(slots))


def bar_chart(history: list[dict[str, Any]], *, key: str, label: str, title: str,
              number: Callable[[float], str]) -> Markup:
    """One bar per week of `key` (hours viewed or views); weeks off the list have no bar."""
    slots = _slots(history)
    values = {row["week"]: row[key] for row in history if row[key] is not None}
    step = nice_step(max(values.values(), default=0))
    top = step * math.ceil(max(values.values(), default=0) / step) or step

    def y(value: float) -> float:
        return TOP + PLOT_HEIGHT * (1 - value / top)

    body = []
    tick = 0.0
    while tick <= top + step / 2:
        body.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
                    f'<text class="chart-label" x="{LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{compact(tick)}</text>')
        tick += step
    width = PLOT_WIDTH / len(slots) * 0.7
    for index, week in enumerate(slots):
        if week is not None and week in values:
            body.append(f'<rect class="chart-bar" x="{_x(index, len(slots)) - width / 2:.1f}" y="{y(values[week]):.1f}" '
                        f'width="{width:.1f}" height="{y(0) - y(values[week]):.1f}">'
                        f'<title>{escape(f"Week ending {week}: {number(values[week])} {label.lower()}")}</title></rect>')
    description = (f"{title}: {label.lower()} per week in the global Top 10, {len(values)} weeks; "
                   f"highest {number(max(values.values(), default=0))}.")
    return _frame(f"{key.replace('_', '-')}-chart", f"{label} per week, {title}", description, body + _x_labels(slots))


def history_charts(history: list[dict[str, Any]], *, list_size: int, title: str,
                   number: Callable[[float], str]) -> list[dict[str, Any]]:
    """The charts of a title page: rank, hours viewed and (when ranked by views) views, per week.
    A run shorter than MIN_CHART_WEEKS weeks gets none: its table says it all."""
    if not history or len(_slots(history)) < MIN_CHART_WEEKS:
        return []
    charts = [{"heading": "Rank", "svg": rank_chart(history, list_size=list_size, title=title)},
              {"heading": "Hours viewed", "svg": bar_chart(history, key="hours_viewed", label="Hours viewed",
                                                           title=title, number=number)}]
    if any(row["views"] is not None for row in history):
        charts.append({"heading": "Views", "svg": bar_chart(history, key="views", label="Views", title=title,
                                                            number=number)})
    return charts


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 28, 3


def rank_sparkline(ranks: dict[dt.date, int], weeks: list[dt.date], *, list_size: int, label: str) -> Markup:
    """A small line of one country's rank over `weeks` (No. 1 at the top; a gap where it was not listed)."""
    def x(index: int) -> float:
        return SPARK_PAD + index * (SPARK_WIDTH - 2 * SPARK_PAD) / max(1, len(weeks) - 1)

    def y(rank: int) -> float:
        return SPARK_PAD + (rank - 1) * (SPARK_HEIGHT - 2 * SPARK_PAD) / max(1, list_size - 1)

    body = [f'<line class="spark-grid" x1="0" x2="{SPARK_WIDTH}" y1="{y(1):.1f}" y2="{y(1):.1f}"/>']
    body += _polylines("spark-line", [(x(index), y(ranks[week])) if week in ranks else None
                                      for index, week in enumerate(weeks)])
    body += [f'<circle class="spark-point" cx="{x(index):.1f}" cy="{y(ranks[week]):.1f}" r="2"/>'
             for index, week in enumerate(weeks) if week in ranks]
    text = "; ".join(f"week ending {week}: No. {ranks[week]}" for week in weeks if week in ranks)
    return Markup(f'<svg class="spark" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" '
                  f'aria-label="{escape(label + ": " + text)}" xmlns="http://www.w3.org/2000/svg">'
                  + "".join(body) + "</svg>")
