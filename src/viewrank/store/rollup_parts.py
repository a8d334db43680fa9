"""Where rollup rows live: Parquet parts under rollups/, one per day (daily rows) or per chart
week (weekly totals), registered in the rollup_parts table and read through views.

Rollups are written far more often than they are read, and DuckDB's compressing insert cost
as much CPU as computing them; a delta-encoded Parquet part is about five times cheaper to
write and smaller on disk. The day or week is the part's folder name (hive partitioning), so
a query for a few days opens only their parts.

A part is written under a new name first and only then registered, in the transaction that
also drops the registration of the part it replaces; views are redefined in that transaction
(DDL is transactional), so readers see whole rollups or the earlier ones. A part that no
transaction registered, or whose registration was dropped, is deleted after the commit or,
after a crash, on the next open for writing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .damage import part_damage
from .quoting import sql_literal

if TYPE_CHECKING:
    from .warehouse import Warehouse

ROLLUP_DIR = "rollups"


@dataclass(frozen=True)
class Kind:
    """One kind of rollup part: its view, the column naming its period, and its row columns."""

    name: str
    view: str
    period: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL type) of each column stored in a part

    def folder(self, period: dt.date) -> str:
        return f"{ROLLUP_DIR}/{self.name}/{self.period}={period.isoformat()}"


ARROW_TYPES = {"SMALLINT": pa.int16(), "INTEGER": pa.int32(), "BIGINT": pa.int64()}
MEASURES = (("title_key", "INTEGER"), ("country_index", "SMALLINT"), ("seconds", "BIGINT"), ("sessions", "BIGINT"))
DAILY = Kind("daily", "daily_rollup_rows", "day", (*MEASURES, ("accounts", "BIGINT")))
WEEKLY = Kind("weekly", "weekly_rollup_rows", "week", MEASURES)
KINDS = (DAILY, WEEKLY)


def view_sql(kind: Kind, paths: list[str]) -> str:
    """The definition of a kind's view over `paths` (relative to the warehouse, which every
    connection names in its file_search_path)."""
    names = ", ".join(name for name, _ in kind.columns)
    if not paths:
        empty = ", ".join(f"CAST(NULL AS {type}) AS {name}" for name, type in (*[(kind.period, "DATE")], *kind.columns))
        return f"CREATE OR REPLACE VIEW {kind.view} AS SELECT {empty} WHERE false"
    listed = ", ".join(sql_literal(path) for path in paths)
    return (f"CREATE OR REPLACE VIEW {kind.view} AS SELECT {kind.period}, {names} FROM read_parquet([{listed}], "
            f"hive_partitioning = true, hive_types = {{'{kind.period}': DATE}})")


def refresh_views(con: duckdb.DuckDBPyConnection) -> None:
    """Point each kind's view at its registered parts (inside the caller's transaction)."""
    for kind in KINDS:
        paths = [path for (path,) in con.execute(
            "SELECT path FROM rollup_parts WHERE kind = ? ORDER BY period, path", [kind.name]).fetchall()]
        con.execute(view_sql(kind, paths))


def write_part(root: Path, kind: Kind, period: dt.date, table: pa.Table) -> tuple[str, int]:
    """Write `table`'s rows (the kind's columns) as a new part of `period`; its relative path and rows."""
    relative = f"{kind.folder(period)}/{uuid.uuid4().hex}.parquet"
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    columns = pa.table({name: table[name].cast(ARROW_TYPES[type]) for name, type in kind.columns})
    # Written once, read by DuckDB: sorted integer columns delta-encode to a few bits a value
    # with no compression pass (about 5 bytes a daily row).
    pq.write_table(columns, root / relative, compression="none", use_dictionary=False, write_page_checksum=True,
                   column_encoding={name: "DELTA_BINARY_PACKED" for name in columns.column_names})
    return relative, columns.num_rows


def split_by_period(table: pa.Table, column: str) -> Iterable[tuple[dt.date, pa.Table]]:
    """The rows of `table` for each value of its date column `column` (most tables hold one)."""
    periods = table[column].unique().to_pylist()
    if len(periods) == 1:
        yield periods[0], table
        return
    for period in sorted(periods):
        yield period, table.filter(pc.equal(table[column], pa.scalar(period, pa.date32())))


class RollupParts:
    """The parts one transaction writes and drops, so that the losers can be deleted after it."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.written: list[str] = []
        self.dropped: list[str] = []

    def drop(self, kind: Kind, periods: list[dt.date]) -> None:
        """Unregister the parts of `periods`."""
        self.dropped += [path for (path,) in self.warehouse.execute(
            "DELETE FROM rollup_parts WHERE kind = ? AND list_contains(?, period) RETURNING path",
            [kind.name, periods]).fetchall()]

    def add(self, kind: Kind, period: dt.date, table: pa.Table) -> None:
        """Write `table` as a new part of `period` and register it."""
        if not table.num_rows:
            return
        self.warehouse.trace(f"write a {kind.name} rollup part of {period}")
        path, rows = write_part(self.warehouse.path, kind, period, table)
        self.written.append(path)
        self.warehouse.execute("INSERT INTO rollup_parts VALUES (?, ?, ?, ?)", [kind.name, period, path, rows])

    def remove(self, paths: list[str]) -> None:
        """Delete part files (a crash before this leaves them to the next open)."""
        for path in paths:
            self.warehouse.trace(f"remove {path}")
            (self.warehouse.path / path).unlink(missing_ok=True)


