"""The rollup step's distinct-account sketches: one HyperLogLog sketch per day and title.

Each row group of an event part is reduced on its own (in parallel): every event sets a
register of its title's sketch, and the largest value per (title, register) is found with a
scatter-max into a reused buffer, in one pass without sorting. A title that runs over a
row-group edge is stitched together; a day stored as several parts (late data) is merged
by sorting. Stored only as non-zero registers in daily_sketch, so a small title costs about
one row per distinct account and a large one at most 4,096 rows a day.

Sketches are per title over all countries: per-country sketches would cost about one row
per distinct (title, country, account) a day, as much as the events themselves. Per-country
distinct viewers are counted exactly from the events instead (audience.py).
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import WarehouseError
from ..store.warehouse import Warehouse
from . import sketch

COLUMNS = ["title_key", "account_key"]
# Titles reduced at once: the scatter buffer holds this many sketches (4 MiB, 16 MiB of owners).
TITLES_PER_SLICE = 1024
_CELLS = TITLES_PER_SLICE * sketch.REGISTERS
Ints = npt.NDArray[np.int64]


class Registers:
    """Non-zero registers of several titles' sketches: (title, register index, value) per row."""

    def __init__(self, titles: Ints, index: Ints, value: Ints):
        self.titles, self.index, self.value = titles, index, value

    @classmethod
    def concat(cls, parts: list[Registers]) -> Registers:
        return cls(*(np.concatenate([getattr(part, name) for part in parts]) for name in ("titles", "index", "value")))

    def select(self, rows: npt.NDArray[np.bool_]) -> Registers:
        return Registers(self.titles[rows], self.index[rows], self.value[rows])

    def packed(self) -> Ints:
        """One int64 per register, ordered as (title, register, value)."""
        packed: Ints = (self.titles << 18) | (self.index << 6) | self.value
        return packed

    @classmethod
    def unpack(cls, packed: Ints) -> Registers:
        return cls(packed >> 18, (packed >> 6) & (sketch.REGISTERS - 1), packed & 63)


def _max_per_cell(cell: Ints, value: npt.NDArray[np.uint8], best: npt.NDArray[np.uint8],
                  owner: npt.NDArray[np.int32]) -> Ints:
    """Positions of one row per distinct cell holding the cell's largest value, in row order.

    `best` must be all zeros and is left so; `owner` is scratch space of the same size."""
    np.maximum.at(best, cell, value)
    winners = np.flatnonzero(best[cell] == value)
    owner[cell[winners]] = winners          # of several equal maxima, whichever write lands is kept
    chosen: Ints = winners[owner[cell[winners]] == winners]
    best[cell] = 0
    return chosen


def _reduce_row_group(path: str, metadata: pq.FileMetaData, index: int) -> Registers | None:
    table = pq.ParquetFile(path, metadata=metadata).read_row_group(index, columns=COLUMNS, use_threads=False)
    if table.num_rows == 0:
        return None
    title = table.column("title_key").to_numpy().astype(np.int64)
    new_title = np.empty(len(title), bool)
    new_title[0] = True
    np.not_equal(title[1:], title[:-1], out=new_title[1:])
    if not np.all(title[1:] >= title[:-1]):
        raise WarehouseError(f"{path}: event part is not sorted by title_key")
    run = np.cumsum(new_title) - 1
    bounds = np.append(np.flatnonzero(new_title), len(title))
    slots, value = sketch.registers_of(table.column("account_key").to_numpy())
    register = slots.astype(np.int64)
    best, owner = np.zeros(_CELLS, np.uint8), np.empty(_CELLS, np.int32)
    pieces = []
    for first in range(0, len(bounds) - 1, TITLES_PER_SLICE):
        low, high = bounds[first], bounds[min(first + TITLES_PER_SLICE, len(bounds) - 1)]
        cell = (run[low:high] - first) * sketch.REGISTERS + register[low:high]
        chosen = low + _max_per_cell(cell, value[low:high], best, owner)
        pieces.append(Registers(title[chosen], register[chosen], value[chosen].astype(np.int64)))
    return Registers.concat(pieces)


def _merge(pieces: list[Registers]) -> Registers:
    """The registers of overlapping pieces as one: the largest value per (title, register)."""
    packed = np.sort(Registers.concat(pieces).packed())
    last = np.ones(len(packed), bool)
    last[:-1] = (packed[1:] >> 6) != (packed[:-1] >> 6)
    return Registers.unpack(packed[last])


def _stitch(pieces: list[Registers]) -> Registers:
    """Join the row groups of one sorted part: only a title at a row-group edge can repeat."""
    if len(pieces) == 1:
        return pieces[0]
    joined = Registers.concat(pieces)
    crossing = np.isin(joined.titles, [piece.titles[-1] for piece in pieces[:-1]])
    return Registers.concat([joined.select(~crossing), _merge([joined.select(crossing)])])


def day_sketches(paths_by_day: dict[dt.date, list[str]], *, threads: int = 2) -> pa.Table | None:
    """(day, title_key, register_index, register_value) of every day's event parts."""
    metadata = {path: pq.ParquetFile(path).metadata for paths in paths_by_day.values() for path in paths}
    tasks = [(path, index) for paths in paths_by_day.values() for path in paths
             for index in range(metadata[path].num_row_groups)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = pool.map(lambda task: _reduce_row_group(task[0], metadata[task[0]], task[1]), tasks)
        reduced = {task: registers for task, registers in zip(tasks, results) if registers is not None}
    tables = []
    for day, paths in paths_by_day.items():
        parts = [[reduced[(path, index)] for index in range(metadata[path].num_row_groups) if (path, index) in reduced]
                 for path in paths]
        parts = [part for part in parts if part]
        if not parts:
            continue
        registers = _stitch(parts[0]) if len(parts) == 1 else _merge([piece for part in parts for piece in part])
        tables.append(pa.table({
            "day": pa.array(np.full(len(registers.titles), np.datetime64(day, "D")), pa.date32()),
            "title_key": pa.array(registers.titles, pa.int32()),
            "register_index": pa.array(registers.index, pa.int16()),
            "register_value": pa.array(registers.value, pa.uint8())}))
    return pa.concat_tables(tables) if tables else None


def replace_day_sketches(warehouse: Warehouse, days: list[dt.date], *, threads: int = 2) -> None:
    """Recompute the stored sketches of `days` from their event parts (inside the caller's transaction);
    with the distinct_sketches setting off, only remove them."""
    warehouse.execute("DELETE FROM daily_sketch WHERE list_contains(?, day)", [days])
    if not warehouse.methodology.distinct_sketches:
        return
    sketches = day_sketches({day: warehouse.event_part_paths(day) for day in days}, threads=threads)
    if sketches is None:
        return
    with warehouse.registered("day_sketches", sketches):
        warehouse.execute("INSERT INTO daily_sketch BY NAME SELECT * FROM day_sketches")
