"""Report tables (most popular, engagement reports) shown when the warehouse has rows for them.

A report is declared once in REPORTS; its page, its API and its nav entry appear only when
its relation exists and has rows, so the site keeps working on warehouses without them.
Text columns are searched, every shown column can be sorted on, and a `title_key` column
links each row to its title page.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadRequest, NotFound
from ..store.quoting import quote_identifier
from ..store.warehouse import Warehouse
from .params import shown, slug

PER_PAGE = 100
TEXT_TYPES = ("VARCHAR",)


@dataclass(frozen=True)
class Report:
    slug: str
    label: str
    description: str
    relation: str
    columns: tuple[str, ...]  # the API's columns, as stored
    default_sort: tuple[tuple[str, bool], ...]  # (column, descending)
    page_columns: tuple[str, ...] = ()  # the page's columns, in reading order (default: columns)
    headers: dict[str, str] = field(default_factory=dict)  # column -> header a reader understands
    sort_keys: dict[str, str] = field(default_factory=dict)  # column -> the column it sorts by (runtime text by hours)
    tab: str | None = None  # SQL expression over r (the relation) and t (titles) that splits the report into tabs
    tab_labels: dict[str, str] = field(default_factory=dict)  # tab value -> label, in the tabs' order
    period: str | None = None  # a DATE column of half years: one selector entry per half


@dataclass(frozen=True)
class Section:
    """One tab of a report, in one half year where the report has half years: '2024H2-tv' or 'films-english'."""

    key: str
    tab: str
    tab_label: str
    period: dt.date | None
    period_key: str | None
    period_label: str | None


@dataclass(frozen=True)
class ReportTable:
    """A declared report found in the warehouse, with the columns (name, type) it has there."""

    report: Report
    types: dict[str, str]

    @property
    def slug(self) -> str:
        return self.report.slug

    @property
    def label(self) -> str:
        return self.report.label

    @property
    def shown_columns(self) -> list[str]:
        return [name for name in self.report.columns if name in self.types]

    @property
    def page_columns(self) -> list[str]:
        return [name for name in self.report.page_columns or self.report.columns if name in self.types]

    @property
    def links_titles(self) -> bool:
        return "title_key" in self.types

    @property
    def title_column(self) -> str | None:
        """The shown column that links to the title page ('title'), or None: an extra Title column."""
        return "title" if "title" in self.page_columns else None

    def header(self, column: str) -> str:
        return self.report.headers.get(column, column.replace("_", " ").capitalize())


FIGURE_HEADERS = {"hours_viewed": "Hours viewed", "runtime_hours": "Runtime", "runtime_text": "Runtime",
                  "views": "Views", "rank": "Rank", "title": "Title", "release_date": "Released",
                  "available_globally": "Available globally", "basis": "Counted over", "category": "List",
                  "period_start": "From", "period_end": "To", "kind": "Kind"}

REPORTS = (
    Report("most-popular", "Most popular", "The most popular titles of all time in their first days, per list.",
           "current_most_popular", ("basis", "category", "rank", "hours_viewed", "runtime_hours", "views"),
           (("basis", True), ("category", False), ("rank", False)),
           page_columns=("rank", "hours_viewed", "runtime_hours", "views", "basis"), headers=FIGURE_HEADERS,
           tab="r.category"),
    Report("engagement", "Engagement reports",
           "Hours viewed per title per half year (What We Watched), as published.",
           "current_engagement_rows", ("period_start", "period_end", "kind", "title", "available_globally",
                                       "release_date", "hours_viewed", "runtime_text", "views"),
           (("period_end", True), ("hours_viewed", True)),
           page_columns=("title", "hours_viewed", "views", "runtime_text", "release_date", "available_globally"),
           headers=FIGURE_HEADERS, sort_keys={"runtime_text": "runtime_hours"},
           tab="coalesce(r.kind, t.kind)", tab_labels={"tv": "TV", "film": "Films"}, period="period_start"),
)
BASIS_TEXT = re.compile(r"first_(\d+)_days")

RELATIONS_SQL = """
SELECT table_name AS name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'
UNION ALL
SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND schema_name = 'main'
"""
COLUMNS_SQL = """
SELECT column_name, data_type FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?
ORDER BY column_index
"""


def available(warehouse: Warehouse) -> list[ReportTable]:
    """The declared reports whose relation exists and has rows, in declaration order."""
    relations = {name for (name,) in warehouse.execute(RELATIONS_SQL).fetchall()}
    found = []
    for report in REPORTS:
        if report.relation in relations and warehouse.scalar(
                f"SELECT count(*) > 0 FROM (SELECT 1 FROM {quote_identifier(report.relation)} LIMIT 1)"):
            types = dict(warehouse.execute(COLUMNS_SQL, [report.relation]).fetchall())
            found.append(ReportTable(report, types))
    return found


def find(warehouse: Warehouse, slug: str) -> ReportTable:
    for report in available(warehouse):
        if report.slug == slug:
            return report
    raise NotFound(f"this warehouse has no {slug.replace('-', ' ')} report yet (import one with 'viewrank import')")


def half_key(start: dt.date) -> str:
    """The half year that starts on `start`: 2024-07-01 -> '2024H2'."""
    return f"{start.year}H{1 if start.month <= 6 else 2}"


def half_label(start: dt.date) -> str:
    return f"{'January–June' if start.month <= 6 else 'July–December'} {start.year}"


def _join(report: ReportTable) -> str:
    return "LEFT JOIN titles t USING (title_key)" if report.links_titles else ""


def sections(warehouse: Warehouse, report: ReportTable) -> list[Section]:
    """The report's tabs (and half years), newest half first, tabs in their declared order."""
    declared = report.report
    if declared.tab is None:
        return []
    period = f"r.{quote_identifier(declared.period)}" if declared.period else "NULL"
    found = warehouse.execute(f"SELECT DISTINCT {period}, {declared.tab} FROM {quote_identifier(declared.relation)} r "
                              f"{_join(report)} WHERE {declared.tab} IS NOT NULL").fetchall()
    order = list(declared.tab_labels)

    def position(row: tuple[Any, Any]) -> tuple[int, int, str]:
        start, tab = row
        return (-(start.toordinal() if start else 0), order.index(tab) if tab in order else len(order), str(tab))

    result = []
    for start, tab in sorted(found, key=position):
        label = declared.tab_labels.get(tab, str(tab))
        key = slug(label) if start is None else f"{half_key(start)}-{slug(label)}"
        result.append(Section(key, str(tab), label, start, half_key(start) if start else None,
                              half_label(start) if start else None))
    return result