# The outermost rollup transaction open on each warehouse (by id), which inner ones join.
_OPEN: dict[int, RollupParts] = {}


@contextlib.contextmanager
def rollup_transaction(warehouse: Warehouse) -> Iterator[RollupParts]:
    """A transaction that writes and drops rollup parts: the views are redefined before it
    commits; afterwards the parts it dropped are deleted, or on failure the parts it wrote.

    Inside another rollup transaction it joins that one, whose commit alone may delete the
    dropped parts (an inner block that deleted them could not be rolled back)."""
    outer = _OPEN.get(id(warehouse))
    if outer is not None and outer.warehouse is warehouse:
        with warehouse.atomic():
            yield outer
            refresh_views(warehouse.con)
        return
    parts = _OPEN[id(warehouse)] = RollupParts(warehouse)
    try:
        with warehouse.atomic():
            yield parts
            refresh_views(warehouse.con)
    except BaseException:
        parts.remove(parts.written)
        raise
    finally:
        del _OPEN[id(warehouse)]
    parts.remove(parts.dropped)


def forget_damaged_parts(warehouse: Warehouse) -> list[tuple[str, dt.date, str]]:
    """Unregister the rollup parts that are missing or damaged on disk and mark the days they
    covered for a new rollup, in one transaction: rollups are derived data, so the next
    rollup recomputes them from the events. (kind, period, what is wrong) of each."""
    damaged = [(kind, period, path, why) for kind, period, path, rows in warehouse.execute(
                   "SELECT kind, period, path, rows FROM rollup_parts ORDER BY kind, period").fetchall()
               if (why := part_damage(warehouse.path / path, rows))]
    if not damaged:
        return []
    with warehouse.atomic():
        for kind, period, path, why in damaged:
            warehouse.trace(f"forget the {kind} rollup part {path}: {why}")
            first = period if kind == DAILY.name else warehouse.methodology.week_start_of(period)
            warehouse.execute("DELETE FROM rollup_parts WHERE path = ?", [path])
            warehouse.execute("DELETE FROM rollup_days WHERE day BETWEEN ? AND ?", [first, period])
        refresh_views(warehouse.con)
    for _, _, path, _ in damaged:
        (warehouse.path / path).unlink(missing_ok=True)
    return [(kind, period, why) for kind, period, _, why in damaged]
