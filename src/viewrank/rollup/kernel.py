"""The fast rollup of one sorted event part: a single streaming pass over its row groups.

Parts are written sorted by (title_key, country_index, account_key), so every group of the
rollup is one contiguous run of rows and every distinct account one change of account within
it. Sums, counts and distinct counts are then run-length reductions (numpy, no hashing, no
sort), row groups are read in parallel, and memory stays at a few row groups whatever the
size of the day. The result equals ROLLUP_SELECT in rollup.py exactly; tests hold it to that.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import WarehouseError
from ..store import events

COLUMNS = ["title_key", "country_index", "account_key", "seconds"]
COUNTRY_SPAN = 1 << 16  # country_index is a SMALLINT: key = title_key * COUNTRY_SPAN + country_index


@dataclass
class Runs:
    """The reduced runs of one row group, plus its edges for stitching neighbours together."""

    titles: np.ndarray
    countries: np.ndarray
    seconds: np.ndarray
    sessions: np.ndarray
    accounts: np.ndarray
    first_key: int
    first_account: int
    last_key: int
    last_account: int

    COLUMNS = ("titles", "countries", "seconds", "sessions", "accounts")


def _reduce_row_group(path: str, metadata: pq.FileMetaData, index: int) -> Runs | None:
    # Mapped rather than read into buffers: the page cache's copy is used in place (about 10% faster).
    table = events.read_row_group(path, metadata, index, COLUMNS)
    if table.num_rows == 0:
        return None
    title, country, account, seconds = (_values(path, table, name) for name in COLUMNS)
    new_key, changed, descending = _scratch(len(title))
    # Boundaries from the narrow columns directly (no wide key per row), into reused buffers.
    new_key[0] = True
    np.not_equal(title[1:], title[:-1], out=new_key[1:])
    np.not_equal(country[1:], country[:-1], out=changed[1:])
    np.logical_or(new_key[1:], changed[1:], out=new_key[1:])
    starts = np.flatnonzero(new_key)
    titles, countries = title[starts], country[starts]
    keys = titles.astype(np.int64) * COUNTRY_SPAN + countries
    # Sorted means: keys ascend, and accounts descend only where a new key begins.
    np.less(account[1:], account[:-1], out=descending[1:])
    if np.any(keys[1:] <= keys[:-1]) or (
            np.count_nonzero(descending[1:]) != np.count_nonzero(descending[starts[1:]])):
        raise WarehouseError(f"{path}: event part is not sorted by (title_key, country_index, account_key)")
    # A new (key, account) pair: a new key, or a new account within the key.
    np.not_equal(account[1:], account[:-1], out=changed[1:])
    new_pair = np.logical_or(new_key, changed, out=new_key)
    new_pair[0] = True
    return Runs(
        titles=titles, countries=countries,
        seconds=np.add.reduceat(seconds, starts, dtype=np.int64),
        sessions=np.diff(np.append(starts, len(title))),
        accounts=np.add.reduceat(new_pair, starts, dtype=np.int64),
        first_key=int(keys[0]), first_account=int(account[0]), last_key=int(keys[-1]), last_account=int(account[-1]),
    )


_thread_scratch = threading.local()


def _scratch(rows: int) -> list[np.ndarray]:
    """Three boolean work arrays of `rows`, kept per thread and reused for every row group:
    fresh ones each time would be mapped and faulted in anew, a large share of the run."""
    arrays: list[np.ndarray] | None = getattr(_thread_scratch, "arrays", None)
    if arrays is None or len(arrays[0]) < rows:
        arrays = _thread_scratch.arrays = [np.empty(rows, dtype=bool) for _ in range(3)]
    return [array[:rows] for array in arrays]


def _values(path: str, table: pa.Table, name: str) -> np.ndarray:
    """An event column's values, which must all be present."""
    column = table.column(name)
    if column.null_count:
        raise WarehouseError(f"{path}: event column {name} has missing values")
    return integer_values(column)


def integer_values(column: pa.ChunkedArray) -> np.ndarray:
    """An integer column's values as a view of Arrow's buffer (other number types, such as
    DuckDB's 128-bit sums, are cast to int64 first). Arrow's to_numpy copies a chunked
    column and, on its first call, imports pandas where installed: 0.3 s."""
    array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    if not pa.types.is_integer(array.type):
        array = array.cast(pa.int64())
    dtype = np.dtype(f"int{array.type.bit_width}")
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize)


def rollup_sorted_parts(paths: list[str], *, threads: int = 2) -> Iterator[pa.Table]:
    """The rollup of each sorted event part, in order, each yielded as soon as its row groups
    are reduced: row groups of all parts are read in parallel meanwhile, so the caller can
    store one part's result while later parts are still being read."""
    metadata = {path: events.open_part(path).metadata for path in paths}
    tasks = [(path, index) for path in paths for index in range(metadata[path].num_row_groups)]
    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        reduced = pool.map(lambda task: _reduce_row_group(task[0], metadata[task[0]], task[1]), tasks)
        for path in paths:
            pieces = [runs for _ in range(metadata[path].num_row_groups) if (runs := next(reduced)) is not None]
            yield _stitch(path, pieces)
    finally:
        pool.shutdown(cancel_futures=True)


