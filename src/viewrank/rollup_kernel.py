"""The fast rollup of one sorted event part: a single streaming pass over its row groups.

Parts are written sorted by (title_key, country_index, account_key), so every group of the
rollup is one contiguous run of rows and every distinct account one change of account within
it. Sums, counts and distinct counts are then run-length reductions (numpy, no hashing, no
sort), row groups are read in parallel, and memory stays at a few row groups whatever the
size of the day. The result equals ROLLUP_SELECT in rollup.py exactly; tests hold it to that.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import WarehouseError

COLUMNS = ["title_key", "country_index", "account_key", "seconds"]
COUNTRY_SPAN = 1 << 16  # country_index is a SMALLINT: key = title_key * COUNTRY_SPAN + country_index


@dataclass
class Runs:
    """The reduced runs of one row group, plus its edges for stitching neighbours together."""

    keys: np.ndarray
    seconds: np.ndarray
    sessions: np.ndarray
    accounts: np.ndarray
    first_account: int
    last_key: int
    last_account: int


def _reduce_row_group(path: str, metadata: pq.FileMetaData, index: int) -> Runs | None:
    table = pq.ParquetFile(path, metadata=metadata).read_row_group(index, columns=COLUMNS, use_threads=False)
    if table.num_rows == 0:
        return None
    title, country, account, seconds = (table.column(name).to_numpy() for name in COLUMNS)
    key = title.astype(np.int64) * COUNTRY_SPAN + country
    same_key = key[1:] == key[:-1]
    if np.any(key[1:] < key[:-1]) or np.any(same_key & (account[1:] < account[:-1])):
        raise WarehouseError(f"{path}: event part is not sorted by (title_key, country_index, account_key)")
    new_key = np.empty(len(key), dtype=bool)
    new_key[0] = True
    np.logical_not(same_key, out=new_key[1:])
    new_pair = new_key.copy()
    new_pair[1:] |= account[1:] != account[:-1]
    starts = np.flatnonzero(new_key)
    return Runs(
        keys=key[starts],
        seconds=np.add.reduceat(seconds.astype(np.int64), starts),
        sessions=np.diff(np.append(starts, len(key))),
        accounts=np.add.reduceat(new_pair.astype(np.int64), starts),
        first_account=int(account[0]), last_key=int(key[-1]), last_account=int(account[-1]),
    )


def rollup_sorted_parts(paths: list[str], *, threads: int = 2) -> list[pa.Table]:
    """The rollup of each sorted event part, its row groups reduced in parallel across all parts."""
    metadata = {path: pq.ParquetFile(path).metadata for path in paths}
    tasks = [(path, index) for path in paths for index in range(metadata[path].num_row_groups)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        reduced = list(pool.map(lambda task: _reduce_row_group(task[0], metadata[task[0]], task[1]), tasks))
    pieces: dict[str, list[Runs]] = {path: [] for path in paths}
    for (path, _), runs in zip(tasks, reduced):
        if runs is not None:
            pieces[path].append(runs)
    return [_stitch(path, pieces[path]) for path in paths]


def rollup_sorted_part(path: str | os.PathLike[str], *, threads: int = 2) -> pa.Table:
    """(title_key, country_index, seconds, sessions, accounts) of one sorted event part."""
    return rollup_sorted_parts([str(path)], threads=threads)[0]


def _stitch(path: str, pieces: list[Runs]) -> pa.Table:
    """Join the runs of consecutive row groups into the rollup of the whole part."""
    if not pieces:
        return empty_rollup()
    for before, after in zip(pieces, pieces[1:]):
        if after.keys[0] < before.last_key:
            raise WarehouseError(f"{path}: row groups are not in sorted order")
        # A run that continues across the row-group edge with the same account is one account, not two.
        if after.keys[0] == before.last_key and after.first_account == before.last_account:
            after.accounts[0] -= 1
    keys = np.concatenate([piece.keys for piece in pieces])
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    return _table(keys[starts],
                  *(np.add.reduceat(np.concatenate([getattr(piece, name) for piece in pieces]), starts)
                    for name in ("seconds", "sessions", "accounts")))


def empty_rollup() -> pa.Table:
    return _table(*(np.empty(0, np.int64) for _ in range(4)))


def _table(keys: np.ndarray, seconds: np.ndarray, sessions: np.ndarray, accounts: np.ndarray) -> pa.Table:
    return pa.table({
        "title_key": pa.array(keys // COUNTRY_SPAN, pa.int32()),
        "country_index": pa.array(keys % COUNTRY_SPAN, pa.int16()),
        "seconds": pa.array(seconds, pa.int64()),
        "sessions": pa.array(sessions, pa.int64()),
        "accounts": pa.array(accounts, pa.int64()),
    })
