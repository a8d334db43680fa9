"""The site's URL scheme, defined once, and how a path becomes an href on the server or in a static site.

On the server an href is the absolute path. In a static site every page is a file
(`/weeks/2026-11-15` -> `weeks/2026-11-15.html`, `/` -> `index.html`) and an href is the
path of that file relative to the page that links to it, so the site works from any
static host, a sub-directory or file://.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, unquote

FILE_SUFFIXES = (".tsv", ".json", ".xlsx", ".css", ".js", ".svg", ".txt", ".ico", ".atom", ".jpg", ".png", ".webp",
                 ".gif")
# Only downloads, assets, feeds and artwork are files of their own type; every other path is a page, whatever
# it ends in (a title id such as 'logo.svg' names the page titles/logo.svg.html).
FILE_FOLDERS = ("downloads/", "static/", "feeds/", "artwork/")
DOWNLOAD_FORMATS = ("tsv", "xlsx", "json")


def home() -> str:
    return "/"


def week(week: dt.date | None) -> str:
    return "/" if week is None else f"/weeks/{week.isoformat()}"


def countries(week: dt.date | None = None) -> str:
    return "/countries" if week is None else f"/weeks/{week.isoformat()}/countries"


def country(iso2: str, week: dt.date | None = None) -> str:
    return f"/countries/{iso2}" if week is None else f"/weeks/{week.isoformat()}/countries/{iso2}"


def title(title_id: str, week: dt.date | None = None) -> str:
    path = f"/titles/{quote(title_id, safe='')}"
    return path if week is None else f"{path}/weeks/{week.isoformat()}"


def factsheet(title_id: str) -> str:
    return f"/titles/{quote(title_id, safe='')}/factsheet"


def source(found: dict[str, Any] | None) -> str | None:
    """The page a fact's source is shown on (reports/facts.py, factsheet.py, lede.py): a week's
    global or country lists, a title's history, a half year of the engagement report; None
    for rollups and anything without a page."""
    kind = (found or {}).get("kind")
    if found is None or kind == "rollups":
        return None
    if kind == "edition":
        return week(found["week"]) if found["scope"] == "global" else countries(found["week"])
    if kind == "history":
        return title(found["title_id"])
    if kind == "engagement":
        start: dt.date = found["period_start"]
        half = f"{start.year}H{1 if start.month <= 6 else 2}-{'tv' if found['sheet_kind'] == 'tv' else 'films'}"
        return report("engagement", query=found["title"], section=half)
    return None


def search(query: str = "", page: int = 1) -> str:
    params = []
    if query:
        params.append(f"q={quote(query, safe='')}")
    if page > 1:
        params.append(f"page={page}")
    return "/search" + ("?" + "&".join(params) if params else "")


def compare(title_ids: list[str]) -> str:
    """The comparison of up to four titles (server only: a static site has no query strings)."""
    return "/compare" + ("?" + "&".join(f"t={quote(title_id, safe='')}" for title_id in title_ids) if title_ids else "")


def daily(day: dt.date | None = None, list_name: str | None = None) -> str:
    """A day's lists (None: the last rolled-up day), all titles or one specialty list."""
    path = "/daily" if day is None else f"/daily/{day.isoformat()}"
    if list_name:
        path += ("/lists/" if day is None else "/") + quote(list_name, safe="")
    return path


def window(start: dt.date | None = None, end: dt.date | None = None, list_name: str | None = None) -> str:
    """The lists over the days start..end (None: the last few rolled-up days), all titles or a specialty list."""
    path = "/windows" if start is None or end is None else f"/windows/{start.isoformat()}/{end.isoformat()}"
    if list_name:
        path += ("/lists/" if start is None or end is None else "/") + quote(list_name, safe="")
    return path


def downloads() -> str:
    return "/downloads"


def download(scope: str, format: str, week: dt.date | None = None) -> str:
    """A download of the lists of `scope` ('global' or 'countries'): all weeks, or one week."""
    if week is None:
        return f"/downloads/all-weeks-{scope}.{format}"
    return f"/downloads/weeks/{week.isoformat()}/{scope}.{format}"


def report(slug: str, page: int = 1, query: str = "", sort: str | None = None, section: str | None = None) -> str:
    """A page of a report table, in one of its sections (a tab, in a half year: '2024H2-tv');
    search text and sort order travel as query parameters."""
    params = [f"{name}={quote(value, safe='')}" for name, value in (("q", query), ("sort", sort or "")) if value]
    path = f"/{slug}" + (f"/{quote(section, safe='')}" if section else "") + (f"/pages/{page}" if page > 1 else "")
    return path + ("?" + "&".join(params) if params else "")


def asset(name: str) -> str:
    return f"/static/{name}"


def static_file(path: str) -> str:
    """The file (relative to the site root) that holds the page or download at `path`."""
    path = unquote(path.split("?", 1)[0]).lstrip("/")
    if not path:
        return "index.html"
    return path if path.startswith(FILE_FOLDERS) and path.endswith(FILE_SUFFIXES) else path + ".html"


def relative_href(path: str, *, from_path: str) -> str:
    """The href of `path` from the page at `from_path`, both site paths, in a static site."""
    path, hash_mark, fragment = path.partition("#")
    if not path:
        return hash_mark + fragment
    target = static_file(path).split("/")
    start = static_file(from_path).split("/")[:-1]
    common = 0
    while common < min(len(start), len(target) - 1) and start[common] == target[common]:
        common += 1
    return quote("/".join([".."] * (len(start) - common) + target[common:])) + hash_mark + fragment
