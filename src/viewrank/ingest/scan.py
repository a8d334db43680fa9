"""Parquet input validated and staged by DuckDB straight from the files: no row passes through
Python, and a run of files costs one statement (two when it has bad rows, whose text the
quarantine keeps), however many files it holds.

A run holds files of one layout (the same columns and types). Its rows are numbered
(file << FILE_SHIFT) + row (staging.py), so the staged rows of all its files sit in one file
and each still names its file and row.

DuckDB trusts the row counts in a Parquet footer (a 2 KB file claiming 10^10 rows yields
10^10 rows), so only a file whose footer claims at most one row per byte of the file is read
this way; any other goes through the streaming reader (readers.py), which finds the lie.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..store.damage import is_disk_full
from ..store.quoting import quote_identifier, sql_literal
from ..store.warehouse import Warehouse
from .readers import ROW
from .staging import FILE_SHIFT, STAGED_FORMAT

ROW_MASK = (1 << FILE_SHIFT) - 1
# The files of a run (one layout), under their normalised names, with each row's number in the run.
SOURCE_SQL = """
SELECT {columns},
       (CAST(file_index AS BIGINT) << {shift}) + file_row_number + 1 AS {row}
FROM read_parquet({paths}, file_row_number = true, hive_partitioning = false)
"""
# Every row of the run, validated and keyed as it is staged (its reason NULL when it is good).
STAGE_SQL = "COPY (WITH raw AS ({source}) SELECT * FROM ({batch})) TO {staged} (" + STAGED_FORMAT + ")"
COUNTS_SQL = "SELECT {row} >> {shift}, count(*), count(reason) FROM read_parquet({staged}) GROUP BY ALL"
FIRST_BAD_SQL = """
SELECT {row} >> {shift}, {row} & {mask}, reason FROM read_parquet({staged}) WHERE reason IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY {row} >> {shift} ORDER BY {row}) <= $limit ORDER BY {row}
"""
# The bad rows' reasons and text for the quarantine, cut as the streaming path cuts them; the
# text is the row as the file has it, with its row number in the file.
BAD_ROWS_SQL = """
INSERT INTO quarantine
WITH raw AS ({source}),
bad AS (SELECT {row}, reason FROM read_parquet({staged}) WHERE reason IS NOT NULL),
text AS (SELECT raw.{row}, to_json(struct_pack({fields})) AS text FROM raw SEMI JOIN bad ON bad.{row} = raw.{row})
SELECT f.batch_id, f.path, bad.{row} & {mask}, {reason}, {text}
FROM bad JOIN text ON text.{row} = bad.{row} JOIN run_files f ON f.file = bad.{row} >> {shift}
"""


@dataclass
class ScanFile:
    """A Parquet file DuckDB reads directly: its columns as stored, their normalised names,
    the optional id columns it lacks, and its layout (its Arrow schema: a run holds one layout)."""

    path: Path
    stored: list[str]
    names: list[str]
    missing: list[str]
    layout: str


def readable_directly(path: Path) -> tuple[list[str], str] | None:
    """The file's column names as stored and its schema's text, when DuckDB may read it directly; else None."""
    try:
        parquet = pq.ParquetFile(path)
        try:
            if parquet.metadata.num_rows > path.stat().st_size:
                return None
            schema = parquet.schema_arrow
            return list(schema.names), schema.to_string(show_field_metadata=False, show_schema_metadata=False)
        finally:
            parquet.close()
    except (pa.ArrowException, OSError):
        return None


def source_sql(files: list[ScanFile]) -> str:
    """The run's files (all of one layout) as the relation `raw` of validate.sql: normalised
    names, the missing id columns as NULL, and `_row`, each row's number in the run."""
    first = files[0]
    columns = [f"{quote_identifier(old)} AS {quote_identifier(new)}" for old, new in zip(first.stored, first.names)]
    columns += [f"CAST(NULL AS VARCHAR) AS {quote_identifier(name)}" for name in first.missing]
    paths = "[" + ", ".join(sql_literal(str(file.path)) for file in files) + "]"
    return SOURCE_SQL.format(columns=", ".join(columns), paths=paths, shift=FILE_SHIFT, row=ROW)


def stage(warehouse: Warehouse, files: list[ScanFile], source: str, batch_sql: str, staged: Path) -> dict[int, tuple[int, int]]:
    """Validate and stage every row of the run; (rows read, bad rows) by the file's place in the run."""
    target = sql_literal(str(staged))
    staged.parent.mkdir(parents=True, exist_ok=True)
    try:
        warehouse.execute(STAGE_SQL.format(source=source, batch=batch_sql, staged=target))
    except duckdb.Error as error:
        # A full disk or memory is the store's trouble, not the input's; anything else that fails
        # while reading is taken as a damaged input file (a run's caller retries its files one by one).
        if is_disk_full(error) or isinstance(error, duckdb.OutOfMemoryException):
            raise
        named = next((file.path for file in files if str(file.path) in str(error)), files[0].path)
        raise InputError(str(named), f"not a readable Parquet file ({str(error).splitlines()[0]})") from None
    counts = warehouse.execute(COUNTS_SQL.format(row=ROW, shift=FILE_SHIFT, staged=target)).fetchall()
    return {int(file): (int(rows), int(bad)) for file, rows, bad in counts}


def first_bad_rows(warehouse: Warehouse, staged: Path, limit: int) -> dict[int, list[tuple[int, str]]]:
    """Each file's first bad rows' numbers and reasons, by the file's place in the run."""
    found: dict[int, list[tuple[int, str]]] = {}
    for file, row, reason in warehouse.execute(
            FIRST_BAD_SQL.format(row=ROW, shift=FILE_SHIFT, mask=ROW_MASK, staged=sql_literal(str(staged))),
            {"limit": limit}).fetchall():
        found.setdefault(int(file), []).append((int(row), str(reason)))
    return found


def quarantine(warehouse: Warehouse, files: list[ScanFile], source: str, staged: Path, run_files: pa.Table,
               cut: str, parameters: dict[str, object]) -> None:
    """Store the bad rows with their file, reasons and text (`run_files`: file, batch_id, path;
    `cut`: how a value is cut to size, over {column})."""
    names = [*files[0].names, *files[0].missing]
    fields = ", ".join([*(f"{quote_identifier(name)} := raw.{quote_identifier(name)}" for name in names),
                        f"{ROW} := raw.{ROW} & {ROW_MASK}"])
    with warehouse.registered("run_files", run_files):
        warehouse.execute(BAD_ROWS_SQL.format(
            source=source, row=ROW, shift=FILE_SHIFT, mask=ROW_MASK, staged=sql_literal(str(staged)), fields=fields,
            reason=cut.format(column="bad.reason"), text=cut.format(column="text.text")), parameters)
