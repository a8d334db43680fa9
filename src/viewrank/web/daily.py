"""Lists over days rather than chart weeks, where the warehouse has daily rollups: a day's
Top 10, the Top 10 over a window of days, and either as a specialty list (kids, originals,
any list the specialty_lists setting defines). Every figure comes from charts.lists, the
same function `viewrank daily` and `viewrank window` print."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterator

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..charts.lists import window_lists
from ..charts.weekly import GLOBAL_CATEGORIES
from ..charts.windows import Window, covered_days, date_window
from ..errors import BadRequest
from ..store.warehouse import Warehouse
from . import queries, urls
from .http import HTML_MEDIA_TYPE, SHORT_MAX_AGE, WEEK_MAX_AGE, cache_key, cached
from .params import parse_date, slug
from .render import Page, long_date, render

WINDOW_DAYS = 28
ALL_TITLES = "All titles"


def specialty_names(warehouse: Warehouse) -> list[str]:
    """The specialty lists defined in the warehouse's settings, in name order."""
    return sorted(warehouse.methodology.specialty_lists)


def _list_label(name: str) -> str:
    return name.replace("-", " ").replace("_", " ").capitalize()


def default_window(warehouse: Warehouse) -> Window:
    """The last WINDOW_DAYS rolled-up days (all of them when fewer)."""
    first, last = covered_days(warehouse)
    return Window(max(first, last - dt.timedelta(days=WINDOW_DAYS - 1)), last)


def _page(warehouse: Warehouse, frame: dict[str, Any], window: Window, list_name: str | None, path: str,
          heading: str, lede: str, steps: dict[str, Any] | None, choices: list[dict[str, Any]]) -> Page:
    result = window_lists(warehouse, window, list_name=list_name)
    lists = [{"category": category, "slug": slug(category), "entries": result["lists"].get(category, []),
              "seasons": any(entry["season_title"] for entry in result["lists"].get(category, []))}
             for category in GLOBAL_CATEGORIES]
    label = _list_label(list_name) if list_name else ALL_TITLES
    return Page("lists.html", path, f"{heading}{'' if list_name is None else ', ' + label}", {
        **frame, "heading": heading, "lede": lede, "steps": steps, "choices": choices, "list_label": label,
        "lists": lists, "rank_by": result["rank_by"], "linked": set(queries.charted_title_ids(warehouse)), "window": window, "daily": window.start == window.end,
        "kinds": [("Day by day", urls.daily()), (f"Last {WINDOW_DAYS} days", urls.window())]})


def daily_page(warehouse: Warehouse, frame: dict[str, Any], day_text: str | None, list_name: str | None) -> Page:
    """A day's four global lists (None: the last rolled-up day), all titles or one specialty list."""
    first, last = covered_days(warehouse)
    day = last if day_text is None else parse_date(day_text, name="day")
    window = date_window(warehouse, day, day)
    path = urls.daily(None if day_text is None else day, list_name)
    step = dt.timedelta(days=1)
    steps = {"label": "Day", "current": f"{day:%A} {long_date(day)}",
             "previous": (f"{day - step:%A} {long_date(day - step)}", urls.daily(day - step, list_name))
             if day > first else None,
             "next": (f"{day + step:%A} {long_date(day + step)}", urls.daily(day + step, list_name))
             if day < last else None}
    choices = [{"label": _list_label(name) if name else ALL_TITLES, "path": urls.daily(day, name),
                "current": name == list_name} for name in [None, *specialty_names(warehouse)]]
    return _page(warehouse, frame, window, list_name, path, f"Daily Top 10: {day:%A} {long_date(day)}",
                 "One day's viewing, computed from the playback logs.", steps, choices)


def window_page(warehouse: Warehouse, frame: dict[str, Any], start_text: str | None, end_text: str | None,
                list_name: str | None) -> Page:
    """The four global lists over a window of rolled-up days (None: the last WINDOW_DAYS days)."""
    if start_text is None or end_text is None:
        window, path = default_window(warehouse), urls.window(None, None, list_name)
    else:
        window = date_window(warehouse, parse_date(start_text, name="from"), parse_date(end_text, name="to"))
        path = urls.window(window.start, window.end, list_name)
    explicit = path != urls.window(None, None, list_name)
    choices = [{"label": _list_label(name) if name else ALL_TITLES, "current": name == list_name,
                "path": urls.window(window.start if explicit else None, window.end if explicit else None, name)}
               for name in [None, *specialty_names(warehouse)]]
    days = (window.end - window.start).days + 1
    first, last = covered_days(warehouse)
    return _page(warehouse, frame, window, list_name, path,
                 f"Top 10 over {days} days: {long_date(window.start)} – {long_date(window.end)}",
                 f"Viewing over any days from {long_date(first)} to {long_date(last)}, computed from the playback logs.",
                 None, choices)


def static_pages(warehouse: Warehouse, frame: dict[str, Any], list_name: str | None) -> Iterator[Page]:
    """The default window's page and every day's, of all titles (None) or a specialty list."""
    first, last = covered_days(warehouse)
    yield window_page(warehouse, frame, None, None, list_name)
    yield daily_page(warehouse, frame, None, list_name)
    day = first
    while day <= last:
        yield daily_page(warehouse, frame, day.isoformat(), list_name)
        day += dt.timedelta(days=1)


def _list_name(request: Request) -> str | None:
    name = request.path_params.get("list")
    return None if name is None else str(name)


def _answer(request: Request, build: Callable[[Warehouse, dict[str, Any]], Page], max_age: int) -> Response:
    from .pages import frame

    body = request.app.state.reader.read(cache_key(request), lambda warehouse: render(
        build(warehouse, frame(warehouse))).encode("utf-8"))
    return cached(request, body, HTML_MEDIA_TYPE, max_age=max_age)


def day_endpoint(request: Request) -> Response:
    return _answer(request, lambda warehouse, frame: daily_page(
        warehouse, frame, request.path_params.get("day"), _list_name(request)),
        WEEK_MAX_AGE if "day" in request.path_params else SHORT_MAX_AGE)


def window_endpoint(request: Request) -> Response:
    """A window by its path, or the window form's query (from, to, list) sent on to its path."""
    start, end = request.query_params.get("from"), request.query_params.get("to")
    if start or end:
        if not (start and end):
            raise BadRequest("a window needs both from and to (YYYY-MM-DD)")
        chosen = request.query_params.get("list") or None
        return RedirectResponse(urls.window(parse_date(start, name="from"), parse_date(end, name="to"), chosen),
                                status_code=303)
    return _answer(request, lambda warehouse, frame: window_page(
        warehouse, frame, request.path_params.get("start"), request.path_params.get("end"), _list_name(request)),
        WEEK_MAX_AGE if "start" in request.path_params else SHORT_MAX_AGE)


def routes() -> list[Route]:
    return [Route("/daily", day_endpoint), Route("/daily/lists/{list}", day_endpoint),
            Route("/daily/{day}", day_endpoint), Route("/daily/{day}/{list}", day_endpoint),
            Route("/windows", window_endpoint), Route("/windows/lists/{list}", window_endpoint),
            Route("/windows/{start}/{end}", window_endpoint), Route("/windows/{start}/{end}/{list}", window_endpoint)]
