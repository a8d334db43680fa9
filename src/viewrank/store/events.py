"""Event parts: the one module that opens raw events stored in the warehouse.

    events/day=YYYY-MM-DD/batch-NNNNNNNN.parquet

Each part holds the events one batch (an input file) stored for one day, with the columns
PART_SCHEMA names; its row groups are each sorted by (title_key, country_index, account_key),
and `sorted` in event_files says whether the whole part is (one row group, or written in
order). Ingest writes parts; the rollup, audiences, audits, corrections and the integrity
check read them only through the functions here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import StorageError
from .quoting import sql_literal
from .warehouse import EVENTS_DIR as EVENTS_DIR  # re-exported: where parts live
from .warehouse import Warehouse

PART_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("account_key", pa.int32()), ("title_key", pa.int32()),
    ("episode_key", pa.int32()), ("country_index", pa.int16()),
    ("start_time", pa.timestamp("us", tz="UTC")), ("seconds", pa.int32())])
SORT_COLUMNS = ("title_key", "country_index", "account_key")
# Row groups a rollup streams one at a time: large enough to scan fast, small enough to bound memory.
PART_ROW_GROUP_SIZE = 1_000_000
# How parts are written with DuckDB's COPY (the benchmark's synthetic parts); ingest writes the same with pyarrow.
PART_FORMAT = f"FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE {PART_ROW_GROUP_SIZE}"
# Every column but event_id is compressed. Event ids are unique and random (UUIDs as services
# send them): snappy saved 8% of a part's size for half the time of writing it and of reading
# it back. Only the columns of few values are dictionary-encoded: a day holds too many
# accounts and start times for a dictionary page, and trying one made writing a part 20% slower.
PART_COMPRESSION = {name: "none" if name == "event_id" else "snappy" for name in PART_SCHEMA.names}
DICTIONARY_COLUMNS = [name for name in PART_SCHEMA.names if name not in ("event_id", "account_key", "start_time")]


def part_relative_path(day: dt.date, batch_id: int) -> str:
    """Where a batch's part of one day lives, relative to the warehouse."""
    return f"{EVENTS_DIR}/day={day.isoformat()}/batch-{batch_id:08d}.parquet"


def part_paths(warehouse: Warehouse, day: Any = None) -> list[str]:
    """Absolute paths of the registered event parts, of one day or all."""
    return warehouse.event_part_paths(day)


def day_parts(warehouse: Warehouse, days: list[dt.date]) -> dict[dt.date, list[tuple[str, bool]]]:
    """Each day's parts as (absolute path, whether the whole part is sorted)."""
    found: dict[dt.date, list[tuple[str, bool]]] = {day: [] for day in days}
    for day, path, is_sorted in warehouse.execute(
            "SELECT day, path, sorted FROM event_files WHERE list_contains(?, day) ORDER BY day, path", [days]).fetchall():
        found[day].append((str(warehouse.path / path), bool(is_sorted)))
    return found


def relation(paths: list[str], columns: list[str] | None = None, *, with_day: bool = False) -> str:
    """A FROM-clause relation over event parts for DuckDB SQL (with `day` from the folder name when asked)."""
    listed = ", ".join(sql_literal(path) for path in paths)
    select = ", ".join(columns) if columns else "*"
    if with_day and columns:
        select += ", day"
    hive = ", hive_partitioning = true" if with_day else ", hive_partitioning = false"
    return f"(SELECT {select} FROM read_parquet([{listed}]{hive}))"


@contextlib.contextmanager
def _damage_named(path: str) -> Iterator[None]:
    """A part that cannot be read (cut short, overwritten) is one StorageError naming it."""
    try:
        yield
    except (pa.ArrowException, OSError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise StorageError(f"{path}: a damaged event part ({first}); run 'viewrank check' to list every damaged "
                           "part, and restore them from a backup") from None


def open_part(path: str) -> pq.ParquetFile:
    """An event part for streaming its row groups (mapped: the page cache's copy is used in place)."""
    with _damage_named(path):
        return pq.ParquetFile(path, memory_map=True, pre_buffer=False)


def read_row_group(path: str, metadata: pq.FileMetaData, index: int, columns: list[str]) -> pa.Table:
    """One row group of an event part."""
    with _damage_named(path):
        part = pq.ParquetFile(path, metadata=metadata, memory_map=True, pre_buffer=False)
        return part.read_row_group(index, columns=columns, use_threads=False)


def read_columns(paths: list[str], columns: list[str]) -> pa.Table:
    """Some columns of several parts, concatenated (for a day small enough to hold)."""
    tables = []
    for path in paths:
        with _damage_named(path):
            tables.append(pq.read_table(path, columns=columns, memory_map=True))
    return pa.concat_tables(tables) if tables else PART_SCHEMA.empty_table().select(columns)


def iter_part_batches(path: str, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """A part's rows a row group at a time."""
    with _damage_named(path):
        yield from pq.ParquetFile(path).iter_batches(columns=columns)


class PartWriter:
    """Writes one batch's parts into a staging folder, a day per file, a sorted slice per
    row group; `sorted` is true while a part has received a single slice, or always when the
    caller promises `ordered` slices (one sorted stream, day by day)."""

    def __init__(self, staging: Path, batch_id: int, *, ordered: bool = False):
        self.staging, self.batch_id, self.ordered = staging, batch_id, ordered
        self.writers: dict[dt.date, pq.ParquetWriter] = {}
        self.rows: dict[dt.date, int] = {}
        self.slices: dict[dt.date, int] = {}

    def write(self, day: dt.date, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if day not in self.writers:
            target = self.staging / part_relative_path(day, self.batch_id)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.writers[day] = pq.ParquetWriter(target, PART_SCHEMA, compression=PART_COMPRESSION,
                                                 use_dictionary=DICTIONARY_COLUMNS,
                                                 write_page_checksum=True)  # check --deep verifies them
            self.rows[day] = self.slices[day] = 0
        self.writers[day].write_table(table.cast(PART_SCHEMA), row_group_size=PART_ROW_GROUP_SIZE)
        self.rows[day] += table.num_rows
        self.slices[day] += 1

    def close(self) -> list[tuple[dt.date, str, int, bool]]:
        """Finish every part: (day, path relative to the warehouse, rows, sorted)."""
        for writer in self.writers.values():
            writer.close()
        return [(day, part_relative_path(day, self.batch_id), self.rows[day], self.ordered or self.slices[day] == 1)
                for day in sorted(self.writers)]

    def abort(self) -> None:
        for writer in self.writers.values():
            try:
                writer.close()
            except (OSError, pa.ArrowException):
                pass


def parameter_relation(name: str) -> str:
    """A FROM-clause relation over the event parts listed in the SQL parameter `$name`, with `day`."""
    return f"read_parquet(${name}, hive_partitioning = true)"


def relative_part_paths(warehouse: Warehouse, days: list[dt.date]) -> list[str]:
    """The days' parts relative to the events folder (day=.../batch-....parquet), for engines
    that read a copy of that folder elsewhere (Spark)."""
    return [path.removeprefix(EVENTS_DIR + "/") for (path,) in warehouse.execute(
        "SELECT path FROM event_files WHERE list_contains(?, day) ORDER BY path", [days]).fetchall()]
