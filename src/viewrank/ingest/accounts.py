"""Account ids to dense account keys during an ingest, without joining every batch to the
accounts table (a scan of every account per batch, the larger part of ingesting a small file).

An ingest run loads the accounts once as two independent 64-bit hashes of the id (like event
ids, keys.py: an account is its 128 bits; ids whose first hashes collide are told apart by
the second) sorted beside their keys: 20 bytes an account. New accounts get the next keys in
order of id, so a rerun gives the same keys, and are stored in the batch's transaction.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store.warehouse import Warehouse

ACCOUNT_KEY_SQL = "hash({id})"
ACCOUNT_PRINT_SQL = "hash('viewrank-account:' || {id})"
LOAD_SQL = (f"SELECT {ACCOUNT_KEY_SQL.format(id='account_id')} AS key, {ACCOUNT_PRINT_SQL.format(id='account_id')} "
            "AS fingerprint, account_key FROM accounts ORDER BY key")
INSERT_SQL = "INSERT INTO accounts SELECT account_id, account_key FROM new_accounts"
UNKNOWN = -1


class AccountIndex:
    """Every stored account's (key, fingerprint) and account key, loaded once per ingest run."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.next_key = 1

    def load(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.arrays is None:
            table = self.warehouse.arrow(LOAD_SQL)
            keys, prints = (np.ascontiguousarray(table[name].to_numpy(), np.uint64) for name in ("key", "fingerprint"))
            values = np.ascontiguousarray(table["account_key"].to_numpy(), np.int64)
            self.arrays = (keys, prints, values)
            self.next_key = int(values.max()) + 1 if len(values) else 1
        return self.arrays

    def lookup(self, keys: np.ndarray, prints: np.ndarray) -> np.ndarray:
        """The account key of each (key, fingerprint), UNKNOWN where the account is new."""
        known_keys, known_prints, values = self.load()
        found = np.full(len(keys), UNKNOWN, np.int64)
        first = np.searchsorted(known_keys, keys, "left")
        last = np.searchsorted(known_keys, keys, "right")
        single = np.flatnonzero(last - first == 1)
        match = known_prints[first[single]] == prints[single]
        found[single[match]] = values[first[single[match]]]
        for row in np.flatnonzero(last - first > 1):  # first hashes collide: the fingerprint decides
            at = first[row] + np.flatnonzero(known_prints[first[row]:last[row]] == prints[row])
            if len(at):
                found[row] = values[at[0]]
        return found

    def account_keys(self, account_ids: pa.ChunkedArray, keys: np.ndarray, prints: np.ndarray) -> pa.Array:
        """The account key of every row, storing the new accounts (in the caller's transaction;
        `forget` if it fails)."""
        found = self.lookup(keys, prints)
        new_rows = np.flatnonzero(found == UNKNOWN)
        if len(new_rows):
            ids = account_ids.take(pa.array(new_rows))
            new_ids = pc.unique(ids)
            new_ids = new_ids.take(pc.sort_indices(new_ids))
            fresh = np.arange(self.next_key, self.next_key + len(new_ids), dtype=np.int64)
            self.warehouse.over("new_accounts", pa.table({"account_id": new_ids, "account_key": pa.array(fresh, pa.int32())}),
                                INSERT_SQL)
            first_row = new_rows[pc.index_in(new_ids, value_set=ids).to_numpy()]
            self._add(keys[first_row], prints[first_row], fresh)
            self.next_key += len(new_ids)
            found[new_rows] = fresh[pc.index_in(ids, value_set=new_ids).to_numpy()]
        return pa.array(found, pa.int32())

    def _add(self, keys: np.ndarray, prints: np.ndarray, values: np.ndarray) -> None:
        known_keys, known_prints, known_values = self.load()
        order = np.argsort(keys, kind="stable")
        at = np.searchsorted(known_keys, keys[order])
        self.arrays = (np.insert(known_keys, at, keys[order]), np.insert(known_prints, at, prints[order]),
                       np.insert(known_values, at, values[order]))

    def forget(self) -> None:
        """Drop what is in memory (a transaction rolled back): the next use reloads the stored accounts."""
        self.arrays = None
