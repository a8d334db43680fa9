"""The engagement report as an .xlsx workbook in the published layout.

Copied from What_We_Watched_A_Netflix_Engagement_Report_2024Jan-Jun.xlsx (the layout of
every report since 2023H2): one sheet per kind ("TV", "Film"); column A is a narrow margin;
B2 holds the report's name and B3 the period ("Views from January to June 2024") on a dark
fill; row 6 holds the headers with a thick bottom border; titles follow from row 7 with the
number formats, fonts, alignments, column widths and row heights of the published file.
The importer (imports/engagement.py) reads such a workbook back.

Every workbook viewrank writes (this report, the site's and server's /downloads/*.xlsx) goes
through `safe_cell` and `workbook_bytes`: text is always stored as text, so a title such as
`=HYPERLINK(...)` is shown as written and never becomes a live formula, and the same data
gives the same bytes (fixed document and ZIP timestamps), so a republished file is unchanged.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from ..files import write_atomically

REPORT_NAME = "What We Watched: An Engagement Report"
HEADER_ROW = 6
# Header, number format, horizontal alignment of columns B..G.
COLUMNS = (("Title", "@", "left"), ("Available Globally?", "@", "center"),
           ("Release Date", "yyyy\\-mm\\-dd", "center"), ("Hours Viewed", "#,##0", "right"),
           ("Runtime", "@", "center"), ("Views", "#,##0", "right"))
WIDTHS = {"A": 3.1640625, "B": 85.0, "C": 20.83203125, "D": 18.33203125, "E": 17.33203125, "F": 14.0,
          "G": 17.33203125, "H": 3.1640625, "I": 13.0}
HEIGHTS = {1: 55.0, 2: 28.0, 3: 20.0, 4: 20.0, 5: 16.0, 6: 19.0}
DATA_HEIGHT = 16.0
BANNER = PatternFill("solid", fgColor="00000000")
BODY_FONT = "Calibri (Body)"
# The timestamp of every workbook's properties and ZIP entries (ZIP's clock starts in 1980).
FIXED_TIME = dt.datetime(2000, 1, 1)
MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def safe_cell(cell: Any) -> Any:
    """Keep a text cell text: openpyxl turns any string starting with '=' into a formula."""
    if isinstance(cell.value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def safe_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row of formula-safe cells for a write-only sheet's append()."""
    return [safe_cell(WriteOnlyCell(sheet, value=value)) for value in values]


def workbook_bytes(workbook: Workbook) -> bytes:
    """The workbook as .xlsx bytes that depend on its content only (no clock in them)."""
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    stable = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(stable, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            body = source.read(entry)
            if entry.filename == "docProps/core.xml":  # openpyxl stamps the time of saving here
                body = MODIFIED.sub(rb"\g<1>" + FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", body)
            target.writestr(info, body)
    return stable.getvalue()


def period_text(report: dict[str, Any]) -> str:
    """'Views from July to December 2026': the published preamble line (the importer reads the period from it)."""
    start, end = report["period"]["from"], report["period"]["to"]
    return f"Views from {calendar.month_name[start.month]} to {calendar.month_name[end.month]} {end.year}"


def write_engagement_workbook(path: str | os.PathLike[str], report: dict[str, Any]) -> int:
    """Write the report's sheets atomically (temporary file, then rename); returns the number of title rows."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = REPORT_NAME
    rows = 0
    for sheet, entries in report["sheets"].items():
        _write_sheet(workbook.create_sheet(sheet), report, entries)
        rows += len(entries)
    write_atomically(Path(path), workbook_bytes(workbook))
    return rows


def _write_sheet(sheet: Any, report: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    for column, width in WIDTHS.items():
        sheet.column_dimensions[column].width = width
    for row, height in HEIGHTS.items():
        sheet.row_dimensions[row].height = height
    banner_top = Alignment(horizontal="left", vertical="top")
    _cell(sheet, 2, 2, REPORT_NAME, "@", Font(name="Arial", size=22, bold=True, color="FFFFFFFF"), banner_top, BANNER)
    _cell(sheet, 3, 2, period_text(report), "@", Font(name="Arial", size=12, color="FFBFBFBF"), banner_top, BANNER)
    if not report["covered"]["complete"]:
        # Not in the published layout: a half year still in progress says which days it covers.
        _cell(sheet, 4, 2, f"Rolled-up days {report['covered']['from']} to {report['covered']['to']} only",
              "@", Font(name="Arial", size=12), banner_top)
    underline = Border(bottom=Side(style="thick", color="FF000000"))
    for index, (header, _, horizontal) in enumerate(COLUMNS):
        cell = _cell(sheet, HEADER_ROW, 2 + index, header, "General", Font(name=BODY_FONT, size=13, bold=True),
                     Alignment(horizontal="left" if index == 0 else "center", vertical="center"))
        cell.border = underline
    body = Font(name=BODY_FONT, size=12)
    for offset, entry in enumerate(entries):
        row = HEADER_ROW + 1 + offset
        sheet.row_dimensions[row].height = DATA_HEIGHT
        values = (entry["title"], "Yes" if entry["available_globally"] else "No",
                  entry["release_date"].isoformat() if entry["release_date"] else None,  # text, as published
                  entry["hours_shown"], entry["runtime_shown"], entry["views_shown"])
        for index, value in enumerate(values):
            _, number_format, horizontal = COLUMNS[index]
            _cell(sheet, row, 2 + index, value, number_format, body, Alignment(horizontal=horizontal))


def _cell(sheet: Any, row: int, column: int, value: Any, number_format: str, font: Font, alignment: Alignment,
          fill: PatternFill | None = None) -> Any:
    cell = safe_cell(sheet.cell(row=row, column=column, value=value))
    cell.number_format = number_format
    cell.font = font
    cell.alignment = alignment
    if fill is not None:
        cell.fill = fill
    return cell
