"""The warehouse on disk: one DuckDB database, Parquet parts and the settings file.

    warehouse/
      settings.json            the methodology the warehouse was initialised with
      viewrank.duckdb          catalog, manifest, quarantine, rollup registry, chart editions
      events/day=YYYY-MM-DD/   immutable Parquet parts, one per ingested batch and day
      rollups/KIND/PERIOD=.../ rollup parts, one per day or chart week (rollup_parts.py)

A Parquet part is written first and only then registered, inside the transaction that
records its batch or rollup; a part that no transaction registered (a crash in between) is
invisible and removed on the next open.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import shutil
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pyarrow as pa

from ..errors import WarehouseError
from ..settings import Methodology
from .rollup_parts import DAILY, KINDS, ROLLUP_DIR, WEEKLY, Kind, refresh_views, view_sql, write_part

DATABASE_FILE = "viewrank.duckdb"
SETTINGS_FILE = "settings.json"
EVENTS_DIR = "events"
STAGING_DIR = "staging"
# Another process may hold the database for a moment (a server copying its snapshot).
LOCK_RETRY_DELAYS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2)
Tracer = Callable[[str, Any], None]


def _schema_sql() -> str:
    return resources.files("viewrank.store").joinpath("schema.sql").read_text()


# Rollup rows of older warehouses, kept in tables, as (kind, SELECT of the part's period and
# columns): with country codes in tables named as the views are now, or with country indexes
# in tables named as the rows views are now. They move to parts on the first open for writing,
# in one transaction. A warehouse from before weekly totals were kept has none to move, so
# its days are marked for a new rollup, which makes them.
LEGACY_ROLLUP_TABLES = {
    "daily_rollup": (DAILY, """SELECT d.day, d.title_key, c.country_index, d.seconds, d.sessions, d.accounts
                               FROM daily_rollup d JOIN countries c ON c.iso2 = d.country"""),
    "weekly_rollup": (WEEKLY, """SELECT w.week, w.title_key, c.country_index, w.seconds, w.sessions
                                 FROM weekly_rollup w JOIN countries c ON c.iso2 = w.country"""),
    "daily_rollup_rows": (DAILY, "SELECT * FROM daily_rollup_rows"),
    "weekly_rollup_rows": (WEEKLY, "SELECT * FROM weekly_rollup_rows"),
}


def apply_schema(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Create what the schema has that the database lacks, moving rollups of an older layout to parts."""
    legacy = [name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE list_contains(?, table_name) ORDER BY table_name",
        [list(LEGACY_ROLLUP_TABLES)]).fetchall()]
    if not legacy:
        _create_missing_rows_views(con)
        con.execute(_schema_sql())
        return
    written: list[str] = []
    con.execute("BEGIN TRANSACTION")
    try:
        parts = [(kind.name, period, *part) for name in legacy
                 for kind, period, part in _legacy_parts(con, root, *LEGACY_ROLLUP_TABLES[name], written)]
        for view in ("daily_rollup", "weekly_rollup"):
            if view not in legacy:
                con.execute(f"DROP VIEW IF EXISTS {view}")
        for name in legacy:
            con.execute(f"DROP TABLE {name}")
        _create_missing_rows_views(con)
        con.execute(_schema_sql())
        if parts:
            con.executemany("INSERT INTO rollup_parts VALUES (?, ?, ?, ?)", parts)
        refresh_views(con)
        if not {"weekly_rollup", "weekly_rollup_rows"} & set(legacy):
            con.execute("DELETE FROM rollup_days")
    except BaseException:
        con.execute("ROLLBACK")
        for path in written:
            (root / path).unlink(missing_ok=True)
        raise
    con.execute("COMMIT")


def _legacy_parts(con: duckdb.DuckDBPyConnection, root: Path, kind: Kind, select: str,
                  written: list[str]) -> Iterator[tuple[Kind, dt.date, tuple[str, int]]]:
    """Write the rows of one legacy table as parts, a period at a time."""
    periods = [period for (period,) in con.execute(
        f"SELECT DISTINCT {kind.period} FROM ({select}) ORDER BY ALL").fetchall()]
    for period in periods:
        rows = con.sql(f"SELECT * FROM ({select}) WHERE {kind.period} = $period ORDER BY title_key, country_index",
                       params={"period": period}).to_arrow_table()
        part = write_part(root, kind, period, rows)
        written.append(part[0])
        yield kind, period, part


def _create_missing_rows_views(con: duckdb.DuckDBPyConnection) -> None:
    """The rows views of a new warehouse, over no parts yet."""
    views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    for kind in KINDS:
        if kind.view not in views:
            con.execute(view_sql(kind, []))


