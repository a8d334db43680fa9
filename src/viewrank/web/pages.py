"""The site's pages as data: each builder reads the warehouse and returns a Page to render.

The server and the static-site writer call the same builders, so both show the same numbers.
The plural builders (country_pages, title_pages) make many pages from one set of queries,
for the static site.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any, Callable, Iterator

from ..charts.weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES
from ..errors import NotFound
from ..reports.facts import title_facts
from ..reports.factsheet import factsheet
from ..rollup.daily import rolled_up_days
from ..store.warehouse import Warehouse
from . import compare, feeds, popular, queries, reports, svg, urls, widget, worldmap
from .params import parse_iso2, resolve_title_week, resolve_week, slug
from .render import Page, number

SEARCH_PER_PAGE = 50
ALL_ROWS = 1_000_000
STATIC_REPORT_PER_PAGE = 500


def _frame(warehouse: Warehouse) -> dict[str, Any]:
    """What every page's frame needs: the latest week, the report pages that have data (most
    popular computed from the rollups where none is imported), and whether there are daily lists."""
    found: list[Any] = reports.available(warehouse)
    rollups = popular.has_rollups(warehouse)
    if all(report.slug != popular.SLUG for report in found) and rollups:
        found.insert(0, popular.NavEntry())
    return {"latest_week": queries.latest_week(warehouse), "reports": found, "rollups": rollups}


frame = _frame


def week_picker(weeks: list[dt.date], current: dt.date, path_for: Callable[[dt.date], str]) -> dict[str, Any]:
    """Previous/next links and every week grouped by year, newest first, for the week picker."""
    index = weeks.index(current)
    years: dict[int, list[tuple[dt.date, str]]] = {}
    for week in reversed(weeks):
        years.setdefault(week.year, []).append((week, path_for(week)))
    return {"current": current,
            "previous": (weeks[index - 1], path_for(weeks[index - 1])) if index > 0 else None,
            "next": (weeks[index + 1], path_for(weeks[index + 1])) if index + 1 < len(weeks) else None,
            "years": list(years.items())}


def _lists(rows: list[dict[str, Any]], standard: tuple[str, ...]) -> list[dict[str, Any]]:
    """Entries grouped into lists: the standard categories first, any others after."""
    names = list(standard) + sorted({row["category"] for row in rows} - set(standard))
    lists = []
    for name in names:
        entries = [row for row in rows if row["category"] == name]
        lists.append({"category": name, "slug": slug(name), "entries": entries,
                      "seasons": any(row["kind"] == "tv" for row in entries)})
    return lists


def _follow(feed_list: list[tuple[str, str]], widgets: list[tuple[str, str, str]]) -> dict[str, Any]:
    """The feeds (label, path) and widgets (label, path, iframe title) a page offers, with the
    function that writes a widget's snippet."""
    return {"feeds": [{"label": label, "path": path} for label, path in feed_list],
            "widgets": [{"label": label, "path": path, "title": title} for label, path, title in widgets],
            "snippet": widget.snippet}


def global_follow(categories: list[str]) -> dict[str, Any]:
    """A feed and a widget for each of the global lists named."""
    return _follow([(f"Top 10 {category}", feeds.global_path(category)) for category in categories],
                   [(category, widget.global_path(category), f"Top 10 {category}") for category in categories])


def country_follow(iso2: str, name: str, categories: list[str]) -> dict[str, Any]:
    """A country's feed, and a widget for each of its lists named."""
    return _follow([(f"Top 10 in {name}", feeds.country_path(iso2))],
                   [(f"{category} in {name}", widget.country_path(iso2, category), f"Top 10 {category} in {name}")
                    for category in categories])


def _scope_weeks(editions: dict[dt.date, dict[str, Any]], scope: str) -> list[dt.date]:
    return sorted(week for week, scopes in editions.items() if scope in scopes)


def week_page(warehouse: Warehouse, week_text: str | None) -> Page:
    """The four global lists of a week (None: the latest week, shown at /)."""
    editions = queries.editions_by_week(warehouse)
    weeks = _scope_weeks(editions, "global")
    if not weeks and week_text is None:
        return Page("empty.html", "/", "No charts yet", _frame(warehouse))
    week = resolve_week(week_text, weeks)
    rows = queries.entries(warehouse, editions, week, scope="global")
    lists = _lists(rows, GLOBAL_CATEGORIES)
    covered = rolled_up_days(warehouse)
    return Page("week.html", urls.week(None if week_text is None else week), f"Global Top 10, week ending {week:%-d %B %Y}", {
        **_frame(warehouse), "week": week, "edition": editions[week]["global"],
        "picker": week_picker(weeks, week, urls.week), "lists": lists,
        "follow": global_follow([item["category"] for item in lists if item["category"] in GLOBAL_CATEGORIES]),
        "daily_path": urls.daily(week) if covered and covered[0] <= week <= covered[1] else None,
        "json_path": f"/api/weeks/{week}/global"})


