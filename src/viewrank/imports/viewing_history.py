"""Importing NetflixViewingHistory.csv, the export with only Title and Date.

It has no durations, no times and no country, so it cannot honestly become hours viewed or
playback events. What it does tell is kept: its titles go into the catalog (found or
created as for ViewingActivity.csv) and each row counts as one play of that title (and
episode) on that day, in viewing_history_plays. Dates are dd/mm/yyyy in most countries and
m/d/yy in the US export; which one a file uses is read from the file itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from ..errors import InputError
from ..formats.tabular import Table
from ..ingest import EARLIEST_START, FUTURE_TOLERANCE
from ..store.warehouse import Warehouse
from .sources import record_source
from .watch_titles import WatchedTitles

KIND = "netflix-viewing-history"
TITLE_SOURCE = "viewing-history"
SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")
NOTE = "titles and dates only: counted as plays per title and day, never as hours (the file has no durations)"


@dataclass
class HistoryReport:
    path: str
    already_imported_as: str | None = None
    source_id: int | None = None
    rows_read: int = 0
    plays_loaded: int = 0
    untitled: int = 0        # rows without a title: nothing to count them for
    days: int = 0
    date_format: str = ""
    titles_new: int = 0
    note: str = NOTE
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    accounted: int = 0       # plays loaded + untitled rows: equals rows_read


def is_viewing_history(table: Table) -> bool:
    return [column.lower() for column in table.layout.columns] == ["title", "date"]


def date_format(table: Table) -> str:
    """'iso', 'day-first' or 'month-first': from a day above 12 where there is one, else the
    year (four digits: the international dd/mm/yyyy; two: the US m/d/yy)."""
    date_column = table.layout.columns[1]
    slashed = []
    for number, record in table.records():
        text = record[date_column].strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return "iso"
        match = SLASHED.fullmatch(text)
        if not match:
            raise InputError(str(table.path), f"date {text!r} is neither dd/mm/yyyy nor m/d/yy", row=number,
                             column=date_column)
        slashed.append((int(match.group(1)), int(match.group(2)), len(match.group(3))))
    if any(first > 12 for first, _, _ in slashed):
        return "day-first"
    if any(second > 12 for _, second, _ in slashed):
        return "month-first"
    return "day-first" if slashed and slashed[0][2] == 4 else "month-first"


def _day(text: str, style: str) -> dt.date:
    if style == "iso":
        return dt.date.fromisoformat(text)
    match = SLASHED.fullmatch(text)
    if not match:
        raise ValueError("not a date")
    first, second, year = (int(part) for part in match.groups())
    year += 2000 if year < 100 else 0
    return dt.date(year, second, first) if style == "day-first" else dt.date(year, first, second)


def read_plays(table: Table) -> list[tuple[str, dt.date]]:
    """Every row as (title, day), the title '' where the row has none; a date that cannot be
    read is an error naming row and column."""
    title_column, date_column = table.layout.columns
    style = date_format(table)
    rows = []
    latest = (dt.datetime.now(dt.timezone.utc) + FUTURE_TOLERANCE).date()
    for number, record in table.records():
        title = record[title_column].strip()
        try:
            day = _day(record[date_column].strip(), style)
        except ValueError:
            raise InputError(str(table.path), f"date {record[date_column]!r} is not a {style} date", row=number,
                             column=date_column) from None
        if not EARLIEST_START.date() <= day <= latest:
            raise InputError(str(table.path), f"date {record[date_column]!r} is before {EARLIEST_START:%Y} or in the "
                             "future", row=number, column=date_column)
        rows.append((title, day))
    if not rows:
        raise InputError(str(table.path), "the file has a header but no rows")
    return rows


def import_history(warehouse: Warehouse, table: Table, sha256: str, rows: list[tuple[str, dt.date]]) -> HistoryReport:
    """Store a validated file's titles and plays per day in one transaction."""
    report = HistoryReport(str(table.path))
    report.date_format = style = date_format(table)
    report.rows_read = len(rows)
    titles = WatchedTitles(warehouse, TITLE_SOURCE, (title for title, _ in rows))
    plays: Counter[tuple[dt.date, str, str | None]] = Counter()
    for title, day in rows:
        if not title:
            report.untitled += 1
            continue
        title_id, _, episode = titles.resolve(title, day, episodes=False)
        plays[(day, title_id, episode)] += 1
    report.plays_loaded = sum(plays.values())
    report.days = len({day for day, _, _ in plays})
    report.first_day, report.last_day = min(day for _, day in rows), max(day for _, day in rows)
    report.accounted = report.plays_loaded + report.untitled
    report.titles_new = len(titles.new_titles)
    with warehouse.atomic():
        titles.write()
        layout = table.layout.to_dict()
        layout["extra"]["date_format"] = style
        report.source_id = record_source(
            warehouse, kind=KIND, path=table.path, sha256=sha256, layout=layout, rows_read=report.rows_read,
            outcome={"plays_loaded": report.plays_loaded, "untitled": report.untitled,
                     "titles_new": report.titles_new, "note": NOTE})
        warehouse.execute(
            "INSERT INTO viewing_history_plays (source_id, day, title_key, episode, plays) "
            "SELECT ?, p.day, t.title_key, p.episode, p.plays FROM "
            "(SELECT unnest(?) AS day, unnest(?) AS title_id, unnest(?) AS episode, unnest(?) AS plays) p "
            "JOIN titles t USING (title_id)",
            [report.source_id, [k[0] for k in plays], [k[1] for k in plays], [k[2] for k in plays],
             list(plays.values())])
    return report