def rollup_sorted_part(path: str | os.PathLike[str], *, threads: int = 2) -> pa.Table:
    """(title_key, country_index, seconds, sessions, accounts) of one sorted event part."""
    return next(rollup_sorted_parts([str(path)], threads=threads))


def _stitch(path: str, pieces: list[Runs]) -> pa.Table:
    """Join the runs of consecutive row groups into the rollup of the whole part: only a run
    that continues across a row-group edge needs merging."""
    columns: list[list[np.ndarray]] = [[] for _ in Runs.COLUMNS]
    for previous, piece in zip([None, *pieces], pieces):
        first = 0
        if previous is not None and piece.first_key < previous.last_key:
            raise WarehouseError(f"{path}: row groups are not in sorted order")
        if previous is not None and piece.first_key == previous.last_key:
            first = 1  # fold the continuation into the run so far; the same account is one account
            columns[2][-1][-1] += piece.seconds[0]
            columns[3][-1][-1] += piece.sessions[0]
            columns[4][-1][-1] += piece.accounts[0] - (piece.first_account == previous.last_account)
        if len(piece.titles) > first:
            for column, name in zip(columns, Runs.COLUMNS):
                column.append(getattr(piece, name)[first:])
    return _table(*(np.concatenate(column) if column else np.empty(0, np.int64) for column in columns))


def _table(titles: np.ndarray, countries: np.ndarray, seconds: np.ndarray, sessions: np.ndarray,
           accounts: np.ndarray) -> pa.Table:
    return pa.table({
        "title_key": arrow_integers(titles, pa.int32()),
        "country_index": arrow_integers(countries, pa.int16()),
        "seconds": arrow_integers(seconds, pa.int64()),
        "sessions": arrow_integers(sessions, pa.int64()),
        "accounts": arrow_integers(accounts, pa.int64()),
    })


def arrow_integers(values: np.ndarray, type: pa.DataType) -> pa.Array:
    """An Arrow array of an integer-backed `type` over `values` (pa.array would first import
    pandas where installed, 0.3 s of a rollup)."""
    values = np.ascontiguousarray(values, dtype=np.dtype(f"int{type.bit_width}"))
    return pa.Array.from_buffers(type, len(values), [None, pa.py_buffer(values)])


# A day assembled from several parts (or a part written as several sorted slices) is merged
# in memory when it has at most this many rows; larger ones go to DuckDB, which spills.
MERGE_MAX_ROWS = 40_000_000
TITLE_BITS, COUNTRY_BITS, ACCOUNT_BITS = 23, 9, 32


def mergeable(rows: int) -> bool:
    """Whether a day of `rows` events is merged in memory (about 30 bytes a row)."""
    return rows <= MERGE_MAX_ROWS


def rollup_merged_parts(paths: list[str]) -> pa.Table | None:
    """The rollup of one day from parts whose row groups are each sorted: one composite key
    (title, country, account) per row, a stable sort that merges the sorted runs, then the
    same run-length reductions as a sorted part. None when a key does not fit its bits."""
    table = events.read_columns(paths, COLUMNS)
    if table.num_rows == 0:
        return _table(*(np.empty(0, np.int64) for _ in Runs.COLUMNS))
    title, country, account, seconds = (_values(paths[0], table, name) for name in COLUMNS)
    for values, bits in ((title, TITLE_BITS), (country, COUNTRY_BITS), (account, ACCOUNT_BITS - 1)):
        if values.min() < 0 or values.max() >= 1 << bits:
            return None
    key = title.astype(np.uint64) << np.uint64(COUNTRY_BITS + ACCOUNT_BITS)
    key |= country.astype(np.uint64) << np.uint64(ACCOUNT_BITS)
    key |= account.astype(np.uint64)
    order = np.argsort(key, kind="stable")  # timsort: the row groups' sorted runs are merged, not re-sorted
    key = key[order]
    group = key >> np.uint64(ACCOUNT_BITS)
    new_group = np.empty(len(key), bool)
    new_group[0] = True
    np.not_equal(group[1:], group[:-1], out=new_group[1:])
    new_pair = np.empty(len(key), bool)
    new_pair[0] = True
    np.not_equal(key[1:], key[:-1], out=new_pair[1:])
    starts = np.flatnonzero(new_group)
    groups = group[starts]
    return _table(
        (groups >> np.uint64(COUNTRY_BITS)).astype(np.int64),
        (groups & np.uint64((1 << COUNTRY_BITS) - 1)).astype(np.int64),
        np.add.reduceat(seconds[order], starts, dtype=np.int64),
        np.diff(np.append(starts, len(key))),
        np.add.reduceat(new_pair, starts, dtype=np.int64))