def countries_page(warehouse: Warehouse, week_text: str | None) -> Page:
    """What is No. 1 in every country in a week, Films and TV."""
    editions = queries.editions_by_week(warehouse)
    weeks = _scope_weeks(editions, "country")
    week = resolve_week(week_text, weeks)
    countries = queries.number_ones(warehouse, editions, week)
    leaders = Counter((entry["title_id"], entry["title"]) for country in countries
                      for entry in country["lists"].values())
    return Page("countries.html", urls.countries(None if week_text is None else week),
                f"Top 10 by country, week ending {week:%-d %B %Y}", {
                    **_frame(warehouse), "week": week, "edition": editions[week]["country"],
                    "picker": week_picker(weeks, week, urls.countries), "countries": countries,
                    "categories": COUNTRY_CATEGORIES, "leaders": leaders.most_common(5),
                    "json_path": f"/api/weeks/{week}/countries"})


def _country_page(frame: dict[str, Any], editions: dict[dt.date, dict[str, Any]], iso2: str, name: str,
                  week: dt.date, alias: bool, rows: list[dict[str, Any]]) -> Page:
    if not rows:
        raise NotFound(f"{name} has no Top 10 lists in the week ending {week}")
    weeks = _scope_weeks(editions, "country")
    lists = _lists(rows, COUNTRY_CATEGORIES)
    return Page("country.html", urls.country(iso2, None if alias else week), f"Top 10 in {name}, week ending {week:%-d %B %Y}", {
        **frame, "week": week, "iso2": iso2, "country_name": name, "edition": editions[week]["country"],
        "picker": week_picker(weeks, week, lambda other: urls.country(iso2, other)), "lists": lists,
        "follow": country_follow(iso2, name, [item["category"] for item in lists
                                              if item["category"] in COUNTRY_CATEGORIES and item["entries"]]),
        "json_path": f"/api/weeks/{week}/countries/{iso2}"})


def country_page(warehouse: Warehouse, iso2_text: str, week_text: str | None) -> Page:
    """A country's Films and TV lists of a week (None: the latest week)."""
    iso2 = parse_iso2(iso2_text)
    name = queries.country_name(warehouse, iso2)
    editions = queries.editions_by_week(warehouse)
    week = resolve_week(week_text, _scope_weeks(editions, "country"))
    rows = queries.entries(warehouse, editions, week, scope="country", country=iso2)
    return _country_page(_frame(warehouse), editions, iso2, name, week, week_text is None, rows)


def country_pages(warehouse: Warehouse, week: dt.date, *, alias: bool = False) -> Iterator[Page]:
    """Every country's page of one week, from one query (for the static site)."""
    editions = queries.editions_by_week(warehouse)
    frame = _frame(warehouse)
    rows = queries.entries(warehouse, editions, week, scope="country")
    names = queries.country_names(warehouse)
    for iso2 in sorted({row["country"] for row in rows}, key=lambda code: names[code]):
        yield _country_page(frame, editions, iso2, names[iso2], week, alias,
                            [row for row in rows if row["country"] == iso2])


def _title_context(warehouse: Warehouse, title_id: str) -> dict[str, Any]:
    """Everything a title page shows except the countries of the chosen week; its rows on the
    country lists of every week (every_week) are read once, for its weeks there and its map."""
    title = queries.title(warehouse, title_id)
    every_week = queries.title_countries(warehouse, title["title_key"], None)
    country_weeks = queries.country_weeks_of(every_week)
    countries_by_week = {row["week"]: row["countries"] for row in country_weeks}
    listed_weeks = {week for week, scopes in queries.editions_by_week(warehouse).items() if "country" in scopes}
    # A week without country lists in the warehouse is unknown (None), not "in no country" (0).
    history = [{**row, "countries": countries_by_week.get(row["week"], 0) if row["week"] in listed_weeks else None}
               for row in queries.title_history(warehouse, title["title_key"])]
    return {**_frame(warehouse), "title": title, "facts": title_facts(warehouse, title_id), "history": history,
            "charts": svg.history_charts(history, list_size=warehouse.methodology.list_size, title=title["title"],
                                         number=number),
            "country_weeks": country_weeks, "every_week": every_week, "list_size": warehouse.methodology.list_size,
            "json_path": "/api" + urls.title(title_id)}


