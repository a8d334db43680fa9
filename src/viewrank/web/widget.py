"""The embeddable widget: one Top 10 list (global or a country's, one category) as a small
page other sites may show in an iframe. It is the only framable page: it sends its own
frame-ancestors policy (see http.FRAMABLE_PREFIX), while every other page refuses framing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import shapes
from ..charts.weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES
from ..errors import NotFound
from ..store.warehouse import Warehouse
from . import feeds, queries, urls
from .http import FRAMABLE_PREFIX, HTML_MEDIA_TYPE, SHORT_MAX_AGE, WEEK_MAX_AGE, cache_key, cached
from .params import parse_category, parse_iso2, slug
from .render import Page, render

WIDTH, HEIGHT = 360, 560


def global_path(category: str) -> str:
    return f"{FRAMABLE_PREFIX}global/{slug(category)}"


def country_path(iso2: str, category: str) -> str:
    return f"{FRAMABLE_PREFIX}countries/{iso2}/{slug(category)}"


def snippet(base: str, path: str, title: str) -> str:
    """The HTML to paste into another site to show the widget at `path`."""
    return (f'<iframe src="{base}{path}" title="{title}" width="{WIDTH}" height="{HEIGHT}" '
            f'loading="lazy" style="border:0"></iframe>')


def widget_page(warehouse: Warehouse, path: str, *, week: str | None, category_text: str,
                iso2_text: str | None = None) -> Page:
    """One list of the week asked for (default: the latest), with links that open the site."""
    if iso2_text is None:
        category = parse_category(category_text, GLOBAL_CATEGORIES)
        body = shapes.global_lists(warehouse, week, category=category)
        where, full, feed = "global", urls.week(body["week"]), feeds.global_path(category)
    else:
        category = parse_category(category_text, COUNTRY_CATEGORIES)
        if week is None:  # the country's latest lists, their week shown on the widget
            week = next((str(row["last_week"]) for row in queries.chart_countries(warehouse)
                         if row["iso2"] == parse_iso2(iso2_text)), None)
        body = shapes.country_lists(warehouse, week, iso2_text)
        where, full = body["country"]["name"], urls.country(body["country"]["iso2"], body["week"])
        feed = feeds.country_path(body["country"]["iso2"])
    lists = [item for item in body["lists"] if item["category"] == category]
    if not lists:
        raise NotFound(f"no {category} list {'in ' + where if iso2_text else ''} in the week ending {body['week']}")
    return Page("widget.html", path, f"Top 10 {category} · {where}", {
        "category": category, "where": where, "week": body["week"], "entries": lists[0]["entries"],
        "figures": iso2_text is None, "full": full, "feed": feed})


def _answer(request: Request, iso2: str | None) -> Response:
    week = request.query_params.get("week")
    body = request.app.state.reader.read(cache_key(request), lambda warehouse: render(widget_page(
        warehouse, request.url.path, week=week, category_text=request.path_params["category"],
        iso2_text=iso2)).encode("utf-8"))
    return cached(request, body, HTML_MEDIA_TYPE, max_age=WEEK_MAX_AGE if week else SHORT_MAX_AGE)


def global_widget(request: Request) -> Response:
    return _answer(request, None)


def country_widget(request: Request) -> Response:
    return _answer(request, parse_iso2(request.path_params["iso2"]))


def routes() -> list[Route]:
    return [Route(FRAMABLE_PREFIX + "global/{category}", global_widget, name="widget_global"),
            Route(FRAMABLE_PREFIX + "countries/{iso2}/{category}", country_widget, name="widget_country")]
