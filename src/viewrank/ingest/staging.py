"""A batch's good rows on their way to the event store, with memory flat whatever the size of
the batch or of the history.

The good rows of a file, or of a run of files, are staged in one Parquet file (with their row
number and the two hashes of their event id). DuckDB then does the set work in a few
statements inside the batch's transaction, held to the ingest memory limit and spilling to its
temporary folder: find the rows that are not new (every row of an id but its first, and the
ids event_keys already holds: an event id is unique in the warehouse whatever its day), give
the new accounts the next keys in order of id, write the new events once with their account
keys, and stream them sorted by (day, title_key, country_index, account_key) to the part
writer. No key of the history and no account is held in Python."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..store.events import PART_SCHEMA, PartWriter
from ..store.quoting import sql_literal
from ..store.warehouse import Warehouse
from .readers import ROW

STAGED_SCHEMA = pa.schema([
    (ROW, pa.int64()), ("reason", pa.string()), ("key", pa.uint64()), ("fingerprint", pa.uint64()), ("day", pa.date32()),
    ("event_id", pa.string()), ("account_id", pa.string()), ("title_key", pa.int32()), ("episode_key", pa.int32()),
    ("country_index", pa.int16()), ("start_time", pa.timestamp("us", tz="UTC")), ("seconds", pa.int32())])
STAGED_FILE = "staged.parquet"
DROPPED_FILE = "dropped.parquet"
KEYED_FILE = "keyed.parquet"
ACCOUNTS_FILE = "accounts.parquet"
# Staged rows are read once, by DuckDB: neither dictionaries, statistics nor compression are
# worth their time (they made writing three times slower).
STAGED_WRITE = {"compression": "none", "use_dictionary": False, "write_statistics": False}
# The same for the files DuckDB stages: its attempts at a dictionary for every column (the ids
# have millions of values) took a fifth of staging a run.
STAGED_FORMAT = "FORMAT parquet, COMPRESSION uncompressed, DICTIONARY_SIZE_LIMIT 1"
# Rows handed to the part writer at a time from DuckDB's sorted result.
STREAM_ROWS = 1_000_000
# The rows of a run of files are numbered (file << FILE_SHIFT) + row, so "the first row of an
# id" is the first in file order, then row order, and each row still names its file and row.
FILE_SHIFT = 40

# The staged good rows that are not new events: every row of an id but its first in the file
# (or run), and the rows whose id event_keys already holds. Two ids are one event only when
# both hashes match. Both are matched on `key` alone first, which leaves few rows to match
# on both: the keys seen twice in the batch (grouping every row by one key takes half the
# time of grouping by both), and the stored keys among the batch's (half the time of matching
# both over the whole history). The joins build small tables, the result is small too, and
# the new events are the good rows less these, never written out again.
DROPPED_SQL = """
COPY (
    WITH good AS NOT MATERIALIZED (SELECT {row}, key, fingerprint FROM read_parquet({staged}) WHERE reason IS NULL),
    twice AS (SELECT key FROM good GROUP BY key HAVING count(*) > 1),
    candidates AS (SELECT g.* FROM good g SEMI JOIN twice t ON t.key = g.key),
    repeated AS (
        SELECT key, fingerprint, min({row}) AS first_row FROM candidates GROUP BY key, fingerprint HAVING count(*) > 1
    ),
    stored AS (SELECT k.key, k.fingerprint FROM event_keys k SEMI JOIN good g ON k.key = g.key)
    SELECT s.{row} FROM candidates s JOIN repeated r ON r.key = s.key AND r.fingerprint = s.fingerprint AND r.first_row <> s.{row}
    UNION
    SELECT s.{row} FROM good s SEMI JOIN stored k ON k.key = s.key AND k.fingerprint = s.fingerprint
) TO {dropped} ({staged_format})
"""
# The new events: the good staged rows less the dropped ones, with each row's file in its run.
FRESH_SQL = """(
    SELECT s.* EXCLUDE ({row}, reason), CAST(s.{row} >> {shift} AS INTEGER) AS file
    FROM read_parquet({staged}) s ANTI JOIN read_parquet({dropped}) d ON d.{row} = s.{row}
    WHERE s.reason IS NULL
)"""
INSERT_KEYS_SQL = "INSERT INTO event_keys SELECT key, fingerprint FROM {fresh}"
# The file's accounts with their keys, found in one pass over the accounts table: a new
# account gets the next key in order of id, so a rerun gives the same keys.
FILE_ACCOUNTS_SQL = """
COPY (
    WITH found AS (
        SELECT n.account_id, a.account_key
        FROM (SELECT DISTINCT account_id FROM {fresh}) n
        LEFT JOIN accounts a ON a.account_id = n.account_id
    )
    SELECT account_id, account_key IS NULL AS new,
           CAST(coalesce(account_key, (SELECT coalesce(max(account_key), 0) FROM accounts)
                         + row_number() OVER (PARTITION BY account_key IS NULL ORDER BY account_id)) AS INTEGER) AS account_key,
           {account_hash} AS account_hash
    FROM found
) TO {accounts} ({staged_format})
"""
INSERT_ACCOUNTS_SQL = "INSERT INTO accounts SELECT account_id, account_key FROM read_parquet({accounts}) WHERE new"
# Whether two of the batch's accounts share a hash (then the events meet their accounts by id).
ACCOUNT_HASHES_COLLIDE_SQL = "SELECT count(DISTINCT account_hash) <> count(*) FROM read_parquet({accounts})"
# The new events with their account keys, written once so that the sort that follows reads
# one file and joins nothing (a sort of tens of millions of rows beside the accounts' hash
# table ran out of the ingest memory limit). Events meet their accounts by the 64-bit hash of
# the id, exact when no two of the batch's accounts share one: the hash table of millions of
# accounts then fits the memory limit, where one of their ids spilled (a third of the time of
# this statement for 20M events and 2M accounts).
KEYED_SQL = f"""
COPY (
    SELECT f.day, {", ".join("a.account_key" if name == "account_key" else "f." + name for name in PART_SCHEMA.names)}, f.file
    FROM {{fresh}} f JOIN read_parquet({{accounts}}) a ON {{match}}
) TO {{keyed}} ({STAGED_FORMAT})
"""
# An account id's hash, by which its events meet it (a test weakens it to make accounts collide).
ACCOUNT_HASH_SQL = "hash({id})"
LOADED_SQL = "SELECT file, count(*), list(DISTINCT day ORDER BY day) FROM read_parquet({keyed}) GROUP BY file"
# The new events as event parts store them, in the order parts are sorted, day first.
SORTED_SQL = f"""
SELECT day, {", ".join(PART_SCHEMA.names)} FROM read_parquet({{keyed}}) ORDER BY day, title_key, country_index, account_key
"""


class Stage:
    """One file's staged rows, in its staging folder: the good ones, added a batch at a time,
    or every row with its reason, written there by DuckDB (scan.py; then `adopt`)."""

    def __init__(self, warehouse: Warehouse, folder: Path):
        self.warehouse, self.folder = warehouse, folder
        self.staged, self.dropped, self.keyed = folder / STAGED_FILE, folder / DROPPED_FILE, folder / KEYED_FILE
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def add(self, table: pa.Table) -> None:
        """Stage a batch's good rows (columns named as in STAGED_SCHEMA, `reason` NULL)."""
        if not table.num_rows:
            return
        if self.writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.warehouse.trace(f"write {self.staged}")
            self.writer = pq.ParquetWriter(self.staged, STAGED_SCHEMA, **STAGED_WRITE)
        self.writer.write_table(table.select(STAGED_SCHEMA.names).cast(STAGED_SCHEMA))
        self.rows += table.num_rows

    def adopt(self, good_rows: int) -> None:
        """Take the staged file written in place, holding `good_rows` good rows."""
        self.rows = good_rows

    def settle(self, parts: PartWriter) -> int:
        """Store the new events and their keys and accounts (in the caller's transaction), the
        events written to `parts` day by day in sorted order; how many were new."""
        self.close()
        if not self.rows:
            return 0
        warehouse = self.warehouse
        staged, dropped = sql_literal(str(self.staged)), sql_literal(str(self.dropped))
        warehouse.execute(DROPPED_SQL.format(row=ROW, staged=staged, dropped=dropped, staged_format=STAGED_FORMAT))
        kept = self.rows - int(warehouse.scalar(f"SELECT count(*) FROM read_parquet({dropped})"))
        if not kept:
            return 0
        fresh = self._fresh()
        warehouse.execute(INSERT_KEYS_SQL.format(fresh=fresh))
        accounts = sql_literal(str(self.folder / ACCOUNTS_FILE))
        warehouse.execute(FILE_ACCOUNTS_SQL.format(fresh=fresh, accounts=accounts, staged_format=STAGED_FORMAT,
                                                   account_hash=ACCOUNT_HASH_SQL.format(id="account_id")))
        warehouse.execute(INSERT_ACCOUNTS_SQL.format(accounts=accounts))
        keyed = sql_literal(str(self.keyed))
        if warehouse.scalar(ACCOUNT_HASHES_COLLIDE_SQL.format(accounts=accounts)):
            match = "a.account_id = f.account_id"
        else:
            match = "a.account_hash = " + ACCOUNT_HASH_SQL.format(id="f.account_id")
        # DuckDB estimates the anti-joined events as fewer than the accounts once a run holds
        # millions of both, and builds its hash table on the events instead (1.8 GB spilled for
        # 20M events, twice the time): the accounts, written on the right, stay the build side.
        with warehouse.settings({"disabled_optimizers": "build_side_probe_side"}):
            warehouse.execute(KEYED_SQL.format(fresh=fresh, accounts=accounts, keyed=keyed, match=match))
        for batch in warehouse.batches(SORTED_SQL.format(keyed=keyed), STREAM_ROWS):
            _write_days(parts, pa.Table.from_batches([batch]))
        return kept

    def loaded_by_file(self) -> dict[int, tuple[int, list[dt.date]]]:
        """After `settle`: each file's new events and the days they fall on, by the file's place in its run."""
        if not self.keyed.exists():
            return {}
        found = self.warehouse.execute(LOADED_SQL.format(keyed=sql_literal(str(self.keyed)))).fetchall()
        return {int(file): (int(rows), list(days)) for file, rows, days in found}

    def _fresh(self) -> str:
        return FRESH_SQL.format(row=ROW, shift=FILE_SHIFT, staged=sql_literal(str(self.staged)),
                                dropped=sql_literal(str(self.dropped)))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _write_days(parts: PartWriter, table: pa.Table) -> None:
    """Hand a slice of the sorted stream to the part writer, a day at a time."""
    days = table["day"].cast(pa.int32()).to_numpy()
    starts = [0, *(np.flatnonzero(days[1:] != days[:-1]) + 1).tolist()]
    for start, end in zip(starts, [*starts[1:], len(days)]):
        day = dt.date(1970, 1, 1) + dt.timedelta(days=int(days[start]))
        parts.write(day, table.slice(start, end - start).select(PART_SCHEMA.names))