def _title_page(warehouse: Warehouse, context: dict[str, Any], chosen: dt.date | None, alias: bool,
                every_week: list[dict[str, Any]]) -> Page:
    """The page for one chosen week of country lists, from the title's rows in every country and week."""
    title = context["title"]
    dates = [row["week"] for row in context["country_weeks"]]
    countries = [row for row in every_week if row["week"] == chosen]
    world = None
    if chosen:
        best: dict[str, int] = {}
        for row in countries:
            best[row["iso2"]] = min(row["rank"], best.get(row["iso2"], row["rank"]))
        world = worldmap.MapData(best, queries.listed_countries(warehouse, chosen), queries.country_names(warehouse),
                                 title["title"], chosen)
        by_country: dict[str, dict[dt.date, int]] = {}
        for row in every_week:
            ranks = by_country.setdefault(row["iso2"], {})
            ranks[row["week"]] = min(row["rank"], ranks.get(row["week"], row["rank"]))
        for row in countries:
            row["spark"] = svg.rank_sparkline(by_country[row["iso2"]], dates, list_size=context["list_size"],
                                              label=f"Rank in {row['country_name']}")
    return Page("title.html", urls.title(title["title_id"], None if alias else chosen), title["title"], {
        **context, "chosen_week": chosen, "countries": countries, "world_map": world,
        "map_legend": worldmap.legend(),
        "picker": week_picker(dates, chosen, lambda week: urls.title(title["title_id"], week)) if chosen else None})


def title_page(warehouse: Warehouse, title_id: str, week_text: str | None) -> Page:
    """A title's history on the global lists, its facts, and a map and list of its countries in a chosen week."""
    context = _title_context(warehouse, title_id)
    dates = [row["week"] for row in context["country_weeks"]]
    chosen = resolve_title_week(context["title"]["title"], week_text, dates)
    return _title_page(warehouse, context, chosen, week_text is None, context["every_week"])


def title_pages(warehouse: Warehouse, title_id: str) -> Iterator[Page]:
    """A title's page, its page for every week it was on country lists and its fact sheet (for the static site)."""
    context = _title_context(warehouse, title_id)
    every_week = context["every_week"]
    dates = [row["week"] for row in context["country_weeks"]]
    for week, alias in ([(dates[-1], True)] if dates else [(None, True)]) + [(week, False) for week in dates]:
        yield _title_page(warehouse, context, week, alias, every_week)
    yield factsheet_page(warehouse, title_id)


def factsheet_page(warehouse: Warehouse, title_id: str) -> Page:
    """A title's press fact sheet: every figure with the edition or rollup window it came from."""
    title = queries.title(warehouse, title_id)
    return Page("factsheet.html", urls.factsheet(title["title_id"]), f"{title['title']}: fact sheet", {
        **_frame(warehouse), "title": title, "sheet": factsheet(warehouse, title["title_id"]),
        "json_path": "/api" + urls.factsheet(title["title_id"])})


def search_page(warehouse: Warehouse, query: str, page: int, *, static: bool = False) -> Page:
    """Titles whose name contains `query`; in a static site, every charted title on one page."""
    per_page = ALL_ROWS if static else SEARCH_PER_PAGE
    rows, total = queries.search_titles(warehouse, query, page=page, per_page=per_page, charted_only=static)
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        raise NotFound(f"page {page:,} is past the last page of results ({pages:,})")
    heading = f"Titles matching “{query}”" if query else "All titles"
    return Page("search.html", urls.search(query, page), heading, {
        **_frame(warehouse), "query": query, "rows": rows, "total": total, "page_number": page, "pages": pages,
        "heading": heading, "previous": urls.search(query, page - 1) if page > 1 else None,
        "next": urls.search(query, page + 1) if page < pages else None})


def compare_page(warehouse: Warehouse, title_ids: list[str], add: str) -> Page:
    """Up to four titles side by side by week since premiere; `add` is a name searched for a fifth input."""
    ids = list(title_ids)
    message = None
    if add:
        found, _ = queries.search_titles(warehouse, add, page=1, per_page=1)
        if found:
            ids.append(found[0]["title_id"])
        else:
            message = f"No title matches “{add}”."
    titles = compare.compare(warehouse, ids)
    names = ", ".join(title["title"] for title in titles)
    return Page("compare.html", urls.compare([title["title_id"] for title in titles]),
                f"Compare {names}" if titles else "Compare titles", {
                    **_frame(warehouse), "titles": titles, "message": message, "max_titles": compare.MAX_TITLES,
                    "charts": compare.charts(titles, list_size=warehouse.methodology.list_size),
                    "series": compare.SERIES_CLASSES})


