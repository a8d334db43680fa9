"""Parquet input validated and staged by DuckDB straight from the file: no row passes through
Python, and a file costs one statement (two when it has bad rows, whose text the quarantine
keeps) rather than several per record batch.

DuckDB trusts the row counts in a Parquet footer (a 2 KB file claiming 10^10 rows yields
10^10 rows), so only a file whose footer claims at most one row per byte of the file is read
this way; any other goes through the streaming reader (readers.py), which finds the lie.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..store.quoting import quote_identifier, sql_literal
from ..store.warehouse import Warehouse
from .readers import ROW
from .staging import STAGED_FORMAT

# The input's columns under their normalised names, with each row's 1-based position.
SOURCE_SQL = "SELECT {columns}, file_row_number + 1 AS {row} FROM read_parquet({path}, file_row_number = true)"
# Every row of the file, validated and keyed as it is staged (its reason NULL when it is good).
STAGE_SQL = "COPY (WITH raw AS ({source}) SELECT * FROM ({batch})) TO {staged} (" + STAGED_FORMAT + ")"
COUNT_SQL = "SELECT count(*), count(reason) FROM read_parquet({staged})"
FIRST_BAD_SQL = "SELECT {row}, reason FROM read_parquet({staged}) WHERE reason IS NOT NULL ORDER BY {row} LIMIT $limit"
# The bad rows' reasons and text for the quarantine, cut as the streaming path cuts them.
BAD_ROWS_SQL = """
INSERT INTO quarantine
WITH raw AS ({source}),
bad AS (SELECT {row}, reason FROM read_parquet({staged}) WHERE reason IS NOT NULL)
SELECT $batch_id, $path, bad.{row}, {reason}, {text} FROM bad JOIN raw ON raw.{row} = bad.{row}
"""


def readable_directly(path: Path) -> list[str] | None:
    """The file's column names as stored, when DuckDB may read it directly; else None."""
    try:
        parquet = pq.ParquetFile(path)
        try:
            if parquet.metadata.num_rows > path.stat().st_size:
                return None
            return list(parquet.schema_arrow.names)
        finally:
            parquet.close()
    except (pa.ArrowException, OSError):
        return None


def source_sql(path: Path, stored: list[str], names: list[str], missing: list[str]) -> str:
    """The file as the relation `raw` of validate.sql: normalised names, `_row`, the missing id columns as NULL."""
    columns = [f"{quote_identifier(old)} AS {quote_identifier(new)}" for old, new in zip(stored, names)]
    columns += [f"CAST(NULL AS VARCHAR) AS {quote_identifier(name)}" for name in missing]
    return SOURCE_SQL.format(columns=", ".join(columns), row=ROW, path=sql_literal(str(path)))


def stage(warehouse: Warehouse, path: Path, source: str, batch_sql: str, staged: Path) -> tuple[int, int]:
    """Validate and stage every row of the file; (rows read, bad rows)."""
    target = sql_literal(str(staged))
    staged.parent.mkdir(parents=True, exist_ok=True)
    try:
        warehouse.execute(STAGE_SQL.format(source=source, batch=batch_sql, staged=target))
    except (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.SerializationException) as error:
        raise InputError(str(path), f"not a readable Parquet file ({str(error).splitlines()[0]})") from None
    rows, bad = warehouse.execute(COUNT_SQL.format(staged=target)).fetchall()[0]
    return int(rows), int(bad)


def first_bad_rows(warehouse: Warehouse, staged: Path, limit: int) -> list[tuple[int, str]]:
    """The first bad rows' numbers and reasons."""
    found = warehouse.execute(FIRST_BAD_SQL.format(row=ROW, staged=sql_literal(str(staged))), {"limit": limit}).fetchall()
    return [(int(row), str(reason)) for row, reason in found]


def quarantine(warehouse: Warehouse, source: str, staged: Path, cut: str, parameters: dict[str, object]) -> None:
    """Store the bad rows with their reasons and text (`cut`: how a value is cut to size, over {column})."""
    warehouse.execute(BAD_ROWS_SQL.format(source=source, row=ROW, staged=sql_literal(str(staged)),
                                          reason=cut.format(column="bad.reason"), text=cut.format(column="to_json(raw)")),
                      parameters)
