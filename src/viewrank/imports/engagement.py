"""Importing Netflix's half-year engagement reports ("What We Watched", .xlsx).

Every layout the reports have had: the first (2023 Jan-Jun) is one sheet "Engagement" with
Title, Available Globally?, Release Date, Hours Viewed under a few preamble rows; later ones
have a TV and a Film sheet (or Shows and Movies) that add Runtime (H:MM) and Views. A title
may carry its original-language name after ' // '. Values are stored as published.

Rows are matched to existing titles where the evidence supports it: the exact season title
or film name with a compatible kind, a namesake told apart by its release date. A row that
matches nothing becomes a catalog entry of its own (source 'engagement'); when the sheet
does not say (the first report), a name with a season label ('Season 2', 'Limited Series')
is taken for a season and anything else for a film.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NoReturn

import pyarrow as pa

from ..errors import InputError
from ..formats.tabular import DAMAGED_WORKBOOK, open_workbook
from ..formats.top10 import LARGEST_WHOLE
from ..store.bulk import insert_arrow
from ..store.warehouse import Warehouse
from .identity import make_title_id, season_number
from .sources import read_new_files, record_source
from .titles import Known, TitleIndex, insert_titles, is_season_label, title_keys

KIND = "netflix-engagement"
TITLE_SOURCE = "engagement"
SHEET_KINDS = {"engagement": None, "tv": "tv", "shows": "tv", "film": "film", "films": "film", "movies": "film"}
COLUMNS = {"Title": "title", "Available Globally?": "available", "Release Date": "release",
           "Hours Viewed": "hours", "Runtime": "runtime", "Views": "views"}
REQUIRED = ("Title", "Available Globally?", "Release Date", "Hours Viewed")
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
PERIOD_TEXT = re.compile(r"from (\w+) to (\w+) (\d{4})", re.IGNORECASE)
PERIOD_NAME = re.compile(r"(\d{4})(Jan-Jun|Jul-Dec)", re.IGNORECASE)
HALVES = {"jan-jun": (1, 6), "jul-dec": (7, 12)}
RUNTIME = re.compile(r"(\d+):([0-5]\d)\*?")

ROW_SCHEMA = pa.schema([
    ("source_id", pa.int64()), ("sheet", pa.string()), ("sheet_row", pa.int32()), ("kind", pa.string()),
    ("title", pa.string()), ("title_english", pa.string()), ("title_original", pa.string()),
    ("title_key", pa.int32()), ("matched", pa.string()), ("available_globally", pa.bool_()),
    ("release_date", pa.date32()), ("hours_viewed", pa.int64()), ("runtime_text", pa.string()),
    ("runtime_hours", pa.float64()), ("views", pa.int64()),
])


@dataclass
class EngagementRow:
    sheet: str
    sheet_row: int
    kind: str | None
    title: str
    title_english: str
    title_original: str | None
    available_globally: bool | None
    release_date: dt.date | None
    hours_viewed: int
    runtime_text: str | None
    runtime_hours: float | None
    views: int | None
    title_id: str = ""
    matched: str = ""


@dataclass
class EngagementFile:
    path: Path
    sha256: str
    period_start: dt.date
    period_end: dt.date
    rows: list[EngagementRow]
    layout: dict[str, Any]


@dataclass
class EngagementReport:
    path: str
    already_imported_as: str | None = None
    source_id: int | None = None
    period: str = ""
    rows_read: int = 0
    sheets: dict[str, dict[str, int]] = field(default_factory=dict)   # sheet -> rows, hours_viewed
    matched_top10: int = 0
    matched_catalog: int = 0
    new_titles: int = 0


# -- reading --------------------------------------------------------------------------------

def read_engagement(path: Path, sha256: str) -> EngagementFile:
    """Read and validate a whole report; nothing is written."""
    workbook = open_workbook(path)
    rows: list[EngagementRow] = []
    periods: set[tuple[dt.date, dt.date]] = set()
    sheets: dict[str, list[str]] = {}
    try:
        for sheet in workbook.worksheets:
            found = _read_sheet(path, sheet, rows)
            if found:
                sheets[sheet.title], period = found
                if period:
                    periods.add(period)
    except DAMAGED_WORKBOOK as error:   # openpyxl reads lazily: a truncated file fails while iterating
        raise InputError(str(path), f"not a readable .xlsx workbook ({type(error).__name__}: {error})") from None
    finally:
        workbook.close()
    if not sheets:
        raise InputError(str(path), "no sheet has a 'Title' header row: not an engagement report")
    if not rows:
        raise InputError(str(path), "the report has no title rows")
    name_period = _period_from_name(path.name)
    if len(periods) > 1:
        raise InputError(str(path), f"the sheets name different periods: {sorted(periods)}")
    period = periods.pop() if periods else name_period
    if period is None:
        raise InputError(str(path), "cannot tell the half year: no 'from <month> to <month> <year>' line "
                         "and no 2023Jan-Jun style date in the file name")
    return EngagementFile(path, sha256, period[0], period[1], rows,
                          {"format": "xlsx", "sheets": sheets})


def _read_sheet(path: Path, sheet: Any, rows: list[EngagementRow]
                ) -> tuple[list[str], tuple[dt.date, dt.date] | None] | None:
    """Append the sheet's title rows; returns its header and the period its preamble names,
    or None for a sheet without a 'Title' header (notes, charts)."""
    header: dict[int, str] | None = None
    period = None
    kind = SHEET_KINDS.get(sheet.title.strip().lower())
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if header is None:
            texts = [str(value).strip() if value is not None else "" for value in values]
            if "Title" in texts:
                header = _header(path, sheet.title, number, texts)
            else:
                period = period or _period_from_text(" ".join(texts))
            continue
        cells = {name: values[index] if index < len(values) else None for index, name in header.items()}
        if all(value is None or str(value).strip() == "" for value in values):
            continue
        rows.append(_row(_Cells(path, sheet.title, number), kind, cells))
    if header is None:
        return None
    return [header[index] for index in sorted(header)], period


def _header(path: Path, sheet: str, number: int, texts: list[str]) -> dict[int, str]:
    header = {index: text for index, text in enumerate(texts) if text}
    for text in header.values():
        if text not in COLUMNS:
            raise InputError(str(path), f"sheet {sheet!r}: unexpected column {text!r}", row=number, column=text)
    for name in REQUIRED:
        if name not in header.values():
            raise InputError(str(path), f"sheet {sheet!r}: missing column {name!r}", row=number, column=name)
    return header


class _Cells:
    def __init__(self, path: Path, sheet: str, number: int):
        self.path, self.sheet, self.number = path, sheet, number

    def fail(self, column: str, reason: str) -> NoReturn:
        raise InputError(str(self.path), f"sheet {self.sheet!r}: {reason}", row=self.number, column=column)

    def whole(self, column: str, value: Any, *, required: bool) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(column, f"{column} is empty")
            return None
        try:
            number = float(str(value).replace(",", ""))
        except ValueError:
            self.fail(column, f"{column} {value!r} is not a number")
        if number < 0 or not number.is_integer():
            self.fail(column, f"{column} {value!r} is not a whole number >= 0")
        if number > LARGEST_WHOLE:
            self.fail(column, f"{column} {value!r} is larger than any figure can be ({LARGEST_WHOLE:,})")
        return int(number)


def _row(cells: _Cells, kind: str | None, values: dict[str, Any]) -> EngagementRow:
    title = values["Title"]
    if title is None or not str(title).strip():
        cells.fail("Title", "Title is empty")
    parts = [part.strip() for part in str(title).split(" // ")]
    available = values["Available Globally?"]
    if available not in (None, "Yes", "No"):
        cells.fail("Available Globally?", f"Available Globally? {available!r} is not Yes or No")
    runtime_text, runtime_hours = _runtime(cells, values.get("Runtime"))
    return EngagementRow(
        sheet=cells.sheet, sheet_row=cells.number, kind=kind, title=str(title), title_english=parts[0],
        title_original=" // ".join(parts[1:]) or None,
        available_globally=None if available is None else available == "Yes",
        release_date=_date(cells, values["Release Date"]),
        hours_viewed=cells.whole("Hours Viewed", values["Hours Viewed"], required=True) or 0,
        runtime_text=runtime_text, runtime_hours=runtime_hours,
        views=cells.whole("Views", values.get("Views"), required=False))


def _date(cells: _Cells, value: Any) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        cells.fail("Release Date", f"Release Date {value!r} is not a date")


def _runtime(cells: _Cells, value: Any) -> tuple[str | None, float | None]:
    """'1:54' -> 1.9 hours; '*' (no runtime given) and empty -> no hours; the text is kept."""
    if value is None or not str(value).strip():
        return None, None
    text = str(value).strip()
    if text == "*":
        return text, None
    match = RUNTIME.fullmatch(text)
    if not match:
        cells.fail("Runtime", f"Runtime {text!r} is not H:MM")
    return text, int(match.group(1)) + int(match.group(2)) / 60


def _period_from_text(text: str) -> tuple[dt.date, dt.date] | None:
    match = PERIOD_TEXT.search(text)
    if not match or match.group(1).lower() not in MONTHS or match.group(2).lower() not in MONTHS:
        return None
    year = int(match.group(3))
    first, last = MONTHS[match.group(1).lower()], MONTHS[match.group(2).lower()]
    return dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1])


def _period_from_name(name: str) -> tuple[dt.date, dt.date] | None:
    match = PERIOD_NAME.search(name)
    if not match:
        return None
    year, (first, last) = int(match.group(1)), HALVES[match.group(2).lower()]
    return dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1])


# -- matching and writing -------------------------------------------------------------------

def import_engagement_files(warehouse: Warehouse, paths: list[Path],
                            progress: Callable[[int], None] | None = None) -> list[EngagementReport]:
    """Validate every report first, then import them: reports whose sheets say TV or Film
    before the first report, whose rows do not say, so those meet the labelled titles."""
    reports, todo = read_new_files(warehouse, paths, report=EngagementReport, read=read_engagement)
    todo.sort(key=lambda item: (any(row.kind is None for row in item[0].rows), item[0].period_start))
    for parsed, report in todo:
        import_engagement(warehouse, parsed, report)
        if progress:
            progress(1)
    return reports


def import_engagement(warehouse: Warehouse, parsed: EngagementFile, report: EngagementReport) -> EngagementReport:
    """Match and store one validated report in one transaction."""
    report.period = f"{parsed.period_start} to {parsed.period_end}"
    report.rows_read = len(parsed.rows)
    for row in parsed.rows:
        figures = report.sheets.setdefault(row.sheet, {"rows": 0, "hours_viewed": 0})
        figures["rows"] += 1
        figures["hours_viewed"] += row.hours_viewed
    with warehouse.atomic():
        index = TitleIndex(warehouse)
        new: list[dict[str, Any]] = []
        for row in parsed.rows:
            known, row.matched = _match(index, row)
            if known is None:
                record = _new_title(row)
                known = index.by_id.get(record["title_id"])   # the same evidence made it before
                row.matched = "catalog" if known else "new"
            if known is None:
                known = Known(record["title_id"], record["kind"], record["show_title"], record["season_title"],
                              TITLE_SOURCE, row.release_date, None)
                index.add(known)
                new.append(record)
            row.title_id = known.title_id
        insert_titles(warehouse, new)
        keys = title_keys(warehouse)
        report.new_titles = len(new)
        report.matched_top10 = sum(row.matched == "top10" for row in parsed.rows)
        report.matched_catalog = sum(row.matched == "catalog" for row in parsed.rows)
        outcome = {"rows_read": report.rows_read, "matched_top10": report.matched_top10,
                   "matched_catalog": report.matched_catalog, "new_titles": report.new_titles}
        report.source_id = record_source(warehouse, kind=KIND, path=parsed.path, sha256=parsed.sha256,
                                         layout=parsed.layout, rows_read=len(parsed.rows), outcome=outcome)
        warehouse.execute("INSERT INTO engagement_reports VALUES (?, ?, ?, ?, ?)",
                          [report.source_id, parsed.period_start, parsed.period_end, len(parsed.rows),
                           sum(row.hours_viewed for row in parsed.rows)])
        table = pa.Table.from_pylist(
            [{**{name: getattr(row, name, None) for name in ROW_SCHEMA.names},
              "source_id": report.source_id, "title_key": keys[row.title_id]} for row in parsed.rows],
            schema=ROW_SCHEMA)
        insert_arrow(warehouse, "engagement_rows", table)
    return report


def _match(index: TitleIndex, row: EngagementRow) -> tuple[Known | None, str]:
    """The existing title this row is, if the evidence says so: a Top 10 title first, else any
    other catalog entry (an earlier report's title must have the same release date)."""
    candidates = _candidates(index, row.title_english, row.kind, row.release_date)
    top10 = _top10(candidates, row.release_date)
    if top10:
        return top10, "top10"
    others = [known for known in candidates if known.source != "netflix-top10"
              and (known.source != TITLE_SOURCE or known.release_date == row.release_date)]
    return (others[0], "catalog") if len(others) == 1 else (None, "")


def _candidates(index: TitleIndex, name: str, kind: str | None, release_date: dt.date | None) -> list[Known]:
    """The titles a row's name denotes that were not on a Top 10 list before its release."""
    return [known for known in index.named(name, kind)
            if release_date is None or known.first_week is None or known.first_week >= release_date]


def _top10(candidates: list[Known], release_date: dt.date | None) -> Known | None:
    return _one([known for known in candidates if known.source == "netflix-top10"], release_date)


# Rows of imported reports on titles the reports made (no Top 10 title had their name then).
ROWS_ON_REPORT_TITLES_SQL = """
SELECT e.source_id, e.sheet, e.sheet_row, e.kind, e.title_english, e.release_date, e.title_key
FROM engagement_rows e JOIN titles t USING (title_key) WHERE t.source = $source
ORDER BY e.source_id, e.sheet, e.sheet_row
"""
REHOME_SQL = (
    """UPDATE engagement_rows e SET title_key = m.title_key, matched = 'top10' FROM rehomed m
       WHERE e.source_id = m.source_id AND e.sheet = m.sheet AND e.sheet_row = m.sheet_row""",
    # A report's title left with nothing (no rows, plays, episodes or lists) was only that name.
    """DELETE FROM titles t WHERE t.source = 'engagement' AND t.title_key IN (SELECT old_key FROM rehomed)
       AND NOT EXISTS (SELECT 1 FROM engagement_rows x WHERE x.title_key = t.title_key)
       AND NOT EXISTS (SELECT 1 FROM viewing_history_plays x WHERE x.title_key = t.title_key)
       AND NOT EXISTS (SELECT 1 FROM episodes x WHERE x.title_key = t.title_key)
       AND NOT EXISTS (SELECT 1 FROM most_popular x WHERE x.title_key = t.title_key)
       AND NOT EXISTS (SELECT 1 FROM chart_entries x WHERE x.title_key = t.title_key)
       AND NOT EXISTS (SELECT 1 FROM event_files)""",
    "DROP TABLE rehomed")


def rehome_report_rows(warehouse: Warehouse) -> int:
    """Give rows of imported reports that made titles of their own the Top 10 title they would
    have matched had the Top 10 files come first (called after each Top 10 import, in its
    transaction), so the reports and the lists meet whatever the import order; returns how many
    rows moved."""
    rows = warehouse.execute(ROWS_ON_REPORT_TITLES_SQL, {"source": TITLE_SOURCE}).fetchall()
    if not rows:
        return 0
    index = TitleIndex(warehouse)
    keys = title_keys(warehouse)
    moved = []
    for source_id, sheet, sheet_row, kind, name, release_date, old_key in rows:
        top10 = _top10(_candidates(index, name, kind, release_date), release_date)
        if top10 is not None:
            moved.append((source_id, sheet, sheet_row, keys[top10.title_id], old_key))
    if moved:
        warehouse.execute("CREATE OR REPLACE TEMP TABLE rehomed (source_id BIGINT, sheet VARCHAR, sheet_row INTEGER, "
                          "title_key INTEGER, old_key INTEGER)")
        warehouse.execute("INSERT INTO rehomed SELECT unnest(?), unnest(?), unnest(?), unnest(?), unnest(?)",
                          [list(column) for column in zip(*moved)])
        for statement in REHOME_SQL:
            warehouse.execute(statement)
    return len(moved)


def _one(candidates: list[Known], release_date: dt.date | None) -> Known | None:
    """One candidate, or among namesakes the first to chart after the release date."""
    if len(candidates) == 1:
        return candidates[0]
    charted = [known for known in candidates if known.first_week is not None]
    if release_date is None or not charted:
        return None
    return min(charted, key=lambda known: known.first_week or dt.date.max)


def _new_title(row: EngagementRow) -> dict[str, Any]:
    """A catalog entry for a row that matched nothing."""
    name = row.title_english
    head, _, label = name.rpartition(": ")
    kind = row.kind or ("tv" if head and is_season_label(label) else "film")
    show = head if kind == "tv" and head and is_season_label(label) else name
    return {"title_id": make_title_id(name, TITLE_SOURCE, kind, name, row.release_date or ""),
            "show_title": show, "season_title": name if kind == "tv" else None,
            "season_number": season_number(name) if kind == "tv" else None, "kind": kind,
            "release_date": row.release_date, "source": TITLE_SOURCE}