def downloads_page(warehouse: Warehouse) -> Page:
    """Every list as a download: all weeks, and each week, as TSV, XLSX and JSON."""
    editions = queries.editions_by_week(warehouse)
    return Page("downloads.html", urls.downloads(), "Downloads", {
        **_frame(warehouse),
        "weeks": [(week, "global" in scopes, "country" in scopes) for week, scopes in sorted(editions.items(), reverse=True)]})


def _report_page(warehouse: Warehouse, report: reports.ReportTable, query: str, sort: str | None, page: int,
                 per_page: int, sections: list[reports.Section], section: reports.Section | None) -> Page:
    result = reports.rows(warehouse, report, query=query, sort=sort, page=page, per_page=per_page, section=section,
                          for_page=True)
    key = section.key if section else None
    default = bool(sections) and section is sections[0]
    path_key = None if default else key
    periods: dict[str, dict[str, Any]] = {}
    for other in sections:  # each half year links to the same tab there, or to its first tab
        if other.period_key:
            entry = periods.setdefault(other.period_key, {"label": other.period_label, "key": other.key})
            if section and other.tab == section.tab:
                entry["key"] = other.key
    tabs = [other for other in sections if section is None or other.period_key == section.period_key]
    heading = report.label + (f": {section.period_label}" if section and section.period_label else "")
    return Page("report.html", urls.report(report.slug, page, section=path_key), heading, {
        **_frame(warehouse), "report": report, "result": result, "query": query, "sort": sort,
        "section": section, "section_key": path_key, "tabs": tabs, "heading": heading,
        "periods": [(entry["label"], entry["key"], section is not None and entry["label"] == section.period_label)
                    for entry in periods.values()],
        "first_key": sections[0].key if sections else None,
        "previous": urls.report(report.slug, page - 1, query, sort, path_key) if page > 1 else None,
        "next": urls.report(report.slug, page + 1, query, sort, path_key) if page < result["pages"] else None})


def report_page(warehouse: Warehouse, report_slug: str, query: str, sort: str | None, page: int,
                section_key: str | None = None) -> Page:
    """A page of a report table (most popular, engagement) in one tab and half year, with search and sorting."""
    if report_slug == popular.SLUG and all(found.slug != report_slug for found in reports.available(warehouse)) \
            and popular.has_rollups(warehouse):
        return popular_page(warehouse, section_key)
    report = reports.find(warehouse, report_slug)
    sections = reports.sections(warehouse, report)
    section = reports.find_section(sections, section_key)
    return _report_page(warehouse, report, query, sort, page, reports.PER_PAGE, sections, section)


def popular_pages(warehouse: Warehouse) -> Iterator[Page]:
    """The computed most-popular page and one per other list (for the static site)."""
    yield popular_page(warehouse, None)
    for section in popular.sections(warehouse)[1:]:
        yield popular_page(warehouse, section["key"])


def popular_page(warehouse: Warehouse, section_key: str | None) -> Page:
    """Most popular computed from the rollups: a tab per rule and category that has entries."""
    found = popular.sections(warehouse)
    section = popular.pick(found, section_key)
    first = found[0]["key"] if found else None
    return Page("popular.html", urls.report(popular.SLUG, section=None if section_key in (None, first) else section_key),
                popular.LABEL, {**_frame(warehouse), "sections": found, "section": section, "first_key": first,
                                "bases": list(dict.fromkeys(item["basis"] for item in found))})


def report_pages(warehouse: Warehouse, report_slug: str) -> Iterator[Page]:
    """Every page of every section of a report table in its default order (for the static site)."""
    report = reports.find(warehouse, report_slug)
    sections = reports.sections(warehouse, report)
    parts: list[reports.Section | None] = [*sections] or [None]
    for section in parts:
        first = _report_page(warehouse, report, "", None, 1, STATIC_REPORT_PER_PAGE, sections, section)
        yield first
        for page in range(2, first.context["result"]["pages"] + 1):
            yield _report_page(warehouse, report, "", None, page, STATIC_REPORT_PER_PAGE, sections, section)
