"""Reading a published table (TSV, CSV, or the first sheet of an .xlsx twin) as text cells
with row numbers, and recording its byte-level layout so it can be written back unchanged.

Row numbers are what a spreadsheet shows: the header is row 1. Cells are the text the file
holds; an .xlsx cell is turned into the text its TSV twin would hold (16600000, 1.9667).
"""

from __future__ import annotations

import csv
import datetime as dt
import warnings
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError


@dataclass
class Layout:
    """How a file was written: enough to write its rows back byte for byte."""

    format: str                      # tsv, csv or xlsx
    columns: list[str]
    delimiter: str = "\t"
    newline: str = "\n"
    final_newline: bool = True
    bom: bool = False
    quoted: bool = False             # a TSV whose cells holding '"' are quoted CSV-style
    sheet: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Table:
    path: Path
    layout: Layout
    rows: list[tuple[int, list[str]]]   # (row number, one text cell per column)

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        for number, cells in self.rows:
            yield number, dict(zip(self.layout.columns, cells))


def read_table(path: Path) -> Table:
    """Read a delimited text file or an .xlsx workbook's first sheet, validating its shape."""
    if not path.is_file():
        raise InputError(str(path), "no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    return _read_delimited(path)


def _read_delimited(path: Path) -> Table:
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[:error.start].count(b"\n") + 1
        raise InputError(str(path), f"not valid UTF-8 ({error.reason} at byte {error.start})", row=row) from None
    if not text.strip():
        raise InputError(str(path), "the file is empty (expected a header row)")
    newline = "\r\n" if text.split("\n", 1)[0].endswith("\r") else "\n"
    lines = text.split(newline)
    final_newline = lines[-1] == ""
    if final_newline:
        lines.pop()
    delimiter = "\t" if "\t" in lines[0] else ","
    columns = [name.strip() for name in _split(path, lines[0], delimiter, 1)]
    rows = []
    quoted = False
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = limited(str(path), number, _split(path, line, delimiter, number), columns)
        if delimiter == "\t" and '"' in line:
            cells = [_unquote(cell) for cell in cells]
            quoted = quoted or cells != line.split("\t")
        if len(cells) != len(columns):
            missing = columns[len(cells)] if len(cells) < len(columns) else None
            raise InputError(str(path), f"expected {len(columns)} fields, found {len(cells)} (truncated or broken row?)",
                             row=number, column=missing)
        rows.append((number, cells))
    layout = Layout("tsv" if delimiter == "\t" else "csv", columns, delimiter, newline, final_newline, bom, quoted)
    return Table(path, layout, rows)


def _unquote(cell: str) -> str:
    """A TSV cell quoted CSV-style (`"[{""a"":1}]"`, as Netflix writes cells holding quotes)
    as its text; a cell that is not wholly quoted that way is text as it stands."""
    inner = cell[1:-1]
    if len(cell) < 2 or cell[0] != '"' or cell[-1] != '"' or '"' in inner.replace('""', ""):
        return cell
    return inner.replace('""', '"')


def _split(path: Path, line: str, delimiter: str, number: int) -> list[str]:
    if delimiter == "\t":
        return line.split("\t")
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise InputError(str(path), f"broken quoting ({error})", row=number) from None


# What a damaged workbook raises while it is opened or its sheets are read lazily: a bad zip
# directory or a broken deflate stream, a missing member, or XML that does not parse (SyntaxError).
# The longest cell an imported file may hold: published titles run to about 200 characters
# and episode launch details to about 1,000.
MAX_CELL_CHARS = 10_000
DAMAGED_WORKBOOK = (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, SyntaxError)


def open_workbook(path: Path) -> Any:
    """An openpyxl workbook opened read-only; a damaged or truncated file is an InputError."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # openpyxl warns about styles it does not need
            return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, *DAMAGED_WORKBOOK) as error:
        raise InputError(str(path), f"not a readable .xlsx workbook ({error})") from None


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text its TSV twin would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def limited(where: str, number: int, cells: list[str], columns: list[str] | None = None) -> list[str]:
    """The cells of a row, refused whole when one is longer than any published cell could be
    (a 297 KB workbook once held a 300 MB title)."""
    for index, cell in enumerate(cells):
        if len(cell) > MAX_CELL_CHARS:
            column = columns[index] if columns and index < len(columns) else None
            raise InputError(where, f"a cell of {len(cell):,} characters; the limit is {MAX_CELL_CHARS:,} "
                                    "(is this the right file?)", row=number, column=column)
    return cells


def sheet_rows(sheet: Any, where: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """The non-empty rows of a sheet as (row number, text cells); `where` names it in errors."""
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = limited(where or f"sheet {sheet.title!r}", number, [cell_text(value) for value in values])
        if any(cell.strip() for cell in cells):
            yield number, cells


def _read_xlsx(path: Path) -> Table:
    workbook = open_workbook(path)
    try:
        sheet = workbook.worksheets[0]
        rows = iter(sheet_rows(sheet, str(path)))
        header = next(rows, None)
        if header is None:
            raise InputError(str(path), f"sheet {sheet.title!r} is empty (expected a header row)")
        columns = [name.strip() for name in header[1]]
        while columns and not columns[-1]:
            columns.pop()
        table = []
        for number, cells in rows:
            if any(cell.strip() for cell in cells[len(columns):]):
                raise InputError(str(path), f"more cells than the {len(columns)} header columns", row=number)
            table.append((number, (cells + [""] * len(columns))[:len(columns)]))
    except DAMAGED_WORKBOOK as error:   # read-only sheets are read lazily: damage shows up here
        raise InputError(str(path), f"not a readable .xlsx workbook ({error})") from None
    finally:
        workbook.close()
    return Table(path, Layout("xlsx", columns, sheet=sheet.title), table)


def write_table(path: Path, layout: Layout, rows: list[list[str]]) -> int:
    """Write rows (text cells in layout.columns order) in a recorded delimited layout."""
    delimiter = layout.delimiter if layout.format != "xlsx" else "\t"
    quote = layout.quoted and delimiter == "\t"
    lines = [_join(layout.columns, delimiter, quote)] + [_join(row, delimiter, quote) for row in rows]
    text = layout.newline.join(lines) + (layout.newline if layout.final_newline else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes((b"\xef\xbb\xbf" if layout.bom else b"") + text.encode("utf-8"))
    temporary.replace(path)
    return len(rows)


def _join(cells: list[str], delimiter: str, quote: bool = False) -> str:
    if delimiter == "\t":
        return "\t".join('"' + cell.replace('"', '""') + '"' if quote and '"' in cell else cell for cell in cells)
    return ",".join('"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell
                    for cell in cells)
