"""Read-only access to a warehouse for the web app, from a snapshot the server keeps.

DuckDB lets one process write a database file and nobody else open it meanwhile, so a
server that read the warehouse file itself would fail whenever `viewrank ingest`, `rollup`
or `charts` runs, and would lock them out while it reads. Instead the server copies the
warehouse (one consistent, committed state: COPY FROM DATABASE while attached read-only)
into a snapshot file of its own whenever the warehouse files change and no writer holds
them, rollup rows included (a later rollup may delete the parts they were read from), and
answers every request from the newest snapshot: a write in progress is never seen half
done and never makes a request fail. Each request ATTACHes the snapshot under
its own alias (about 1 ms; a fresh DuckDB instance would cost about 50 ms). Only before
the first snapshot exists does a busy warehouse answer 503 with Retry-After.

A refresh that fails for any reason (the warehouse locked, a full temporary folder, a
damaged block) detaches and deletes its half-made snapshot and leaves the current one in
place: requests keep their answers from the previous state, and the next request after a
change tries again, so the server heals by itself once the cause is gone.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from ..errors import StorageError, WarehouseBusy, WarehouseError
from ..settings import Methodology
from ..store.damage import is_disk_full, is_lock_conflict, storage_error
from ..store.migrations import migrate
from ..store.quoting import sql_literal
from ..store.rollup_parts import KINDS
from ..store.warehouse import DATABASE_FILE, SETTINGS_FILE, Warehouse, search_path
from .cache import ResponseCache

RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4)
CACHE_ENTRIES = 512
logger = logging.getLogger("viewrank.web")


SNAPSHOT_FOLDER_PREFIX = "viewrank-serve-"   # then the server's process id, so that another can tell it is gone


def remove_abandoned_snapshot_folders() -> list[Path]:
    """Delete the snapshot folders in the temporary folder of servers that are no longer running
    (killed, or crashed before they could remove theirs); the folders removed."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{SNAPSHOT_FOLDER_PREFIX}*-*"):
        pid = folder.name[len(SNAPSHOT_FOLDER_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or not folder.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
            continue                # running (or another process has its id): keep it
        except ProcessLookupError:
            pass
        except OSError:             # another user's process: not ours to judge
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


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
        self._database.execute(f"SET GLOBAL TimeZone = 'UTC'; SET GLOBAL file_search_path = {sql_literal(search_path(self.path))}")
        self._aliases = itertools.count(1)
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        database = self.path / DATABASE_FILE
        self._sources = [database, database.with_name(database.name + ".wal")]
        remove_abandoned_snapshot_folders()
        self._snapshots = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_FOLDER_PREFIX}{os.getpid()}-"))
        self._snapshot: Path | None = None
        self._readers: collections.Counter[Path] = collections.Counter()  # requests reading each snapshot
        self._snapshot_signature: tuple[object, ...] | None = None
        self._generations = itertools.count(1)
        self.cache = ResponseCache(self._sources, max_entries=cache_entries)

    def read(self, key: str, make: Callable[[Warehouse], bytes]) -> bytes:
        """`make(warehouse)` on the warehouse opened read-only, or its earlier result for `key`
        while the warehouse files are unchanged."""
        def opened() -> bytes:
            with self.open() as warehouse:
                return make(warehouse)
        return self.cache.get_or_make(key, opened)

    @contextlib.contextmanager
    def open(self) -> Iterator[Warehouse]:
        """The newest snapshot of the warehouse, attached read-only for the duration of the block."""
        self._current_snapshot()
        with self._lock:  # the newest snapshot, held so that no refresh deletes it under us
            snapshot = self._snapshot
            assert snapshot is not None
            self._readers[snapshot] += 1
            cursor = self._database.cursor()
            alias = f"warehouse_{next(self._aliases)}"
        try:
            cursor.execute(f"ATTACH {sql_literal(str(snapshot))} AS {alias} (READ_ONLY)")
            cursor.execute(f"USE {alias}")
            try:
                yield Warehouse.attached(self.path, cursor, self.methodology)
            finally:
                cursor.execute("USE memory")
                cursor.execute(f"DETACH {alias}")
        finally:
            cursor.close()
            with self._lock:
                self._readers[snapshot] -= 1
                self._remove_unread_snapshots()

    def _signature(self) -> tuple[object, ...]:
        """The warehouse files' identity now; a WAL that vanishes while it is looked at counts as absent."""
        return self.cache.signature()

    def _current_snapshot(self) -> Path:
        """Refresh the snapshot if the warehouse changed and can be read; else keep the last one."""
        if self._snapshot is not None and self._snapshot_signature == self._signature():
            return self._snapshot
        delays = self.retry_delays if self._snapshot is None else ()
        if self._refreshing.acquire(blocking=self._snapshot is None):
            try:
                for delay in (*delays, None):
                    try:
                        self._take_snapshot()
                        break
                    except (duckdb.Error, OSError) as error:
                        locked = is_lock_conflict(error)
                        if delay is not None and locked:
                            time.sleep(delay)
                            continue
                        if self._snapshot is not None:  # keep answering from the previous state
                            logger.warning("could not refresh the snapshot of %s, still serving the previous "
                                           "one: %s", self.path, str(error).splitlines()[0][:300])
                            break
                        # The message reaches HTTP clients: no server paths in it; the log has them.
                        reason = str(error).splitlines()[0][:300]
                        if locked:
                            logger.warning("the warehouse %s is locked: %s", self.path, reason)
                            raise WarehouseBusy("the warehouse is being written by another process; "
                                                "try again in a moment") from None
                        logger.error("cannot take a snapshot of %s: %s", self.path, storage_error(
                            error, f"a snapshot in {self._snapshots}"))
                        if is_disk_full(error):
                            raise StorageError("the disk is full in the temporary folder the warehouse is read "
                                               "through; free some space there and try again (a server tries "
                                               "again on the next request)") from None
                        raise StorageError("the server cannot read the warehouse (its log says why); run "
                                           "'viewrank check' on the warehouse (the server tries again on the "
                                           "next request)") from None
            finally:
                self._refreshing.release()
        assert self._snapshot is not None
        return self._snapshot

    def _take_snapshot(self) -> None:
        """Copy the committed warehouse into a new snapshot file and make it current."""
        signature = self._signature()
        target = self._snapshots / f"snapshot-{next(self._generations)}.duckdb"
        cursor = self._database.cursor()
        try:
            cursor.execute(f"ATTACH {sql_literal(str(self.path / DATABASE_FILE))} AS snapshot_source (READ_ONLY)")
            cursor.execute(f"ATTACH {sql_literal(str(target))} AS snapshot_target")
            cursor.execute("COPY FROM DATABASE snapshot_source TO snapshot_target")
            for kind in KINDS:  # the rollup parts' rows, so the snapshot outlives the parts it read
                cursor.execute(f"DROP VIEW snapshot_target.{kind.view}")
                cursor.execute(f"CREATE TABLE snapshot_target.{kind.view} AS SELECT * FROM snapshot_source.{kind.view}")
            cursor.execute("USE snapshot_target")  # a warehouse of an older viewrank is served migrated
            try:
                migrate(cursor, "the snapshot of the warehouse")
            finally:
                cursor.execute("USE memory")
            cursor.execute("DETACH snapshot_target")
        except BaseException:
            # A half-made snapshot left attached would make every later refresh fail.
            for alias in ("snapshot_target", "snapshot_source"):
                with contextlib.suppress(duckdb.Error):
                    cursor.execute(f"DETACH DATABASE IF EXISTS {alias}")
            target.unlink(missing_ok=True)
            target.with_name(target.name + ".wal").unlink(missing_ok=True)
            raise
        finally:
            with contextlib.suppress(duckdb.Error):
                cursor.execute("DETACH DATABASE IF EXISTS snapshot_source")
            cursor.close()
        with self._lock:
            self._snapshot, self._snapshot_signature = target, signature
            self._readers.setdefault(target, 0)
            self._remove_unread_snapshots()

    def _remove_unread_snapshots(self) -> None:
        """Delete the snapshots older than the current one that no request is reading (under _lock)."""
        for old in [path for path, readers in self._readers.items() if readers == 0 and path != self._snapshot]:
            del self._readers[old]
            old.unlink(missing_ok=True)
            old.with_name(old.name + ".wal").unlink(missing_ok=True)

    def close(self) -> None:
        self._database.close()
        shutil.rmtree(self._snapshots, ignore_errors=True)