class Warehouse:
    """The front door: owns the connection, the schema, the settings and atomic writes."""

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False, tracer: Tracer | None = None):
        self.path = Path(path)
        self.read_only = read_only
        self.tracer = tracer
        if not (self.path / SETTINGS_FILE).exists() or not (self.path / DATABASE_FILE).exists():
            raise WarehouseError(f"{self.path} is not a viewrank warehouse (run 'viewrank init {self.path}' first)")
        self.methodology = Methodology.load(self.path / SETTINGS_FILE)
        self.con = self._connect(read_only)
        self.con.execute("SET TimeZone = 'UTC'; SET enable_progress_bar = false")
        self.con.execute(f"SET file_search_path = {sql_literal(search_path(self.path))}")
        if not read_only:
            apply_schema(self.con, self.path)
            self._remove_unregistered_parts()

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the database, waiting out a short lock (a server taking its snapshot) before giving up."""
        for delay in (*LOCK_RETRY_DELAYS, None):
            try:
                return duckdb.connect(str(self.path / DATABASE_FILE), read_only=read_only)
            except duckdb.IOException as error:
                if delay is None or "lock" not in str(error).lower():
                    raise WarehouseError(f"{self.path}: cannot open the warehouse ({str(error).splitlines()[0]})") from None
                time.sleep(delay)
        raise AssertionError("unreachable")

    @classmethod
    def init(cls, path: str | os.PathLike[str], settings: dict[str, Any] | None = None, **kwargs: Any) -> Warehouse:
        """Create a warehouse at `path` with the given methodology settings (the rest default)."""
        root = Path(path)
        if (root / DATABASE_FILE).exists():
            raise WarehouseError(f"{root} already holds a viewrank warehouse")
        methodology = Methodology.from_values(settings)
        root.mkdir(parents=True, exist_ok=True)
        (root / EVENTS_DIR).mkdir(exist_ok=True)
        temporary = root / (SETTINGS_FILE + ".tmp")
        temporary.write_text(methodology.to_json() + "\n")
        os.replace(temporary, root / SETTINGS_FILE)
        con = duckdb.connect(str(root / DATABASE_FILE))
        apply_schema(con, root)
        codes, names, flags = zip(*_country_rows())
        con.execute("INSERT INTO countries SELECT unnest(?), unnest(?), unnest(?), unnest(?)",
                    [codes, names, flags, list(range(len(codes)))])
        con.close()
        return cls(root, **kwargs)

    # -- connection -------------------------------------------------------------------
    def execute(self, sql: str, parameters: Any = None) -> duckdb.DuckDBPyConnection:
        """Run one statement, showing it to the tracer first."""
        if self.tracer:
            self.tracer(sql, parameters)
        return self.con.execute(sql, parameters) if parameters is not None else self.con.execute(sql)

    def trace(self, action: str) -> None:
        """Show the tracer a step that is not a statement (a file written or removed)."""
        if self.tracer:
            self.tracer(action, None)

    def rows(self, sql: str, parameters: Any = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts."""
        cursor = self.execute(sql, parameters)
        names = [column[0] for column in cursor.description or []]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def arrow(self, sql: str, parameters: Any = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""
        if self.tracer:
            self.tracer(sql, parameters)
        return self.con.sql(sql, params=parameters).to_arrow_table()

    def scalar(self, sql: str, parameters: Any = None) -> Any:
        """The first value of a query's first row (the whole result is read, so the connection is free after)."""
        rows = self.execute(sql, parameters).fetchall()
        return rows[0][0] if rows else None

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Warehouse]:
        """A transaction: everything inside commits together, or nothing does."""
        self.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- files -------------------------------------------------------------------------
    @property
    def events_dir(self) -> Path:
        return self.path / EVENTS_DIR

    def event_part_paths(self, day: Any = None) -> list[str]:
        """Absolute paths of the registered event parts, of one day or all."""
        if day is None:
            found = self.execute("SELECT path FROM event_files ORDER BY path").fetchall()
        else:
            found = self.execute("SELECT path FROM event_files WHERE day = ? ORDER BY path", [day]).fetchall()
        return [str(self.path / path) for (path,) in found]

    def _remove_unregistered_parts(self) -> None:
        shutil.rmtree(self.path / STAGING_DIR, ignore_errors=True)
        registered = {path for (path,) in self.execute(
            "SELECT path FROM event_files UNION ALL SELECT path FROM rollup_parts").fetchall()}
        for part in [*self.events_dir.glob("day=*/*"), *(self.path / ROLLUP_DIR).glob("*/*=*/*")]:
            if part.relative_to(self.path).as_posix() not in registered:
                part.unlink()


def search_path(root: Path) -> str:
    """The warehouse folder as DuckDB's file_search_path, where views find rollup parts by
    their relative paths (a comma would split it into two folders)."""
    folder = str(root.resolve())
    if "," in folder:
        raise WarehouseError(f"{folder}: a warehouse folder's path cannot contain a comma")
    return folder


def sql_literal(text: str) -> str:
    """A string as a quoted SQL literal, for the few statements that cannot bind parameters."""
    return "'" + text.replace("'", "''") + "'"


def _country_rows() -> list[tuple[str, str, bool]]:
    text = resources.files("viewrank").joinpath("data/countries.csv").read_text(encoding="utf-8")
    rows = [(row["iso2"], row["name"], row["netflix_top10"] == "1") for row in csv.DictReader(text.splitlines())]
    return sorted(rows)
