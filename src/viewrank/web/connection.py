"""Read-only access to a warehouse for the web app: one short attachment per request.

Why not one long-lived connection: DuckDB locks the database file per process, so a server
holding the file open (even read-only) would stop `viewrank ingest`/`charts` from opening it
read-write, and a server could not open it while such a writer runs. Why not one
`duckdb.connect` per request: creating a DuckDB instance costs about 50 ms. Instead each
worker keeps one in-memory DuckDB instance and every request ATTACHes the warehouse file
READ_ONLY under its own alias (about 1 ms) and DETACHes it when done, so the file is locked
only while a request is being answered. While a writer holds the file, opening is retried
briefly and then refused with WarehouseBusy, which the app answers with 503 and Retry-After.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from ..errors import WarehouseError
from ..settings import Methodology
from ..store import DATABASE_FILE, SETTINGS_FILE, Warehouse
from .cache import ResponseCache

RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4)
CACHE_ENTRIES = 512


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse open for writing; try again shortly."""


class AttachedWarehouse(Warehouse):
    """A read-only Warehouse over a cursor on which the warehouse file is attached and in USE."""

    def __init__(self, path: Path, methodology: Methodology, cursor: duckdb.DuckDBPyConnection):
        self.path = path
        self.read_only = True
        self.tracer = None
        self.methodology = methodology
        self.con = cursor


class WarehouseReader:
    """Hands out short read-only views of the warehouse at `path`, one per request."""

    def __init__(self, path: str | os.PathLike[str], *, retry_delays: tuple[float, ...] = RETRY_DELAYS,
                 cache_entries: int = CACHE_ENTRIES):
        self.path = Path(path)
        if not (self.path / SETTINGS_FILE).exists() or not (self.path / DATABASE_FILE).exists():
            raise WarehouseError(f"{self.path} is not a viewrank warehouse (run 'viewrank init {self.path}' first)")
        self.methodology = Methodology.load(self.path / SETTINGS_FILE)
        self.retry_delays = retry_delays
        self._database = duckdb.connect()
        self._database.execute("SET GLOBAL TimeZone = 'UTC'")
        self._aliases = itertools.count(1)
        self._lock = threading.Lock()
        database = self.path / DATABASE_FILE
        self.cache = ResponseCache([database, database.with_name(database.name + ".wal")], max_entries=cache_entries)

    def read(self, key: str, make: Callable[[Warehouse], bytes]) -> bytes:
        """`make(warehouse)` on the warehouse opened read-only, or its earlier result for `key`
        while the warehouse files are unchanged."""
        def opened() -> bytes:
            with self.open() as warehouse:
                return make(warehouse)
        return self.cache.get_or_make(key, opened)

    @contextlib.contextmanager
    def open(self) -> Iterator[Warehouse]:
        """The warehouse attached read-only for the duration of the block."""
        with self._lock:
            cursor = self._database.cursor()
            alias = f"warehouse_{next(self._aliases)}"
        try:
            self._attach(cursor, alias)
            cursor.execute(f"USE {alias}")
            try:
                yield AttachedWarehouse(self.path, self.methodology, cursor)
            finally:
                cursor.execute("USE memory")
                cursor.execute(f"DETACH {alias}")
        finally:
            cursor.close()

    def _attach(self, cursor: duckdb.DuckDBPyConnection, alias: str) -> None:
        database = str(self.path / DATABASE_FILE).replace("'", "''")
        for delay in (*self.retry_delays, None):
            try:
                cursor.execute(f"ATTACH '{database}' AS {alias} (READ_ONLY)")
                return
            except duckdb.IOException as error:
                if delay is None:
                    raise WarehouseBusy(
                        f"the warehouse {self.path} is being written by another process "
                        f"({str(error).splitlines()[0][:160]}); try again in a moment") from None
                time.sleep(delay)

    def close(self) -> None:
        self._database.close()
