"""The warehouse on disk: one DuckDB database, Parquet parts and the settings file.

    warehouse/
      settings.json            the methodology the warehouse was initialised with
      viewrank.duckdb          catalog, manifest, quarantine, rollup registry, chart editions
      events/day=YYYY-MM-DD/   immutable Parquet parts, one per ingested batch and day
      rollups/KIND/PERIOD=.../ rollup parts, one per day or chart week (rollup_parts.py)

The database's schema is the numbered migrations in store/migrations/, applied on every
open for writing. A Parquet part is written first and only then registered, inside the transaction that
records its batch or rollup; a part that no transaction registered (a crash in between) is
invisible and removed on the next open.
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

from ..errors import WarehouseError
from ..files import write_atomically
from ..settings import Methodology
from .damage import is_lock_conflict
from .migrations import migrate, migrations, refuse_newer, schema_version
from .quoting import sql_literal
from .rollup_parts import ROLLUP_DIR

DATABASE_FILE = "viewrank.duckdb"
SETTINGS_FILE = "settings.json"
EVENTS_DIR = "events"
STAGING_DIR = "staging"
# Another process may hold the database for a moment (a server copying its snapshot).
LOCK_RETRY_DELAYS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2)
# How DuckDB reports a query stopped by a signal (Ctrl+C, or SIGTERM made an interrupt).
QUERY_INTERRUPTED = "Query interrupted"
Tracer = Callable[[str, Any], None]


class Warehouse:
    """The front door: owns the connection, the schema, the settings and atomic writes.

    `Warehouse(path)` opens the warehouse file (migrating it when opened for writing);
    `Warehouse.attached(path, connection, methodology)` wraps a read-only connection on which
    a copy of it is attached and in USE (the web server's snapshots).
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False, tracer: Tracer | None = None,
                 connection: duckdb.DuckDBPyConnection | None = None, methodology: Methodology | None = None):
        self.path = Path(path)
        self.read_only = read_only or connection is not None
        self.tracer = tracer
        self._depth = 0          # how many atomic() blocks are open
        self._doomed = False     # an inner block failed: the outer one must roll back
        self.migrated: list[int] = []   # the migrations opening it applied
        if connection is not None:
            self.methodology = methodology or Methodology.load(self.path / SETTINGS_FILE)
            self.con = connection
            return
        if not (self.path / SETTINGS_FILE).exists() or not (self.path / DATABASE_FILE).exists():
            raise WarehouseError(f"{self.path} is not a viewrank warehouse (run 'viewrank init {self.path}' first)")
        self.methodology = methodology or Methodology.load(self.path / SETTINGS_FILE)
        self.con = self._connect(read_only)
        if read_only and (version := schema_version(self.con)) < len(migrations()):
            # Reading never writes: a warehouse of an older viewrank is upgraded by a writer.
            self.con.close()
            raise WarehouseError(f"{self.path} was made by an older viewrank (schema version {version}, this one "
                                 f"reads {len(migrations())}); run 'viewrank migrate --warehouse {self.path}' to "
                                 "upgrade it (any command that writes, such as ingest, upgrades it too)")
        self.con.execute("SET TimeZone = 'UTC'; SET enable_progress_bar = false")
        self.con.execute(f"SET file_search_path = {sql_literal(search_path(self.path))}")
        if read_only:
            refuse_newer(self.con, str(self.path))
        else:
            self.migrated = migrate(self.con, str(self.path))
            self._remove_unregistered_parts()

    @classmethod
    def attached(cls, path: str | os.PathLike[str], connection: duckdb.DuckDBPyConnection,
                 methodology: Methodology) -> Warehouse:
        """A read-only warehouse over `connection`, on which a copy of the warehouse at `path` is in USE."""
        return cls(path, connection=connection, methodology=methodology)

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the database, waiting out a short lock (a server taking its snapshot) before giving up."""
        for delay in (*LOCK_RETRY_DELAYS, None):
            try:
                return duckdb.connect(str(self.path / DATABASE_FILE), read_only=read_only)
            except duckdb.IOException as error:
                if delay is None or not is_lock_conflict(error):
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
        search_path(root)  # refuse a path DuckDB cannot search before anything is made
        root.mkdir(parents=True, exist_ok=True)
        (root / EVENTS_DIR).mkdir(exist_ok=True)
        write_atomically(root / SETTINGS_FILE, methodology.to_json() + "\n")
        con = duckdb.connect(str(root / DATABASE_FILE))
        migrate(con, str(root))
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
        with _interrupts_as_keyboard_interrupt():
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
        with _interrupts_as_keyboard_interrupt():
            return self.con.sql(sql, params=parameters).to_arrow_table()

    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        """Run a query and stream its result as Arrow record batches of about `rows` rows
        (the connection is busy until the last one is read)."""
        if self.tracer:
            self.tracer(sql, None)
        with _interrupts_as_keyboard_interrupt(), self.con.sql(sql).to_arrow_reader(batch_size=rows) as reader:
            yield from reader

    def scalar(self, sql: str, parameters: Any = None) -> Any:
        """The first value of a query's first row (the whole result is read, so the connection is free after)."""
        rows = self.execute(sql, parameters).fetchall()
        return rows[0][0] if rows else None

    @contextlib.contextmanager
    def settings(self, settings: dict[str, str]) -> Iterator[None]:
        """DuckDB's settings changed for the block, then set back (quietly after a failure, so
        that the error raised is the block's own)."""
        before = {name: self.scalar(f"SELECT CAST(current_setting({sql_literal(name)}) AS VARCHAR)") for name in settings}
        for name, value in settings.items():
            self.execute(f"SET {name} = {sql_literal(value)}")
        try:
            yield
        finally:
            for name, value in before.items():
                with contextlib.suppress(duckdb.Error):
                    self.execute(f"SET {name} = {sql_literal(value)}")

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Warehouse]:
        """A transaction: everything inside commits together, or nothing does. Blocks nest: an
        inner block joins the outer transaction, and its failure rolls back the whole, even
        when the caller catches it inside the outer block."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._doomed = True
                raise
            finally:
                self._depth -= 1
            return
        self.execute("BEGIN TRANSACTION")
        self._depth, self._doomed = 1, False
        try:
            yield self
            if self._doomed:
                raise WarehouseError("an inner transaction failed, so the whole transaction was rolled back")
        except BaseException:
            self._depth = 0
            with contextlib.suppress(duckdb.Error):  # a connection a fatal error invalidated rolls back by itself
                self.execute("ROLLBACK")
            if not self.read_only:  # parts written for what was rolled back (an inner block's included)
                with contextlib.suppress(duckdb.Error, OSError):
                    self._remove_unregistered_parts()
            raise
        self._depth = 0
        self.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextlib.contextmanager
    def registered(self, name: str, table: pa.Table) -> Iterator[str]:
        """Expose an Arrow table to SQL as `name` for the duration of the block (the one way to do so)."""
        self.trace(f"register an Arrow table of {table.num_rows:,} rows as {name}")
        self.con.register(name, table)
        try:
            yield name
        finally:
            # After a failed statement the transaction is aborted and unregistering raises;
            # the name then stays until the next registration replaces it.
            with contextlib.suppress(duckdb.Error):
                self.con.unregister(name)

    def over(self, name: str, table: pa.Table, sql: str) -> pa.Table:
        """One statement over an Arrow table that only it sees as `name` (no parameters: use SET
        VARIABLE), and its result. Unlike `registered`, nothing enters the catalog, where a table
        registered inside a transaction stays referenced, so held in memory, until the transaction ends."""
        if self.tracer:
            self.tracer(sql, {name: f"an Arrow table of {table.num_rows:,} rows"})
        relation = self.con.from_arrow(table).query(name, sql)
        return relation.to_arrow_table() if relation is not None else pa.table({})

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


def migrate_warehouse(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Apply the pending migrations of the warehouse at `path` (opening it to write does);
    {from, to, applied}: the schema versions before and after, and the migrations applied."""
    with Warehouse(path) as writer:
        after = schema_version(writer.con)
        return {"from": after - len(writer.migrated), "to": after, "applied": writer.migrated}


@contextlib.contextmanager
def _interrupts_as_keyboard_interrupt() -> Iterator[None]:
    """A query stopped by a signal ends as the KeyboardInterrupt it was: DuckDB reports it as a
    RuntimeError, which would otherwise read as a failure rather than an abort."""
    try:
        yield
    except RuntimeError as error:
        if str(error) == QUERY_INTERRUPTED:
            raise KeyboardInterrupt from None
        raise


def search_path(root: Path) -> str:
    """The warehouse folder as DuckDB's file_search_path, where views find rollup parts by
    their relative paths (a comma would split it into two folders)."""
    folder = str(root.resolve())
    if "," in folder:
        raise WarehouseError(f"{folder}: a warehouse folder's path cannot contain a comma")
    return folder


def _country_rows() -> list[tuple[str, str, bool]]:
    text = resources.files("viewrank").joinpath("data/countries.csv").read_text(encoding="utf-8")
    rows = [(row["iso2"], row["name"], row["netflix_top10"] == "1") for row in csv.DictReader(text.splitlines())]
    return sorted(rows)
