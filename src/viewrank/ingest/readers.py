"""Readers that stream an input file as Arrow record batches plus the rows they could not parse.

Every batch carries `_row`: the line number in a text file (the header is line 1) or the
1-based row position in a Parquet file, so any later error can name the row. Memory is
bounded by one batch whatever the size of the file (or what its metadata claims): Parquet
is read a bounded batch at a time, text a block of lines at a time. Text formats are read
line by line because a broken quote must cost one row, not swallow the rest of the file;
playback logs never need newlines inside a value.
"""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError

ROW = "_row"
# Rows per batch: large enough for vectorised validation, small enough that a batch of the
# widest plausible rows stays far under a gigabyte.
BATCH_ROWS = 262_144


@dataclass
class RawBatch:
    """Some rows of a file as an Arrow table (`_row` added) and the rows rejected while parsing them."""

    table: pa.Table
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw text)


@dataclass
class RawInput:
    """An open input file: its format, its column names and a stream of batches."""

    path: Path
    format: str
    columns: list[str]
    batches: Iterator[RawBatch]


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


def open_input(path: Path, *, format: str | None = None, batch_rows: int = BATCH_ROWS) -> RawInput:
    """Open any supported file; text formats give string columns, Parquet keeps its types."""
    format = format or detect_format(path)
    if not path.is_file():
        raise InputError(str(path), "no such file")
    if format in ("csv", "tsv"):
        return _open_delimited(path, "," if format == "csv" else "\t", format, batch_rows)
    if format == "jsonl":
        return _open_jsonl(path, batch_rows)
    if format == "parquet":
        return _open_parquet(path, batch_rows)
    raise InputError(str(path), f"unknown format {format!r}")


def normalise_name(name: str) -> str:
    """A column name as ingest matches it: trimmed, without a byte-order mark, in lower case."""
    return name.strip().lstrip("\ufeff").strip().lower()


def _decode(number: int, line: bytes, rejected: list[tuple[int, str, str]]) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        rejected.append((number, f"not valid UTF-8 ({error.reason} at byte {error.start})", line.decode("utf-8", "replace")))
        return None


def _numbered_lines(handle: BinaryIO, first: int) -> Iterator[tuple[int, bytes]]:
    """Each line of the rest of the file without its line ending, numbered from `first`."""
    for number, line in enumerate(handle, start=first):
        yield number, line.rstrip(b"\r\n")


def _blocks(lines: Iterator[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    while block := list(itertools.islice(lines, size)):
        yield block


def _open_delimited(path: Path, delimiter: str, format: str, batch_rows: int) -> RawInput:
    with open(path, "rb") as handle:
        first = handle.readline().rstrip(b"\r\n")
    if not first:
        raise InputError(str(path), "the file is empty (expected a header row)")
    try:
        header = [normalise_name(name) for name in next(csv.reader([first.decode("utf-8-sig")], delimiter=delimiter))]
    except (UnicodeDecodeError, csv.Error) as error:
        raise InputError(str(path), f"cannot read the header ({error})", row=1) from None
    if len(set(header)) != len(header):
        raise InputError(str(path), f"duplicate column names in the header: {header}", row=1)

    def batches() -> Iterator[RawBatch]:
        with open(path, "rb") as handle:
            handle.readline()
            for block in _blocks(_numbered_lines(handle, 2), batch_rows):
                yield _delimited_batch(block, header, delimiter)

    return RawInput(path, format, header, batches())


def _delimited_batch(block: list[tuple[int, bytes]], header: list[str], delimiter: str) -> RawBatch:
    columns: list[list[str | None]] = [[] for _ in header]
    numbers: list[int] = []
    rejected: list[tuple[int, str, str]] = []
    for number, raw in block:
        text = _decode(number, raw, rejected)
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
    return RawBatch(pa.table(arrays), rejected)


def _open_jsonl(path: Path, batch_rows: int) -> RawInput:
    """JSON Lines: the columns are every key seen in the file, so the file is read twice
    (once for the names, once for the rows), a block at a time both times."""
    names: dict[str, None] = {}
    with open(path, "rb") as handle:
        for block in _blocks(_numbered_lines(handle, 1), batch_rows):
            for record in _json_records(block, []):
                names.update(dict.fromkeys(record[1]))

    def batches() -> Iterator[RawBatch]:
        with open(path, "rb") as handle:
            for block in _blocks(_numbered_lines(handle, 1), batch_rows):
                rejected: list[tuple[int, str, str]] = []
                records = list(_json_records(block, rejected))
                arrays = {name: pa.array([record.get(name) for _, record in records], pa.string()) for name in names}
                arrays[ROW] = pa.array([number for number, _ in records], pa.int64())
                yield RawBatch(pa.table(arrays), rejected)

    return RawInput(path, "jsonl", list(names), batches())


def _json_records(block: list[tuple[int, bytes]],
                  rejected: list[tuple[int, str, str]]) -> Iterator[tuple[int, dict[str, str | None]]]:
    for number, raw in block:
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a byte-order mark starts the file, not the first record
        text = _decode(number, raw, rejected)
        if text is None or not text.strip():
            continue
        try:
            record = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:
            detail = f"{error.msg} at column {error.colno}" if isinstance(error, json.JSONDecodeError) else "nested too deeply"
            rejected.append((number, f"not valid JSON ({detail})", text))
            continue
        if not isinstance(record, dict):
            rejected.append((number, "expected a JSON object", text))
            continue
        yield number, {normalise_name(key): (None if value is None else value if isinstance(value, str) else json.dumps(value))
                       for key, value in record.items()}


def _open_parquet(path: Path, batch_rows: int) -> RawInput:
    """Parquet, a bounded batch at a time: the row counts its metadata claims are never
    used to size anything, so a file that lies about them fails on reading, not on memory."""
    try:
        parquet = pq.ParquetFile(path)
        names = [normalise_name(name) for name in parquet.schema_arrow.names]
    except (pa.ArrowException, OSError) as error:
        raise InputError(str(path), f"not a readable Parquet file ({error})") from None

    def batches() -> Iterator[RawBatch]:
        row = 1
        try:
            for group in range(parquet.metadata.num_row_groups):
                # A reader per row group: one over the whole file keeps growing buffers (about 10 bytes a row).
                for batch in parquet.iter_batches(batch_size=batch_rows, row_groups=[group], use_threads=False):
                    table = pa.Table.from_batches([batch]).rename_columns(names)
                    numbers = pa.array(np.arange(row, row + table.num_rows, dtype=np.int64))
                    row += table.num_rows
                    yield RawBatch(table.append_column(ROW, numbers))
        except (pa.ArrowException, OSError) as error:
            raise InputError(str(path), f"not a readable Parquet file ({error})", row=row) from None
        finally:
            parquet.close()
        if row - 1 != parquet.metadata.num_rows:
            raise InputError(str(path), f"a damaged Parquet file: its metadata claims {parquet.metadata.num_rows:,} rows "
                             f"but it holds {row - 1:,}")

    return RawInput(path, "parquet", names, batches())


def read_input(path: Path, *, format: str | None = None) -> RawBatch:
    """A small file (a catalog) read whole: every batch in one table."""
    raw = open_input(path, format=format)
    tables, rejected = [], []
    for batch in raw.batches:
        tables.append(batch.table)
        rejected += batch.rejected
    if not tables:
        arrays = {name: pa.array([], pa.string()) for name in raw.columns}
        tables.append(pa.table({**arrays, ROW: pa.array([], pa.int64())}))
    return RawBatch(pa.concat_tables(tables, promote_options="default"), rejected)
