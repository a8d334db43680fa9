"""Atom feeds (RFC 4287): one per global list and one per country, with an entry per published
week, so a reader or a bot learns of a new week's list without polling the API.

An entry's id is the address of its week's page, and its `updated` the time that week's
current edition was made: a revision of a week updates its entry instead of adding one.
A static site's feeds link relative to the feed file (its host is unknown when it is written)
and name entries by URN instead.
"""

from __future__ import annotations

import datetime as dt
import html
import uuid
import xml.etree.ElementTree as ET
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..charts.weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES
from ..store.warehouse import Warehouse
from . import queries, urls
from .http import SHORT_MAX_AGE, cached
from .params import parse_category, parse_iso2, slug
from .render import SITE_NAME, long_date, number

ATOM = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_WEEKS = 20
EPOCH = dt.datetime(1970, 1, 1)

COUNTRY_WEEKS_SQL = """
SELECT DISTINCT week FROM current_entries WHERE scope = 'country' AND country = $iso2 ORDER BY week DESC LIMIT $limit
"""

ET.register_namespace("", ATOM)


def global_path(category: str) -> str:
    return f"/feeds/global/{slug(category)}.atom"


def country_path(iso2: str) -> str:
    return f"/feeds/countries/{iso2}.atom"


def _timestamp(moment: dt.datetime) -> str:
    """RFC 3339 in UTC, as Atom requires (editions record UTC times)."""
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _list_html(rows: list[dict[str, Any]], *, figures: bool) -> str:
    """One list as HTML for an entry's content: rank, title, and views or hours on global lists."""
    items = []
    for row in rows:
        shown = html.escape(row["title"])
        if figures:
            metric = (f"{number(row['views'])} views" if row["views"] is not None
                      else f"{number(row['hours_viewed'])} hours viewed")
            shown += f" · {metric}"
        items.append(f"<li value=\"{row['rank']}\">{shown}</li>")
    return "<ol>" + "".join(items) + "</ol>"


def _addresses(base: str | None, path: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """How the feed at `path` links to a site path, and names it as an id: absolute under
    `base` on a server; in a static site (base None) relative to the feed's file, with URN ids."""
    if base is not None:
        return (lambda target: base + target), (lambda target: base + target)
    return ((lambda target: urls.relative_href(target, from_path=path)),
            (lambda target: uuid.uuid5(uuid.NAMESPACE_URL, "viewrank-site:" + target).urn))


def _feed(base: str | None, path: str, title: str, alternate: str,
          entries: list[tuple[str, str, dt.datetime, str]]) -> bytes:
    """An Atom document; entries are (id path, title, updated, HTML content), newest first."""
    link, ident = _addresses(base, path)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _element(feed, "id", ident(path))
    _element(feed, "title", title)
    _element(feed, "updated", _timestamp(max((entry[2] for entry in entries), default=EPOCH)))
    _element(_element(feed, "author"), "name", SITE_NAME)
    _element(feed, "link", rel="self", type="application/atom+xml", href=link(path))
    _element(feed, "link", rel="alternate", type="text/html", href=link(alternate))
    _element(feed, "generator", "viewrank")
    for page, heading, updated, content in entries:
        entry = _element(feed, "entry")
        _element(entry, "id", ident(page))
        _element(entry, "title", heading)
        _element(entry, "updated", _timestamp(updated))
        _element(entry, "link", rel="alternate", type="text/html", href=link(page))
        _element(entry, "content", content, type="html")
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def global_feed(warehouse: Warehouse, category_text: str, base: str | None) -> bytes:
    """A global list's feed: its last FEED_WEEKS weeks, newest first (base None: for a static site)."""
    category = parse_category(category_text, GLOBAL_CATEGORIES)
    editions = queries.editions_by_week(warehouse)
    weeks = sorted((week for week, scopes in editions.items() if "global" in scopes), reverse=True)[:FEED_WEEKS]
    entries = []
    for week in weeks:
        rows = queries.entries(warehouse, editions, week, scope="global", category=category)
        if rows:
            entries.append((f"{urls.week(week)}#{slug(category)}", f"{category}, week ending {long_date(week)}",
                            editions[week]["global"]["created_at"], _list_html(rows, figures=True)))
    return _feed(base, global_path(category), f"Top 10 {category} · {SITE_NAME}", urls.home(), entries)


def country_feed(warehouse: Warehouse, iso2_text: str, base: str | None) -> bytes:
    """A country's feed: its Films and TV lists of its last FEED_WEEKS weeks, newest first (base None: static)."""
    iso2 = parse_iso2(iso2_text)
    name = queries.country_name(warehouse, iso2)
    editions = queries.editions_by_week(warehouse)
    entries = []
    for (week,) in warehouse.execute(COUNTRY_WEEKS_SQL, {"iso2": iso2, "limit": FEED_WEEKS}).fetchall():
        rows = queries.entries(warehouse, editions, week, scope="country", country=iso2)
        content = "".join(f"<h3>{html.escape(category)}</h3>" + _list_html(
            [row for row in rows if row["category"] == category], figures=False)
            for category in COUNTRY_CATEGORIES if any(row["category"] == category for row in rows))
        entries.append((urls.country(iso2, week), f"Top 10 in {name}, week ending {long_date(week)}",
                        editions[week]["country"]["created_at"], content))
    return _feed(base, country_path(iso2), f"Top 10 in {name} · {SITE_NAME}", urls.country(iso2), entries)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _answer(request: Request, make: Callable[[Warehouse, str], bytes]) -> Response:
    base = _base(request)
    body = request.app.state.reader.read(f"{base}{request.url.path}", lambda warehouse: make(warehouse, base))
    return cached(request, body, ATOM_MEDIA_TYPE, max_age=SHORT_MAX_AGE)


def global_list(request: Request) -> Response:
    return _answer(request, lambda warehouse, base: global_feed(warehouse, request.path_params["category"], base))


def country(request: Request) -> Response:
    return _answer(request, lambda warehouse, base: country_feed(warehouse, request.path_params["iso2"], base))


def routes() -> list[Route]:
    return [Route("/feeds/global/{category}.atom", global_list, name="feed_global"),
            Route("/feeds/countries/{iso2}.atom", country, name="feed_country")]
