"""The rollup step's distinct-account sketches: one DataSketches HLL sketch per day and title.

Each row group of an event part is reduced to its distinct (title, account) pairs (in
parallel, in numpy); the pairs are then added to their title's sketch for the day, so memory
holds one row group and one sketch per title (at most about 4 KiB), whatever the size of the
day. A day stored as several parts (late data) adds them all to the same sketches. Stored as
one serialised sketch per day and title in daily_sketch.

Sketches are per title over all countries: per-country sketches would cost about one row
per distinct (title, country, account) a day, as much as the events themselves. Per-country
distinct viewers are counted exactly from the events instead (reports/audience.py).
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from ..store import events
from ..store.warehouse import Warehouse
from . import sketch
from .sketch import Sketch

COLUMNS = ["title_key", "account_key"]
Ints = npt.NDArray[np.int64]


def _distinct_pairs(path: str, metadata: pq.FileMetaData, index: int) -> tuple[Ints, Ints]:
    """The distinct (title, account) pairs of one row group, ordered by title."""
    table = events.read_row_group(path, metadata, index, COLUMNS)
    packed = sketch.distinct((table.column("title_key").to_numpy().astype(np.int64) << 32)
                             | table.column("account_key").to_numpy().astype(np.int64))
    titles: Ints = packed >> 32
    accounts: Ints = packed & 0xFFFFFFFF
    return titles, accounts


def day_sketches(paths_by_day: dict[dt.date, list[str]], *, threads: int = 2) -> pa.Table | None:
    """(day, title_key, sketch) of every day's event parts: the serialised sketch of its accounts."""
    days, titles, blobs = [], [], []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for day, paths in paths_by_day.items():
            tasks = [(path, events.open_part(path).metadata) for path in paths]
            groups = [(path, metadata, index) for path, metadata in tasks for index in range(metadata.num_row_groups)]
            sketches: dict[int, Sketch] = {}
            for first in range(0, len(groups), threads):   # a few row groups in memory at a time
                for title_keys, accounts in pool.map(lambda group: _distinct_pairs(*group), groups[first:first + threads]):
                    starts = np.flatnonzero(np.diff(title_keys, prepend=-1))
                    for low, high in zip(starts.tolist(), [*starts[1:].tolist(), len(title_keys)]):
                        title = int(title_keys[low])
                        sketch.add(sketches.setdefault(title, sketch.new()), accounts[low:high].tolist())
            for title in sorted(sketches):
                days.append(day)
                titles.append(title)
                blobs.append(bytes(sketches[title].serialize_compact()))
    if not titles:
        return None
    return pa.table({"day": pa.array(days, pa.date32()), "title_key": pa.array(titles, pa.int32()),
                     "sketch": pa.array(blobs, pa.binary())})


def replace_day_sketches(warehouse: Warehouse, days: list[dt.date], *, threads: int = 2) -> None:
    """Recompute the stored sketches of `days` from their event parts (inside the caller's transaction);
    with the distinct_sketches setting off, only remove them."""
    warehouse.execute("DELETE FROM daily_sketch WHERE list_contains(?, day)", [days])
    if not warehouse.methodology.distinct_sketches:
        return
    sketches = day_sketches({day: events.part_paths(warehouse, day) for day in days}, threads=threads)
    if sketches is None:
        return
    with warehouse.registered("day_sketches", sketches):
        warehouse.execute("INSERT INTO daily_sketch BY NAME SELECT * FROM day_sketches")
