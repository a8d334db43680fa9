"""HTML rendering: one autoescaping Jinja2 environment, the display formats, and hrefs per mode."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import jinja2

from ..catalog import display_name
from . import urls, worldmap
from .languages import language_name
from .params import slug

SITE_NAME = "viewrank Top 10"


@dataclass
class Page:
    """A page to render: its template, its own path (links are made relative to it) and data."""

    template: str
    path: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)


def number(value: float | None) -> str:
    """Whole-number display with thousands separators: 1234567.8 -> '1,234,568'; None -> '—'."""
    return "—" if value is None else f"{value:,.0f}"


def figure(value: float | None, unit: str = "") -> str:
    """A figure in words' units, as Netflix writes them: 57480000 -> '57.48M', 2100000 -> '2.1M'; None -> '—'."""
    if value is None:
        return "—"
    text = f"{value:,.0f}"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            text = f"{value / size:.2f}".rstrip("0").rstrip(".") + suffix
            break
    return f"{text} {unit}" if unit else text


def runtime(hours: float | None) -> str:
    """Decimal hours as H:MM: 1.9667 -> '1:58'; None -> '—'."""
    if hours is None:
        return "—"
    minutes = round(hours * 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def season_label(show_title: str, season_title: str | None) -> str:
    """The season part of a title: 'Show: Season 2' -> 'Season 2'; films -> ''."""
    if not season_title:
        return ""
    prefix = show_title + ": "
    return season_title[len(prefix):] if season_title.startswith(prefix) else season_title


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def week_span(week: dt.date, days: int = 7) -> str:
    """'9–15 November 2026' for the chart week ending on `week`."""
    start = week - dt.timedelta(days=days - 1)
    if start.year != week.year:
        return f"{long_date(start)} – {long_date(week)}"
    if start.month != week.month:
        return f"{start.day} {start:%B} – {long_date(week)}"
    return f"{start.day}–{long_date(week)}"


def week_ending(week: dt.date, capital: bool = False) -> str:
    """'week ending 15 November 2026 (9–15 November)': how every page names a chart week."""
    start = week - dt.timedelta(days=6)
    span = (f"{start.day} {start:%B} – {week.day} {week:%B}" if start.month != week.month
            else f"{start.day}–{week.day} {week:%B}")
    return f"{'Week' if capital else 'week'} ending {long_date(week)} ({span})"


def cell(value: Any) -> str:
    """A report cell: whole numbers as is, fractions rounded, booleans as Yes/No, missing as '—'."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return number(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def source_name(source: str) -> str:
    """An edition's source for display: the file name of an imported file, without its checksum."""
    first = source.split()[0] if source.split() else source
    return first.replace("\\", "/").rsplit("/", 1)[-1]


MOVEMENT_TEXT = {"new": "New", "re_entry": "Re-entry", "same": "Same as last week",
                 "unknown": "Last week not in this warehouse"}


def movement_text(kind: str, places: int | None) -> str:
    """Words for a movement: 'Up 2', 'Down 1', 'New', 'Re-entry', 'Same as last week'."""
    if kind in ("up", "down"):
        return f"{kind.capitalize()} {places}"
    return MOVEMENT_TEXT[kind]


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("viewrank.web", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(number=number, runtime=runtime, long_date=long_date, week_span=week_span, slug=slug,
                               cell=cell, source_name=source_name, figure=figure, language=language_name,
                               week_ending=week_ending)
    environment.tests.update(numeric=numeric)
    environment.globals.update(urls=urls, season_label=season_label, display_name=display_name, movement_text=movement_text, draw_map=worldmap.draw,
                               site_name=SITE_NAME, download_formats=urls.DOWNLOAD_FORMATS)
    return environment


ENVIRONMENT = _environment()


def render(page: Page, *, static: bool = False) -> str:
    """The page as HTML; `static` makes every link relative to the page's own file."""
    def href(path: str) -> str:
        return urls.relative_href(path, from_path=page.path) if static else path

    template = ENVIRONMENT.get_template(page.template)
    return template.render(page.context, page=page, href=href, static=static)
