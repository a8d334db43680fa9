"""Report tables (most popular, engagement reports) shown when the warehouse has rows for them.

A report is declared once in REPORTS; its page, its API and its nav entry appear only when
its relation exists and has rows, so the site keeps working on warehouses without them.
Text columns are searched, every shown column can be sorted on, and a `title_key` column
links each row to its title page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import BadRequest, NotFound
from ..store.quoting import quote_identifier
from ..store.warehouse import Warehouse
from .params import shown

PER_PAGE = 100
TEXT_TYPES = ("VARCHAR",)


@dataclass(frozen=True)
class Report:
    slug: str
    label: str
    description: str
    relation: str
    columns: tuple[str, ...]
    default_sort: tuple[tuple[str, bool], ...]  # (column, descending)


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
    def links_titles(self) -> bool:
        return "title_key" in self.types

    @property
    def title_column(self) -> str | None:
        """The shown column that links to the title page ('title'), or None: an extra Title column."""
        return "title" if "title" in self.shown_columns else None


REPORTS = (
    Report("most-popular", "Most popular", "The most popular titles of all time in their first days, per list.",
           "current_most_popular", ("basis", "category", "rank", "hours_viewed", "runtime_hours", "views"),
           (("basis", True), ("category", False), ("rank", False))),
    Report("engagement", "Engagement reports",
           "Hours viewed per title per half year (What We Watched), as published.",
           "current_engagement_rows", ("period_start", "period_end", "kind", "title", "available_globally",
                                       "release_date", "hours_viewed", "runtime_text", "views"),
           (("period_end", True), ("hours_viewed", True))),
)

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


def _order(report: ReportTable, sort: str | None) -> tuple[str, str | None, bool]:
    """The ORDER BY clause for `sort` ('column' or '-column'; None: the report's default order)."""
    if sort is None:
        keys = [(column, descending) for column, descending in report.report.default_sort if column in report.types]
        clause = ", ".join(f"r.{quote_identifier(column)} {'DESC' if descending else 'ASC'} NULLS LAST"
                           for column, descending in keys)
        return (f"ORDER BY {clause}" if clause else ""), None, False
    descending = sort.startswith("-")
    column = sort.removeprefix("-")
    if column not in report.shown_columns:
        raise BadRequest(f"cannot sort by {shown(column)}; sort by one of: {', '.join(report.shown_columns)} "
                         "(prefix - for descending)")
    return f"ORDER BY r.{quote_identifier(column)} {'DESC' if descending else 'ASC'} NULLS LAST", column, descending


def rows(warehouse: Warehouse, report: ReportTable, *, query: str, sort: str | None, page: int,
         per_page: int) -> dict[str, Any]:
    """One page of a report's rows whose text contains `query`, sorted by `sort`."""
    columns = report.shown_columns
    order, sort_column, descending = _order(report, sort)
    select = ", ".join(f"r.{quote_identifier(name)}" for name in columns)
    searched = [f"coalesce(r.{quote_identifier(name)}, '')" for name in columns if report.types[name] in TEXT_TYPES]
    join = ""
    if report.links_titles:
        select += ", t.title_id AS _title_id, coalesce(t.season_title, t.show_title) AS _title"
        join = "LEFT JOIN titles t USING (title_key)"
        searched.append("coalesce(t.show_title, '') || ' ' || coalesce(t.season_title, '')")
    where = f"WHERE contains(lower({' || chr(31) || '.join(searched)}), lower($query))" if query and searched else ""
    relation = quote_identifier(report.report.relation)
    parameters = {"query": query} if where else {}
    total = int(warehouse.scalar(f"SELECT count(*) FROM {relation} r {join} {where}", parameters or None))
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        raise NotFound(f"page {page:,} is past the last page of this report ({pages:,})")
    found = warehouse.rows(f"SELECT {select} FROM {relation} r {join} {where} {order} LIMIT $limit OFFSET $offset",
                           {**parameters, "limit": per_page, "offset": (page - 1) * per_page})
    return {"columns": columns, "rows": found, "total": total, "page": page, "pages": pages,
            "sort": sort_column, "descending": descending}
