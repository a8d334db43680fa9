"""Every list as a download in three encodings of the published layout: TSV, XLSX and JSON.

The rows are those of `viewrank export` (published/export.py), so the TSV is byte-for-byte
what the exporter writes; XLSX and JSON carry the same cells with numbers typed.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable

from openpyxl import Workbook

from ..export import country_rows, global_rows, tsv_lines
from ..formats.top10 import COUNTRY_COLUMNS, CURRENT_LAYOUT, FINAL_NEWLINE, GLOBAL_LAYOUTS
from ..formats.workbook import safe_row, workbook_bytes
from ..store.warehouse import Warehouse

SCOPES = ("global", "countries")
MEDIA_TYPES = {
    "tsv": "text/tab-separated-values; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
INTEGER_COLUMNS = {"weekly_rank", "weekly_hours_viewed", "weekly_views", "cumulative_weeks_in_top_10"}
DECIMAL_COLUMNS = {"runtime"}
BOOLEAN_COLUMNS = {"is_staggered_launch"}


def file_name(scope: str, format: str, week: dt.date | None = None) -> str:
    """'all-weeks-global.tsv' for all weeks, 'global-2026-11-15.tsv' for one week."""
    return f"all-weeks-{scope}.{format}" if week is None else f"{scope}-{week.isoformat()}.{format}"


def table(warehouse: Warehouse, scope: str, week: dt.date | None = None) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The header and text rows of a scope's published file, all weeks or one."""
    if scope == "global":
        columns = GLOBAL_LAYOUTS[CURRENT_LAYOUT]
        return columns, list(global_rows(warehouse, since=week, until=week, columns=columns))
    return COUNTRY_COLUMNS, list(country_rows(warehouse, since=week, until=week))


def typed(column: str, text: str) -> Any:
    """A TSV cell as a typed value: numbers as numbers, booleans as booleans, empty as None."""
    if text == "" and column in INTEGER_COLUMNS | DECIMAL_COLUMNS | BOOLEAN_COLUMNS | {"episode_launch_details"}:
        return None
    if column in INTEGER_COLUMNS:
        return int(text)
    if column in DECIMAL_COLUMNS:
        return float(text)
    if column in BOOLEAN_COLUMNS:
        return text == "True"
    return text


def encode(header: tuple[str, ...], rows: Iterable[tuple[str, ...]], format: str, *, sheet: str) -> bytes:
    """The rows as a TSV, XLSX or JSON file."""
    if format == "tsv":
        return "".join(tsv_lines(header, rows, final_newline=FINAL_NEWLINE)).encode("utf-8")
    records = [[typed(column, value) for column, value in zip(header, row)] for row in rows]
    if format == "json":
        return json.dumps([dict(zip(header, record)) for record in records], ensure_ascii=False).encode("utf-8")
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(safe_row(worksheet, header))
    for record in records:
        worksheet.append(safe_row(worksheet, record))
    return workbook_bytes(workbook)


def download(warehouse: Warehouse, scope: str, format: str, week: dt.date | None = None) -> bytes:
    """The body of one download."""
    header, rows = table(warehouse, scope, week)
    return encode(header, rows, format, sheet=scope)