def find_section(found: list[Section], key: str | None) -> Section | None:
    """The section named `key` (None: the first, the newest half's first tab)."""
    if not found:
        if key is not None:
            raise NotFound(f"this report has no part named {key[:60]!r}")
        return None
    if key is None:
        return found[0]
    for section in found:
        if section.key == key:
            return section
    raise NotFound(f"this report has no part named {key[:60]!r} (try {', '.join(s.key for s in found[:4])})")


def _order(report: ReportTable, sort: str | None, columns: list[str]) -> tuple[str, str | None, bool]:
    """The ORDER BY clause for `sort` ('column' or '-column'; None: the report's default order)."""
    if sort is None:
        keys = [(column, descending) for column, descending in report.report.default_sort if column in report.types]
        clause = ", ".join(f"r.{quote_identifier(column)} {'DESC' if descending else 'ASC'} NULLS LAST"
                           for column, descending in keys)
        return (f"ORDER BY {clause}" if clause else ""), None, False
    descending = sort.startswith("-")
    column = sort.removeprefix("-")
    if column not in columns:
        raise BadRequest(f"cannot sort by {shown(column)}; sort by one of: {', '.join(columns)} "
                         "(prefix - for descending)")
    key = report.report.sort_keys.get(column, column)
    tie = ", r.hours_viewed DESC" if "hours_viewed" in report.types and key != "hours_viewed" else ""
    return (f"ORDER BY r.{quote_identifier(key)} {'DESC' if descending else 'ASC'} NULLS LAST{tie}",
            column, descending)


def _cell(column: str, value: Any) -> Any:
    """Stored codes as words: 'first_91_days' -> 'First 91 days'."""
    if column == "basis" and isinstance(value, str) and (match := BASIS_TEXT.fullmatch(value)):
        return f"First {match[1]} days"
    return value


def rows(warehouse: Warehouse, report: ReportTable, *, query: str, sort: str | None, page: int,
         per_page: int, section: Section | None = None, for_page: bool = False) -> dict[str, Any]:
    """One page of a report's rows whose text contains `query`, sorted by `sort`, in one section
    (None: all); `for_page` picks the page's columns and words instead of the API's stored values."""
    columns = report.page_columns if for_page else report.shown_columns
    order, sort_column, descending = _order(report, sort, columns)
    select = ", ".join(f"r.{quote_identifier(name)}" for name in columns)
    searched = [f"coalesce(r.{quote_identifier(name)}, '')" for name in report.shown_columns
                if report.types[name] in TEXT_TYPES]
    join = _join(report)
    if report.links_titles:
        select += ", t.title_id AS _title_id, display_name(t.show_title, t.season_title) AS _title"
        searched.append("coalesce(t.show_title, '') || ' ' || coalesce(t.season_title, '')")
    conditions: list[str] = []
    parameters: dict[str, Any] = {}
    if query and searched:
        conditions.append(f"contains(lower({' || chr(31) || '.join(searched)}), lower($query))")
        parameters["query"] = query
    if section is not None and report.report.tab is not None:
        conditions.append(f"{report.report.tab} = $tab")
        parameters["tab"] = section.tab
        if section.period is not None and report.report.period:
            conditions.append(f"r.{quote_identifier(report.report.period)} = $period")
            parameters["period"] = section.period
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    relation = quote_identifier(report.report.relation)
    total = int(warehouse.scalar(f"SELECT count(*) FROM {relation} r {join} {where}", parameters or None))
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        raise NotFound(f"page {page:,} is past the last page of this report ({pages:,})")
    found = warehouse.rows(f"SELECT {select} FROM {relation} r {join} {where} {order} LIMIT $limit OFFSET $offset",
                           {**parameters, "limit": per_page, "offset": (page - 1) * per_page})
    if for_page:
        found = [{name: _cell(name, value) for name, value in row.items()} for row in found]
    return {"columns": columns, "rows": found, "total": total, "page": page, "pages": pages,
            "sort": sort_column, "descending": descending}
