"""Property-based fuzzing of the importers: a hostile value in any cell of any published file
Netflix or a member exports (TSV, CSV, XLSX), or a truncated or corrupted file, ends in a
successful import or one InputError naming the file; never another exception, and a refused
file leaves the warehouse exactly as it was."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_support import (
    COUNTRIES_SLICE,
    ENGAGEMENT_2024H2,
    GLOBAL_SLICE,
    MOST_POPULAR,
    VIEWING,
    fingerprint,
    new_warehouse,
)
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from test_hostile_input import HOSTILE_VALUES

from viewrank import InputError, Warehouse
from viewrank.imports.engagement import import_engagement_files
from viewrank.imports.netflix_top10 import import_top10_files
from viewrank.imports.personal import import_personal_files

Importer = Callable[[Warehouse, list[Path]], Any]
TEXT_FILES: list[tuple[Path, str, Importer]] = [
    (GLOBAL_SLICE, "\t", import_top10_files),
    (COUNTRIES_SLICE, ",", import_top10_files),
    (MOST_POPULAR, "\t", import_top10_files),
    (VIEWING / "ViewingActivity_samaguiar_slice.csv", ",", import_personal_files),
    (VIEWING / "NetflixViewingHistory_felipebacelo_slice.csv", ",", import_personal_files),
]
# Text a spreadsheet cell or a text field can hold, hostile or merely odd.
CELL_TEXT = st.sampled_from(HOSTILE_VALUES) | st.text(max_size=30)
# VIEWRANK_FUZZ_EXAMPLES=300 for a longer run than CI's.
fuzz = settings(max_examples=int(os.environ.get("VIEWRANK_FUZZ_EXAMPLES", 30)), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse that already holds imported charts, so 'unchanged' means something."""
    root = new_warehouse(tmp_path_factory.mktemp("fuzz"))
    with Warehouse(root) as warehouse:
        import_top10_files(warehouse, [MOST_POPULAR])
    return root


@pytest.fixture
def warehouse_path(base: Path, tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "warehouse"
    shutil.copytree(base, copy)
    yield copy


def fresh(tmp_path: Path, name: str) -> Path:
    """A path named like the published file (importers recognise some by name), new for each example."""
    return Path(tempfile.mkdtemp(dir=tmp_path)) / name


def import_and_check(warehouse_path: Path, importer: Importer, path: Path) -> None:
    """The contract: the import succeeds, or raises InputError naming the file and changes nothing."""
    before = fingerprint(warehouse_path)
    try:
        with Warehouse(warehouse_path) as warehouse:
            importer(warehouse, [path])
    except InputError as error:
        assert str(path) in str(error), error
        assert fingerprint(warehouse_path) == before


@fuzz
@given(data=st.data(), source=st.sampled_from(TEXT_FILES), value=CELL_TEXT)
def test_a_hostile_value_in_any_cell_of_a_text_file(warehouse_path: Path, tmp_path: Path, data: st.DataObject,
                                                    source: tuple[Path, str, Importer], value: str) -> None:
    path, delimiter, importer = source
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=delimiter))
    row = data.draw(st.integers(0, len(rows) - 1), label="row (0 is the header)")
    column = data.draw(st.integers(0, len(rows[row]) - 1), label="column")
    rows[row][column] = value
    edited = fresh(tmp_path, path.name)
    with edited.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\n").writerows(rows)
    import_and_check(warehouse_path, importer, edited)


@fuzz
@given(data=st.data(), source=st.sampled_from([*TEXT_FILES, (ENGAGEMENT_2024H2, "", import_engagement_files)]))
def test_a_truncated_or_corrupted_file(warehouse_path: Path, tmp_path: Path, data: st.DataObject,
                                       source: tuple[Path, str, Importer]) -> None:
    path, _, importer = source
    content = path.read_bytes()
    cut = data.draw(st.integers(0, len(content)), label="length kept")
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(content) - 1), st.integers(0, 255)), max_size=3))
    damaged = bytearray(content[:cut])
    for position, byte in flips:
        if position < len(damaged):
            damaged[position] = byte
    edited = fresh(tmp_path, path.name)
    edited.write_bytes(bytes(damaged))
    import_and_check(warehouse_path, import_engagement_files if path.suffix == ".xlsx" else importer, edited)


# What a cell can hold: text without the control characters xlsx forbids, numbers, dates, booleans, nothing.
SPREADSHEET_VALUES = (CELL_TEXT.filter(lambda text: not ILLEGAL_CHARACTERS_RE.search(text)) | st.sampled_from([float("nan"), float("inf"), -1, 0, 1e308, -1e308, 2**63,
                                                   dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31), True, None])
                      | st.floats(allow_nan=False, allow_infinity=False) | st.integers(-10**12, 10**12))


@fuzz
@given(data=st.data(), value=SPREADSHEET_VALUES)
def test_a_hostile_value_in_any_cell_of_an_engagement_report(warehouse_path: Path, tmp_path: Path,
                                                             data: st.DataObject, value: Any) -> None:
    workbook = openpyxl.load_workbook(ENGAGEMENT_2024H2)
    sheet = workbook[data.draw(st.sampled_from(workbook.sheetnames), label="sheet")]
    row = data.draw(st.integers(1, max(sheet.max_row, 1)), label="row")
    column = data.draw(st.integers(1, max(sheet.max_column, 1)), label="column")
    sheet.cell(row=row, column=column).value = value
    edited = fresh(tmp_path, ENGAGEMENT_2024H2.name)
    workbook.save(edited)
    import_and_check(warehouse_path, import_engagement_files, edited)
