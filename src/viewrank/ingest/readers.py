"""Readers that turn an input file into an Arrow table plus the rows they could not parse.

Every table carries `_row`: the line number in a text file (the header is line 1) or the
1-based row position in a Parquet file, so any later error can name the row. Text formats
are read line by line because a broken quote must cost one row, not swallow the rest of
the file; playback logs never need newlines inside a value.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError

ROW = "_row"


@dataclass
class RawInput:
    """A file's rows as an Arrow table (`_row` added) and the rows rejected while parsing."""

    path: Path
    format: str
    table: pa.Table
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw text)

    @property
    def rows_read(self) -> int:
        return int(self.table.num_rows) + len(self.rejected)


def detect_format(path: Path) -> str:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    for suffix in reversed(suffixes):
        if suffix in (".csv", ".tsv"):
            return suffix[1:]
        if suffix in (".jsonl", ".ndjson", ".json"):
            return "jsonl"
        if suffix in (".parquet", ".pq"):
            return "parquet"
    raise InputError(str(path), "unknown file type (expected .csv, .tsv, .jsonl, .json or .parquet)")


def read_input(path: Path, *, format: str | None = None) -> RawInput:
    """Read any supported file; text formats give string columns, Parquet keeps its types."""
    format = format or detect_format(path)
    if not path.is_file():
        raise InputError(str(path), "no such file")
    if format in ("csv", "tsv"):
        return _read_delimited(path, "," if format == "csv" else "\t", format)
    if format == "jsonl":
        return _read_jsonl(path)
    if format == "parquet":
        return _read_parquet(path)
    raise InputError(str(path), f"unknown format {format!r}")


def _normalise(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower()


def _decode(path: Path, number: int, line: bytes, rejected: list[tuple[int, str, str]]) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        rejected.append((number, f"not valid UTF-8 ({error.reason} at byte {error.start})", line.decode("utf-8", "replace")))
        return None


def _read_delimited(path: Path, delimiter: str, format: str) -> RawInput:
    lines = path.read_bytes().splitlines()
    if not lines:
        raise InputError(str(path), "the file is empty (expected a header row)")
    try:
        header = [_normalise(name) for name in next(csv.reader([lines[0].decode("utf-8-sig")], delimiter=delimiter))]
    except (UnicodeDecodeError, csv.Error) as error:
        raise InputError(str(path), f"cannot read the header ({error})", row=1) from None
    if len(set(header)) != len(header):
        raise InputError(str(path), f"duplicate column names in the header: {header}", row=1)
    columns: list[list[str | None]] = [[] for _ in header]
    numbers: list[int] = []
    rejected: list[tuple[int, str, str]] = []
    for number, raw in enumerate(lines[1:], start=2):
        text = _decode(path, number, raw, rejected)
        if text is None or not text.strip():
            continue
        try:
            fields = next(csv.reader([text], delimiter=delimiter, strict=True))
        except csv.Error as error:
            rejected.append((number, f"broken quoting ({error})", text))
            continue
        if len(fields) != len(header):
            rejected.append((number, f"expected {len(header)} fields, found {len(fields)}", text))
            continue
        numbers.append(number)
        for column, value in zip(columns, fields):
            column.append(value if value != "" else None)
    arrays = {name: pa.array(values, pa.string()) for name, values in zip(header, columns)}
    arrays[ROW] = pa.array(numbers, pa.int64())
    return RawInput(path, format, pa.table(arrays), rejected)


def _read_jsonl(path: Path) -> RawInput:
    records: list[dict[str, str | None]] = []
    numbers: list[int] = []
    rejected: list[tuple[int, str, str]] = []
    names: dict[str, None] = {}
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        text = _decode(path, number, raw, rejected)
        if text is None or not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            rejected.append((number, f"not valid JSON ({error.msg} at column {error.colno})", text))
            continue
        if not isinstance(record, dict):
            rejected.append((number, "expected a JSON object", text))
            continue
        row = {_normalise(key): (None if value is None else value if isinstance(value, str) else json.dumps(value))
               for key, value in record.items()}
        names.update(dict.fromkeys(row))
        records.append(row)
        numbers.append(number)
    arrays = {name: pa.array([record.get(name) for record in records], pa.string()) for name in names}
    arrays[ROW] = pa.array(numbers, pa.int64())
    return RawInput(path, "jsonl", pa.table(arrays), rejected)


def _read_parquet(path: Path) -> RawInput:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise InputError(str(path), f"not a readable Parquet file ({error})") from None
    table = table.rename_columns([_normalise(name) for name in table.column_names])
    return RawInput(path, "parquet", table.append_column(ROW, pa.array(range(1, table.num_rows + 1), pa.int64())))
