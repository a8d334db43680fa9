"""The warehouse on disk: one DuckDB database, Parquet event parts and the settings file.

    warehouse/
      settings.json            the methodology the warehouse was initialised with
      viewrank.duckdb          catalog, manifest, quarantine, rollups, chart editions
      events/day=YYYY-MM-DD/   immutable Parquet parts, one per ingested batch and day

A Parquet part is written to a temporary name, renamed into place, and only then
registered inside the same transaction that records its batch; a part that no
transaction registered (a crash in between) is invisible and removed on the next open.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pyarrow as pa

from .errors import WarehouseError
from .settings import Methodology

DATABASE_FILE = "viewrank.duckdb"
SETTINGS_FILE = "settings.json"
EVENTS_DIR = "events"
STAGING_DIR = "staging"
# Another process may hold the database for a moment (a server copying its snapshot).
LOCK_RETRY_DELAYS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2)
Tracer = Callable[[str, Any], None]


def _schema_sql() -> str:
    return resources.files("viewrank").joinpath("sql/schema.sql").read_text()


# Warehouses made before rollups stored countries by index kept them as codes in tables
# named as the views are now: their rows move to the new tables in one transaction. One made
# before weekly totals were kept has none to move, so its days are marked for a new rollup.
OLD_ROLLUP_TABLES_MIGRATION = {
    "daily_rollup": """
        INSERT INTO daily_rollup_rows
        SELECT d.day, d.title_key, c.country_index, d.seconds, d.sessions, d.accounts
        FROM daily_rollup_by_code d JOIN countries c ON c.iso2 = d.country""",
    "weekly_rollup": """
        INSERT INTO weekly_rollup_rows
        SELECT w.week, w.title_key, c.country_index, w.seconds, w.sessions
        FROM weekly_rollup_by_code w JOIN countries c ON c.iso2 = w.country""",
}


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what the schema has that the database lacks, moving data of an older layout."""
    old = [name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE list_contains(?, table_name) ORDER BY table_name",
        [list(OLD_ROLLUP_TABLES_MIGRATION)]).fetchall()]
    if not old:
        con.execute(_schema_sql())
        return
    con.execute("BEGIN TRANSACTION")
    try:
        for name in old:
            con.execute(f"ALTER TABLE {name} RENAME TO {name}_by_code")
        con.execute(_schema_sql())
        for name in old:
            con.execute(OLD_ROLLUP_TABLES_MIGRATION[name])
            con.execute(f"DROP TABLE {name}_by_code")
        if "weekly_rollup" not in old:
            con.execute("DELETE FROM rollup_days")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


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
        if not read_only:
            apply_schema(self.con)
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
        apply_schema(con)
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
        registered = {path for (path,) in self.execute("SELECT path FROM event_files").fetchall()}
        for part in self.events_dir.glob("day=*/*"):
            if part.relative_to(self.path).as_posix() not in registered:
                part.unlink()


def sql_literal(text: str) -> str:
    """A string as a quoted SQL literal, for the few statements that cannot bind parameters."""
    return "'" + text.replace("'", "''") + "'"


def _country_rows() -> list[tuple[str, str, bool]]:
    text = resources.files("viewrank").joinpath("data/countries.csv").read_text(encoding="utf-8")
    rows = [(row["iso2"], row["name"], row["netflix_top10"] == "1") for row in csv.DictReader(text.splitlines())]
    return sorted(rows)
