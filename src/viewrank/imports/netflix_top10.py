"""Importing Netflix's published Top 10 files as chart editions and stable titles.

Reads all-weeks-global, all-weeks-countries and most-popular in TSV, CSV or .xlsx, in every
column layout they have had (the kind of file is told by its header). Each file is
validated whole before anything is written, then stored in one transaction: every (week,
scope) becomes an edition with origin 'imported' (a revision of its own placed by publication
date; none when the same publication's rows are stored already), values exactly as published, titles identified by
`identity.py`. The file's layout is recorded so `reexport.py` can write it back.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NoReturn

from ..charts.editions import COMPARED, Change, Entry, Written, write_editions
from ..charts.weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES
from ..errors import InputError
from ..formats.tabular import Table, read_table
from ..formats.top10 import (
    COLUMN_ALIASES,
    COUNTRY_COLUMNS,
    GLOBAL_KNOWN_COLUMNS,
    LARGEST_WHOLE,
    MOST_POPULAR_COLUMNS,
    NOT_APPLICABLE,
    format_runtime,
)
from ..store.warehouse import Warehouse
from .engagement import rehome_report_rows
from .sources import read_new_files, record_source
from .top10_titles import Titles, country_titles, global_titles, popular_titles, record_names

GLOBAL, COUNTRIES, MOST_POPULAR = "netflix-top10-global", "netflix-top10-countries", "netflix-most-popular"
IMPORT_ORDER = (GLOBAL, COUNTRIES, MOST_POPULAR)   # country rows and most-popular map onto global titles
GLOBAL_REQUIRED = ("week", "category", "weekly_rank", "show_title", "season_title", "weekly_hours_viewed",
                   "cumulative_weeks_in_top_10")
POPULAR_28_DAYS = "hours_viewed_first_28_days"
POPULAR_COLUMNS = MOST_POPULAR_COLUMNS + (POPULAR_28_DAYS,)
POPULAR_REQUIRED = ("category", "rank", "show_title", "season_title")
# A publication date in a file's name: all-weeks-global_published-2021-11-17.tsv.
PUBLISHED_IN_NAME = re.compile(r"published[-_ ]?(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
# The entry values each published column carries (the list's row is always compared).
COMPARED_BY_COLUMN = {"weekly_hours_viewed": "hours_viewed", "runtime": "runtime_hours", "weekly_views": "views",
                      "cumulative_weeks_in_top_10": "cumulative_weeks", "is_staggered_launch": "is_staggered_launch",
                      "episode_launch_details": "episode_launch_details",
                      "runtime_override_flag": "runtime_override_flag"}


@dataclass
class ListRow:
    """One published row of a weekly list (global or country) or of a most-popular list."""

    row: int
    category: str
    rank: int
    show_title: str
    season_title: str | None
    cumulative: int = 0
    week: dt.date = dt.date.min
    country: str | None = None
    hours: int | None = None
    runtime: float | None = None
    views: int | None = None
    staggered: bool | None = None
    details: str | None = None
    override: str | None = None
    title_id: str | None = None
    merged_from: str | None = None   # the id its evidence derives, merged by hand into `title_id`


@dataclass
class Top10File:
    """A validated file, ready to be written."""

    path: Path
    sha256: str
    kind: str
    table: Table
    rows: list[ListRow]
    published: dt.date | None = None
    noncanonical_cells: int = 0
    booleans: dict[bool, str] = field(default_factory=dict)   # how the file spells true and false


@dataclass
class Top10Report:
    path: str
    kind: str = ""
    rows_read: int = 0
    already_imported_as: str | None = None
    source_id: int | None = None
    layout: list[str] = field(default_factory=list)
    published: str | None = None
    published_from: str | None = None        # 'user', 'file name' or 'latest week'
    weeks: int = 0
    editions_new: int = 0
    editions_unchanged: int = 0
    editions_superseded: int = 0             # kept as earlier revisions: a newer publication is current
    restated: list[dict[str, Any]] = field(default_factory=list)   # weeks whose lists changed, and how
    titles_new: int = 0
    namesakes: int = 0
    identity_ties: list[dict[str, Any]] = field(default_factory=list)   # rows two namesakes could equally be
    rows_on_titles_not_in_global_lists: int = 0
    weeks_count_mismatches: int = 0
    noncanonical_cells: int = 0
    report_rows_rehomed: int = 0             # engagement report rows that now meet this file's titles


# -- reading and validating -----------------------------------------------------------------

def detect_kind(table: Table) -> str:
    """Which Netflix file this is, from its header; unknown or missing columns are an error."""
    columns = table.layout.columns
    names = set(columns)
    allowed: tuple[str, ...]
    required: tuple[str, ...]
    if "country_iso2" in names:
        kind, allowed, required = COUNTRIES, COUNTRY_COLUMNS, COUNTRY_COLUMNS
    elif "weekly_rank" in names:
        kind, allowed, required = GLOBAL, GLOBAL_KNOWN_COLUMNS, GLOBAL_REQUIRED
    elif "rank" in names:
        basis = "hours_viewed_first_91_days" if "hours_viewed_first_91_days" in names else POPULAR_28_DAYS
        kind, allowed, required = MOST_POPULAR, POPULAR_COLUMNS, POPULAR_REQUIRED + (basis,)
    else:
        raise InputError(str(table.path), "not a Netflix Top 10 file: the header has none of weekly_rank, "
                         f"country_iso2 or rank (found: {', '.join(columns)})", row=1)
    for name in columns:
        if name not in allowed:
            raise InputError(str(table.path), f"unknown column {name!r}: no {kind} layout Netflix has published has "
                             f"it (known columns: {', '.join(allowed)})", row=1, column=name)
        if [COLUMN_ALIASES.get(other, other) for other in columns].count(COLUMN_ALIASES.get(name, name)) > 1:
            raise InputError(str(table.path), f"column {name!r} appears twice", row=1, column=name)
    for name in required:
        if name not in names:
            raise InputError(str(table.path), f"missing column {name!r} for {kind}", row=1, column=name)
    return kind


class _Cells:
    """The cells of one row, parsed with errors that name file, row and column, counting
    cells whose text an export would spell differently."""

    def __init__(self, parsed: Top10File, number: int, record: dict[str, str]):
        self.parsed, self.number, self.record = parsed, number, record

    def fail(self, column: str, reason: str) -> NoReturn:
        raise InputError(str(self.parsed.path), reason, row=self.number, column=column)

    def _canonical(self, text: str, written: str) -> None:
        if text != written:
            self.parsed.noncanonical_cells += 1

    def text(self, column: str) -> str:
        value = self.record.get(column, "")
        if not value.strip():
            self.fail(column, f"{column} is empty")
        return value

    def season(self, column: str) -> str | None:
        value = self.text(column)
        return None if value == NOT_APPLICABLE else value

    def choice(self, column: str, allowed: tuple[str, ...]) -> str:
        value = self.text(column)
        if value not in allowed:
            self.fail(column, f"unknown {column} {value!r} (expected one of: {', '.join(allowed)})")
        return value

    def integer(self, column: str, *, minimum: int = 0, required: bool = True) -> int | None:
        value = self.record.get(column, "").strip()
        if not value:
            if required and column in self.record:
                self.fail(column, f"{column} is empty")
            return None
        try:
            number = float(value)
        except ValueError:
            self.fail(column, f"{column} {value!r} is not a whole number")
        if not number.is_integer() or number < minimum:
            self.fail(column, f"{column} {value!r} is not a whole number >= {minimum}")
        if number > LARGEST_WHOLE:
            self.fail(column, f"{column} {value!r} is larger than any figure can be ({LARGEST_WHOLE:,})")
        self._canonical(self.record[column], str(int(number)))
        return int(number)

    def decimal(self, column: str) -> float | None:
        value = self.record.get(column, "").strip()
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            self.fail(column, f"{column} {value!r} is not a number")
        if not 0 <= number < float("inf"):
            self.fail(column, f"{column} {value!r} is not a number >= 0")
        self._canonical(self.record[column], format_runtime(number))
        return number

    def date(self, column: str) -> dt.date:
        value = self.text(column).strip()
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.fail(column, f"{column} {value!r} is not a date (YYYY-MM-DD)")
        self._canonical(self.record[column], day.isoformat())
        return day

    def boolean(self, column: str) -> bool | None:
        value = self.record.get(column, "").strip()
        if not value:
            return None
        if value.lower() not in ("true", "false"):
            self.fail(column, f"{column} {value!r} is not true or false")
        flag = value.lower() == "true"
        self._canonical(self.record[column], self.parsed.booleans.setdefault(flag, value))
        return flag

    def json_text(self, column: str) -> str | None:
        value = self.record.get(column, "")
        if not value.strip():
            return None
        try:
            json.loads(value)
        except json.JSONDecodeError as error:
            self.fail(column, f"{column} is not valid JSON ({error.msg} at character {error.pos})")
        except RecursionError:
            self.fail(column, f"{column} is not valid JSON (nested too deeply)")
        return value


def read_top10(path: Path, countries: set[str], sha256: str, published: dt.date | None = None) -> Top10File:
    """Read and validate one Top 10 file completely; nothing is written. `published` is the
    day the user says it was published (else the name's date, else its latest week)."""
    table = read_table(path)
    kind = detect_kind(table)
    parsed = Top10File(path, sha256, kind, table, [])
    parse = {GLOBAL: _global_row, COUNTRIES: _country_row, MOST_POPULAR: _popular_row}[kind]
    for number, record in table.records():
        named = {COLUMN_ALIASES.get(column, column): value for column, value in record.items()}
        parsed.rows.append(parse(_Cells(parsed, number, named), countries))
    if not parsed.rows:
        raise InputError(str(path), "the file has a header but no rows")
    _check_ranks(parsed)
    parsed.published = published or publication_date(path, parsed.rows)[0]
    return parsed


def publication_date(path: Path, rows: list[ListRow]) -> tuple[dt.date | None, str]:
    """When a file was published, and how that is known: the date in its name
    (..._published-2021-11-17.tsv), else the latest week it holds (None for most-popular)."""
    match = PUBLISHED_IN_NAME.search(path.name)
    if match:
        try:
            return dt.date.fromisoformat(match.group(1)), "file name"
        except ValueError:
            raise InputError(str(path), f"the file name's publication date {match.group(1)!r} is not a date") from None
    weeks = [row.week for row in rows if row.week != dt.date.min]
    return (max(weeks), "latest week") if weeks else (None, "")


def _global_row(cells: _Cells, countries: set[str]) -> ListRow:
    return ListRow(
        row=cells.number, week=cells.date("week"), category=cells.choice("category", GLOBAL_CATEGORIES),
        rank=cells.integer("weekly_rank", minimum=1) or 0, show_title=cells.text("show_title"),
        season_title=cells.season("season_title"), hours=cells.integer("weekly_hours_viewed"),
        runtime=cells.decimal("runtime"), views=cells.integer("weekly_views", required=False),
        cumulative=cells.integer("cumulative_weeks_in_top_10", minimum=1) or 0,
        staggered=cells.boolean("is_staggered_launch"), details=cells.json_text("episode_launch_details"),
        override=cells.record.get("runtime_override_flag") or None)


def _country_row(cells: _Cells, countries: set[str]) -> ListRow:
    cells.text("country_name")
    code = cells.text("country_iso2").strip()
    if code not in countries:
        cells.fail("country_iso2", f"unknown country code {code!r} (expected ISO 3166-1 alpha-2)")
    return ListRow(
        row=cells.number, week=cells.date("week"), country=code, category=cells.choice("category", COUNTRY_CATEGORIES),
        rank=cells.integer("weekly_rank", minimum=1) or 0, show_title=cells.text("show_title"),
        season_title=cells.season("season_title"),
        cumulative=cells.integer("cumulative_weeks_in_top_10", minimum=1) or 0)


def _popular_row(cells: _Cells, countries: set[str]) -> ListRow:
    basis = "hours_viewed_first_91_days" if "hours_viewed_first_91_days" in cells.record else POPULAR_28_DAYS
    return ListRow(
        row=cells.number, category=cells.choice("category", GLOBAL_CATEGORIES),
        rank=cells.integer("rank", minimum=1) or 0, show_title=cells.text("show_title"),
        season_title=cells.season("season_title"), hours=cells.integer(basis, required=False),
        runtime=cells.decimal("runtime"), views=cells.integer("views_first_91_days", required=False))


def _check_ranks(parsed: Top10File) -> None:
    """Ranks are unique within each list."""
    column = "rank" if parsed.kind == MOST_POPULAR else "weekly_rank"
    seen: dict[tuple[Any, ...], int] = {}
    for row in parsed.rows:
        key = (row.week, row.country, row.category, row.rank)
        if key in seen:
            raise InputError(str(parsed.path), f"rank {row.rank} of {row.category} appears twice in one list "
                             f"(first on row {seen[key]})", row=row.row, column=column)
        seen[key] = row.row


def _row_order(parsed: Top10File) -> str:
    """How the rows were ordered, so a re-export can order them the same way."""
    def key(row: ListRow, descending: bool) -> tuple[Any, ...]:
        week = -row.week.toordinal() if descending else row.week.toordinal()
        return (row.country or "", week, row.category, row.rank)
    if parsed.kind == COUNTRIES:   # by country name, then as the global file
        name = parsed.table.layout.columns.index("country_name")
        keys = [(cells[name],) + key(row, True)[1:] for (_, cells), row in zip(parsed.table.rows, parsed.rows)]
        return "week-descending" if keys == sorted(keys) else "other"
    for order, descending in (("week-descending", True), ("week-ascending", False)):
        keys = [key(row, descending) for row in parsed.rows]
        if keys == sorted(keys):
            return order
    return "other"


# -- writing --------------------------------------------------------------------------------

WEEKS_COUNT_SQL = """
WITH counted AS (
    SELECT week, category, title_key, cumulative_weeks,
           CAST(row_number() OVER (PARTITION BY title_key, category ORDER BY week) AS INTEGER) AS counted
    FROM current_entries WHERE scope = 'global'
)
SELECT c.week, c.category, t.title_id, c.cumulative_weeks, c.counted
FROM counted c JOIN titles t USING (title_key)
WHERE c.cumulative_weeks <> c.counted AND ($weeks IS NULL OR list_contains($weeks, c.week))
ORDER BY c.week, c.category, t.title_id
"""


def weeks_count_mismatches(warehouse: Warehouse, weeks: list[dt.date] | None = None) -> list[dict[str, Any]]:
    """Global rows whose published weeks-in-Top-10 differ from the number of stored weeks of
    that title on that list: none when the history is complete and every identity right."""
    return warehouse.rows(WEEKS_COUNT_SQL, {"weeks": weeks})


def import_top10_files(warehouse: Warehouse, paths: list[Path], progress: Callable[[int], None] | None = None,
                       *, published: dt.date | None = None) -> list[Top10Report]:
    """Validate every file first, then import them: global lists before the country lists and
    most-popular lists whose titles are matched against them, older publications first.
    `published` dates every file (else each is dated by its name or its latest week)."""
    countries = {code for (code,) in warehouse.execute("SELECT iso2 FROM countries").fetchall()}
    reports, todo = read_new_files(warehouse, paths, report=Top10Report,
                                   read=lambda path, sha256: read_top10(path, countries, sha256, published))
    for parsed, report in todo:
        report.published = parsed.published.isoformat() if parsed.published else None
        report.published_from = "user" if published else publication_date(parsed.path, parsed.rows)[1]
    for parsed, report in sorted(todo, key=lambda item: (IMPORT_ORDER.index(item[0].kind),
                                                         item[0].published or dt.date.min)):
        import_top10(warehouse, parsed, report)
        if progress:
            progress(1)
    return reports


def import_top10(warehouse: Warehouse, parsed: Top10File, report: Top10Report) -> Top10Report:
    """Write one validated file in one transaction."""
    layout = parsed.table.layout
    report.kind, report.rows_read, report.layout = parsed.kind, len(parsed.rows), list(layout.columns)
    report.noncanonical_cells = parsed.noncanonical_cells
    layout.extra = {"order": _row_order(parsed), "noncanonical_cells": parsed.noncanonical_cells,
                    "booleans": {"true": parsed.booleans.get(True, "True"), "false": parsed.booleans.get(False, "False")}}
    identify = {GLOBAL: global_titles, COUNTRIES: country_titles, MOST_POPULAR: popular_titles}[parsed.kind]
    with warehouse.atomic():
        titles = Titles(warehouse)
        identify(warehouse, parsed, titles, report)
        keys = titles.write()
        record_names(warehouse, parsed, keys)
        written: dict[dt.date, Written] = {}
        scope = "global" if parsed.kind == GLOBAL else "country"
        if parsed.kind != MOST_POPULAR:
            weeks: dict[dt.date, list[Entry]] = {}
            for row in parsed.rows:
                weeks.setdefault(row.week, []).append(Entry(
                    row.country, row.category, row.rank, keys[row.title_id or ""], row.hours, row.runtime, row.views,
                    row.cumulative, is_staggered_launch=row.staggered, episode_launch_details=row.details,
                    runtime_override_flag=row.override))
            names = {COLUMN_ALIASES.get(column, column) for column in layout.columns}
            compared = tuple(column for column in COMPARED
                             if column in ("country", "category", "rank", "title_key")
                             or any(COMPARED_BY_COLUMN.get(name) == column for name in names))
            written = write_editions(
                warehouse, scope, weeks, origin="imported", source=f"{parsed.path} sha256:{parsed.sha256}",
                methodology={"origin": "imported", "publisher": "Netflix", "file": parsed.kind,
                             "columns": layout.columns}, published=parsed.published, compared=compared)
            report.weeks = len(written)
            report.editions_new = sum(w.new for w in written.values())
            report.editions_unchanged = report.weeks - report.editions_new
            report.editions_superseded = sum(w.new and not w.current for w in written.values())
            report.restated = _restated(warehouse, {week: w.changes for week, w in written.items() if w.changes})
            if parsed.kind == GLOBAL:
                report.weeks_count_mismatches = len(weeks_count_mismatches(warehouse, sorted(weeks)))
        report.report_rows_rehomed = rehome_report_rows(warehouse)
        outcome = {name: value for name, value in report.__dict__.items() if isinstance(value, int)}
        report.source_id = record_source(warehouse, kind=parsed.kind, path=parsed.path, sha256=parsed.sha256,
                                         layout=layout.to_dict(), rows_read=len(parsed.rows), outcome=outcome)
        if written:
            warehouse.execute(
                "INSERT INTO import_weeks SELECT ?, ?, unnest(?), unnest(?)",
                [report.source_id, scope, list(written), [w.edition_id for w in written.values()]])
        if parsed.kind == MOST_POPULAR:
            basis = "first_91_days" if "hours_viewed_first_91_days" in layout.columns else "first_28_days"
            warehouse.con.executemany(
                "INSERT INTO most_popular VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [[report.source_id, basis, row.category, row.rank, keys[row.title_id or ""], row.hours, row.runtime,
                  row.views] for row in parsed.rows])
    return report


def _restated(warehouse: Warehouse, changes: dict[dt.date, list[Change]]) -> list[dict[str, Any]]:
    """What each restated week changed against the publication before it, titles by id."""
    ids = dict(warehouse.execute("SELECT title_key, title_id FROM titles").fetchall()) if changes else {}
    named = {"title_key": "title_id"}
    return [{"week": week.isoformat(), "changes": [
        {"country": c.country, "category": c.category, "rank": c.rank, "column": named.get(c.column, c.column),
         "before": ids.get(c.before, c.before) if c.column == "title_key" else c.before,
         "after": ids.get(c.after, c.after) if c.column == "title_key" else c.after} for c in week_changes]}
        for week, week_changes in sorted(changes.items())]
