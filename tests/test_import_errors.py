"""Malformed and truncated files: a clear error naming file, row and column, and the
warehouse left exactly as it was (every file is validated whole before anything is written)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from import_support import COUNTRIES_SLICE, ENGAGEMENT_2024H2, GLOBAL_SLICE, MOST_POPULAR, VIEWING, fingerprint, run

from viewrank import InputError, Warehouse
from viewrank.imports.engagement import import_engagement_files
from viewrank.imports.netflix_top10 import import_top10_files
from viewrank.imports.personal import import_personal_files

SAMAGUIAR = VIEWING / "ViewingActivity_samaguiar_slice.csv"
FELIPE = VIEWING / "NetflixViewingHistory_felipebacelo_slice.csv"


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    """A warehouse that already holds something, so 'unchanged' means something."""
    with Warehouse.init(tmp_path / "wh") as warehouse:
        import_top10_files(warehouse, [MOST_POPULAR])
    return tmp_path / "wh"


def broken(tmp_path: Path, source: Path, edit: Callable[[list[str]], list[str]], name: str | None = None) -> Path:
    """A copy of `source` with its lines edited (line 1 is the header)."""
    text = source.read_text(encoding="utf-8")
    target = tmp_path / (name or source.name)
    target.write_text("\n".join(edit(text.split("\n"))), encoding="utf-8")
    return target


def set_cell(line: str, index: int, value: str, delimiter: str = "\t") -> str:
    cells = line.split(delimiter)
    cells[index] = value
    return delimiter.join(cells)


def rejected(warehouse_path: Path, command: str, *files: Path, path: Path, row: int | None, column: str | None,
             reason: str) -> None:
    """The command fails with one 'Error: file row N column 'c': reason' line and changes nothing."""
    before = fingerprint(warehouse_path)
    result = run("import", command, *files, "--warehouse", warehouse_path, ok=False)
    assert result.exit_code == 1
    where = str(path) + (f" row {row}" if row is not None else "") + (f" column {column!r}" if column else "")
    assert result.output.startswith(f"Error: {where}: "), result.output
    assert reason in result.output
    assert fingerprint(warehouse_path) == before


# -- Top 10 files ---------------------------------------------------------------------------------

def test_truncated_global_file(warehouse_path: Path, tmp_path: Path) -> None:
    cut = tmp_path / GLOBAL_SLICE.name
    data = GLOBAL_SLICE.read_bytes()
    cut.write_bytes(data[:len(data) - 25])   # the download stopped inside the last row
    rejected(warehouse_path, "netflix-top10", cut, path=cut, row=173, column="season_title",
             reason="expected 9 fields, found 4 (truncated or broken row?)")


@pytest.mark.parametrize("line, index, value, column, reason", [
    (5, 5, "12x", "weekly_hours_viewed", "weekly_hours_viewed '12x' is not a whole number"),
    (3, 1, "Films (French)", "category", "unknown category 'Films (French)'"),
    (7, 0, "2023-13-01", "week", "week '2023-13-01' is not a date"),
    (9, 8, "0", "cumulative_weeks_in_top_10", "is not a whole number >= 1"),
    (4, 2, "1", "weekly_rank", "rank 1 of Films (English) appears twice in one list (first on row 3)"),
    (6, 6, "abc", "runtime", "runtime 'abc' is not a number"),
    (2, 2, "99999999999999999999", "weekly_rank", "is larger than any figure can be"),  # found by test_import_fuzz
    (5, 5, "1e300", "weekly_hours_viewed", "is larger than any figure can be"),
])
def test_bad_global_values(warehouse_path: Path, tmp_path: Path, line: int, index: int, value: str, column: str,
                           reason: str) -> None:
    bad = broken(tmp_path, GLOBAL_SLICE, lambda lines: [set_cell(l, index, value) if n == line - 1 else l
                                                        for n, l in enumerate(lines)])
    rejected(warehouse_path, "netflix-top10", bad, path=bad, row=line, column=column, reason=reason)


def test_unknown_header(warehouse_path: Path, tmp_path: Path) -> None:
    bad = broken(tmp_path, GLOBAL_SLICE, lambda lines: [lines[0].replace("runtime", "run_time")] + lines[1:])
    rejected(warehouse_path, "netflix-top10", bad, path=bad, row=1, column="run_time",
             reason="unknown column 'run_time': no netflix-top10-global layout Netflix has published has it")


def test_unknown_country(warehouse_path: Path, tmp_path: Path) -> None:
    bad = broken(tmp_path, COUNTRIES_SLICE, lambda lines: [set_cell(l, 1, "XQ", ",") if n == 2 else l
                                                           for n, l in enumerate(lines)])
    rejected(warehouse_path, "netflix-top10", bad, path=bad, row=3, column="country_iso2",
             reason="unknown country code 'XQ'")


def test_a_bad_file_stops_the_good_ones_too(warehouse_path: Path, tmp_path: Path) -> None:
    bad = broken(tmp_path, COUNTRIES_SLICE, lambda lines: lines[:40] + [lines[40][:30]] + lines[41:])
    rejected(warehouse_path, "netflix-top10", GLOBAL_SLICE, bad, path=bad, row=41, column="season_title",
             reason="expected 8 fields, found 6")


def test_truncated_xlsx(warehouse_path: Path, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    for line in GLOBAL_SLICE.read_text().split("\n"):
        workbook.active.append(line.split("\t"))
    workbook.save(tmp_path / "whole.xlsx")
    cut = tmp_path / "all-weeks-global.xlsx"
    cut.write_bytes((tmp_path / "whole.xlsx").read_bytes()[:3000])
    rejected(warehouse_path, "netflix-top10", cut, path=cut, row=None, column=None,
             reason="not a readable .xlsx workbook")


def test_the_library_error_carries_file_row_and_column(warehouse_path: Path, tmp_path: Path) -> None:
    bad = broken(tmp_path, GLOBAL_SLICE, lambda lines: [set_cell(l, 7, "-5") if n == 100 else l
                                                        for n, l in enumerate(lines)])
    with Warehouse(warehouse_path) as warehouse, pytest.raises(InputError) as caught:
        import_top10_files(warehouse, [bad])
    assert (caught.value.path, caught.value.row, caught.value.column) == (str(bad), 101, "weekly_views")


# -- engagement reports ---------------------------------------------------------------------------

def edited_report(tmp_path: Path, sheet: str, cell: str, value: object) -> Path:
    workbook = openpyxl.load_workbook(ENGAGEMENT_2024H2)
    workbook[sheet][cell] = value
    target = tmp_path / ENGAGEMENT_2024H2.name
    workbook.save(target)
    return target


def test_bad_engagement_cell(warehouse_path: Path, tmp_path: Path) -> None:
    bad = edited_report(tmp_path, "Film", "E12", "lots")   # column E is Hours Viewed, row 12 the 6th title
    rejected(warehouse_path, "engagement", bad, path=bad, row=12, column="Hours Viewed",
             reason="sheet 'Film': Hours Viewed 'lots' is not a number")


def test_bad_engagement_runtime(warehouse_path: Path, tmp_path: Path) -> None:
    bad = edited_report(tmp_path, "TV", "F8", "7 hours")
    rejected(warehouse_path, "engagement", bad, path=bad, row=8, column="Runtime",
             reason="sheet 'TV': Runtime '7 hours' is not H:MM")


def test_engagement_header_without_hours(warehouse_path: Path, tmp_path: Path) -> None:
    bad = edited_report(tmp_path, "TV", "E6", None)
    rejected(warehouse_path, "engagement", bad, path=bad, row=6, column="Hours Viewed",
             reason="sheet 'TV': missing column 'Hours Viewed'")


def test_truncated_engagement_report(warehouse_path: Path, tmp_path: Path) -> None:
    cut = tmp_path / ENGAGEMENT_2024H2.name
    cut.write_bytes(ENGAGEMENT_2024H2.read_bytes()[:5000])
    with Warehouse(warehouse_path) as warehouse, pytest.raises(InputError, match="not a readable .xlsx workbook"):
        import_engagement_files(warehouse, [cut])
    rejected(warehouse_path, "engagement", cut, path=cut, row=None, column=None, reason="not a readable .xlsx")


def test_engagement_report_with_a_broken_deflate_stream(warehouse_path: Path, tmp_path: Path) -> None:
    """Found by test_import_fuzz: a flipped byte inside a compressed sheet fails in zlib, not zipfile."""
    damaged = bytearray(ENGAGEMENT_2024H2.read_bytes()[:7707])
    damaged[725] = 3
    (edited := tmp_path / ENGAGEMENT_2024H2.name).write_bytes(bytes(damaged))
    rejected(warehouse_path, "engagement", edited, path=edited, row=None, column=None, reason="not a readable .xlsx")


# -- personal exports -----------------------------------------------------------------------------

def test_bad_duration(warehouse_path: Path, tmp_path: Path) -> None:
    bad = broken(tmp_path, SAMAGUIAR, lambda lines: [set_cell(l, 2, "22 minutes", ",") if n == 9 else l
                                                     for n, l in enumerate(lines)])
    rejected(warehouse_path, "viewing-activity", bad, path=bad, row=10, column="Duration",
             reason="Duration '22 minutes' is not H:MM:SS")


def test_start_time_in_the_far_future(warehouse_path: Path, tmp_path: Path) -> None:  # found by test_import_fuzz
    bad = broken(tmp_path, SAMAGUIAR, lambda lines: [set_cell(l, 1, "9999-12-31T23:59:59Z", ",") if n == 49 else l
                                                     for n, l in enumerate(lines)])
    rejected(warehouse_path, "viewing-activity", bad, path=bad, row=50, column="Start Time",
             reason="Start Time '9999-12-31T23:59:59Z' is before 2000 or in the future")


def test_truncated_activity_export(warehouse_path: Path, tmp_path: Path) -> None:
    cut = tmp_path / "ViewingActivity.csv"
    data = SAMAGUIAR.read_bytes()
    cut.write_bytes(data[:len(data) - 60])
    rejected(warehouse_path, "viewing-activity", cut, path=cut, row=151, column="Bookmark",
             reason="expected 10 fields, found 7")


def test_bad_history_date_and_a_good_file_before_it(warehouse_path: Path, tmp_path: Path) -> None:
    bad = broken(tmp_path, FELIPE, lambda lines: [set_cell(l, 1, '"31/31/2021"', ",") if n == 4 else l
                                                  for n, l in enumerate(lines)], name="NetflixViewingHistory.csv")
    good = tmp_path / "ViewingActivity.csv"
    shutil.copy(SAMAGUIAR, good)
    rejected(warehouse_path, "viewing-activity", good, bad, path=bad, row=5, column="Date",
             reason="date '31/31/2021' is not a day-first date")


def test_not_a_viewing_export(warehouse_path: Path, tmp_path: Path) -> None:
    with Warehouse(warehouse_path) as warehouse, pytest.raises(InputError, match="neither a ViewingActivity.csv"):
        import_personal_files(warehouse, [GLOBAL_SLICE])
